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
