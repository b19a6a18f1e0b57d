"""Loading RSA keys once, from whatever form the user has them in.

Accepted forms, for both the merchant/brand private key and the WeChat Pay public key: PEM text
(``str``), PEM or DER ``bytes``, a filesystem path (``str`` or ``os.PathLike``), or a
``cryptography`` key object. A public key may also be given as an X.509 certificate (legacy
platform certificates). Keys must be RSA with at least 2048 bits. Error messages never contain key
material, and the holder objects' ``repr()`` shows only the key type and size.
"""

from __future__ import annotations

import base64
import os
import re
from typing import Union

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import ConfigurationError

__all__ = ["KeyInput", "PrivateKey", "PublicKey", "load_private_key", "load_public_key"]

KeyInput = Union[
    str, bytes, "os.PathLike[str]", rsa.RSAPrivateKey, rsa.RSAPublicKey, "PrivateKey", "PublicKey"
]

MIN_KEY_BITS = 2048

# Created once: these are immutable and reusable for every sign/verify call.
_PADDING = padding.PKCS1v15()
_SHA256 = hashes.SHA256()

_SELF_TEST = b"wechatpay private key self-test"

# A string made only of these characters could be (part of) Base64 key material: never echo it.
_BASE64ISH = re.compile(r"[A-Za-z0-9+/=_-]*")  # standard and URL-safe alphabets
_PEM_MARKER = "-----BEGIN "


class PrivateKey:
    """An RSA private key, loaded and checked once; signs with RSASSA-PKCS1-v1_5 + SHA-256."""

    __slots__ = ("_key", "key_size")

    def __init__(self, key: rsa.RSAPrivateKey, what: str = "private_key") -> None:
        _check_size(key.key_size, what)
        self._key = key
        self.key_size: int = key.key_size

    def sign(self, message: bytes) -> str:
        """Base64 (standard, padded) of the PKCS#1 v1.5 SHA-256 signature of ``message``."""
        return base64.b64encode(self._key.sign(message, _PADDING, _SHA256)).decode("ascii")

    @property
    def cryptography_key(self) -> rsa.RSAPrivateKey:
        return self._key

    def __repr__(self) -> str:
        return f"<PrivateKey RSA {self.key_size}-bit>"


class PublicKey:
    """An RSA public key, loaded and checked once; verifies PKCS#1 v1.5 SHA-256 signatures."""

    __slots__ = ("_key", "key_size", "signature_size")

    def __init__(self, key: rsa.RSAPublicKey, what: str = "public key") -> None:
        _check_size(key.key_size, what)
        self._key = key
        self.key_size: int = key.key_size
        self.signature_size: int = (key.key_size + 7) // 8

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != self.signature_size:
            return False
        try:
            self._key.verify(signature, message, _PADDING, _SHA256)
        except InvalidSignature:
            return False
        return True

    @property
    def cryptography_key(self) -> rsa.RSAPublicKey:
        return self._key

    def same_key(self, other: PublicKey) -> bool:
        return self._key.public_numbers() == other._key.public_numbers()

    def __repr__(self) -> str:
        return f"<PublicKey RSA {self.key_size}-bit>"


def _check_size(bits: int, what: str) -> None:
    if bits < MIN_KEY_BITS:
        raise ConfigurationError(
            f"{what}: RSA key is {bits} bits; WeChat Pay keys are at least {MIN_KEY_BITS} bits"
        )


def load_private_key(value: KeyInput, *, what: str = "private_key") -> PrivateKey:
    """Load the caller's API certificate private key (``apiclient_key.pem``)."""
    if isinstance(value, PrivateKey):
        return value
    if isinstance(value, rsa.RSAPrivateKey):
        return _private(value, what)
    if isinstance(value, (PublicKey, rsa.RSAPublicKey)):
        raise ConfigurationError(f"{what}: got a public key; a private key is needed to sign")
    data = _read(value, what)
    if _is_pem(data):
        if b"ENCRYPTED" in data.split(b"\n", 1)[0] or b"Proc-Type: 4,ENCRYPTED" in data:
            raise ConfigurationError(
                f"{what}: the PEM is encrypted; decrypt it first (openssl pkcs8 -in key.pem -out "
                "plain.pem) or pass a loaded cryptography key"
            )
        if b"PUBLIC KEY-----" in data or b"CERTIFICATE-----" in data:
            raise ConfigurationError(
                f"{what}: got a public key or certificate; pass the private key (apiclient_key.pem)"
            )
        loader = serialization.load_pem_private_key
    else:
        loader = serialization.load_der_private_key
    try:
        # OpenSSL's full RSA key check (primality of p and q) costs ~40 ms, most of a client's
        # construction; _private() self-tests the key instead (sign, then verify with its own
        # public half), which catches the inconsistent CRT values that make a key unsafe to use.
        key = loader(data, password=None, unsafe_skip_rsa_key_validation=True)
    except TypeError as exc:  # password-protected
        raise ConfigurationError(f"{what}: the key is password-protected; decrypt it") from exc
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigurationError(
            f"{what}: could not parse a private key (expected PKCS#8 or PKCS#1 PEM, or DER)"
        ) from None
    return _private(key, what)


def _private(key: object, what: str) -> PrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"{what}: expected an RSA private key, got {type(key).__name__}")
    loaded = PrivateKey(key, what)
    try:
        key.public_key().verify(
            key.sign(_SELF_TEST, _PADDING, _SHA256), _SELF_TEST, _PADDING, _SHA256
        )
    except (InvalidSignature, ValueError):
        raise ConfigurationError(
            f"{what}: the RSA key is inconsistent (its signatures do not verify with its own "
            "public key); export it again from the merchant platform"
        ) from None
    return loaded


def load_public_key(value: KeyInput, *, what: str = "wechatpay_public_key") -> PublicKey:
    """Load a WeChat Pay public key (``pub_key.pem``) or a platform certificate."""
    if isinstance(value, PublicKey):
        return value
    if isinstance(value, rsa.RSAPublicKey):
        return _public(value, what)
    if isinstance(value, (PrivateKey, rsa.RSAPrivateKey)):
        raise ConfigurationError(
            f"{what}: got a private key; pass the WeChat Pay public key (it verifies responses)"
        )
    data = _read(value, what)
    if _is_pem(data) and b"PRIVATE KEY-----" in data:
        raise ConfigurationError(
            f"{what}: got a private key; pass the WeChat Pay public key (pub_key.pem)"
        )
    # x509 only when a certificate may be involved: importing it costs more than the rest of the
    # package's imports together.
    try:
        if _is_pem(data):
            if b"CERTIFICATE-----" in data:
                from cryptography import x509

                key: object = x509.load_pem_x509_certificate(data).public_key()
            else:
                key = serialization.load_pem_public_key(data)
        else:
            try:
                key = serialization.load_der_public_key(data)
            except ValueError:
                from cryptography import x509

                key = x509.load_der_x509_certificate(data).public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigurationError(
            f"{what}: could not parse a public key (expected PEM public key or certificate, or DER)"
        ) from None
    return _public(key, what)


def _public(key: object, what: str) -> PublicKey:
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigurationError(f"{what}: expected an RSA public key, got {type(key).__name__}")
    return PublicKey(key, what)


def _is_pem(data: bytes) -> bool:
    return _PEM_MARKER.encode() in data[:4096]


def _read(value: object, what: str) -> bytes:
    """Key bytes from PEM text, bytes, or a path. Never puts key material in an error message."""
    if isinstance(value, bytes):
        if not value.strip():
            raise ConfigurationError(f"{what}: empty key")
        return value
    if isinstance(value, str):
        if _PEM_MARKER in value:
            return value.encode("utf-8")
        if not value.strip():
            raise ConfigurationError(f"{what}: empty key")
        return _read_file(value, what)
    if isinstance(value, os.PathLike):
        return _read_file(os.fspath(value), what)
    raise ConfigurationError(
        f"{what}: expected PEM text or bytes, a file path, or a cryptography RSA key; "
        f"got {type(value).__name__}"
    )


def _read_file(path: str | bytes, what: str) -> bytes:
    shown = _printable_path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(1 << 20)
    except FileNotFoundError:
        raise ConfigurationError(
            f"{what}: not PEM text, and no such file: {shown}"
            if shown
            else f"{what}: not PEM text (no '-----BEGIN' line), nor the path of an existing file"
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"{what}: cannot read {shown or 'the key file'}: {exc.strerror}"
        ) from None
    if not data.strip():
        raise ConfigurationError(f"{what}: the key file {shown + ' ' if shown else ''}is empty")
    return data


def _printable_path(path: str | bytes) -> str:
    """The path for an error message, or "" when the string might be raw key material."""
    text = os.fsdecode(path)
    if len(text) > 1024 or "\n" in text or _BASE64ISH.fullmatch(text):
        return ""
    return repr(text)
