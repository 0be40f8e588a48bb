#!/usr/bin/env bash
# Builds the enrichment Lambda (crate cloud/enrichment-lambda, binary `bootstrap`) into the zip
# the template's EnrichmentFunction runs (provided.al2023; Architectures arm64):
#
#   deploy/cloudformation/build-lambda.sh [--arm64 | --x86_64] [--profile NAME] [--out DIR]
#
# This is what `cargo lambda build --release --arm64 --output-format zip -p enrichment-lambda`
# does, without cargo-lambda: cargo builds for the target, the script zips `bootstrap` (mode 755)
# into DIR/bootstrap.zip (default target/lambda/enrichment-lambda/).
#
# --arm64 (what the template deploys) cross-builds for aarch64-unknown-linux-gnu and needs, once:
#   rustup target add aarch64-unknown-linux-gnu
#   apt-get install gcc-aarch64-linux-gnu
#   CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc (or .cargo/config.toml,
#   see docs/cross-compiling.md) and CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc for ring.
# Without --arm64 it builds for the host (x86_64 here); deploy that zip with the template
# parameter LambdaArchitecture=x86_64 (deploy-stack.sh --x86_64 does).
#
# The runtime is Amazon Linux 2023 (glibc 2.34): the script refuses a binary that needs a newer
# glibc symbol than that.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
target="" profile=release out="$repo/target/lambda/enrichment-lambda"
while [ $# -gt 0 ]; do
  case $1 in
    --arm64) target=aarch64-unknown-linux-gnu ;;
    --x86_64) target=x86_64-unknown-linux-gnu ;;
    --profile) profile=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "build-lambda: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

args=(build -p enrichment-lambda --bin bootstrap --profile "$profile")
[ -n "$target" ] && args+=(--target "$target")
(cd "$repo" && cargo "${args[@]}")

target_dir=${CARGO_TARGET_DIR:-$repo/target}
dir=$profile; [ "$profile" = dev ] && dir=debug
bin="$target_dir/${target:+$target/}$dir/bootstrap"
[ -x "$bin" ] || { echo "build-lambda: $bin was not built" >&2; exit 1; }

# Newest GLIBC_x.y the binary asks for must be <= 2.34 (provided.al2023).
objdump=objdump
[ "$target" = aarch64-unknown-linux-gnu ] && command -v aarch64-linux-gnu-objdump >/dev/null && objdump=aarch64-linux-gnu-objdump
if command -v "$objdump" >/dev/null; then
  newest=$("$objdump" -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
  if [ -n "$newest" ] && [ "$(printf '%s\nGLIBC_2.34\n' "$newest" | sort -V | tail -1)" != GLIBC_2.34 ]; then
    echo "build-lambda: bootstrap needs $newest, newer than provided.al2023's glibc 2.34" >&2
    exit 1
  fi
  echo "build-lambda: newest glibc symbol ${newest:-none} (provided.al2023 has 2.34)"
fi

mkdir -p "$out"
python3 - "$bin" "$out/bootstrap.zip" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo("bootstrap", date_time=(2024, 1, 1, 0, 0, 0))
info.external_attr = 0o100755 << 16  # regular file, rwxr-xr-x: Lambda executes bootstrap
info.compress_type = zipfile.ZIP_DEFLATED
with open(src, "rb") as f, zipfile.ZipFile(dst, "w") as z:
    z.writestr(info, f.read())
PY
echo "build-lambda: $out/bootstrap.zip ($(stat -c %s "$out/bootstrap.zip") bytes, ${target:-host} $profile)"
