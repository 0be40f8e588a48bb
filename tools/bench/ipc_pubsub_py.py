"""IPC local pub/sub benchmark, Python side (AWS's awsiotsdk client), run as a Greengrass component.

    python ipc_pubsub_py.py RESULT.json [--count N] [--topic T] [--window W] [--timeout S]

The component connects with GreengrassCoreIPCClientV2() from the nucleus environment, subscribes to
TOPIC with RECEIVE_ALL_MESSAGES, then publishes N binary messages of 200 bytes to it, keeping at most
W publishes in flight. Each payload carries its send time (monotonic ns), so the receive callback
measures per-message latency. One JSON object goes to RESULT.json:

    {"implementation", "topic", "count", "received", "lost", "publishErrors", "payloadBytes",
     "window", "elapsedS", "msgsPerSec", "latencyUs": {"min", "p50", "p99", "max", "mean"}}

msgsPerSec = received / (last receive - first publish). Latency includes the client's executor hop,
as a real component sees it. A short warm-up (not counted) runs first. The recipe needs
`aws.greengrass.ipc.pubsub` access with PublishToTopic and SubscribeToTopic on TOPIC.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import threading
import time

from awsiot.greengrasscoreipc.clientv2 import GreengrassCoreIPCClientV2
from awsiot.greengrasscoreipc.model import BinaryMessage, PublishMessage, ReceiveMode

PAYLOAD_BYTES = 200
HEADER = struct.Struct(">BQQ")  # phase (0 warm-up, 1 measured), sequence, send time in ns
WARMUP = 100
CALL_TIMEOUT = 10.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("result")
    p.add_argument("--count", type=int, default=10_000)
    p.add_argument("--topic", default="bench/ipc/py")
    p.add_argument("--window", type=int, default=32, help="publishes in flight at most")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds for the whole run")
    return p.parse_args(argv)


def payload(phase: int, seq: int) -> bytes:
    head = HEADER.pack(phase, seq, time.monotonic_ns())
    return head + b"\x5a" * (PAYLOAD_BYTES - len(head))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.latencies_ns: list[int] = []
        self.warm = 0
        self.last_receive_ns = 0
        self.publish_errors = 0
        self.warmed_up = False
        self.done = threading.Event()
        self.warmed = threading.Event()
        self.slots = threading.BoundedSemaphore(args.window)

    def on_event(self, event) -> None:
        now = time.monotonic_ns()
        msg = event.binary_message
        if msg is None or msg.message is None or len(msg.message) < HEADER.size:
            return
        phase, _seq, sent = HEADER.unpack_from(msg.message)
        if phase == 0:
            self.warm += 1
            if self.warm >= WARMUP:
                self.warmed.set()
            return
        self.latencies_ns.append(now - sent)
        self.last_receive_ns = now
        if len(self.latencies_ns) >= self.args.count:
            self.done.set()

    def _released(self, future) -> None:
        if future.exception() is not None:
            self.publish_errors += 1
        self.slots.release()

    def publish_all(self, ipc, phase: int, count: int, deadline: float) -> None:
        for seq in range(count):
            if not self.slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"publish window stuck at message {seq}")
            msg = PublishMessage(binary_message=BinaryMessage(message=payload(phase, seq)))
            future = ipc.publish_to_topic_async(topic=self.args.topic, publish_message=msg)
            future.add_done_callback(self._released)

    def run(self) -> dict:
        args = self.args
        deadline = time.monotonic() + args.timeout
        ipc = GreengrassCoreIPCClientV2()
        try:
            fut, _op = ipc.subscribe_to_topic_async(
                topic=args.topic, receive_mode=ReceiveMode.RECEIVE_ALL_MESSAGES,
                on_stream_event=self.on_event)
            fut.result(timeout=CALL_TIMEOUT)
            self.publish_all(ipc, 0, WARMUP, deadline)
            self.warmed_up = self.warmed.wait(
                timeout=min(CALL_TIMEOUT, max(0.0, deadline - time.monotonic())))
            start = time.monotonic_ns()
            self.publish_all(ipc, 1, args.count, deadline)
            self.done.wait(timeout=max(0.0, deadline - time.monotonic()))
        finally:
            ipc.close(executor_wait=False)
        return self.summary(start)

    def summary(self, start_ns: int) -> dict:
        lat = sorted(v / 1000 for v in self.latencies_ns[: self.args.count])
        received = len(lat)
        elapsed = max(self.last_receive_ns - start_ns, 1) / 1e9 if received else 0.0
        return {
            "implementation": "python-awsiotsdk-1.31.0",
            "topic": self.args.topic,
            "count": self.args.count,
            "received": received,
            "lost": self.args.count - received,
            "publishErrors": self.publish_errors,
            "warmedUp": self.warmed_up,
            "payloadBytes": PAYLOAD_BYTES,
            "window": self.args.window,
            "elapsedS": round(elapsed, 6),
            "msgsPerSec": round(received / elapsed, 1) if elapsed else 0.0,
            "latencyUs": {
                "min": round(lat[0], 1) if lat else None,
                "p50": round(percentile(lat, 50), 1) if lat else None,
                "p99": round(percentile(lat, 99), 1) if lat else None,
                "max": round(lat[-1], 1) if lat else None,
                "mean": round(sum(lat) / received, 1) if lat else None,
            },
        }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        result = Bench(args).run()
    except Exception as e:  # still leave a result file, so the caller does not wait forever
        result = {"implementation": "python-awsiotsdk-1.31.0", "error": f"{type(e).__name__}: {e}"}
    tmp = f"{args.result}.tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=2)
    os.replace(tmp, args.result)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    # os._exit: the CRT's native threads can delay interpreter shutdown after close().
    sys.stdout.flush()
    os._exit(main(sys.argv[1:]))
