"""accessControl enforcement: denied calls give UnauthorizedError, allowed ones pass."""

from ggrt import policy

ACL = {"accessControl": {"aws.greengrass.ipc.pubsub": {
    "conformance:authz:both": policy(["PublishToTopic", "SubscribeToTopic"],
                                     ["conformance/authz/allowed"]),
    "conformance:authz:pubonly": policy(["PublishToTopic"], ["conformance/authz/pubonly/#"]),
}}}


def test_unauthorized_calls(gg):
    rt = gg()
    rt.add("conf.Authz", "authz_denied.py", ACL)
    rt.start({"secretsFile": str(_secrets(rt))})
    r = rt.wait_result("conf.Authz")

    assert r["publishAllowed"] == {"ok": True}
    assert r["subscribeAllowed"] == {"ok": True}
    assert r["publishPubOnly"] == {"ok": True}
    for denied in ["publishForbidden", "subscribeForbidden", "subscribePubOnly",
                   "iotCorePublish", "iotCoreSubscribe", "secret"]:
        assert r[denied].get("error") == "UnauthorizedError", (denied, r[denied])


def _secrets(rt):
    path = rt.base / "secrets.json"
    path.write_text('{"db-password": "s3cr3t"}')
    return path
