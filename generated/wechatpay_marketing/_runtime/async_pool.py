"""The built-in asyncio transport: keep-alive HTTP/1.1 on asyncio protocols (TLS for https).

Each connection is an :class:`asyncio.Protocol` that feeds received bytes straight into the shared
:class:`.http11.ResponseParser` (no stream-reader layers in between). Idle connections are kept
per origin and per event loop (a client used from two loops, one after the other, never hands a
connection to the wrong loop), for at most ``keepalive_expiry`` seconds; at most
``max_connections`` are open at once, further calls wait for one to come free. The attempt's
deadline covers waiting for a connection, connecting, the TLS handshake and the whole exchange.
Errors are reported as the ``httpx`` exceptions a ``httpx.AsyncClient`` would raise.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from .http11 import ProtocolError, ResponseParser, request_head
from .sync_pool import _error
from .tls import default_ssl_context
from .transport import Endpoint, RawResponse, SendAction, TransportFailure, failure

if TYPE_CHECKING:
    import ssl

__all__ = ["AsyncPool"]


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; :meth:`exchange` runs one request on it at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser: ResponseParser | None = None
        self._waiter: asyncio.Future[None] | None = None

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        if parser is None:  # bytes nobody asked for: this connection cannot be trusted
            self.close()
            return
        try:
            done = parser.feed(data)
        except ProtocolError as exc:
            self._finish(exc)
            return
        if done:
            self._finish(None)

    def eof_received(self) -> bool:
        parser = self._parser
        if parser is not None:
            try:
                parser.feed_eof()
            except ProtocolError as exc:
                self._finish(exc)
            else:
                self._finish(None)
        self.closed = True
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._parser is not None:
            self._finish(exc or ConnectionResetError("the server closed the connection"))

    # -- use ---------------------------------------------------------------------------------

    def _finish(self, error: BaseException | None) -> None:
        waiter = self._waiter
        self._parser = None
        self._waiter = None
        if waiter is not None and not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)

    async def exchange(self, data: bytes, parser: ResponseParser, deadline: float) -> None:
        """Send ``data``; return once ``parser`` has the whole response (TimeoutError at
        ``deadline``, on the loop's clock)."""
        assert self.transport is not None
        loop = self.loop
        waiter: asyncio.Future[None] = loop.create_future()
        self._parser = parser
        self._waiter = waiter
        # One timer handle: cheaper than asyncio.timeout() around the await, on every call.
        timer = loop.call_at(deadline, self._expire)
        try:
            self.transport.write(data)
            await waiter
        finally:
            timer.cancel()

    def _expire(self) -> None:
        self._finish(TimeoutError("the response did not arrive in time"))

    def close(self) -> None:
        self.closed = True
        self._parser = None
        if self.transport is not None:
            self.transport.close()


class AsyncPool:
    """Keep-alive connections for the asyncio client."""

    def __init__(
        self,
        *,
        max_connections: int = 100,
        keepalive_expiry: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._idle: dict[tuple[Endpoint, asyncio.AbstractEventLoop], list[_Connection]] = {}
        self._max = max_connections
        self._active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._closed = False
        #: Connections opened so far (tests and benchmarks check that keep-alive works).
        self.connections_opened = 0

    @property
    def is_closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Close every idle connection; connections in use are closed when their call ends."""
        self._closed = True
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                try:
                    connection.close()
                except RuntimeError:  # its event loop is closed already
                    pass

    # -- connection slots --------------------------------------------------------------------

    async def _acquire(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        if self._active < self._max:
            self._active += 1
            return
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, max(0.0, deadline - loop.time()))
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release()  # we were handed a slot, then timed out or were cancelled
            else:
                waiter.cancel()  # _release skips it
            raise

    def _release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot moves to that waiter; _active unchanged
                return
        self._active -= 1

    def _checkout(self, key: tuple[Endpoint, asyncio.AbstractEventLoop]) -> _Connection | None:
        connections = self._idle.get(key)
        now = time.monotonic()
        while connections:
            connection = connections.pop()
            if not connection.closed and now - connection.idle_since < self._expiry:
                return connection
            connection.close()
        return None

    def _checkin(self, key: tuple[Endpoint, asyncio.AbstractEventLoop], conn: _Connection) -> None:
        if self._closed or conn.closed:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self._idle.setdefault(key, []).append(conn)

    async def _connect(self, endpoint: Endpoint, loop: asyncio.AbstractEventLoop) -> _Connection:
        context = None
        if endpoint.scheme == "https":
            context = self._ssl_context or default_ssl_context()
        _, protocol = await loop.create_connection(
            lambda: _Connection(loop),
            endpoint.host,
            endpoint.port,
            ssl=context,
            server_hostname=endpoint.host if context is not None else None,
        )
        # asyncio sets TCP_NODELAY on its TCP sockets (Python >= 3.6).
        self.connections_opened += 1
        return protocol

    # -- one exchange ------------------------------------------------------------------------

    async def send(self, action: SendAction) -> RawResponse | TransportFailure:
        loop = asyncio.get_running_loop()
        endpoint = action.endpoint
        content = action.content
        head = request_head(
            action.method,
            action.target,
            endpoint.netloc,
            action.headers,
            None if content is None else len(content),
        )
        data = head + content if content else head
        parser = ResponseParser(action.method, action.max_bytes)
        key = (endpoint, loop)
        deadline = loop.time() + action.timeout
        phase = "connect"
        connection: _Connection | None = None
        ok = False
        try:
            await self._acquire(loop, deadline)
        except (TimeoutError, asyncio.TimeoutError):  # distinct classes on Python 3.10
            error = _error("pool", f"no free connection within {action.timeout} s", timed_out=True)
            return failure(error, before_response=True)
        try:
            connection = self._checkout(key)
            if connection is None:
                connection = await asyncio.wait_for(
                    self._connect(endpoint, loop), max(0.0, deadline - loop.time())
                )
            phase = "read"
            await connection.exchange(data, parser, deadline)
            ok = True
        except (TimeoutError, asyncio.TimeoutError):
            error = _error(phase, f"no complete response within {action.timeout} s", timed_out=True)
            return failure(error, before_response=not parser.head_done)
        except ProtocolError as exc:
            return failure(_error("protocol", str(exc)), before_response=not parser.head_done)
        except OSError as exc:
            message = exc.strerror or str(exc) or type(exc).__name__
            return failure(_error(phase, message), before_response=not parser.head_done)
        finally:
            if connection is not None:
                if ok and parser.reusable:
                    self._checkin(key, connection)
                else:
                    connection.close()
            self._release()
        return RawResponse(parser.status_code, parser.headers, parser.body, parser.too_large)
