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
_REQUIRED_HEADERS: Final = (
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Signature",
    "Wechatpay-Serial",
)


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
        get = headers.get
        self.verify_values(
            get("Wechatpay-Timestamp"),
            get("Wechatpay-Nonce"),
            get("Wechatpay-Signature"),
            get("Wechatpay-Serial"),
            get("Wechatpay-Signature-Type"),
            body,
            request_id=request_id,
            status_code=status_code,
            subject=subject,
            extra_keys=extra_keys,
        )

    def verify_values(
        self,
        timestamp: str | None,
        nonce: str | None,
        signature: str | None,
        serial: str | None,
        signature_type: str | None,
        body: bytes,
        *,
        request_id: str | None = None,
        status_code: int | None = None,
        subject: str = "response",
        extra_keys: Mapping[str, PublicKey] | None = None,
    ) -> None:
        """:meth:`verify` with the ``Wechatpay-*`` header values already looked up (``None``
        for a missing one): ``Timestamp``, ``Nonce``, ``Signature``, ``Serial``,
        ``Signature-Type``."""
        if not (timestamp and nonce and signature and serial):
            for name, value in zip(
                _REQUIRED_HEADERS, (timestamp, nonce, signature, serial), strict=True
            ):
                if not value:
                    raise _failure(f"missing {name} header", request_id, status_code, subject)
        assert timestamp and nonce and signature and serial  # narrowed by the check above

        if signature_type is not None and signature_type not in _SIGNATURE_TYPES:
            raise _failure(
                f"unsupported Wechatpay-Signature-Type {signature_type[:64]!r}",
                request_id,
                status_code,
                subject,
            )

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
                raise _failure(
                    f"unknown Wechatpay-Serial {serial[:64]!r} (not the configured WeChat Pay "
                    f"public key id, {known})",
                    request_id,
                    status_code,
                    subject,
                    serial[:64],
                )

        if (
            len(timestamp) > _MAX_TIMESTAMP_DIGITS
            or not timestamp.isascii()
            or not timestamp.isdigit()
        ):
            raise _failure(
                "Wechatpay-Timestamp is not a Unix time in seconds",
                request_id,
                status_code,
                subject,
            )
        skew = abs(int(self._clock()) - int(timestamp))
        if skew >= self.max_clock_skew:
            raise _failure(
                f"Wechatpay-Timestamp is {skew} s away from the local clock "
                f"(limit {self.max_clock_skew} s): stale or replayed {subject}, or a wrong clock",
                request_id,
                status_code,
                subject,
            )

        if len(signature) > _MAX_SIGNATURE_CHARS:
            raise _failure("Wechatpay-Signature is too long", request_id, status_code, subject)
        try:
            raw_signature = b64decode_strict(signature.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            raise _failure(
                "Wechatpay-Signature is not valid Base64", request_id, status_code, subject
            ) from None

        try:
            nonce_bytes = nonce.encode("utf-8")
        except UnicodeEncodeError:
            raise _failure(
                "Wechatpay-Nonce is not valid text", request_id, status_code, subject
            ) from None
        message = b"".join((timestamp.encode(), b"\n", nonce_bytes, b"\n", body, b"\n"))
        if not key.verify(raw_signature, message):
            raise _failure(
                f"signature does not match the {subject}", request_id, status_code, subject
            )


def _failure(
    reason: str,
    request_id: str | None,
    status_code: int | None,
    subject: str,
    unknown_serial: str | None = None,
) -> SignatureVerificationError:
    return SignatureVerificationError(
        reason,
        request_id=request_id,
        status_code=status_code,
        subject=subject,
        unknown_serial=unknown_serial,
    )
