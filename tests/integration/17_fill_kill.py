"""A tail job with a linear fill, killed with SIGKILL while the fill holds records back,
then restarted: the held records are in the checkpoint (its "clean" state), so when the
values after their gaps arrive they are interpolated and sealed. Nothing is lost and
nothing counted twice: counters and windows equal the independent reference, which
interpolates the same gaps (docs/architecture.md#checkpoints-agent)."""

import json
import os
import signal
import time

import faults
from faults import Scenario
from harness import Stack, run_test, wait_until

ORIGINAL_SPEC = faults.job_spec


def fill_spec(root, mode="stream", batch_max_records=40):
    spec = ORIGINAL_SPEC(root, mode=mode, batch_max_records=batch_max_records)
    spec["clean"] = [{"op": "fill", "fields": ["temp"], "method": "linear", "by": ["device"],
                      "max_gap": 3, "unfilled": "drop"}] + spec["clean"]
    return spec


# The scenario (and its reference) run this job instead of the default one.
faults.job_spec = fill_spec


def row(i, device):
    """Row i: temp null in short gaps (filled), in one gap over max_gap (dropped, "fill"),
    and in the last three rows of the first part (held when the agent is killed)."""
    ts = faults.START_MS + i * faults.STEP_MS
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 1000)) + ".%03dZ" % (ts % 1000)
    gap = i % 10 in (7, 8) or 120 <= i < 126 or 197 <= i < 200
    temp = "" if gap else "%.2f" % (18 + (i * 37 % 1000) / 100)
    return f"{iso},{device},{temp},{40 + i % 50}.5\n"


def write(sc, agent, first, last):
    with open(sc.path(agent), "a") as f:
        for i in range(first, last):
            f.write(row(i, "dev-" + agent))
    sc.written[agent] = last


def checkpoint(stack, agent):
    path = os.path.join(stack.root, "agents", agent, "jobs", "faults.checkpoint")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def held(cp):
    """Records the checkpoint's linear fill holds, over all its keys."""
    keys = (((cp or {}).get("clean") or {}).get("ops") or {}).get("fill", {}).get("0", {})
    return sum(len(st.get("queue", [])) for _key, st in keys.get("keys", []))


def test():
    with Stack("fill-kill") as s:
        sc = Scenario(s)
        sc.start()
        for a in sc.agents:
            write(sc, a, 0, 200)
        # Every row read and sealed except the last three of each device, which wait for
        # the value after their gap: the newest checkpoint holds them.
        wait_until(lambda: all(held(checkpoint(s, a)) == 3 for a in sc.agents), 60,
                   what="checkpoints holding the last gap's records")
        for a in sc.agents:
            s.stop(f"agent-{a}", sig=signal.SIGKILL)
        for a in sc.agents:
            write(sc, a, 200, 260)  # closes the gap
            sc.start_agent(a)
        st, ref = sc.wait_reconciled()
        for a in sc.agents:
            assert "resumes at its checkpoint" in s.log(f"agent-{a}"), s.log(f"agent-{a}")
            reasons = st[a]["counters"]["reasons"]
            repairs = st[a]["counters"].get("repairs", {})
            # The 6 rows of the gap over max_gap dropped; the 25 two-row gaps (rows 7-8,
            # 17-18, ..., 257-258 but 197-198) and the three held rows (197-199) filled.
            assert reasons.get("fill") == 6, reasons
            assert repairs.get("fill_linear") == 2 * 25 + 3, repairs
            assert held(checkpoint(s, a)) == 0, checkpoint(s, a)


run_test(test)
