"""Verifying a 2xx response (204 included) before any of its data is used.

Message: ``TIMESTAMP\\nNONCE\\nRAW_BODY\\n`` over the raw body bytes as received. The key is the
WeChat Pay public key whose id equals ``Wechatpay-Serial``; the timestamp must be within
``max_clock_skew`` seconds of the local clock. Any failure raises
:class:`SignatureVerificationError`; probe signatures (``WECHATPAY/SIGNTEST/...``) are not
special-cased: they simply fail.
"""

from __future__ import annotations

import base64
import binascii
import sys
import time
from collections.abc import Callable, Mapping
from typing import Final, Protocol

from .errors import SignatureVerificationError
from .keys import PublicKey

__all__ = ["DEFAULT_MAX_CLOCK_SKEW", "ResponseVerifier", "b64decode_strict"]

DEFAULT_MAX_CLOCK_SKEW: Final = 300

_SIGNATURE_TYPES: Final = frozenset({"WECHATPAY2-SHA256-RSA2048", "WECHATPAY-BRAND-SHA256-RSA2048"})
_MAX_TIMESTAMP_DIGITS: Final = 12
_MAX_SIGNATURE_CHARS: Final = 2048


def b64decode_strict(data: bytes) -> bytes:
    """Standard Base64 with padding, nothing else allowed (``binascii.Error`` otherwise)."""
    if sys.version_info >= (3, 11):  # strict mode in C: no regular expression pass first
        return binascii.a2b_base64(data, strict_mode=True)
    return base64.b64decode(data, validate=True)  # pragma: no cover - Python 3.10


class KeySource(Protocol):
    """More verification keys by serial (the platform certificates, downloaded when needed)."""

    @property
    def keys(self) -> Mapping[str, PublicKey]: ...


class ResponseVerifier:
    """Checks WeChat Pay signatures against a fixed set of public keys (by id) and, in
    platform-certificate mode, the certificates of a :class:`KeySource` (by serial)."""

    __slots__ = ("_certificates", "_clock", "_keys", "max_clock_skew")

    def __init__(
        self,
        public_keys: Mapping[str, PublicKey],
        *,
        max_clock_skew: int = DEFAULT_MAX_CLOCK_SKEW,
        clock: Callable[[], float] = time.time,
        certificates: KeySource | None = None,
    ) -> None:
        if not public_keys and certificates is None:
            raise ValueError("at least one WeChat Pay public key is needed to verify responses")
        self._keys = dict(public_keys)
        self._certificates = certificates
        self.max_clock_skew = max_clock_skew
        self._clock = clock

    @property
    def uses_certificates(self) -> bool:
        return self._certificates is not None

    def knows(self, serial: str) -> bool:
        """Whether a key with this id / serial is configured or loaded."""
        certificates = self._certificates
        return serial in self._keys or (certificates is not None and serial in certificates.keys)

    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        *,
        request_id: str | None = None,
        status_code: int | None = None,
        subject: str = "response",
        extra_keys: Mapping[str, PublicKey] | None = None,
    ) -> None:
        """Raise :class:`SignatureVerificationError` unless the message is authentic and fresh.

        ``headers`` must look names up case-insensitively (``httpx.Headers`` does). ``subject``
        (``"response"`` or ``"callback"``) goes into the error. ``extra_keys`` are trusted for
        this one check too (a certificate download is signed by a certificate it carries).
        """
        timestamp = headers.get("Wechatpay-Timestamp")
        nonce = headers.get("Wechatpay-Nonce")
        signature = headers.get("Wechatpay-Signature")
        serial = headers.get("Wechatpay-Serial")

        def fail(reason: str, unknown_serial: str | None = None) -> SignatureVerificationError:
            return SignatureVerificationError(
                reason,
                request_id=request_id,
                status_code=status_code,
                subject=subject,
                unknown_serial=unknown_serial,
            )

        for name, value in (
            ("Wechatpay-Timestamp", timestamp),
            ("Wechatpay-Nonce", nonce),
            ("Wechatpay-Signature", signature),
            ("Wechatpay-Serial", serial),
        ):
            if not value:
                raise fail(f"missing {name} header")
        assert timestamp and nonce and signature and serial  # narrowed by the loop above

        signature_type = headers.get("Wechatpay-Signature-Type")
        if signature_type is not None and signature_type not in _SIGNATURE_TYPES:
            raise fail(f"unsupported Wechatpay-Signature-Type {signature_type[:64]!r}")

        key = self._keys.get(serial)
        if key is None:
            certificates = self._certificates
            if certificates is not None:
                key = certificates.keys.get(serial)
            if key is None and extra_keys is not None:
                key = extra_keys.get(serial)
            if key is None:
                known = (
                    "nor a loaded platform certificate"
                    if certificates is not None
                    else "nor in wechatpay_public_keys"
                )
                raise fail(
                    f"unknown Wechatpay-Serial {serial[:64]!r} (not the configured WeChat Pay "
                    f"public key id, {known})",
                    serial[:64],
                )

        if (
            not (timestamp.isascii() and timestamp.isdigit())
            or len(timestamp) > _MAX_TIMESTAMP_DIGITS
        ):
            raise fail("Wechatpay-Timestamp is not a Unix time in seconds")
        skew = abs(int(self._clock()) - int(timestamp))
        if skew >= self.max_clock_skew:
            raise fail(
                f"Wechatpay-Timestamp is {skew} s away from the local clock "
                f"(limit {self.max_clock_skew} s): stale or replayed {subject}, or a wrong clock"
            )

        if len(signature) > _MAX_SIGNATURE_CHARS:
            raise fail("Wechatpay-Signature is too long")
        try:
            raw_signature = b64decode_strict(signature.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            raise fail("Wechatpay-Signature is not valid Base64") from None

        try:
            nonce_bytes = nonce.encode("utf-8")
        except UnicodeEncodeError:
            raise fail("Wechatpay-Nonce is not valid text") from None
        message = b"".join((timestamp.encode(), b"\n", nonce_bytes, b"\n", body, b"\n"))
        if not key.verify(raw_signature, message):
            raise fail(f"signature does not match the {subject}")
