"""A tiny WeChat-Pay-like HTTP server on loopback, for the runtime tests.

It records every request (target, headers, body, the Authorization fields, and whether the request
signature verifies against the caller's public key, checked independently of the runtime with
``cryptography``), and answers from a script of :class:`Reply` objects, signing each response with
its own key the way WeChat Pay does. Replies can misbehave: drop the connection, omit or corrupt
signature headers, tamper with the body, trickle bytes, stream far more than announced.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_FIELD = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok":true}'
    headers: dict[str, str] = field(default_factory=dict)
    sign: bool = True
    omit: tuple[str, ...] = ()  # Wechatpay-* headers to leave out
    override: dict[str, str] = field(default_factory=dict)  # replace headers after signing
    signed_body: bytes | None = None  # sign this instead of `body` (a tampered response)
    timestamp_offset: int = 0
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # wait before answering
    trickle: float | None = None  # send the body one byte per `trickle` seconds
    stream_bytes: int = 0  # stream this many body bytes, no Content-Length, then close
    content_length: int | None = None  # announce this Content-Length instead of the real one


@dataclass
class Recorded:
    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    signature_valid: bool
    auth_scheme: str
    auth: dict[str, str]  # the key="value" fields of Authorization

    @property
    def nonce(self) -> str:
        return self.auth.get("nonce_str", "")

    @property
    def timestamp(self) -> str:
        return self.auth.get("timestamp", "")

    @property
    def authorization(self) -> str:
        return self.headers.get("authorization", "")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between header and body writes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner._record(self.command, self.path, dict(self.headers.items()), body)
        reply = owner._next_reply()
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            return
        self._respond(owner, reply)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def _respond(self, owner: SignedServer, reply: Reply) -> None:
        headers: dict[str, str] = {"Request-ID": owner._request_id()}
        if reply.body:
            headers["Content-Type"] = "application/json"
        if reply.sign:
            headers.update(
                owner.sign_headers(
                    reply.body if reply.signed_body is None else reply.signed_body,
                    timestamp_offset=reply.timestamp_offset,
                )
            )
        for name in reply.omit:
            headers.pop(name, None)
        headers.update(reply.override)
        headers.update(reply.headers)

        if "Date" in headers:  # the reply's own Date (a server clock that is off), not now
            self.log_request(reply.status)
            self.send_response_only(reply.status)
        else:
            self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        try:
            if reply.stream_bytes:
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                chunk = b"x" * 65536
                sent = 0
                while sent < reply.stream_bytes:
                    self.wfile.write(chunk)
                    sent += len(chunk)
                    owner.streamed_bytes = sent
                return
            length = reply.content_length if reply.content_length is not None else len(reply.body)
            if reply.status != 204 or length:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            if reply.trickle is not None:
                for byte in reply.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.trickle)
            elif reply.body:
                self.wfile.write(reply.body)
            if reply.content_length is not None and reply.content_length != len(reply.body):
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: SignedServer


class SignedServer:
    """Loopback server; use as a context manager. ``script(...)`` queues replies."""

    def __init__(
        self,
        *,
        signing_key: rsa.RSAPrivateKey,
        serial: str,
        client_public_key: rsa.RSAPublicKey,
    ) -> None:
        self.signing_key = signing_key
        self.serial = serial
        self.client_public_key = client_public_key
        self.requests: list[Recorded] = []
        self.streamed_bytes = 0
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._count = 0
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> SignedServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def sign_headers(self, body: bytes, *, timestamp_offset: int = 0) -> dict[str, str]:
        timestamp = str(int(time.time()) + timestamp_offset)
        nonce = secrets.token_hex(16)
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        signature = self.signing_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Serial": self.serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def _request_id(self) -> str:
        with self._lock:
            self._count += 1
            return f"08F0B5A5B50610{self._count:04d}-0"

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else Reply()

    def _record(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        lower = {name.lower(): value for name, value in headers.items()}
        authorization = lower.get("authorization", "")
        scheme, _, rest = authorization.partition(" ")
        auth = dict(_FIELD.findall(rest))
        timestamp, nonce = auth.get("timestamp", ""), auth.get("nonce_str", "")
        message = f"{method}\n{target}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"
        try:
            self.client_public_key.verify(
                base64.b64decode(auth.get("signature", "")),
                message,
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            valid = True
        except (InvalidSignature, ValueError):
            valid = False
        with self._lock:
            self.requests.append(Recorded(method, target, lower, body, valid, scheme, auth))
