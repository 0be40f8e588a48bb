# Reads factory-sim over OPC UA with asyncua (a real client, not ours) and prints one JSON line of
# what it saw; the Rust test decides what is right. Usage: opcua_client.py URL NAMESPACE_URI [RPM]
# (RPM: also write the speed setpoint, then read it back), or
# opcua_client.py URL NAMESPACE_URI --status POINT (one read's status and value, bad ones too).
import asyncio
import json
import sys

from asyncua import Client, ua


class Recorder:
    def __init__(self):
        self.values = []

    def datachange_notification(self, node, val, data):
        self.values.append(val)


async def main(url, ns_uri, rpm):
    out = {}
    async with Client(url, timeout=10) as client:
        idx = await client.get_namespace_index(ns_uri)
        out["namespaceIndex"] = idx
        pump = await client.nodes.objects.get_child([f"{idx}:Line1", f"{idx}:Pump1"])
        browsed = {}
        for var in await pump.get_children():
            name = (await var.read_browse_name()).Name
            dv = await var.read_data_value()
            browsed[name] = {
                "nodeId": var.nodeid.to_string(),
                "value": dv.Value.Value,
                "type": dv.Value.VariantType.name,
                "status": dv.StatusCode.name,
            }
        out["browsed"] = browsed
        vib = client.get_node(f"ns={idx};s=Line1.Pump1.vibrationRms")
        series = []
        for _ in range(5):
            series.append(await vib.read_value())
            await asyncio.sleep(0.3)
        out["vibrationReads"] = series
        rec = Recorder()
        sub = await client.create_subscription(100, rec)
        await sub.subscribe_data_change([vib])
        await asyncio.sleep(3.0)
        await sub.delete()
        out["vibrationNotifications"] = rec.values
        if rpm is not None:
            sp = client.get_node(f"ns={idx};s=Line1.Pump1.speedSetpoint")
            await sp.write_value(ua.DataValue(ua.Variant(rpm, ua.VariantType.Float)))
            await asyncio.sleep(1.0)
            out["setpointAfterWrite"] = await sp.read_value()
    print(json.dumps(out))


async def status(url, ns_uri, point):
    async with Client(url, timeout=10) as client:
        idx = await client.get_namespace_index(ns_uri)
        node = client.get_node(f"ns={idx};s=Line1.Pump1.{point}")
        dv = await node.read_data_value(raise_on_bad_status=False)
        value = dv.Value.Value if dv.Value is not None else None
        print(json.dumps({"status": dv.StatusCode.name, "value": value}))


if __name__ == "__main__":
    if len(sys.argv) > 4 and sys.argv[3] == "--status":
        asyncio.run(status(sys.argv[1], sys.argv[2], sys.argv[4]))
    else:
        rpm = float(sys.argv[3]) if len(sys.argv) > 3 else None
        asyncio.run(main(sys.argv[1], sys.argv[2], rpm))
