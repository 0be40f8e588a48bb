"""MQTT-style wildcard subscriptions within one component: RECEIVE_ALL_MESSAGES delivers the
component's own publishes, RECEIVE_MESSAGES_FROM_OTHERS does not, and publishing to a wildcard
topic is refused."""

from _scenario import main
from awsiot.greengrasscoreipc.model import JsonMessage, PublishMessage, ReceiveMode

PUBLISH_TO = [
    "conformance/wild/a/temp",
    "conformance/wild/b/temp",
    "conformance/wild/a/humidity",
    "conformance/wild/a/temp/extra",
    "conformance/wild/self",
    "conformance/other",
]


def collector(into):
    def on_event(e):
        m = e.json_message
        into.append({"context": m.context and m.context.topic, "sentTo": m.message.get("sentTo")})
    return on_event


def body(sc):
    plus, hash_, others = [], [], []
    sc.result.update(plus=plus, hash=hash_, fromOthers=others)
    for step, topic, mode, into in [
        ("subscribe +", "conformance/wild/+/temp", ReceiveMode.RECEIVE_ALL_MESSAGES, plus),
        ("subscribe #", "conformance/wild/#", ReceiveMode.RECEIVE_ALL_MESSAGES, hash_),
        ("subscribe others", "conformance/wild/self", ReceiveMode.RECEIVE_MESSAGES_FROM_OTHERS, others),
    ]:
        sc.call(step, sc.ipc.subscribe_to_topic_async(
            topic=topic, receive_mode=mode, on_stream_event=collector(into)))
    for i, topic in enumerate(PUBLISH_TO):
        msg = PublishMessage(json_message=JsonMessage(message={"seq": i, "sentTo": topic}))
        sc.call(f"publish {topic}", sc.ipc.publish_to_topic_async(topic=topic, publish_message=msg))
    sc.wait_for("5 messages on #", lambda: len(hash_) >= 5, 10)
    sc.wait_for("nothing more", lambda: False, 0.5)
    msg = PublishMessage(json_message=JsonMessage(message={"bad": True}))
    sc.result["publishToWildcard"] = sc.outcome("publish wildcard", lambda: sc.ipc.publish_to_topic_async(
        topic="conformance/wild/+", publish_message=msg))


main(body)
