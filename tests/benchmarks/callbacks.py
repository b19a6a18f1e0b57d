"""Section 7: the cost of ``parse_notification``, against its cryptography alone.

The target (issue 13): parsing a callback (COUPON.SEND, the spec's example, into its generated
model) costs at most 1.2x one RSA-2048 verification plus one AES-256-GCM decryption of the same
bytes, done directly with ``cryptography``; and in
platform-certificate mode, once the certificates are loaded, the lookup by serial adds nothing
measurable (the same callback through a certificate-mode client, target <= 1.05x). Everything
runs in this process, interleaved in rounds (the order rotates), so noise hits all alike.
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

    def baseline() -> None:
        public.verify(signature, message, pkcs1, sha256)
        aead.decrypt(nonce, sealed, associated)

    def with_key() -> None:
        key_client.parse_notification(headers=key_headers, body=body)

    def with_certificates() -> None:
        cert_client.parse_notification(headers=cert_headers, body=cert_body)

    series: dict[str, list[float]] = {"baseline": [], "key": [], "cert": []}
    calls = {"baseline": baseline, "key": with_key, "cert": with_certificates}
    order = list(calls)
    for name in order:  # warm up
        _time(calls[name], 5)
    for index in range(rounds):
        for name in order[index % 3 :] + order[: index % 3]:
            series[name].append(_time(calls[name], batch))
    key_client.close()
    cert_client.close()

    base, key, cert = (median(series[n]) for n in ("baseline", "key", "cert"))
    return [
        Row(SECTION, "RSA verify + AES-GCM decrypt (cryptography alone)", us(base)),
        ratio_row(
            SECTION,
            "parse_notification (public key) vs verify + decrypt",
            key / base,
            at_most=1.2,
            value=us(key),
        ),
        ratio_row(
            SECTION,
            "parse_notification (platform certificates loaded) vs public key",
            cert / key,
            at_most=1.05,
            value=us(cert),
        ),
    ]
