"""Metrics end to end: a real Prometheus server (Debian's `prometheus`) scrapes a running
aggregator and three agents (metrics_listen on) with the shipped docker/prometheus.yml
(targets rewritten to this stack, scrape_interval 1s) while the demo jobs and a small
followed job with a late record and a reject run through them. Then every PromQL
expression of the provisioned Grafana dashboards (docker/grafana/dashboards/*.json) is
run through Prometheus' HTTP API and must return data: no panel may query a metric
that does not exist. Also checks the agents' counters against their job statuses,
`promtool check config` on docker/prometheus.yml, SIGHUP reloading log_level, and that
SIGTERM exits 0."""

import glob
import json
import math
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request

import yaml

from harness import REPO, Stack, free_port, wait_until, run_test

AGENTS = {"pi-01": "site=greenhouse", "pi-02": "site=greenhouse", "pi-03": "site=coldroom"}
JOBS = {"greenhouse": ["pi-01", "pi-02"], "coldroom": ["pi-03"]}
DASHBOARDS = sorted(glob.glob(os.path.join(REPO, "docker", "grafana", "dashboards", "*.json")))
PROMETHEUS_YML = os.path.join(REPO, "docker", "prometheus.yml")

# Grafana's variables, as a dashboard would fill them in for the job "late".
GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h",
                "${job}": "late", "$job": "late"}


def start_prometheus(stack, aggregator_target, agent_targets):
    """Runs Prometheus on a free port with docker/prometheus.yml, its targets pointed at
    this stack (the agents through a file_sd file, as in the shipped config) and a 1 s
    scrape interval. Returns its base URL."""
    with open(PROMETHEUS_YML) as f:
        cfg = yaml.safe_load(f)
    cfg["global"]["scrape_interval"] = "1s"
    cfg["global"]["evaluation_interval"] = "1s"
    agents_file = os.path.join(stack.root, "prometheus-agents.yml")
    with open(agents_file, "w") as f:
        yaml.safe_dump([{"targets": agent_targets}], f)
    for sc in cfg["scrape_configs"]:
        if sc["job_name"] == "edgeline-aggregator":
            sc["static_configs"] = [{"targets": [aggregator_target]}]
        elif sc["job_name"] == "edgeline-agent":
            sc["file_sd_configs"] = [{"files": [agents_file], "refresh_interval": "1s"}]
        else:
            raise AssertionError(f"unexpected scrape job {sc['job_name']} in {PROMETHEUS_YML}")
    conf = os.path.join(stack.root, "prometheus.yml")
    with open(conf, "w") as f:
        yaml.safe_dump(cfg, f)
    r = subprocess.run(["promtool", "check", "config", conf], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    port = free_port()
    stack._spawn("prometheus", ["prometheus", f"--config.file={conf}",
                                f"--storage.tsdb.path={os.path.join(stack.root, 'prometheus-data')}",
                                f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"])
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: urllib.request.urlopen(url + "/-/ready", timeout=2).status == 200, 30,
               what="prometheus ready")
    return url


def prom_query(url, expr):
    q = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=10) as r:
        body = json.loads(r.read())
    assert body["status"] == "success", body
    return body["data"]["result"]


def dashboard_queries():
    """(dashboard file, panel title, PromQL) for every expression in the dashboards,
    Grafana variables filled in; a label_values(metric, label) variable query becomes
    `count by (label) (metric)`."""
    out = []

    def walk(node, where, path):
        if isinstance(node, dict):
            title = node.get("title", where)
            if isinstance(node.get("expr"), str) and node["expr"]:
                out.append((path, title, node["expr"]))
            for v in node.values():
                walk(v, title, path)
        elif isinstance(node, list):
            for v in node:
                walk(v, where, path)

    for path in DASHBOARDS:
        with open(path) as f:
            d = json.load(f)
        name = os.path.basename(path)
        walk(d.get("panels", []), "", name)
        for var in d.get("templating", {}).get("list", []):
            q = var.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            m = re.fullmatch(r"\s*label_values\((.+),\s*(\w+)\)\s*", q or "")
            assert m, f"{name}: variable {var.get('name')}: unsupported query {q!r}"
            out.append((name, f"variable {var['name']}", f"count by ({m[2]}) ({m[1]})"))
    subst = []
    for path, title, expr in out:
        for k, v in GRAFANA_VARS.items():
            expr = expr.replace(k, v)
        assert "$" not in expr, f"{path} / {title}: unknown Grafana variable in {expr!r}"
        subst.append((path, title, expr))
    return subst


def scrape(port):
    """An agent's /metrics as {'name{labels}': value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def late_job(root):
    return {
        "job_id": "late", "version": 1,
        "target": {"agents": ["pi-03"]},
        "mode": "stream",
        "input": {"type": "tail", "path": os.path.join(root, "late", "{agent_id}.csv"),
                  "format": "csv", "poll_ms": 50},
        "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
                   "fields": {"device": {"type": "string", "required": True},
                              "temp": {"type": "float"}}},
        "output": {"batch_max_records": 1, "batch_max_ms": 100},
        "aggregate": {"window": {"type": "tumbling", "size": "1m"}, "allowed_lateness": "0",
                      "late_policy": "drop", "group_by": ["device"],
                      "metrics": {"temp": ["count", "mean"]}},
    }


def test():
    assert len(DASHBOARDS) >= 2, DASHBOARDS
    r = subprocess.run(["promtool", "check", "config", PROMETHEUS_YML], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr

    with Stack("prometheus") as s:
        s.start_broker()
        s.start_aggregator()
        metrics_ports = {}
        conf_file = os.path.join(s.root, "pi-03.conf")
        with open(conf_file, "w") as f:
            f.write("log_level = info\nlabels = site=coldroom\n")
        for agent, labels in AGENTS.items():
            metrics_ports[agent] = free_port()
            extra = ["--metrics-listen", f"127.0.0.1:{metrics_ports[agent]}"]
            if agent == "pi-03":  # labels from a config file, for the SIGHUP check
                s.start_agent(agent, "", extra=extra + ["--config", conf_file])
            else:
                s.start_agent(agent, labels, extra=extra)
        for agent, port in metrics_ports.items():
            wait_until(lambda: scrape(port), 20, what=f"{agent} metrics endpoint")
        prom = start_prometheus(s, f"127.0.0.1:{s.http_port}",
                                [f"127.0.0.1:{p}" for p in metrics_ports.values()])
        wait_until(lambda: len([x for x in prom_query(prom, "up == 1")]) == 4, 30,
                   what="prometheus scraping all four targets")

        # The demo jobs, and a followed job whose third row arrives late.
        for job in JOBS:
            s.cli("job", "submit", f"examples/jobs/{job}.json")
        os.makedirs(os.path.join(s.root, "late"))
        late_csv = os.path.join(s.root, "late", "pi-03.csv")
        with open(late_csv, "w") as f:
            f.write("ts,device,temp\n2026-11-01T10:00:00Z,d1,1.0\n2026-11-01T10:10:00Z,d1,2.0\n")
        spec_file = os.path.join(s.root, "late.json")
        with open(spec_file, "w") as f:
            json.dump(late_job(s.root), f)
        s.cli("job", "submit", spec_file)
        for job, agents in JOBS.items():
            s.cli("job", "wait", job, "--agents", ",".join(agents), "--timeout", "60")

        def late_windows():
            return sum(w["count"] for w in s.get("/api/v1/windows?job=late")["windows"])
        wait_until(lambda: late_windows() == 2, 30, what="late job's first rows committed")
        with open(late_csv, "a") as f:  # a closed window's row, one that cannot be cast,
            # and a good one (an agent's counters are published as of a batch boundary)
            f.write("2026-11-01T09:00:00Z,d1,3.0\n2026-11-01T10:11:00Z,d1,ERR\n"
                    "2026-11-01T10:12:00Z,d1,4.0\n")
        wait_until(lambda: s.metrics().get(
            'edgeline_aggregator_late_records_total{job="late",policy="dropped"}') == 1, 30,
            what="the late record counted")

        # The agents' counters equal their jobs' final counters (this process counted
        # everything: the first status of each job was all zeros).
        statuses = s.retained("edgeline/agents/+/jobs/+")
        for job, agents in JOBS.items():
            for a in agents:
                c = statuses[f"edgeline/agents/{a}/jobs/{job}"]["counters"]
                m = scrape(metrics_ports[a])
                for outcome in ("kept", "rejected", "dropped"):
                    key = f'edgeline_agent_records_total{{job="{job}",outcome="{outcome}"}}'
                    assert m.get(key) == c[outcome], (a, key, m.get(key), c)
                for reason, n in c["reasons"].items():
                    key = f'edgeline_agent_rejects_total{{job="{job}",reason="{reason}"}}'
                    assert m.get(key) == n, (a, key, m.get(key), c)
                assert m[f'edgeline_agent_batches_total{{job="{job}"}}'] == c["batches"]
                raw = m[f'edgeline_agent_bytes_total{{job="{job}",stage="raw"}}']
                size = sum(os.path.getsize(p) for p in
                           glob.glob(os.path.join(REPO, "examples", "data", a, "*")))
                assert 0 < raw <= size, (a, job, raw, size)
                assert m[f'edgeline_agent_bytes_total{{job="{job}",stage="published"}}'] > 0
        wait_until(lambda: scrape(metrics_ports["pi-03"]).get(
            'edgeline_agent_rejects_total{job="late",reason="cast_error"}') == 1, 10,
            what="the late job's reject in pi-03's metrics")
        m3 = scrape(metrics_ports["pi-03"])
        assert m3["edgeline_agent_mqtt_connected"] == 1
        assert m3["edgeline_agent_up"] == 1
        wait_until(lambda: scrape(metrics_ports["pi-01"])["edgeline_agent_spool_batches"] == 0, 30,
                   what="pi-01's spool drained")
        agg = s.metrics()
        assert agg["edgeline_aggregator_agents_online"] == 3, agg
        assert any(k.startswith("edgeline_aggregator_build_info{") for k in agg), agg
        n_windows = sum(len(s.get(f"/api/v1/windows?job={j}")["windows"])
                        for j in ("greenhouse", "coldroom", "late"))
        wait_until(lambda: s.metrics()["edgeline_aggregator_windows_open"] == n_windows, 10,
                   what=f"windows_open == {n_windows}")

        # Every dashboard query returns data from Prometheus.
        queries = dashboard_queries()
        assert len(queries) >= 20, len(queries)
        pending = list(queries)
        deadline = time.monotonic() + 45
        while pending and time.monotonic() < deadline:
            pending = [q for q in pending if not prom_query(prom, q[2])]
            if pending:
                time.sleep(1)
        assert not pending, "dashboard queries without data:\n" + "\n".join(
            f"  {p} / {t}: {e}" for p, t, e in pending)
        # The latency panel shows numbers, not NaN, right after the jobs ran.
        p99 = prom_query(prom, "histogram_quantile(0.99, sum by (le) "
                               "(rate(edgeline_aggregator_batch_latency_seconds_bucket[5m])))")
        assert not math.isnan(float(p99[0]["value"][1])), p99
        print(f"{len(queries)} dashboard queries returned data")

        # SIGHUP: log_level is applied, a changed label is reported as needing a restart.
        with open(conf_file, "w") as f:
            f.write("log_level = debug\nlabels = site=elsewhere\n")
        s.procs["agent-pi-03"].send_signal(signal.SIGHUP)
        wait_until(lambda: "reloaded configuration (SIGHUP): log_level = debug"
                   in s.log("agent-pi-03"), 10, what="agent reload logged")
        log = s.log("agent-pi-03")
        assert "changed options that take effect only after a restart: labels" in log, log
        s.procs["aggregator"].send_signal(signal.SIGHUP)
        wait_until(lambda: "reloaded configuration (SIGHUP)" in s.log("aggregator"), 10,
                   what="aggregator reload logged")
        time.sleep(0.5)
        assert s.procs["agent-pi-03"].poll() is None and s.procs["aggregator"].poll() is None

        for name in [n for n in s.procs if n.startswith("agent-")] + ["aggregator"]:
            assert s.stop(name) == 0, s.log(name)


run_test(test)
