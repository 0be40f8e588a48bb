"""Local pub/sub, sending side: waits until the subscriber component announces itself, then
publishes one JSON and one binary message to the data topic."""

import threading

from _scenario import main
from awsiot.greengrasscoreipc.model import BinaryMessage, JsonMessage, PublishMessage

DATA = "conformance/pubsub/data"
READY = "conformance/pubsub/ready"
JSON_DOC = {"temperature": 21.5, "unit": "C", "tags": ["a", "b"], "nested": {"ok": True, "n": None}}
BINARY = bytes(range(256))


def body(sc):
    ready = threading.Event()
    sc.call("subscribe ready", sc.ipc.subscribe_to_topic_async(
        topic=READY, on_stream_event=lambda e: ready.set()))
    sc.result["peerReady"] = sc.wait_for("subscriber ready", ready.is_set, 20)
    sc.call("publish json", sc.ipc.publish_to_topic_async(
        topic=DATA, publish_message=PublishMessage(json_message=JsonMessage(message=JSON_DOC))))
    sc.call("publish binary", sc.ipc.publish_to_topic_async(
        topic=DATA, publish_message=PublishMessage(binary_message=BinaryMessage(message=BINARY))))
    sc.result["published"] = True


main(body)
