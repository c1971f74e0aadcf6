#!/usr/bin/env bash
# edgeline-agent run vs the pandas baseline on the same file, in the same run
# (docs/benchmarks.md#agent-vs-pandas).
#
#   bench/agent_vs_pandas.sh [BUILD_DIR] [ROWS]
#
# BUILD_DIR: a Release build with edgeline-agent (default build-bench). ROWS: readings in
# the generated file (default 4000000, ~200 MB). The file is generated once into
# BUILD_DIR/bench/sensor-ROWS.csv by bench/gen_sensor_data.py. Each tool runs RUNS times
# (default 3), alternating; the script prints every run and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-bench}
ROWS=${2:-4000000}
RUNS=${RUNS:-3}
AGENT="$BUILD/agent/edgeline-agent"
DATA="$BUILD/bench/sensor-$ROWS.csv"
[ -x "$AGENT" ] || { echo "no $AGENT: build it in Release first (see docs/benchmarks.md)" >&2; exit 2; }
/usr/bin/python3 -c "import pandas" 2>/dev/null ||
  { echo "pandas missing: apt-get install python3-pandas" >&2; exit 2; }
mkdir -p "$BUILD/bench"
[ -f "$DATA" ] || python3 bench/gen_sensor_data.py "$ROWS" --csv "$DATA"
JOB=$(mktemp --suffix=.json); TIMES=$(mktemp); ERR=$(mktemp)
trap 'rm -f "$JOB" "$TIMES" "$ERR"' EXIT
# The same cleaning as the pandas script: cast, drop_null temp/hum, range on hum.
cat > "$JOB" <<JSON
{"job_id": "bench", "version": 1, "target": {"agents": ["local"]}, "mode": "batch",
 "input": {"type": "file", "path": "$DATA", "format": "csv"},
 "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
            "fields": {"device": {"type": "string", "required": true}, "temp": {"type": "float"},
                       "hum": {"type": "float"}, "pressure": {"type": "float"}}},
 "clean": [{"op": "drop_null", "fields": ["temp", "hum"]},
           {"op": "range", "field": "hum", "min": 0, "max": 100}]}
JSON
echo "file: $DATA ($(stat -c %s "$DATA") bytes, $ROWS rows); $(nproc) cores; $(uname -m)"
agent_times=(); pandas_times=()
for i in $(seq "$RUNS"); do
  # Wall time and peak RSS of the whole agent process (start-up included), output to /dev/null.
  /usr/bin/time -o "$TIMES" -f "%e %M" "$AGENT" run --job "$JOB" > /dev/null 2> "$ERR"
  summary=$(grep '^{' "$ERR" | tail -1)
  read -r secs rss < "$TIMES"
  echo "agent  run $i: ${secs} s, max RSS ${rss} KB, $summary"
  agent_times+=("$secs")
  p=$(/usr/bin/python3 bench/baselines/pandas_clean.py "$DATA")
  echo "pandas run $i: $p"
  pandas_times+=("$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['seconds'])" "$p")")
done
python3 - "${agent_times[*]}" "${pandas_times[*]}" <<'PY'
import statistics, sys
a = statistics.median(float(x) for x in sys.argv[1].split())
p = statistics.median(float(x) for x in sys.argv[2].split())
print(f"median: agent {a:.3f} s, pandas {p:.3f} s, agent is {p / a:.1f}x faster")
PY
