"""Checking a downloaded bill against the hash the apply-bill answer gave, and unpacking it.

WeChat Pay does not sign bill files; the apply-bill answer (which is signed) carries ``hash_type``
and ``hash_value`` of the file to download. :func:`read_bill` checks the downloaded file against
them and returns the bill (unpacked when it was requested as ``GZIP``); :func:`save_bill` writes it
to a path or a binary file object.

The file is the bytes a download method returned, or a readable binary file: the
``with_streaming_response`` answer, or an open file. Bytes are hashed first, in place, then
unpacked and written in chunks of 1 MiB; a readable file is read once in chunks of 1 MiB, hashed,
unpacked and written in the same pass, and checked when it ends (a path destination is renamed
into place only then). No whole copy is made beyond what is returned (``read_bill``'s result;
``save_bill`` holds a chunk at a time), and unpacking gives at most a chunk at a time, however well
the data compresses.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Final, Protocol, Union

from .errors import WeChatPayError

__all__ = ["BillIntegrityError", "read_bill", "save_bill"]

_HASHES: Final = {"SHA1": "sha1", "SHA256": "sha256", "MD5": "md5"}
_CHUNK: Final = 1 << 20
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


Source = bytes | bytearray | memoryview | Readable
Destination = Union[str, "os.PathLike[str]", IO[bytes]]


class BillIntegrityError(WeChatPayError):
    """The downloaded file does not match the apply-bill answer's hash, or does not unpack."""


def _hasher(hash_type: str) -> hashlib._Hash:
    algorithm = _HASHES.get(hash_type.upper()) if isinstance(hash_type, str) else None
    if algorithm is None:
        raise BillIntegrityError(
            f"unsupported hash_type {str(hash_type)[:32]!r}; expected one of {', '.join(_HASHES)}"
        )
    return hashlib.new(algorithm, usedforsecurity=False)


def _check(hasher: hashlib._Hash, hash_type: str, hash_value: str) -> None:
    if not isinstance(hash_value, str) or not hmac.compare_digest(
        hasher.hexdigest(), hash_value.strip().lower()
    ):
        raise BillIntegrityError(
            f"the bill's {hash_type} digest does not match hash_value: a truncated or altered "
            "download; download it again"
        )


def check_bill(content: bytes | bytearray | memoryview, *, hash_type: str, hash_value: str) -> None:
    """Raise :class:`BillIntegrityError` unless ``content`` hashes to ``hash_value``."""
    hasher = _hasher(hash_type)
    hasher.update(content)
    _check(hasher, hash_type, hash_value)


def read_bill(content: Source, *, hash_type: str, hash_value: str, gzip: bool = False) -> bytes:
    """The checked bill; unpacked when ``gzip=True`` (the bill was applied for with GZIP).

    ``content``: the downloaded bytes (returned as they are when not unpacked: no copy) or a
    readable binary file (read whole into the result).
    """
    hasher = _checked_first(content, hash_type, hash_value)
    if hasher is None and not gzip:
        assert isinstance(content, (bytes, bytearray, memoryview))
        return content if isinstance(content, bytes) else bytes(content)
    out = io.BytesIO()
    for chunk in _pieces(content, hasher, gzip, hash_type, hash_value):
        out.write(chunk)
    return out.getvalue()  # CPython hands the buffer over: no copy


def save_bill(
    content: Source,
    destination: Destination,
    *,
    hash_type: str,
    hash_value: str,
    gzip: bool = False,
) -> int:
    """Check the bill, write it (unpacked when ``gzip=True``) and return the bytes written.

    ``content``: the downloaded bytes or a readable binary file. ``destination``: a path (written
    whole or not at all: a temporary file next to it is renamed into place once the hash
    matched) or a binary file object. Downloaded bytes are checked before anything is written; a
    readable file is checked as it is written, so on ``BillIntegrityError`` what a file object
    destination got is not the bill: discard it.
    """
    hasher = _checked_first(content, hash_type, hash_value)
    pieces = _pieces(content, hasher, gzip, hash_type, hash_value)
    if not isinstance(destination, (str, os.PathLike)):
        return _write(pieces, destination)
    return write_whole(destination, pieces)


def write_whole(path: str | os.PathLike[str], chunks: Iterable[bytes | memoryview]) -> int:
    """Write ``chunks`` to ``path`` whole or not at all (into ``<path>.part``, renamed into place
    once every chunk is written; removed on any failure); returns the bytes written."""
    target = os.fspath(path)
    partial = f"{target}.part"
    try:
        with open(partial, "wb") as handle:
            written = _write(chunks, handle)
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    return written


def _checked_first(content: Source, hash_type: str, hash_value: str) -> hashlib._Hash | None:
    """Bytes in memory are checked at once (no copy); for a readable file, the hasher that
    checks it on the way (:func:`_pieces`)."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        check_bill(content, hash_type=hash_type, hash_value=hash_value)
        return None
    return _hasher(hash_type)


def _write(chunks: Iterable[bytes | memoryview], handle: IO[bytes]) -> int:
    written = 0
    for chunk in chunks:
        handle.write(chunk)
        written += len(chunk)
    return written


def _read(content: Source) -> Iterator[bytes | memoryview]:
    """The file in chunks of at most 1 MiB: slices of memory (no copy), or reads."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        view = memoryview(content)
        for start in range(0, len(view), _CHUNK):
            yield view[start : start + _CHUNK]
        return
    while True:
        chunk = content.read(_CHUNK)
        if not chunk:
            return
        yield chunk


def _pieces(
    content: Source,
    hasher: hashlib._Hash | None,
    gzip: bool,
    hash_type: str,
    hash_value: str,
) -> Iterator[bytes | memoryview]:
    """The file's chunks, unpacked when ``gzip``; with a ``hasher``, each is hashed on the way
    and the digest is checked once the file is read, before the last piece is given."""
    inflater = zlib.decompressobj(_GZIP_WBITS) if gzip else None
    chunks = _read(content)
    try:
        for chunk in chunks:
            if hasher is not None:
                hasher.update(chunk)
            if inflater is None:
                yield chunk
            else:
                yield from _inflate(inflater, chunk)
        tail = b""
        if inflater is not None:
            try:
                tail = inflater.flush()
            except zlib.error:
                raise BillIntegrityError("the bill is not valid GZIP data") from None
            if not inflater.eof:
                raise BillIntegrityError("the GZIP bill is truncated")
    except BillIntegrityError:
        if hasher is not None:  # a wrong download says so, rather than "not GZIP"
            for chunk in chunks:
                hasher.update(chunk)
            _check(hasher, hash_type, hash_value)
        raise
    if hasher is not None:
        _check(hasher, hash_type, hash_value)
    if tail:
        yield tail


def _inflate(inflater: zlib._Decompress, data: bytes | memoryview) -> Iterator[bytes]:
    """Unpack ``data``, at most 1 MiB of output at a time (a small input can unpack to a lot)."""
    try:
        while data:
            out = inflater.decompress(data, _CHUNK)
            data = inflater.unconsumed_tail
            if out:
                yield out
            elif not data:
                break
    except zlib.error:
        raise BillIntegrityError("the bill is not valid GZIP data") from None
