"""aggregate.at "edge": the agent publishes partial window states instead of records and
the aggregator merges them into the same windows. The same input through a cloud job and
an edge job gives identical counts, min, max, first, last and quantiles (DDSketch merges
exactly), sums and means within 1e-12 and stddev within 1e-9 relative. Reports the bytes
published per input record in both modes."""

import json
import os
import subprocess

from faults import row, job_spec
from harness import Stack, wait_until, run_test

METRICS = ["count", "sum", "mean", "min", "max", "stddev", "first", "last", "p50", "p95", "p99"]


def spec(root, job_id, at):
    j = job_spec(root, mode="batch", batch_max_records=500)
    j["job_id"] = job_id
    j["target"] = {"agents": ["pi-01"]}
    j["input"]["path"] = os.path.join(root, "data", "*.csv")
    j["aggregate"]["metrics"] = {"temp": METRICS, "hum": METRICS}
    j["aggregate"]["at"] = at
    return j


def test():
    with Stack("edge") as s:
        os.makedirs(os.path.join(s.root, "data"))
        with open(os.path.join(s.root, "data", "sensor.csv"), "w") as f:
            f.write("ts,device,temp,hum\n")
            for i in range(6000):
                f.write(row(i, "dev-a" if i % 3 else "dev-b"))
        s.start_broker()
        s.start_aggregator()
        sizes = os.path.join(s.root, "sizes.txt")
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(s.broker_port),
                                "-t", "edgeline/data/#", "-F", "%t %l"],
                               stdout=open(sizes, "w"), stderr=subprocess.DEVNULL)
        try:
            s.start_agent("pi-01")
            for job_id, at in (("cloud-job", "cloud"), ("edge-job", "edge")):
                path = os.path.join(s.root, job_id + ".json")
                with open(path, "w") as f:
                    json.dump(spec(s.root, job_id, at), f)
                s.cli("job", "submit", path)
            for job_id in ("cloud-job", "edge-job"):
                s.cli("job", "wait", job_id, "--agents", "pi-01", "--timeout", "60")
            kept = s.retained("edgeline/agents/pi-01/jobs/cloud-job")[
                "edgeline/agents/pi-01/jobs/cloud-job"]["counters"]["kept"]

            def rows(job):
                return s.get(f"/api/v1/windows?job={job}")["windows"]
            for job in ("cloud-job", "edge-job"):
                wait_until(lambda: sum(w["count"] for w in rows(job) if w["field"] == "temp") == kept,
                           30, what=f"{job} windows")
        finally:
            sub.terminate()
            sub.wait(10)
        cloud, edge = rows("cloud-job"), rows("edge-job")
        assert len(cloud) == len(edge) > 0
        for c, e in zip(cloud, edge):
            where = (c["window_start"], c["key"], c["field"])
            assert where == (e["window_start"], e["key"], e["field"])
            for m in ("count", "min", "max", "first", "last", "p50", "p95", "p99"):
                assert c[m] == e[m], f"{where} {m}: cloud {c[m]!r}, edge {e[m]!r}"
            for m, rel in (("sum", 1e-12), ("mean", 1e-12), ("stddev", 1e-9)):
                assert abs(c[m] - e[m]) <= rel * abs(c[m]), f"{where} {m}: {c[m]!r} vs {e[m]!r}"

        read = 6000
        by_job = {"cloud-job": 0, "edge-job": 0}
        with open(sizes) as f:
            for line in f:
                topic, size = line.split()
                by_job[topic.split("/")[2]] += int(size)
        cloud_b, edge_b = by_job["cloud-job"] / read, by_job["edge-job"] / read
        print(f"bytes published per input record (zstd): cloud {cloud_b:.2f}, edge {edge_b:.2f} "
              f"({cloud_b / edge_b:.1f}x less at the edge)")
        assert 0 < edge_b < cloud_b


run_test(test)
