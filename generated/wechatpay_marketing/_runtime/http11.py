"""HTTP/1.1 on the wire, for the built-in transport: the request head and a response parser.

The parser is incremental (fed whatever the socket returned) so that the blocking and the asyncio
transports share it. It enforces the limits the client promises on hostile responses: a head of at
most 64 KiB and 200 fields; a 2xx body larger than ``max_bytes`` is refused (a declared
``Content-Length`` over the limit before any of it is read), an error body is cut at the limit.
Framing follows RFC 9112: no body for HEAD, 1xx, 204 and 304; ``Transfer-Encoding: chunked``;
``Content-Length``; otherwise until the server closes. Interim 1xx responses are skipped.
A body is kept in memory once (:class:`.body.BodyBuffer`), or written to a
:class:`.body.FileSink` when the caller streams an unsigned file to disk.
Leniency is h11's, no more (h11 is what httpx parses with, and the differential oracle of the
tests): the head's lines may end in a bare LF (RFC 9112 section 2.2) and a folded header line is
unfolded into one space (section 5.2); a chunk size is 1 to 20 hex digits, then an optional
extension and trailing blanks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from .body import BodyBuffer, FileSink

__all__ = ["Headers", "ProtocolError", "ResponseParser", "request_head"]

MAX_HEAD_BYTES = 64 * 1024
MAX_FIELDS = 200
_MAX_CHUNK_LINE = 4096

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# The blank line that ends a head when its lines end in a bare LF (CRLF heads take a faster path).
_HEAD_END = re.compile(rb"\n\r?\n")
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,20})(?:;[^\r\n]*)?[ \t]*")
# More digits than this cannot be a length any limit allows (and int() refuses 4300+ digits).
_MAX_LENGTH_DIGITS = 18
_NO_LIMIT = 1 << 62  # a streamed file without a size limit

# Parser states.
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, _DONE = range(8)


class ProtocolError(Exception):
    """The server's bytes are not a valid HTTP/1.1 response (the message says where)."""


def request_head(
    method: str, target: str, host: str, headers: Mapping[str, str], content_length: int | None
) -> bytes:
    """The request line and header block, ready to be followed by the body bytes.

    ``target`` and every header must be ASCII (the runtime checks what callers supply); a
    ``UnicodeEncodeError`` here means a bug upstream, not bad user input.
    """
    parts = [method, " ", target, " HTTP/1.1\r\nHost: ", host, "\r\n"]
    for name, value in headers.items():
        parts += (name, ": ", value, "\r\n")
    if content_length is not None:
        parts += ("Content-Length: ", str(content_length), "\r\n")
    parts.append("\r\n")
    return "".join(parts).encode("ascii")


def _decode_value(raw: bytes) -> str:
    # As httpx does: ASCII, else UTF-8, else Latin-1, so verification sees the bytes as sent.
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class Headers(Mapping[str, str]):
    """Response headers: case-insensitive lookup; repeated fields read as one ``", "``-joined value.

    Iterates lower-case names, like ``httpx.Headers``; :meth:`multi_items` gives every field as
    received.
    """

    __slots__ = ("_items", "_map")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        merged: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        self._map = merged

    @classmethod
    def _of(cls, items: list[tuple[str, str]], merged: dict[str, str]) -> Headers:
        headers = cls.__new__(cls)
        headers._items = items
        headers._map = merged
        return headers

    def __getitem__(self, name: str) -> str:
        return self._map[name.lower()]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return self._map.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class ResponseParser:
    """Feed response bytes with :meth:`feed` until it returns ``True``; then read the fields.

    ``too_large``: the body went over ``max_bytes`` (a 2xx is then not read at all, an error
    body is kept up to the limit). ``reusable``: the connection may carry another request.
    ``head_done``: the status line and headers are in (the server answered). ``streamed``: the
    body went to ``sink`` (its size limit is the sink's), not into :attr:`body`.
    """

    __slots__ = (
        "_body",
        "_buffer",
        "_keep_partial",
        "_left",
        "_limit",
        "_no_body",
        "_sink",
        "_size",
        "_state",
        "head_done",
        "headers",
        "reusable",
        "status_code",
        "streamed",
        "too_large",
    )

    def __init__(self, method: str, max_bytes: int, sink: FileSink | None = None) -> None:
        self._limit = max_bytes
        self._no_body = method == "HEAD"
        self._buffer = b""
        self._state = _HEAD
        self._body = BodyBuffer()
        self._sink = sink
        self._size = 0
        self._left = 0
        self._keep_partial = False
        self.head_done = False
        self.status_code = 0
        self.headers = Headers([])
        self.too_large = False
        self.reusable = False
        self.streamed = False

    @property
    def done(self) -> bool:
        return self._state == _DONE

    @property
    def body(self) -> bytes:
        return self._body.value()

    def feed(self, data: bytes) -> bool:
        """Take the next bytes from the server; ``True`` once nothing more is to be read."""
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        while data:
            state = self._state
            if state == _HEAD:
                data = self._parse_head(data)
            elif state == _LENGTH:
                take = data[: self._left]
                data = data[self._left :]
                self._left -= len(take)
                if self._add(take):
                    return True
                if self._left == 0:
                    self._finish()
            elif state == _CHUNK_SIZE:
                data = self._parse_chunk_size(data)
            elif state == _CHUNK_DATA:
                take = data[: self._left]
                data = data[self._left :]
                self._left -= len(take)
                if self._add(take):
                    return True
                if self._left == 0:
                    self._state = _CHUNK_END
            elif state == _CHUNK_END:
                if len(data) < 2:
                    self._buffer = data
                    return False
                if data[:2] != b"\r\n":
                    raise ProtocolError("chunk data is not followed by CRLF")
                data = data[2:]
                self._state = _CHUNK_SIZE
            elif state == _TRAILERS:
                data = self._parse_trailers(data)
            elif state == _UNTIL_CLOSE:
                if self._add(data):
                    return True
                data = b""
            else:  # _DONE: bytes after the response; the connection is not clean
                self.reusable = False
                return True
        return self._state == _DONE

    def feed_eof(self) -> None:
        """The server closed the connection; raises unless that completes the response."""
        self.reusable = False
        if self._state == _UNTIL_CLOSE:
            self._state = _DONE
        elif self._state != _DONE:
            if not self.head_done:
                raise ProtocolError("the server closed the connection without sending a response")
            raise ProtocolError("the server closed the connection before the body was complete")

    # -- head --------------------------------------------------------------------------------

    def _parse_head(self, data: bytes) -> bytes:
        end = data.find(b"\r\n\r\n")
        head = data[:end] if end >= 0 else data
        if head.count(b"\n") == head.count(b"\r\n"):  # every line so far ends in CRLF
            if end < 0:
                return self._wait_for_head(data)
            rest = data[end + 4 :]
            text = head.decode("latin-1")  # ASCII in practice; Latin-1 keeps every byte
            lines = text.split("\r\n")
        else:  # some line ends in a bare LF: find the first blank line as h11 does
            match = _HEAD_END.search(data)
            if match is None:
                return self._wait_for_head(data)
            head, rest = data[: match.start()], data[match.end() :]
            text = head.decode("latin-1")
            lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
        if len(head) > MAX_HEAD_BYTES:
            raise ProtocolError("the response head is larger than 64 KiB")
        if "\n " in text or "\n\t" in text:
            lines = _unfold(lines)
        version, _, tail = lines[0].partition(" ")
        code = tail[:3]
        if (
            version not in ("HTTP/1.1", "HTTP/1.0")
            or len(code) != 3
            or not (code.isascii() and code.isdigit())
            or tail[3:4] not in ("", " ")
        ):
            raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:64]!r}")
        status = int(code)
        if status < 100:  # RFC 9110 §15: a status code is a three-digit integer from 100
            raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:64]!r}")
        if len(lines) - 1 > MAX_FIELDS:
            raise ProtocolError(f"the response has more than {MAX_FIELDS} header fields")
        items: list[tuple[str, str]] = []
        merged: dict[str, str] = {}
        if _CONTROL.search(lines[0]):
            raise ProtocolError(f"control character in the status line: {lines[0][:64]!r}")
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            # Strict field syntax: a token name and no bare CR, LF or other control character
            # in the value, so no line can be read as two (framing ambiguity is how responses
            # get smuggled). h11 is the differential oracle for this in the tests.
            if not colon or not _TOKEN.fullmatch(name) or _CONTROL.search(value):
                raise ProtocolError(f"malformed header line: {line[:64]!r}")
            value = value.strip(" \t")
            if not value.isascii():
                value = _decode_value(value.encode("latin-1"))
            items.append((name, value))
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        if 100 <= status < 200:
            if status == 101:
                raise ProtocolError("the server switched protocols")
            return rest  # interim response: the real one follows
        self.status_code = status
        self.headers = Headers._of(items, merged)
        self.head_done = True
        self._keep_partial = not (200 <= status < 300)
        sink = self._sink
        if sink is not None and sink.wants(status, self.headers):
            self.streamed = True
            self._limit = _NO_LIMIT if sink.max_bytes is None else sink.max_bytes
            sink.begin()
        connection = merged.get("connection", "").lower()
        self.reusable = version == "HTTP/1.1" and "close" not in connection
        if self._no_body or status in (204, 304):
            self._finish()
            return rest
        encoding = merged.get("transfer-encoding")
        length = merged.get("content-length")
        if encoding is not None and length is not None:
            raise ProtocolError("the response has both Transfer-Encoding and Content-Length")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise ProtocolError(f"unsupported Transfer-Encoding {encoding[:32]!r}")
            self._state = _CHUNK_SIZE
        elif length is not None:
            length = length.strip()
            if not (length.isascii() and length.isdigit()):
                raise ProtocolError(f"invalid Content-Length {length[:32]!r}")
            digits = length.lstrip("0")
            # Too many digits to be any real length: larger than every limit.
            self._left = int(digits or "0") if len(digits) <= _MAX_LENGTH_DIGITS else 1 << 62
            if self._left > self._limit:
                self.too_large = True
                self.reusable = False
                if not self._keep_partial:  # a 2xx that big is refused unread
                    self._state = _DONE
                    return b""
            self._state = _LENGTH
            if self._left == 0:
                self._finish()
            elif not (self._keep_partial or self.streamed):
                self._body.expect(self._left)
        else:
            self.reusable = False
            self._state = _UNTIL_CLOSE
        return rest

    # -- body --------------------------------------------------------------------------------

    def _add(self, data: bytes) -> bool:
        """Keep body bytes; ``True`` when the size limit stops the reading."""
        room = self._limit - self._size
        if len(data) > room:
            self.too_large = True
            self.reusable = False
            if self._keep_partial and room > 0:
                self._body.add(data[:room])
                self._size += room
            self._state = _DONE
            return True
        if data:
            if self.streamed:
                assert self._sink is not None
                self._sink.write(data)
            else:
                self._body.add(data)
            self._size += len(data)
        return False

    def _finish(self) -> None:
        self._state = _DONE

    def _wait_for_head(self, data: bytes) -> bytes:
        if len(data) > MAX_HEAD_BYTES:
            raise ProtocolError("the response head is larger than 64 KiB")
        self._buffer = data
        return b""

    def _parse_chunk_size(self, data: bytes) -> bytes:
        end = data.find(b"\r\n")
        if end < 0:
            if len(data) > _MAX_CHUNK_LINE:
                raise ProtocolError("chunk size line too long")
            self._buffer = data
            return b""
        match = _CHUNK_LINE.fullmatch(data, 0, end)
        if match is None:
            raise ProtocolError(f"invalid chunk size line {data[:min(end, 32)]!r}")
        size = int(match.group(1), 16)
        self._left = size
        self._state = _CHUNK_DATA if size else _TRAILERS
        return data[end + 2 :]

    def _parse_trailers(self, data: bytes) -> bytes:
        # Trailer fields are read past, not used; lines may end in a bare LF as in the head.
        for blank in (b"\r\n", b"\n"):
            if data.startswith(blank):
                self._finish()
                return data[len(blank) :]
        match = _HEAD_END.search(data)
        if match is None:
            if len(data) > MAX_HEAD_BYTES:
                raise ProtocolError("the response trailers are larger than 64 KiB")
            self._buffer = data
            return b""
        self._finish()
        return data[match.end() :]


def _unfold(lines: list[str]) -> list[str]:
    """Join obsolete folded lines (starting with a space or tab) to the field line above."""
    joined = [lines[0]]
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if len(joined) == 1:
                raise ProtocolError(f"folded line at the start of the headers: {line[:64]!r}")
            joined[-1] = joined[-1] + " " + line.lstrip(" \t")
        else:
            joined.append(line)
    return joined
