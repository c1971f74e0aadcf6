"""Issue scenario 6: two agents with the same id. A second process on the same state dir
is refused by the dir's lock; a second device (its own state dir, so another epoch) sees
the id online at start-up and refuses to start; the first agent keeps its retained state
and runs the job alone. No batch carries the second epoch; the windows are exact."""

import os
import sqlite3
import subprocess

from harness import Stack, binary, assert_job_matches_reference, wait_until, run_test


def state(s):
    return s.retained("edgeline/agents/pi-03/state").get("edgeline/agents/pi-03/state")


def test():
    with Stack("duplicate-id") as s:
        s.start_broker()
        db = s.start_aggregator()
        first_dir = s.start_agent("pi-03", "site=coldroom")
        wait_until(lambda: (state(s) or {}).get("status") == "online", 15, what="pi-03 online")
        epoch = state(s)["epoch"]

        def run_second(state_dir):
            return subprocess.run([binary("edgeline-agent"), "--broker", s.broker_uri,
                                   "--id", "pi-03", "--state-dir", state_dir],
                                  capture_output=True, text=True, timeout=30)

        r = run_second(first_dir)
        assert r.returncode == 1, r
        assert f"edgeline-agent: state dir {first_dir} is in use by another edgeline-agent" in r.stderr

        r = run_second(os.path.join(s.root, "other-device"))
        assert r.returncode == 1, r
        assert (f"agent id pi-03 is already online with epoch {epoch} (another device or state "
                "dir); refusing to start a second one") in r.stderr, r.stderr
        assert state(s)["epoch"] == epoch and state(s)["status"] == "online"

        s.cli("job", "submit", "examples/jobs/coldroom.json")
        s.cli("job", "wait", "coldroom", "--agents", "pi-03", "--timeout", "60")
        assert_job_matches_reference(s, "coldroom", ["pi-03"])
        with sqlite3.connect(db) as conn:
            epochs = {e for (e,) in conn.execute(
                "SELECT epoch FROM applied_batches UNION SELECT epoch FROM applied_marks")}
        assert epochs == {epoch}, epochs

        # Two devices starting at the same moment both pass the start-up check; once each
        # sees the other online, the one started later steps down (exit code 3).
        s.start_agent("pi-05")
        b_argv = [binary("edgeline-agent"), "--broker", s.broker_uri, "--id", "pi-05",
                  "--state-dir", os.path.join(s.root, "other-pi-05")]
        b = subprocess.Popen(b_argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs = {"a": s.procs["agent-pi-05"], "b": b}
        wait_until(lambda: sum(p.poll() is not None for p in procs.values()) == 1, 20,
                   what="one of the two pi-05 agents to step down")
        loser = next(n for n, p in procs.items() if p.poll() is not None)
        winner = procs["b" if loser == "a" else "a"]
        assert procs[loser].returncode == 3, procs[loser].returncode
        assert winner.poll() is None
        st = s.retained("edgeline/agents/pi-05/state")["edgeline/agents/pi-05/state"]
        assert st["status"] == "online"
        if b.poll() is None:
            b.terminate()
            b.wait(10)


run_test(test)
