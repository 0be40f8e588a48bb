"""GetSecretValue served from the runtime's secrets file, with SecretManager authorization."""

import base64
import json

from ggrt import policy

BLOB = bytes([0, 1, 2, 250, 255])
ALLOWED = ["db-password", "api-token", "cert-blob", "does-not-exist"]
ACL = {"accessControl": {"aws.greengrass.SecretManager": {
    "conformance:secrets:1": policy(["GetSecretValue"], ALLOWED)}}}


def test_get_secret_value(gg):
    rt = gg()
    secrets = rt.base / "secrets.json"
    secrets.write_text(json.dumps({
        "db-password": "s3cr3t",
        "api-token": {"secretString": "tok-123"},
        "cert-blob": {"secretBinary": base64.b64encode(BLOB).decode()},
        "not-for-you": "hidden",
    }))
    rt.add("conf.Secrets", "secrets_ops.py", ACL)
    rt.start({"secretsFile": str(secrets)})
    r = rt.wait_result("conf.Secrets")

    assert r["db-password"]["secretId"] == "db-password"
    assert r["db-password"]["secretString"] == "s3cr3t"
    assert r["db-password"]["versionId"]
    assert isinstance(r["db-password"]["versionStage"], list)
    assert r["api-token"]["secretString"] == "tok-123"
    assert r["cert-blob"]["secretBinary"] == base64.b64encode(BLOB).decode()
    assert r["cert-blob"]["secretString"] is None
    assert r["forbidden"].get("error") == "UnauthorizedError", r["forbidden"]
    assert r["absent"].get("error") == "ResourceNotFoundError", r["absent"]
