"""Fixtures for the gg-local conformance suite.

Nothing is built here: the suite expects `target/debug/gg-local` (or `$GG_LOCAL_BIN`) and the
peers venv made by scripts/setup-test-env.sh (or `$GG_TEST_PYTHON`, a Python with awsiotsdk).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ggrt import GgLocal
from mqtt_broker import MtlsBroker

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def gg_local_bin() -> Path:
    path = Path(os.environ.get("GG_LOCAL_BIN") or REPO / "target" / "debug" / "gg-local").resolve()
    if not os.access(path, os.X_OK):
        pytest.fail(f"gg-local binary not found at {path}: run `cargo build -p gg-local` "
                    "or set GG_LOCAL_BIN", pytrace=False)
    return path


@pytest.fixture(scope="session")
def peer_python() -> str:
    """Absolute path of the Python that runs scenario components (not resolved: a venv's
    python is a symlink, and resolving it would leave the venv)."""
    candidates = [os.environ.get("GG_TEST_PYTHON"), str(REPO / ".peers" / "bin" / "python"),
                  sys.executable]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return os.path.abspath(c)
    pytest.fail("no Python for scenario components: run scripts/setup-test-env.sh", pytrace=False)


@pytest.fixture
def gg(tmp_path_factory, gg_local_bin, peer_python, request):
    """Factory: `gg()` returns a new, not yet started runtime; all are stopped at teardown,
    and their logs are printed when the test failed."""
    made: list[GgLocal] = []

    def make() -> GgLocal:
        # short base path: the IPC socket path must fit in sun_path (108 bytes)
        runtime = GgLocal(gg_local_bin, peer_python, tmp_path_factory.mktemp("gg"))
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.stop()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for runtime in made:
            print(runtime.diagnostics())


@pytest.fixture
def broker(tmp_path_factory):
    b = MtlsBroker(tmp_path_factory.mktemp("mqtt")).start()
    yield b
    b.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
