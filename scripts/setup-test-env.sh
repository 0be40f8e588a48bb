#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, idempotently:
#   * Debian packages: mosquitto, mosquitto-clients (the IoT Core stand-in) and openssl (test PKI);
#   * .peers/: a Python venv with tests/requirements.txt (AWS's IPC client, pytest).
# Safe to run again: it does nothing when everything is already in place.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.peers"
reqs="$repo/tests/requirements.txt"
stamp="$venv/.requirements.sha256"

say() { printf '[setup-test-env] %s\n' "$*"; }

# --- Debian packages --------------------------------------------------------------------------
missing=()
for pkg in mosquitto mosquitto-clients openssl; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
if ((${#missing[@]})); then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    say "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "Debian packages present: mosquitto mosquitto-clients openssl"
fi
# The Debian package enables a system broker on 1883; the tests start their own, so leave it be.

# --- Python venv ------------------------------------------------------------------------------
want=$(sha256sum "$reqs" | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [[ "$want" == "$have" ]] && "$venv/bin/python" -c 'import awsiot.greengrasscoreipc.clientv2, pytest' 2>/dev/null; then
    say ".peers venv up to date ($("$venv/bin/python" --version 2>&1))"
    exit 0
fi

python=${PYTHON:-python3}
say "creating .peers venv with $($python --version 2>&1) from tests/requirements.txt"
rm -rf "$venv"
if ! "$python" -m venv "$venv" 2>/dev/null; then
    # Debian's own python3 needs python3-venv for ensurepip.
    say "python3 -m venv failed; installing python3-venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$reqs"
printf '%s\n' "$want" >"$stamp"
say "installed: $("$venv/bin/python" -m pip freeze --disable-pip-version-check | tr '\n' ' ')"
