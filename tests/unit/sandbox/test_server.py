"""HTTP plumbing: keep-alive, size and connection limits, timeouts, clean shutdown."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from wechatpay_codegen.loader import SpecSet
from wechatpay_codegen.sandbox import Sandbox

from .wire import Call, authorization

WIDGET = "/v3/test/widgets/12345"
BODY = {"request_no": "REQ0001"}


def _wait_for(condition: object, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def _read_response(sock: socket.socket) -> bytes:
    """One HTTP response with a Content-Length body (or none), read off a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest


def _signed_request(sandbox: Sandbox, body: bytes = b'{"request_no":"R1"}') -> bytes:
    keys = sandbox.keys
    auth = authorization(
        scheme="WECHATPAY2-SHA256-RSA2048",
        identity_field="mchid",
        identity=keys.mchid,
        serial_no=keys.merchant_serial_no,
        key=keys.merchant_private_key,
        method="PATCH",
        target=WIDGET,
        body=body,
    )
    head = (
        f"PATCH {WIDGET} HTTP/1.1\r\nHost: sandbox\r\nAuthorization: {auth}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@pytest.fixture
def small(fixture_specs: SpecSet) -> Iterator[Sandbox]:
    """A private sandbox with small limits."""
    with Sandbox(fixture_specs, max_body_bytes=1000, max_connections=2, idle_timeout=0.5) as server:
        yield server


def test_keep_alive_serves_several_requests_on_one_connection(sandbox: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as sock:
        for _ in range(3):
            sock.sendall(_signed_request(sandbox))
            response = _read_response(sock)
            assert response.startswith(b"HTTP/1.1 200 OK\r\n")
            assert b"Connection: close" not in response
    assert [r.status for r in sandbox.requests] == [200, 200, 200]


def test_connection_close_is_honoured(sandbox: Sandbox) -> None:
    request = _signed_request(sandbox).replace(b"Host: sandbox\r\n", b"Connection: close\r\n")
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as sock:
        sock.sendall(request)
        response = _read_response(sock)
        assert b"Connection: close" in response
        assert sock.recv(10) == b""


def test_a_body_over_the_default_limit_is_413(call: Call) -> None:
    response = call.send("PATCH", WIDGET, b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert "1048576" in response.json()["message"]


def test_the_size_limit_is_exact(small: Sandbox, http: httpx.Client) -> None:
    call = Call(small, http)
    at_limit = b'{"request_no":"' + b"x" * (1000 - 17) + b'"}'
    assert len(at_limit) == 1000
    assert call.send("PATCH", WIDGET, at_limit).status_code == 400  # reaches validation
    response = call.send("PATCH", WIDGET, at_limit + b" ")
    assert response.status_code == 413
    assert response.json()["code"] == "INVALID_REQUEST"
    assert [r.status for r in small.requests] == [400, 413]


def test_expect_100_continue_over_the_limit_is_413_before_the_body(small: Sandbox) -> None:
    head = (
        f"PATCH {WIDGET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", small.port), timeout=5) as sock:
        sock.sendall(head.encode())
        assert _read_response(sock).startswith(b"HTTP/1.1 413 ")


def test_chunked_bodies_are_refused(sandbox: Sandbox) -> None:
    head = (
        f"PATCH {WIDGET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as sock:
        sock.sendall(head.encode())
        response = _read_response(sock)
    assert response.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Length" in response


def test_a_garbage_request_line_gets_a_json_400(sandbox: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        response = _read_response(sock)
    assert response.startswith(b"HTTP/1.1 400 ")
    assert b'"code":"INVALID_REQUEST"' in response


def test_an_idle_connection_is_closed(small: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", small.port), timeout=5) as sock:
        started = time.monotonic()
        assert sock.recv(10) == b""
        assert 0.3 <= time.monotonic() - started < 3


def test_a_request_trickling_in_is_cut_off(fixture_specs: SpecSet) -> None:
    with Sandbox(fixture_specs, idle_timeout=5, request_timeout=0.5) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            started = time.monotonic()
            closed = False
            for byte in b"PATCH /v3/test/widgets/1 HTTP/1.1\r\nHost: x\r\n":
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    closed = True
                    break
                time.sleep(0.1)
                if time.monotonic() - started > 3:
                    break
            if not closed:
                sock.settimeout(3)
                assert sock.recv(10) == b""
            assert time.monotonic() - started < 3  # well before the 5 s idle timeout


def test_a_slow_but_steady_request_within_the_deadline_is_served(sandbox: Sandbox) -> None:
    request = _signed_request(sandbox)
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as sock:
        for start in range(0, len(request), 200):
            sock.sendall(request[start : start + 200])
            time.sleep(0.01)
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")


def test_connections_over_the_cap_get_503(small: Sandbox) -> None:
    idle = [socket.create_connection(("127.0.0.1", small.port), timeout=5) for _ in range(2)]
    try:
        _wait_for(lambda: small.active_connections == 2)
        with socket.create_connection(("127.0.0.1", small.port), timeout=5) as third:
            response = _read_response(third)
        assert response.startswith(b"HTTP/1.1 503 ")
        assert b"too many connections" in response
    finally:
        for sock in idle:
            sock.close()
    _wait_for(lambda: small.active_connections == 0)
    with httpx.Client() as http:
        assert Call(small, http).send("PATCH", WIDGET, BODY).status_code == 200


def test_concurrent_requests_all_verify(sandbox: Sandbox) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client() as http:
            for _ in range(5):
                status = Call(sandbox, http).send("PATCH", WIDGET, BODY).status_code
                with lock:
                    results.append(status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 40
    assert len({r.nonce for r in sandbox.requests}) == 40


def test_stop_closes_the_port_and_joins_threads(fixture_specs: SpecSet) -> None:
    server = Sandbox(fixture_specs).start()
    port = server.port
    idle = socket.create_connection(("127.0.0.1", port), timeout=5)  # an open keep-alive
    http = httpx.Client(timeout=10)
    in_flight: list[BaseException] = []

    def slow() -> None:
        try:
            Call(server, http).send("PATCH", WIDGET, BODY, headers={"X-Sandbox-Fault": "delay=30"})
        except httpx.HTTPError as exc:
            in_flight.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    _wait_for(lambda: server.active_connections == 2)
    assert len([t for t in threading.enumerate() if t.name.startswith(f"sandbox-{port}-")]) == 3
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    thread.join(5)
    assert len(in_flight) == 1  # the delayed request's connection was closed
    assert not server.running
    assert not [t for t in threading.enumerate() if t.name.startswith(f"sandbox-{port}-")]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    assert idle.recv(10) == b""
    idle.close()
    http.close()
    server.stop()  # idempotent


def test_the_sandbox_can_restart_and_reports_its_state(fixture_specs: SpecSet) -> None:
    server = Sandbox(fixture_specs)
    with pytest.raises(RuntimeError, match="start"):
        _ = server.base_url
    with server:
        assert server.base_url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match="already"):
            server.start()
        assert "operations" in repr(server)
    with server:
        with httpx.Client() as http:
            assert Call(server, http).send("PATCH", WIDGET, BODY).status_code == 200


def test_a_taken_port_raises_oserror(sandbox: Sandbox, fixture_specs: SpecSet) -> None:
    with pytest.raises(OSError):
        Sandbox(fixture_specs, port=sandbox.port).start()


def test_keys_dir_none_keeps_keys_in_memory(fixture_specs: SpecSet, tmp_path: Path) -> None:
    server = Sandbox(fixture_specs)
    assert server.keys.directory is None
    config = server.keys.merchant_private_key_pem()
    assert config.startswith("-----BEGIN PRIVATE KEY-----")
