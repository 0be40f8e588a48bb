"""The Python side of the IPC benchmark runs under gg-local and reports sane numbers."""

from pathlib import Path

from ggrt import policy

BENCH = Path(__file__).resolve().parents[2] / "tools" / "bench" / "ipc_pubsub_py.py"
TOPIC = "bench/ipc/py"
ACL = {"accessControl": {"aws.greengrass.ipc.pubsub": {
    "bench:py": policy(["PublishToTopic", "SubscribeToTopic"], [TOPIC])}}}


def test_python_pubsub_bench_small_run(gg):
    rt = gg()
    rt.add("bench.IpcPubSubPy", str(BENCH), ACL,
           args=("--count", "300", "--topic", TOPIC, "--timeout", "25"))
    rt.start()
    r = rt.wait_result("bench.IpcPubSubPy")
    assert "error" not in r, r
    assert r["warmedUp"] and r["received"] == 300 and r["lost"] == 0 and r["publishErrors"] == 0, r
    assert r["payloadBytes"] == 200
    assert r["msgsPerSec"] > 0
    lat = r["latencyUs"]
    assert 0 < lat["min"] <= lat["p50"] <= lat["p99"] <= lat["max"], lat
