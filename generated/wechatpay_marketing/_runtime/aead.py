"""The APIv3 key, and AEAD_AES_256_GCM: how WeChat Pay encrypts callbacks and platform certificates.

An encrypted ``resource`` (a callback's, or ``encrypt_certificate`` in ``/v3/certificates``) is
``{"algorithm": "AEAD_AES_256_GCM", "ciphertext", "nonce", "associated_data"}``: the key is the
32-byte APIv3 key (brands: the brand API key), the nonce and the associated data are used as their
UTF-8 bytes, and the Base64 ciphertext ends with the 16-byte GCM tag. Error messages never hold
the key, nor any of the plaintext.
"""

from __future__ import annotations

import binascii
from typing import Final

from .errors import ConfigurationError, DecryptionError
from .verification import b64decode_strict

__all__ = ["ALGORITHM", "ApiV3Key", "decrypt_resource", "load_api_v3_key"]

ALGORITHM: Final = "AEAD_AES_256_GCM"
KEY_BYTES: Final = 32
_TAG_BYTES: Final = 16
# Far above anything WeChat Pay encrypts (a callback resource, a certificate PEM).
_MAX_CIPHERTEXT_CHARS: Final = 1 << 20


class ApiV3Key:
    """The 32-byte APIv3 key, loaded once. ``repr()`` never shows it."""

    __slots__ = ("_aead", "_failures")

    def __init__(self, key: bytes) -> None:
        # Imported here: a client that never decrypts does not pay for these imports.
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)
        self._failures = (InvalidTag, ValueError)

    def decrypt(self, nonce: bytes, ciphertext: bytes, associated_data: bytes) -> bytes:
        try:
            return self._aead.decrypt(nonce, ciphertext, associated_data)
        except self._failures:
            raise DecryptionError(
                "the ciphertext does not decrypt with the configured api_v3_key (a wrong key, "
                "or a tampered ciphertext, nonce or associated_data)"
            ) from None

    def __repr__(self) -> str:
        return "<ApiV3Key [hidden]>"


def load_api_v3_key(value: object, what: str = "api_v3_key") -> ApiV3Key:
    """Check and load the APIv3 key: 32 bytes, as ``str`` (32 ASCII characters) or ``bytes``."""
    if isinstance(value, ApiV3Key):
        return value
    if isinstance(value, str):
        try:
            raw = value.encode("ascii")
        except UnicodeEncodeError:
            raise ConfigurationError(
                f"{what} must be the 32-character APIv3 key set in the merchant platform; "
                "it contains non-ASCII characters"
            ) from None
    elif isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
    else:
        raise ConfigurationError(
            f"{what} must be the 32-character APIv3 key as str or bytes, got {type(value).__name__}"
        )
    if len(raw) != KEY_BYTES:
        raise ConfigurationError(
            f"{what} must be exactly {KEY_BYTES} bytes (the APIv3 key set in the merchant "
            f"platform; brands: the brand API key); got {len(raw)}"
        )
    return ApiV3Key(raw)


def decrypt_resource(key: ApiV3Key, resource: object, where: str = "resource") -> bytes:
    """Decrypt an ``AEAD_AES_256_GCM`` object; raises :class:`DecryptionError` on any failure."""
    if not isinstance(resource, dict):
        raise DecryptionError(f"{where} is not an object")
    get = resource.get
    algorithm = get("algorithm")
    ciphertext = get("ciphertext")
    nonce = get("nonce")
    # associated_data may be absent or empty (WeChat Pay sends "" for some events).
    associated = get("associated_data", "")
    if not (isinstance(algorithm, str) and isinstance(ciphertext, str) and isinstance(nonce, str)):
        for name in ("algorithm", "ciphertext", "nonce"):
            if not isinstance(get(name), str):
                raise DecryptionError(f"{where}.{name} is missing or not a string")
    assert isinstance(algorithm, str) and isinstance(ciphertext, str) and isinstance(nonce, str)
    if algorithm != ALGORITHM:
        raise DecryptionError(
            f"{where}.algorithm is {algorithm[:40]!r}; only {ALGORITHM} is supported"
        )
    if associated is None:
        associated = ""
    if not isinstance(associated, str):
        raise DecryptionError(f"{where}.associated_data is not a string")
    if len(ciphertext) > _MAX_CIPHERTEXT_CHARS:
        raise DecryptionError(f"{where}.ciphertext is too long")
    try:
        raw = b64decode_strict(ciphertext.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        raise DecryptionError(f"{where}.ciphertext is not valid Base64") from None
    if len(raw) < _TAG_BYTES:
        raise DecryptionError(f"{where}.ciphertext is shorter than the 16-byte GCM tag")
    if not nonce:
        raise DecryptionError(f"{where}.nonce is empty")
    try:
        nonce_bytes = nonce.encode("utf-8")
        associated_bytes = associated.encode("utf-8")
    except UnicodeEncodeError:
        raise DecryptionError(f"{where}.nonce or associated_data is not valid text") from None
    return key.decrypt(nonce_bytes, raw, associated_bytes)
