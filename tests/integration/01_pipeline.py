"""The whole pipeline on the shipped sample data: three agents, two jobs, real broker,
real aggregator and SQLite. Asserts per-agent counters and every window exactly against
the independent reference computation, then restarts aggregator and agents and checks
that nothing changes (state persisted, completed jobs not re-run, no double count)."""

from harness import Stack, reference, assert_windows_equal, wait_until, run_test

AGENTS = {"pi-01": "site=greenhouse", "pi-02": "site=greenhouse", "pi-03": "site=coldroom"}
JOBS = {"greenhouse": ["pi-01", "pi-02"], "coldroom": ["pi-03"]}


def windows(stack, job):
    return stack.get(f"/api/v1/windows?job={job}")["windows"]


def field_total(stack, job):
    return sum(w["count"] for w in windows(stack, job) if w["field"] == "temp")


def test():
    with Stack("pipeline") as s:
        s.start_broker()
        s.start_aggregator()
        for agent, labels in AGENTS.items():
            s.start_agent(agent, labels)
        for job in JOBS:
            out = s.cli("job", "submit", f"examples/jobs/{job}.json").stdout
            assert out == f"submitted job {job} version 1\n", out
        for job, agents in JOBS.items():
            r = s.cli("job", "wait", job, "--agents", ",".join(agents), "--timeout", "60")
            assert r.stdout == "".join(f"{a}: completed\n" for a in agents), r.stdout

        statuses = s.retained("edgeline/agents/+/jobs/+")
        total_batches = 0
        for job, agents in JOBS.items():
            ref = reference(f"examples/jobs/{job}.json", agents)
            for a in agents:
                st = statuses[f"edgeline/agents/{a}/jobs/{job}"]
                c = st["counters"]
                want = ref["summary"][a]
                got = {k: c[k] for k in ("read", "kept", "rejected", "dropped", "reasons")}
                assert got == want, f"{a}/{job}: got {got}, want {want}"
                assert st["state"] == "completed" and st["version"] == 1
                total_batches += c["batches"]
            kept = sum(ref["summary"][a]["kept"] for a in agents)
            wait_until(lambda: field_total(s, job) == kept, 20, what=f"{job} windows committed")
            assert_windows_equal(windows(s, job), ref["windows"])

        m = s.metrics()
        assert m['edgeline_aggregator_batches_total{outcome="applied"}'] == total_batches, m
        assert m['edgeline_aggregator_batches_total{outcome="duplicate"}'] == 0
        assert m['edgeline_aggregator_batches_total{outcome="invalid"}'] == 0
        assert m['edgeline_aggregator_batch_latency_seconds_count'] == total_batches

        # The query API filters by key and time; the CLI prints the same rows.
        gh = windows(s, "greenhouse")
        first = gh[0]["window_start"]
        only = s.get(f"/api/v1/windows?job=greenhouse&key=gh-02&from={first}&to={first + 1}")
        assert [w["key"] for w in only["windows"]] == ["gh-02", "gh-02"], only
        csv_out = s.cli("query", "--job", "greenhouse", "--format", "csv").stdout.splitlines()
        assert csv_out[0] == "window_start,window_end,key,field,count,sum,mean,min,max,stddev"
        assert len(csv_out) == 1 + len(gh)
        table = s.cli("query", "--job", "coldroom").stdout
        assert table.splitlines()[0].split() == ["WINDOW_START", "KEY", "FIELD", "COUNT", "MEAN",
                                                 "MIN", "MAX", "STDDEV"], table
        assert table.endswith("(3 windows)\n"), table
        some = s.get("/api/v1/windows?job=coldroom&metrics=count,mean")["windows"]
        assert [sorted(w) for w in some] == [["count", "field", "key", "mean", "window_end",
                                             "window_start"]] * 3, some
        status, body = s.get_status("/api/v1/windows?job=coldroom&metrics=count,p42")
        assert status == 400 and body == {
            "error": 'parameter metrics: "p42" is not a metric of job "coldroom"'}, body
        status, body = s.get_status("/api/v1/windows?job=nosuchjob")
        assert status == 404 and body == {"error": 'unknown job "nosuchjob"'}, (status, body)
        status, body = s.get_status("/api/v1/windows")
        assert status == 400 and body == {"error": "parameter job is required"}

        agents = {a["agent_id"]: a for a in s.get("/api/v1/agents")["agents"]}
        assert set(agents) == set(AGENTS)
        assert agents["pi-03"]["state"]["status"] == "online"
        assert agents["pi-03"]["jobs"]["coldroom"]["state"] == "completed"
        jobs = {j["job_id"]: j for j in s.get("/api/v1/jobs")["jobs"]}
        assert jobs["greenhouse"]["window_ms"] == 300000 and not jobs["greenhouse"]["deleted"]

        # Restart everything: state comes back from SQLite and the state dirs; completed
        # jobs are not re-run, so nothing is counted twice.
        before = {job: windows(s, job) for job in JOBS}
        for name in [n for n in s.procs if n.startswith("agent-")] + ["aggregator"]:
            assert s.stop(name) == 0, s.log(name)
        s.start_aggregator()
        for agent, labels in AGENTS.items():
            s.start_agent(agent, labels)
        wait_until(lambda: all(a["state"]["status"] == "online"
                               for a in s.get("/api/v1/agents")["agents"]), 20,
                   what="agents online again")
        for job, agents in JOBS.items():
            s.cli("job", "wait", job, "--agents", ",".join(agents), "--timeout", "30")
        m = s.metrics()
        assert m['edgeline_aggregator_batches_total{outcome="applied"}'] == 0, m
        for job in JOBS:
            assert windows(s, job) == before[job]
        assert "accepted" not in s.log("agent-pi-01").split("stopping")[-1]


run_test(test)
