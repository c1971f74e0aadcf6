"""Issue scenario 3: the aggregator killed with SIGKILL mid-stream and restarted, 3 times.
Batches it had received but not committed were never acknowledged, so the agents re-send
them; those it had committed are recognised as duplicates. The windows equal the
reference exactly."""

import signal
import time

from faults import Scenario
from harness import Stack, run_test


def test():
    with Stack("aggregator-kill") as s:
        sc = Scenario(s)
        sc.start()
        sc.start_writers(total=3000)
        for _ in range(3):
            time.sleep(1.5)
            s.stop("aggregator", sig=signal.SIGKILL)
            time.sleep(0.5)
            s.start_aggregator()
        sc.join_writers()
        sc.wait_reconciled()


run_test(test)
