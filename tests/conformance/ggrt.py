"""Harness around one `gg-local run`: lays out recipes, a deployment and a runtime config in a
temp folder, starts the runtime, and waits (bounded) for readiness and for scenario results.

Each test component runs a scenario script from scenarios/ with the peers venv's Python, so AWS's
own IPC client talks to gg-local as a real component would, configured only by the environment
that gg-local gives the process.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from procs import pid_alive, stop_process, wait_until

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
READY_LINE = "gg-local ready"
RESULT_TIMEOUT = 30.0


def policy(operations: list[str], resources: list[str]) -> dict:
    """One `accessControl` policy; operations are short names (`PublishToTopic`) or `*`."""
    ops = [o if o == "*" else f"aws.greengrass#{o}" for o in operations]
    return {"operations": ops, "resources": resources}


@dataclass
class Component:
    name: str
    scenario: str
    result: Path
    version: str = "1.0.0"


class GgLocal:
    """One runtime instance in `base`; add components, then `start()`."""

    def __init__(self, binary: Path, python: str, base: Path) -> None:
        self.binary = binary
        self.python = python
        self.base = base
        self.root = base / "root"
        self.recipes = base / "recipes"
        self.artifacts = base / "artifacts"
        self.results = base / "results"
        for d in (self.recipes, self.artifacts, self.results):
            d.mkdir(parents=True, exist_ok=True)
        self.components: dict[str, Component] = {}
        self.deployment: dict = {"components": {}}
        self.proc: subprocess.Popen | None = None
        self.stdout = base / "gg-local.stdout"
        self.stderr = base / "gg-local.stderr"

    # --- layout ------------------------------------------------------------------------------

    def add(
        self,
        name: str,
        scenario: str,
        config: dict | None = None,
        merge: dict | None = None,
        args: tuple[str, ...] = (),
        version: str = "1.0.0",
    ) -> Component:
        """Writes a recipe whose Run starts `scenarios/<scenario>` and adds it to the deployment."""
        result = self.results / f"{name}.json"
        script = SCENARIOS / scenario
        run = " ".join(shlex.quote(str(a)) for a in (self.python, script, result, *args))
        recipe = {
            "RecipeFormatVersion": "2020-01-25",
            "ComponentName": name,
            "ComponentVersion": version,
            "ComponentDescription": f"conformance scenario {scenario}",
            "ComponentPublisher": "gg-local conformance suite",
            "ComponentConfiguration": {"DefaultConfiguration": config or {}},
            "Manifests": [{"Platform": {"os": "linux", "runtime": "*"}, "Lifecycle": {"Run": run}}],
        }
        (self.recipes / f"{name}-{version}.json").write_text(json.dumps(recipe, indent=2))
        (self.artifacts / name / version).mkdir(parents=True, exist_ok=True)
        entry: dict = {"componentVersion": version}
        if merge is not None:
            entry["configurationUpdate"] = {"merge": merge}
        self.deployment["components"][name] = entry
        comp = Component(name, scenario, result, version)
        self.components[name] = comp
        return comp

    # --- running -----------------------------------------------------------------------------

    def start(self, runtime_config: dict | None = None, timeout: float = RESULT_TIMEOUT) -> "GgLocal":
        deployment = self.base / "deployment.json"
        deployment.write_text(json.dumps(self.deployment, indent=2))
        cmd = [
            str(self.binary), "run", "--root", str(self.root), "--recipes", str(self.recipes),
            "--artifacts", str(self.artifacts), "--deployment", str(deployment),
        ]
        if runtime_config is not None:
            cfg = self.base / "runtime.json"
            cfg.write_text(json.dumps(runtime_config, indent=2))
            cmd += ["--config", str(cfg)]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self.stdout.open("wb"),
            stderr=self.stderr.open("wb"), start_new_session=True,
        )
        wait_until(self._ready, timeout, f"'{READY_LINE}' from {' '.join(cmd)}", self.diagnostics)
        return self

    def _ready(self) -> bool:
        if READY_LINE in _read(self.stdout):
            return True
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"gg-local run exited with {self.proc.returncode} before ready\n"
                                 + self.diagnostics())
        return False

    def wait_result(self, name: str, timeout: float = RESULT_TIMEOUT) -> dict:
        """The JSON a scenario wrote; fails if it recorded a fatal error."""
        path = self.components[name].result
        wait_until(path.exists, timeout, f"result of {name} at {path}", lambda: self.diagnostics(name))
        result = json.loads(path.read_text())
        assert "fatal" not in result, f"{name} failed: {result['fatal']}\n{self.diagnostics(name)}"
        return result

    def wait_signal(self, name: str, signal: str, timeout: float = RESULT_TIMEOUT) -> None:
        """Waits for the marker file a scenario drops with `Scenario.signal(signal)`."""
        path = Path(f"{self.components[name].result}.{signal}")
        wait_until(path.exists, timeout, f"{name} to signal {signal!r}", lambda: self.diagnostics(name))

    def cli(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """Runs `gg-local <sub> --root ROOT ...` against this runtime; fails on non-zero exit."""
        sub, rest = args[0], args[1:]
        cmd = [str(self.binary), sub, "--root", str(self.root), *rest]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, (
            f"{' '.join(cmd)} exited {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}")
        return done

    def deploy(self, deployment: dict) -> subprocess.CompletedProcess:
        path = self.base / "deployment-next.json"
        path.write_text(json.dumps(deployment, indent=2))
        return self.cli("deploy", str(path))

    def stop(self) -> int | None:
        """SIGTERM the runtime and wait; anything left in its process group is killed."""
        if self.proc is None:
            return None
        return stop_process(self.proc, grace=15, group=True)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and pid_alive(self.proc.pid)

    # --- diagnostics -------------------------------------------------------------------------

    def log(self, component: str) -> str:
        return _read(self.root / "logs" / f"{component}.log")

    def diagnostics(self, component: str | None = None) -> str:
        state = "not started" if self.proc is None else (
            "running" if self.proc.poll() is None else f"exited {self.proc.returncode}")
        parts = [f"gg-local: {state}",
                 f"--- stdout ---\n{_tail(_read(self.stdout))}",
                 f"--- stderr ---\n{_tail(_read(self.stderr))}",
                 f"--- greengrass.log ---\n{_tail(self.log('greengrass'))}"]
        for name in [component] if component else list(self.components):
            parts.append(f"--- {name}.log ---\n{_tail(self.log(name))}")
        return "\n".join(parts)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def _tail(text: str, limit: int = 3000) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]
