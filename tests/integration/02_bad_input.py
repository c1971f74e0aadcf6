"""Bad input from the operator and from the network: an invalid job spec is refused by
the CLI with the field's path and, published behind the CLI's back, reported by the
agent on its status topic; malformed, oversized, mismatched and duplicated batches are
counted by outcome and change nothing; both processes keep running."""

import json
import os

from harness import Stack, wait_until, run_test


def batch(seq, values, agent="pi-01", job="greenhouse", epoch=42):
    n = len(values)
    return json.dumps({
        "edgeline_batch": 1, "agent_id": agent, "job_id": job, "job_version": 1,
        "epoch": epoch, "seq": seq, "count": n, "first_ts": 1793527200000,
        "last_ts": 1793527200000 + n - 1, "published_ms": 0, "schema_hash": "x",
        "ts_field": "ts", "ts": [1793527200000 + i for i in range(n)],
        "columns": [{"name": "device", "type": "string", "values": ["gh-09"] * n},
                    {"name": "temp", "type": "float", "values": values},
                    {"name": "hum", "type": "float", "values": [50.0] * n}]})


def test():
    with Stack("bad-input") as s:
        s.start_broker()
        s.start_aggregator(extra=("--max-batch-bytes", "4096"))
        s.start_agent("pi-01", "site=greenhouse")

        # 1. The CLI refuses an invalid spec, naming the field; nothing is published.
        bad = os.path.join(s.root, "bad.json")
        with open("examples/jobs/greenhouse.json") as f:
            spec = json.load(f)
        spec["clean"][1]["max"] = "sixty"
        with open(bad, "w") as f:
            json.dump(spec, f)
        r = s.cli("job", "submit", bad, check=False)
        assert r.returncode == 2, r
        assert r.stderr == (f"edgeline: {bad}: job spec /clean/1/max: must be a number\n"
                            "edgeline: job not submitted\n"), r.stderr
        assert s.retained("edgeline/jobs/+") == {}
        r = s.cli("job", "validate", "examples/jobs/coldroom.json")
        assert r.stdout == 'examples/jobs/coldroom.json: valid job spec "coldroom" version 1\n'

        # 2. Published directly, the agent reports it failed with the same message.
        s.mosquitto_pub("edgeline/jobs/greenhouse", json.dumps(spec), retain=True)
        st = wait_until(lambda: s.retained("edgeline/agents/pi-01/jobs/greenhouse")
                        .get("edgeline/agents/pi-01/jobs/greenhouse"), 15, what="failed status")
        assert st["state"] == "failed", st
        assert st["error"] == "job spec /clean/1/max: must be a number", st
        s.mosquitto_pub("edgeline/jobs/greenhouse", "not json {", retain=True)
        wait_until(lambda: s.retained("edgeline/agents/pi-01/jobs/greenhouse")
                   ["edgeline/agents/pi-01/jobs/greenhouse"]["error"] == "job spec: not valid JSON",
                   15, what="non-JSON spec reported")

        # 3. A valid job (pi-01 runs it), then hand-made batches on its data topic.
        s.cli("job", "submit", "examples/jobs/greenhouse.json")
        s.cli("job", "wait", "greenhouse", "--agents", "pi-01", "--timeout", "60")
        agent_batches = s.retained("edgeline/agents/pi-01/jobs/greenhouse")[
            "edgeline/agents/pi-01/jobs/greenhouse"]["counters"]["batches"]
        assert agent_batches == 2, agent_batches
        topic = "edgeline/data/greenhouse/pi-09"
        s.mosquitto_pub(topic, batch(1, [20.0, 22.0], agent="pi-09"))
        s.mosquitto_pub(topic, batch(1, [20.0, 22.0], agent="pi-09"))   # duplicate
        s.mosquitto_pub(topic, batch(2, [30.0], agent="pi-09"))
        s.mosquitto_pub(topic, "{\"edgeline_batch\": 1, \"agent_id\": ")  # truncated
        s.mosquitto_pub(topic, batch(3, [1.0], agent="pi-01"))           # header/topic mismatch
        s.mosquitto_pub(topic, json.dumps({**json.loads(batch(4, [1.0], agent="pi-09")),
                                           "edgeline_batch": 9}))         # unknown version
        s.mosquitto_pub(topic, batch(5, [1.0] * 200, agent="pi-09"))     # over 4096 bytes
        s.mosquitto_pub(topic, b"\xff\xfe".decode("latin-1"))            # not JSON
        big = os.path.join(s.root, "big.bin")
        with open(big, "wb") as f:
            f.write(b"x" * (2 << 20))
        s.mosquitto_pub(topic, file=big)

        def counted():
            m = s.metrics()
            return (m['edgeline_aggregator_batches_total{outcome="applied"}'],
                    m['edgeline_aggregator_batches_total{outcome="duplicate"}'],
                    m['edgeline_aggregator_batches_total{outcome="invalid"}'])
        wait_until(lambda: counted() == (agent_batches + 2, 1, 6), 15, what="batch outcomes")
        # Counters move when a batch is applied, windows when it is committed.
        def gh09_temp():
            rows = s.get("/api/v1/windows?job=greenhouse&key=gh-09")["windows"]
            temp = [w for w in rows if w["field"] == "temp"]
            return temp if temp and temp[0]["count"] == 3 else None
        temp = wait_until(gh09_temp, 10, what="both gh-09 batches committed")
        assert len(temp) == 1 and temp[0]["count"] == 3 and temp[0]["sum"] == 72.0, temp
        assert temp[0]["mean"] == 24.0 and temp[0]["min"] == 20.0 and temp[0]["max"] == 30.0
        assert s.get("/healthz")["status"] == "ok"
        assert s.procs["aggregator"].poll() is None and s.procs["agent-pi-01"].poll() is None
        log = s.log("aggregator")
        assert "rejected: invalid batch: unsupported format version 9" in log, log
        assert "does not match its topic" in log and "exceeds the limit of 4096" in log


run_test(test)
