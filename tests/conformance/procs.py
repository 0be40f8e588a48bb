"""Small process and waiting helpers shared by the test harnesses. Every wait here is bounded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from typing import Callable


class WaitTimeout(AssertionError):
    """A bounded wait ran out; the message carries the diagnostics."""


def wait_until(
    ready: Callable[[], object],
    timeout: float,
    what: str,
    diagnostics: Callable[[], str] | None = None,
    interval: float = 0.05,
):
    """Polls `ready()` until it returns something truthy (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() >= deadline:
            extra = diagnostics() if diagnostics else ""
            raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what}\n{extra}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, grace: float = 10.0, group: bool = False) -> int | None:
    """SIGTERM, then SIGKILL after `grace` seconds. With `group`, the kill reaches the process
    group that `proc` leads (started with start_new_session=True), so no child outlives it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if group:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return proc.returncode


def pid_alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
