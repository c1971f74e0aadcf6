#!/usr/bin/env python3
"""Generate edgeline's shipped sample sensor files (deterministic, stdlib only).

Writes, relative to the repository root (or --root):

  examples/data/pi-01/greenhouse.csv    gh-01, LF line endings, trailing newline
  examples/data/pi-02/greenhouse.csv    gh-02, CRLF line endings, NO trailing newline
  examples/data/pi-03/coldroom.ndjson   cr-01, one JSON object per line (degF)

Every file covers 2026-11-01T10:00:00Z (epoch ms 1793527200000) + 15 minutes,
one reading every 10 s (90 readings), plus deliberate dirt at fixed, hand-picked
positions (see the DIRT tables below and examples/data/README.md). The random
generator only decides the clean sensor values, and it is seeded, so running
this script again reproduces the committed files byte for byte.

Usage: python3 scripts/gen-sample-data.py [--root DIR] [--check]
  --check  do not write; exit 1 if the committed files differ from the output
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import sys

SEED = 20261101
START = dt.datetime(2026, 11, 1, 10, 0, 0, tzinfo=dt.timezone.utc)
START_MS = 1793527200000
STEP_S = 10
N = 90  # 15 minutes / 10 s

assert int(START.timestamp()) * 1000 == START_MS


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def iso(i, frac=False, plus_one=False):
    """ISO 8601 timestamp of slot i. frac: '.500' fractional seconds (reading
    arrived half a second late). plus_one: written in local time +01:00."""
    t = START + dt.timedelta(seconds=STEP_S * i)
    if frac:
        t += dt.timedelta(milliseconds=500)
    if plus_one:
        t = t.astimezone(dt.timezone(dt.timedelta(hours=1)))
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        s += ".%03d" % (t.microsecond // 1000)
    return s + ("+01:00" if plus_one else "Z")


def csv_quote(cell):
    """RFC 4180 quoting: quote when the cell holds a delimiter, quote or newline."""
    if any(c in cell for c in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_line(cells):
    return ",".join(csv_quote(c) for c in cells)


def fmt(x, decimals):
    return "%.*f" % (decimals, x)


# ---------------------------------------------------------------------------
# greenhouse CSV
# ---------------------------------------------------------------------------

# Per-file dirt, keyed by slot index (slot i is 10:00:00Z + 10*i s).
#   temp/hum/pressure: literal cell text replacing the generated value
#   ts: literal timestamp text; frac / plus_one: timestamp formatting
#   raw: the whole line written verbatim (field-count error)
#   dup_after: write an exact copy of this row after slot <dup_after> (same
#              slot = immediately after it)
GREENHOUSE = {
    "pi-01": {
        "device": "gh-01", "temp0": 21.6, "temp_slope": 0.022, "hum0": 63.0,
        "hum_slope": -0.06, "p0": 1013.4, "crlf": False, "trailing_newline": True,
        "notes": {12: 'vent open, "auto"', 47: "misting on", 71: "shade 50%"},
        "dirt": {
            7: {"temp": ""},                      # missing temp   -> drop_null
            11: {"frac": True},
            16: {"temp": "ERR"},                  # garbage        -> cast_error
            20: {"plus_one": True, "dup_after": 20},  # exact dup -> dedup
            25: {"hum": "130"},                   # hum > 100      -> range
            29: {"plus_one": True},
            38: {"temp": "85.5"},                 # temp > 60      -> range
            44: {"dup_after": 47},                # dup 3 rows later -> dedup
            52: {"ts": "not-a-time"},             # -> bad_timestamp
            58: {"frac": True},
            60: {"plus_one": True},               # 11:10:00+01:00 = window start
            64: {"raw_note": "vent open, auto"},  # unquoted comma: 7 fields -> csv_field_count
            83: {"frac": True},
        },
    },
    "pi-02": {
        "device": "gh-02", "temp0": 19.4, "temp_slope": 0.018, "hum0": 72.0,
        "hum_slope": -0.05, "p0": 1012.9, "crlf": True, "trailing_newline": False,
        "notes": {20: 'door ajar, "manual"', 60: 'vent open, "auto"'},
        "dirt": {
            9: {"hum": ""},                       # missing hum    -> drop_null
            14: {"frac": True, "dup_after": 14},  # exact dup      -> dedup
            18: {"hum": "--"},                    # garbage        -> cast_error
            30: {"plus_one": True},               # 11:05:00+01:00 = window start
            33: {"hum": "-5"},                    # hum < 0        -> range
            41: {"temp": "85.5"},                 # temp > 60      -> range
            45: {"frac": True},
            50: {"dup_after": 54},                # dup 4 rows later -> dedup
            57: {"ts": "not-a-time"},             # -> bad_timestamp
            62: {"frac": True, "plus_one": True, "dup_after": 62},  # -> dedup
            68: {"pressure": ""},                 # missing pressure: kept (not checked)
            76: {"truncate": 5},                  # only 5 fields -> csv_field_count
            79: {"plus_one": True},
            86: {"frac": True},
        },
    },
}

CSV_HEADER = ["ts", "device", "temp", "hum", "pressure", "note"]


def gen_greenhouse(agent, cfg, rng):
    rows = []  # list of (slot, line)
    dups = {}  # slot after which to write -> list of lines
    for i in range(N):
        d = cfg["dirt"].get(i, {})
        # slow warm-up with sensor noise; humidity falls as the air warms
        temp = cfg["temp0"] + cfg["temp_slope"] * i + 0.35 * math.sin(i / 9.0) + rng.gauss(0, 0.12)
        hum = cfg["hum0"] + cfg["hum_slope"] * i - 1.2 * math.sin(i / 9.0) + rng.gauss(0, 0.6)
        pres = cfg["p0"] + 0.15 * math.sin(i / 23.0) + rng.gauss(0, 0.08)
        tdec = rng.choice((1, 2, 2))
        cells = {
            "ts": d.get("ts", iso(i, d.get("frac", False), d.get("plus_one", False))),
            "device": cfg["device"],
            "temp": d.get("temp", fmt(temp, tdec)),
            "hum": d.get("hum", fmt(hum, 1)),
            "pressure": d.get("pressure", fmt(pres, 1)),
            "note": cfg["notes"].get(i, ""),
        }
        if "raw_note" in d:
            # the logger forgot to quote a note containing a comma
            line = csv_line([cells[h] for h in CSV_HEADER[:-1]]) + "," + d["raw_note"]
        elif "truncate" in d:
            line = csv_line([cells[h] for h in CSV_HEADER[: d["truncate"]]])
        else:
            line = csv_line([cells[h] for h in CSV_HEADER])
        rows.append((i, line))
        if "dup_after" in d:
            dups.setdefault(d["dup_after"], []).append(line)
    lines = [csv_line(CSV_HEADER)]
    for i, line in rows:
        lines.append(line)
        lines.extend(dups.get(i, []))
    eol = "\r\n" if cfg["crlf"] else "\n"
    text = eol.join(lines)
    if cfg["trailing_newline"]:
        text += eol
    return text


# ---------------------------------------------------------------------------
# coldroom NDJSON
# ---------------------------------------------------------------------------

COLDROOM_DIRT = {
    6: {"temp": None},                 # -> drop_null
    13: {"int_temp": True},            # "temp": 37 (JSON integer, accepted)
    17: {"dup_after": 17},             # exact duplicate line -> dedup
    22: {"no_temp": True},             # temp key missing -> drop_null
    35: {"truncate": True},            # truncated JSON -> json_malformed
    40: {"temp": "n/a"},               # -> cast_error
    43: {"temp": None},                # -> drop_null
    48: {"str_temp": True},            # "temp": "36.8" (numeric string, accepted)
    50: {"array_after": True},         # extra line: JSON array -> json_not_object
    55: {"no_temp": True},             # -> drop_null
    59: {"blank_after": True},         # extra blank line (ignored, not counted)
    61: {"temp": 212.0},               # 100 degC after convert -> range
    66: {"int_temp": True},
    74: {"ts": "yesterday"},           # -> bad_timestamp
    80: {"dup_after": 82},             # duplicate 2 lines later -> dedup
}


def gen_coldroom(rng):
    rows = []
    dups = {}
    for i in range(N):
        d = COLDROOM_DIRT.get(i, {})
        # compressor cycle (~5 min period) around 37 degF; door opened 10:04:10-10:04:40
        f = 37.0 + 1.3 * math.sin(2 * math.pi * i / 30.0) + rng.gauss(0, 0.12)
        door = "closed"
        if 25 <= i <= 28:
            door = "open"
            f += 0.6 * (i - 24)
        elif 29 <= i <= 32:
            f += 0.5 * (33 - i)
        f = round(f, 1)
        obj = {"ts": START_MS + 1000 * STEP_S * i, "device": "cr-01", "temp": f, "door": door}
        if "ts" in d:
            obj["ts"] = d["ts"]
        if "temp" in d:
            obj["temp"] = d["temp"]
        if d.get("int_temp"):
            obj["temp"] = int(round(f))
        if d.get("str_temp"):
            obj["temp"] = "%.1f" % f
        if d.get("no_temp"):
            del obj["temp"]
        line = json.dumps(obj)
        if d.get("truncate"):
            line = line[: line.index('"temp": ') + len('"temp": ') + 1]  # power cut mid-write
        rows.append((i, line))
        if "dup_after" in d:
            dups.setdefault(d["dup_after"], []).append(line)
        if d.get("array_after"):
            dups.setdefault(i, []).append(json.dumps([obj["ts"] + 5000, "cr-01", f, door]))
        if d.get("blank_after"):
            dups.setdefault(i, []).append("")
    lines = []
    for i, line in rows:
        lines.append(line)
        lines.extend(dups.get(i, []))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------

def outputs():
    rng = random.Random(SEED)
    out = {}
    for agent in ("pi-01", "pi-02"):
        out["examples/data/%s/greenhouse.csv" % agent] = gen_greenhouse(agent, GREENHOUSE[agent], rng)
    out["examples/data/pi-03/coldroom.ndjson"] = gen_coldroom(rng)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    bad = 0
    for rel, text in outputs().items():
        path = os.path.join(args.root, rel)
        data = text.encode("utf-8")
        if args.check:
            try:
                with open(path, "rb") as fh:
                    same = fh.read() == data
            except OSError:
                same = False
            if not same:
                print("differs: %s" % rel, file=sys.stderr)
                bad += 1
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        print("wrote %s (%d bytes)" % (rel, len(data)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
