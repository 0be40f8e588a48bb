#!/usr/bin/env python3
"""Reference for the ModbusAdapter benchmark: a pymodbus client doing the same reads.

Usage: modbus_ref_client.py <port> <seconds> <requests.json>
requests.json: {"devices": N, "intervalMs": T, "requests": [[table, start, count], ...]} where every
device runs the same request list once per interval. Prints one JSON line: CPU seconds of this
process, requests and registers read, wall time.
"""
import asyncio
import json
import sys
import time

from pymodbus.client import AsyncModbusTcpClient


async def device(port, plan, interval, until, stats):
    client = AsyncModbusTcpClient("127.0.0.1", port=port)
    await client.connect()
    read = {
        "coil": client.read_coils,
        "discreteInput": client.read_discrete_inputs,
        "holding": client.read_holding_registers,
        "input": client.read_input_registers,
    }
    next_cycle = time.monotonic()
    while time.monotonic() < until:
        for table, start, count in plan:
            rr = await read[table](start, count=count, device_id=1)
            stats["requests"] += 1
            stats["points"] += 0 if rr.isError() else count
        next_cycle += interval
        await asyncio.sleep(max(0.0, next_cycle - time.monotonic()))
    client.close()


async def main():
    port, seconds, path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    spec = json.load(open(path))
    stats = {"requests": 0, "points": 0}
    until = time.monotonic() + seconds
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.gather(*[
        device(port, spec["requests"], spec["intervalMs"] / 1000, until, stats)
        for _ in range(spec["devices"])
    ])
    print(json.dumps({"cpuSeconds": time.process_time() - cpu0, "wallSeconds": time.monotonic() - wall0,
                      "requests": stats["requests"], "addressesRead": stats["points"]}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
