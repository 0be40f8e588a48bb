#!/usr/bin/env bash
# The first README command: a small factory on this machine, no AWS account, no hardware.
# Builds (release), starts the pump-line simulator (Modbus TCP and OPC UA; MQTT sensors when a
# broker runs),
# the local Greengrass runtime gg-local with the demo deployment (every pipeline component that
# has a recipe in recipes/ and builds), a local stand-in for Kinesis and S3 that writes what the
# uploader sends under <run-dir>/cloud/, then the live view: a terminal dashboard and a web page.
# A cavitation fault is scheduled 60 s in so an alarm shows; inject more from another shell:
#   target/release/factory-sim ctl fault imbalance 30s      (kinds: valve-closure imbalance
#   target/release/factory-sim ctl clear all                  cavitation drift offline)
#
# usage: scripts/demo.sh [--seconds N] [--headless] [--fault KIND@START+DURATION]... [--no-fault]
#                        [--web-port P] [--modbus-port P] [--opcua-port P] [--control-port P]
#                        [--cloud-port P]
#                        [--seed N]
#                        [--summary-json FILE] [--run-dir DIR] [--bin-dir DIR (skip the build)]
#   --seconds N   stop by itself after N seconds (CI); default: run until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=0 headless="" web_port=8088 modbus_port=5020 opcua_port=4840 control_port=5021 cloud_port=4566
seed=1
summary_json="" run_dir=run/demo bin_dir="" no_fault="" faults=()
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see the usage at the top of $0)"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) need "$@"; seconds=$2; shift 2 ;;
    --headless) headless=--headless; shift ;;
    --fault) need "$@"; faults+=(--fault "$2"); shift 2 ;;
    --no-fault) no_fault=1; shift ;;
    --web-port) need "$@"; web_port=$2; shift 2 ;;
    --modbus-port) need "$@"; modbus_port=$2; shift 2 ;;
    --opcua-port) need "$@"; opcua_port=$2; shift 2 ;;
    --control-port) need "$@"; control_port=$2; shift 2 ;;
    --cloud-port) need "$@"; cloud_port=$2; shift 2 ;;
    --seed) need "$@"; seed=$2; shift 2 ;;
    --summary-json) need "$@"; summary_json=$2; shift 2 ;;
    --run-dir) need "$@"; run_dir=$2; shift 2 ;;
    --bin-dir) need "$@"; bin_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (see the usage at the top of $0)" ;;
  esac
done
for n in "$seconds" "$web_port" "$modbus_port" "$opcua_port" "$control_port" "$cloud_port" "$seed"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "'$n' is not a number"
done
if [ ${#faults[@]} -eq 0 ] && [ -z "$no_fault" ]; then faults=(--fault cavitation@60s+40s); fi
say() { printf '\n==> %s\n' "$*"; }

# Ports first, before anything starts: a clear message instead of a half-started demo.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "modbus:$modbus_port:--modbus-port" "OPC UA:$opcua_port:--opcua-port" \
         "simulator control:$control_port:--control-port" "web view:$web_port:--web-port" "local cloud:$cloud_port:--cloud-port"; do
  IFS=: read -r what port flag <<<"$p"
  if [ "$port" != 0 ] && port_in_use "$port"; then
    die "port $port ($what) is already in use on 127.0.0.1; stop whatever listens there (ss -ltnp) or pick another with $flag"
  fi
done

if [ -z "$bin_dir" ]; then
  target=${CARGO_TARGET_DIR:-target}
  bin_dir=$target/release
  say "Building the runtime, simulator, live view and components (release; the first build takes several minutes)"
  # One cargo run: the dependencies the crates share are compiled once (a run per crate
  # compiled tokio, serde and the IPC client three to five times over).
  cargo build --release --locked -p gg-local -p factory-sim -p factory-demo \
    -p modbus-adapter -p opcua-adapter -p filter-aggregator -p anomaly-detector -p stream-uploader
fi
for b in gg-local factory-sim factory-demo; do
  [ -x "$bin_dir/$b" ] || die "$bin_dir/$b is missing: build it first (cargo build --release -p $b)"
done

root=$run_dir/gg-local cloud_dir=$run_dir/cloud
mkdir -p "$run_dir"
# A fresh runtime and local cloud: no queue, state or uploads from an earlier demo.
rm -rf "$root" "$run_dir/artifacts" "$cloud_dir"

say "Planning the deployment (components with a recipe and a built binary)"
"$bin_dir/factory-demo" plan --bin-dir "$bin_dir" --artifacts "$run_dir/artifacts" \
  --out "$run_dir/deployment.json" --modbus-port "$modbus_port" --opcua-port "$opcua_port" \
  --cloud-url "http://127.0.0.1:$cloud_port" --runtime-out "$run_dir/runtime.json"

sim_pid="" gg_pid="" view_pid="" cloud_pid=""
stop_pid() { # pid name: SIGTERM, wait up to 10 s, then SIGKILL the process group
  local pid=$1 name=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "demo: $name did not stop within 10 s; killing it" >&2
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM
  stop_pid "$view_pid" "the live view"
  stop_pid "$gg_pid" "gg-local"
  stop_pid "$sim_pid" "factory-sim"
  stop_pid "$cloud_pid" "the local cloud"
  [ -f "$run_dir/factory-sim.out" ] && grep -h "factory-sim stopped" "$run_dir/factory-sim.out" || true
  [ -f "$run_dir/cloud.out" ] && grep -h "local cloud stopped" "$run_dir/cloud.out" || true
  # Anything still running from the staged artifacts is an orphan: name it, then end it by pid.
  local orphans
  orphans=$(pgrep -f -- "$run_dir/artifacts/" || true)
  if [ -n "$orphans" ]; then
    echo "demo: component processes left behind, ending them: $orphans" >&2
    kill -KILL $orphans 2>/dev/null || true
  fi
  echo "Stopped. Logs: $run_dir/*.out, $root/logs/; local cloud: $root/iot-core/outbox.jsonl (IoT Core), $cloud_dir/ (Kinesis, S3)"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_ready() { # pid logfile pattern name
  for _ in $(seq 1 150); do
    grep -q "$3" "$2" 2>/dev/null && return 0
    kill -0 "$1" 2>/dev/null || { cat "$2" >&2; die "$4 exited during start-up (output above)"; }
    sleep 0.2
  done
  cat "$2" >&2; die "$4 was not ready within 30 s"
}

say "Starting the factory simulator (pump line on Modbus TCP 127.0.0.1:$modbus_port, OPC UA 127.0.0.1:$opcua_port)"
setsid "$bin_dir/factory-sim" --modbus-port "$modbus_port" --opcua-port "$opcua_port" \
  --control-port "$control_port" --seed "$seed" "${faults[@]}" >"$run_dir/factory-sim.out" 2>&1 &
sim_pid=$!
wait_ready "$sim_pid" "$run_dir/factory-sim.out" "factory-sim ready" "factory-sim"
cat "$run_dir/factory-sim.out"

say "Starting the local cloud (Kinesis and S3 on 127.0.0.1:$cloud_port, files under $cloud_dir)"
setsid "$bin_dir/factory-demo" cloud --dir "$cloud_dir" --port "$cloud_port" >"$run_dir/cloud.out" 2>&1 &
cloud_pid=$!
wait_ready "$cloud_pid" "$run_dir/cloud.out" "local cloud ready" "the local cloud"
cat "$run_dir/cloud.out"

say "Starting gg-local, the local Greengrass runtime, with the demo deployment"
setsid "$bin_dir/gg-local" run --root "$root" --recipes recipes --artifacts "$run_dir/artifacts" \
  --deployment "$run_dir/deployment.json" --config "$run_dir/runtime.json" >"$run_dir/gg-local.out" 2>&1 &
gg_pid=$!
wait_ready "$gg_pid" "$run_dir/gg-local.out" "gg-local ready" "gg-local"
echo "gg-local ready (root $root)"

say "Live view (web: http://127.0.0.1:$web_port/); inject a fault from another shell:"
echo "  $bin_dir/factory-sim ctl --control-port $control_port fault imbalance 30s"
[ -t 1 ] || headless=--headless
view_args=(view --root "$root" --sim-control "127.0.0.1:$control_port" --web-port "$web_port"
  --seconds "$seconds" --cloud-dir "$cloud_dir" $headless)
[ -n "$summary_json" ] && view_args+=(--summary-json "$summary_json")
# The view runs in the foreground's process group, so Ctrl-C reaches it and it prints the summary;
# the simulator and the runtime run in their own sessions and are stopped in order by cleanup.
"$bin_dir/factory-demo" "${view_args[@]}" &
view_pid=$!
view_status=0
wait "$view_pid" || view_status=$?
view_pid=""
[ "$view_status" -eq 0 ] || die "the live view failed (exit $view_status)"
