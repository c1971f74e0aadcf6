"""Hostile input over the network: deeply nested, non-UTF-8, oversized (100 MB) and
nonsensical job specs and batches. Each is refused with a clear, counted reason (specs on
the job's status topic, batches in the aggregator's batch counter); neither process
crashes or stalls, and a valid job still runs afterwards with exact results."""

import json
import os

from harness import Stack, assert_job_matches_reference, wait_until, run_test

SPEC = json.load(open("examples/jobs/coldroom.json"))


def status(s, job):
    return s.retained(f"edgeline/agents/pi-03/jobs/{job}").get(f"edgeline/agents/pi-03/jobs/{job}")


def refused(s, job, payload, expect):
    s.mosquitto_pub(f"edgeline/jobs/{job}", payload, retain=True)
    st = wait_until(lambda: (status(s, job) or {}).get("error"), 20, what=f"status of {job}")
    assert st.startswith(expect), f"{job}: {st!r} does not start with {expect!r}"
    s.mosquitto_pub(f"edgeline/jobs/{job}", "", retain=True)


def spec(**changes):
    j = json.loads(json.dumps(SPEC))
    for path, value in changes.items():
        node = j
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        node[int(keys[-1]) if isinstance(node, list) else keys[-1]] = value
    return json.dumps(j)


def test():
    with Stack("hostile") as s:
        s.start_broker()
        s.start_aggregator()
        s.start_agent("pi-03", "site=coldroom")
        big = os.path.join(s.root, "big.bin")
        with open(big, "wb") as f:
            f.write(b"{" * (100 << 20))  # 100 MB

        refused(s, "deep", '{"job_id": ' + "[" * 100000 + "]" * 100000 + "}",
                "job spec /version: is required")
        refused(s, "utf8", b'{"job_id": "\xff\xfe"}', "job spec: not valid JSON")
        refused(s, "unknown-op", spec(job_id="unknown-op", clean__1__op="shred"),
                'job spec /clean/1/op: must be one of "drop_null", "range", "convert", "dedup"')
        refused(s, "negative", spec(job_id="negative", output={"batch_max_records": -5}),
                "job spec /output/batch_max_records: must be >= 1")
        refused(s, "mismatch", spec(job_id="other"),
                'job spec /job_id: "other" does not match the topic\'s job id "mismatch"')
        s.mosquitto_pub("edgeline/jobs/huge", file=big, retain=True)
        wait_until(lambda: (status(s, "huge") or {}).get("error", "").startswith(
            "job spec: 104857600 bytes exceeds the limit of 262144"), 60, what="huge spec refused")
        s.mosquitto_pub("edgeline/jobs/huge", "", retain=True)

        # Batches: 100 MB, deep nesting, negative and lying counts.
        topic = "edgeline/data/coldroom/pi-09"
        s.mosquitto_pub(topic, file=big)
        s.mosquitto_pub(topic, "[" * 100000)
        base = {"edgeline_batch": 1, "agent_id": "pi-09", "job_id": "coldroom", "job_version": 1,
                "epoch": 1, "seq": 1, "count": -3, "ts_field": "ts", "ts": [], "columns": []}
        s.mosquitto_pub(topic, json.dumps(base))
        s.mosquitto_pub(topic, json.dumps({**base, "count": 10 ** 12}))
        s.mosquitto_pub(topic, json.dumps({**base, "count": 0, "seq": -1}))
        wait_until(lambda: s.metrics()['edgeline_aggregator_batches_total{outcome="invalid"}'] == 5,
                   60, what="5 invalid batches counted")
        log = s.log("aggregator")
        for reason in ("payload of 104857600 bytes exceeds the limit of 16777216",
                       "seq must be >= 1, epoch and count >= 0",
                       "ts has 0 entries, count is 1000000000000"):
            assert reason in log, reason

        # Still healthy, and a valid job runs with exact results.
        assert s.get("/healthz")["status"] == "ok"
        assert s.procs["agent-pi-03"].poll() is None and s.procs["aggregator"].poll() is None
        s.cli("job", "submit", "examples/jobs/coldroom.json")
        s.cli("job", "wait", "coldroom", "--agents", "pi-03", "--timeout", "60")
        assert_job_matches_reference(s, "coldroom", ["pi-03"])


run_test(test)
