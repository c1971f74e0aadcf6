#!/usr/bin/env bash
# `make cross-arm64`: cross-compiles the agent for arm64, runs its unit tests under
# qemu-aarch64 (CPU cortex-a72, so the CSV scanner's NEON path runs), and builds the
# arm64 .deb (build-arm64/edgeline-agent_VERSION_arm64.deb). Slow; not part of `make test`.
#
# Needs (installed here with apt when missing, as root or through sudo):
#   dpkg --add-architecture arm64, crossbuild-essential-arm64, qemu-user, and the
#   :arm64 -dev packages of the agent's libraries.
# Two of those cannot be installed next to their amd64 versions (Debian 12):
# libsimdjson-dev has no Multi-Arch field, and prometheus-cpp-dev depends on the
# `civetweb` binary package, which is not Multi-Arch either; apt would remove the
# amd64 -dev packages the native build needs. Those are downloaded with
# `apt-get download` and unpacked into build-arm64/sysroot instead (their runtime
# libraries, which are Multi-Arch: same, are installed normally).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_ARM64:-build-arm64}
JOBS=${JOBS:-1}  # one compile job by default: the machine is shared and 2-core
SYSROOT="$PWD/$BUILD/sysroot"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Installable side by side with the amd64 packages.
PKGS=(
  crossbuild-essential-arm64 qemu-user
  libpaho-mqttpp-dev:arm64 libpaho-mqtt-dev:arm64 libssl-dev:arm64
  libzstd-dev:arm64 libhwy-dev:arm64 libsystemd-dev:arm64
  libcivetweb-dev:arm64 zlib1g-dev:arm64 libcurl4-openssl-dev:arm64
  libsimdjson14:arm64 libprometheus-cpp-core1.0:arm64 libprometheus-cpp-pull1.0:arm64
  libprometheus-cpp-push1.0:arm64
)
# Unpacked into the private sysroot.
SYSROOT_DEBS=(libsimdjson-dev:arm64 prometheus-cpp-dev:arm64)

step() { echo "cross-arm64: $*" >&2; }

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  step "dpkg --add-architecture arm64"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
fi
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show libhwy-dev:arm64 >/dev/null 2>&1; then $SUDO apt-get update -qq; fi
  # Refuse anything that would remove a package (the native build's -dev packages).
  if $SUDO apt-get install -s --no-install-recommends "${missing[@]}" | grep -q '^Remv'; then
    echo "cross-arm64: installing ${missing[*]} would remove packages:" >&2
    $SUDO apt-get install -s --no-install-recommends "${missing[@]}" | grep '^Remv' >&2
    exit 1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f "$SYSROOT/.done" ]; then
  step "unpacking ${SYSROOT_DEBS[*]} into $SYSROOT"
  rm -rf "$SYSROOT" "$BUILD/debs"
  mkdir -p "$SYSROOT" "$BUILD/debs"
  (cd "$BUILD/debs" && apt-get download -qq "${SYSROOT_DEBS[@]}" \
     libsimdjson14:arm64 libprometheus-cpp-core1.0:arm64 libprometheus-cpp-pull1.0:arm64 \
     libprometheus-cpp-push1.0:arm64)
  for d in "$BUILD"/debs/*.deb; do dpkg-deb -x "$d" "$SYSROOT"; done
  touch "$SYSROOT/.done"
fi

# Catch2 v2 (catch2, Multi-Arch: foreign) ships its main as an amd64 static library,
# /usr/lib/libCatch2WithMain.a: build that one-file library for arm64 into the sysroot,
# next to a copy of the package's CMake config and headers, which find_package prefers.
if [ ! -f "$SYSROOT/usr/lib/libCatch2WithMain.a" ]; then
  step "building Catch2WithMain for arm64 into $SYSROOT"
  mkdir -p "$SYSROOT/usr/lib/cmake" "$SYSROOT/usr/include" "$BUILD/catch2"
  cp -r /usr/lib/cmake/Catch2 "$SYSROOT/usr/lib/cmake/"
  cp -r /usr/include/catch2 "$SYSROOT/usr/include/"
  printf '#define CATCH_CONFIG_MAIN\n#include <catch2/catch.hpp>\n' > "$BUILD/catch2/main.cc"
  aarch64-linux-gnu-g++ -std=c++17 -O2 -I"$SYSROOT/usr/include" -c "$BUILD/catch2/main.cc" \
    -o "$BUILD/catch2/main.o"
  aarch64-linux-gnu-ar rcs "$SYSROOT/usr/lib/libCatch2WithMain.a" "$BUILD/catch2/main.o"
fi

step "configure ($BUILD)"
export EDGELINE_ARM64_SYSROOT="$SYSROOT"
cmake -S . -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="$PWD/packaging/toolchain-aarch64.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DEDGELINE_BUILD_AGGREGATOR=OFF -DEDGELINE_BUILD_CLI=OFF \
  -DEDGELINE_BUILD_TESTS=ON >/dev/null
step "build"
cmake --build "$BUILD" -j"$JOBS"
file "$BUILD/agent/edgeline-agent"

step "unit tests under qemu-aarch64 -cpu cortex-a72"
qemu-aarch64 -cpu cortex-a72 "$BUILD/agent/edgeline-agent" --version
tests_ok=1
(cd "$BUILD" && ctest --output-on-failure -L unit -j"$JOBS") || tests_ok=0
# The SIMD targets the scanner's property test ran (CsvSimdTargetName), on a Pi 4's CPU
# and on qemu's "max" CPU (which has SVE).
for cpu in cortex-a72 max; do
  targets=$(qemu-aarch64 -cpu "$cpu" "$BUILD/tests/agent_test" -s \
              "scanner property: every SIMD target this CPU supports" |
            sed -n 's/^ *"\([A-Za-z0-9_]*\)" == "\1"$/\1/p' | sort -u | tr '\n' ' ')
  step "-cpu $cpu: CSV scanner tested on SIMD targets: ${targets:-?}"
done

step "package"
(cd "$BUILD" && cpack -G DEB)
dpkg-deb -I "$BUILD"/edgeline-agent_*_arm64.deb | grep -E 'Package|Version|Architecture|Depends' >&2
if [ "$tests_ok" != 1 ]; then
  step "FAILED: unit tests failed on arm64 (above); package built anyway:" \
       "$(ls "$BUILD"/edgeline-agent_*_arm64.deb)"
  exit 1
fi
step "ok: $(ls "$BUILD"/edgeline-agent_*_arm64.deb)"
