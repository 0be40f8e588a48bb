"""GetConfiguration / UpdateConfiguration and configuration-update events from a new deployment."""

import copy
import json
import subprocess

DEFAULTS = {"greeting": "hello", "nested": {"level": 3, "list": [1, 2]}, "threshold": 5}


def test_get_and_update_configuration(gg):
    rt = gg()
    rt.add("conf.Config", "config_ops.py", copy.deepcopy(DEFAULTS), merge={"nested": {"level": 4}})
    rt.start()
    r = rt.wait_result("conf.Config")

    whole = r["whole"]
    assert whole["componentName"] == "conf.Config"
    assert whole["value"]["greeting"] == "hello"
    assert whole["value"]["threshold"] == 5
    assert whole["value"]["nested"] == {"level": 4, "list": [1, 2]}, "deployment merge not applied"
    assert r["interior"]["value"] == {"level": 4, "list": [1, 2]}
    assert r["leaf"]["value"] == {"greeting": "hello"}, "a leaf is returned wrapped as {leaf: value}"
    assert r["deepLeaf"]["value"] == {"level": 4}
    assert r["missing"]["error"] == "ResourceNotFoundError", r["missing"]

    assert r["update"] == {"ok": True}
    assert r["afterUpdate"]["value"] == {"level": 7, "list": [1, 2], "added": "yes"}
    assert r["staleUpdate"].get("error") == "FailedUpdateConditionCheckError", r["staleUpdate"]
    assert r["afterStale"]["value"] == {"added": "yes"}


def test_configuration_update_event_from_new_deployment(gg):
    rt = gg()
    rt.add("conf.ConfigEvents", "config_events.py", {"threshold": 5, "unrelated": "same"},
           merge={"threshold": 10})
    rt.start()
    rt.wait_signal("conf.ConfigEvents", "subscribed")
    nxt = copy.deepcopy(rt.deployment)
    nxt["components"]["conf.ConfigEvents"]["configurationUpdate"] = {"merge": {"threshold": 42}}
    rt.deploy(nxt)
    r = rt.wait_result("conf.ConfigEvents")

    assert r["before"] == {"threshold": 10}
    assert r["after"] == {"threshold": 42}
    expected = {"componentName": "conf.ConfigEvents", "keyPath": ["threshold"]}
    assert expected in r["events"]["threshold"], r["events"]
    assert r["events"]["root"], "a subscription to the whole configuration got no event"
    assert all(e["componentName"] == "conf.ConfigEvents" for e in r["events"]["root"])
    assert r["events"]["unrelated"] == [], "event for a key the deployment did not change"


def test_component_rejects_a_configuration_and_the_deployment_fails(gg):
    rt = gg()
    rt.add("conf.ConfigCheck", "config_validation.py", {"threshold": 5})
    rt.start()
    rt.wait_signal("conf.ConfigCheck", "subscribed")

    def deployment(threshold):
        nxt = copy.deepcopy(rt.deployment)
        nxt["components"]["conf.ConfigCheck"]["configurationUpdate"] = {"merge": {"threshold": threshold}}
        path = rt.base / f"deployment-{threshold}.json"
        path.write_text(json.dumps(nxt))
        return subprocess.run([str(rt.binary), "deploy", "--root", str(rt.root), str(path)],
                              capture_output=True, text=True, timeout=60)

    refused = deployment(50)
    assert refused.returncode != 0
    assert "threshold 50 is above 10" in refused.stderr, refused.stderr
    accepted = deployment(7)
    assert accepted.returncode == 0, accepted.stderr

    r = rt.wait_result("conf.ConfigCheck")
    assert r["seen"] == [50, 7]
    assert r["after"] == {"threshold": 7}
