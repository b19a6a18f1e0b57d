"""The sandbox's platform certificates: the legacy keys merchants verify with before a public key.

Off by default: the sandbox then behaves like the account of a merchant that has a WeChat Pay
public key, and ``GET /v3/certificates`` answers 404 as WeChat Pay does for such merchants. Turned
on (``Sandbox.use_platform_certificates``), the sandbox serves its certificates there, each
encrypted with the APIv3 key (AEAD_AES_256_GCM: the key's 32 bytes, a 12-character nonce, the
associated data ``certificate``), and signs its answers with the newest certificate, or still
with the public key (``sign_with="public-key"``: the migration period, when both are live).
``rotate()`` issues a new certificate that signs from then on; the old one stays listed until it
expires, as WeChat Pay does.

The certificates are self-signed X.509 (RSA-2048, SHA-256) with a random 160-bit serial number,
which ``Wechatpay-Serial`` carries as 40 upper-case hex digits.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

SignWith = Literal["certificate", "public-key"]
ALGORITHM = "AEAD_AES_256_GCM"
ASSOCIATED_DATA = "certificate"
DEFAULT_VALIDITY = dt.timedelta(days=5 * 365)


@dataclass(frozen=True)
class PlatformCertificate:
    serial_no: str
    private_key: rsa.RSAPrivateKey = field(repr=False)
    pem: bytes = field(repr=False)
    not_before: dt.datetime
    not_after: dt.datetime


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")


def issue_certificate(
    *, not_before: dt.datetime | None = None, validity: dt.timedelta = DEFAULT_VALIDITY
) -> PlatformCertificate:
    """A fresh self-signed platform certificate with a 40-hex-digit serial number."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = (not_before or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    serial = secrets.randbits(159) | (1 << 156)  # 40 hex digits, positive (DER INTEGER)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wechatpay-codegen sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Sandbox WeChat Pay platform certificate"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(start + validity)
        .sign(key, hashes.SHA256())
    )
    return PlatformCertificate(
        serial_no=f"{serial:040X}",
        private_key=key,
        pem=certificate.public_bytes(serialization.Encoding.PEM),
        not_before=start,
        not_after=start + validity,
    )


def encrypt(api_v3_key: str, plaintext: bytes, associated_data: str) -> dict[str, str]:
    """An ``AEAD_AES_256_GCM`` object as WeChat Pay writes it (ciphertext = data + 16-byte tag)."""
    nonce = secrets.token_hex(6)  # 12 characters, like WeChat Pay's
    sealed = AESGCM(api_v3_key.encode("ascii")).encrypt(
        nonce.encode(), plaintext, associated_data.encode()
    )
    return {
        "algorithm": ALGORITHM,
        "nonce": nonce,
        "associated_data": associated_data,
        "ciphertext": base64.b64encode(sealed).decode("ascii"),
    }


class PlatformCertificates:
    """The certificate mode's state (thread-safe); ``enabled`` False: public-key merchant."""

    def __init__(self, api_v3_key: str) -> None:
        self.api_v3_key = api_v3_key
        self.enabled = False
        self.sign_with: SignWith = "certificate"
        self._certificates: list[PlatformCertificate] = []
        self._lock = threading.Lock()

    def enable(self, sign_with: SignWith = "certificate") -> None:
        if sign_with not in ("certificate", "public-key"):
            raise ValueError("sign_with must be 'certificate' or 'public-key'")
        with self._lock:
            if not self._certificates:
                self._certificates.append(issue_certificate())
            self.sign_with = sign_with
            self.enabled = True

    def disable(self) -> None:
        """Back to a public-key merchant; the certificates are forgotten (a fresh set next time)."""
        with self._lock:
            self.enabled = False
            self._certificates.clear()

    def rotate(self, certificate: PlatformCertificate | None = None) -> PlatformCertificate:
        """Issue (or add) a new certificate; it signs from now on. Older ones stay listed."""
        new = certificate or issue_certificate()
        with self._lock:
            self._certificates.append(new)
        return new

    @property
    def certificates(self) -> list[PlatformCertificate]:
        with self._lock:
            return list(self._certificates)

    @property
    def current(self) -> PlatformCertificate | None:
        """The certificate that signs: the newest one (None before any was issued)."""
        with self._lock:
            return self._certificates[-1] if self._certificates else None

    def knows(self, serial: str) -> bool:
        return any(c.serial_no == serial for c in self.certificates)

    def listing(self) -> bytes:
        """The body of ``GET /v3/certificates``: every unexpired certificate, encrypted."""
        now = dt.datetime.now(dt.timezone.utc)
        data = [
            {
                "serial_no": cert.serial_no,
                "effective_time": _rfc3339(cert.not_before),
                "expire_time": _rfc3339(cert.not_after),
                "encrypt_certificate": encrypt(self.api_v3_key, cert.pem, ASSOCIATED_DATA),
            }
            for cert in self.certificates
            if cert.not_after > now
        ]
        return json.dumps({"data": data}, separators=(",", ":")).encode()
