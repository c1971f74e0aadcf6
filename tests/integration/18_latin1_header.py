"""A followed CSV file whose header row is not UTF-8 (a Latin-1 logger's "°C" in a column
the job does not use): the header is kept in the job's checkpoint, which must still be
written (invalid bytes replaced), so the agent neither crashes nor stops, and a restart
resumes at the checkpoint. Counters and windows equal the reference."""

import signal

from faults import Scenario, row
from harness import Stack, run_test, wait_until


def test():
    with Stack("latin1-header") as s:
        sc = Scenario(s, agents=("pi-01",))
        with open(sc.path("pi-01"), "wb") as f:
            f.write(b"ts,device,temp,hum,unit \xb0C\n")
        sc.start()

        def write(first, last):
            with open(sc.path("pi-01"), "ab") as f:
                for i in range(first, last):
                    unit = b"\xb0C" if i == 150 else b"C"  # one Latin-1 row: invalid_utf8
                    f.write(row(i, "dev-pi-01").rstrip("\n").encode() + b"," + unit + b"\n")
            sc.written["pi-01"] = last

        write(0, 300)
        wait_until(lambda: ((sc.statuses()["pi-01"] or {}).get("counters") or {}).get("read") == 300,
                   60, what="the agent read the first rows")
        s.stop("agent-pi-01", sig=signal.SIGKILL)
        write(300, 500)
        sc.start_agent("pi-01")
        st, _ref = sc.wait_reconciled()
        assert st["pi-01"]["counters"]["reasons"].get("invalid_utf8") == 1, st["pi-01"]
        log = s.log("agent-pi-01")
        assert "resumes at its checkpoint" in log, log
        assert "terminate" not in log and "what()" not in log, log


run_test(test)
