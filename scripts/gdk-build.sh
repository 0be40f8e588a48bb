#!/usr/bin/env bash
# GDK custom build for one component, run by `gdk component build` in the component's folder
# (components/<crate>/), which holds its gdk-config.json. It writes what GDK's publish step reads:
#   greengrass-build/recipes/recipe.yaml                          the recipe, version filled in
#   greengrass-build/artifacts/<Component>/<version>/<bin>-<arch>  one binary per target
#
#   scripts/gdk-build.sh <ComponentName> <crate> <version>
#
# Targets: the build machine's architecture by default; GDK_BUILD_TARGETS="x86_64 aarch64 armv7"
# cross-compiles each (the Rust targets and linkers must be installed: see docs/cross-compiling.md).
# CARGO_PROFILE=debug reuses the debug build (the packaging test does; releases use release).
set -euo pipefail
name=${1:?component name} crate=${2:?crate} version=${3:?version}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
recipe="$repo/recipes/$name.yaml"
[ -f "$recipe" ] || { echo "gdk-build: no recipe at $recipe" >&2; exit 1; }
profile=${CARGO_PROFILE:-release}
target_dir=${CARGO_TARGET_DIR:-$repo/target}

host_arch() {
  case "$(uname -m)" in
    x86_64|amd64) echo x86_64 ;;
    aarch64|arm64) echo aarch64 ;;
    armv7*|armhf) echo armv7 ;;
    *) echo "gdk-build: unsupported build machine $(uname -m)" >&2; return 1 ;;
  esac
}
rust_target() {
  case "$1" in
    x86_64) echo x86_64-unknown-linux-gnu ;;
    aarch64) echo aarch64-unknown-linux-gnu ;;
    armv7) echo armv7-unknown-linux-gnueabihf ;;
    *) echo "gdk-build: unknown target $1 (x86_64, aarch64, armv7)" >&2; return 1 ;;
  esac
}

out="greengrass-build"
artifacts="$out/artifacts/$name/$version"
rm -rf "$out"
mkdir -p "$out/recipes" "$artifacts"
host=$(host_arch)
profile_flag=(--profile "$profile")
[ "$profile" = debug ] && profile_flag=()
[ "$profile" = debug ] && profile_dir=debug || profile_dir=$profile
for arch in ${GDK_BUILD_TARGETS:-$host}; do
  if [ "$arch" = "$host" ]; then
    echo "gdk-build: cargo build ($profile) -p $crate for $arch"
    cargo build --locked "${profile_flag[@]}" -p "$crate" --bin "$crate" --manifest-path "$repo/Cargo.toml"
    bin="$target_dir/$profile_dir/$crate"
  else
    triple=$(rust_target "$arch")
    echo "gdk-build: cargo build ($profile) -p $crate for $arch ($triple)"
    cargo build --locked "${profile_flag[@]}" -p "$crate" --bin "$crate" --target "$triple" --manifest-path "$repo/Cargo.toml"
    bin="$target_dir/$triple/$profile_dir/$crate"
  fi
  [ -x "$bin" ] || { echo "gdk-build: $bin was not built" >&2; exit 1; }
  cp "$bin" "$artifacts/$crate-$arch"
done
# Every artifact the recipe names for a built architecture must now exist.
sed "s/^ComponentVersion: .*/ComponentVersion: \"$version\"/" "$recipe" > "$out/recipes/recipe.yaml"
for arch in ${GDK_BUILD_TARGETS:-$host}; do
  grep -q "/$crate-$arch\$" "$out/recipes/recipe.yaml" ||
    { echo "gdk-build: the recipe names no artifact $crate-$arch" >&2; exit 1; }
done
echo "gdk-build: wrote $out/recipes/recipe.yaml and $(ls "$artifacts" | tr '\n' ' ')"
