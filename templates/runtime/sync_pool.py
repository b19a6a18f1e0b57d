"""The built-in blocking transport: keep-alive HTTP/1.1 on plain sockets (TLS for https).

One request per connection at a time; idle connections are kept per origin (up to
``max_idle``, for at most ``keepalive_expiry`` seconds) and checked before reuse, so a connection
the server closed meanwhile is replaced instead of failing the call. Head and body leave in one
``sendall`` on a ``TCP_NODELAY`` socket. The attempt's deadline bounds connecting, the TLS
handshake, sending and every read. Safe to share between threads; after ``os.fork()`` the child
forgets the parent's connections (:func:`.transport.forget_after_fork`). A caller's
``Connection: close`` is honoured. When sending fails because the server answered early and
closed (a 413 to a large body), that answer is read and returned, as httpcore does. Errors are
reported as the ``httpx`` exceptions a ``httpx.Client`` would raise, through
:func:`.transport.failure`.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from typing import TYPE_CHECKING

from .http11 import ProtocolError, ResponseParser, request_head
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

__all__ = ["SyncPool"]

_RECV_BYTES = 64 * 1024


class _Timeout(Exception):
    """The attempt's deadline passed (mapped to an httpx timeout of the phase)."""


class SyncPool:
    """Keep-alive connections for the blocking client."""

    def __init__(
        self,
        *,
        max_idle: int = 100,
        keepalive_expiry: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._idle: dict[Endpoint, list[tuple[socket.socket, float]]] = {}
        self._lock = threading.Lock()
        self._max_idle = max_idle
        self._expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._closed = False
        #: Connections opened so far (tests and benchmarks check that keep-alive works).
        self.connections_opened = 0
        forget_after_fork(self)
        if ssl_context is None:
            check_trust_environment()

    def _after_fork(self) -> None:
        """In a forked child: the inherited connections belong to the parent."""
        self._lock = threading.Lock()  # another thread may have held it at the fork
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for sock, _ in connections:
                sock.close()  # the child's copy only: no shutdown, the parent's stays open

    @property
    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close every idle connection; connections in use are closed when their call ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for sock, _ in connections:
                sock.close()

    # -- connections -------------------------------------------------------------------------

    def _checkout(self, endpoint: Endpoint) -> socket.socket | None:
        """An idle connection to ``endpoint`` that is still open, or ``None``."""
        now = time.monotonic()
        while True:
            with self._lock:
                connections = self._idle.get(endpoint)
                if not connections:
                    return None
                sock, since = connections.pop()
            if now - since < self._expiry and not _readable(sock):
                return sock
            sock.close()  # expired, or closed by the server (readable means EOF or junk)

    def _checkin(self, endpoint: Endpoint, sock: socket.socket) -> None:
        with self._lock:
            if not self._closed:
                connections = self._idle.setdefault(endpoint, [])
                if len(connections) < self._max_idle:
                    connections.append((sock, time.monotonic()))
                    return
        sock.close()

    def _connect(self, endpoint: Endpoint, deadline: float) -> socket.socket:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout
        try:
            # bytes: the host is ASCII already, and a str would load the idna codec (~2 ms once)
            address = (endpoint.host.encode("ascii"), endpoint.port)
            sock = socket.create_connection(address, timeout=remaining)  # type: ignore[arg-type]
        except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
            raise _Timeout from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if endpoint.scheme == "https":
                context = self._ssl_context or default_ssl_context()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Timeout
                sock.settimeout(remaining)
                sock = context.wrap_socket(sock, server_hostname=endpoint.host)
        except BaseException:
            sock.close()
            raise
        self.connections_opened += 1
        return sock

    # -- one exchange ------------------------------------------------------------------------

    def send(self, action: SendAction) -> RawResponse | TransportFailure:
        endpoint = action.endpoint
        deadline = time.monotonic() + action.timeout
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
        phase = "connect"
        sock = self._checkout(endpoint)
        ok = False
        write_error: OSError | None = None
        try:
            if sock is None:
                sock = self._connect(endpoint, deadline)
            phase = "write"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            sock.settimeout(remaining)
            try:
                sock.sendall(data)
            except TimeoutError:
                raise
            except OSError as exc:  # the server may have answered early and closed: read it
                write_error = exc
            phase = "read"
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Timeout
                sock.settimeout(remaining)
                chunk = sock.recv(_RECV_BYTES)
                if not chunk:
                    parser.feed_eof()
                    break
                if parser.feed(chunk):
                    break
            ok = True
        except (_Timeout, ProtocolError, OSError) as exc:
            if write_error is not None and not parser.head_done:  # no early answer after all
                return failure(_error("write", _describe(write_error)), before_response=True)
            if isinstance(exc, (_Timeout, TimeoutError)):
                error = _error(phase, timed_out=True)
            elif isinstance(exc, ProtocolError):
                error = _error("protocol", str(exc))
            else:
                error = _error(phase, _describe(exc))
            return failure(error, before_response=not parser.head_done)
        finally:
            reuse = ok and parser.reusable and write_error is None
            if sock is not None and not reuse:
                sock.close()
        assert sock is not None
        if reuse and not asks_to_close(action.headers):
            self._checkin(endpoint, sock)
        elif reuse:
            sock.close()
        return RawResponse(
            parser.status_code, parser.headers, parser.body, parser.too_large, parser.streamed
        )


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _error(phase: str, message: str = "", *, timed_out: bool = False) -> Exception:
    """The httpx exception a ``httpx.Client`` raises for a failure in ``phase``."""
    import httpx  # failures only

    if timed_out:
        kind: type[Exception] = {
            "connect": httpx.ConnectTimeout,
            "write": httpx.WriteTimeout,
            "pool": httpx.PoolTimeout,
        }.get(phase, httpx.ReadTimeout)
        return kind(message or "timed out")
    kind = {
        "connect": httpx.ConnectError,
        "write": httpx.WriteError,
        "read": httpx.ReadError,
    }.get(phase, httpx.RemoteProtocolError)
    return kind(message)


def _readable(sock: socket.socket) -> bool:
    """Whether an idle connection has something to read: EOF (closed by the server) or junk.

    ``poll``, not ``select``: select cannot watch a socket numbered 1024 or more, and treating
    every such connection as stale would silently end keep-alive in a busy process.
    """
    try:
        if _poll is not None:
            poller = _poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)  # Windows: no such limit there
    except (OSError, ValueError):
        return True
    return bool(readable)


_poll = getattr(select, "poll", None)
