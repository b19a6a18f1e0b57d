"""Response verification: every way a 2xx (200 and 204) can fail, and the ones that must pass."""

from __future__ import annotations

import base64
from typing import Any, Protocol

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from . import rt
from .conftest import WECHATPAY_KEY_ID, KeyPair

NOW = 1_700_000_000
BODIES = {200: b'{"plan_id":"12000","state":"\xe5\xae\xa1\xe6\xa0\xb8\xe4\xb8\xad"}', 204: b""}


def sign(key: KeyPair, timestamp: int, nonce: str, body: bytes) -> str:
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    return base64.b64encode(key.private.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


class SignedHeaders(Protocol):
    """``signed_headers(body, timestamp=, key=, **extra)``: response headers signing ``body``."""

    def __call__(
        self, body: bytes, *, timestamp: int = NOW, key: KeyPair | None = None, **extra: str
    ) -> httpx.Headers: ...


@pytest.fixture
def signed_headers(wechatpay_key: KeyPair) -> SignedHeaders:
    def make(
        body: bytes, *, timestamp: int = NOW, key: KeyPair | None = None, **extra: str
    ) -> httpx.Headers:
        nonce = "c5ac7061fccab6bf3e254dcf98995b8c"
        headers = {
            "Wechatpay-Timestamp": str(timestamp),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sign(key or wechatpay_key, timestamp, nonce, body),
            "Wechatpay-Serial": WECHATPAY_KEY_ID,
            "Request-ID": "08F0B5A5B5061010C2B68A0118A8A21F20-0",
        }
        headers.update(extra)
        return httpx.Headers(headers)

    return make


@pytest.fixture
def verifier(wechatpay_key: KeyPair) -> rt.verification.ResponseVerifier:
    key = rt.keys.load_public_key(wechatpay_key.public_pem)
    return rt.verification.ResponseVerifier({WECHATPAY_KEY_ID: key}, clock=lambda: NOW + 0.9)


def reason_of(
    verifier: rt.verification.ResponseVerifier, headers: httpx.Headers, body: bytes, status: int
) -> str:
    with pytest.raises(rt.errors.SignatureVerificationError) as info:
        verifier.verify(headers, body, request_id="REQ-1", status_code=status)
    error = info.value
    assert error.request_id == "REQ-1"
    assert "REQ-1" in str(error)
    assert error.status_code == status
    return str(error.reason)


@pytest.mark.parametrize("status", [200, 204])
def test_authentic_response_passes(
    verifier: rt.verification.ResponseVerifier,
    signed_headers: SignedHeaders,
    status: int,
) -> None:
    body = BODIES[status]
    verifier.verify(signed_headers(body), body, request_id="REQ-1", status_code=status)


@pytest.mark.parametrize("status", [200, 204])
@pytest.mark.parametrize(
    "missing", ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"]
)
def test_each_missing_header_fails(
    verifier: rt.verification.ResponseVerifier,
    signed_headers: SignedHeaders,
    status: int,
    missing: str,
) -> None:
    body = BODIES[status]
    headers = signed_headers(body)
    del headers[missing]
    assert reason_of(verifier, headers, body, status) == f"missing {missing} header"


@pytest.mark.parametrize("status", [200, 204])
@pytest.mark.parametrize("offset", [299, -299])
def test_timestamp_within_299_seconds_passes(
    verifier: rt.verification.ResponseVerifier,
    signed_headers: SignedHeaders,
    status: int,
    offset: int,
) -> None:
    body = BODIES[status]
    verifier.verify(signed_headers(body, timestamp=NOW + offset), body)


@pytest.mark.parametrize("status", [200, 204])
@pytest.mark.parametrize("offset", [300, -300, 86400])
def test_timestamp_300_seconds_off_fails(
    verifier: rt.verification.ResponseVerifier,
    signed_headers: SignedHeaders,
    status: int,
    offset: int,
) -> None:
    body = BODIES[status]
    reason = reason_of(verifier, signed_headers(body, timestamp=NOW + offset), body, status)
    assert f"{abs(offset)} s away" in reason


def test_max_clock_skew_is_configurable(
    wechatpay_key: KeyPair, signed_headers: SignedHeaders
) -> None:
    key = rt.keys.load_public_key(wechatpay_key.public_pem)
    strict = rt.verification.ResponseVerifier(
        {WECHATPAY_KEY_ID: key}, max_clock_skew=60, clock=lambda: NOW
    )
    strict.verify(signed_headers(b"", timestamp=NOW - 59), b"")
    with pytest.raises(rt.errors.SignatureVerificationError):
        strict.verify(signed_headers(b"", timestamp=NOW - 60), b"")


@pytest.mark.parametrize("status", [200, 204])
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"Wechatpay-Serial": "PUB_KEY_ID_0000000000000000000000000000"},
            "unknown Wechatpay-Serial",
        ),
        ({"Wechatpay-Timestamp": "17e8"}, "not a Unix time"),
        ({"Wechatpay-Timestamp": "-1700000000"}, "not a Unix time"),
        ({"Wechatpay-Timestamp": "１７００００００００".encode()}, "not a Unix time"),  # fullwidth
        ({"Wechatpay-Signature": "WECHATPAY/SIGNTEST/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, None),
        ({"Wechatpay-Signature": "not base64!!"}, "not valid Base64"),
        ({"Wechatpay-Signature": "QUJD"}, "does not match"),
        ({"Wechatpay-Nonce": "another-nonce"}, "does not match"),
        ({"Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}, "unsupported"),
    ],
)
def test_bad_headers_fail(
    verifier: rt.verification.ResponseVerifier,
    signed_headers: SignedHeaders,
    status: int,
    change: dict[str, Any],
    expected: str | None,
) -> None:
    body = BODIES[status]
    headers = signed_headers(body)
    headers.update(change)
    headers = httpx.Headers(headers.raw)  # as received: encoding detected over the raw bytes
    reason = reason_of(verifier, headers, body, status)
    if expected is not None:
        assert expected in reason


@pytest.mark.parametrize("status", [200, 204])
def test_tampered_body_fails(
    verifier: rt.verification.ResponseVerifier,
    signed_headers: SignedHeaders,
    status: int,
) -> None:
    body = BODIES[status]
    headers = signed_headers(body)
    tampered = body.replace(b"12000", b"12001") if body else b"{}"
    assert reason_of(verifier, headers, tampered, status) == "signature does not match the response"


@pytest.mark.parametrize("status", [200, 204])
def test_signature_by_another_key_fails(
    verifier: rt.verification.ResponseVerifier,
    signed_headers: SignedHeaders,
    other_key: KeyPair,
    status: int,
) -> None:
    body = BODIES[status]
    headers = signed_headers(body, key=other_key)
    assert "does not match" in reason_of(verifier, headers, body, status)


def test_reencoded_json_is_not_accepted(
    verifier: rt.verification.ResponseVerifier, signed_headers: SignedHeaders
) -> None:
    """The signature covers the raw bytes; semantically equal JSON with other spacing fails."""
    body = b'{"a":1,"b":2}'
    headers = signed_headers(body)
    assert "does not match" in reason_of(verifier, headers, b'{"a": 1, "b": 2}', 200)


def test_a_mapping_of_serials_to_keys_is_accepted(
    wechatpay_key: KeyPair,
    other_key: KeyPair,
    signed_headers: SignedHeaders,
) -> None:
    platform_serial = "7132D72A03E93CDDF8C03BBD1F37EEDF7D9D9F3A"
    verifier = rt.verification.ResponseVerifier(
        {
            WECHATPAY_KEY_ID: rt.keys.load_public_key(wechatpay_key.public_pem),
            platform_serial: rt.keys.load_public_key(other_key.public_pem),
        },
        clock=lambda: NOW,
    )
    headers = signed_headers(b"{}", key=other_key)
    headers["Wechatpay-Serial"] = platform_serial
    verifier.verify(headers, b"{}")
    verifier.verify(signed_headers(b"{}"), b"{}")
    # The serial selects the key: other_key's signature under the public key id fails.
    with pytest.raises(rt.errors.SignatureVerificationError):
        verifier.verify(signed_headers(b"{}", key=other_key), b"{}")


def test_header_lookup_is_case_insensitive(
    verifier: rt.verification.ResponseVerifier, signed_headers: SignedHeaders
) -> None:
    headers = signed_headers(b"{}")
    lowered = httpx.Headers({name.lower(): value for name, value in headers.items()})
    verifier.verify(lowered, b"{}")
