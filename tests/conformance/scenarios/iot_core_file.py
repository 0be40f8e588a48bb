"""PublishToIoTCore with no broker configured: the runtime appends each publish to its file sink."""

from _scenario import main
from awsiot.greengrasscoreipc.model import QOS


def body(sc):
    sc.call("publish text", sc.ipc.publish_to_iot_core_async(
        topic_name="dt/factory/gateway1/line1", qos=QOS.AT_LEAST_ONCE,
        payload=b'{"oee": 0.87, "line": "L1"}'))
    sc.call("publish binary", sc.ipc.publish_to_iot_core_async(
        topic_name="dt/factory/gateway1/raw", qos=QOS.AT_MOST_ONCE, payload=b"\x00\xff\xfe\x01",
        retain=True))
    sc.result["published"] = 2


main(body)
