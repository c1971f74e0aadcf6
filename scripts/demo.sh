#!/usr/bin/env bash
# `make demo`: runs the whole pipeline on the shipped sample data (see scripts/demo.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export EDGELINE_BIN_DIR="$(cd "${BUILD:-build}" && pwd)"
exec python3 scripts/demo.py
