"""PublishToIoTCore and SubscribeToIoTCore through the runtime's MQTT connection to the broker that
stands in for IoT Core. Signals `subscribed`, then waits for a command the test publishes."""

import base64
import json
import os

from _scenario import main
from awsiot.greengrasscoreipc.model import QOS

THING = os.environ.get("AWS_IOT_THING_NAME", "gateway1")
TELEMETRY = {"temperature": 21.5, "seq": 1}


def body(sc):
    sc.call("publish telemetry", sc.ipc.publish_to_iot_core_async(
        topic_name=f"things/{THING}/telemetry", qos=QOS.AT_LEAST_ONCE,
        payload=json.dumps(TELEMETRY).encode()))
    sc.call("publish raw", sc.ipc.publish_to_iot_core_async(
        topic_name=f"things/{THING}/raw", qos=QOS.AT_MOST_ONCE, payload=bytes(range(256))))
    commands = []

    def on_event(e):
        m = e.message
        commands.append({"topic": m.topic_name,
                         "base64": base64.b64encode(m.payload or b"").decode()})

    sc.result["commands"] = commands
    sc.call("subscribe commands", sc.ipc.subscribe_to_iot_core_async(
        topic_name=f"things/{THING}/commands/#", qos=QOS.AT_LEAST_ONCE, on_stream_event=on_event))
    sc.signal("subscribed")
    sc.wait_for("a command", lambda: commands, 20)


main(body)
