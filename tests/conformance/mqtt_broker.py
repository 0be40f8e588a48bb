"""A mutual-TLS mosquitto broker on loopback that stands in for AWS IoT Core, plus an observer
client (its own certificate, allowed on every topic) to watch and inject messages.

The broker behaves like IoT Core where it matters for gg-local: TLS 1.2+, a client certificate
signed by the test CA is required, the certificate CN is the MQTT user name, and a thing may use
only topics under its own name (like an IoT policy scoped to the thing).
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from procs import free_port, stop_process, wait_until

PKI_SCRIPT = Path(__file__).resolve().parents[1] / "peers" / "make-test-pki.sh"
OBSERVER = "observer"

_CONF = """\
per_listener_settings true
persistence false
# as root mosquitto would switch to user mosquitto, who cannot read our 0600 keys
user root
log_dest file {log}
log_type all
listener {port} 127.0.0.1
cafile {pki}/ca.crt
certfile {pki}/server.crt
keyfile {pki}/server.key
require_certificate true
use_identity_as_username true
tls_version tlsv1.2
allow_anonymous false
acl_file {acl}
max_qos 1
max_packet_size 132000
max_keepalive 1200
"""

_ACL = """\
pattern readwrite things/%u/#
pattern readwrite $aws/things/%u/#
pattern readwrite dt/factory/%u/#
user {observer}
topic readwrite #
"""


class MtlsBroker:
    """mosquitto with a fresh PKI in `base`; `thing` is the device identity gg-local uses."""

    def __init__(self, base: Path, thing: str = "gateway1") -> None:
        self.base = base
        self.thing = thing
        self.pki = base / "pki"
        self.port = free_port()
        self.log = base / "mosquitto.log"
        self.proc: subprocess.Popen | None = None
        self._watchers: list[subprocess.Popen] = []

    def start(self, timeout: float = 10.0) -> "MtlsBroker":
        subprocess.run(
            ["bash", str(PKI_SCRIPT), str(self.pki), self.thing, OBSERVER],
            check=True, capture_output=True, timeout=30,
        )
        conf, acl = self.base / "mosquitto.conf", self.base / "acl.conf"
        acl.write_text(_ACL.format(observer=OBSERVER))
        conf.write_text(_CONF.format(port=self.port, pki=self.pki, acl=acl, log=self.log))
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(conf)],
            stdout=subprocess.DEVNULL, stderr=(self.base / "mosquitto.stderr").open("wb"),
        )
        wait_until(self._accepting, timeout, f"mosquitto on 127.0.0.1:{self.port}", self.diagnostics)
        return self

    def _accepting(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"mosquitto exited with {self.proc.returncode}\n{self.diagnostics()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def runtime_config(self) -> dict:
        """The `iotCore` block of gg-local's runtime configuration for this broker."""
        return {
            "host": "localhost",
            "port": self.port,
            "caFile": str(self.pki / "ca.crt"),
            "certFile": str(self.pki / f"{self.thing}.crt"),
            "keyFile": str(self.pki / f"{self.thing}.key"),
        }

    def _client_args(self) -> list[str]:
        return [
            "-h", "127.0.0.1", "-p", str(self.port), "-q", "1",
            "--cafile", str(self.pki / "ca.crt"),
            "--cert", str(self.pki / f"{OBSERVER}.crt"),
            "--key", str(self.pki / f"{OBSERVER}.key"),
        ]

    def watch(self, topic_filter: str, count: int, timeout: int = 30) -> "Watch":
        """Starts an observer subscription and returns once the broker acknowledged it."""
        out = self.base / f"watch-{len(self._watchers)}.out"
        # stdbuf: mosquitto_sub block-buffers stdout into a file, hiding SUBACK and messages.
        proc = subprocess.Popen(
            ["stdbuf", "-oL", "mosquitto_sub", *self._client_args(), "-t", topic_filter,
             "-C", str(count), "-W", str(timeout), "-d", "-F", "MSG %t %x"],
            stdout=out.open("wb"), stderr=subprocess.STDOUT,
        )
        self._watchers.append(proc)
        watch = Watch(proc, out)
        wait_until(lambda: watch.subscribed, 10, f"observer SUBACK for {topic_filter}", watch.text)
        return watch

    def publish(self, topic: str, payload: bytes) -> None:
        subprocess.run(
            ["mosquitto_pub", *self._client_args(), "-t", topic, "-s"],
            input=payload, check=True, capture_output=True, timeout=10,
        )

    def diagnostics(self) -> str:
        parts = []
        for f in (self.log, self.base / "mosquitto.stderr"):
            if f.exists():
                parts.append(f"--- {f.name} ---\n{f.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        for proc in self._watchers:
            stop_process(proc)
        if self.proc is not None:
            stop_process(self.proc)


class Watch:
    """Output of one `mosquitto_sub -F 'MSG %t %x'`: messages as (topic, payload bytes)."""

    def __init__(self, proc: subprocess.Popen, out: Path) -> None:
        self.proc = proc
        self.out = out

    def text(self) -> str:
        return self.out.read_text(errors="replace") if self.out.exists() else ""

    @property
    def subscribed(self) -> bool:
        if self.proc.poll() is not None and "SUBACK" not in self.text():
            raise RuntimeError(f"mosquitto_sub exited with {self.proc.returncode}:\n{self.text()}")
        return "SUBACK" in self.text()

    def messages(self) -> list[tuple[str, bytes]]:
        found = []
        for line in self.text().splitlines():
            if line.startswith("MSG "):
                _, topic, hexed = (line.split(" ", 2) + [""])[:3]
                found.append((topic, bytes.fromhex(hexed.strip())))
        return found

    def wait(self, count: int, timeout: float) -> list[tuple[str, bytes]]:
        wait_until(lambda: len(self.messages()) >= count, timeout,
                   f"{count} message(s) at the broker observer", self.text)
        return self.messages()


def _selftest() -> None:  # pragma: no cover - manual check: python mqtt_broker.py
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        broker = MtlsBroker(Path(d)).start()
        try:
            w = broker.watch("things/#", 1)
            t0 = time.monotonic()
            broker.publish("things/gateway1/x", b"\x00hello")
            print(w.wait(1, 10), f"{time.monotonic() - t0:.3f}s")
        finally:
            broker.stop()


if __name__ == "__main__":
    _selftest()
