"""Issue scenario 4: an agent killed with SIGKILL mid-stream and restarted, 3 times, while
its input keeps growing: the tail input resumes at its persisted offset, so no row is
skipped and none repeated; the aggregator's windows equal the reference exactly."""

import signal
import time

from faults import Scenario
from harness import Stack, run_test


def test():
    with Stack("agent-kill") as s:
        sc = Scenario(s)
        sc.start()
        sc.start_writers(total=3000)
        for _ in range(3):
            time.sleep(1.2)
            for a in sc.agents:
                s.stop(f"agent-{a}", sig=signal.SIGKILL)
            time.sleep(0.3)
            for a in sc.agents:
                sc.start_agent(a)
        sc.join_writers()
        sc.wait_reconciled()
        for a in sc.agents:
            assert "resumes at its checkpoint" in s.log(f"agent-{a}"), s.log(f"agent-{a}")


run_test(test)
