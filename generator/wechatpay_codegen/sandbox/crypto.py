"""The sandbox's own side of the wire protocol: RSA-SHA256 signatures and Authorization parsing.

Deliberately independent of the client runtime (which lives in the generated package): an end-to-end
test only means something when the two sides were written separately against the protocol.

- Request string to sign: ``METHOD\\nTARGET\\nTIMESTAMP\\nNONCE\\nBODY\\n`` (TARGET is the raw
  request target as received, BODY the raw body bytes, empty when there is none).
- Response string to sign: ``TIMESTAMP\\nNONCE\\nBODY\\n``.
- Signatures: RSASSA-PKCS1-v1_5 with SHA-256, standard Base64 with padding.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_NONCE_ALPHABET = string.ascii_letters + string.digits
_PAIR = re.compile(r'\s*([A-Za-z_]+)="([^"]*)"\s*')


def new_nonce() -> str:
    """32 characters of ``[0-9A-Za-z]`` from a secure source, like the official SDKs."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(32))


def request_message(method: str, target: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    head = f"{method}\n{target}\n{timestamp}\n{nonce}\n".encode()
    return head + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    raw = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def verify(key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    """True when ``signature`` (Base64) is a valid signature of ``message``; never raises."""
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    try:
        key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def is_base64(value: str) -> bool:
    try:
        base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return bool(value)


class AuthorizationSyntaxError(ValueError):
    """The Authorization header is not ``SCHEME k="v",k="v",...``; the message is safe to return."""


@dataclass(frozen=True)
class Authorization:
    """A parsed Authorization header. ``signature`` is secret: keep it out of messages and logs."""

    scheme: str
    params: dict[str, str]

    @property
    def signature(self) -> str:
        return self.params.get("signature", "")

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k != "signature"}
        return f"Authorization(scheme={self.scheme!r}, params={shown!r})"


def parse_authorization(value: str) -> Authorization:
    """Parse ``SCHEME key="value",key="value",...``; pairs may come in any order."""
    scheme, space, rest = value.strip().partition(" ")
    if not space or not scheme:
        raise AuthorizationSyntaxError(
            "Authorization must be '<scheme> key=\"value\",...' (scheme, one space, then pairs)"
        )
    params: dict[str, str] = {}
    pos = 0
    while True:
        match = _PAIR.match(rest, pos)
        if match is None:
            raise AuthorizationSyntaxError(
                f'Authorization pair #{len(params) + 1} is not key="value" '
                "(pairs are separated by commas, values in double quotes)"
            )
        key, pair_value = match.group(1), match.group(2)
        if key in params:
            raise AuthorizationSyntaxError(f"Authorization repeats {key!r}")
        params[key] = pair_value
        pos = match.end()
        if pos == len(rest):
            break
        if rest[pos] != ",":
            raise AuthorizationSyntaxError(
                f"Authorization: expected ',' after {key!r}, pairs are separated by commas"
            )
        pos += 1
    return Authorization(scheme=scheme, params=params)


def redact_authorization(value: str) -> str:
    """The header with its signature value replaced, for recording and logs."""
    redacted, count = re.subn(r'signature="[^"]*"', 'signature="[redacted]"', value)
    if count == 0 and value:
        return value.partition(" ")[0] + " [redacted]"
    return redacted
