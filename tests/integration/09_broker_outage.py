"""Issue scenario 2: the broker down for 30 s while the agents keep reading a growing
file. Batches pile up in the spools; after the restart the backlog drains (re-sent
batches flagged historical) and the windows equal the reference exactly."""

import signal
import time

from faults import Scenario
from harness import Stack, run_test


def test():
    with Stack("broker-outage") as s:
        sc = Scenario(s)
        sc.start()
        sc.start_writers(rows_per_tick=10, tick_s=0.05, total=8000)  # ~40 s of data
        time.sleep(3)
        s.stop("mosquitto", sig=signal.SIGKILL)
        down = time.monotonic()
        time.sleep(30)
        # The spools grew while the broker was away.
        spooled = {a: sum(1 for _ in __import__("os").scandir(
            f"{s.root}/agents/{a}/spool/faults")) for a in sc.agents}
        assert all(n > 20 for n in spooled.values()), spooled
        s.start_broker()
        print(f"broker down {time.monotonic() - down:.1f} s; spooled batches {spooled}")
        sc.join_writers()
        sc.wait_reconciled(timeout=120)
        m = s.metrics()
        assert m['edgeline_aggregator_batches_total{outcome="invalid"}'] == 0


run_test(test)
