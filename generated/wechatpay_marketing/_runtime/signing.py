"""Request signing: the string to sign, the nonce, and the Authorization header of both schemes.

String to sign (each line ends in ``\\n``, the last one too)::

    METHOD\\nCANONICAL_URL\\nTIMESTAMP\\nNONCE\\nBODY\\n

CANONICAL_URL is the request target exactly as sent (percent-encoded path, ``?query`` if any; no
scheme or host). BODY is the exact bytes sent, or nothing. The signature is RSASSA-PKCS1-v1_5 with
SHA-256, standard Base64. Only the scheme word and the identity field name differ between schemes.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Literal
from urllib.parse import urlsplit

from .errors import RequestValidationError
from .keys import KeyInput, PrivateKey, load_private_key

__all__ = [
    "SCHEMES",
    "Scheme",
    "Signer",
    "build_authorization",
    "canonical_url",
    "check_token",
    "generate_nonce",
    "signing_message",
]

Scheme = Literal["merchant", "brand"]

#: runtime scheme → (Authorization scheme word, identity field name)
SCHEMES: dict[str, tuple[str, str]] = {
    "merchant": ("WECHATPAY2-SHA256-RSA2048", "mchid"),
    "brand": ("WECHATPAY-BRAND-SHA256-RSA2048", "brand_id"),
}

NONCE_LENGTH = 32
_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Bytes 0..247 map onto the 62 characters exactly four times each; 248..255 are dropped, so every
# character is equally likely (no modulo bias). One translate() call per nonce keeps it cheap.
_USABLE = 4 * len(_ALPHABET)
_TABLE = bytes(_ALPHABET[i % len(_ALPHABET)] for i in range(_USABLE)) + bytes(256 - _USABLE)
_DROP = bytes(range(_USABLE, 256))

# A value that goes inside key="..." of the Authorization header: visible ASCII, no quote,
# backslash or comma, so the header cannot be broken or extended.
_TOKEN = re.compile(r"[!#-+\--\[\]-~]+")
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")


def generate_nonce() -> str:
    """32 characters of ``[0-9A-Za-z]`` from the operating system's secure random source."""
    while True:
        raw = secrets.token_bytes(NONCE_LENGTH + 8).translate(_TABLE, _DROP)
        if len(raw) >= NONCE_LENGTH:
            return raw[:NONCE_LENGTH].decode("ascii")


def signing_message(
    method: str, canonical_url: str, timestamp: int | str, nonce: str, body: bytes
) -> bytes:
    head = f"{method}\n{canonical_url}\n{timestamp}\n{nonce}\n".encode()
    return head + body + b"\n"


def check_token(value: object, what: str) -> str:
    """Validate a value that is placed inside ``key="..."`` of the Authorization header."""
    if not isinstance(value, str):
        raise RequestValidationError(what, f"must be a string, got {type(value).__name__}")
    if not _TOKEN.fullmatch(value):
        raise RequestValidationError(
            what, "must be non-empty visible ASCII without spaces, quotes, commas or backslashes"
        )
    return value


def canonical_url(url: str) -> str:
    """The request target of ``url`` (an absolute URL or a path): path plus ``?query``.

    The value is used as given, not re-encoded: pass it exactly as it is sent on the wire.
    """
    if not isinstance(url, str) or not url:
        raise RequestValidationError("url", "must be a non-empty string")
    if _URL_FORBIDDEN.search(url):
        raise RequestValidationError("url", "must not contain spaces or control characters")
    if url.startswith("/"):
        target = url.split("#", 1)[0]
    else:
        parts = urlsplit(url)
        if not parts.scheme or not parts.netloc:
            raise RequestValidationError(
                "url", "must be an absolute URL or a path starting with '/'"
            )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return target


class Signer:
    """Signs requests for one identity; everything that does not change per request is fixed here.

    ``repr()`` shows the scheme and identity only, never the key.
    """

    __slots__ = ("_key", "_prefix", "_suffix", "identity", "scheme", "serial_no")

    def __init__(self, scheme: Scheme, identity: str, serial_no: str, key: PrivateKey) -> None:
        if scheme not in SCHEMES:
            raise RequestValidationError("scheme", "must be 'merchant' or 'brand'")
        word, field = SCHEMES[scheme]
        self.scheme: Scheme = scheme
        self.identity = check_token(identity, field)
        self.serial_no = check_token(serial_no, "serial_no")
        self._key = key
        self._prefix = f'{word} {field}="{identity}",nonce_str="'
        self._suffix = f'",serial_no="{serial_no}"'

    def authorization(
        self,
        method: str,
        canonical_url: str,
        body: bytes,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> str:
        """The Authorization header value, signed now with a fresh nonce unless both are pinned."""
        ts = int(time.time()) if timestamp is None else timestamp
        nc = generate_nonce() if nonce is None else nonce
        signature = self._key.sign(signing_message(method, canonical_url, ts, nc, body))
        return f'{self._prefix}{nc}",signature="{signature}",timestamp="{ts}{self._suffix}'

    def __repr__(self) -> str:
        return f"Signer(scheme={self.scheme!r}, identity={self.identity!r})"


def build_authorization(
    *,
    scheme: Scheme,
    identity: str,
    serial_no: str,
    private_key: KeyInput,
    method: str,
    url: str,
    body: str | bytes = "",
    timestamp: int | None = None,
    nonce: str | None = None,
) -> str:
    """The ``Authorization`` header value for a WeChat Pay APIv3 request.

    ``scheme`` is ``"merchant"`` (``WECHATPAY2-SHA256-RSA2048``, identity = mchid) or ``"brand"``
    (``WECHATPAY-BRAND-SHA256-RSA2048``, identity = brand_id). ``url`` is the absolute URL or the
    request target, exactly as sent (already percent-encoded). ``body`` is the exact body sent
    (``str`` is encoded as UTF-8). ``timestamp`` (Unix seconds) and ``nonce`` default to now and
    a fresh random nonce; pin them for tests and debugging.
    """
    if not isinstance(method, str) or not method.isalpha():
        raise RequestValidationError("method", "must be an HTTP method such as 'POST'")
    if isinstance(body, str):
        body_bytes = body.encode("utf-8")
    elif isinstance(body, bytes):
        body_bytes = body
    else:
        raise RequestValidationError("body", "must be str or bytes (the exact body sent)")
    if timestamp is not None and (
        isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0
    ):
        raise RequestValidationError("timestamp", "must be a non-negative int (Unix seconds)")
    if nonce is not None:
        check_token(nonce, "nonce")
    signer = Signer(scheme, identity, serial_no, load_private_key(private_key))
    return signer.authorization(method.upper(), canonical_url(url), body_bytes, timestamp, nonce)
