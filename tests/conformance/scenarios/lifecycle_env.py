"""The nucleus environment of a component, UpdateState, SubscribeToComponentUpdates and the token
exchange service. Stays alive afterwards (bounded) so the test can look at the running process."""

import json
import os
import urllib.error
import urllib.request

from _scenario import ENV_KEYS, main


def fetch_credentials(token):
    req = urllib.request.Request(os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI", ""))
    if token is not None:
        req.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return {"status": resp.status, "body": json.loads(resp.read())}
    except urllib.error.HTTPError as e:
        return {"status": e.code}
    except Exception as e:
        return {"error": repr(e)}


def body(sc):
    sc.result["env"] = {k: os.environ.get(k) for k in ENV_KEYS}
    sc.result["updateState"] = sc.outcome("update_state", lambda: sc.ipc.update_state_async(
        state="RUNNING"))
    updates = []
    sc.result["componentUpdates"] = sc.outcome(
        "subscribe_to_component_updates",
        lambda: sc.ipc.subscribe_to_component_updates_async(on_stream_event=updates.append))
    sc.result["tes"] = fetch_credentials(os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
    sc.result["tesBadToken"] = fetch_credentials("not-a-component-token")


main(body, linger=25)
