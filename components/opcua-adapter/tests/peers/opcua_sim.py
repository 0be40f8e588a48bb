#!/usr/bin/env python3
"""OPC UA server for the adapter's tests and benchmark, on asyncua 2.1.0.

Endpoint:  opc.tcp://<host>:<port>/factory/   namespace urn:factory:test (index 2)
Objects/Pump1 (ns=2, string ids):
  Pump1.Temperature  Double   60 + 5 sin(t/3), every 100 ms
  Pump1.Pressure     Double   3.2 + 0.1 sin(t), every 100 ms
  Pump1.Counter      UInt32   +1 every 100 ms
  Pump1.Running      Boolean  toggles every 5 s
  Pump1.Setpoint     Double   55.0, writable
  Pump1/Motor/Pump1.Motor.Current  Double  every 100 ms   (a sub-folder, for browse depth)
  Pump1/Motor/Pump1.Motor.Speed    Double  every 100 ms
Objects/Line/Cell000/Line.Tag00000 .. (with --tags N; --tags-per-cell per sub-folder, 100:
  asyncua adds a child in time linear in its siblings, so 10,000 in one folder take minutes),
  Double, each changed once every --tag-period-ms.
  The period is cut into --tag-slices slices written one after the other, so the change load is
  spread over the period instead of one burst. The items of a slice share one DataValue: value =
  the write's wall-clock time in ms modulo 1e6, source and server timestamp = that time. Every
  second a line "stats writes=<total> behind_ms=<worst overrun>" goes to stdout (overrun: how far
  past the end of its time slot a slice finished), so a benchmark sees the change rate the
  server really reached.
  For the benchmark the server keeps the encoded bytes of the last DataValue it sent: asyncua's
  generic encoder spends ~0.1 ms per monitored-item notification, so one process cannot publish
  10,000 changes/s. The cache is checked against asyncua's encoder at start (same bytes).
  Tag values are never modified after the write, so asyncua's per-item defensive deep copy of
  them is skipped (SharedValue).
Security: None (unless --secure-only), Basic256Sha256 Sign/SignAndEncrypt, and with
  --all-policies also Basic128Rsa15, Basic256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss.
  The server certificate is made on first start in --pki (SAN DNS:localhost) and reused after.
With --expired-cert the server certificate expired yesterday.
Identity: anonymous (unless --no-anonymous), user name operator / operator-pw, and any X.509 user
  certificate (asyncua checks the token's signature).
Prints "ready" once it serves. Exits when its stdin closes (the test that started it is gone).
"""
import argparse
import asyncio
import logging
import math
import os
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asyncua import Server, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

USERS = {"operator": "operator-pw"}
APP_URI = "urn:factory:test:server"
P = ua.SecurityPolicyType


class Users:
    def get_user(self, iserver, username=None, password=None, certificate=None):
        if username is None:
            return User(role=UserRole.User)
        if USERS.get(username) == password:
            return User(role=UserRole.User, name=username)
        return None


def write_expired_certificate(key_file, cert_file):
    """A server certificate that expired yesterday (otherwise like the normal one)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "opcua-sim-expired")])
    now = datetime.now(timezone.utc)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=True,
                          data_encipherment=True, key_agreement=False, key_cert_sign=False,
                          crl_sign=False, encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=10)).not_valid_after(now - timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(APP_URI), x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(Encoding.DER))


class SharedValue(ua.DataValue):
    """A tag value the simulator never changes after writing it. asyncua deep-copies every
    written DataValue once per monitored item (~0.1 ms each), which alone would take a core
    at 10,000 changes/s; an immutable value can be shared instead."""

    def __deepcopy__(self, memo):
        return self


def cache_notification_encoding():
    """Monitored-item notifications encode as handle + DataValue; the tag writer shares one
    DataValue per slice, so its bytes are encoded once per slice instead of once per item."""
    from asyncua.ua import ua_binary

    generic = ua_binary.create_type_serializer
    notification_generic = generic(ua.MonitoredItemNotification)
    data_value = generic(ua.DataValue)
    handle = ua_binary.Primitives.UInt32.pack
    last = [None, b""]

    def notification(n):
        if n.Value is not last[0]:
            last[0], last[1] = n.Value, data_value(n.Value)
        return handle(n.ClientHandle) + last[1]

    now = datetime.now(timezone.utc)
    value = ua.Variant(1.5, ua.VariantType.Double)
    plain = ua.DataValue(value, SourceTimestamp=now, ServerTimestamp=now)
    shared = SharedValue(value, SourceTimestamp=now, ServerTimestamp=now)
    expected = notification_generic(ua.MonitoredItemNotification(ClientHandle=7, Value=plain))
    if notification(ua.MonitoredItemNotification(ClientHandle=7, Value=shared)) != expected:
        sys.exit("notification cache does not match asyncua's encoding")

    def serializer(uatype):
        return notification if uatype is ua.MonitoredItemNotification else generic(uatype)

    ua_binary.create_type_serializer = serializer


def exit_with_parent():
    sys.stdin.read()
    os._exit(0)


async def main():
    threading.Thread(target=exit_with_parent, daemon=True).start()
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=4840)
    ap.add_argument("--pki", default="pki")
    ap.add_argument("--no-anonymous", action="store_true")
    ap.add_argument("--secure-only", action="store_true")
    ap.add_argument("--all-policies", action="store_true")
    ap.add_argument("--tags", type=int, default=0)
    ap.add_argument("--tag-period-ms", type=int, default=1000)
    ap.add_argument("--tag-slices", type=int, default=20)
    ap.add_argument("--tags-per-cell", type=int, default=100)
    ap.add_argument("--expired-cert", action="store_true")
    a = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)

    pki = Path(a.pki)
    pki.mkdir(parents=True, exist_ok=True)
    key, cert = pki / "server-key.pem", pki / "server-cert.der"
    if a.expired_cert:
        write_expired_certificate(key, cert)
    else:
        await setup_self_signed_certificate(
            key, cert, APP_URI, "localhost",
            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
            {"countryName": "DE", "organizationName": "factory-test", "commonName": "opcua-sim"},
        )
    if a.tags:
        cache_notification_encoding()
    server = Server(user_manager=Users())
    await server.init()
    server.set_endpoint(f"opc.tcp://{a.host}:{a.port}/factory/")
    server.set_server_name("factory OPC UA simulator")
    await server.set_application_uri(APP_URI)
    await server.load_certificate(str(cert))
    await server.load_private_key(str(key))
    policies = [P.Basic256Sha256_SignAndEncrypt, P.Basic256Sha256_Sign]
    if a.all_policies:
        policies += [
            P.Basic128Rsa15_Sign, P.Basic128Rsa15_SignAndEncrypt,
            P.Basic256_Sign, P.Basic256_SignAndEncrypt,
            P.Aes128Sha256RsaOaep_Sign, P.Aes128Sha256RsaOaep_SignAndEncrypt,
            P.Aes256Sha256RsaPss_Sign, P.Aes256Sha256RsaPss_SignAndEncrypt,
        ]
    if not a.secure_only:
        policies.insert(0, P.NoSecurity)
    server.set_security_policy(policies)
    tokens = [ua.UserNameIdentityToken, ua.X509IdentityToken]
    if not a.no_anonymous:
        tokens.insert(0, ua.AnonymousIdentityToken)
    server.set_identity_tokens(tokens)

    idx = await server.register_namespace("urn:factory:test")
    objects = server.nodes.objects
    pump = await objects.add_object(ua.NodeId("Pump1", idx), ua.QualifiedName("Pump1", idx))
    motor = await pump.add_folder(ua.NodeId("Pump1.Motor", idx), ua.QualifiedName("Motor", idx))

    async def var(parent, sid, name, value, vtype):
        return await parent.add_variable(ua.NodeId(sid, idx), ua.QualifiedName(name, idx),
                                         ua.Variant(value, vtype))

    D = ua.VariantType.Double
    temp = await var(pump, "Pump1.Temperature", "Temperature", 60.0, D)
    pres = await var(pump, "Pump1.Pressure", "Pressure", 3.2, D)
    cnt = await var(pump, "Pump1.Counter", "Counter", 0, ua.VariantType.UInt32)
    run = await var(pump, "Pump1.Running", "Running", True, ua.VariantType.Boolean)
    sp = await var(pump, "Pump1.Setpoint", "Setpoint", 55.0, D)
    await sp.set_writable()
    cur = await var(motor, "Pump1.Motor.Current", "Current", 12.0, D)
    speed = await var(motor, "Pump1.Motor.Speed", "Speed", 1450.0, D)

    tags = []
    if a.tags:
        line = await objects.add_folder(ua.NodeId("Line", idx), ua.QualifiedName("Line", idx))
        per_cell = max(1, a.tags_per_cell)
        for i in range(a.tags):
            if i % per_cell == 0:
                c = i // per_cell
                cell = await line.add_folder(ua.NodeId(f"Line.Cell{c:03d}", idx),
                                             ua.QualifiedName(f"Cell{c:03d}", idx))
            node = await var(cell, f"Line.Tag{i:05d}", f"Tag{i:05d}", 0.0, D)
            tags.append(node.nodeid)

    async def tag_writer():
        aspace = server.iserver.aspace
        value_attr = ua.AttributeIds.Value
        slices = max(1, min(a.tag_slices, len(tags)))
        bounds = [len(tags) * k // slices for k in range(slices + 1)]
        step = a.tag_period_ms / 1000.0 / slices
        nxt = time.monotonic()
        writes, behind = 0, 0.0
        report_at = nxt + 1.0
        while True:
            for k in range(slices):
                nxt = max(nxt + step, time.monotonic())  # no catch-up bursts when late
                await asyncio.sleep(max(0.0, nxt - time.monotonic()))
                now = datetime.now(timezone.utc)
                dv = SharedValue(ua.Variant((now.timestamp() * 1000.0) % 1e6, D),
                                 SourceTimestamp=now, ServerTimestamp=now)
                for nid in tags[bounds[k]:bounds[k + 1]]:
                    await aspace.write_attribute_value(nid, value_attr, dv)
                writes += bounds[k + 1] - bounds[k]
                behind = max(behind, time.monotonic() - (nxt + step))
                if time.monotonic() >= report_at:
                    try:
                        print(f"stats writes={writes} behind_ms={behind * 1000.0:.0f}", flush=True)
                    except OSError:
                        pass  # nobody reads the stats (a test); keep changing the tags
                    report_at += 1.0
                    behind = 0.0

    async with server:
        print(f"ready opc.tcp://{a.host}:{a.port}/factory/ ns={idx}", flush=True)
        if tags:
            asyncio.ensure_future(tag_writer())
        t0, n = time.monotonic(), 0
        while True:
            await asyncio.sleep(0.1)
            n += 1
            t = time.monotonic() - t0
            await temp.write_value(60.0 + 5.0 * math.sin(t / 3))
            await pres.write_value(3.2 + 0.1 * math.sin(t))
            await cnt.write_value(ua.Variant(n, ua.VariantType.UInt32))
            await run.write_value(int(t / 5) % 2 == 0)
            await cur.write_value(12.0 + math.sin(t))
            await speed.write_value(1450.0 + 10 * math.sin(t / 2))


if __name__ == "__main__":
    asyncio.run(main())
