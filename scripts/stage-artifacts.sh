#!/usr/bin/env bash
# Copies built component binaries into the artifact layout the runtime reads:
#   <dest>/<ComponentName>/<version>/<binary>-<arch>
# usage: scripts/stage-artifacts.sh <profile-dir> <dest>    e.g. target/release run/artifacts
set -euo pipefail
src=${1:-target/release}
dest=${2:-run/artifacts}
case "$(uname -m)" in
  x86_64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  armv7*|armhf) arch=armv7 ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
# component name, version, binary
while read -r name version binary; do
  [ -z "$name" ] && continue
  [ -x "$src/$binary" ] || { echo "missing $src/$binary: build it first" >&2; exit 1; }
  mkdir -p "$dest/$name/$version"
  cp -f "$src/$binary" "$dest/$name/$version/$binary-$arch"
  echo "staged $name $version -> $dest/$name/$version/$binary-$arch"
done <<LIST
com.smartfactory.ExampleSensor 0.1.0 example-sensor
com.smartfactory.ModbusAdapter 0.1.0 modbus-adapter
com.smartfactory.MqttAdapter 0.1.0 mqtt-adapter
com.smartfactory.FilterAggregator 0.1.0 filter-aggregator
LIST
