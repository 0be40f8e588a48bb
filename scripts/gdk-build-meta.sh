#!/usr/bin/env bash
# GDK custom build for the meta component (run by `gdk component build` from the repo root):
# it has no artifacts, so the build only places its recipe where GDK's publish step reads it.
#   scripts/gdk-build-meta.sh <ComponentName> <version>
set -euo pipefail
name=$1 version=$2
src="recipes/$name.yaml"
[ -f "$src" ] || { echo "no recipe at $src" >&2; exit 1; }
mkdir -p greengrass-build/recipes "greengrass-build/artifacts/$name/$version"
sed "s/^ComponentVersion: .*/ComponentVersion: \"$version\"/" "$src" > greengrass-build/recipes/recipe.yaml
echo "wrote greengrass-build/recipes/recipe.yaml for $name $version"
