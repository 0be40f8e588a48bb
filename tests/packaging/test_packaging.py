"""Packaging checks (issue 9): every recipe validates against GDK's recipe schema after lower-casing
its keys (as GDK does) and stays under 16 kB; every gdk-config.json validates against GDK's config
schema; component recipes carry x86_64/aarch64/armv7 manifests with distinct artifact names and
`runtime: "*"`; the meta component depends on every component; and the custom build writes the
layout GDK's publish step reads."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"
RECIPES = sorted((REPO / "recipes").glob("*.yaml"))
GDK_CONFIGS = [REPO / "gdk-config.json", *sorted((REPO / "components").glob("*/gdk-config.json"))]
META = "com.smartfactory.Gateway"
MAX_RECIPE_BYTES = 16_000


def lower_keys(value):
    if isinstance(value, dict):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def load(path: Path):
    return yaml.safe_load(path.read_text())


def schema(name: str):
    return json.loads((SCHEMAS / name).read_text())


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_recipe_is_valid_for_gdk_and_small(recipe: Path):
    jsonschema.validate(lower_keys(load(recipe)), schema("greengrass-recipe.gdk.schema.json"))
    assert recipe.stat().st_size < MAX_RECIPE_BYTES


@pytest.mark.parametrize("config", GDK_CONFIGS, ids=lambda p: str(p.relative_to(REPO)))
def test_gdk_config_is_valid(config: Path):
    doc = json.loads(config.read_text())
    jsonschema.validate(doc, schema("gdk-config.schema.json"))
    (name,) = doc["component"].keys()
    assert (REPO / "recipes" / f"{name}.yaml").exists(), f"{config} builds {name}, which has no recipe"


def binary_recipes():
    """Recipes of components that run a binary they ship (artifacts and a Run lifecycle); model
    components carry artifacts only."""
    for path in RECIPES:
        doc = load(path)
        if any(m.get("Artifacts") and m.get("Lifecycle", {}).get("Run") for m in doc.get("Manifests", [])):
            yield path, doc


@pytest.mark.parametrize("path,doc", list(binary_recipes()), ids=lambda p: getattr(p, "name", ""))
def test_binary_components_have_a_manifest_per_architecture(path, doc):
    seen = {}
    for manifest in doc["Manifests"]:
        platform = manifest["Platform"]
        assert platform.get("os") == "linux"
        assert platform.get("runtime") == "*", f"{path.name}: nucleus lite ignores it without runtime"
        uris = [a["URI"] for a in manifest.get("Artifacts", [])]
        run = manifest["Lifecycle"]["Run"]
        script = run["Script"] if isinstance(run, dict) else run
        names = {u.rsplit("/", 1)[-1] for u in uris}
        assert any(n in script for n in names), f"{path.name}: Run does not start its artifact"
        seen[platform["architecture"]] = names
    assert set(seen) == {"amd64", "aarch64", "arm"}, seen
    all_names = [n for names in seen.values() for n in names]
    assert len(all_names) == len(set(all_names)), f"{path.name}: artifact names collide: {all_names}"


# The Java nucleus force-kills 5 s after its SIGTERM; the Shutdown step runs first with its own
# Timeout, so it is where a component gets a longer, declared stop (component_kit::stop_command).
SHUTDOWN_TIMEOUT_RANGE = (5, 60)


@pytest.mark.parametrize("path,doc", list(binary_recipes()), ids=lambda p: getattr(p, "name", ""))
def test_binary_components_stop_their_own_process_within_a_declared_timeout(path, doc):
    for manifest in doc["Manifests"]:
        lifecycle = manifest["Lifecycle"]
        run = lifecycle["Run"]
        run_script = run["Script"] if isinstance(run, dict) else run
        shutdown = lifecycle.get("Shutdown")
        assert isinstance(shutdown, dict), f"{path.name} {manifest['Name']}: no Shutdown step with a Timeout"
        assert shutdown["Script"] == f"{run_script} --stop", f"{path.name}: Shutdown must stop the Run binary"
        low, high = SHUTDOWN_TIMEOUT_RANGE
        assert low <= int(shutdown["Timeout"]) <= high, f"{path.name}: Shutdown Timeout {shutdown['Timeout']}"
        grace_ms = int(lifecycle.get("Setenv", {}).get("SHUTDOWN_GRACE_MS", 4000))
        # --stop waits the grace plus 1 s; the step's Timeout must cover that.
        assert grace_ms / 1000 + 1 <= int(shutdown["Timeout"]), f"{path.name}: grace {grace_ms} ms exceeds the Timeout"


def test_the_meta_component_depends_on_every_product_component():
    meta = load(REPO / "recipes" / f"{META}.yaml")
    deps = set(meta.get("ComponentDependencies", {}))
    products = {
        load(p)["ComponentName"]
        for p, _ in binary_recipes()
        if load(p)["ComponentName"] != "com.smartfactory.ExampleSensor"
    }
    assert products <= deps, f"missing from {META}: {sorted(products - deps)}"
    for name, dep in meta["ComponentDependencies"].items():
        assert dep.get("VersionRequirement"), f"{name} has no version range"


def test_custom_build_writes_the_layout_gdk_publishes(tmp_path):
    component_dir = REPO / "components" / "example-sensor"
    doc = json.loads((component_dir / "gdk-config.json").read_text())
    (name, cfg), = doc["component"].items()
    command = cfg["build"]["custom_build_command"]
    env = dict(os.environ, CARGO_PROFILE="debug")
    out = subprocess.run(command, cwd=component_dir, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    build = component_dir / "greengrass-build"
    try:
        recipe = load(build / "recipes" / "recipe.yaml")
        assert recipe["ComponentName"] == name
        assert recipe["ComponentVersion"] == cfg["version"]
        artifacts = list((build / "artifacts" / name / cfg["version"]).iterdir())
        assert artifacts, "no artifact written"
        named = {u["URI"].rsplit("/", 1)[-1] for m in recipe["Manifests"] for u in m.get("Artifacts", [])}
        for artifact in artifacts:
            assert artifact.name in named, f"{artifact.name} is not in the recipe"
            assert os.access(artifact, os.X_OK)
    finally:
        subprocess.run(["rm", "-rf", str(build)], check=False)


def test_a_recipe_without_its_artifact_fails_the_build(tmp_path):
    """The build refuses a recipe that names no artifact for the architecture it built."""
    script = REPO / "scripts" / "gdk-build.sh"
    env = dict(os.environ, CARGO_PROFILE="debug")
    # The Gateway meta recipe names no example-sensor artifact.
    out = subprocess.run(
        ["bash", str(script), META, "example-sensor", "0.1.0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    assert out.returncode != 0
    assert "names no artifact example-sensor-" in out.stderr
