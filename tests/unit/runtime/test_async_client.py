"""The async client: the same core as the sync one, checked on the cases that matter most, plus
what only an event loop can show (concurrency, not blocking the loop, a whole-exchange deadline)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest

from . import rt
from .conftest import BRAND_ID, KeyPair, MakeAsyncClient, Ops, closed_port
from .server import Reply, SignedServer

BODY = {"target_max_coupons": 3000, "modify_budget_request_no": "预算-1002"}


async def modify_budget(client: rt.client.AsyncAPIClient, ops: Ops, **kwargs: Any) -> Any:
    return await client._request(
        ops.modify_budget, path_params={"stock_id": "9856888"}, body=BODY, **kwargs
    )


async def test_call_is_signed_verified_and_parsed(
    make_async_client: MakeAsyncClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(body='{"state":"已更新"}'.encode()))
    response = await modify_budget(make_async_client(), ops)
    [request] = server.requests
    assert request.signature_valid
    assert request.body == json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode()
    assert response.json() == {"state": "已更新"}


async def test_brand_204(
    make_async_client: MakeAsyncClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(status=204, body=b""))
    client = make_async_client(mchid=None, brand_id=BRAND_ID)
    response = await client._request(ops.submit, path_params={"plan_id": "12000"}, body=None)
    assert response.status_code == 204 and response.json() is None
    assert server.requests[0].auth_scheme == "WECHATPAY-BRAND-SHA256-RSA2048"


@pytest.mark.parametrize(
    "failure", [Reply(status=503), Reply(status=429), Reply(drop=True)], ids=["503", "429", "drop"]
)
async def test_retries_sign_afresh_with_identical_bodies(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    server: SignedServer,
    failure: Reply,
) -> None:
    server.script(failure, failure, Reply())
    await modify_budget(make_async_client(), ops)
    attempts = server.requests
    assert len(attempts) == 3
    assert len({a.nonce for a in attempts}) == 3
    assert len({a.body for a in attempts}) == 1
    assert all(a.signature_valid for a in attempts)


async def test_retries_stop_and_4xx_is_not_retried(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    server: SignedServer,
) -> None:
    server.script(Reply(status=500), Reply(status=500))
    with pytest.raises(rt.errors.InternalServerError):
        await modify_budget(make_async_client(), ops, max_retries=1)
    assert len(server.requests) == 2
    server.requests.clear()
    server.script(Reply(status=400, body=b'{"code":"PARAM_ERROR","message":"bad"}', sign=False))
    with pytest.raises(rt.errors.BadRequestError) as info:
        await modify_budget(make_async_client(), ops)
    assert info.value.code == "PARAM_ERROR"
    assert len(server.requests) == 1


async def test_retry_after_is_honoured(
    make_async_client: MakeAsyncClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(status=503, headers={"Retry-After": "1"}), Reply())
    started = time.monotonic()
    await modify_budget(make_async_client(), ops)
    assert time.monotonic() - started >= 1.0


async def test_failover_after_connection_refused(
    make_async_client: MakeAsyncClient, ops: Ops, backup_server: SignedServer
) -> None:
    client = make_async_client(
        base_url=f"http://127.0.0.1:{closed_port()}", backup_base_url=backup_server.base_url
    )
    await modify_budget(client, ops)
    assert len(backup_server.requests) == 1


async def test_failover_is_not_a_retry(
    make_async_client: MakeAsyncClient, ops: Ops, backup_server: SignedServer
) -> None:
    client = make_async_client(
        base_url=f"http://127.0.0.1:{closed_port()}",
        backup_base_url=backup_server.base_url,
        max_retries=0,
    )
    await modify_budget(client, ops)
    assert len(backup_server.requests) == 1


async def test_failover_after_timeout_before_response(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    backup_server: SignedServer,
    silent_port: int,
) -> None:
    client = make_async_client(
        base_url=f"http://127.0.0.1:{silent_port}",
        backup_base_url=backup_server.base_url,
        timeout=0.4,
    )
    await modify_budget(client, ops)
    assert len(backup_server.requests) == 1


async def test_no_failover_on_503(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    server: SignedServer,
    backup_server: SignedServer,
) -> None:
    server.script(*[Reply(status=503)] * 3)
    client = make_async_client(backup_base_url=backup_server.base_url)
    with pytest.raises(rt.errors.InternalServerError):
        await modify_budget(client, ops)
    assert len(server.requests) == 3
    assert backup_server.requests == []


@pytest.mark.parametrize("status", [200, 204])
async def test_unverifiable_response_raises(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    server: SignedServer,
    status: int,
) -> None:
    server.script(Reply(status=status, body=b"" if status == 204 else b"{}", signed_body=b"[]"))
    with pytest.raises(rt.errors.SignatureVerificationError) as info:
        await modify_budget(make_async_client(), ops)
    assert info.value.request_id
    assert len(server.requests) == 1


async def test_oversized_response_is_refused(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    server: SignedServer,
) -> None:
    server.script(Reply(stream_bytes=1 << 30))
    client = make_async_client(max_response_bytes=1 << 20, max_retries=0)
    with pytest.raises(rt.errors.ResponseTooLargeError):
        await modify_budget(client, ops)
    await asyncio.sleep(0.2)
    assert server.streamed_bytes < 256 << 20


async def test_trickling_body_is_cut_off(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    server: SignedServer,
) -> None:
    server.script(Reply(body=b'{"ok":true}' * 20, trickle=0.05))
    client = make_async_client(timeout=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(rt.errors.APITimeoutError):
        await modify_budget(client, ops)
    assert time.monotonic() - started < 1.2


@pytest.fixture
def trickling_headers_port() -> Iterator[int]:
    """A raw server that sends its status line and headers one byte every 50 ms, forever."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.1)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                data = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000
                for byte in data:
                    if stop.is_set():
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break
                    time.sleep(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(2)
    listener.close()


async def test_trickling_headers_are_cut_off_by_the_deadline(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    trickling_headers_port: int,
) -> None:
    client = make_async_client(
        base_url=f"http://127.0.0.1:{trickling_headers_port}", timeout=0.5, max_retries=0
    )
    started = time.monotonic()
    with pytest.raises(rt.errors.APITimeoutError):
        await modify_budget(client, ops)
    assert time.monotonic() - started < 1.2


async def test_concurrent_calls_share_the_client(
    make_async_client: MakeAsyncClient, ops: Ops, server: SignedServer
) -> None:
    client = make_async_client()
    results = await asyncio.gather(*(modify_budget(client, ops) for _ in range(16)))
    assert all(r.json() == {"ok": True} for r in results)
    assert len({r.nonce for r in server.requests}) == 16
    assert all(r.signature_valid for r in server.requests)


async def test_calls_in_flight_sign_in_worker_threads_a_lone_call_on_the_loop(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    server: SignedServer,
) -> None:
    client = make_async_client()
    await modify_budget(client, ops)
    assert client._sign_pool is None  # a lone call: no thread hand-off
    results = await asyncio.gather(*(modify_budget(client, ops) for _ in range(8)))
    assert all(r.json() == {"ok": True} for r in results)
    assert all(r.signature_valid for r in server.requests)
    assert client._sign_pool is not None
    assert any(t.name.startswith("wechatpay-sign") for t in threading.enumerate())
    assert client._in_flight == 0
    pool = client._sign_pool
    parent_threads, parent_jobs = list(pool._threads), pool._jobs
    pool._after_fork()  # as os.fork() leaves a child: the pool's threads are not there
    await asyncio.gather(*(modify_budget(client, ops) for _ in range(2)))
    assert pool._threads and not set(pool._threads) & set(parent_threads)  # new ones started
    for _ in parent_threads:  # stop the "parent's" threads (they wait on the old queue)
        parent_jobs.put(None)
    await client.close()
    assert client._sign_pool is None
    # A call still under way after close() signs inline: no threads are started again.
    sign = rt.transport.SignAction(lambda: "WECHATPAY2-SHA256-RSA2048 x")
    assert await client._sign_off_loop(sign) == "WECHATPAY2-SHA256-RSA2048 x"
    assert client._sign_pool is None


async def test_waiting_does_not_block_the_event_loop(
    make_async_client: MakeAsyncClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(status=503), Reply(delay=0.3))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        client = make_async_client()
        client._retry_policy = type(client._retry_policy)(base_delay=0.2, max_delay=0.2)
        await modify_budget(client, ops)
    finally:
        task.cancel()
    # ~0.1-0.2 s of backoff plus 0.3 s of server delay: the loop kept ticking throughout.
    assert ticks >= 20


async def test_scheme_mismatch_and_closed_client(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    server: SignedServer,
) -> None:
    client = make_async_client()
    with pytest.raises(rt.errors.WeChatPayError, match="brand"):
        await client._request(ops.submit, path_params={"plan_id": "1"}, body=None)
    async with client:
        await modify_budget(client, ops)
    with pytest.raises(rt.errors.WeChatPayError, match="closed"):
        await modify_budget(client, ops)
    assert len(server.requests) == 1


async def test_user_async_http_client_is_kept_open(
    make_async_client: MakeAsyncClient,
    ops: Ops,
    server: SignedServer,
) -> None:
    async with httpx.AsyncClient(follow_redirects=True) as user_client:
        server.script(Reply(status=302, sign=False, body=b"", headers={"Location": "/x"}))
        async with make_async_client(http_client=user_client) as client:
            with pytest.raises(rt.errors.APIStatusError) as info:
                await modify_budget(client, ops)
        assert info.value.status_code == 302
        assert not user_client.is_closed
    assert len(server.requests) == 1


def test_sync_http_client_is_refused_by_async_client(
    client_kwargs: dict[str, Any], merchant_key: KeyPair
) -> None:
    with httpx.Client() as sync_client, pytest.raises(rt.errors.ConfigurationError) as info:
        rt.client.AsyncAPIClient(**client_kwargs, http_client=cast(Any, sync_client))
    assert "httpx.AsyncClient" in str(info.value)


async def test_sign_workers_deliver_results_and_errors_and_skip_cancelled_calls() -> None:
    workers = rt.sign_workers.SignWorkers(2)
    signs = [workers.sign(lambda i=i: f"s{i}") for i in range(40)]  # type: ignore[misc]
    assert await asyncio.gather(*signs) == [f"s{i}" for i in range(40)]

    def broken() -> str:
        raise ValueError("no key")

    with pytest.raises(ValueError, match="no key"):
        await workers.sign(broken)
    release = threading.Event()
    task = asyncio.ensure_future(workers.sign(lambda: "late" if release.wait(2) else "timeout"))
    await asyncio.sleep(0.05)
    task.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await workers.sign(lambda: "after") == "after"  # the late result did no harm

    def other_loop() -> list[str]:
        async def calls() -> list[str]:
            return list(await asyncio.gather(*(workers.sign(lambda: "t") for _ in range(20))))

        return asyncio.run(calls())

    # One set of workers serves event loops in two threads at once.
    here = asyncio.gather(*(workers.sign(lambda: "h") for _ in range(20)))
    there = await asyncio.to_thread(other_loop)
    assert await here == ["h"] * 20 and there == ["t"] * 20
    workers.close()


async def test_sign_workers_sign_on_the_loop_once_every_thread_has_a_job_queued() -> None:
    workers = rt.sign_workers.SignWorkers(1)
    loop_thread = threading.get_ident()
    started, release = threading.Event(), threading.Event()

    def busy() -> str:  # keeps the only thread busy until released
        started.set()
        return "busy" if release.wait(5) else "timeout"

    def where() -> str:
        return "loop" if threading.get_ident() == loop_thread else "thread"

    first = asyncio.ensure_future(workers.sign(busy))
    assert await asyncio.to_thread(started.wait, 5)
    # The thread is busy and nothing is queued: the next job goes to the thread all the same.
    second = asyncio.ensure_future(workers.sign(where))
    await asyncio.sleep(0)
    assert workers._jobs.qsize() == 1
    # Now every thread has a job waiting: this one is signed at once, on the loop.
    assert await asyncio.wait_for(workers.sign(where), 1) == "loop"
    release.set()
    assert await first == "busy" and await second == "thread"
    workers.close()
