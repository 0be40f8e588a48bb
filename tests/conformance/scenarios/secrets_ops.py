"""GetSecretValue from the runtime's local secrets file: string and binary secrets, a secret the
recipe does not allow (UnauthorizedError) and an allowed but absent one (ResourceNotFoundError)."""

import base64

from _scenario import main


def body(sc):
    for secret_id in ["db-password", "api-token", "cert-blob"]:
        r = sc.call(f"get {secret_id}", sc.ipc.get_secret_value_async(secret_id=secret_id))
        v = r.secret_value
        sc.result[secret_id] = {
            "secretId": r.secret_id,
            "versionId": r.version_id,
            "versionStage": r.version_stage,
            "secretString": v and v.secret_string,
            "secretBinary": v and v.secret_binary and base64.b64encode(v.secret_binary).decode(),
        }
    sc.result["forbidden"] = sc.outcome("get forbidden", lambda: sc.ipc.get_secret_value_async(
        secret_id="not-for-you"))
    sc.result["absent"] = sc.outcome("get absent", lambda: sc.ipc.get_secret_value_async(
        secret_id="does-not-exist"))


main(body)
