"""Config files: the shipped examples pass --check-config; a bad option is refused with
its file, line and name; environment variables and flags override the file."""

import os
import subprocess
import tempfile

from harness import REPO, binary, run_test


def run(name, *args, env=None):
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run([binary(name), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=30, env=full)


def test():
    r = run("edgeline-agent", "--check-config", "--config", "config/agent.example.conf")
    assert (r.returncode, r.stdout) == (0, "edgeline-agent: configuration ok\n"), r
    r = run("edgeline-aggregator", "--check-config", "--config", "config/aggregator.example.conf")
    assert (r.returncode, r.stdout) == (0, "edgeline-aggregator: configuration ok\n"), r

    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("# test\nid = pi-01\nspool_size = 3\n")
    try:
        r = run("edgeline-agent", "--check-config", "--config", f.name)
        assert r.returncode == 2
        assert r.stderr.startswith(f'edgeline-agent: {f.name}:3: unknown option "spool_size"\n'), r.stderr
    finally:
        os.unlink(f.name)

    r = run("edgeline-agent", "--check-config", "--config", "config/agent.example.conf",
            env={"EDGELINE_AGENT_ID": "bad id"})
    assert r.returncode == 2 and r.stderr == "edgeline-agent: --id must match [A-Za-z0-9_.-]{1,64}\n", r
    r = run("edgeline-agent", "--check-config", "--config", "config/agent.example.conf",
            "--labels", "site")
    assert r.returncode == 2 and r.stderr == 'edgeline-agent: --labels: label "site" is not key=value\n'
    r = run("edgeline-aggregator", "--check-config", "--http", "localhost")
    assert r.returncode == 2 and r.stderr == 'edgeline-aggregator: --http: "localhost" is not HOST:PORT\n'
    r = run("edgeline-aggregator", "--check-config", "--flush-interval-ms", "soon")
    assert r.returncode == 2
    assert r.stderr == 'edgeline-aggregator: option flush_interval_ms: "soon" is not an integer\n'
    r = run("edgeline-agent", "--nope")
    assert r.returncode == 2 and r.stderr.startswith("edgeline-agent: unknown option --nope\n")


run_test(test)
