"""The built-in transport: the HTTP/1.1 response parser, the blocking and asyncio connection pools
(keep-alive, stale connections, limits, timeouts, TLS), and when httpx takes over instead.

Servers here are raw sockets on loopback answering scripted bytes, so framing edge cases (chunks,
interim responses, closes) are exactly what the client sees.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import certifi
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from . import rt
from .conftest import closed_port

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


def parse(
    data: bytes,
    *,
    method: str = "GET",
    limit: int = 1 << 20,
    step: int = 0,
    eof: bool = False,
) -> Any:
    parser = rt.http11.ResponseParser(method, limit)
    chunks = [data[i : i + step] for i in range(0, len(data), step)] if step else [data]
    done = False
    for chunk in chunks:
        done = parser.feed(chunk)
        if done:
            break
    if eof and not done:
        parser.feed_eof()
    return parser


# ------------------------------------------------------------------------------------- parser


@pytest.mark.parametrize("step", [0, 1, 7])
def test_content_length_response_in_any_pieces(step: int) -> None:
    parser = parse(OK, step=step)
    assert parser.done and parser.status_code == 200 and parser.body == b'{"ok":true}'
    assert parser.reusable and not parser.too_large
    assert parser.headers["content-type"] == "application/json"


@pytest.mark.parametrize("step", [0, 1, 5])
def test_chunked_body_with_extensions_and_trailers(step: int) -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n3\r\n:1}\r\n0\r\nX-Trailer: t\r\n\r\n'
    )
    parser = parse(data, step=step)
    assert parser.done and parser.body == b'{"a":1}' and parser.reusable


def test_interim_response_is_skipped() -> None:
    parser = parse(b"HTTP/1.1 100 Continue\r\n\r\n" + OK)
    assert parser.status_code == 200 and parser.body == b'{"ok":true}'


def test_bodiless_responses() -> None:
    assert parse(b"HTTP/1.1 204 No Content\r\nRequest-ID: r\r\n\r\n").body == b""
    head = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", method="HEAD")
    assert head.done and head.body == b"" and head.reusable


def test_body_until_close_and_connection_close() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\n\r\nabc", eof=True)
    assert parser.done and parser.body == b"abc" and not parser.reusable
    closing = parse(OK.replace(b"OK\r\n", b"OK\r\nConnection: close\r\n", 1))
    assert closing.done and not closing.reusable
    assert not parse(OK.replace(b"HTTP/1.1", b"HTTP/1.0")).reusable


def test_size_limits() -> None:
    declared = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", limit=100)
    assert declared.done and declared.too_large and declared.body == b"" and not declared.reusable
    streamed = parse(b"HTTP/1.1 500 Oops\r\n\r\n" + b"x" * 300, limit=100)
    assert streamed.too_large and streamed.body == b"x" * 100  # error bodies are cut, kept
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"c8\r\n" + b"y" * 200
    big = parse(chunked, limit=100)
    assert big.too_large and big.body == b""  # a 2xx over the limit is refused, not cut


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"HTTP/2 200 OK\r\n\r\n", "status line"),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "malformed header"),
        (b"HTTP/1.1 200 OK\r\n folded\r\nA: 1\r\n\r\n", "folded line at the start"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        (b"HTTP/1.1 101 Switching\r\n\r\n", "switched"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 70000, "64 KiB"),
    ],
)
def test_malformed_responses_are_protocol_errors(data: bytes, words: str) -> None:
    with pytest.raises(rt.http11.ProtocolError, match=words):
        parse(data)


def test_early_close_is_a_protocol_error() -> None:
    with pytest.raises(rt.http11.ProtocolError, match="without sending a response"):
        parse(b"", eof=True)
    with pytest.raises(rt.http11.ProtocolError, match="before the body was complete"):
        parse(OK[:-3], eof=True)


def test_headers_are_case_insensitive_and_decoded_like_httpx() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nX-Utf8: \xe4\xbd\xa0\r\nX-Latin: \xff\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    headers = parse(data).headers
    assert headers["X-A"] == "1, 2" and headers.get("x-a") == "1, 2"
    assert headers["x-utf8"] == "你" and headers["X-LATIN"] == "\xff"
    assert "content-length" in headers and "missing" not in headers
    assert list(headers) == ["x-a", "x-utf8", "x-latin", "content-length"]
    assert ("X-A", "1") in headers.multi_items()
    raw = httpx.Headers([(b"X-Utf8", b"\xe4\xbd\xa0")])
    assert raw["x-utf8"] == headers["x-utf8"]


# -------------------------------------------------------------------------- scripted servers


class ScriptedServer:
    """Answers each request (head + Content-Length body) with the next scripted item.

    An item is bytes to send, "close" to close the connection instead of answering, or
    ``("then-close", bytes)`` to answer and then close the connection.
    """

    def __init__(self, *script: Any, tls: ssl.SSLContext | None = None) -> None:
        self.script = list(script)
        self.tls = tls
        self.connections = 0
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            buffer = b""
            while self.script:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + buffer[:length])
                buffer = buffer[length:]
                item = self.script.pop(0)
                if item == "close":
                    return
                if isinstance(item, tuple):
                    conn.sendall(item[1])
                    return
                conn.sendall(item)
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def endpoint(self, scheme: str = "http", host: str = "127.0.0.1") -> rt.transport.Endpoint:
        return rt.transport.Endpoint(f"{scheme}://{host}:{self.port}", "")

    def close(self) -> None:
        self.sock.close()


def ok(
    outcome: rt.transport.RawResponse | rt.transport.TransportFailure,
) -> rt.transport.RawResponse:
    assert isinstance(outcome, rt.transport.RawResponse), outcome
    return outcome


def failed(
    outcome: rt.transport.RawResponse | rt.transport.TransportFailure,
) -> rt.transport.TransportFailure:
    assert isinstance(outcome, rt.transport.TransportFailure), outcome
    return outcome


def action(
    endpoint: rt.transport.Endpoint, timeout: float = 5.0, body: bytes = b"{}"
) -> rt.transport.SendAction:
    return rt.transport.SendAction(
        "POST", endpoint, "/v3/x", {"Accept": "application/json"}, body, timeout, 1 << 20
    )


class Scripted(Protocol):
    """``scripted(*script, tls=None)``: a server answering with the script (closed at teardown)."""

    def __call__(self, *script: Any, tls: ssl.SSLContext | None = None) -> ScriptedServer: ...


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    made: list[ScriptedServer] = []

    def make(*script: Any, tls: ssl.SSLContext | None = None) -> ScriptedServer:
        server = ScriptedServer(*script, tls=tls)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


# ------------------------------------------------------------------------------- sync pool


def test_sync_keep_alive_and_the_wire_format(scripted: Scripted) -> None:
    server = scripted(OK, OK, OK)
    pool = rt.sync_pool.SyncPool()
    for _ in range(3):
        raw = ok(pool.send(action(server.endpoint())))
        assert raw.status_code == 200 and raw.content == b'{"ok":true}'
    assert pool.connections_opened == 1 and server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /v3/x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % server.port)
    assert first.endswith(b"Content-Length: 2\r\n\r\n{}")
    pool.close()
    assert pool.is_closed


def test_sync_stale_connection_is_replaced(scripted: Scripted) -> None:
    server = scripted(OK, "close", OK)  # answers, then closes on reading the next request
    pool = rt.sync_pool.SyncPool()
    assert ok(pool.send(action(server.endpoint()))).status_code == 200
    # The server closes when it reads the next request: a mid-request close is a failure...
    failure = failed(pool.send(action(server.endpoint())))
    assert isinstance(failure, rt.transport.TransportFailure) and failure.retryable
    assert isinstance(failure.error, httpx.RemoteProtocolError)
    # ...and the connection it closed is not reused: the next call opens a fresh one.
    assert ok(pool.send(action(server.endpoint()))).status_code == 200
    assert pool.connections_opened == 2


def test_sync_idle_connection_closed_by_the_server_is_not_reused(scripted: Scripted) -> None:
    server = scripted(("then-close", OK), OK)
    pool = rt.sync_pool.SyncPool()
    assert ok(pool.send(action(server.endpoint()))).status_code == 200
    time.sleep(0.2)  # the server's FIN reaches the idle connection
    # The idle connection now reads EOF: the pool must notice and open a new one, not fail.
    assert ok(pool.send(action(server.endpoint()))).status_code == 200
    assert pool.connections_opened == 2


def test_sync_failures_are_httpx_errors(silent_port: int) -> None:
    pool = rt.sync_pool.SyncPool()
    refused = rt.transport.Endpoint(f"http://127.0.0.1:{closed_port()}", "")
    failure = failed(pool.send(action(refused)))
    assert isinstance(failure.error, httpx.ConnectError)
    assert failure.before_response and failure.failover and failure.retryable
    silent = rt.transport.Endpoint(f"http://127.0.0.1:{silent_port}", "")
    failure = failed(pool.send(action(silent, timeout=0.3)))
    assert isinstance(failure.error, httpx.ReadTimeout) and failure.timed_out


def test_sync_chunked_and_interim_over_the_wire(scripted: Scripted) -> None:
    chunked = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked += b"2\r\n{}\r\n0\r\n\r\n"
    server = scripted(chunked, OK)
    pool = rt.sync_pool.SyncPool()
    assert ok(pool.send(action(server.endpoint()))).content == b"{}"
    assert ok(pool.send(action(server.endpoint()))).content == b'{"ok":true}'
    assert pool.connections_opened == 1


# ---------------------------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class TlsCertificate:
    cert_file: Path
    server_context: ssl.SSLContext


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> TlsCertificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file = folder / "cert.pem"
    key_file = folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    return TlsCertificate(cert_file=cert_file, server_context=server_context)


@pytest.fixture
def trusted(certificate: TlsCertificate, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The default TLS context trusts the test certificate (through SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert_file))
    yield


def test_https_verifies_the_server(
    scripted: Scripted, certificate: TlsCertificate, trusted: None
) -> None:
    server = scripted(OK, OK, tls=certificate.server_context)
    pool = rt.sync_pool.SyncPool()
    endpoint = server.endpoint("https", "localhost")
    assert ok(pool.send(action(endpoint))).status_code == 200
    assert ok(pool.send(action(endpoint))).status_code == 200
    assert pool.connections_opened == 1
    # certifi's bundle, not the environment's (which the fixture pointed at the test certificate)
    untrusted = rt.sync_pool.SyncPool(
        ssl_context=ssl.create_default_context(cafile=certifi.where())
    )
    failure = failed(untrusted.send(action(endpoint)))
    assert isinstance(failure.error, httpx.ConnectError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(failure.error)


async def test_async_https_verifies_the_server(
    scripted: Scripted, certificate: TlsCertificate, trusted: None
) -> None:
    server = scripted(OK, OK, tls=certificate.server_context)
    pool = rt.async_pool.AsyncPool()
    endpoint = server.endpoint("https", "localhost")
    for _ in range(2):
        raw = ok(await pool.send(action(endpoint)))
        assert raw.status_code == 200 and raw.content == b'{"ok":true}'
    assert pool.connections_opened == 1
    await pool.close()


# -------------------------------------------------------------------------------- async pool


async def test_async_connection_limit_queues_calls(scripted: Scripted) -> None:
    server = scripted(*[OK] * 6)
    pool = rt.async_pool.AsyncPool(max_connections=2)
    results = await asyncio.gather(*(pool.send(action(server.endpoint())) for _ in range(6)))
    assert [ok(r).status_code for r in results] == [200] * 6
    assert pool.connections_opened <= 2
    await pool.close()


async def test_async_pool_wait_times_out(silent_port: int) -> None:
    pool = rt.async_pool.AsyncPool(max_connections=1)
    silent = rt.transport.Endpoint(f"http://127.0.0.1:{silent_port}", "")
    first, second = await asyncio.gather(
        pool.send(action(silent, timeout=0.4)), pool.send(action(silent, timeout=0.2))
    )
    assert isinstance(failed(first).error, httpx.ReadTimeout)
    assert isinstance(failed(second).error, httpx.PoolTimeout)
    state = pool._loops[asyncio.get_running_loop()]
    assert state.active == 0 and not state.waiters


async def test_async_failures_are_httpx_errors(scripted: Scripted) -> None:
    pool = rt.async_pool.AsyncPool()
    refused = rt.transport.Endpoint(f"http://127.0.0.1:{closed_port()}", "")
    failure = failed(await pool.send(action(refused)))
    assert isinstance(failure.error, httpx.ConnectError) and failure.failover
    server = scripted("close")
    failure = failed(await pool.send(action(server.endpoint())))
    assert isinstance(failure.error, httpx.RemoteProtocolError) and failure.before_response


def test_a_pool_serves_one_event_loop_after_another(scripted: Scripted) -> None:
    server = scripted(OK, OK)
    pool = rt.async_pool.AsyncPool()
    for _ in range(2):
        raw = ok(asyncio.run(pool.send(action(server.endpoint()))))
        assert raw.status_code == 200
    assert pool.connections_opened == 2  # a connection never crosses event loops


# ----------------------------------------------------------------------- choice of transport


def test_proxy_variables_hand_the_calls_to_httpx(
    client_kwargs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "https_proxy",
        "http_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    assert type(rt.client.SyncAPIClient(**client_kwargs)._http).__name__ == "SyncPool"
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = rt.client.SyncAPIClient(**client_kwargs)
    assert type(client._http).__name__ == "HttpxSyncTransport"
    client.close()


def test_importing_the_runtime_imports_neither_httpx_nor_asyncio() -> None:
    code = (
        f"import sys; import {rt.package.__name__}; "
        "loaded = sorted(m for m in ('httpx', 'asyncio') if m in sys.modules); print(loaded)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_an_inconsistent_private_key_is_refused() -> None:
    good = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
    broken = rsa.RSAPrivateNumbers(
        p=good.p,
        q=good.q,
        d=good.d ^ 2,  # wrong exponents (OpenSSL recomputes a bad CRT result with d: break both)
        dmp1=good.dmp1 ^ 2,
        dmq1=good.dmq1,
        iqmp=good.iqmp,
        public_numbers=good.public_numbers,
    ).private_key(unsafe_skip_rsa_key_validation=True)
    pem = broken.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(rt.errors.ConfigurationError, match="inconsistent") as info:
        rt.keys.load_private_key(pem)
    assert "PRIVATE" not in str(info.value)
