#!/usr/bin/env python3
"""Modbus TCP simulator for the ModbusAdapter integration tests (pymodbus 3.16 SimDevice API).

Values are encoded here with Python's struct module, independently of the adapter's decoder.
Unit id 1, 0-based addresses (unit id 2 is a second slave on the same link: the same map, except
holding 0 = 0x0202 and no request counter):
  holding 0..999  one block (unused addresses hold 0); the typed values listed in HOLDING
  holding 1000+   undefined: any read answers exception 2 (illegal data address)
  input   0..15   0 = 0xBEEF, 1 = 253 (temperature * 10), 10 = requests served so far
  coils   0..15   alternating True/False;  discrete inputs 0..15: 1,0,1,1,0,0,1,0,...
Usage: modbus_sim.py <host> <port> [tcp|rtu-over-tcp]   (rtu-over-tcp: RTU frames on a TCP stream)
       modbus_sim.py serial <device> <baud>               (RTU on a serial line, e.g. a socat pty)
"""
import asyncio
import logging
import struct
import sys

from pymodbus import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

REQUESTS = 0


def words(fmt: str, value, order: str) -> list[int]:
    """Registers of `value` packed big-endian with `fmt`, rearranged to `order`."""
    raw = struct.pack(">" + fmt, value)
    pairs = [raw[i:i + 2] for i in range(0, len(raw), 2)]
    if order in ("CDAB", "DCBA"):
        pairs.reverse()
    if order in ("BADC", "DCBA"):
        pairs = [p[::-1] for p in pairs]
    return [int.from_bytes(p, "big") for p in pairs]


def text(s: str, registers: int, swap: bool) -> list[int]:
    raw = s.encode().ljust(2 * registers, b"\0")
    pairs = [raw[i:i + 2] for i in range(0, len(raw), 2)]
    return [int.from_bytes(p[::-1] if swap else p, "big") for p in pairs]


# address: registers (the Rust test holds the same values as expectations)
HOLDING = {
    0: words("H", 0xBEEF, "ABCD"),
    1: words("h", -1234, "ABCD"),
    2: words("h", -1234, "BADC"),
    10: words("I", 3_000_000_000, "ABCD"),
    12: words("I", 3_000_000_000, "CDAB"),
    14: words("I", 3_000_000_000, "BADC"),
    16: words("I", 3_000_000_000, "DCBA"),
    20: words("i", -123_456_789, "ABCD"),
    22: words("i", -123_456_789, "CDAB"),
    30: words("f", 21.5, "ABCD"),
    32: words("f", 21.5, "CDAB"),
    34: words("f", 21.5, "BADC"),
    36: words("f", 21.5, "DCBA"),
    40: words("d", -1234.5678, "ABCD"),
    44: words("d", -1234.5678, "CDAB"),
    48: words("d", -1234.5678, "BADC"),
    52: words("d", -1234.5678, "DCBA"),
    60: words("Q", 1_234_567_890_123_456_789, "ABCD"),
    64: words("q", -9_876_543_210, "DCBA"),
    68: words("q", -9_876_543_210, "CDAB"),
    74: words("e", 21.5, "ABCD"),
    75: [0xA005],
    76: words("H", 653, "ABCD"),
    80: text("PUMP-7 rev B", 8, False),
    90: text("LINE2", 4, True),
}


def holding_block() -> list[int]:
    regs = [0] * 1000
    for address, values in HOLDING.items():
        regs[address:address + len(values)] = values
    return regs


async def count_requests(fc, start, address, count, registers, set_values):
    """Counts every request; keeps input register 10 equal to the count."""
    global REQUESTS
    REQUESTS += 1
    if fc == 4 and start == 0:
        registers[10] = REQUESTS & 0xFFFF
    return None


def device(unit: int = 1) -> SimDevice:
    coils = [SimData(0, values=[i % 2 == 0 for i in range(16)], datatype=DataType.BITS)]
    dis = [SimData(0, values=[bool(b) for b in (1, 0, 1, 1, 0, 0, 1, 0) * 2], datatype=DataType.BITS)]
    holding = holding_block()
    if unit != 1:
        holding[0] = 0x0202
    hr = [SimData(0, values=holding, datatype=DataType.REGISTERS)]
    ir = [SimData(0, values=[0xBEEF, 253] + [0] * 14, datatype=DataType.REGISTERS)]
    action = count_requests if unit == 1 else None
    return SimDevice(unit, simdata=(coils, dis, hr, ir), action=action)


def devices() -> list[SimDevice]:
    return [device(1), device(2)]


async def main():
    logging.basicConfig(level=logging.ERROR)
    if len(sys.argv) == 4 and sys.argv[1] == "serial":
        path, baud = sys.argv[2], int(sys.argv[3])
        server = ModbusSerialServer(devices(), framer=FramerType.RTU, port=path, baudrate=baud)
        # Say "ready" only once the port is open: a request sent earlier would be lost.
        await server.serve_forever(background=True)
        print(f"modbus_sim ready on {path}", flush=True)
        await server.serving
        return
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    host, port = sys.argv[1], int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) == 4 else "tcp"
    framers = {"tcp": FramerType.SOCKET, "rtu-over-tcp": FramerType.RTU}
    if mode not in framers:
        raise SystemExit(__doc__)
    server = ModbusTcpServer(devices(), address=(host, port), framer=framers[mode])
    print(f"modbus_sim ready on {host}:{port}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
