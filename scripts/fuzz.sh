#!/usr/bin/env bash
# `make fuzz`: builds the fuzz targets with clang, libFuzzer, ASan and UBSan, and runs
# each for FUZZ_SECONDS (default 60) from its corpus in tests/fuzz/corpus/. New inputs go
# to $BUILD/corpus (not the repository); a crash stops with the crasher's path; copy it
# into tests/fuzz/corpus/<target>/ so the normal build replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-"batch_decoder_fuzz job_spec_fuzz csv_scanner_fuzz csv_reader_fuzz ndjson_reader_fuzz timestamp_fuzz ack_fuzz"}

if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
fi
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEDGELINE_FUZZ=ON -DEDGELINE_SANITIZE=address -DEDGELINE_BUILD_AGGREGATOR=OFF \
  -DEDGELINE_BUILD_CLI=OFF >/dev/null
for t in $TARGETS; do
  cmake --build "$BUILD" -j2 --target "$t" -- --no-print-directory >/dev/null
done
for t in $TARGETS; do
  work="$BUILD/corpus/$t"
  mkdir -p "$work" "$BUILD/crashes"
  echo "== $t for ${SECONDS_EACH}s"
  "$BUILD/tests/fuzz/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 \
    -artifact_prefix="$BUILD/crashes/$t-" -print_final_stats=1 "$work" "tests/fuzz/corpus/$t" \
    2>&1 | grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)" || true
  if ls "$BUILD/crashes/$t-"* >/dev/null 2>&1; then
    echo "fuzz: $t found crashes: $(ls "$BUILD/crashes/$t-"*)" >&2
    exit 1
  fi
done
