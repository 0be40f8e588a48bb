"""Component environment, UpdateState, SubscribeToComponentUpdates, TES, status and shutdown."""

import json
import os

from procs import pid_alive, wait_until

RUNTIME = {
    "thingName": "press-7",
    "region": "eu-central-1",
    "credentials": {"accessKeyId": "AKIDLOCALTEST", "secretAccessKey": "c2VjcmV0",
                    "sessionToken": "tok"},
}


def test_environment_state_updates_and_tes(gg):
    rt = gg()
    rt.add("conf.Lifecycle", "lifecycle_env.py")
    rt.start(RUNTIME)
    r = rt.wait_result("conf.Lifecycle")

    env = r["env"]
    assert env["SVCUID"], "no SVCUID"
    assert env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] == env["SVCUID"]
    sock = env["AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT"]
    assert os.path.samefile(os.path.join(r["cwd"], sock), rt.root / "ipc.socket")
    assert env["AWS_IOT_THING_NAME"] == "press-7"
    assert env["AWS_REGION"] == "eu-central-1"
    assert os.path.samefile(r["cwd"], rt.root / "work" / "conf.Lifecycle")

    assert r["updateState"] == {"ok": True}
    assert r["componentUpdates"] == {"ok": True}

    uri = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert uri.startswith(("http://localhost:", "http://127.0.0.1:")), uri
    assert r["tes"]["status"] == 200, r["tes"]
    creds = r["tes"]["body"]
    assert (creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"]) == (
        "AKIDLOCALTEST", "c2VjcmV0", "tok")
    assert creds["Expiration"]
    assert r["tesBadToken"]["status"] == 403

    status = json.loads(rt.cli("status", "--json").stdout)
    assert "conf.Lifecycle" in json.dumps(status) and "RUNNING" in json.dumps(status), status

    pid = r["pid"]
    assert pid_alive(pid), "scenario process should still be lingering"
    rt.proc.terminate()
    rt.proc.wait(timeout=20)
    assert rt.proc.returncode == 0, f"gg-local exited {rt.proc.returncode} on SIGTERM"
    wait_until(lambda: not pid_alive(pid), 5, "the component process to end with the runtime")
