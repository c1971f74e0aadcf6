"""A job submitted while its agent is offline runs when the agent connects (retained job
topics are the desired state), and a job deleted while it is known is dropped by the
agent without disturbing stored windows."""

from harness import Stack, assert_job_matches_reference, assert_windows_equal, wait_until, run_test


def test():
    with Stack("offline") as s:
        s.start_broker()
        s.start_aggregator()
        s.cli("job", "submit", "examples/jobs/coldroom.json")
        # Nobody runs it yet.
        assert s.retained("edgeline/agents/+/jobs/+") == {}
        s.start_agent("pi-03", "site=coldroom")
        r = s.cli("job", "wait", "coldroom", "--agents", "pi-03", "--timeout", "60")
        assert r.stdout == "pi-03: completed\n", r.stdout
        ref = assert_job_matches_reference(s, "coldroom", ["pi-03"])

        out = s.cli("agents").stdout.splitlines()
        assert out[0].split()[:6] == ["AGENT", "STATUS", "LABELS", "JOB", "VERSION", "STATE"], out
        row = out[1].split()
        assert row[:6] == ["pi-03", "online", "site=coldroom", "coldroom", "1", "completed"], row
        assert row[6:10] == [str(ref["summary"]["pi-03"][k])
                             for k in ("read", "kept", "rejected", "dropped")], row
        jobs = s.cli("job", "list").stdout.splitlines()
        assert jobs[1].split()[:4] == ["coldroom", "1", "batch", "file"], jobs

        s.cli("job", "delete", "coldroom")
        assert s.retained("edgeline/jobs/+") == {}
        wait_until(lambda: s.get("/api/v1/jobs")["jobs"][0]["deleted"], 10, what="job deleted")
        assert_windows_equal(s.get("/api/v1/windows?job=coldroom")["windows"], ref["windows"])
        assert s.stop("agent-pi-03") == 0
        wait_until(lambda: s.retained("edgeline/agents/pi-03/state")
                   ["edgeline/agents/pi-03/state"]["status"] == "offline", 10, what="offline state")


run_test(test)
