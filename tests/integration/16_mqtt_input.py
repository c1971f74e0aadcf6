"""mqtt input and the rejects topic. Two agents run stream jobs that subscribe to sensor
topics on a second Mosquitto (the devices' local broker, apart from the control-plane
broker): CSV payloads (columns from csv.columns, the topic as a field) and NDJSON payloads
(one object, a pretty-printed object, several lines), with malformed rows. Counters and
windows must equal the reference computation over the same rows. Rejected rows arrive as
samples on edgeline/rejects/<job>/<agent> with their reasons, rate-limited (exact counts
and `suppressed`). Then: an agent stopped while messages are published gets them from its
persistent session after the restart, and a local broker outage shows in the job status
and heals."""

import json
import os
import time
import urllib.request

from harness import (Stack, assert_windows_equal, binary, free_port, reference, run_test,
                     wait_until)

T = "2026-11-01T10:{:02d}:{:02d}Z"


def ts(minute, second):
    return T.format(minute, second)


def climate_spec(port, ref=False):
    spec = {
        "job_id": "climate", "version": 1, "target": {"agents": ["pi-01", "pi-02"]},
        "mode": "stream",
        "input": {"type": "mqtt", "broker": f"tcp://127.0.0.1:{port}",
                  "topics": ["site/{agent_id}/+/climate"], "format": "csv",
                  "csv": {"columns": ["ts", "temp", "hum"]}, "topic_field": "topic"},
        "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
                   "fields": {"topic": {"type": "string", "required": True},
                              "temp": {"type": "float"}, "hum": {"type": "float"}}},
        "clean": [{"op": "drop_null", "fields": ["temp"]},
                  {"op": "range", "field": "hum", "min": 0, "max": 100}],
        "output": {"batch_max_records": 1000, "batch_max_ms": 200},
        "aggregate": {"window": {"type": "tumbling", "size": "1m"}, "group_by": ["topic"],
                      "metrics": {"temp": ["count", "mean", "min", "max", "stddev"],
                                  "hum": ["count", "mean", "min", "max", "stddev"]}}}
    if ref:  # the same job over files holding the same rows, for reference.py
        spec["mode"] = "batch"
        spec["input"] = {"type": "file", "path": "{agent_id}/climate.csv", "format": "csv"}
    return spec


def air_spec(port, ref=False):
    spec = {
        "job_id": "air", "version": 1, "target": {"agents": ["pi-01"]}, "mode": "stream",
        "input": {"type": "mqtt", "broker": f"tcp://127.0.0.1:{port}", "topics": ["air/{agent_id}"],
                  "qos": 1, "format": "ndjson", "max_line_bytes": 256},
        "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
                   "fields": {"device": {"type": "string", "required": True},
                              "co2": {"type": "float"}}},
        "clean": [{"op": "dedup", "by": ["device", "ts"], "horizon": "1m"}],
        "output": {"batch_max_records": 1000, "batch_max_ms": 200},
        "aggregate": {"window": {"type": "tumbling", "size": "1m"}, "group_by": ["device"],
                      "metrics": {"co2": ["count", "mean", "min", "max", "stddev"]}}}
    if ref:
        spec["mode"] = "batch"
        spec["input"] = {"type": "file", "path": "{agent_id}/air.ndjson", "format": "ndjson"}
    return spec


class Sensors:
    """Publishes payloads on the local broker and keeps the reference input files: each
    CSV row with its topic as a last column, each JSON payload as the lines the agent
    reads (a pretty-printed object as one line)."""

    def __init__(self, stack, port):
        self.s, self.port = stack, port
        self.ref = os.path.join(stack.root, "ref")
        for a in ("pi-01", "pi-02"):
            os.makedirs(os.path.join(self.ref, a))
            with open(self.path(a, "climate.csv"), "w") as f:
                f.write("ts,temp,hum,topic\n")
            open(self.path(a, "air.ndjson"), "w").close()

    def path(self, agent, name):
        return os.path.join(self.ref, agent, name)

    def csv(self, agent, device, rows, crlf=False):
        topic = f"site/{agent}/{device}/climate"
        eol = "\r\n" if crlf else "\n"
        self.s.mosquitto_pub(topic, eol.join(rows) + (eol if crlf else ""), port=self.port)
        with open(self.path(agent, "climate.csv"), "a") as f:
            f.writelines(f"{r},{topic}\n" for r in rows)

    def json(self, agent, payload, lines=None):
        self.s.mosquitto_pub(f"air/{agent}", payload, port=self.port)
        if lines is not None:
            with open(self.path(agent, "air.ndjson"), "a") as f:
                f.writelines(line + "\n" for line in lines)


def samples(stack, topic):
    out = []
    for line in stack.log("rejects-sub").splitlines():
        t, _, payload = line.partition(" ")
        if t == topic:
            out.append(json.loads(payload))
    return out


def status(stack, agent, job):
    """The agent's last job status, as the aggregator received it."""
    for a in stack.get("/api/v1/agents")["agents"]:
        if a["agent_id"] == agent:
            return a.get("jobs", {}).get(job, {})
    return {}


def expect_counters(stack, job_file, ref_root, job, agents, extra=None):
    """Waits until each agent's status counters equal the reference's (plus `extra`
    rejects per agent, for rows the reference does not model); returns the reference."""
    ref = reference(job_file, agents, root=ref_root)
    for a in agents:
        want = dict(ref["summary"][a])
        for reason, n in (extra or {}).get(a, {}).items():
            want["read"] += n
            want["rejected"] += n
            want["reasons"] = dict(sorted({**want["reasons"],
                                           reason: want["reasons"].get(reason, 0) + n}.items()))

        def got(a=a):
            c = status(stack, a, job).get("counters", {})
            return {k: c.get(k) for k in ("read", "kept", "rejected", "dropped", "reasons")}
        wait_until(lambda: got() == want, 15, what=f"{a}/{job} counters {want} (got {got()})")
    kept = sum(ref["summary"][a]["kept"] for a in agents)
    field = next(iter(json.load(open(job_file))["aggregate"]["metrics"]))

    def windows():
        return stack.get(f"/api/v1/windows?job={job}")["windows"]
    wait_until(lambda: sum(w["count"] for w in windows() if w["field"] == field) == kept, 15,
               what=f"{job} windows committed")
    assert_windows_equal(windows(), ref["windows"])
    return ref


def test():
    with Stack("mqtt-input") as s:
        s.start_broker()
        port = s.start_local_broker("sensors")
        s.start_aggregator()
        metrics_port = free_port()
        s._spawn("rejects-sub", ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(s.broker_port),
                                 "-v", "-t", "edgeline/rejects/+/+", "-t", "probe"])
        # Subscribed long before the first reject: the agents and jobs take seconds to start.
        cli_rejects = s._spawn("cli-rejects", [
            binary("edgeline"), "--broker", s.broker_uri, "rejects", "--job", "air",
            "--agent", "pi-01", "--count", "4", "--format", "json", "--timeout", "60"])

        def probe():
            s.mosquitto_pub("probe", "ready", qos=0)
            return "probe ready" in s.log("rejects-sub")
        wait_until(probe, 10, interval=0.2, what="rejects subscriber")
        s.start_agent("pi-01")
        s.start_agent("pi-02", extra=("--rejects-per-minute", "30",
                                      "--metrics-listen", f"127.0.0.1:{metrics_port}"))
        for name, make in (("climate", climate_spec), ("air", air_spec)):
            for ref in (False, True):
                with open(os.path.join(s.root, f"{name}{'-ref' if ref else ''}.json"), "w") as f:
                    json.dump(make(port, ref), f)
            s.cli("job", "submit", os.path.join(s.root, f"{name}.json"))
        for agent, job in (("pi-01", "climate"), ("pi-01", "air"), ("pi-02", "climate")):
            wait_until(lambda: status(s, agent, job).get("input", {}).get("connected"), 15,
                       what=f"{agent}/{job} subscribed")

        x = Sensors(s, port)
        # pi-01, CSV: several rows per message, CRLF, every reject and drop reason.
        x.csv("pi-01", "dev-a", [f"{ts(0, 0)},20.5,40"])
        x.csv("pi-01", "dev-a", [f"{ts(0, 10)},21.0,41", f"{ts(0, 20)},21.5,42"])
        x.csv("pi-01", "dev-b", [f"{ts(0, 5)},18.0,55", f"{ts(0, 15)},,56"], crlf=True)  # drop_null
        x.csv("pi-01", "dev-b", [f"{ts(0, 25)},ERR,50"])                          # cast_error
        x.csv("pi-01", "dev-a", ["not-a-time,20,40"])                              # bad_timestamp
        x.csv("pi-01", "dev-a", [f"{ts(0, 30)},22"])                               # field count
        x.csv("pi-01", "dev-b", [f"{ts(1, 5)},19.0,150"])                          # range
        x.csv("pi-01", "dev-a", [f"{ts(1, 10)},23.0,45"])
        s.mosquitto_pub("site/pi-01/dev-a/other", f"{ts(1, 0)},1,1", port=port)  # not subscribed
        # pi-01, NDJSON.
        one = {"ts": ts(0, 0), "device": "a1", "co2": 410}
        x.json("pi-01", json.dumps(one), [json.dumps(one)])
        pretty = {"ts": ts(0, 10), "device": "a1", "co2": 415.5}
        x.json("pi-01", json.dumps(pretty, indent=2) + "\n", [json.dumps(pretty)])
        dup = json.dumps({"ts": ts(0, 20), "device": "a2", "co2": 500})
        x.json("pi-01", f"{dup}\n{dup}\n", [dup, dup])                              # dedup
        bad_cast = json.dumps({"ts": ts(0, 30), "device": "a1", "co2": "high"})
        x.json("pi-01", bad_cast, [bad_cast])                                       # cast_error
        x.json("pi-01", "[1, 2]", ["[1, 2]"])                                       # not_object
        x.json("pi-01", '{"ts": "x", "device": ', ['{"ts": "x", "device": '])       # malformed
        too_long = json.dumps({"ts": ts(0, 40), "device": "a1", "note": "n" * 300})
        x.json("pi-01", too_long)                                                   # too long
        last = json.dumps({"ts": ts(1, 0), "device": "a2", "co2": 430})
        x.json("pi-01", last, [last])
        # pi-02 (rejects_per_minute 30: a burst of 10, then one every 2 s).
        x.csv("pi-02", "dev-c", [f"{ts(0, 0)},10.0,30", f"{ts(0, 30)},11.0,31"])
        x.csv("pi-02", "dev-c", [f"{ts(0, 40 + i)},bad{i},30" for i in range(13)])
        wait_until(lambda: len(samples(s, "edgeline/rejects/climate/pi-02")) == 10, 15,
                   what="the burst of samples")
        t0 = time.monotonic()
        x.csv("pi-02", "dev-c", [f"{ts(1, 0)},12.0,32"])
        time.sleep(max(0.0, t0 + 1.0 - time.monotonic()))
        x.csv("pi-02", "dev-c", [f"{ts(1, 1)},late1,30"])  # within 2 s: suppressed
        time.sleep(max(0.0, t0 + 2.6 - time.monotonic()))
        x.csv("pi-02", "dev-c", [f"{ts(1, 2)},late2,30"])  # a token again
        x.csv("pi-02", "dev-c", [f"{ts(1, 3)},13.0,33"])

        climate_ref = os.path.join(s.root, "climate-ref.json")
        air_ref = os.path.join(s.root, "air-ref.json")
        expect_counters(s, climate_ref, x.ref, "climate", ["pi-01", "pi-02"])
        ref = expect_counters(s, air_ref, x.ref, "air", ["pi-01"],
                              extra={"pi-01": {"line_too_long": 1}})
        assert ref["summary"]["pi-01"]["reasons"] == {
            "cast_error": 1, "dedup": 1, "json_malformed": 1, "json_not_object": 1}, ref

        # Samples: the rejects (not the drops), with raw text and source, in order.
        got = [(j["reason"], j["raw"], j["source"], j["suppressed"])
               for j in samples(s, "edgeline/rejects/climate/pi-01")]
        assert got == [("cast_error", f"{ts(0, 25)},ERR,50", "site/pi-01/dev-b/climate", 0),
                       ("bad_timestamp", "not-a-time,20,40", "site/pi-01/dev-a/climate", 0),
                       ("csv_field_count", f"{ts(0, 30)},22", "site/pi-01/dev-a/climate", 0)], got
        air = samples(s, "edgeline/rejects/air/pi-01")
        assert [(j["reason"], j["raw"], j["raw_bytes"]) for j in air] == [
            ("cast_error", bad_cast, len(bad_cast)), ("json_not_object", "[1, 2]", 6),
            ("json_malformed", '{"ts": "x", "device": ', 22),
            ("line_too_long", too_long, len(too_long))], air
        assert {(j["job_id"], j["version"], j["agent_id"]) for j in air} == {("air", 1, "pi-01")}
        assert cli_rejects.wait(20) == 0, s.log("cli-rejects")
        assert [json.loads(line) for line in s.log("cli-rejects").splitlines()] == air
        # The rate limit: 10 of the burst's 13, then one carrying the 3 + 1 suppressed.
        pi02 = samples(s, "edgeline/rejects/climate/pi-02")
        assert [j["suppressed"] for j in pi02] == [0] * 10 + [4], pi02
        assert [j["raw"] for j in pi02] == [f"{ts(0, 40 + i)},bad{i},30" for i in range(10)] + [
            f"{ts(1, 2)},late2,30"], pi02
        assert all(j["reason"] == "cast_error" for j in pi02)

        def sample_metrics():
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as r:
                text = r.read().decode()
            return {o: float(line.rpartition(" ")[2]) for line in text.splitlines()
                    for o in ("published", "unsent", "suppressed")
                    if line.startswith('edgeline_agent_reject_samples_total{job="climate",'
                                       f'outcome="{o}"}}')}
        wait_until(lambda: sample_metrics() == {"published": 11, "unsent": 0, "suppressed": 4},
                   10, what=f"reject sample metrics (last {sample_metrics()})")

        # Messages published while the agent is stopped wait in its persistent session.
        assert s.stop("agent-pi-01") == 0, s.log("agent-pi-01")
        x.csv("pi-01", "dev-a", [f"{ts(2, 0)},24.0,44", f"{ts(2, 10)},24.5,44"])
        later = json.dumps({"ts": ts(2, 0), "device": "a1", "co2": 420})
        x.json("pi-01", later, [later])
        s.start_agent("pi-01")
        expect_counters(s, climate_ref, x.ref, "climate", ["pi-01", "pi-02"])
        expect_counters(s, air_ref, x.ref, "air", ["pi-01"], extra={"pi-01": {"line_too_long": 1}})

        # A local broker outage: the job keeps running, its status says so, it reconnects.
        s.stop("sensors")
        wait_until(lambda: status(s, "pi-02", "climate").get("input") == {
            "type": "mqtt", "broker": f"tcp://127.0.0.1:{port}", "connected": False}, 10,
                   what="status with the input disconnected")
        assert status(s, "pi-02", "climate")["state"] == "running"
        s.start_local_broker("sensors", port)
        wait_until(lambda: status(s, "pi-02", "climate")["input"]["connected"], 15,
                   what="input reconnected")
        x.csv("pi-02", "dev-c", [f"{ts(3, 0)},14.0,34"])
        expect_counters(s, climate_ref, x.ref, "climate", ["pi-01", "pi-02"])
        assert "resumes its counters" in s.log("agent-pi-01")


run_test(test)
