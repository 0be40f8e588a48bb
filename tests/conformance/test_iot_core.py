"""PublishToIoTCore / SubscribeToIoTCore against a mutual-TLS mosquitto, and the file sink."""

import base64
import json

from ggrt import policy
from procs import wait_until

MQTT_ACL = {"accessControl": {"aws.greengrass.ipc.mqttproxy": {
    "conformance:mqtt:1": policy(["PublishToIoTCore", "SubscribeToIoTCore"],
                                 ["things/gateway1/*", "dt/factory/gateway1/*"])}}}


def test_publish_and_subscribe_through_mtls_broker(gg, broker):
    up = broker.watch("things/gateway1/+", count=2)
    rt = gg()
    rt.add("conf.IotCore", "iot_core_mqtt.py", MQTT_ACL)
    rt.start({"iotCore": broker.runtime_config()})

    got = dict(up.wait(2, timeout=30))
    assert json.loads(got["things/gateway1/telemetry"]) == {"temperature": 21.5, "seq": 1}
    assert got["things/gateway1/raw"] == bytes(range(256))

    rt.wait_signal("conf.IotCore", "subscribed")
    result = rt.components["conf.IotCore"].result
    command = b'{"action": "reboot"}'
    # SubscribeToIoTCore answers after the broker's SUBACK, so one publish must arrive.
    assert not result.exists()
    broker.publish("things/gateway1/commands/reboot", command)
    r = rt.wait_result("conf.IotCore")
    assert r["commands"][0] == {"topic": "things/gateway1/commands/reboot",
                                "base64": base64.b64encode(command).decode()}


def test_publish_to_file_sink_without_broker(gg):
    rt = gg()
    rt.add("conf.IotFile", "iot_core_file.py", MQTT_ACL)
    rt.start()
    assert rt.wait_result("conf.IotFile")["published"] == 2

    outbox = rt.root / "iot-core" / "outbox.jsonl"
    wait_until(lambda: outbox.exists() and len(outbox.read_text().splitlines()) >= 2, 10,
               f"two lines in {outbox}")
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert len(lines) == 2
    text, raw = lines
    assert (text["topic"], text["qos"], text["retain"]) == ("dt/factory/gateway1/line1", 1, False)
    assert text["payload"] == '{"oee": 0.87, "line": "L1"}'
    assert base64.b64decode(text["payloadBase64"]) == b'{"oee": 0.87, "line": "L1"}'
    assert (raw["topic"], raw["qos"], raw["retain"]) == ("dt/factory/gateway1/raw", 0, True)
    assert base64.b64decode(raw["payloadBase64"]) == b"\x00\xff\xfe\x01"
    assert isinstance(text["timeMs"], int) and text["timeMs"] > 1_600_000_000_000
