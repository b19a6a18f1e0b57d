"""Callbacks: parse_notification verifies like a response, decrypts AEAD_AES_256_GCM, parses.

Callbacks are built here independently of the runtime: signed with the test's WeChat Pay key
(RSASSA-PKCS1-v1_5 SHA-256 over ``TIMESTAMP\\nNONCE\\nBODY\\n``) and encrypted with
``cryptography``'s AESGCM, as protocol.md §6 and §8 describe.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import rt
from .conftest import (
    MERCHANT_ID,
    SERIAL_NO,
    WECHATPAY_KEY_ID,
    KeyPair,
    LoadedKeys,
    MakeOfflineClient,
)

API_V3_KEY = "0123456789abcdefABCDEF0123456789"  # 32 ASCII characters, like the platform's
EVENT = "COUPON.SEND"
RESOURCE = {"stock_id": "9856888", "coupon_code": "秘密-券码-123", "openid": "o-secret-openid"}
NONCE = "c5ac7061fccab6bf3e254dcf98995b8c"


def encrypt(
    plaintext: bytes, *, key: str = API_V3_KEY, nonce: str = "fdasflkja484", aad: str = "coupon"
) -> dict[str, str]:
    ciphertext = AESGCM(key.encode()).encrypt(nonce.encode(), plaintext, aad.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "nonce": nonce,
        "associated_data": aad,
        "original_type": "coupon",
    }


def envelope(resource: Any, event_type: str = EVENT, **overrides: Any) -> bytes:
    data: dict[str, Any] = {
        "id": "EV-2018022511223320873",
        "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "商家券领券通知",
        "resource": resource,
    }
    data.update(overrides)
    # Pretty-printed with non-ASCII text: re-serializing it would change the bytes.
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def signed(
    key: KeyPair, body: bytes, *, timestamp: int | None = None, serial: str = WECHATPAY_KEY_ID
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    message = f"{ts}\n{NONCE}\n".encode() + body + b"\n"
    signature = key.private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": NONCE,
        "Wechatpay-Signature": base64.b64encode(signature).decode(),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Request-ID": "08F0B5A5B5061010C2B68A0118A8A21F20-0",
    }


@pytest.fixture
def make(loaded_keys: LoadedKeys) -> MakeOfflineClient:
    """Clients that never send anything (parse_notification does no I/O)."""

    def make(cls: type[Any] | None = None, **overrides: Any) -> Any:
        kwargs: dict[str, Any] = {
            "mchid": MERCHANT_ID,
            "serial_no": SERIAL_NO,
            "private_key": loaded_keys.private,
            "wechatpay_public_key_id": WECHATPAY_KEY_ID,
            "wechatpay_public_key": loaded_keys.public,
            "base_url": "http://127.0.0.1:9",
            "backup_base_url": None,
            "api_v3_key": API_V3_KEY,
            **overrides,
        }
        return (cls or rt.client.SyncAPIClient)(**kwargs)

    return make


def test_a_callback_verifies_decrypts_and_parses(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE, ensure_ascii=False).encode()))
    notification = make().parse_notification(headers=signed(wechatpay_key, body), body=body)

    assert isinstance(notification, rt.package.Notification)
    assert notification.id == "EV-2018022511223320873"
    assert notification.event_type == EVENT
    assert notification.resource_type == "encrypt-resource"
    assert notification.summary == "商家券领券通知"
    assert notification.create_time == datetime(
        2015, 5, 20, 13, 29, 35, tzinfo=timezone(timedelta(hours=8))
    )
    assert notification.resource == RESOURCE  # no model registered: a dict
    # The decrypted data is the secret part: never in the repr.
    assert "秘密" not in repr(notification) and "o-secret-openid" not in repr(notification)


def test_header_names_match_case_insensitively_and_body_may_be_bytearray(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    headers = {name.lower(): value for name, value in signed(wechatpay_key, body).items()}
    as_bytearray: Any = bytearray(body)  # not what the signature says: a framework may pass it
    assert make().parse_notification(headers=headers, body=as_bytearray).resource == RESOURCE
    # ASGI-style raw headers: bytes names and values, in any case.
    raw: Any = {name.upper().encode(): value.encode() for name, value in headers.items()}
    assert make().parse_notification(headers=raw, body=body).resource == RESOURCE


def test_a_header_that_is_not_text_is_a_notification_error(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    headers: dict[str, Any] = dict(signed(wechatpay_key, body))
    headers["Wechatpay-Nonce"] = 12345
    with pytest.raises(rt.errors.NotificationError, match="header Wechatpay-Nonce must be a str"):
        make().parse_notification(headers=headers, body=body)
    with pytest.raises(rt.errors.NotificationError, match="headers must be a mapping"):
        not_a_mapping: Any = [("Wechatpay-Nonce", NONCE)]  # deliberately of the wrong type
        make().parse_notification(headers=not_a_mapping, body=body)


async def test_the_async_client_parses_with_a_plain_method(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    client = make(rt.client.AsyncAPIClient)
    try:
        body = envelope(encrypt(json.dumps(RESOURCE).encode()))
        notification = client.parse_notification(headers=signed(wechatpay_key, body), body=body)
        assert notification.resource == RESOURCE
    finally:
        await client.close()


def test_a_registered_event_type_gives_the_model(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    seen: list[Any] = []

    def from_dict(data: Any) -> Any:
        seen.append(data)
        return SimpleNamespace(**rt.serde.expect_object(data, ""))

    class Client(rt.client.SyncAPIClient):
        _notification_models: ClassVar[dict[str, Any]] = {EVENT: from_dict}

    client = make(Client)
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    notification = client.parse_notification(headers=signed(wechatpay_key, body), body=body)
    assert notification.resource == SimpleNamespace(**RESOURCE)
    assert seen == [RESOURCE]

    # Another event type still parses, to a dict.
    other = envelope(encrypt(json.dumps({"x": 1}).encode()), event_type="SOMETHING.NEW")
    parsed = client.parse_notification(headers=signed(wechatpay_key, other), body=other)
    assert parsed.resource == {"x": 1}
    assert parsed.event_type == "SOMETHING.NEW"


def test_a_resource_of_the_wrong_shape_is_a_notification_error_without_values(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    def from_dict(data: Any) -> Any:
        rt.serde.required(rt.serde.expect_object(data, ""), "missing_field", "", rt.serde.parse_str)

    class Client(rt.client.SyncAPIClient):
        _notification_models: ClassVar[dict[str, Any]] = {EVENT: from_dict}

    body = envelope(encrypt(json.dumps(RESOURCE, ensure_ascii=False).encode()))
    with pytest.raises(rt.errors.NotificationError) as info:
        make(Client).parse_notification(headers=signed(wechatpay_key, body), body=body)
    assert "missing_field" in str(info.value)
    assert "秘密" not in str(info.value)


# -- verification: exactly like a response ----------------------------------------------------


def _reason(client: rt.client.SyncAPIClient, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(rt.errors.SignatureVerificationError) as info:
        client.parse_notification(headers=headers, body=body)
    assert str(info.value).startswith("callback signature verification failed: ")
    assert info.value.subject == "callback"
    return str(info.value.reason)


def test_a_tampered_body_fails(make: MakeOfflineClient, wechatpay_key: KeyPair) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    headers = signed(wechatpay_key, body)
    tampered = body.replace(b'"summary"', b'"summary" ')
    assert "does not match the callback" in _reason(make(), headers, tampered)


def test_a_re_serialized_body_fails(make: MakeOfflineClient, wechatpay_key: KeyPair) -> None:
    """The most common integration bug: the framework parsed the JSON and it was dumped again."""
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    headers = signed(wechatpay_key, body)
    again = json.dumps(json.loads(body)).encode()
    assert "does not match" in _reason(make(), headers, again)


def test_a_parsed_body_is_refused_with_the_framework_hint(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    with pytest.raises(rt.errors.NotificationError, match="raw request body bytes"):
        make().parse_notification(headers=signed(wechatpay_key, body), body=json.loads(body))


def test_a_stale_callback_fails(make: MakeOfflineClient, wechatpay_key: KeyPair) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    headers = signed(wechatpay_key, body, timestamp=int(time.time()) - 301)
    assert "stale or replayed callback" in _reason(make(), headers, body)


def test_a_probe_signature_fails(make: MakeOfflineClient, wechatpay_key: KeyPair) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    headers = signed(wechatpay_key, body)
    headers["Wechatpay-Signature"] = "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"][19:]
    _reason(make(), headers, body)


def test_another_key_and_an_unknown_serial_fail(
    make: MakeOfflineClient, wechatpay_key: KeyPair, other_key: KeyPair
) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    assert "does not match" in _reason(make(), signed(other_key, body), body)
    headers = signed(wechatpay_key, body, serial="PUB_KEY_ID_0000")
    assert "unknown Wechatpay-Serial" in _reason(make(), headers, body)


@pytest.mark.parametrize(
    "missing", ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"]
)
def test_each_missing_header_fails(
    make: MakeOfflineClient, wechatpay_key: KeyPair, missing: str
) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    headers = signed(wechatpay_key, body)
    del headers[missing]
    assert missing in _reason(make(), headers, body)


def test_the_body_limit_comes_before_any_cryptography(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    client = make(max_notification_bytes=1024)
    big = envelope(encrypt(b'{"pad":"' + b"x" * 2000 + b'"}'))
    # Unsigned headers: were anything verified first, this would be a SignatureVerificationError.
    with pytest.raises(rt.errors.NotificationError, match="over the 1024-byte limit"):
        client.parse_notification(headers={}, body=big)
    default = make()
    huge = b" " * (rt.notification.DEFAULT_MAX_NOTIFICATION_BYTES + 1)
    with pytest.raises(rt.errors.NotificationError, match="limit"):
        default.parse_notification(headers={}, body=huge)


# -- decryption --------------------------------------------------------------------------------


def test_a_wrong_api_v3_key_is_a_decryption_error_without_key_or_plaintext(
    make: MakeOfflineClient, wechatpay_key: KeyPair, caplog: Any
) -> None:
    other_key = "X" * 32
    body = envelope(encrypt(json.dumps(RESOURCE, ensure_ascii=False).encode(), key=other_key))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(rt.errors.DecryptionError) as info:
        make().parse_notification(headers=signed(wechatpay_key, body), body=body)
    text = f"{info.value} {info.value!r} {caplog.text}"
    assert isinstance(info.value, rt.errors.WeChatPayError)
    assert API_V3_KEY not in text and other_key not in text and "秘密" not in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"algorithm": "AEAD_AES_128_GCM"}, "only AEAD_AES_256_GCM"),
        ({"ciphertext": "not base64!"}, "not valid Base64"),
        ({"ciphertext": base64.b64encode(b"short").decode()}, "shorter than the 16-byte"),
        ({"nonce": "another-nonce"}, "does not decrypt"),
        ({"associated_data": "other"}, "does not decrypt"),
        ({"nonce": None}, "nonce is missing"),
    ],
)
def test_a_tampered_resource_is_a_decryption_error(
    make: MakeOfflineClient,
    wechatpay_key: KeyPair,
    change: dict[str, Any],
    message: str,
) -> None:
    resource: dict[str, Any] = {**encrypt(json.dumps(RESOURCE).encode()), **change}
    body = envelope({k: v for k, v in resource.items() if v is not None})
    with pytest.raises(rt.errors.DecryptionError, match=message):
        make().parse_notification(headers=signed(wechatpay_key, body), body=body)


def test_empty_associated_data_decrypts(make: MakeOfflineClient, wechatpay_key: KeyPair) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode(), aad=""))
    notification = make().parse_notification(headers=signed(wechatpay_key, body), body=body)
    assert notification.resource == RESOURCE


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b" \n\t[1, 2]\r\n", "not a JSON object"),  # whitespace around a value is JSON
        (envelope({"x": "y"}) + b" {}", "not valid JSON"),  # one value, then more
        (envelope({"x": "y"}) + b"]", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff{}", "not valid JSON"),  # not UTF-8
        (envelope({"x": "y"}, id=None), "'id' is missing"),
        (envelope("text"), "'resource' is missing or not an object"),
    ],
)
def test_a_verified_body_of_the_wrong_shape_is_a_notification_error(
    make: MakeOfflineClient, wechatpay_key: KeyPair, body: bytes, message: str
) -> None:
    with pytest.raises(rt.errors.NotificationError, match=message):
        make().parse_notification(headers=signed(wechatpay_key, body), body=body)


def test_whitespace_around_the_envelope_and_the_resource_is_json(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    body = b"\r\n " + envelope(encrypt(b" \n" + json.dumps(RESOURCE).encode() + b"\n ")) + b"\n"
    notification = make().parse_notification(headers=signed(wechatpay_key, body), body=body)
    assert notification.resource == RESOURCE


def test_a_failed_callback_names_its_request_id_whatever_the_header_case(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    headers = signed(wechatpay_key, body)
    request_id = headers.pop("Request-ID")
    headers["request-id"] = request_id
    with pytest.raises(rt.errors.SignatureVerificationError) as info:
        make().parse_notification(headers=headers, body=body + b" ")
    assert info.value.request_id == request_id and request_id in str(info.value)
    del headers["request-id"]
    with pytest.raises(rt.errors.SignatureVerificationError) as info:
        make().parse_notification(headers=headers, body=body + b" ")
    assert info.value.request_id is None


def test_a_decrypted_resource_that_is_not_json(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    body = envelope(encrypt(b"secret plain text"))
    with pytest.raises(rt.errors.NotificationError) as info:
        make().parse_notification(headers=signed(wechatpay_key, body), body=body)
    assert "secret" not in str(info.value)


# -- the APIv3 key -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["short", "x" * 31, "x" * 33, b"\x00" * 16, "é" * 32, 12345678901234567890]
)
def test_a_wrong_api_v3_key_fails_at_construction(make: MakeOfflineClient, value: Any) -> None:
    with pytest.raises(rt.errors.ConfigurationError) as info:
        make(api_v3_key=value)
    assert "api_v3_key" in str(info.value)
    if isinstance(value, str) and len(value) > 4:
        assert value not in str(info.value)


def test_bytes_api_v3_key_works_and_is_never_shown(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    raw = os.urandom(32)
    client = make(api_v3_key=raw)
    ciphertext = AESGCM(raw).encrypt(b"nonce-123456", json.dumps(RESOURCE).encode(), b"")
    resource = {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "nonce": "nonce-123456",
        "associated_data": "",
    }
    body = envelope(resource)
    notification = client.parse_notification(headers=signed(wechatpay_key, body), body=body)
    assert notification.resource == RESOURCE
    assert repr(raw) not in repr(client)
    assert repr(client._api_v3_key) == "<ApiV3Key [hidden]>"


def test_without_api_v3_key_parse_notification_says_what_to_configure(
    make: MakeOfflineClient, wechatpay_key: KeyPair
) -> None:
    body = envelope(encrypt(json.dumps(RESOURCE).encode()))
    with pytest.raises(rt.errors.NotificationError, match="api_v3_key="):
        make(api_v3_key=None).parse_notification(headers=signed(wechatpay_key, body), body=body)
