#!/usr/bin/env bash
# The project's test command (what CI runs after scripts/setup-test-env.sh):
# format, lints, build, Rust tests, then the Python conformance suite against target/debug/gg-local.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

started=$SECONDS
section() {
    printf '\n==== %s  [t+%ds] ====\n' "$*" "$((SECONDS - started))"
}

section "cargo fmt --check"
cargo fmt --all -- --check

section "cargo clippy (deny warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

section "cargo build"
cargo build --workspace --locked

if cargo nextest --version >/dev/null 2>&1; then
    section "cargo nextest run"
    cargo nextest run --workspace --locked --no-fail-fast
else
    section "cargo test (cargo-nextest not installed)"
    cargo test --workspace --locked --no-fail-fast
fi

section "Python suites: IPC conformance (awsiotsdk against gg-local), packaging, cloud stack"
python="$repo/.peers/bin/python"
if [[ ! -x "$python" ]]; then
    echo "missing $python: run scripts/setup-test-env.sh first" >&2
    exit 1
fi
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
export GG_LOCAL_BIN="${GG_LOCAL_BIN:-$target_dir/debug/gg-local}"
export GG_TEST_PYTHON="$python"
"$python" -m pytest tests/conformance tests/packaging tests/cloud -q

section "all tests passed"
