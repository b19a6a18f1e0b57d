"""Checking a downloaded bill against the hash the apply-bill answer gave, and unpacking it.

WeChat Pay does not sign bill files; the apply-bill answer (which is signed) carries ``hash_type``
and ``hash_value`` of the file to download. :func:`read_bill` checks the downloaded bytes against
them and returns the bill (unpacked when it was requested as ``GZIP``); :func:`save_bill` writes it
to a path or a binary file object in chunks, so a large bill is never held unpacked in memory.
The downloaded bytes are hashed in place: no copy of them is made.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Final, Union

from .errors import WeChatPayError

__all__ = ["BillIntegrityError", "read_bill", "save_bill"]

_HASHES: Final = {"SHA1": "sha1", "SHA256": "sha256", "MD5": "md5"}
_CHUNK: Final = 1 << 20
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS

Destination = Union[str, "os.PathLike[str]", IO[bytes]]


class BillIntegrityError(WeChatPayError):
    """The downloaded file does not match the apply-bill answer's hash, or does not unpack."""


def check_bill(content: bytes | memoryview, *, hash_type: str, hash_value: str) -> None:
    """Raise :class:`BillIntegrityError` unless ``content`` hashes to ``hash_value``."""
    algorithm = _HASHES.get(hash_type.upper()) if isinstance(hash_type, str) else None
    if algorithm is None:
        raise BillIntegrityError(
            f"unsupported hash_type {str(hash_type)[:32]!r}; expected one of {', '.join(_HASHES)}"
        )
    digest = hashlib.new(algorithm, content, usedforsecurity=False).hexdigest()
    if not isinstance(hash_value, str) or not hmac.compare_digest(
        digest, hash_value.strip().lower()
    ):
        raise BillIntegrityError(
            f"the bill's {hash_type} digest does not match hash_value: a truncated or altered "
            "download; download it again"
        )


def read_bill(content: bytes, *, hash_type: str, hash_value: str, gzip: bool = False) -> bytes:
    """The checked bill; unpacked when ``gzip=True`` (the bill was applied for with GZIP)."""
    check_bill(content, hash_type=hash_type, hash_value=hash_value)
    if not gzip:
        return content  # the same object: no copy
    return b"".join(_gunzip(content))


def save_bill(
    content: bytes,
    destination: Destination,
    *,
    hash_type: str,
    hash_value: str,
    gzip: bool = False,
) -> int:
    """Check the bill, write it (unpacked when ``gzip=True``) and return the bytes written.

    ``destination`` is a path (written whole or not at all: a temporary file next to it is
    renamed into place) or a binary file object. Unpacking goes chunk by chunk.
    """
    check_bill(content, hash_type=hash_type, hash_value=hash_value)
    chunks: Iterable[bytes | memoryview] = _gunzip(content) if gzip else _slices(content)
    if isinstance(destination, (str, os.PathLike)):
        path = os.fspath(destination)
        partial = f"{path}.part"
        try:
            with open(partial, "wb") as handle:
                written = _write(chunks, handle)
            os.replace(partial, path)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
        return written
    return _write(chunks, destination)


def _write(chunks: Iterable[bytes | memoryview], handle: IO[bytes]) -> int:
    written = 0
    for chunk in chunks:
        handle.write(chunk)
        written += len(chunk)
    return written


def _slices(content: bytes) -> list[memoryview]:
    view = memoryview(content)
    return [view[i : i + _CHUNK] for i in range(0, len(view), _CHUNK)]


def _gunzip(content: bytes) -> Iterator[bytes]:
    def chunks() -> Iterator[bytes]:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        view = memoryview(content)
        try:
            for start in range(0, len(view), _CHUNK):
                data = inflater.decompress(view[start : start + _CHUNK])
                if data:
                    yield data
            tail = inflater.flush()
        except zlib.error:
            raise BillIntegrityError("the bill is not valid GZIP data") from None
        if not inflater.eof:
            raise BillIntegrityError("the GZIP bill is truncated")
        if tail:
            yield tail

    return chunks()
