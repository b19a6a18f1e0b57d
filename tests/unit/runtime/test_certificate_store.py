"""The platform-certificate store: parsing a download, and when to download again."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from . import rt

API_V3_KEY = "0123456789abcdefABCDEF0123456789"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def certificate(serial: int, *, days: int = 365, start: dt.datetime = NOW) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test platform certificate")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start - dt.timedelta(days=1))
        .not_valid_after(start + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def entry(serial_no: str, pem: bytes, key: str = API_V3_KEY) -> dict[str, Any]:
    sealed = AESGCM(key.encode()).encrypt(b"0123456789ab", pem, b"certificate")
    return {
        "serial_no": serial_no,
        "effective_time": "2026-01-01T00:00:00+08:00",
        "expire_time": "2027-01-01T00:00:00+08:00",
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM",
            "nonce": "0123456789ab",
            "associated_data": "certificate",
            "ciphertext": base64.b64encode(sealed).decode(),
        },
    }


def body(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"data": list(entries)}).encode()


SERIAL_A = 0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1
SERIAL_B = 0x1157F09EFDC096DE15EBE81A47057A7232F1B8E2


@pytest.fixture
def key() -> rt.aead.ApiV3Key:
    return rt.aead.load_api_v3_key(API_V3_KEY)


def test_a_download_parses_to_keys_by_serial(key: rt.aead.ApiV3Key) -> None:
    a, b = f"{SERIAL_A:040X}", f"{SERIAL_B:040X}"
    found = rt.certificates.parse_certificates(
        body(entry(a, certificate(SERIAL_A)), entry(b.lower(), certificate(SERIAL_B, days=30))),
        key,
        now=NOW.timestamp(),
    )
    assert sorted(found) == sorted([a, b])
    assert found[b].not_after == (NOW + dt.timedelta(days=30)).timestamp()


def test_expired_certificates_are_dropped(key: rt.aead.ApiV3Key) -> None:
    a, b = f"{SERIAL_A:040X}", f"{SERIAL_B:040X}"
    old = certificate(SERIAL_B, days=1, start=NOW - dt.timedelta(days=10))
    found = rt.certificates.parse_certificates(
        body(entry(a, certificate(SERIAL_A)), entry(b, old)), key, now=NOW.timestamp()
    )
    assert list(found) == [a]
    with pytest.raises(rt.errors.PlatformCertificateError, match="no unexpired certificate"):
        rt.certificates.parse_certificates(body(entry(b, old)), key, now=NOW.timestamp())


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not JSON"),
        (b'{"items": []}', "no 'data' list"),
        (b'{"data": [{"x": 1}]}', "no serial_no"),
        (body(entry(f"{SERIAL_B:040X}", certificate(SERIAL_A))), "does not match its certificate"),
        (body(entry(f"{SERIAL_A:040X}", b"not a certificate")), "PEM certificate"),
        (body(entry(f"{SERIAL_A:040X}", certificate(SERIAL_A), key="x" * 32)), "api_v3_key"),
    ],
)
def test_a_bad_download_is_a_platform_certificate_error(
    key: rt.aead.ApiV3Key, payload: bytes, message: str
) -> None:
    with pytest.raises(rt.errors.PlatformCertificateError, match=message) as info:
        rt.certificates.parse_certificates(payload, key, now=NOW.timestamp(), request_id="R-9")
    assert "R-9" in str(info.value)
    assert API_V3_KEY not in str(info.value)


class Clock:
    def __init__(self) -> None:
        self.now = NOW.timestamp()

    def __call__(self) -> float:
        return self.now


def _store(clock: Clock, required: bool = True) -> rt.certificates.CertificateStore:
    return rt.certificates.CertificateStore(
        required=required, refresh_interval=3600.0, min_interval=60.0, clock=clock
    )


def _cert(serial: str, not_after: float) -> rt.certificates.PlatformCertificate:
    key: Any = object()  # never used: the schedule reads the dates only
    return rt.certificates.PlatformCertificate(serial, key, NOW.timestamp(), not_after)


def test_the_schedule() -> None:
    clock = Clock()
    store = _store(clock)
    assert store.due() and not store.loaded  # required and never loaded: the first call loads
    store.attempted()
    assert store.due()  # ... even right after a failed try (each call reports the failure)
    store.install({"A": _cert("A", clock.now + 365 * 86400)})
    assert store.loaded and store.generation == 1 and not store.due()
    clock.now += 3599
    assert not store.due()
    clock.now += 1
    assert store.due()  # the refresh interval is up
    store.attempted()
    assert not store.due()  # ... but not twice within the minimum interval
    # A certificate expiring within a day: refresh before it does (no sooner than a minute).
    store.install({"A": _cert("A", clock.now + 3600)})
    clock.now += 59
    assert not store.due()
    clock.now += 1
    assert store.due()


def test_unknown_serials_refresh_at_most_once_per_interval() -> None:
    clock = Clock()
    store = _store(clock, required=False)
    assert not store.due()  # migration: nothing to download until a serial asks for it
    assert store.may_refresh_for("B")
    store.attempted()
    store.install({"A": _cert("A", clock.now + 365 * 86400)})
    assert not store.may_refresh_for("A")  # known
    assert not store.may_refresh_for("B")  # too soon
    clock.now += 60
    assert store.may_refresh_for("B")
    assert store.newest_serial() == "A"
    assert "A" in repr(store)
