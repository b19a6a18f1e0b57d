"""Section 5: the transports alone, side by side (the decision to keep the built-in one, on record).

Raw keep-alive round trips without any crypto, against the minimal server (``_fast_server.py``,
its own process; an unsigned ``GET /`` gets its cheap 401): the client's built-in transport
against the general-purpose libraries it replaces (bench extras only, never dependencies of the
generated package).

- Blocking: CPU per call (``time.process_time``) of the built-in ``SyncPool``, ``http.client``,
  urllib3, httpcore and httpx, batches interleaved round by round.
- Asyncio, 64 calls in flight: calls per second of the built-in ``AsyncPool``, aiohttp, httpcore
  and httpx.

The built-in transport stays only while it is clearly ahead: its blocking CPU per call at most
0.8x the best library's, and its asyncio throughput at least 1.25x the best library's.
"""

from __future__ import annotations

import asyncio
import http.client
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .sandbox_process import FastServerProcess
from .stats import Row, median, ratio_row, us

SECTION = "5 transports"
IN_FLIGHT = 64
BUILT_IN = "built-in"


def _built_in_action(base_url: str) -> tuple[Any, Any]:
    from wechatpay_marketing._runtime import transport

    action = transport.SendAction(
        "GET", transport.Endpoint(base_url, ""), "/", {"Accept": "*/*"}, None, 10.0, 1 << 20
    )
    return transport, action


def sync_contenders(
    base_url: str, host: str, port: int
) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    """name -> (one round trip, close)."""
    import httpcore
    import httpx
    import urllib3
    from wechatpay_marketing._runtime.sync_pool import SyncPool

    _, action = _built_in_action(base_url)
    pool = SyncPool()

    def built_in() -> None:
        pool.send(action)

    conn = http.client.HTTPConnection(host, port, timeout=10)

    def stdlib() -> None:
        conn.request("GET", "/")
        conn.getresponse().read()

    u3 = urllib3.HTTPConnectionPool(host, port, maxsize=1, timeout=10.0)

    def with_urllib3() -> None:
        u3.request("GET", "/", retries=False)

    core = httpcore.ConnectionPool()
    url = f"{base_url}/"

    def with_httpcore() -> None:
        core.request("GET", url)

    client = httpx.Client()

    def with_httpx() -> None:
        client.get(url)

    return {
        BUILT_IN: (built_in, pool.close),
        "http.client": (stdlib, conn.close),
        "urllib3": (with_urllib3, u3.close),
        "httpcore": (with_httpcore, core.close),
        "httpx": (with_httpx, client.close),
    }


class AsyncRaw:
    """An async contender: ``start()``, then ``call()`` per round trip, then ``close()``."""

    def __init__(self, name: str, base_url: str) -> None:
        self.name = name
        self.base_url = base_url
        self.call: Callable[[], Awaitable[None]] = self._unset
        self._close: Callable[[], Awaitable[None]] = self._unset

    async def _unset(self) -> None:
        raise RuntimeError("not started")

    async def start(self) -> None:
        url = f"{self.base_url}/"
        if self.name == BUILT_IN:
            from wechatpay_marketing._runtime.async_pool import AsyncPool

            _, action = _built_in_action(self.base_url)
            pool = AsyncPool(max_connections=IN_FLIGHT)

            async def built_in() -> None:
                await pool.send(action)

            self.call, self._close = built_in, pool.close
        elif self.name == "aiohttp":
            import aiohttp

            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=IN_FLIGHT))

            async def with_aiohttp() -> None:
                async with session.get(url) as response:
                    await response.read()

            self.call, self._close = with_aiohttp, session.close
        elif self.name == "httpcore":
            import httpcore

            core = httpcore.AsyncConnectionPool(max_connections=IN_FLIGHT)

            async def with_httpcore() -> None:
                await core.request("GET", url)

            self.call, self._close = with_httpcore, core.aclose
        else:
            import httpx

            client = httpx.AsyncClient(limits=httpx.Limits(max_connections=IN_FLIGHT))

            async def with_httpx() -> None:
                await client.get(url)

            self.call, self._close = with_httpx, client.aclose

    async def close(self) -> None:
        await self._close()


ASYNC_NAMES = (BUILT_IN, "aiohttp", "httpcore", "httpx")


async def _async_batch(contender: AsyncRaw, calls: int) -> tuple[float, float]:
    per_worker = max(1, calls // IN_FLIGHT)

    async def worker() -> None:
        for _ in range(per_worker):
            await contender.call()

    cpu0 = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return time.perf_counter() - start, time.process_time() - cpu0


async def _run_async(base_url: str, rounds: int, calls: int) -> dict[str, tuple[float, float]]:
    contenders = {name: AsyncRaw(name, base_url) for name in ASYNC_NAMES}
    walls: dict[str, float] = dict.fromkeys(ASYNC_NAMES, 0.0)
    cpus: dict[str, float] = dict.fromkeys(ASYNC_NAMES, 0.0)
    done: dict[str, int] = dict.fromkeys(ASYNC_NAMES, 0)
    for contender in contenders.values():
        await contender.start()
        await _async_batch(contender, IN_FLIGHT * 2)  # warm up: open the connections
    for r in range(rounds):
        names = list(ASYNC_NAMES[r % 4 :] + ASYNC_NAMES[: r % 4])
        for name in names:
            # httpcore and httpx manage a few hundred calls/s here at best: one call per worker
            budget = calls if name in (BUILT_IN, "aiohttp") else IN_FLIGHT
            wall, cpu = await _async_batch(contenders[name], budget)
            walls[name] += wall
            cpus[name] += cpu
            done[name] += max(1, budget // IN_FLIGHT) * IN_FLIGHT
    for contender in contenders.values():
        await contender.close()
    return {name: (done[name] / walls[name], cpus[name] / done[name]) for name in ASYNC_NAMES}


def run(*, rounds: int, batch: int, async_calls: int, server_cpu: int | None) -> list[Row]:
    rows: list[Row] = []
    with FastServerProcess(cpu=server_cpu) as server:
        host, port = server.host_port
        contenders = sync_contenders(server.base_url, host, port)
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for call, _ in contenders.values():
            for _ in range(20):  # warm up
                call()
        for r in range(rounds):
            names = list(contenders)
            names = names[r % len(names) :] + names[: r % len(names)]
            for name in names:
                call = contenders[name][0]
                cpu0 = time.process_time()
                for _ in range(batch):
                    call()
                samples[name].append((time.process_time() - cpu0) / batch)
        for _, close in contenders.values():
            close()
        rates = asyncio.run(_run_async(server.base_url, max(2, rounds // 2), async_calls))

    cpu = {name: median(values) for name, values in samples.items()}
    for name, value in cpu.items():
        rows.append(Row(SECTION, f"sync round trip, {name}", f"cpu {us(value)}/call"))
    best_sync = min((v, n) for n, v in cpu.items() if n not in (BUILT_IN, "http.client"))
    rows.append(
        ratio_row(
            SECTION,
            f"built-in vs the best library (sync CPU, {best_sync[1]})",
            cpu[BUILT_IN] / best_sync[0],
            at_most=0.8,
        )
    )
    for name, (rate, cpu_per_call) in rates.items():
        rows.append(
            Row(
                SECTION,
                f"async round trips, {IN_FLIGHT} in flight, {name}",
                f"{rate:,.0f} calls/s, cpu {us(cpu_per_call)}/call",
            )
        )
    best_async = max((rates[n][0], n) for n in ASYNC_NAMES if n != BUILT_IN)
    rows.append(
        ratio_row(
            SECTION,
            f"built-in vs the best library (async throughput, {best_async[1]})",
            rates[BUILT_IN][0] / best_async[0],
            at_least=1.25,
        )
    )
    return rows
