"""Regression tests of the thirteen transport defects of issue 14, one (or a few) per defect.

Each test failed before its fix. Servers are real sockets on loopback (``adversary.py``); the
transports are the runtime's own, called as the client calls them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import certifi
import h11
import httpx
import idna
import pytest

from .adversary import OK, AdversaryServer, Peer, serve_forever


def action(
    tr: SimpleNamespace,
    url: str,
    *,
    timeout: float = 5.0,
    body: bytes | None = b"{}",
    headers: dict[str, str] | None = None,
) -> Any:
    return tr.transport.SendAction(
        "POST",
        tr.transport.Endpoint(url, ""),
        "/v3/x",
        {"Accept": "application/json", **(headers or {})},
        body,
        timeout,
        1 << 20,
    )


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def in_child(work: Callable[[], Any]) -> Any:
    """Run ``work`` in a forked child; its JSON result comes back through a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(write_end, json.dumps(work()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 65536):
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    return json.loads(data)


# 1 ---------------------------------------------------------------------------------------------


def test_1_asyncio_run_per_call_keeps_no_connection_of_a_closed_loop(tr: SimpleNamespace) -> None:
    with AdversaryServer(serve_forever()) as server:
        pool = tr.async_pool.AsyncPool()
        assert asyncio.run(pool.send(action(tr, server.url))).status_code == 200
        before = open_fds()
        for _ in range(150):
            assert asyncio.run(pool.send(action(tr, server.url))).status_code == 200
        # Before the fix every closed loop kept its idle connection (2 fds with the server's end).
        assert open_fds() - before < 10
        asyncio.run(pool.close())
        time.sleep(0.2)  # the server's connection threads see EOF and close their ends
        assert open_fds() <= before - 2  # close() closed the last loop's connection too


def test_1_close_closes_the_connections_of_closed_loops(tr: SimpleNamespace) -> None:
    with AdversaryServer(serve_forever()) as server:
        pool = tr.async_pool.AsyncPool()
        asyncio.run(pool.send(action(tr, server.url)))
        before = open_fds()
        asyncio.run(pool.close())  # a different loop from the one that made the connection
        time.sleep(0.2)
        assert open_fds() <= before - 2  # both ends of the connection of the closed loop


# 2 ---------------------------------------------------------------------------------------------


def test_2_a_forked_child_never_uses_the_parents_connections_sync(tr: SimpleNamespace) -> None:
    with AdversaryServer(serve_forever()) as server:
        pool = tr.sync_pool.SyncPool()
        assert pool.send(action(tr, server.url)).status_code == 200

        def child() -> list[int]:
            raw = pool.send(action(tr, server.url))
            return [raw.status_code, pool.connections_opened]

        assert in_child(child) == [200, 2]  # its own connection
        assert pool.send(action(tr, server.url)).status_code == 200
        assert server.connections == 2 and pool.connections_opened == 1  # the parent kept its own


def test_2_a_forked_child_never_uses_the_parents_connections_async(tr: SimpleNamespace) -> None:
    with AdversaryServer(serve_forever()) as server:
        pool = tr.async_pool.AsyncPool()

        async def twice() -> int:  # the same loop for both calls: keep-alive applies
            await pool.send(action(tr, server.url))
            await asyncio.sleep(0)
            return int(server.connections)

        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(pool.send(action(tr, server.url)))

            def child() -> list[int]:  # a child must not run the parent's loop: a new one
                raw = asyncio.run(pool.send(action(tr, server.url)))
                return [raw.status_code, pool.connections_opened, len(pool._loops)]

            assert in_child(child) == [200, 2, 1]  # the parent's loop state was dropped
            assert loop.run_until_complete(twice()) == 2
            assert pool.connections_opened == 1
            loop.run_until_complete(pool.close())
        finally:
            loop.close()


def test_2_our_own_httpx_client_is_renewed_in_a_forked_child(tr: SimpleNamespace) -> None:
    with AdversaryServer(serve_forever()) as server:
        transport = tr.httpx_transport.HttpxSyncTransport(
            tr.httpx_transport.new_sync_client(5.0), owned=True, timeout=5.0
        )
        assert transport.send(action(tr, server.url)).status_code == 200
        assert in_child(lambda: transport.send(action(tr, server.url)).status_code) == 200
        assert transport.send(action(tr, server.url)).status_code == 200
        assert server.connections == 2
        transport.close()


def test_2_a_callers_httpx_client_in_a_forked_child_is_warned_about(
    tr: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    with AdversaryServer(serve_forever()) as server, httpx.Client() as http:
        transport = tr.httpx_transport.HttpxSyncTransport(http, owned=False)
        assert transport.send(action(tr, server.url)).status_code == 200
        assert not caplog.records
        transport._after_fork()  # what os.fork() calls in the child
        with caplog.at_level(logging.WARNING):
            assert transport.send(action(tr, server.url)).status_code == 200
            assert transport.send(action(tr, server.url)).status_code == 200
        [record] = caplog.records  # once
        assert "create the httpx client after the fork" in record.getMessage()
        assert transport.http is http  # never replaced behind the caller's back
        transport.close()


# 3 ---------------------------------------------------------------------------------------------


def trickled_head(peer: Peer) -> None:
    if peer.read_request() is not None:
        peer.send(OK, trickle=0.05)  # ~4 s for the whole response, every gap well under 1 s


def test_3_the_httpx_path_keeps_the_deadline_while_the_head_trickles(tr: SimpleNamespace) -> None:
    with AdversaryServer(trickled_head) as server, httpx.Client() as http:
        transport = tr.httpx_transport.HttpxSyncTransport(http, owned=False)
        started = time.monotonic()
        outcome = transport.send(action(tr, server.url, timeout=0.5))
        assert time.monotonic() - started < 1.5
        assert isinstance(outcome.error, httpx.ReadTimeout) and outcome.timed_out
        transport.close()


async def test_3_the_async_httpx_path_keeps_the_deadline_too(tr: SimpleNamespace) -> None:
    with AdversaryServer(trickled_head) as server:
        async with httpx.AsyncClient() as http:
            transport = tr.httpx_transport.HttpxAsyncTransport(http, owned=False)
            started = time.monotonic()
            outcome = await transport.send(action(tr, server.url, timeout=0.5))
            assert time.monotonic() - started < 1.5
            assert isinstance(outcome.error, httpx.ReadTimeout)


# 4 ---------------------------------------------------------------------------------------------

HUGE_LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n{}"


def answer(reply: bytes) -> Callable[[Peer], None]:
    def handler(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(reply)
            time.sleep(0.5)

    return handler


def test_4_a_5000_digit_content_length_is_a_clean_refusal(
    tr: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    parser = tr.http11.ResponseParser("GET", 1 << 20)
    assert parser.feed(HUGE_LENGTH) and parser.too_large  # was: a bare ValueError from int()
    with AdversaryServer(answer(HUGE_LENGTH)) as server:
        raw = tr.sync_pool.SyncPool().send(action(tr, server.url))
        assert raw.status_code == 200 and raw.too_large
    with AdversaryServer(answer(HUGE_LENGTH)) as server, caplog.at_level(logging.ERROR):
        raw = asyncio.run(tr.async_pool.AsyncPool().send(action(tr, server.url)))
        assert raw.status_code == 200 and raw.too_large
    assert not [r for r in caplog.records if r.name == "asyncio"]  # no "fatal error" logged


# 5 ---------------------------------------------------------------------------------------------


def test_5_one_async_pool_serves_event_loops_in_two_threads_at_once(tr: SimpleNamespace) -> None:
    with AdversaryServer(serve_forever()) as server:
        pool = tr.async_pool.AsyncPool(max_connections=2)  # so that calls wait for a slot
        results: list[Any] = []

        def thread() -> None:
            async def calls() -> list[Any]:
                sends = (pool.send(action(tr, server.url)) for _ in range(20))
                return list(await asyncio.gather(*sends))

            try:
                results.extend(asyncio.run(calls()))
            except Exception as exc:  # recorded, not lost in the thread
                results.append(exc)

        threads = [threading.Thread(target=thread) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert not any(t.is_alive() for t in threads)  # no stall
        assert [getattr(r, "status_code", r) for r in results] == [200] * 40
        asyncio.run(pool.close())


# 6 ---------------------------------------------------------------------------------------------


def test_6_keep_alive_works_with_socket_numbers_past_1024(tr: SimpleNamespace) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1500:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(2048, hard), hard))
    filler = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with AdversaryServer(serve_forever()) as server:
            pool = tr.sync_pool.SyncPool()
            for _ in range(3):
                assert pool.send(action(tr, server.url)).status_code == 200
            [(sock, _)] = next(iter(pool._idle.values()))
            assert sock.fileno() > 1024
            assert pool.connections_opened == 1
            pool.close()
    finally:
        for fd in filler:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# 7 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [b"0x5", b" 5", b"5" * 40, b"+5", b"5 5"])
def test_7_chunk_sizes_are_as_strict_as_h11(tr: SimpleNamespace, size: bytes) -> None:
    wire = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size + b"\r\nhello\r\n0\r\n\r\n"
    )
    with pytest.raises(tr.http11.ProtocolError, match="chunk size"):
        tr.http11.ResponseParser("GET", 1 << 20).feed(wire)
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.receive_data(wire)
    with pytest.raises(h11.RemoteProtocolError):  # the oracle refuses it as well
        while conn.next_event() is not h11.NEED_DATA:
            pass


# 8 ---------------------------------------------------------------------------------------------


def test_8_a_callers_connection_close_is_honoured(tr: SimpleNamespace) -> None:
    close = {"Connection": "close"}
    with AdversaryServer(serve_forever()) as server:
        pool = tr.sync_pool.SyncPool()
        for _ in range(2):
            assert pool.send(action(tr, server.url, headers=close)).status_code == 200
        assert server.connections == 2 and not pool._idle.get(tr.transport.Endpoint(server.url, ""))
        assert server.requests[0].header("Connection") == "close"
    with AdversaryServer(serve_forever()) as server:
        apool = tr.async_pool.AsyncPool()

        async def twice() -> None:
            for _ in range(2):
                assert (await apool.send(action(tr, server.url, headers=close))).status_code == 200
            await apool.close()

        asyncio.run(twice())
        assert server.connections == 2


# 9 ---------------------------------------------------------------------------------------------

TOO_LARGE = b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"


def early_413(peer: Peer) -> None:
    if peer.read_head() is not None:  # the body is never read
        peer.send(TOO_LARGE)
        time.sleep(0.2)
        peer.sock.close()  # unread data: the kernel answers the client's next segment with RST


def test_9_an_early_413_to_a_large_body_is_the_answer_not_a_write_error(
    tr: SimpleNamespace,
) -> None:
    body = b"x" * (32 << 20)
    with AdversaryServer(early_413) as server:
        raw = tr.sync_pool.SyncPool().send(action(tr, server.url, body=body))
        assert raw.status_code == 413, raw
    with AdversaryServer(early_413) as server:
        raw = asyncio.run(tr.async_pool.AsyncPool().send(action(tr, server.url, body=body)))
        assert raw.status_code == 413, raw


# 10 --------------------------------------------------------------------------------------------


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_10_proxy_variables_in_any_case_hand_the_calls_to_httpx(
    tr: SimpleNamespace, client_kwargs: dict[str, Any], no_proxies: pytest.MonkeyPatch
) -> None:
    no_proxies.setenv("Https_Proxy", "http://127.0.0.1:9")
    assert tr.transport.environment_proxies() == {"https": "http://127.0.0.1:9"}
    client = tr.client.SyncAPIClient(**client_kwargs)
    assert type(client._http).__name__ == "HttpxSyncTransport"
    client.close()


def test_10_a_socks_proxy_without_socks_support_is_a_clear_error(
    tr: SimpleNamespace, client_kwargs: dict[str, Any], no_proxies: pytest.MonkeyPatch
) -> None:
    no_proxies.setenv("ALL_PROXY", "socks5://user:secret@127.0.0.1:1080")
    try:
        import socksio  # noqa: F401
    except ImportError:
        with pytest.raises(tr.errors.ConfigurationError, match="ALL_PROXY") as info:
            tr.client.SyncAPIClient(**client_kwargs)
        assert "httpx[socks]" in str(info.value) and "secret" not in str(info.value)
    else:  # with socksio installed, httpx supports it
        tr.client.SyncAPIClient(**client_kwargs).close()


# 11 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["faß.de", "βόλος.com", "ﻋﺮﺑﻲ.com"])
def test_11_hosts_are_encoded_with_idna_2008_as_httpx_does(
    tr: SimpleNamespace, client_kwargs: dict[str, Any], host: str
) -> None:
    try:
        expected = idna.encode(host).decode("ascii")
    except idna.IDNAError:
        with pytest.raises(tr.errors.ConfigurationError, match="invalid host"):
            tr.client.SyncAPIClient(**{**client_kwargs, "base_url": f"https://{host}"})
        return
    client = tr.client.SyncAPIClient(**{**client_kwargs, "base_url": f"https://{host}"})
    assert client._bases[0].host == expected == httpx.URL(f"https://{host}").raw_host.decode()
    assert expected != host.encode("idna").decode("ascii") or host.isascii()  # 2003 differs
    client.close()


# 12 --------------------------------------------------------------------------------------------


def test_12_folded_header_lines_are_unfolded(tr: SimpleNamespace) -> None:
    wire = b"HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\n\tthree\r\nContent-Length: 0\r\n\r\n"
    parser = tr.http11.ResponseParser("GET", 1 << 20)
    assert parser.feed(wire) and parser.headers["x-a"] == "one two three"
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.receive_data(wire)
    assert dict(conn.next_event().headers)[b"x-a"] == b"one two three"  # as h11 reads it


def test_12_bare_lf_line_endings_are_read_at_once(tr: SimpleNamespace) -> None:
    bare = b'HTTP/1.1 200 OK\nContent-Length: 11\nX-B: 1\n\n{"ok":true}'
    parser = tr.http11.ResponseParser("GET", 1 << 20)
    assert parser.feed(bare) and parser.body == b'{"ok":true}' and parser.headers["x-b"] == "1"
    with AdversaryServer(serve_forever(bare)) as server:
        started = time.monotonic()
        raw = tr.sync_pool.SyncPool().send(action(tr, server.url, timeout=3.0))
        assert raw.status_code == 200 and time.monotonic() - started < 1.0


# 13 --------------------------------------------------------------------------------------------


def test_13_ssl_cert_file_is_read_per_setting_and_a_missing_one_is_named(
    tr: SimpleNamespace,
    certificate: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    public = tr.tls.default_ssl_context()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert_file))
    ours = tr.tls.default_ssl_context()
    assert ours is not public
    assert [c["subject"] for c in ours.get_ca_certs()] == [((("commonName", "localhost"),),)]
    missing = tmp_path / "nowhere.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing))
    with pytest.raises(tr.errors.ConfigurationError, match=r"nowhere\.pem"):
        tr.sync_pool.SyncPool()
    with pytest.raises(tr.errors.ConfigurationError, match=r"nowhere\.pem"):
        tr.async_pool.AsyncPool()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    monkeypatch.setenv("SSL_CERT_FILE", str(garbage))
    with pytest.raises(tr.errors.ConfigurationError, match=r"garbage\.pem"):
        tr.tls.default_ssl_context()
    assert isinstance(ours, ssl.SSLContext)
