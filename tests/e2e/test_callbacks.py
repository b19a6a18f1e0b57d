"""Callbacks end to end: built as WeChat Pay sends them with the sandbox's keys, parsed by the
generated clients (merchant and brand, public key and platform certificates, sync and async)."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

import pytest
import wechatpay_marketing as wp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpay_codegen.sandbox import Sandbox

RESOURCE = {"stock_id": "9856888", "coupon_code": "券码-0001", "openid": "o-user"}


def callback(
    sandbox: Sandbox,
    *,
    key: rsa.RSAPrivateKey | None = None,
    serial: str | None = None,
    event_type: str = "SANDBOX.UNDESCRIBED",
    resource: Any = RESOURCE,
    brand: bool = False,
) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of a callback: AEAD_AES_256_GCM with the APIv3 key, then signed."""
    nonce = secrets.token_hex(6)
    plaintext = json.dumps(resource, ensure_ascii=False).encode()
    api_key = sandbox.keys.brand_api_key if brand else sandbox.api_v3_key
    sealed = AESGCM(api_key.encode()).encrypt(nonce.encode(), plaintext, b"coupon")
    body = json.dumps(
        {
            "id": "EV-" + secrets.token_hex(8),
            "create_time": "2025-01-01T10:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "通知",
            "resource": {
                "original_type": "coupon",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(sealed).decode(),
                "associated_data": "coupon",
                "nonce": nonce,
            },
        },
        ensure_ascii=False,
    ).encode()
    timestamp, signature_nonce = str(int(time.time())), secrets.token_hex(16)
    message = f"{timestamp}\n{signature_nonce}\n".encode() + body + b"\n"
    signer = key or sandbox.keys.wechatpay_private_key
    signature = signer.sign(message, padding.PKCS1v15(), hashes.SHA256())
    headers = {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": signature_nonce,
        "Wechatpay-Signature": base64.b64encode(signature).decode(),
        "Wechatpay-Serial": serial or sandbox.keys.wechatpay_public_key_id,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }
    return headers, body


@pytest.mark.parametrize("party", ["merchant", "brand"])
def test_merchant_and_brand_callbacks_parse(sandbox: Sandbox, party: str) -> None:
    config = (
        sandbox.brand_config(api_v3_key=True)
        if party == "brand"
        else sandbox.merchant_config(api_v3_key=True)
    )
    headers, body = callback(sandbox, event_type="SANDBOX.UNDESCRIBED", brand=party == "brand")
    with wp.WeChatPayClient(**config) as client:
        notification = client.parse_notification(headers=headers, body=body)
    assert isinstance(notification, wp.Notification)
    assert notification.event_type == "SANDBOX.UNDESCRIBED"
    assert notification.resource == RESOURCE  # an event no spec describes: a dict
    assert "券码" not in repr(notification)
    assert sandbox.requests == []  # no I/O


async def test_the_async_client_parses_without_awaiting(sandbox: Sandbox) -> None:
    headers, body = callback(sandbox, event_type="SANDBOX.UNDESCRIBED")
    async with wp.AsyncWeChatPayClient(**sandbox.merchant_config(api_v3_key=True)) as client:
        notification = client.parse_notification(headers=headers, body=body)
    assert notification.resource == RESOURCE  # an event no spec describes: a dict


def test_a_forged_callback_is_refused(sandbox: Sandbox) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers, body = callback(sandbox, key=other)
    with wp.WeChatPayClient(**sandbox.merchant_config(api_v3_key=True)) as client:
        with pytest.raises(wp.SignatureVerificationError, match="callback signature"):
            client.parse_notification(headers=headers, body=body)


def test_certificate_mode_callbacks_need_loaded_certificates(sandbox: Sandbox) -> None:
    serial = sandbox.use_platform_certificates()
    try:
        current = sandbox.processor.platform.current
        assert current is not None
        headers, body = callback(sandbox, key=current.private_key, serial=serial)
        config = sandbox.merchant_config(verification="certificate")
        with wp.WeChatPayClient(**config) as client:
            with pytest.raises(wp.SignatureVerificationError, match="refresh_certificates"):
                client.parse_notification(headers=headers, body=body)
            assert sandbox.requests == []  # parse_notification never downloads
            assert client.refresh_certificates() == [serial]
            notification = client.parse_notification(headers=headers, body=body)
            assert notification.id.startswith("EV-")
            # Rotation: a callback from the new certificate after a refresh.
            new = sandbox.rotate_platform_certificate()
            newest = sandbox.processor.platform.current
            assert newest is not None
            headers, body = callback(sandbox, key=newest.private_key, serial=new)
            with pytest.raises(wp.SignatureVerificationError):
                client.parse_notification(headers=headers, body=body)
            assert new in client.refresh_certificates()
            client.parse_notification(headers=headers, body=body)
    finally:
        sandbox.use_public_key_only()


async def test_async_refresh_certificates(sandbox: Sandbox) -> None:
    serial = sandbox.use_platform_certificates()
    try:
        config = sandbox.merchant_config(verification="certificate")
        async with wp.AsyncWeChatPayClient(**config) as client:
            assert await client.refresh_certificates() == [serial]
    finally:
        sandbox.use_public_key_only()
