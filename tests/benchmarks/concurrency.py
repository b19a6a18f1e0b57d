"""Section 2: asyncio clients with 1, 8 and 64 calls in flight.

The server is the minimal WeChat-Pay-compatible one (``_fast_server.py``: it verifies every request
signature and answers a signed body) in its own process on the other core: the sandbox costs more
CPU per request than the client under test, so against it a two-core machine measures the sandbox
(one row shows that). The bound is the two-core RSA bound, ``cores / (sign + verify)``, with sign
and verify timed in this process, in the same run, between the batches; the target at 64 in flight
is 80 % of it (issue 14).

Each round runs, for every level of concurrency, a batch of every contender in turn: ``level``
workers, each making calls back to back until the batch's calls are done.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

from . import contenders
from .sandbox_process import FastServerProcess, SandboxProcess, ServerProcess
from .stats import Row, median, ratio_row, us

SECTION = "2 async"
LEVELS = (1, 8, 64)


@dataclass
class Rate:
    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    #: CPU of the event loop's thread alone (``cpu`` adds the signing threads).
    loop_cpu: float = 0.0
    #: CPU of the server process during the batches; None where it cannot be read.
    server_cpu: float | None = 0.0

    @property
    def per_second(self) -> float:
        return self.calls / self.wall if self.wall else 0.0


async def _batch(
    contender: contenders.AsyncContender,
    level: int,
    calls: int,
    rate: Rate,
    server: ServerProcess | None = None,
) -> None:
    per_worker = max(1, calls // level)

    async def worker() -> None:
        for _ in range(per_worker):
            await contender.call()

    server0 = server.cpu_seconds() if server is not None else None
    cpu0 = time.process_time()
    loop0 = time.thread_time()
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(level)))
    rate.wall += time.perf_counter() - start
    rate.cpu += time.process_time() - cpu0
    rate.loop_cpu += time.thread_time() - loop0
    rate.calls += per_worker * level
    server1 = server.cpu_seconds() if server is not None else None
    if server0 is None or server1 is None or rate.server_cpu is None:
        rate.server_cpu = None
    else:
        rate.server_cpu += server1 - server0


def _time_rsa(config: dict[str, object], samples: list[float], verifies: list[float]) -> None:
    sign, verify = contenders.rsa_timers(config)  # type: ignore[arg-type]
    for _ in range(50):
        t0 = time.perf_counter()
        sign()
        samples.append(time.perf_counter() - t0)
    for _ in range(100):
        t0 = time.perf_counter()
        verify()
        verifies.append(time.perf_counter() - t0)


async def _run(
    specs: Path, rounds: int, calls: dict[str, int], server_cpu: int | None
) -> list[Row]:
    cores = os.cpu_count() or 1
    signs: list[float] = []
    verifies: list[float] = []
    with (
        FastServerProcess(cpu=server_cpu) as fast,
        SandboxProcess(specs, cpu=server_cpu) as sandbox,
    ):
        config = fast.merchant_config()
        named: dict[str, contenders.AsyncContender] = {
            "wechatpay_marketing": contenders.AsyncOurs(config),
            "wechatpay_marketing, httpx.AsyncClient": contenders.AsyncOurs(config, use_httpx=True),
            "wechatpayv3 2.x AsyncWeChatPay": contenders.AsyncWechatpayv3(config, fast.base_url),
        }
        against_sandbox = contenders.AsyncOurs(sandbox.merchant_config())
        rates = {(name, level): Rate() for name in named for level in LEVELS}
        sandbox_rate = Rate()
        for contender in (*named.values(), against_sandbox):
            await contender.start()
            for level in LEVELS:  # warm up: open the connections of every level
                await _batch(contender, level, level * 2, Rate())
        for r in range(rounds):
            _time_rsa(config, signs, verifies)
            names = list(named)
            names = names[r % len(names) :] + names[: r % len(names)]
            for level in LEVELS:
                for name in names:
                    budget = calls["slow" if "wechatpayv3" in name or "httpx" in name else "fast"]
                    await _batch(named[name], level, budget, rates[name, level], fast)
            await _batch(against_sandbox, 64, calls["fast"], sandbox_rate)
        for contender in (*named.values(), against_sandbox):
            await contender.close()

    sign, verify = median(signs), median(verifies)
    bound = cores / (sign + verify)
    rows = [
        Row(
            SECTION,
            f"RSA bound: {cores} cores / (sign + verify)",
            f"{bound:,.0f} calls/s (sign {us(sign)}, verify {us(verify)})",
        )
    ]
    ours = "wechatpay_marketing"
    v3 = "wechatpayv3 2.x AsyncWeChatPay"
    for name in named:
        for level in LEVELS:
            rate = rates[name, level]
            cpu = rate.cpu / rate.calls if rate.calls else 0.0
            rows.append(
                ratio_row(
                    SECTION,
                    f"{name}, {level} in flight",
                    100 * rate.per_second / bound,
                    value=f"{rate.per_second:,.0f} calls/s, cpu {us(cpu)}/call",
                    unit="% of bound",
                    **({"at_least": 80.0} if name == ours and level == 64 else {}),
                )
            )
    top = rates[ours, 64]
    if top.calls:
        rows += _ceiling_rows(top, cores, sign, verify, bound)
    for level in LEVELS:
        rows.append(
            ratio_row(
                SECTION,
                f"vs wechatpayv3 async, {level} in flight",
                rates[ours, level].per_second / rates[v3, level].per_second,
                **({"at_least": 5.0} if level == 64 else {}),
            )
        )
    rows.append(
        ratio_row(
            SECTION,
            "(info) wechatpay_marketing vs the sandbox, 64 in flight",
            100 * sandbox_rate.per_second / bound,
            value=f"{sandbox_rate.per_second:,.0f} calls/s (sandbox-bound)",
            unit="% of bound",
        )
    )
    return rows


def _ceiling_rows(top: Rate, cores: int, sign: float, verify: float, bound: float) -> list[Row]:
    """Where the CPU of one call at 64 in flight goes, and the ceiling that follows.

    The server shares the cores, so what limits throughput is the CPU of a whole call, client and
    server together: at most ``cores / (client CPU + server CPU)`` calls per second however well
    the work is spread. The best case against this server is a client whose only work is one
    signature and one verification: ``cores / (sign + verify + server CPU)``.
    """
    cpu = top.cpu / top.calls
    loop = top.loop_cpu / top.calls
    rows = [
        Row(
            SECTION,
            "(info) client CPU at 64 in flight (event loop + signing threads)",
            f"{100 * top.per_second * cpu:.0f}% of one core",
        ),
        Row(
            SECTION,
            "(info) client CPU per call at 64 in flight",
            f"{us(cpu)}: event loop thread {us(loop)}, signing threads {us(cpu - loop)}; "
            f"beyond sign + verify {us(cpu - sign - verify)}",
        ),
    ]
    if top.server_cpu is None:
        return rows
    server = top.server_cpu / top.calls
    ceiling = cores / (cpu + server)
    best = cores / (sign + verify + server)
    rows += [
        Row(SECTION, "(info) server CPU per call at 64 in flight (_fast_server.py)", us(server)),
        ratio_row(
            SECTION,
            "(info) measured ceiling: cores / (client + server CPU per call)",
            100 * ceiling / bound,
            value=f"{ceiling:,.0f} calls/s",
            unit="% of bound",
        ),
        ratio_row(
            SECTION,
            "(info) best case, a client doing only sign + verify: cores / (sign + verify + server)",
            100 * best / bound,
            value=f"{best:,.0f} calls/s",
            unit="% of bound",
        ),
    ]
    return rows


def run(
    specs: Path, *, rounds: int, fast_calls: int, slow_calls: int, server_cpu: int | None
) -> list[Row]:
    return asyncio.run(_run(specs, rounds, {"fast": fast_calls, "slow": slow_calls}, server_cpu))
