"""Section 1: sequential calls, one at a time, against the sandbox on loopback (keep-alive).

All contenders run in this process, interleaved: each round runs a batch of every contender in
turn (the order rotates), so machine noise hits them alike. Per call we record the wall time
(``perf_counter``); per batch the client CPU (``process_time`` of this process: the sandbox runs in
its own process, pinned to the other core). Reported: median and p95 latency, CPU per call,
throughput (calls / batch wall time), and the ratios the issue sets targets for.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import contenders
from .sandbox_process import SandboxProcess
from .stats import Row, median, percentile, ratio_row, us

SECTION = "1 per call"


@dataclass
class Series:
    name: str
    call: Callable[[], None]
    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0
    wall: float = 0.0
    calls: int = 0

    def batch(self, count: int) -> None:
        call = self.call
        latencies = self.latencies
        clock = time.perf_counter
        cpu0 = time.process_time()
        start = clock()
        for _ in range(count):
            t0 = clock()
            call()
            latencies.append(clock() - t0)
        self.wall += clock() - start
        self.cpu += time.process_time() - cpu0
        self.calls += count

    @property
    def median(self) -> float:
        return median(self.latencies)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    @property
    def cpu_per_call(self) -> float:
        return self.cpu / self.calls

    @property
    def throughput(self) -> float:
        return self.calls / self.wall

    def describe(self) -> str:
        return (
            f"median {us(self.median)}, p95 {us(self.p95)}, cpu {us(self.cpu_per_call)}/call, "
            f"{self.throughput:,.0f} calls/s"
        )


def run(specs: Path, *, rounds: int, batch: int, server_cpu: int | None) -> list[Row]:
    import httpx

    with SandboxProcess(specs, cpu=server_cpu) as sandbox:
        config = sandbox.merchant_config()
        host, port = sandbox.host_port
        floor = contenders.Floor(config, host, port)
        ours, close_ours = contenders.ours(config)
        ours_httpx, close_httpx = contenders.ours(config, http_client=httpx.Client())
        v3 = contenders.wechatpayv3(config, sandbox.base_url)
        sign, verify = contenders.rsa_timers(config)
        series = [
            Series("floor (sign + http.client round trip + verify)", floor),
            Series("wechatpay_marketing (default transport)", ours),
            Series("wechatpay_marketing, http_client=httpx.Client()", ours_httpx),
            Series("wechatpayv3 2.x (sync)", v3),
        ]
        parts = [
            Series("  floor part: RSA-2048 sign", sign),
            Series("  floor part: RSA-2048 verify", verify),
            Series("  floor part: http.client keep-alive round trip", floor.round_trip),
        ]
        for s in series + parts:  # warm up: connections, caches, lazy imports
            s.batch(20)
            s.latencies.clear()
            s.cpu = s.wall = 0.0
            s.calls = 0
        gc.collect()
        for r in range(rounds):
            order = series[r % len(series) :] + series[: r % len(series)]
            for s in order + parts:
                s.batch(batch)
        floor.close()
        close_ours()
        close_httpx()

    floor_s, ours_s, httpx_s, v3_s = series
    rows = [Row(SECTION, s.name, s.describe()) for s in series]
    rows += [Row(SECTION, s.name, f"median {us(s.median)}") for s in parts]
    rows += [
        ratio_row(
            SECTION, "wall time vs floor (median)", ours_s.median / floor_s.median, at_most=1.5
        ),
        ratio_row(
            SECTION,
            "client CPU vs floor",
            ours_s.cpu_per_call / floor_s.cpu_per_call,
            at_most=1.5,
        ),
        ratio_row(
            SECTION,
            "throughput vs wechatpayv3",
            ours_s.throughput / v3_s.throughput,
            at_least=2.0,
        ),
        ratio_row(
            SECTION, "(info) httpx transport: wall vs floor", httpx_s.median / floor_s.median
        ),
        ratio_row(SECTION, "(info) wechatpayv3: wall vs floor", v3_s.median / floor_s.median),
    ]
    return rows
