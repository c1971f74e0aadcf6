"""Fault-injection scenarios (docs/operations.md#faults): agents follow growing CSV files
(tail, stream mode) while a test kills and restarts the broker, the aggregator or the
agents. At the end every window must equal the independent reference computed over the
final files: nothing accepted is lost, nothing is counted twice."""

import json
import os
import threading
import time

from harness import Stack, reference, assert_windows_equal, wait_until

START_MS = 1793491200000  # 2026-11-01T00:00:00Z
STEP_MS = 100             # event time between rows of one device


def row(i, device):
    """Row i of a device: deterministic values, a little dirt."""
    ts = START_MS + i * STEP_MS
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 1000)) + ".%03dZ" % (ts % 1000)
    temp = "ERR" if i % 97 == 13 else "%.2f" % (18 + (i * 37 % 1000) / 100)
    hum = "" if i % 101 == 7 else "%.1f" % (40 + (i * 13 % 400) / 10)
    return f"{iso},{device},{temp},{hum}\n"


def job_spec(root, mode="stream", batch_max_records=40):
    tail = mode == "stream"
    return {
        "job_id": "faults", "version": 1,
        "target": {"labels": {"site": "faults"}},
        "mode": mode,
        "input": {"type": "tail" if tail else "file",
                  "path": os.path.join(root, "data", "{agent_id}", "sensor.csv"),
                  "format": "csv", **({"poll_ms": 50} if tail else {})},
        "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
                   "fields": {"device": {"type": "string", "required": True},
                              "temp": {"type": "float"}, "hum": {"type": "float"}}},
        "clean": [{"op": "drop_null", "fields": ["temp"]},
                  {"op": "range", "field": "hum", "min": 0, "max": 100}],
        "output": {"batch_max_records": batch_max_records, "batch_max_ms": 200,
                   "compression": "zstd"},
        "aggregate": {"window": {"type": "tumbling", "size": "1m"}, "group_by": ["device"],
                      "metrics": {"temp": ["count", "sum", "mean", "min", "max", "stddev"],
                                  "hum": ["count", "sum", "mean", "min", "max", "stddev"]}},
    }


class Scenario:
    """Agents pi-01.. follow data/<agent>/sensor.csv under the stack's root."""

    def __init__(self, stack, agents=("pi-01", "pi-02"), agent_flags=()):
        self.s = stack
        self.agents = list(agents)
        self.agent_flags = ["--ack-timeout-ms", "1500", "--backlog-rate", "200", *agent_flags]
        self.written = {a: 0 for a in self.agents}
        self._stop = threading.Event()
        self._writers = []
        for a in self.agents:
            os.makedirs(os.path.join(stack.root, "data", a), exist_ok=True)
            with open(self.path(a), "w") as f:
                f.write("ts,device,temp,hum\n")
        self.spec_file = os.path.join(stack.root, "faults.json")
        with open(self.spec_file, "w") as f:
            json.dump(job_spec(stack.root), f)

    def path(self, agent):
        return os.path.join(self.s.root, "data", agent, "sensor.csv")

    def start(self):
        """Starts everything and returns once every agent runs the job: faults start
        after the job has reached the agents (a broker restarted without persistence
        forgets retained job specs, as a broker that lost its disk would)."""
        self.s.start_broker()
        self.s.start_aggregator()
        for a in self.agents:
            self.start_agent(a)
        self.s.cli("job", "submit", self.spec_file)
        wait_until(lambda: all((st or {}).get("state") == "running"
                               for st in self.statuses().values()), 60,
                   what="every agent running the job")

    def start_agent(self, agent):
        self.s.start_agent(agent, "site=faults", extra=self.agent_flags)

    # -- writers -------------------------------------------------------------------
    def write(self, agent, n):
        with open(self.path(agent), "a") as f:
            for _ in range(n):
                f.write(row(self.written[agent], "dev-" + agent))
                self.written[agent] += 1

    def start_writers(self, rows_per_tick=20, tick_s=0.05, total=2000):
        def run(agent):
            while not self._stop.is_set() and self.written[agent] < total:
                self.write(agent, min(rows_per_tick, total - self.written[agent]))
                time.sleep(tick_s)
        for a in self.agents:
            t = threading.Thread(target=run, args=(a,), daemon=True)
            t.start()
            self._writers.append(t)

    def join_writers(self):
        for t in self._writers:
            t.join()

    # -- checks --------------------------------------------------------------------
    def expected(self):
        spec = job_spec(self.s.root, mode="batch")
        ref_file = os.path.join(self.s.root, "faults-reference.json")
        with open(ref_file, "w") as f:
            json.dump(spec, f)
        return reference(ref_file, self.agents)

    def statuses(self):
        got = self.s.retained("edgeline/agents/+/jobs/faults")
        return {a: got.get(f"edgeline/agents/{a}/jobs/faults") for a in self.agents}

    def windows(self):
        return self.s.get("/api/v1/windows?job=faults")["windows"]

    def wait_reconciled(self, timeout=180, dropped_ok=False):
        """Waits until the agents have read everything and emptied their spools, and the
        aggregator holds exactly the reference windows. Returns the statuses."""
        ref = self.expected()
        kept = {a: ref["summary"][a]["kept"] for a in self.agents}

        seen = {}

        def done():
            st = self.statuses()
            seen["statuses"] = {a: (x or {}).get("counters", {}).get("kept") for a, x in st.items()}
            seen["spools"] = {a: (x or {}).get("spool") for a, x in st.items()}
            for a in self.agents:
                c = st[a] and st[a].get("counters", {})
                if not c or c.get("kept") != kept[a] or st[a]["spool"]["batches"] != 0:
                    return False
            return st
        try:
            st = wait_until(done, timeout, interval=0.3, what="agents caught up")
        except TimeoutError:
            m = {k: v for k, v in self.s.metrics().items() if "batches_total" in k}
            print(f"want kept {kept}; last seen kept {seen.get('statuses')}, "
                  f"spools {seen.get('spools')}; aggregator {m}")
            raise
        for a in self.agents:
            c = st[a]["counters"]
            got = {k: c[k] for k in ("read", "kept", "rejected", "dropped", "reasons")}
            assert got == ref["summary"][a], f"{a}: counters {got} != {ref['summary'][a]}"
        if not dropped_ok:
            total = sum(kept.values())
            wait_until(lambda: sum(w["count"] for w in self.windows() if w["field"] == "temp")
                       == total, 30, what="aggregator holds every record")
            assert_windows_equal(self.windows(), ref["windows"])
        return st, ref
