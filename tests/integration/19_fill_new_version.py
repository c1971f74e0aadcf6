"""A tail job with a linear fill (unfilled "keep") replaced by a new version while the fill
holds records back: the old version seals what it holds, released unfilled, before the
new version takes over at its cursors, so no row is lost at the switch
(docs/architecture.md#checkpoints-agent). Every row written reaches the aggregator once."""

import json
import time

import faults
from faults import Scenario
from harness import Stack, run_test, wait_until

ORIGINAL_SPEC = faults.job_spec


def fill_spec(root, mode="stream", batch_max_records=40):
    spec = ORIGINAL_SPEC(root, mode=mode, batch_max_records=batch_max_records)
    spec["clean"] = [{"op": "fill", "fields": ["temp"], "method": "linear", "by": ["device"],
                      "max_gap": 5, "unfilled": "keep"}]
    return spec


faults.job_spec = fill_spec


def row(i):
    """Row i of device d: temp null in rows 97-99, held when the new version arrives."""
    ts = faults.START_MS + i * faults.STEP_MS
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 1000)) + ".%03dZ" % (ts % 1000)
    temp = "" if 97 <= i < 100 else "%.2f" % (18 + i % 7)
    return f"{iso},d,{temp},{40 + i % 50}.5\n"


def write(sc, first, last):
    with open(sc.path("pi-01"), "a") as f:
        for i in range(first, last):
            f.write(row(i))


def counts(sc):
    got = {}
    for w in sc.windows():
        got[w["field"]] = got.get(w["field"], 0) + w["count"]
    return got


def test():
    with Stack("fill-new-version") as s:
        sc = Scenario(s, agents=("pi-01",))
        sc.start()
        write(sc, 0, 100)
        # Rows 0-96 sealed, 97-99 held for the value after their gap.
        wait_until(lambda: counts(sc).get("hum") == 97, 60, what="rows 0-96 in the aggregator")
        spec = fill_spec(s.root)
        spec["version"] = 2
        with open(sc.spec_file, "w") as f:
            json.dump(spec, f)
        s.cli("job", "submit", sc.spec_file)
        wait_until(lambda: (sc.statuses()["pi-01"] or {}).get("version") == 2 and
                   sc.statuses()["pi-01"].get("state") == "running", 60, what="version 2 running")
        write(sc, 100, 120)
        # Version 1 sealed the three held rows unfilled (temp null) when it was replaced;
        # version 2 read rows 100-119 from version 1's cursor.
        wait_until(lambda: counts(sc) == {"hum": 120, "temp": 117}, 60,
                   what="every row once in the aggregator")
        time.sleep(1)
        assert counts(sc) == {"hum": 120, "temp": 117}, counts(sc)
        c = sc.statuses()["pi-01"]["counters"]
        assert (c["read"], c["kept"]) == (20, 20), c  # version 2 counts anew


run_test(test)
