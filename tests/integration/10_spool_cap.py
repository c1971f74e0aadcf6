"""Issue scenario 5: the spool cap is reached during a broker outage. The agent drops the
oldest spooled batches and counts them (batches and records); nothing else is lost.
Dropped batches that had been sent but not acknowledged (the broker died holding their
acks) may have reached the aggregator: the agent counts those records separately as
unconfirmed. At the aggregator the missing records number between the dropped records
minus the unconfirmed ones and the dropped records, and form one contiguous run of the
oldest unacknowledged data."""

import signal
import time

from faults import Scenario
from harness import Stack, wait_until, run_test


def test():
    with Stack("spool-cap") as s:
        sc = Scenario(s, agents=("pi-01",), agent_flags=("--spool-max-bytes", "40000"))
        sc.start()
        sc.start_writers(rows_per_tick=20, tick_s=0.05, total=6000)
        time.sleep(2)
        s.stop("mosquitto", sig=signal.SIGKILL)
        time.sleep(10)
        s.start_broker()
        sc.join_writers()
        st, ref = sc.wait_reconciled(timeout=120, dropped_ok=True)
        spool = st["pi-01"]["spool"]
        dropped = spool["dropped_records"]
        assert spool["dropped_batches"] > 0 and dropped > 0, spool
        log = s.log("agent-pi-01")
        assert log.count("spool over 40000 bytes: dropping batch") == spool["dropped_batches"]

        unconfirmed = spool["dropped_unconfirmed_records"]
        kept = ref["summary"]["pi-01"]["kept"]
        wait_until(lambda: kept - dropped <= sum(w["count"] for w in sc.windows()
                                                 if w["field"] == "temp")
                   <= kept - dropped + unconfirmed, 30,
                   what="aggregator holds every record not dropped")
        got = {w["window_start"]: w["count"] for w in sc.windows() if w["field"] == "temp"}
        want = {w["window_start"]: w["count"] for w in ref["windows"] if w["field"] == "temp"}
        deficit = [(start, want[start] - got.get(start, 0)) for start in sorted(want)]
        assert all(d >= 0 for _, d in deficit), deficit
        missing = sum(d for _, d in deficit)
        assert dropped - unconfirmed <= missing <= dropped, (missing, spool)
        # One contiguous run: windows before and after are complete, those inside empty.
        hit = [i for i, (_, d) in enumerate(deficit) if d > 0]
        assert hit == list(range(hit[0], hit[-1] + 1)), deficit
        for i in hit[1:-1]:
            assert deficit[i][1] == want[deficit[i][0]], f"window {i} only partly dropped"
        print(f"dropped {spool['dropped_batches']} batches, {dropped} records "
              f"({unconfirmed} unconfirmed), missing {missing}, windows {hit}")


run_test(test)
