"""Building the sandbox's answers: signed 2xx responses, unsigned JSON errors, Request-IDs.

Signing costs about a millisecond of RSA per response, which would dominate a benchmark of the
client. :class:`ResponseSigner` therefore reuses one (nonce, signature) pair per (body, second):
every response still carries a correct signature over its own timestamp, nonce and body.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from .crypto import new_nonce, response_message, sign

JSON_TYPE = "application/json; charset=utf-8"
Header = tuple[str, str]


@dataclass(frozen=True)
class Reply:
    """An HTTP answer; ``drop`` means close the connection without one."""

    status: int
    headers: tuple[Header, ...] = ()
    body: bytes = b""
    error_code: str | None = None
    error_message: str | None = None
    drop: bool = False


DROP = Reply(status=0, drop=True)


class RequestIds:
    """Unique ``Request-ID`` values like WeChat Pay's: ``08``, 52 upper-case hex, ``-<errno>``.

    The part after the last ``-`` is an internal error number: ``0`` on success.
    """

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._prefix = secrets.token_hex(8).upper()

    def next(self, status: int) -> str:
        errno = 0 if 200 <= status < 300 else 268435456 + status
        stamp = f"{int(time.time()):08X}{next(self._counter) % 16**12:012X}"
        return f"08{stamp}{self._prefix}{secrets.token_hex(8).upper()}-{errno}"


def error_reply(
    status: int,
    code: str,
    message: str,
    request_id: str,
    detail: Mapping[str, Any] | None = None,
    headers: tuple[Header, ...] = (),
) -> Reply:
    """An unsigned JSON error, ``{code, message, detail?}``, as the real server sends."""
    payload: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        payload["detail"] = dict(detail)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    all_headers = (("Content-Type", JSON_TYPE), ("Request-ID", request_id), *headers)
    return Reply(status, all_headers, body, error_code=code, error_message=message)


@dataclass(frozen=True)
class Signed:
    timestamp: str
    nonce: str
    signature: str


class ResponseSigner:
    """Signs bodies with the sandbox's WeChat Pay private key, caching per (body, second)."""

    def __init__(self, key: rsa.RSAPrivateKey, key_id: str) -> None:
        self.key = key
        self.key_id = key_id
        self._lock = threading.Lock()
        self._second = -1
        self._cache: dict[bytes, Signed] = {}

    def sign(self, body: bytes, now: int | None = None) -> Signed:
        """A signature of ``body`` at ``now`` (default: the current second)."""
        second = int(time.time()) if now is None else now
        with self._lock:
            if second == self._second:
                hit = self._cache.get(body)
                if hit is not None:
                    return hit
        nonce = new_nonce()
        timestamp = str(second)
        signed = Signed(timestamp, nonce, sign(self.key, response_message(timestamp, nonce, body)))
        with self._lock:
            if second > self._second:
                self._second = second
                self._cache = {}
            if second == self._second and len(self._cache) < 1024:
                self._cache.setdefault(body, signed)
        return signed

    def sign_fresh(self, body: bytes, now: int) -> Signed:
        """An uncached signature (fault paths)."""
        nonce = new_nonce()
        timestamp = str(now)
        return Signed(timestamp, nonce, sign(self.key, response_message(timestamp, nonce, body)))

    def headers(self, signed: Signed, signature_type: str) -> list[Header]:
        return [
            ("Wechatpay-Timestamp", signed.timestamp),
            ("Wechatpay-Nonce", signed.nonce),
            ("Wechatpay-Signature", signed.signature),
            ("Wechatpay-Serial", self.key_id),
            ("Wechatpay-Signature-Type", signature_type),
        ]
