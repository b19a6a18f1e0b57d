"""A hostile HTTP/1.1 server on loopback: each connection is handed to a Python function.

The function gets a :class:`Peer` (read the next request, send raw bytes slowly or at once, close
abruptly) and decides everything else, so a test can misbehave in ways no ordinary server would:
trickle a head, answer before the body is read, answer twice, close mid-body. The server counts
connections and records every request head, so keep-alive and reuse are observable.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


@dataclass
class Request:
    head: bytes
    body: bytes
    connection: int  # which connection (1, 2, ...) carried it

    def header(self, name: str) -> str | None:
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower().encode():
                return value.strip().decode("latin-1")
        return None


@dataclass
class Peer:
    sock: socket.socket
    number: int
    server: AdversaryServer
    buffer: bytes = field(default=b"", repr=False)

    def read_head(self) -> bytes | None:
        """The next request head (without the blank line); None once the client closed."""
        while b"\r\n\r\n" not in self.buffer:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        return head

    def read_request(self) -> Request | None:
        head = self.read_head()
        if head is None:
            return None
        request = Request(head, b"", self.number)
        length = int(request.header("Content-Length") or 0)
        while len(self.buffer) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        request.body, self.buffer = self.buffer[:length], self.buffer[length:]
        self.server.requests.append(request)
        return request

    def send(self, data: bytes, *, trickle: float = 0.0) -> None:
        if not trickle:
            self.sock.sendall(data)
            return
        for i in range(len(data)):
            self.sock.sendall(data[i : i + 1])
            time.sleep(trickle)

    def reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0)."""
        self.sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        self.sock.close()


Handler = Callable[[Peer], None]


def serve_forever(reply: bytes = OK) -> Handler:
    """A well-behaved keep-alive server answering every request with ``reply``."""

    def handler(peer: Peer) -> None:
        while peer.read_request() is not None:
            peer.send(reply)

    return handler


class AdversaryServer:
    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.connections = 0
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
                self._open.append(conn)
            threading.Thread(target=self._run, args=(conn, number), daemon=True).start()

    def _run(self, conn: socket.socket, number: int) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.handler(Peer(conn, number, self))
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._sock.close()
        with self._lock:
            for conn in self._open:
                try:
                    conn.close()
                except OSError:
                    pass

    def __enter__(self) -> AdversaryServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
