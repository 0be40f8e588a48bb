"""Local pub/sub, receiving side: subscribes to the data topic, then announces readiness on the
ready topic (repeatedly, so the publisher cannot miss it) until a JSON and a binary message came."""

import base64
import time

from _scenario import main
from awsiot.greengrasscoreipc.model import JsonMessage, PublishMessage

DATA = "conformance/pubsub/data"
READY = "conformance/pubsub/ready"


def describe(event) -> dict:
    if event.json_message is not None:
        m = event.json_message
        return {"kind": "json", "message": m.message, "topic": m.context and m.context.topic}
    if event.binary_message is not None:
        m = event.binary_message
        return {"kind": "binary", "base64": base64.b64encode(m.message or b"").decode(),
                "topic": m.context and m.context.topic}
    return {"kind": "unknown", "repr": repr(event)}


def body(sc):
    received = []
    sc.result["received"] = received
    sc.call("subscribe data", sc.ipc.subscribe_to_topic_async(
        topic=DATA, on_stream_event=lambda e: received.append(describe(e))))
    deadline = time.monotonic() + 20
    while len(received) < 2 and time.monotonic() < deadline:
        ready = PublishMessage(json_message=JsonMessage(message={"ready": True}))
        sc.call("publish ready", sc.ipc.publish_to_topic_async(topic=READY, publish_message=ready))
        sc.wait_for("data", lambda: len(received) >= 2, 0.2)
    time.sleep(0.3)  # would catch duplicates


main(body)
