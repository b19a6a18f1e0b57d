"""HTTP/1.1 plumbing: a threading server with keep-alive, limits, and a clean stop.

- One thread per connection, at most ``max_connections`` at once (more are answered 503 and closed).
- A keep-alive connection may sit idle for ``idle_timeout`` seconds between requests; once a
  request's first byte arrives, its head and body must all arrive within ``request_timeout``
  (a client trickling bytes cannot hold a connection slot forever). Either way: closed.
- Bodies need ``Content-Length`` (chunked uploads are refused) and may not exceed ``max_body_bytes``
  (413, also answered to ``Expect: 100-continue`` before the body is sent).
- Each response goes out in a single write with ``TCP_NODELAY``: no Nagle delay on keep-alive.
- :meth:`SandboxHTTPServer.close_connections` lets ``Sandbox.stop()`` end every connection at once.
"""

from __future__ import annotations

import io
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .pipeline import Incoming, Processor
from .recording import Headers
from .responses import JSON_TYPE, Reply

_DRAIN_LIMIT = 16 * 1024 * 1024
_CHUNK = 64 * 1024
_JOIN_BELOW = 64 * 1024  # a larger body is written after the head, not joined to it


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1024 * 1024
    max_connections: int = 64
    idle_timeout: float = 30.0
    request_timeout: float = 10.0


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        processor: Processor,
        limits: Limits,
        log: Callable[[str], None] | None,
    ) -> None:
        self.processor = processor
        self.max_body_bytes = limits.max_body_bytes
        self.idle_timeout = limits.idle_timeout
        self.request_timeout = limits.request_timeout
        self.log = log
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._conn_threads: set[threading.Thread] = set()
        self._closing = threading.Event()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call getfqdn(), a reverse DNS lookup that can take seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        if self._closing.is_set():
            self.shutdown_request(request)
            return
        if not self._slots.acquire(blocking=False):
            self._refuse_busy(request)
            return
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"sandbox-{self.server_port}-conn-{client_address[1] if client_address else 0}",
            daemon=True,
        )
        with self._lock:
            self._connections.add(request)
            self._conn_threads.add(thread)
        thread.start()

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except OSError:
            pass  # the client went away, or stop() closed the connection
        except Exception as exc:  # a bug: keep serving other connections, say what happened
            if self.log:
                self.log(f"sandbox: internal error on a connection: {exc!r}")
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.discard(request)
                self._conn_threads.discard(threading.current_thread())
            self._slots.release()

    def _refuse_busy(self, request: socket.socket) -> None:
        body = json.dumps(
            {"code": "SERVICE_UNAVAILABLE", "message": "too many connections to the sandbox"}
        ).encode()
        head = (
            "HTTP/1.1 503 Service Unavailable\r\n"
            f"Content-Type: {JSON_TYPE}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        try:
            request.settimeout(1.0)
            request.sendall(head.encode("ascii") + body)
        except OSError:
            pass
        self.shutdown_request(request)

    def close_connections(self) -> None:
        """Stop accepting work and unblock every connection thread."""
        self._closing.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def join_threads(self, timeout: float) -> None:
        with self._lock:
            threads = list(self._conn_threads)
        for thread in threads:
            thread.join(timeout)

    @property
    def active_connections(self) -> int:
        with self._lock:
            return len(self._connections)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wechatpay-sandbox"
    sys_version = ""
    server: SandboxHTTPServer

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout  # type: ignore[misc]  # per-connection value
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = _DeadlineReader(
            self.connection, self.server.idle_timeout, self.server.request_timeout
        )
        self.rfile = io.BufferedReader(self._reader, 64 * 1024)

    def handle_one_request(self) -> None:
        self._reader.next_request()
        super().handle_one_request()

    # Every method goes through the same pipeline; the spec decides what is allowed where.
    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_TRACE = do_GET

    def _serve(self) -> None:
        headers = Headers(self.headers.items())
        if "Transfer-Encoding" in headers:
            self._refuse(400, "chunked request bodies are not supported; send Content-Length")
            return
        length_text = headers.get("Content-Length", "0").strip()
        if not (length_text.isascii() and length_text.isdigit()):
            self._refuse(400, "Content-Length must be a non-negative whole number")
            return
        length = int(length_text)
        if length > self.server.max_body_bytes:
            self._refuse_too_large(length)
            return
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client closed the connection mid-body
            self.close_connection = True
            return
        request = Incoming(self.command, self.path, headers, body)
        try:
            reply = self.server.processor.handle(request)
        except Exception as exc:
            if self.server.log:
                self.server.log(f"sandbox: internal error on {self.command} {self.path}: {exc!r}")
            reply = self._reject(500, "SYSTEM_ERROR", "sandbox internal error; see its log")
        if reply.drop:
            self.close_connection = True
            return
        self._write(reply)

    def handle_expect_100(self) -> bool:
        length_text = self.headers.get("Content-Length", "0").strip()
        if length_text.isdigit() and int(length_text) > self.server.max_body_bytes:
            self._refuse_too_large(int(length_text), drain=False)
            return False
        return super().handle_expect_100()

    def _reject(self, status: int, code: str, message: str) -> Reply:
        """An error for a request the pipeline never saw (framing, size); recorded all the same."""
        request = Incoming(
            getattr(self, "command", "") or "", getattr(self, "path", "") or "", Headers(), b""
        )
        return self.server.processor.reject(request, status, code, message)

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self._write(self._reject(status, "INVALID_REQUEST", message))

    def _refuse_too_large(self, length: int, drain: bool = True) -> None:
        limit = self.server.max_body_bytes
        self.close_connection = True
        message = f"request body of {length} bytes is over the sandbox's limit of {limit} bytes"
        self._write(self._reject(413, "INVALID_REQUEST", message))
        if drain and length <= _DRAIN_LIMIT:
            # Read what the client is still sending, so it sees the 413 rather than a reset.
            remaining = length
            try:
                while remaining > 0:
                    chunk = self.rfile.read(min(_CHUNK, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            except OSError:
                pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors from http.server (bad request line, headers too big...) as JSON."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        reply = self._reject(code, "INVALID_REQUEST", message or phrase)
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        status = reply.status
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        lines = [
            f"HTTP/1.1 {status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
        ]
        lines.extend(f"{name}: {value}" for name, value in reply.headers)
        no_body = status == 204 or status == 304 or status < 200
        if not no_body:
            lines.append(f"Content-Length: {len(reply.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.connection.settimeout(self.server.idle_timeout)  # reads may have shortened it
        send_body = not no_body and getattr(self, "command", "") != "HEAD"
        if send_body and len(reply.body) > _JOIN_BELOW:
            self.wfile.write(head)  # a large file: not copied to be sent in one write
            self.wfile.write(reply.body)
        else:
            self.wfile.write(head + reply.body if send_body else head)
        if self.server.log:
            code = f" {reply.error_code}" if reply.error_code else ""
            self.server.log(f'{self.client_address[0]} "{self.requestline}" {status}{code}')

    def log_message(self, format: str, *args: Any) -> None:
        """http.server's own messages (timeouts, bad requests) go to the sandbox log, if any."""
        if self.server.log:
            self.server.log("sandbox: " + (format % args))


class _DeadlineReader(io.RawIOBase):
    """Socket reads with two limits: ``idle`` for a request's first byte, then ``deadline``.

    The first read of a request may wait ``idle`` seconds; from its first byte on, the whole
    request (line, headers, body) must arrive within ``request_timeout``. Raises TimeoutError,
    which http.server answers by closing the connection.
    """

    def __init__(self, sock: socket.socket, idle: float, request_timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self._idle = idle
        self._request_timeout = request_timeout
        self._deadline: float | None = None

    def next_request(self) -> None:
        self._deadline = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._deadline is None:
            self._sock.settimeout(self._idle)
            count = self._sock.recv_into(buffer)
            self._deadline = time.monotonic() + self._request_timeout
            return count
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request took too long to arrive")
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)
