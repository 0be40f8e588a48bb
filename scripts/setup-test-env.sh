#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, idempotently:
#   * Debian packages: mosquitto, mosquitto-clients (the IoT Core stand-in and the MQTT sensors'
#     broker), openssl (test PKI), socat (a serial pty pair for the Modbus RTU tests) and chromium
#     (the demo's web page, checked headless) and procps (pgrep/ps for the process checks);
#   * .peers/: a Python venv with tests/requirements.txt (AWS's IPC client, pytest), rebuilt when
#     that file changes (its hash is stamped in .peers/.requirements.sha256).
# Safe to run again: it does nothing when everything is already in place.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.peers"
reqs="$repo/tests/requirements.txt"
stamp="$venv/.requirements.sha256"

say() { printf '[setup-test-env] %s\n' "$*"; }

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
apt_updated=""
apt_install() {
    if [[ -z "$apt_updated" ]]; then
        say "apt-get update"
        $sudo apt-get update -qq
        apt_updated=1
    fi
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Debian packages --------------------------------------------------------------------------
missing=()
for pkg in mosquitto mosquitto-clients openssl socat chromium procps; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
if ((${#missing[@]})); then
    apt_install "${missing[@]}"
else
    say "Debian packages present: mosquitto mosquitto-clients openssl socat chromium procps"
fi
# The tests start their own brokers on free loopback ports; no system broker is needed.

# --- Python venv ------------------------------------------------------------------------------
want=$(sha256sum "$reqs" | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [[ "$want" == "$have" ]] &&
    "$venv/bin/python" -c 'import awsiot.greengrasscoreipc.clientv2, pytest' 2>/dev/null; then
    say ".peers venv up to date ($("$venv/bin/python" --version 2>&1))"
    exit 0
fi

python=${PYTHON:-python3}
say "creating .peers venv with $("$python" --version 2>&1) from tests/requirements.txt"
rm -rf "$venv"
if ! "$python" -m venv "$venv" 2>/dev/null; then
    say "'$python -m venv' failed; Debian's python3 needs python3-venv"
    apt_install python3-venv
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$reqs"
printf '%s\n' "$want" >"$stamp"
say "installed: $("$venv/bin/python" -m pip freeze --disable-pip-version-check | tr '\n' ' ')"
