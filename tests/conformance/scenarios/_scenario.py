"""Plumbing shared by the scenario scripts. A scenario runs as a Greengrass component under
gg-local, started as `python SCRIPT RESULT_FILE [ARGS...]`. It connects with
`GreengrassCoreIPCClientV2()` (no arguments: socket and token come from the nucleus environment),
records what it observed, and writes one JSON object to RESULT_FILE. The pytest side asserts.

Every IPC call is bounded (CALL_TIMEOUT) and a watchdog writes a `fatal` result and exits if the
scenario as a whole overruns DEADLINE, so a hung runtime fails a test instead of hanging it.
Scenarios always exit 0 so that the runtime never restarts them over an earlier result.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from typing import Any, Callable

CALL_TIMEOUT = 10.0
DEADLINE = 28.0

ENV_KEYS = (
    "SVCUID",
    "AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_IOT_THING_NAME",
    "AWS_REGION",
)


class Scenario:
    def __init__(self) -> None:
        self.result_path = sys.argv[1]
        self.args = sys.argv[2:]
        self.result: dict[str, Any] = {"pid": os.getpid(), "cwd": os.getcwd()}
        self.step = "start"
        self._lock = threading.Lock()
        self._written = False
        self._ipc = None
        watchdog = threading.Timer(DEADLINE, self._overrun)
        watchdog.daemon = True
        watchdog.start()

    # --- IPC ---------------------------------------------------------------------------------

    @property
    def ipc(self):
        if self._ipc is None:
            from awsiot.greengrasscoreipc.clientv2 import GreengrassCoreIPCClientV2

            self.step = "connect"
            self._ipc = GreengrassCoreIPCClientV2()
        return self._ipc

    def call(self, step: str, future_or_pair) -> Any:
        """Waits for an `*_async` call. Subscriptions return (future, operation): the response is
        returned and the operation kept alive by the caller if it needs to close it."""
        self.step = step
        future = future_or_pair[0] if isinstance(future_or_pair, tuple) else future_or_pair
        return future.result(timeout=CALL_TIMEOUT)

    def outcome(self, step: str, start: Callable[[], Any]) -> dict[str, Any]:
        """Runs one call expected to fail or succeed; records `{"ok": true}` or the error class."""
        try:
            self.call(step, start())
            return {"ok": True}
        except Exception as e:  # the error class is what the test asserts on
            return {"error": type(e).__name__, "message": getattr(e, "message", None) or str(e)}

    # --- results -----------------------------------------------------------------------------

    def log(self, *parts: Any) -> None:
        print(f"[{os.path.basename(sys.argv[0])}]", *parts, flush=True)

    def signal(self, name: str) -> None:
        """Drops RESULT_FILE.<name> so the test knows the scenario reached a point."""
        with open(f"{self.result_path}.{name}", "w") as f:
            f.write(str(time.time()))

    def wait_for(self, what: str, ready: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() >= deadline:
                self.log(f"gave up waiting for {what} after {timeout}s")
                return False
            time.sleep(0.02)
        return True

    def finish(self) -> None:
        self._write(self.result)

    def _write(self, result: dict[str, Any]) -> None:
        with self._lock:
            if self._written:
                return
            self._written = True
            tmp = f"{self.result_path}.tmp"
            with open(tmp, "w") as f:
                json.dump(result, f, indent=2, default=repr)
            os.replace(tmp, self.result_path)
        self.log("result written")

    def _overrun(self) -> None:
        self._write({**self.result, "fatal": f"scenario overran {DEADLINE}s at step {self.step!r}"})
        os._exit(0)


def main(body: Callable[[Scenario], None], linger: float = 0.0) -> None:
    """Runs `body`, writes the result (or a `fatal` one), optionally stays alive `linger`
    seconds (for tests that look at the running process), then exits 0."""
    sc = Scenario()
    try:
        body(sc)
        sc.finish()
    except BaseException:
        sc._write({**sc.result, "fatal": f"at step {sc.step!r}: {traceback.format_exc()}"})
    if linger:
        time.sleep(linger)
    if sc._ipc is not None:
        try:
            sc._ipc.close(executor_wait=False)
        except Exception:
            pass
    os._exit(0)
