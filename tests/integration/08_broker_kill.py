"""Issue scenario 1: the broker killed with SIGKILL mid-stream and restarted, 3 times
(without persistence, so whatever it held is gone, retained job specs included). The
agents keep spooling, reconnect, and re-send what was not acknowledged; the windows
equal the reference exactly."""

import signal
import time

from faults import Scenario
from harness import Stack, run_test


def test():
    with Stack("broker-kill") as s:
        sc = Scenario(s)
        sc.start()
        sc.start_writers(total=3000)
        for _ in range(3):
            time.sleep(1.5)
            s.stop("mosquitto", sig=signal.SIGKILL)
            time.sleep(1.0)
            s.start_broker()
        sc.join_writers()
        st, _ = sc.wait_reconciled()
        for a in sc.agents:
            assert "(reconnect)" in s.log(f"agent-{a}")


run_test(test)
