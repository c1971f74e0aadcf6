#!/usr/bin/env bash
# A Release build with profile-guided optimisation (GCC), docs/benchmarks.md#pgo:
#   1. builds edgeline-agent instrumented (-DEDGELINE_PGO=GENERATE),
#   2. trains it: `edgeline-agent run` over generated sensor data (another seed than the
#      benchmarks' data): CSV with drop_null and range, CSV with most other clean ops, CSV
#      from stdin, CSV with epoch-ms timestamps, ';' and decimal commas, NDJSON (flat lines,
#      the fast path; nested ones read by JSON paths, simdjson), and one JSON array (code
#      it never runs is compiled as without a profile);
#   3. rebuilds everything with the profiles (-DEDGELINE_PGO=USE) and, when the build has
#      the tests, runs the unit tests on it.
# Usage: scripts/pgo-build.sh [BUILD_DIR] [extra cmake arguments...]
#   e.g. scripts/pgo-build.sh build-pgo -DEDGELINE_BUILD_BENCH=ON
# ROWS=N sets the training rows (default 400000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-pgo}
shift || true
ROWS=${ROWS:-400000}
JOBS=${JOBS:-2}
PROFILES="$(realpath -m "$BUILD")/pgo-profile"  # absolute: the compiler runs in subdirectories
TRAIN="$BUILD/pgo-train"

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DEDGELINE_PGO=GENERATE \
  "-DEDGELINE_PGO_DIR=$PROFILES" "$@"
cmake --build "$BUILD" -j"$JOBS" --target edgeline-agent
rm -rf "$PROFILES" "$TRAIN"
mkdir -p "$TRAIN"
python3 bench/gen_sensor_data.py "$ROWS" --seed 7 --csv "$TRAIN/train.csv" \
  --ndjson "$TRAIN/train.ndjson"
# The same rows as one JSON array, and as CSV with epoch ms, ';' and decimal commas.
python3 - "$TRAIN" <<'PY'
import csv, datetime, json, sys
d = sys.argv[1]
with open(f"{d}/train.ndjson") as f, open(f"{d}/train.json", "w") as o:
    o.write("[" + ",\n".join(line.rstrip("\n") for line in f) + "]\n")
# The readings one level down, read by JSON paths: NDJSON lines the fast path leaves to
# simdjson.
with open(f"{d}/train.ndjson") as f, open(f"{d}/train-nested.ndjson", "w") as o:
    for line in f:
        r = json.loads(line)
        o.write(json.dumps({"ts": r.pop("ts"), "sensor": r}, separators=(",", ":")) + "\n")
with open(f"{d}/train.csv", newline="") as f, open(f"{d}/train-eu.csv", "w", newline="") as o:
    w = csv.writer(o, delimiter=";")
    for i, row in enumerate(csv.reader(f)):
        if i > 0:
            try:
                t = datetime.datetime.fromisoformat(row[0].replace("Z", "+00:00"))
                row[0] = str(int(t.timestamp() * 1000))
            except ValueError:
                pass
            row[2:] = [v.replace(".", ",") for v in row[2:]]
        w.writerow(row)
PY

schema='"schema": {"timestamp": {"field": "ts", "format": "iso8601"}, "keys": ["device"],
  "fields": {"device": {"type": "string", "required": true},
             "temp": {"type": "float", "unit": "degC"}, "hum": {"type": "float"},
             "pressure": {"type": "float"}}}'
head='"version": 1, "target": {"agents": ["local"]}, "mode": "batch"'
cat > "$TRAIN/csv-quick.json" <<JSON
{"job_id": "csv-quick", $head, $schema,
 "input": {"type": "file", "path": "$TRAIN/train.csv", "format": "csv"},
 "clean": [{"op": "drop_null", "fields": ["temp", "hum"]},
           {"op": "range", "field": "hum", "min": 0, "max": 100}]}
JSON
cat > "$TRAIN/csv-ops.json" <<JSON
{"job_id": "csv-ops", $head, $schema,
 "input": {"type": "file", "path": "$TRAIN/train.csv", "format": "csv"},
 "clean": [{"op": "fill", "fields": ["temp"], "method": "linear", "by": ["device"],
            "max_gap": 5, "unfilled": "keep"},
           {"op": "fill", "fields": ["hum"], "method": "previous", "by": ["device"]},
           {"op": "range", "field": "hum", "min": 0, "max": 100, "action": "clamp"},
           {"op": "outlier", "field": "pressure", "method": "hampel", "window": 7,
            "threshold": 3, "by": ["device"], "action": "clamp"},
           {"op": "convert", "field": "temp", "to": "degF"},
           {"op": "dedup", "by": ["device", "ts"], "horizon": "10m"},
           {"op": "filter", "where": "temp > 0"},
           {"op": "round", "field": "pressure", "digits": 1},
           {"op": "rename", "fields": {"temp": "temp_f"}}]}
JSON
cat > "$TRAIN/csv-eu.json" <<JSON
{"job_id": "csv-eu", $head,
 "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
            "fields": {"device": {"type": "string"}, "temp": {"type": "float"},
                       "hum": {"type": "float"}, "pressure": {"type": "float"}}},
 "input": {"type": "file", "path": "$TRAIN/train-eu.csv", "format": "csv",
           "csv": {"delimiter": ";", "decimal": ","}},
 "clean": [{"op": "drop_null", "fields": ["temp"]}]}
JSON
cat > "$TRAIN/json-array.json" <<JSON
{"job_id": "json-array", $head, $schema,
 "input": {"type": "file", "path": "$TRAIN/train.json", "format": "json"},
 "clean": [{"op": "range", "field": "hum", "min": 0, "max": 100}]}
JSON
cat > "$TRAIN/ndjson.json" <<JSON
{"job_id": "ndjson", $head, $schema,
 "input": {"type": "file", "path": "$TRAIN/train.ndjson", "format": "ndjson"},
 "clean": [{"op": "drop_null", "fields": ["temp"]},
           {"op": "range", "field": "hum", "min": 0, "max": 100}]}
JSON
cat > "$TRAIN/ndjson-nested.json" <<JSON
{"job_id": "ndjson-nested", $head,
 "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
            "fields": {"device": {"type": "string", "path": "/sensor/device"},
                       "temp": {"type": "float", "path": "/sensor/temp"},
                       "hum": {"type": "float", "path": "/sensor/hum"},
                       "pressure": {"type": "float", "path": "/sensor/pressure"}}},
 "input": {"type": "file", "path": "$TRAIN/train-nested.ndjson", "format": "ndjson"},
 "clean": [{"op": "drop_null", "fields": ["temp"]}]}
JSON
AGENT="$BUILD/agent/edgeline-agent"
for job in csv-quick csv-ops csv-eu ndjson ndjson-nested json-array; do
  echo "training: $job"
  "$AGENT" run --job "$TRAIN/$job.json" > /dev/null
done
echo "training: csv-quick from stdin"
"$AGENT" run --job "$TRAIN/csv-quick.json" --input - < "$TRAIN/train.csv" > /dev/null

rm -rf "$TRAIN"

cmake -S . -B "$BUILD" -DEDGELINE_PGO=USE
cmake --build "$BUILD" -j"$JOBS"
if [ -x "$BUILD/tests/agent_test" ]; then
  (cd "$BUILD" && ctest -L unit -j"$JOBS" --output-on-failure)
fi
echo "PGO build ready in $BUILD (profiles in $PROFILES)"
