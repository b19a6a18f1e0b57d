"""Throwaway credentials for the sandbox: merchant, brand and WeChat Pay RSA-2048 keys, plus ids.

The sandbox plays WeChat Pay, so it needs three key pairs:

- the merchant's API key (the client signs merchant requests with it; the sandbox verifies them with
  its public half), identified by a 40-hex ``merchant_serial_no`` and a ``mchid``;
- the brand's API key, likewise, with ``brand_serial_no`` and ``brand_id``;
- the "WeChat Pay" key (the sandbox signs every 2xx response with it; clients verify with the public
  half), identified by ``wechatpay_public_key_id`` (``PUB_KEY_ID_<digits>``).

A key folder holds ``identity.json`` (the ids), one PKCS#8 PEM private key per pair (mode 0600)
and the WeChat Pay public key (``wechatpay_public_key.pem``, what a client configuration points
at).

Callbacks (and platform certificates) are encrypted with a symmetric 32-character key: the
merchant's APIv3 key, or for a brand the brand API key. The sandbox derives both from the
matching private key (so an older key folder gets them too, and two processes always agree) and
writes them beside the keys (``merchant_api_v3_key.txt``, ``brand_api_key.txt``, mode 0600) for
a client configuration to read.

A folder is created atomically (built aside, then renamed into place), so two sandboxes starting
at once on the same folder share one set of keys instead of overwriting each other's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

IDENTITY_FILE = "identity.json"
MERCHANT_KEY_FILE = "merchant_apiclient_key.pem"
BRAND_KEY_FILE = "brand_apiclient_key.pem"
WECHATPAY_PRIVATE_KEY_FILE = "wechatpay_private_key.pem"
WECHATPAY_PUBLIC_KEY_FILE = "wechatpay_public_key.pem"
API_V3_KEY_FILE = "merchant_api_v3_key.txt"
BRAND_API_KEY_FILE = "brand_api_key.txt"

_PRIVATE_FILES = (MERCHANT_KEY_FILE, BRAND_KEY_FILE, WECHATPAY_PRIVATE_KEY_FILE)
_IDENTITY_FIELDS = (
    "mchid",
    "merchant_serial_no",
    "brand_id",
    "brand_serial_no",
    "wechatpay_public_key_id",
)


class KeysError(Exception):
    """A key folder that cannot be used (unreadable, incomplete, or not ours). Safe to print."""


@dataclass(frozen=True)
class SandboxKeys:
    """The sandbox's identities and keys. Key material never appears in the repr."""

    mchid: str
    merchant_serial_no: str
    merchant_private_key: rsa.RSAPrivateKey = field(repr=False)
    brand_id: str
    brand_serial_no: str
    brand_private_key: rsa.RSAPrivateKey = field(repr=False)
    wechatpay_public_key_id: str
    wechatpay_private_key: rsa.RSAPrivateKey = field(repr=False)
    directory: Path | None = None

    @property
    def merchant_public_key(self) -> rsa.RSAPublicKey:
        return self.merchant_private_key.public_key()

    @property
    def brand_public_key(self) -> rsa.RSAPublicKey:
        return self.brand_private_key.public_key()

    @property
    def wechatpay_public_key(self) -> rsa.RSAPublicKey:
        return self.wechatpay_private_key.public_key()

    @property
    def api_v3_key(self) -> str:
        """The merchant's APIv3 key (32 characters): callbacks to the merchant are encrypted
        with it."""
        return derived_secret(self.merchant_private_key, b"api_v3_key")

    @property
    def brand_api_key(self) -> str:
        """The brand API key (32 characters): the brand's APIv3 key counterpart."""
        return derived_secret(self.brand_private_key, b"brand_api_key")

    def merchant_private_key_pem(self) -> str:
        return private_pem(self.merchant_private_key).decode("ascii")

    def brand_private_key_pem(self) -> str:
        return private_pem(self.brand_private_key).decode("ascii")

    def wechatpay_public_key_pem(self) -> str:
        return public_pem(self.wechatpay_public_key).decode("ascii")

    def path(self, name: str) -> Path:
        """A file of the key folder; only for keys that were loaded from or saved to a folder."""
        if self.directory is None:
            raise KeysError("these sandbox keys live in memory only (no key folder was given)")
        return self.directory / name


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def derived_secret(key: rsa.RSAPrivateKey, label: bytes) -> str:
    """32 hex characters derived from ``key`` (HMAC-SHA256 of ``label`` keyed by its PEM)."""
    return hmac.new(private_pem(key), label, hashlib.sha256).hexdigest()[:32]


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


def _serial_no() -> str:
    """A certificate serial number as WeChat Pay shows it: 40 upper-case hex digits."""
    return secrets.token_hex(20).upper()


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def generate_keys() -> SandboxKeys:
    """Fresh in-memory keys and ids (mchid ``19xxxxxxxx``, brand_id ``123xxxxxxx``)."""
    return SandboxKeys(
        mchid="19" + _digits(8),
        merchant_serial_no=_serial_no(),
        merchant_private_key=_new_key(),
        brand_id="123" + _digits(7),
        brand_serial_no=_serial_no(),
        brand_private_key=_new_key(),
        wechatpay_public_key_id="PUB_KEY_ID_01" + _digits(24),
        wechatpay_private_key=_new_key(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)  # the umask may have narrowed or (for 0644) kept bits we want


def save_keys(keys: SandboxKeys, directory: Path) -> None:
    """Write ``keys`` into ``directory`` (which must not hold files yet)."""
    identity = {name: getattr(keys, name) for name in _IDENTITY_FIELDS}
    _write(directory / IDENTITY_FILE, (json.dumps(identity, indent=2) + "\n").encode(), 0o644)
    _write(directory / MERCHANT_KEY_FILE, private_pem(keys.merchant_private_key), 0o600)
    _write(directory / BRAND_KEY_FILE, private_pem(keys.brand_private_key), 0o600)
    _write(directory / WECHATPAY_PRIVATE_KEY_FILE, private_pem(keys.wechatpay_private_key), 0o600)
    _write(directory / WECHATPAY_PUBLIC_KEY_FILE, public_pem(keys.wechatpay_public_key), 0o644)
    write_api_key_files(keys, directory)


def write_api_key_files(keys: SandboxKeys, directory: Path) -> None:
    """Write the APIv3 key and the brand API key files unless they exist (same content always)."""
    for name, secret in (
        (API_V3_KEY_FILE, keys.api_v3_key),
        (BRAND_API_KEY_FILE, keys.brand_api_key),
    ):
        try:
            _write(directory / name, secret.encode("ascii") + b"\n", 0o600)
        except FileExistsError:
            pass


def _load_private(path: Path) -> rsa.RSAPrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeysError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise KeysError(f"{path}: not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise KeysError(f"{path}: not an RSA private key of at least 2048 bits")
    return key


def _load_identity(path: Path) -> dict[str, str]:
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KeysError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError:
        raise KeysError(f"{path}: not valid JSON") from None
    if not isinstance(raw, dict):
        raise KeysError(f"{path}: expected a JSON object")
    identity: dict[str, str] = {}
    for name in _IDENTITY_FIELDS:
        value = raw.get(name)
        if not isinstance(value, str) or not value:
            raise KeysError(f"{path}: missing or empty {name!r}")
        identity[name] = value
    if not identity["wechatpay_public_key_id"].startswith("PUB_KEY_ID_"):
        raise KeysError(f"{path}: wechatpay_public_key_id must start with PUB_KEY_ID_")
    return identity


def load_keys(directory: Path) -> SandboxKeys:
    """Read a key folder written by :func:`save_keys`."""
    identity = _load_identity(directory / IDENTITY_FILE)
    return SandboxKeys(
        mchid=identity["mchid"],
        merchant_serial_no=identity["merchant_serial_no"],
        merchant_private_key=_load_private(directory / MERCHANT_KEY_FILE),
        brand_id=identity["brand_id"],
        brand_serial_no=identity["brand_serial_no"],
        brand_private_key=_load_private(directory / BRAND_KEY_FILE),
        wechatpay_public_key_id=identity["wechatpay_public_key_id"],
        wechatpay_private_key=_load_private(directory / WECHATPAY_PRIVATE_KEY_FILE),
        directory=directory,
    )


def load_or_create_keys(directory: Path) -> tuple[SandboxKeys, bool]:
    """The keys in ``directory``, generating them first when the folder is absent or empty.

    Returns ``(keys, created)``. Raises :class:`KeysError` for a folder that has files but no
    usable keys (it is never overwritten).
    """
    directory = Path(directory).absolute()
    if (directory / IDENTITY_FILE).exists():
        return _with_api_key_files(load_keys(directory)), False
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        if (directory / IDENTITY_FILE).exists():  # another process just created it
            return _with_api_key_files(load_keys(directory)), False
        raise KeysError(
            f"{directory}: exists but holds no sandbox keys ({IDENTITY_FILE} is missing); "
            "give an empty or new folder"
        )
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    except OSError as exc:
        raise KeysError(f"{directory}: cannot create ({exc.strerror})") from None
    created = False
    try:
        keys = generate_keys()
        save_keys(keys, staging)
        os.chmod(staging, 0o700)
        try:
            os.rename(staging, directory)  # atomic; replaces an empty folder, fails on a full one
            created = True
        except OSError:
            if not (directory / IDENTITY_FILE).exists():
                raise
    except OSError as exc:
        raise KeysError(f"{directory}: cannot write keys ({exc.strerror})") from None
    finally:
        if not created:
            shutil.rmtree(staging, ignore_errors=True)
    if not created:  # another process won the race: use its keys
        return _with_api_key_files(load_keys(directory)), False
    return load_keys(directory), True


def _with_api_key_files(keys: SandboxKeys) -> SandboxKeys:
    """A folder written before the API key files existed gets them (derived, so no race)."""
    if keys.directory is not None:
        try:
            write_api_key_files(keys, keys.directory)
        except OSError as exc:
            raise KeysError(
                f"{keys.directory}: cannot write the API key files ({exc.strerror})"
            ) from None
    return keys
