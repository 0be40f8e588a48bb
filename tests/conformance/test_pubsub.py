"""Local pub/sub between components and with MQTT-style wildcards (awsiotsdk client)."""

import base64

from ggrt import policy

PUBSUB = "aws.greengrass.ipc.pubsub"


def pubsub_acl(topics):
    return {"accessControl": {PUBSUB: {"conformance:pubsub:1": policy(["*"], topics)}}}


def test_json_and_binary_between_two_components(gg):
    rt = gg()
    rt.add("conf.Subscriber", "pubsub_subscriber.py", pubsub_acl(["conformance/pubsub/*"]))
    rt.add("conf.Publisher", "pubsub_publisher.py", pubsub_acl(["conformance/pubsub/*"]))
    rt.start()
    pub = rt.wait_result("conf.Publisher")
    sub = rt.wait_result("conf.Subscriber")
    assert pub["peerReady"] and pub["published"]
    assert sub["received"] == [
        {"kind": "json", "topic": "conformance/pubsub/data",
         "message": {"temperature": 21.5, "unit": "C", "tags": ["a", "b"],
                     "nested": {"ok": True, "n": None}}},
        {"kind": "binary", "topic": "conformance/pubsub/data",
         "base64": base64.b64encode(bytes(range(256))).decode()},
    ]


def test_wildcard_subscriptions_and_receive_modes(gg):
    rt = gg()
    rt.add("conf.Wildcard", "pubsub_wildcard.py", pubsub_acl(["conformance/*"]))
    rt.start()
    r = rt.wait_result("conf.Wildcard")

    def topics(received):
        for m in received:
            assert m["context"] == m["sentTo"], f"context.topic is not the concrete topic: {m}"
        return sorted(m["context"] for m in received)

    assert topics(r["plus"]) == ["conformance/wild/a/temp", "conformance/wild/b/temp"]
    assert topics(r["hash"]) == sorted([
        "conformance/wild/a/temp", "conformance/wild/b/temp", "conformance/wild/a/humidity",
        "conformance/wild/a/temp/extra", "conformance/wild/self"])
    assert r["fromOthers"] == [], "RECEIVE_MESSAGES_FROM_OTHERS delivered the component's own message"
    assert r["publishToWildcard"].get("error") == "InvalidArgumentsError", r["publishToWildcard"]
