"""The built-in asyncio transport: keep-alive HTTP/1.1 on asyncio protocols (TLS for https).

Each connection is an :class:`asyncio.Protocol` that feeds received bytes straight into the shared
:class:`.http11.ResponseParser` (no stream-reader layers in between). Everything a connection
needs lives with the event loop it was made on: idle connections per origin, the count of open
ones (at most ``max_connections`` per loop; further calls wait for one to come free) and the
calls waiting. So one client serves event loops in several threads at once, or one after the
other (``asyncio.run()`` per call, as a synchronous web app does): when a new loop turns up, the
connections of loops that were closed meanwhile are closed (their sockets, as the loop cannot run
a close any more), and :meth:`AsyncPool.close` closes every loop's. The pool opens each socket
itself so that it can always close it. After ``os.fork()`` the child forgets the parent's
connections. The attempt's deadline covers waiting for a connection, connecting, the TLS handshake
and the whole exchange. Errors are reported as the ``httpx`` exceptions a ``httpx.AsyncClient``
would raise.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from .http11 import ProtocolError, ResponseParser, request_head
from .sync_pool import _error
from .tls import check_trust_environment, default_ssl_context
from .transport import (
    Endpoint,
    RawResponse,
    SendAction,
    TransportFailure,
    asks_to_close,
    failure,
    forget_after_fork,
)

if TYPE_CHECKING:
    import ssl

__all__ = ["AsyncPool"]

_DRAIN_BYTES = 64 * 1024


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; :meth:`exchange` runs one request on it at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, tls: bool) -> None:
        self.loop = loop
        self.sock = sock
        self.tls = tls
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
        except Exception as exc:  # never let the loop log a "fatal error": fail this call
            self._finish(exc if isinstance(exc, ProtocolError) else ProtocolError(repr(exc)))
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
        if self._parser is not None and exc is not None and not self.tls:
            self._read_early_answer()
        if self._parser is not None:
            self._finish(exc or ConnectionResetError("the server closed the connection"))

    def _read_early_answer(self) -> None:
        """Sending failed: the server may have answered early and closed (a 413 to a large
        body). The socket is still open here; read what it already received, as httpcore does."""
        parser = self._parser
        assert parser is not None
        try:
            while True:
                data = self.sock.recv(_DRAIN_BYTES)
                if not data:
                    parser.feed_eof()
                    break
                if parser.feed(data):
                    break
        except (OSError, ProtocolError):
            return
        self._finish(None)

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

    def discard(self) -> None:
        """Close the socket without the loop (closed, or another process's after a fork)."""
        self.closed = True
        self._parser = None
        self.sock.close()


class _LoopState:
    """One event loop's share of the pool; touched only from that loop's thread."""

    __slots__ = ("active", "idle", "loop", "waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.idle: dict[Endpoint, list[_Connection]] = {}
        self.active = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    def take_idle(self) -> list[_Connection]:
        idle, self.idle = self.idle, {}
        return [connection for connections in idle.values() for connection in connections]

    def close(self) -> None:
        """Close the idle connections (on the loop's thread, or once the loop is closed)."""
        closed = self.loop.is_closed()
        for connection in self.take_idle():
            if closed:
                connection.discard()
            else:
                connection.close()


class AsyncPool:
    """Keep-alive connections for the asyncio client."""

    def __init__(
        self,
        *,
        max_connections: int = 100,
        keepalive_expiry: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._loops: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._lock = threading.Lock()
        self._max = max_connections
        self._expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._closed = False
        #: Connections opened so far (tests and benchmarks check that keep-alive works).
        self.connections_opened = 0
        forget_after_fork(self)
        if ssl_context is None:
            check_trust_environment()

    @property
    def is_closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Close the idle connections of every event loop; those in use close when their call
        ends. Another thread's running loop is asked to close its own."""
        self._closed = True
        with self._lock:
            states, self._loops = list(self._loops.values()), {}
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for state in states:
            if state.loop is current or state.loop.is_closed():
                state.close()
            else:
                try:
                    state.loop.call_soon_threadsafe(state.close)
                except RuntimeError:  # closed since we looked
                    state.close()

    def _after_fork(self) -> None:
        """In a forked child: the inherited connections belong to the parent."""
        self._lock = threading.Lock()
        states, self._loops = list(self._loops.values()), {}
        for state in states:
            for connection in state.take_idle():
                connection.discard()  # no TLS close_notify: that would end the parent's too

    def _state(self, loop: asyncio.AbstractEventLoop) -> _LoopState:
        state = self._loops.get(loop)
        if state is not None:
            return state
        with self._lock:
            # A new loop: the ones closed meanwhile will never run again; close their sockets.
            dead = [other for other in self._loops if other.is_closed()]
            states = [self._loops.pop(other) for other in dead]
            state = self._loops[loop] = _LoopState(loop)
        for old in states:
            old.close()
        return state

    # -- connection slots --------------------------------------------------------------------

    async def _acquire(self, state: _LoopState, deadline: float) -> None:
        if state.active < self._max:
            state.active += 1
            return
        waiter: asyncio.Future[None] = state.loop.create_future()
        state.waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, max(0.0, deadline - state.loop.time()))
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release(state)  # we were handed a slot, then timed out or were cancelled
            else:
                waiter.cancel()  # _release skips it
            raise

    @staticmethod
    def _release(state: _LoopState) -> None:
        waiters = state.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot moves to that waiter; active unchanged
                return
        state.active -= 1

    def _checkout(self, state: _LoopState, endpoint: Endpoint) -> _Connection | None:
        connections = state.idle.get(endpoint)
        now = time.monotonic()
        while connections:
            connection = connections.pop()
            if not connection.closed and now - connection.idle_since < self._expiry:
                return connection
            connection.close()
        return None

    def _checkin(self, state: _LoopState, endpoint: Endpoint, connection: _Connection) -> None:
        transport = connection.transport
        if (
            self._closed
            or connection.closed
            or self._loops.get(state.loop) is not state
            or (transport is not None and transport.get_write_buffer_size())  # answered early
        ):
            connection.close()
            return
        connection.idle_since = time.monotonic()
        state.idle.setdefault(endpoint, []).append(connection)

    async def _connect(self, endpoint: Endpoint, loop: asyncio.AbstractEventLoop) -> _Connection:
        context = None
        if endpoint.scheme == "https":
            context = self._ssl_context or default_ssl_context()
        sock = await _open_socket(loop, endpoint.host, endpoint.port)
        try:
            _, protocol = await loop.create_connection(
                lambda: _Connection(loop, sock, context is not None),
                sock=sock,
                ssl=context,
                server_hostname=endpoint.host if context is not None else None,
            )
        except BaseException:
            sock.close()
            raise
        self.connections_opened += 1
        return protocol

    # -- one exchange ------------------------------------------------------------------------

    async def send(self, action: SendAction) -> RawResponse | TransportFailure:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop) or self._state(loop)
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
        parser = ResponseParser(action.method, action.max_bytes, action.sink)
        deadline = loop.time() + action.timeout
        phase = "connect"
        connection: _Connection | None = None
        ok = False
        try:
            await self._acquire(state, deadline)
        except (TimeoutError, asyncio.TimeoutError):  # distinct classes on Python 3.10
            error = _error("pool", f"no free connection within {action.timeout} s", timed_out=True)
            return failure(error, before_response=True)
        try:
            connection = self._checkout(state, endpoint)
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
                if ok and parser.reusable and not asks_to_close(action.headers):
                    self._checkin(state, endpoint, connection)
                else:
                    connection.close()
            self._release(state)
        return RawResponse(
            parser.status_code, parser.headers, parser.body, parser.too_large, parser.streamed
        )


async def _open_socket(loop: asyncio.AbstractEventLoop, host: str, port: int) -> socket.socket:
    """A connected non-blocking TCP socket (``TCP_NODELAY``), owned by the pool."""
    family = _literal_family(host)
    addresses: list[tuple[int, Any]]
    if family is not None:  # an IP address: no resolver round trip
        addresses = [(family, (host, port))]
    else:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [(info[0], info[4]) for info in infos]
    error: OSError | None = None
    for family, address in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await loop.sock_connect(sock, address)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
        except BaseException:
            sock.close()
            raise
    raise error or OSError(f"no address found for {host!r}")


def _literal_family(host: str) -> int | None:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return family
    return None
