#!/usr/bin/env bash
# Throw-away PKI for the mutual-TLS MQTT broker that stands in for AWS IoT Core in tests.
#
#   tests/peers/make-test-pki.sh OUT_DIR [CLIENT_CN ...]      (default client: gateway1)
#
# Writes into OUT_DIR: ca.crt/ca.key (test CA), server.crt/server.key (CN localhost, SANs
# localhost + 127.0.0.1, serverAuth), one <cn>.crt/<cn>.key per client CN (clientAuth; the broker
# maps the CN to the MQTT user name) and stranger.crt/stranger.key, self-signed, for negative tests.
# ECDSA P-256 keys in PKCS#8 PEM keep generation well under a second.
set -euo pipefail

out=${1:?usage: make-test-pki.sh OUT_DIR [CLIENT_CN ...]}
shift
clients=("$@")
((${#clients[@]})) || clients=(gateway1)

mkdir -p "$out"
cd "$out"
umask 077

key_opts=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256)

# $1 = file stem, $2 = subject CN, remaining = extra `openssl req` options (extensions). `req -x509`
# would otherwise stamp its default CA:TRUE on the leaf, which TLS stacks reject as an end entity.
issue() {
    local stem=$1 cn=$2
    shift 2
    openssl req -x509 "${key_opts[@]}" -days 30 -subj "/CN=$cn" \
        -CA ca.crt -CAkey ca.key -keyout "$stem.key" -out "$stem.crt" \
        -addext basicConstraints=critical,CA:FALSE "$@" 2>/dev/null
}

openssl req -x509 "${key_opts[@]}" -days 30 -subj "/CN=gg-local test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout ca.key -out ca.crt 2>/dev/null

issue server localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -addext extendedKeyUsage=serverAuth -addext keyUsage=critical,digitalSignature

for cn in "${clients[@]}"; do
    issue "$cn" "$cn" -addext extendedKeyUsage=clientAuth -addext keyUsage=critical,digitalSignature
done

openssl req -x509 "${key_opts[@]}" -days 30 -subj "/CN=stranger" \
    -addext basicConstraints=critical,CA:FALSE -keyout stranger.key -out stranger.crt 2>/dev/null

chmod 644 ./*.crt
for cn in server "${clients[@]}"; do
    openssl verify -CAfile ca.crt "$cn.crt" >/dev/null
done
echo "test PKI in $(pwd): ca server ${clients[*]} stranger"
