"""Authorization from the recipe's accessControl: allowed calls pass, everything else gives
UnauthorizedError (pub/sub by topic and operation, IoT Core and secrets without any policy)."""

from _scenario import main
from awsiot.greengrasscoreipc.model import JsonMessage, PublishMessage, QOS


def body(sc):
    msg = PublishMessage(json_message=JsonMessage(message={"x": 1}))
    ipc, r = sc.ipc, sc.result

    def pub(topic):
        return lambda: ipc.publish_to_topic_async(topic=topic, publish_message=msg)

    def sub(topic):
        return lambda: ipc.subscribe_to_topic_async(topic=topic, on_stream_event=lambda e: None)

    r["publishAllowed"] = sc.outcome("publish allowed", pub("conformance/authz/allowed"))
    r["subscribeAllowed"] = sc.outcome("subscribe allowed", sub("conformance/authz/allowed"))
    r["publishForbidden"] = sc.outcome("publish forbidden", pub("conformance/authz/forbidden"))
    r["subscribeForbidden"] = sc.outcome("subscribe forbidden", sub("conformance/authz/forbidden"))
    r["publishPubOnly"] = sc.outcome("publish pub-only", pub("conformance/authz/pubonly/x"))
    r["subscribePubOnly"] = sc.outcome("subscribe pub-only", sub("conformance/authz/pubonly/x"))
    r["iotCorePublish"] = sc.outcome("iot core publish", lambda: ipc.publish_to_iot_core_async(
        topic_name="things/gateway1/x", qos=QOS.AT_MOST_ONCE, payload=b"{}"))
    r["iotCoreSubscribe"] = sc.outcome("iot core subscribe", lambda: ipc.subscribe_to_iot_core_async(
        topic_name="things/gateway1/#", qos=QOS.AT_MOST_ONCE, on_stream_event=lambda e: None))
    r["secret"] = sc.outcome("secret", lambda: ipc.get_secret_value_async(secret_id="db-password"))


main(body)
