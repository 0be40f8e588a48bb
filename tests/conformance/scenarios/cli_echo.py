"""Echo for the CLI test: every JSON message on conformance/cli/in is answered on
conformance/cli/out with {"echo": <message>, "from": <component>}. Stops after a few echoes."""

import os
import queue

from _scenario import main
from awsiot.greengrasscoreipc.model import JsonMessage, PublishMessage

NAME = os.path.basename(os.getcwd())


def body(sc):
    inbox = queue.Queue()
    sc.call("subscribe in", sc.ipc.subscribe_to_topic_async(
        topic="conformance/cli/in", on_stream_event=lambda e: inbox.put(e.json_message.message)))
    sc.signal("subscribed")
    echoed = []
    sc.result["echoed"] = echoed
    while len(echoed) < 5:
        try:
            message = inbox.get(timeout=20 if not echoed else 3)
        except queue.Empty:
            break
        sc.log("got", message)
        reply = PublishMessage(json_message=JsonMessage(message={"echo": message, "from": NAME}))
        sc.call("publish out", sc.ipc.publish_to_topic_async(
            topic="conformance/cli/out", publish_message=reply))
        echoed.append(message)


main(body)
