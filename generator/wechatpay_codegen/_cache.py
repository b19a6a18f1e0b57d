"""A persistent, content-addressed cache of pure results (black's output, passed validations).

Entries are named by the SHA-256 of everything the result depends on (the caller builds the key
from tool versions, options and the input text), so an entry can never be stale: a changed input
or tool version is a different name. The cache is only an accelerator: a missing, corrupt or
unwritable cache is ignored silently and the work is done again, never a failure.

Location: ``$WECHATPAY_CODEGEN_CACHE``, else ``$XDG_CACHE_HOME/wechatpay-codegen``, else
``~/.cache/wechatpay-codegen``. Switched off by ``generate --no-cache`` or by setting
``$WECHATPAY_CODEGEN_NO_CACHE`` to anything but ``""`` or ``0``. Each entry is written to a
temporary file in its folder and renamed into place, so a reader sees a whole entry or none; a
body checksum in the entry's header catches a truncated or damaged file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "ENV_VAR",
    "OFF_VAR",
    "Cache",
    "default_cache_dir",
    "digest",
    "open_default",
    "switched_off",
]

ENV_VAR = "WECHATPAY_CODEGEN_CACHE"
OFF_VAR = "WECHATPAY_CODEGEN_NO_CACHE"
_MAGIC = b"wechatpay-codegen-cache-1 "
_HEADER_LENGTH = len(_MAGIC) + 64 + 1  # magic, hex SHA-256 of the body, newline


def default_cache_dir() -> Path | None:
    """Where the cache lives (see the module docstring); None if no home folder is known."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "wechatpay-codegen"
    try:
        return Path.home() / ".cache" / "wechatpay-codegen"
    except (RuntimeError, KeyError, OSError):  # no HOME and no passwd entry
        return None


def frame(part: str) -> bytes:
    """One part as :func:`digest` hashes it: its UTF-8 length (8 bytes), then its bytes."""
    data = part.encode("utf-8", "surrogatepass")
    return len(data).to_bytes(8, "big") + data


def digest(parts: Iterable[str]) -> str:
    """Hex SHA-256 of ``parts``; each part is length-prefixed, so no two lists collide."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(frame(part))
    return hasher.hexdigest()


class Cache:
    """Entries under ``root/<namespace>/<key[:2]>/<key[2:]>``; all methods swallow OS errors."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._writable = True  # turned off after the first failed write: don't retry per entry

    def _path(self, namespace: str, key: str) -> Path:
        return self.root / namespace / key[:2] / key[2:]

    def get(self, namespace: str, key: str) -> bytes | None:
        """The entry's body, or None when it is missing or damaged."""
        try:
            with open(self._path(namespace, key), "rb") as entry:
                raw = entry.read()
        except (OSError, ValueError):
            return None
        header, body = raw[:_HEADER_LENGTH], raw[_HEADER_LENGTH:]
        expected = _MAGIC + hashlib.sha256(body).hexdigest().encode("ascii") + b"\n"
        return body if header == expected else None

    def folder(self, namespace: str) -> Path | None:
        """A folder for a tool with its own safe cache format (Jinja's bytecode), or None."""
        path = self.root / namespace
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return path if os.access(path, os.W_OK | os.X_OK) else None

    def put(self, namespace: str, key: str, body: bytes) -> None:
        """Store ``body`` atomically; a failure disables further writes for this run."""
        if not self._writable:
            return
        target = self._path(namespace, key)
        header = _MAGIC + hashlib.sha256(body).hexdigest().encode("ascii") + b"\n"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(header + body)
                os.replace(temp, target)
            except BaseException:
                try:
                    os.unlink(temp)
                except OSError:
                    pass
                raise
        except (OSError, ValueError):
            self._writable = False


def switched_off() -> bool:
    """True when ``$WECHATPAY_CODEGEN_NO_CACHE`` is set to anything but ``""`` or ``0``."""
    return os.environ.get(OFF_VAR, "").strip() not in ("", "0")


def open_default(enabled: bool = True) -> Cache | None:
    """The cache at :func:`default_cache_dir`, or None when disabled or there is no location."""
    if not enabled or switched_off():
        return None
    root = default_cache_dir()
    return Cache(root) if root is not None else None
