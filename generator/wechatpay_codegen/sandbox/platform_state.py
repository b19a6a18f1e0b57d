"""The certificate mode of a running sandbox, shared through its key folder.

``wechatpay-codegen sandbox notify`` runs in another process than the sandbox it goes with. When a
sandbox with a key folder turns its platform certificates on (``--verification certificate`` or
``migration``, or :meth:`Sandbox.use_platform_certificates`), and on every rotation, it writes
:data:`STATE_FILE` there: who signs (``certificate`` or ``public-key``) and the newest certificate's
serial number and private key (mode 0600, like the other private keys; throwaway, sandbox only).
Back to public-key mode, or a new sandbox started in it, removes the file. ``notify`` reads it to
sign a callback the way the sandbox signs its answers.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .certificates import PlatformCertificates, SignWith
from .keys import KeysError, private_pem

__all__ = ["STATE_FILE", "SigningCertificate", "load_signing_certificate", "save_platform_state"]

STATE_FILE = "platform_certificates.json"
_SIGN_WITH = ("certificate", "public-key")


@dataclass(frozen=True)
class SigningCertificate:
    """The newest platform certificate of a sandbox in certificate (or migration) mode."""

    sign_with: SignWith
    serial_no: str
    private_key: rsa.RSAPrivateKey = field(repr=False)


def save_platform_state(directory: Path, platform: PlatformCertificates) -> None:
    """Record ``platform``'s mode in ``directory`` (atomically); public-key mode removes it."""
    path = directory / STATE_FILE
    current = platform.current if platform.enabled else None
    if current is None:
        path.unlink(missing_ok=True)
        return
    state = {
        "sign_with": platform.sign_with,
        "serial_no": current.serial_no,
        "private_key": private_pem(current.private_key).decode("ascii"),
        "serials": [c.serial_no for c in platform.certificates],
    }
    fd, temporary = tempfile.mkstemp(prefix=".platform-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=2)
            handle.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_signing_certificate(directory: Path) -> SigningCertificate | None:
    """The certificate a sandbox using ``directory`` signs with; ``None`` in public-key mode."""
    path = directory / STATE_FILE
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeysError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError:
        raise KeysError(f"{path}: not valid JSON (delete it, then start the sandbox)") from None
    if not isinstance(raw, dict):
        raise KeysError(f"{path}: expected a JSON object")
    sign_with, serial, pem = raw.get("sign_with"), raw.get("serial_no"), raw.get("private_key")
    if sign_with not in _SIGN_WITH or not isinstance(serial, str) or not isinstance(pem, str):
        raise KeysError(f"{path}: needs sign_with, serial_no and private_key")
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise KeysError(f"{path}: private_key is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeysError(f"{path}: private_key is not an RSA key")
    return SigningCertificate(
        "certificate" if sign_with == "certificate" else "public-key", serial, key
    )
