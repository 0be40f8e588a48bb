"""The gg-local CLI against a running runtime: pub, sub, logs, status."""

import json
import subprocess
import time

ACL = {"accessControl": {"aws.greengrass.ipc.pubsub": {
    "conformance:cli:1": {"operations": ["*"], "resources": ["conformance/cli/*"]}}}}


def test_pub_sub_logs_and_status(gg):
    rt = gg()
    rt.add("conf.Cli", "cli_echo.py", ACL)
    rt.start()
    rt.wait_signal("conf.Cli", "subscribed")

    sub = subprocess.Popen(
        [str(rt.binary), "sub", "--root", str(rt.root), "conformance/cli/out", "--count", "1",
         "--timeout-secs", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # `sub` prints nothing when it is subscribed: publish until it has seen an echo.
        deadline = time.monotonic() + 20
        n = 0
        while sub.poll() is None and time.monotonic() < deadline:
            rt.cli("pub", "conformance/cli/in", json.dumps({"n": n, "text": "hi"}))
            n += 1
            time.sleep(0.3)
        out, err = sub.communicate(timeout=25)
    finally:
        sub.kill()
    assert sub.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    got = lines[0]
    assert got["topic"] == "conformance/cli/out"
    assert got["message"]["from"] == "conf.Cli"
    assert got["message"]["echo"]["text"] == "hi" and isinstance(got["message"]["echo"]["n"], int)

    logs = rt.cli("logs", "conf.Cli").stdout
    assert "[cli_echo.py] got {'n': 0, 'text': 'hi'}" in logs, logs

    listed = json.dumps(json.loads(rt.cli("status", "--json").stdout))
    assert "conf.Cli" in listed, listed
