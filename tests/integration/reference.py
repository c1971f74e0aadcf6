#!/usr/bin/env python3
"""Independent reference implementation of edgeline's agent cleaning and
aggregator windowing, for integration tests. Python 3 standard library only;
it shares no code with the C++ implementation.

  python3 tests/integration/reference.py --job examples/jobs/greenhouse.json \
      --agent pi-01 --agent pi-02 [--root DIR]

Prints one JSON object:
  {"summary": {"<agent>": {"read": n, "kept": n, "rejected": n, "dropped": n,
                           "reasons": {"<reason>": n, ...}}},
   "windows": [{"job", "window_start", "window_end", "key", "field", "count",
                "sum", "mean", "min", "max", "stddev"}, ...]}
"reasons" lists only reasons that occurred, sorted by name. "windows" is sorted
by (window_start, key, field).

Rules implemented (per input row, in order):
 1. Parse. CSV: RFC 4180, header row first, blank lines ignored and not counted;
    a row with bytes that are not UTF-8 -> invalid_utf8 (the header row may
    hold such bytes); a row whose field count differs from the header ->
    csv_field_count.
    NDJSON: blank (whitespace-only) lines ignored and not counted; not valid JSON
    (NaN/Infinity literals are not JSON) -> json_malformed; valid JSON that is
    not an object -> json_not_object.
 2. Timestamp (schema.timestamp.field) missing, null or unparseable ->
    bad_timestamp. iso8601: YYYY-MM-DDTHH:MM:SS[.f+][Z|+hh:mm|-hh:mm], no zone =
    UTC, fractional milliseconds truncated. epoch_ms: a JSON integer or an
    integral string. Value becomes UTC epoch milliseconds.
 3. Cast each field in schema.fields (others ignored). Empty CSV cell, JSON null
    or missing key -> null. float: decimal text (no nan/inf, no spaces, no
    underscores), a JSON number, or a JSON string holding such text; else
    cast_error. string: CSV text as-is, JSON string as-is, else cast_error.
    required and null -> missing_required. Fields are handled in schema order;
    the first failure decides the reason.
 4. Clean ops in order: drop_null, range (action drop; null passes), convert
    (degF -> degC as (f - 32) * 5 / 9), dedup (by fields + horizon, against
    earlier records that passed this op), fill with method linear (see
    AgentRun._fill_linear). Reason = op name.
 5. Counts: read (all rows except blank lines and the header), kept, rejected
    (steps 1-3), dropped (step 4), per reason.

Aggregation: tumbling windows of aggregate.window.size on event time,
window_start = floor(ts / size) * size; key = group_by values joined with "|";
per metric field over non-null values: count, sum (math.fsum), min, max,
mean = sum / count, stddev = sample standard deviation computed two-pass
(mean, then math.fsum of squared deviations), null when count < 2. All agents'
kept records feed the same aggregation.
"""

import argparse
import calendar
import csv
import glob
import json
import math
import os
import re
import sys


class SpecError(Exception):
    pass


# ---------------------------------------------------------------------------
# value parsing
# ---------------------------------------------------------------------------

DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
INTEGRAL_RE = re.compile(r"[+-]?[0-9]+\Z")
ISO_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})?\Z")
NOT_UTF8_RE = re.compile("[\udc80-\udcff]")  # bytes surrogateescape could not decode
DURATION_RE = re.compile(r"([1-9][0-9]{0,8})(ms|s|m|h|d)\Z")
DURATION_UNIT_MS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}


def parse_duration_ms(text):
    m = DURATION_RE.match(text) if isinstance(text, str) else None
    if not m:
        raise SpecError("bad duration %r" % (text,))
    return int(m.group(1)) * DURATION_UNIT_MS[m.group(2)]


def parse_decimal(text):
    """Full-match decimal number -> float, or None."""
    if not DECIMAL_RE.match(text):
        return None
    v = float(text)
    if math.isinf(v):  # overflow such as 1e999 is not a usable reading
        return None
    return v


def parse_iso8601_ms(text):
    m = ISO_RE.match(text)
    if not m:
        return None
    year, month, day, hour, minute, sec = (int(m.group(k)) for k in range(1, 7))
    if not (1 <= month <= 12 and 0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= sec <= 59):
        return None
    if year < 1 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    frac = m.group(7) or ""
    ms = int((frac + "000")[:3])
    zone = m.group(8)
    offset_min = 0
    if zone and zone != "Z":
        oh, om = int(zone[1:3]), int(zone[4:6])
        if oh > 23 or om > 59:
            return None
        offset_min = (oh * 60 + om) * (1 if zone[0] == "+" else -1)
    secs = calendar.timegm((year, month, day, hour, minute, sec, 0, 0, 0))
    return (secs - offset_min * 60) * 1000 + ms


def is_json_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def parse_timestamp(v, fmt, from_csv):
    """v: CSV cell text, or a JSON value. Returns epoch ms or None."""
    if v is None:
        return None
    if fmt == "iso8601":
        return parse_iso8601_ms(v) if isinstance(v, str) else None
    if fmt == "epoch_ms":
        if isinstance(v, str):
            return int(v) if INTEGRAL_RE.match(v) else None
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        return None
    raise SpecError("unsupported timestamp format %r" % (fmt,))


_CAST_ERROR = object()


def cast_value(v, ftype, from_csv):
    """Returns the cast value, None for null, or _CAST_ERROR."""
    if from_csv:
        if v is None or v == "":
            return None
        if ftype == "float":
            f = parse_decimal(v)
            return _CAST_ERROR if f is None else f
        return v  # string
    if v is None:
        return None
    if ftype == "float":
        if is_json_number(v):
            f = float(v)
            return _CAST_ERROR if math.isinf(f) else f
        if isinstance(v, str):
            f = parse_decimal(v)
            return _CAST_ERROR if f is None else f
        return _CAST_ERROR
    return v if isinstance(v, str) else _CAST_ERROR  # string


def _reject_constant(name):
    raise ValueError("non-JSON constant %s" % name)


# ---------------------------------------------------------------------------
# job spec
# ---------------------------------------------------------------------------

class Job:
    def __init__(self, spec):
        self.job_id = spec["job_id"]
        inp = spec["input"]
        if inp.get("type") != "file":
            raise SpecError("input.type %r not supported" % inp.get("type"))
        if spec.get("mode", "batch") != "batch":
            raise SpecError("mode %r not supported" % spec.get("mode"))
        self.path = inp["path"]
        self.format = inp["format"]
        if self.format == "csv":
            c = inp.get("csv", {})
            self.delimiter = c.get("delimiter", ",")
            if len(self.delimiter) != 1:
                raise SpecError("csv.delimiter must be one character")
            if not c.get("header", True):
                raise SpecError("csv.header false not supported")
        elif self.format != "ndjson":
            raise SpecError("input.format %r not supported" % self.format)

        sch = spec["schema"]
        self.ts_field = sch["timestamp"]["field"]
        self.ts_format = sch["timestamp"]["format"]
        if self.ts_format not in ("iso8601", "epoch_ms"):
            raise SpecError("timestamp format %r not supported" % self.ts_format)
        self.fields = []  # (name, type, required, unit) in spec order
        for name, f in sch["fields"].items():
            if f["type"] not in ("float", "string"):
                raise SpecError("field type %r not supported" % f["type"])
            if name == self.ts_field:
                raise SpecError("timestamp field listed in schema.fields not supported")
            self.fields.append((name, f["type"], bool(f.get("required", False)), f.get("unit")))
        units = {n: u for n, _, _, u in self.fields}

        self.ops = []
        for op in spec.get("clean", []):
            kind = op["op"]
            if kind == "drop_null":
                self.ops.append(("drop_null", list(op["fields"])))
            elif kind == "range":
                if op.get("action", "drop") != "drop":
                    raise SpecError("range action %r not supported" % op.get("action"))
                lo, hi = op.get("min"), op.get("max")
                self.ops.append(("range", op["field"],
                                 None if lo is None else float(lo),
                                 None if hi is None else float(hi)))
            elif kind == "convert":
                src = units.get(op["field"])
                if (src, op["to"]) != ("degF", "degC"):
                    raise SpecError("convert %r -> %r not supported" % (src, op["to"]))
                self.ops.append(("convert", op["field"]))
            elif kind == "dedup":
                self.ops.append(("dedup", list(op["by"]), parse_duration_ms(op["horizon"])))
            elif kind == "fill":
                if op.get("method") != "linear":
                    raise SpecError("fill method %r not supported" % op.get("method"))
                self.ops.append(("fill_linear", list(op["fields"]),
                                 list(op.get("by", sch.get("keys", []))),
                                 int(op.get("max_gap", 10)),
                                 op.get("unfilled", "keep") == "drop"))
            else:
                raise SpecError("clean op %r not supported" % kind)

        agg = spec.get("aggregate")
        if not agg:
            raise SpecError("job has no aggregate section")
        if agg["window"]["type"] != "tumbling":
            raise SpecError("window type %r not supported" % agg["window"]["type"])
        self.window_ms = parse_duration_ms(agg["window"]["size"])
        self.group_by = list(agg.get("group_by", []))
        known = {"count", "sum", "mean", "min", "max", "stddev"}
        for name, ms in agg["metrics"].items():
            bad = set(ms) - known
            if bad:
                raise SpecError("metrics %s not supported" % sorted(bad))
        self.metric_fields = list(agg["metrics"].keys())


# ---------------------------------------------------------------------------
# agent pipeline
# ---------------------------------------------------------------------------

def csv_rows(path, delimiter):
    """Yields ('header', fields) once, then ('row', fields) per non-blank record. The
    header may hold bytes that are not UTF-8 (kept as surrogates); a row that does is
    ('error', 'invalid_utf8')."""
    with open(path, "r", encoding="utf-8", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True,
                            strict=True)
        first = True
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error:
                # Not a rule of the spec (the shipped data has none): a record
                # with broken quoting.
                yield ("error", "csv_malformed")
                continue
            if not fields:  # blank line
                continue
            if not first and any(NOT_UTF8_RE.search(f) for f in fields):
                yield ("error", "invalid_utf8")
                continue
            yield ("header" if first else "row", fields)
            first = False


def ndjson_rows(path):
    with open(path, "rb") as fh:
        data = fh.read().decode("utf-8")
    for line in data.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip(" \t\r\n") == "":
            continue
        try:
            obj = json.loads(line, parse_constant=_reject_constant)
        except ValueError:
            yield ("error", "json_malformed")
            continue
        if not isinstance(obj, dict):
            yield ("error", "json_not_object")
            continue
        yield ("row", obj)


class AgentRun:
    def __init__(self, job):
        self.job = job
        self.read = self.kept = self.rejected = self.dropped = 0
        self.reasons = {}
        self.records = []
        self.dedup_seen = [dict() for _ in job.ops]  # per op: key -> [event ms]

    def _reject(self, reason):
        self.rejected += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def _drop(self, reason):
        self.dropped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def process_file(self, path):
        job = self.job
        if job.format == "csv":
            header = None
            for kind, payload in csv_rows(path, job.delimiter):
                if kind == "header":
                    header = payload
                    index = {}
                    for i, name in enumerate(header):
                        index[name] = i  # a name twice: the last column wins
                    continue
                self.read += 1
                if kind == "error":
                    self._reject(payload)
                    continue
                if len(payload) != len(header):
                    self._reject("csv_field_count")
                    continue
                get = lambda name, row=payload: row[index[name]] if name in index else None
                self._process(get, from_csv=True)
        else:
            for kind, payload in ndjson_rows(path):
                self.read += 1
                if kind == "error":
                    self._reject(payload)
                    continue
                self._process(payload.get, from_csv=False)

    def _process(self, get, from_csv):
        job = self.job
        ts = parse_timestamp(get(job.ts_field), job.ts_format, from_csv)
        if ts is None:
            self._reject("bad_timestamp")
            return
        rec = {job.ts_field: ts}
        for name, ftype, required, _unit in job.fields:
            v = cast_value(get(name), ftype, from_csv)
            if v is _CAST_ERROR:
                self._reject("cast_error")
                return
            if required and v is None:
                self._reject("missing_required")
                return
            rec[name] = v
        self.records.append(rec)

    def finish(self):
        """Runs the clean ops over the cast records, op by op: each op sees the records the
        ops before it let through, in input order."""
        recs = self.records
        for i, op in enumerate(self.job.ops):
            if op[0] == "fill_linear":
                recs = self._fill_linear(op, recs)
            else:
                recs = [rec for rec in recs if self._keep(i, op, rec)]
        self.records = recs
        self.kept = len(recs)

    def _keep(self, i, op, rec):
        kind = op[0]
        if kind == "drop_null":
            if any(rec.get(f) is None for f in op[1]):
                self._drop("drop_null")
                return False
        elif kind == "range":
            v = rec.get(op[1])
            if v is not None and ((op[2] is not None and v < op[2]) or
                                  (op[3] is not None and v > op[3])):
                self._drop("range")
                return False
        elif kind == "convert":
            v = rec.get(op[1])
            if v is not None:
                rec[op[1]] = (v - 32) * 5 / 9
        elif kind == "dedup":
            ts = rec[self.job.ts_field]
            key = tuple(rec.get(f) for f in op[1])
            seen = self.dedup_seen[i].setdefault(key, [])
            if any(abs(ts - t) <= op[2] for t in seen):
                self._drop("dedup")
                return False
            seen.append(ts)
        return True

    def _fill_linear(self, op, recs):
        """Linear interpolation of nulls per key (the `by` values) between the last value
        before a gap (the anchor) and the first after it: by event time (clamped to the two
        anchors), or evenly by position when they have the same time. A gap longer than
        max_gap, nulls with no value before them, and gaps still open at the end stay
        unfilled (dropped, reason "fill", with unfilled "drop"). max_keys is not modelled."""
        _, fields, by, max_gap, drop_unfilled = op
        tsf = self.job.ts_field
        state = {}         # key -> field -> [anchor (ts, value) or None, pending records]
        unfilled = set()   # id() of records left with an unfilled value
        for rec in recs:
            st = state.setdefault(tuple(rec.get(f) for f in by),
                                  {f: [None, []] for f in fields})
            for f in fields:
                anchor, pending = st[f]
                v = rec.get(f)
                if v is not None:
                    ts, n = rec[tsf], len(pending)
                    for j, h in enumerate(pending, 1):
                        a_ts, a_v = anchor
                        if ts > a_ts:
                            at = min(max(h[tsf], a_ts), ts)
                            h[f] = a_v + (v - a_v) * (at - a_ts) / (ts - a_ts)
                        else:
                            h[f] = a_v + (v - a_v) * j / (n + 1)
                    st[f] = [(rec[tsf], v), []]
                elif anchor is not None and len(pending) < max_gap:
                    pending.append(rec)
                else:
                    unfilled.update(id(h) for h in pending)
                    unfilled.add(id(rec))
                    st[f] = [None, []]
        for st in state.values():
            for _anchor, pending in st.values():
                unfilled.update(id(h) for h in pending)
        if not drop_unfilled:
            return recs
        out = []
        for rec in recs:
            if id(rec) in unfilled:
                self._drop("fill")
            else:
                out.append(rec)
        return out

    def summary(self):
        return {"read": self.read, "kept": self.kept, "rejected": self.rejected,
                "dropped": self.dropped,
                "reasons": {k: self.reasons[k] for k in sorted(self.reasons)}}


# ---------------------------------------------------------------------------
# aggregation
# ---------------------------------------------------------------------------

def key_text(v):
    # group_by values are strings in the shipped jobs; null groups as "".
    return "" if v is None else str(v)


def aggregate(job, records):
    groups = {}
    for rec in records:
        ts = rec[job.ts_field]
        start = (ts // job.window_ms) * job.window_ms
        key = "|".join(key_text(rec.get(g)) for g in job.group_by)
        for field in job.metric_fields:
            v = rec.get(field)
            if v is None:
                continue
            groups.setdefault((start, key, field), []).append(v)
    out = []
    for (start, key, field) in sorted(groups):
        xs = groups[(start, key, field)]
        n = len(xs)
        total = math.fsum(xs)
        mean = total / n
        if n >= 2:  # two-pass: mean first, then the squared deviations from it
            stddev = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
        else:
            stddev = None
        out.append({"job": job.job_id, "window_start": start,
                    "window_end": start + job.window_ms, "key": key, "field": field,
                    "count": n, "sum": total, "mean": mean, "min": min(xs),
                    "max": max(xs), "stddev": stddev})
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="edgeline reference computation")
    ap.add_argument("--job", required=True, help="job spec JSON file")
    ap.add_argument("--agent", action="append", required=True,
                    help="agent id (repeat for several agents)")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(here)),
                    help="directory input paths are relative to (default: repo root)")
    args = ap.parse_args()

    try:
        with open(args.job, "r", encoding="utf-8") as fh:
            job = Job(json.load(fh))
    except (SpecError, KeyError, TypeError, ValueError) as e:
        print("reference.py: unsupported or invalid job spec: %s" % e, file=sys.stderr)
        return 2

    summary = {}
    records = []
    for agent in args.agent:
        run = AgentRun(job)
        pattern = os.path.join(args.root, job.path.replace("{agent_id}", agent))
        paths = sorted(glob.glob(pattern))
        if not paths:
            print("reference.py: warning: no input files match %s" % pattern, file=sys.stderr)
        for p in paths:
            run.process_file(p)
        run.finish()
        summary[agent] = run.summary()
        records.extend(run.records)

    json.dump({"summary": summary, "windows": aggregate(job, records)}, sys.stdout,
              indent=2, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
