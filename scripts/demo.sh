#!/usr/bin/env bash
# The first README command: build the runtime and the example component, deploy it locally
# (no AWS account needed), show it working, then keep it running until Ctrl-C.
#   scripts/demo.sh [--seconds N]   stop by itself after N seconds (default: run until Ctrl-C)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=0
[ "${1:-}" = "--seconds" ] && seconds=${2:-0}
root=run/gg-local
say() { printf '\n==> %s\n' "$*"; }

say "Building gg-local and the components (release; first build takes a few minutes)"
cargo build --release --locked -p gg-local -p example-sensor -p modbus-adapter
say "Staging artifacts"
scripts/stage-artifacts.sh target/release run/artifacts
bin=target/release/gg-local

say "Starting the local Greengrass runtime"
mkdir -p run
"$bin" run --root "$root" --recipes recipes --artifacts run/artifacts \
  --deployment deploy/local/example.json --config deploy/local/runtime.json > run/gg-local.out 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; echo; echo "Runtime stopped. Logs: $root/logs/"' EXIT
for _ in $(seq 1 100); do
  grep -q "gg-local ready" run/gg-local.out 2>/dev/null && break
  kill -0 $pid 2>/dev/null || { cat run/gg-local.out; echo "the runtime exited early" >&2; exit 1; }
  sleep 0.2
done
cat run/gg-local.out

say "Component states"
sleep 2
"$bin" status --root "$root"

say "Three messages from local pub/sub (factory/raw/+)"
"$bin" sub --root "$root" 'factory/raw/+' --count 3 --timeout-secs 15

say "Last lines of the component's log"
tail -n 5 "$root/logs/com.smartfactory.ExampleSensor.log" || true

say "Try, from another shell:"
echo "  $bin status --root $root"
echo "  $bin sub --root $root 'factory/#' --count 5"
echo "  $bin logs --root $root com.smartfactory.ExampleSensor --follow"
if [ "$seconds" -gt 0 ]; then
  sleep "$seconds"
else
  echo "Running; press Ctrl-C to stop."
  wait $pid
fi
