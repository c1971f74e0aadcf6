"""`edgeline-agent run`: the broker-less dry run. Cleaned records as NDJSON on stdout,
the summary on stderr, exit codes for an invalid spec and unreadable input."""

import json
import os
import subprocess
import tempfile

from harness import REPO, binary, reference, run_test


def run(*args, stdin=None):
    return subprocess.run([binary("edgeline-agent"), "run", *args], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test():
    ref = reference("examples/jobs/greenhouse.json", ["pi-01"])["summary"]["pi-01"]
    r = run("--job", "examples/jobs/greenhouse.json", "--id", "pi-01")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == ref["kept"], (len(lines), ref)
    first = json.loads(lines[0])
    assert list(first) == ["ts", "device", "temp", "hum", "pressure"], first
    assert first["ts"] == 1793527200000 and first["device"] == "gh-01", first
    summary = json.loads(r.stderr.splitlines()[-1])
    assert summary["job_id"] == "greenhouse" and summary["version"] == 1
    assert {k: summary[k] for k in ("read", "kept", "rejected", "dropped", "reasons")} == ref

    # The same file through stdin gives the same output.
    with open(os.path.join(REPO, "examples/data/pi-01/greenhouse.csv")) as f:
        r2 = run("--job", "examples/jobs/greenhouse.json", "--input", "-", stdin=f.read())
    assert r2.returncode == 0 and r2.stdout == r.stdout

    # CSV options (docs/job-spec.md, input.csv): no header row, comment lines, a decimal
    # comma. A file (the SIMD scanner) and stdin (the reader) give the same records.
    data = ("# logger gh-07 \"v2\"; ts;device;temp;hum\n"
            "2026-11-01T10:00:00Z;gh-07;21,6;62,7\n"
            "#2026-11-01T10:00:05Z;gh-07;99;99\n"
            "2026-11-01T10:00:10Z;gh-07;21.8;62,5\n"  # cast_error: '.' is no decimal mark
            "2026-11-01T10:00:20Z;gh-07;22\n"         # csv_field_count
            "2026-11-01T10:00:30Z;\"gh;07\";-0,5;\n")
    spec = {"job_id": "opts", "version": 1, "target": {"agents": ["local"]}, "mode": "batch",
            "input": {"type": "file", "path": "", "format": "csv",
                      "csv": {"delimiter": ";", "header": False, "comment": "#", "decimal": ",",
                              "columns": ["ts", "device", "temp", "hum"]}},
            "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
                       "fields": {"device": {"type": "string"}, "temp": {"type": "float"},
                                  "hum": {"type": "float"}}}}
    with tempfile.TemporaryDirectory() as d:
        spec["input"]["path"] = os.path.join(d, "gh-07.csv")
        with open(spec["input"]["path"], "w") as f:
            f.write(data)
        with open(os.path.join(d, "job.json"), "w") as f:
            json.dump(spec, f)
        by_file = run("--job", os.path.join(d, "job.json"))
        by_stdin = run("--job", os.path.join(d, "job.json"), "--input", "-", stdin=data)
    for r in (by_file, by_stdin):
        assert r.returncode == 0, r.stderr
        assert [json.loads(line) for line in r.stdout.splitlines()] == [
            {"ts": 1793527200000, "device": "gh-07", "temp": 21.6, "hum": 62.7},
            {"ts": 1793527230000, "device": "gh;07", "temp": -0.5, "hum": None}], r.stdout
        summary = json.loads(r.stderr.splitlines()[-1])
        assert {k: summary[k] for k in ("read", "kept", "rejected", "reasons")} == {
            "read": 4, "kept": 2, "rejected": 2,
            "reasons": {"cast_error": 1, "csv_field_count": 1}}, summary

    r = run("--job", "examples/jobs/greenhouse.json", "--input", "/nonexistent/x.csv")
    assert r.returncode == 1
    assert "cannot open input /nonexistent/x.csv: No such file or directory" in r.stderr, r.stderr
    r = run("--job", "examples/jobs/greenhouse.json", "--id", "pi-77")
    assert r.returncode == 1 and "no input file matches examples/data/pi-77/greenhouse*.csv" in r.stderr

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write('{"job_id": "x", "version": 1}')
    try:
        r = run("--job", f.name)
        assert r.returncode == 2
        assert r.stderr == f"edgeline-agent run: {f.name}: job spec /target: is required\n", r.stderr
    finally:
        os.unlink(f.name)
    r = run()
    assert r.returncode == 2 and "usage: edgeline-agent run --job JOB.json" in r.stderr


run_test(test)
