#!/usr/bin/env python3
"""The edgeline demo: a private Mosquitto on a free loopback port, the aggregator with
its SQLite database, and three agents (pi-01..pi-03) with their own sample data under
examples/data/. Submits examples/jobs/*.json with the CLI, waits until every agent
reports completed, prints what each agent read, kept and rejected, then the windows.

KEEP=1 leaves the stack running (Ctrl-C stops it). Everything lives under
$EDGELINE_BIN_DIR/demo, recreated on every run."""

import glob
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from harness import BIN_DIR, Stack, wait_until  # noqa: E402

AGENTS = {"pi-01": "site=greenhouse", "pi-02": "site=greenhouse", "pi-03": "site=coldroom"}
# Which agents the shipped jobs select (greenhouse by label, coldroom by id).
JOBS = {"coldroom": ["pi-03"], "greenhouse": ["pi-01", "pi-02"]}


def banner(text):
    print(f"\n== {text}")


def main():
    keep = os.environ.get("KEEP", "") not in ("", "0")
    stack = Stack("demo", root=os.path.join(BIN_DIR, "demo"))
    try:
        banner("starting mosquitto, the aggregator and three agents")
        stack.start_broker()
        stack.start_aggregator()
        for agent, labels in AGENTS.items():
            stack.start_agent(agent, labels)
        print(f"broker {stack.broker_uri}, aggregator API {stack.api}")

        banner("submitting jobs")
        for path in sorted(glob.glob("examples/jobs/*.json")):
            print(stack.cli("job", "submit", path).stdout, end="")

        banner("waiting for the agents")
        for job, agents in JOBS.items():
            print(stack.cli("job", "wait", job, "--agents", ",".join(agents),
                            "--timeout", "60").stdout, end="")

        banner("rows per agent (edgeline agents)")
        print(stack.cli("agents").stdout, end="")

        # The aggregator commits every 100 ms; wait until it holds every kept record.
        statuses = stack.get("/api/v1/agents")["agents"]
        for job in JOBS:
            kept = sum(a["jobs"][job]["counters"]["kept"] for a in statuses if job in a["jobs"])
            wait_until(lambda: sum(w["count"] for w in
                                   stack.get(f"/api/v1/windows?job={job}")["windows"]
                                   if w["field"] == "temp") == kept, 20,
                       what=f"windows of {job}")
        for job in JOBS:
            banner(f"windows of job {job} (edgeline query --job {job})")
            print(stack.cli("query", "--job", job).stdout, end="")

        if keep:
            banner("stack left running (Ctrl-C to stop)")
            print(f"  MQTT broker     {stack.broker_uri}")
            print(f"  HTTP API        {stack.api}/api/v1/windows?job=greenhouse")
            print(f"  metrics         {stack.api}/metrics")
            print(f"  SQLite          {os.path.join(stack.root, 'aggregator.db')}")
            print(f"  CLI             {os.path.join(BIN_DIR, 'cli', 'edgeline')} "
                  f"--broker {stack.broker_uri} --api {stack.api} agents")
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    except Exception as e:
        print(f"\ndemo failed: {e}", file=sys.stderr)
        for name in list(stack.procs):
            print(f"--- {name} log (last lines) ---\n" + "\n".join(stack.log(name).splitlines()[-15:]),
                  file=sys.stderr)
        return 1
    finally:
        stack.close()
    banner("done; everything stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
