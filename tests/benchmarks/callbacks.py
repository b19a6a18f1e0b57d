"""Section 7: the cost of ``parse_notification``, against its cryptography alone.

The target (issue 13): parsing a callback (COUPON.SEND, the spec's example, into its generated
model) costs at most 1.2x one RSA-2048 verification plus one AES-256-GCM decryption of the same
bytes, done directly with ``cryptography``; and in
platform-certificate mode, once the certificates are loaded, the lookup by serial adds nothing
measurable (the same callback through a certificate-mode client, target <= 1.05x). Everything
runs in this process, interleaved in rounds (the order rotates), so noise hits all alike.

Where the time above the floor goes: the same work built up in the order parse_notification does
it (each step run after the RSA verification, so with the caches as they are in the real call),
one row per step with what it adds (no target; for whoever speeds it up next).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .stats import Row, median, ratio_row, us

SECTION = "7 callbacks"
_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
_EVENT = "COUPON.SEND"


def _time(call: Callable[[], object], count: int) -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(count):
        call()
    return (clock() - start) / count


def run(specs: Path, *, rounds: int, batch: int) -> list[Row]:
    import wechatpay_marketing as wp
    from wechatpay_codegen.loader import load_specs
    from wechatpay_codegen.sandbox import generate_keys
    from wechatpay_codegen.sandbox.notify import build_callback
    from wechatpay_marketing._runtime.certificates import PlatformCertificate
    from wechatpay_marketing._runtime.keys import load_public_key

    keys = generate_keys()
    # A real event of the specs (parsed into its generated model), signed by the sandbox's
    # WeChat Pay key: once under its public key id, once under a platform certificate serial.
    by_key = build_callback(load_specs([specs]), keys, _EVENT)
    by_cert = build_callback(
        load_specs([specs]), keys, _EVENT, signer=(keys.wechatpay_private_key, _SERIAL)
    )
    public = keys.wechatpay_public_key
    common = {
        "mchid": keys.mchid,
        "serial_no": keys.merchant_serial_no,
        "private_key": keys.merchant_private_key,
        "api_v3_key": keys.api_v3_key,
        "base_url": "http://127.0.0.1:9",
        "backup_base_url": None,
    }
    key_client = wp.WeChatPayClient(
        **common,
        wechatpay_public_key_id=keys.wechatpay_public_key_id,
        wechatpay_public_key=public,
        platform_certificates=False,
    )
    cert_client = wp.WeChatPayClient(**common)
    store = cert_client._certificates
    assert store is not None
    # Loaded as a download would load them: a handful of certificates, one of them ours.
    far = time.time() + 365 * 86400
    loaded = {
        f"{i:040X}": PlatformCertificate(f"{i:040X}", load_public_key(public), 0.0, far)
        for i in range(1, 4)
    }
    loaded[_SERIAL] = PlatformCertificate(_SERIAL, load_public_key(public), 0.0, far)
    store.install(loaded)

    key_headers, body = by_key.header_dict(), by_key.body
    cert_headers, cert_body = by_cert.header_dict(), by_cert.body
    encrypted = json.loads(body)["resource"]
    message = (
        f"{key_headers['Wechatpay-Timestamp']}\n{key_headers['Wechatpay-Nonce']}\n".encode()
        + body
        + b"\n"
    )
    signature = base64.b64decode(key_headers["Wechatpay-Signature"])
    sealed = base64.b64decode(encrypted["ciphertext"])
    aead = AESGCM(keys.api_v3_key.encode())
    nonce, associated = encrypted["nonce"].encode(), encrypted["associated_data"].encode()
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    assert key_client.parse_notification(headers=key_headers, body=body).event_type == _EVENT
    steps = _steps(key_client, key_headers, body, aead, sealed)

    def baseline() -> None:
        public.verify(signature, message, pkcs1, sha256)
        aead.decrypt(nonce, sealed, associated)

    def with_key() -> None:
        key_client.parse_notification(headers=key_headers, body=body)

    def with_certificates() -> None:
        cert_client.parse_notification(headers=cert_headers, body=cert_body)

    calls = {"baseline": baseline, "key": with_key, "cert": with_certificates}
    calls.update({what: step for what, step in steps})
    series: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    for name in order:  # warm up
        _time(calls[name], 5)
    for index in range(rounds):
        turn = index % len(order)
        for name in order[turn:] + order[:turn]:
            series[name].append(_time(calls[name], batch))
    key_client.close()
    cert_client.close()

    base, key, cert = (median(series[n]) for n in ("baseline", "key", "cert"))
    breakdown, before = [], base
    for what, _ in steps:
        now = median(series[what])
        breakdown.append(
            Row(SECTION, f"  where it goes: {what}", f"+{(now - before) * 1e6:.1f} µs")
        )
        before = now
    breakdown.append(
        Row(
            SECTION,
            "  where it goes: envelope checks, create_time, Notification, the call",
            f"+{(key - before) * 1e6:.1f} µs",
        )
    )
    return [
        Row(SECTION, "RSA verify + AES-GCM decrypt (cryptography alone)", us(base)),
        ratio_row(
            SECTION,
            "parse_notification (public key) vs verify + decrypt",
            key / base,
            at_most=1.2,
            value=us(key),
        ),
        *breakdown,
        ratio_row(
            SECTION,
            "parse_notification (platform certificates loaded) vs public key",
            cert / key,
            at_most=1.05,
            value=us(cert),
        ),
    ]


def _steps(
    client: object,
    headers: dict[str, str],
    body: bytes,
    aead: AESGCM,
    sealed: bytes,
) -> list[tuple[str, Callable[[], object]]]:
    """parse_notification's work, built up step by step (each includes the ones before)."""
    from wechatpay_marketing._runtime import aead as runtime_aead
    from wechatpay_marketing._runtime import notification

    verifier = client._verifier  # type: ignore[attr-defined]
    key = client._api_v3_key  # type: ignore[attr-defined]
    model = client._notification_models[_EVENT]  # type: ignore[attr-defined]
    envelope = json.loads(body)
    nonce = envelope["resource"]["nonce"].encode()
    associated = envelope["resource"]["associated_data"].encode()

    def verified() -> None:
        values = notification._header_values(headers)
        verifier.verify_values(*values, body, subject="callback")

    def verify() -> None:
        verified()
        aead.decrypt(nonce, sealed, associated)

    def envelope_json() -> None:
        verified()
        notification._json(body, "callback body")
        aead.decrypt(nonce, sealed, associated)

    def resource() -> bytes:
        verified()
        parsed = notification._json(body, "callback body")
        return runtime_aead.decrypt_resource(key, parsed["resource"])

    def resource_json() -> object:
        return notification._json(resource(), "the decrypted resource")

    def parsed_model() -> object:
        return model(resource_json())

    return [
        ("verification beyond RSA (headers, checks, Base64, message)", verify),
        ("envelope JSON", envelope_json),
        ("resource checks and Base64 (decryption itself in the floor)", resource),
        ("resource JSON", resource_json),
        ("resource model (generated from_dict)", parsed_model),
    ]
