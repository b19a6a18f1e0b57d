"""Sensitive fields (``x-wechatpay-sensitive``): encrypted in requests, decrypted in responses.

Requests: each marked string is encrypted with RSAES-OAEP (SHA-1, MGF1 with SHA-1) under the
WeChat Pay public key and sent as standard Base64; the request carries ``Wechatpay-Serial`` with
that key's id. Responses: marked strings are decrypted the same way with the caller's private key.
A field is named by a path of wire names; ``None`` in a path stands for every item of an array.
Plaintext never appears in an error message.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .errors import APIResponseValidationError, RequestValidationError
from .keys import PrivateKey, PublicKey

__all__ = ["FieldPath", "decrypt_fields", "encrypt_fields"]

FieldPath = tuple[str | None, ...]

_OAEP: Final = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA1()),  # noqa: S303 - the protocol's padding
    algorithm=hashes.SHA1(),  # noqa: S303
    label=None,
)


def _shown(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def encrypt_fields(body: Any, paths: Sequence[FieldPath], key: PublicKey) -> Any:
    """A copy of ``body`` with every string at ``paths`` encrypted (the input is not changed)."""
    for path in paths:
        body = _map(body, path, (), lambda value, at: _encrypt(value, at, key))
    return body


def decrypt_fields(
    data: Any,
    paths: Sequence[FieldPath],
    key: PrivateKey,
    *,
    request_id: str | None = None,
    status_code: int | None = None,
) -> Any:
    """A copy of ``data`` with every string at ``paths`` decrypted with the private key."""

    def decrypt(value: Any, at: tuple[str | int, ...]) -> Any:
        if not isinstance(value, str):
            return value  # left for the model's parser to reject with the field's path
        try:
            raw = base64.b64decode(value.encode("ascii"), validate=True)
            plain = key.cryptography_key.decrypt(raw, _OAEP)
            return plain.decode("utf-8")
        except (ValueError, binascii.Error, UnicodeError):
            raise APIResponseValidationError(
                f"sensitive field {_shown(at)} could not be decrypted with private_key",
                request_id=request_id,
                status_code=status_code,
            ) from None

    for path in paths:
        data = _map(data, path, (), decrypt)
    return data


def _encrypt(value: Any, at: tuple[str | int, ...], key: PublicKey) -> Any:
    if not isinstance(value, str):
        return value  # the request validators have already named a wrong type
    plain = value.encode("utf-8")
    limit = key.key_size // 8 - 42  # OAEP with SHA-1 adds 2 * 20 + 2 bytes
    if len(plain) > limit:
        raise RequestValidationError(
            _shown(at), f"too long to encrypt: at most {limit} bytes of UTF-8"
        )
    cipher = key.cryptography_key.encrypt(plain, _OAEP)
    return base64.b64encode(cipher).decode("ascii")


def _map(node: Any, path: FieldPath, at: tuple[str | int, ...], apply: Any) -> Any:
    """``node`` with ``apply`` done at ``path``; containers on the way are copied, not changed."""
    if not path:
        return apply(node, at)
    head, rest = path[0], path[1:]
    if head is None:
        if not isinstance(node, list):
            return node
        return [_map(item, rest, (*at, i), apply) for i, item in enumerate(node)]
    if not isinstance(node, dict) or head not in node:
        return node
    copy = dict(node)
    copy[head] = _map(node[head], rest, (*at, head), apply)
    return copy
