"""``client.with_streaming_response.<method>(...)``: a file answer written to disk, not memory.

Offered for operations whose answer is a file WeChat Pay does not sign (the spec marks it
``x-wechatpay-unsigned``: the bill download). The call runs as every call does (validated, signed,
retried, size-checked), but a 2xx file answer of a status the spec marks unsigned, with a
``Content-Type`` that is not JSON, is written to a temporary file as it arrives (see
:class:`.body.FileSink`). Any other answer is read into memory and checked as usual: a JSON answer
is verified, an error raises. The whole answer is in before the context manager hands it over, so
retries and the size limit hold as for a plain call, and nothing is handed over that the plain
method would not return.

    with client.with_streaming_response.download_bill(token=token) as response:
        save_bill(response, "bill.csv", hash_type=..., hash_value=..., gzip=True)
        # or response.stream_to_file(path), response.iter_bytes(), response.read()

``max_response_bytes=`` limits the file written (default: no limit; it is on disk). The
temporary file is deleted when the ``with`` block ends. Writing and reading it is local disk I/O,
done in the event loop by the asyncio client (as it receives each piece).
"""

from __future__ import annotations

import io
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from types import TracebackType
from typing import IO, Generic, TypeVar, Union

from .bills import write_whole
from .body import FileSink
from .errors import WeChatPayError
from .response import Response

__all__ = ["AsyncStreamingCall", "StreamedFile", "StreamingCall"]

_CHUNK = 1 << 20
_Sent = TypeVar("_Sent")  # what the call's send function returns

Destination = Union[str, "os.PathLike[str]"]


class StreamedFile:
    """A streamed call's answer: ``status_code``, ``headers``, ``request_id`` and the file.

    A readable binary file: :meth:`read` reads from the current position (from the start at
    first, so ``read()`` gives the whole file); :meth:`iter_bytes` and :meth:`stream_to_file`
    start from the beginning whatever was read before.
    """

    __slots__ = ("_sink", "_source", "headers", "request_id", "status_code")

    def __init__(self, response: Response, sink: FileSink) -> None:
        self.status_code = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.request_id = response.request_id
        self._sink = sink
        if response.streamed:
            source: IO[bytes] = sink.file
        else:  # answered in memory (e.g. an empty or JSON answer): no file was written
            source = io.BytesIO(response.content)
        source.seek(0)
        self._source = source

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes from the current position (all that is left for -1)."""
        self._check_open()
        return self._source.read(size)

    def iter_bytes(self, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        """The file from its start, in chunks of at most ``chunk_size`` bytes."""
        self._check_open()
        source = self._source
        source.seek(0)
        while True:
            chunk = source.read(chunk_size)
            if not chunk:
                return
            yield chunk

    def stream_to_file(self, path: Destination) -> int:
        """Write the file to ``path`` (whole or not at all) and return the bytes written."""
        return write_whole(path, self.iter_bytes())

    def close(self) -> None:
        """Delete the temporary file (the ``with`` block does this)."""
        self._sink.close()
        self._source.close()

    @property
    def closed(self) -> bool:
        return self._source.closed

    def _check_open(self) -> None:
        if self._source.closed:
            raise WeChatPayError("the streamed response is closed (its with block has ended)")

    def __enter__(self) -> StreamedFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<StreamedFile {self.status_code} request_id={self.request_id!r}>"


def _sink(statuses: frozenset[int], max_bytes: int | None) -> FileSink:
    return FileSink(statuses, max_bytes)


class _Call(Generic[_Sent]):
    """A streamed call not made yet: how to send it, and the file it gave once it is made."""

    __slots__ = ("_file", "_max_bytes", "_send", "_statuses")

    def __init__(
        self,
        send: Callable[..., _Sent],
        statuses: frozenset[int],
        max_bytes: int | None,
    ) -> None:
        self._send = send
        self._statuses = statuses
        self._max_bytes = max_bytes
        self._file: StreamedFile | None = None


class StreamingCall(_Call[Response]):
    """What a blocking ``with_streaming_response`` method returns: the call is made when the
    ``with`` block is entered, which gets the :class:`StreamedFile`."""

    __slots__ = ()

    def __enter__(self) -> StreamedFile:
        sink = _sink(self._statuses, self._max_bytes)
        try:
            response = self._send(sink=sink)
        except BaseException:
            sink.close()
            raise
        self._file = StreamedFile(response, sink)
        return self._file

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()


class AsyncStreamingCall(_Call[Awaitable[Response]]):
    """What an asyncio ``with_streaming_response`` method returns: ``async with`` makes the call
    and gets the :class:`StreamedFile`."""

    __slots__ = ()

    async def __aenter__(self) -> StreamedFile:
        sink = _sink(self._statuses, self._max_bytes)
        try:
            response = await self._send(sink=sink)
        except BaseException:
            sink.close()
            raise
        self._file = StreamedFile(response, sink)
        return self._file

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
