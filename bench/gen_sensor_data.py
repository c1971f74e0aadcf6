#!/usr/bin/env python3
"""Generates the reference sensor data set for the benchmarks (stdlib only, seeded).

Writes ROWS readings as CSV (header ts,device,temp,hum,pressure) and, optionally, the same
readings as NDJSON (one object per line, same keys). The data is dirty on purpose:
about 2% of the value cells are missing or garbage (empty, "n/a", "ERR", "NaN", "--",
a decimal comma that has to be quoted in CSV like "21,5") and about 0.2% of the readings
are out of range (a sensor fault: temp 999.9 or -273.2, hum 140, pressure 0).

Usage: gen_sensor_data.py ROWS --csv OUT.csv [--ndjson OUT.ndjson] [--seed N]
"""

import argparse
import datetime
import json
import random
import sys

GARBAGE = ["n/a", "ERR", "NaN", "--", "#VALUE!", "null", "?"]


def value_cell(rng, value, decimals, out_of_range):
    """Returns (csv_text, json_value) for one value cell."""
    r = rng.random()
    if r < 0.008:  # missing
        return "", None
    if r < 0.016:  # garbage text
        g = rng.choice(GARBAGE)
        return g, g
    if r < 0.020:  # decimal comma: a string, and quoted in CSV
        g = f"{value:.{decimals}f}".replace(".", ",")
        return f'"{g}"', g
    if rng.random() < 0.002:
        value = out_of_range
    return f"{value:.{decimals}f}", round(value, decimals)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int, help="number of readings")
    ap.add_argument("--csv", required=True, help="CSV output path")
    ap.add_argument("--ndjson", help="NDJSON output path (optional)")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--devices", type=int, default=64)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    devices = [f"pi-{i:03d}" for i in range(1, args.devices + 1)]
    # Slow random walks per device, so that values look like a real fleet.
    state = {d: [rng.uniform(15, 25), rng.uniform(35, 60), rng.uniform(1000, 1025)]
             for d in devices}
    t0 = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
    step_ms = 250  # fleet-wide: one reading every 250 ms on average

    csv_out = open(args.csv, "w", newline="", encoding="utf-8")
    nd_out = open(args.ndjson, "w", encoding="utf-8") if args.ndjson else None
    csv_out.write("ts,device,temp,hum,pressure\n")
    csv_lines = []
    nd_lines = []
    for i in range(args.rows):
        ts = t0 + datetime.timedelta(milliseconds=i * step_ms + rng.randrange(step_ms))
        ts_text = ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
        dev = devices[rng.randrange(len(devices))]
        s = state[dev]
        s[0] += rng.gauss(0, 0.05)
        s[1] = min(100.0, max(0.0, s[1] + rng.gauss(0, 0.1)))
        s[2] += rng.gauss(0, 0.02)
        temp = value_cell(rng, s[0], 2, rng.choice([999.9, -273.2]))
        hum = value_cell(rng, s[1], 1, 140.0)
        pres = value_cell(rng, s[2], 2, 0.0)
        csv_lines.append(f"{ts_text},{dev},{temp[0]},{hum[0]},{pres[0]}\n")
        if nd_out:
            rec = {"ts": ts_text, "device": dev}
            for key, cell in (("temp", temp), ("hum", hum), ("pressure", pres)):
                if cell[0] != "":  # a missing CSV cell is an absent key
                    rec[key] = cell[1]
            nd_lines.append(json.dumps(rec, separators=(",", ":")) + "\n")
        if len(csv_lines) >= 65536:
            csv_out.writelines(csv_lines)
            csv_lines.clear()
            if nd_out:
                nd_out.writelines(nd_lines)
                nd_lines.clear()
    csv_out.writelines(csv_lines)
    csv_out.close()
    if nd_out:
        nd_out.writelines(nd_lines)
        nd_out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
