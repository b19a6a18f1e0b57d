"""Section 7: the cost of ``parse_notification``, against its cryptography alone.

The target (issue 13): parsing a callback costs at most 1.2x one RSA-2048 verification plus one
AES-256-GCM decryption of the same bytes, done directly with ``cryptography``; and in
platform-certificate mode, once the certificates are loaded, the lookup by serial adds nothing
measurable (the same callback through a certificate-mode client, target <= 1.05x). Everything
runs in this process, interleaved in rounds (the order rotates), so noise hits all alike.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .stats import Row, median, ratio_row, us

SECTION = "7 callbacks"
_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000"


def _callback(
    key: rsa.RSAPrivateKey, api_v3_key: bytes, serial: str
) -> tuple[dict[str, str], bytes, dict[str, str]]:
    resource = {"stock_id": "9856888", "coupon_code": "C" * 20, "openid": "o" * 28}
    nonce = secrets.token_hex(6)
    sealed = AESGCM(api_v3_key).encrypt(nonce.encode(), json.dumps(resource).encode(), b"coupon")
    encrypted = {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "nonce": nonce,
        "associated_data": "coupon",
    }
    body = json.dumps(
        {
            "id": "EV-2018022511223320873",
            "create_time": "2015-05-20T13:29:35+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "COUPON.SEND",
            "summary": "商家券领券通知",
            "resource": encrypted,
        },
        ensure_ascii=False,
    ).encode()
    timestamp, signature_nonce = str(int(time.time())), secrets.token_hex(16)
    message = f"{timestamp}\n{signature_nonce}\n".encode() + body + b"\n"
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    headers = {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": signature_nonce,
        "Wechatpay-Signature": base64.b64encode(signature).decode(),
        "Wechatpay-Serial": serial,
    }
    return headers, body, encrypted


def _time(call: Callable[[], object], count: int) -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(count):
        call()
    return (clock() - start) / count


def run(*, rounds: int, batch: int) -> list[Row]:
    import wechatpay_marketing as wp
    from wechatpay_marketing._runtime.certificates import PlatformCertificate
    from wechatpay_marketing._runtime.keys import load_public_key

    wechatpay_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    merchant_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    api_v3_key = secrets.token_hex(16).encode()
    public = wechatpay_key.public_key()
    common = {
        "mchid": "1900000001",
        "serial_no": _SERIAL,
        "private_key": merchant_key,
        "api_v3_key": api_v3_key,
        "base_url": "http://127.0.0.1:9",
        "backup_base_url": None,
    }
    key_client = wp.WeChatPayClient(
        **common,
        wechatpay_public_key_id=_KEY_ID,
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

    key_headers, body, encrypted = _callback(wechatpay_key, api_v3_key, _KEY_ID)
    cert_headers = {**key_headers, "Wechatpay-Serial": _SERIAL}
    message = (
        f"{key_headers['Wechatpay-Timestamp']}\n{key_headers['Wechatpay-Nonce']}\n".encode()
        + body
        + b"\n"
    )
    signature = base64.b64decode(key_headers["Wechatpay-Signature"])
    sealed = base64.b64decode(encrypted["ciphertext"])
    aead = AESGCM(api_v3_key)
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def baseline() -> None:
        public.verify(signature, message, pkcs1, sha256)
        aead.decrypt(encrypted["nonce"].encode(), sealed, b"coupon")

    def with_key() -> None:
        key_client.parse_notification(headers=key_headers, body=body)

    def with_certificates() -> None:
        cert_client.parse_notification(headers=cert_headers, body=body)

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
