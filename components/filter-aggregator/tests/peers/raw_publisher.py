"""A stand-in adapter for the FilterAggregator's end-to-end test, run as a Greengrass component
under gg-local and talking IPC through AWS's own Python client (awsiotsdk).

It waits until the FilterAggregator passes a probe reading through, then publishes a malformed
binary message, a batch of an unknown schema version and one batch of temperature readings, and
records everything the FilterAggregator publishes back (filtered readings, aggregates, dead
letters) in RESULT_FILE as JSON. Usage: python raw_publisher.py RESULT_FILE
"""

import json
import os
import sys
import threading
import time

from awsiot.greengrasscoreipc.clientv2 import GreengrassCoreIPCClientV2
from awsiot.greengrasscoreipc.model import BinaryMessage, JsonMessage, PublishMessage

COMPONENT = "com.smartfactory.FilterAggregator"
TOPICS = {
    "filtered": "factory/filtered/press-1",
    "agg": "factory/agg/press-1",
    "dead": f"factory/dead-letter/{COMPONENT}",
    "probe": "factory/filtered/probe",
}
# Deadband 0.5 publishes 20.0, 21.0 and 25.0; 999.0 is above the rule's max and is rejected.
VALUES = [20.0, 20.1, 20.2, 21.0, 21.1, 25.0, 999.0]

result_path = sys.argv[1]
seen = {name: [] for name in TOPICS}
lock = threading.Lock()


def batch(device, readings, version=1):
    return {"schemaVersion": version, "kind": "readings", "gatewayId": "e2e-gateway",
            "device": device, "sequence": 0, "readings": readings}


def reading(device, point, value, t):
    return {"source": {"device": device, "point": point}, "value": value, "unit": "degC",
            "quality": "good", "gatewayTimeMs": t}


def recorder(name):
    def on_event(event):
        with lock:
            seen[name].append(event.json_message.message)
    return on_event


def publish_json(ipc, topic, doc):
    ipc.publish_to_topic(topic=topic, publish_message=PublishMessage(json_message=JsonMessage(message=doc)))


def wait(what, ready, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lock:
            if ready():
                return True
        time.sleep(0.05)
    print(f"gave up waiting for {what}", flush=True)
    return False


def main():
    result = {}
    try:
        ipc = GreengrassCoreIPCClientV2()
        for name, topic in TOPICS.items():
            ipc.subscribe_to_topic(topic=topic, on_stream_event=recorder(name))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not seen["probe"]:
            now = int(time.time() * 1000)
            publish_json(ipc, "factory/raw/probe", batch("probe", [reading("probe", "x", 1.0, now)]))
            time.sleep(0.2)
        result["filterLive"] = bool(seen["probe"])
        ipc.publish_to_topic(topic="factory/raw/press-1",
                             publish_message=PublishMessage(binary_message=BinaryMessage(message=b'{"schemaVersion": 1, "readings": [')))
        publish_json(ipc, "factory/raw/press-1", batch("press-1", [reading("press-1", "temperature", 1.0, 0)], version=2))
        # The last whole second: its window is still open for the rule's 5 s grace, and the
        # gateway clock closes it a few seconds later.
        t0 = (int(time.time() * 1000) // 1000) * 1000 - 1000
        readings = [reading("press-1", "temperature", v, t0 + 100 * i) for i, v in enumerate(VALUES)]
        publish_json(ipc, "factory/raw/press-1", batch("press-1", readings))
        result["windowStartMs"] = t0
        wait("aggregates and dead letters", lambda: seen["agg"] and len(seen["dead"]) >= 3 and seen["filtered"], 20)
    except Exception as e:  # recorded for the test to show
        result["error"] = repr(e)
    with lock:
        result.update({name: list(msgs) for name, msgs in seen.items() if name != "probe"})
    with open(result_path + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(result_path + ".tmp", result_path)
    print("result written", flush=True)


main()
