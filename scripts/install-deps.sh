#!/usr/bin/env bash
# Installs edgeline's build and test dependencies from Debian/Ubuntu packages.
# Does nothing when every package is already present; uses sudo when not root.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config g++ make
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev
  mosquitto mosquitto-clients
  nlohmann-json3-dev libsimdjson-dev prometheus-cpp-dev
  catch2 libsqlite3-dev sqlite3 libzstd-dev libhwy-dev libsystemd-dev
  libcpp-httplib-dev libbenchmark-dev
  prometheus
  python3 python3-yaml curl
  # The zone database: the agent reads schema.timestamp.timezone from it, the unit tests
  # resolve Europe/Berlin and others.
  tzdata
  # systemd-analyze verify for the units (tests/integration/14_deploy_files.py); nothing
  # is started.
  systemd
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
