"""Where a response body goes while it is read: memory, with at most one whole copy, or a file.

:class:`BodyBuffer` collects a body in memory for every transport. A body that arrives in one
piece is kept as that piece; a larger one is written into an ``io.BytesIO`` (sized up front when
the server declared a ``Content-Length``), whose ``getvalue()`` hands its buffer over without
copying it on CPython. So a downloaded file is held once, never as a list of pieces plus their
join.

:class:`FileSink` is for the streaming download of a file WeChat Pay does not sign (an answer the
spec marks ``x-wechatpay-unsigned``): the transport writes such a 2xx body to a temporary file
instead of memory. Only a 2xx answer of a status the operation declares unsigned, with a
``Content-Type`` that is not JSON, goes there; everything else (a JSON answer, which is verified,
an error, a missing ``Content-Type``) is read into memory as usual.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping
from typing import IO, Final

__all__ = ["BodyBuffer", "FileSink", "is_json_type"]

#: Below this, a declared Content-Length is not worth reserving memory for up front.
_PRESIZE_FROM: Final = 1 << 20


def is_json_type(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` value names JSON (``application/json``, ``…+json``)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class BodyBuffer:
    """A response body in memory; :meth:`value` gives it as one ``bytes`` object."""

    __slots__ = ("_first", "_io", "size")

    def __init__(self) -> None:
        self._first = b""
        self._io: io.BytesIO | None = None
        self.size = 0

    def expect(self, length: int) -> None:
        """The server declared ``length`` bytes (already checked against the size limit)."""
        if length >= _PRESIZE_FROM and self._io is None and not self.size:
            buffer = self._io = io.BytesIO()
            buffer.seek(length - 1)
            buffer.write(b"\0")  # one allocation of the final size; overwritten from the start
            buffer.seek(0)

    def add(self, data: bytes) -> None:
        if not data:
            return
        buffer = self._io
        if buffer is None:
            if not self.size:
                self._first = data  # the common case: the whole body in one piece
                self.size = len(data)
                return
            buffer = self._io = io.BytesIO()
            buffer.write(self._first)
            self._first = b""
        buffer.write(data)
        self.size += len(data)

    def value(self) -> bytes:
        buffer = self._io
        if buffer is None:
            return self._first
        if buffer.tell() != len(buffer.getbuffer()):
            buffer.truncate()  # fewer bytes came than were declared (a cut error body)
        return buffer.getvalue()


class FileSink:
    """A temporary file a streamed 2xx file answer is written to (see the module docstring).

    ``statuses``: the 2xx statuses the operation's spec marks unsigned. ``max_bytes``: the limit
    on what is written (``None``: none; the file is on disk, not in memory).
    """

    __slots__ = ("file", "max_bytes", "size", "statuses")

    def __init__(self, statuses: frozenset[int], max_bytes: int | None) -> None:
        self.statuses = statuses
        self.max_bytes = max_bytes
        self.file: IO[bytes] = tempfile.TemporaryFile()  # closed by close()
        self.size = 0

    def wants(self, status: int, headers: Mapping[str, str]) -> bool:
        """Whether this answer's body goes to the file (never a JSON one: that is verified)."""
        if status not in self.statuses:
            return False
        content_type = headers.get("Content-Type")
        return content_type is not None and not is_json_type(content_type)

    def begin(self) -> None:
        """Start (again: an earlier attempt may have written part of a body) from empty."""
        self.file.seek(0)
        self.file.truncate()
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        self.file.write(data)
        self.size += len(data)

    def close(self) -> None:
        self.file.close()
