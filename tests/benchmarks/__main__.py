"""``python -m tests.benchmarks``: run every section, print one table.

Options: ``--quick`` (fewer samples, smaller synthetic specs: a smoke run), ``--only`` to pick
sections, ``--record`` to write the run (table and machine details) into BENCHMARKS.md between its
``<!-- bench:begin -->`` / ``<!-- bench:end -->`` markers, ``--pin`` to pin the client to CPU 0 and
the servers to CPU 1.

Client CPU is ``time.process_time()`` of this process; every server runs in its own process, so
its work is never counted as the client's, pinned or not. Pinning is off by default: on a shared
machine a pinned process cannot move off a core another job is using, which inflated p95 latency
4-5x in our trials while leaving the medians and CPU ratios where they were.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import machine
from .stats import Row, format_table

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
RECORD = ROOT / "BENCHMARKS.md"
BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
SECTIONS = ("percall", "async", "startup", "generation", "transports", "shapes", "callbacks")


def _pin(enabled: bool) -> tuple[int | None, set[int] | None]:
    """Pin this process to CPU 0; the CPU for servers (None: no pinning)."""
    if not enabled or not hasattr(os, "sched_setaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    os.sched_setaffinity(0, {cpus[0]})
    return cpus[1], set(cpus)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--record", action="store_true", help=f"write the results to {RECORD.name}")
    parser.add_argument("--pin", action="store_true", help="pin the client and the servers")
    args = parser.parse_args(argv)

    details = machine.details()
    server_cpu, all_cpus = _pin(args.pin)
    details["pinning"] = (
        f"client on CPU {sorted(os.sched_getaffinity(0))[0]}, servers on CPU {server_cpu}"
        if server_cpu is not None
        else "none (client CPU = process_time of the client process; servers in their own)"
    )
    quick = args.quick
    rows: list[Row] = []
    started = time.perf_counter()

    def section(name: str) -> bool:
        if name not in args.only:
            return False
        print(f"[{time.perf_counter() - started:6.1f} s] {name} ...", file=sys.stderr, flush=True)
        return True

    if section("percall"):
        from . import percall

        rows += percall.run(
            SPECS, rounds=4 if quick else 30, batch=25 if quick else 40, server_cpu=server_cpu
        )
    if section("async"):
        from . import concurrency

        rows += concurrency.run(
            SPECS,
            rounds=2 if quick else 6,
            fast_calls=128 if quick else 768,
            slow_calls=64 if quick else 192,
            server_cpu=server_cpu,
        )
    if section("startup"):
        from . import startup

        rows += startup.run(SPECS, samples=3 if quick else 15, server_cpu=server_cpu)
    if section("generation"):
        from . import generation

        if all_cpus is not None:
            os.sched_setaffinity(0, all_cpus)  # children inherit: let both tools use every core
        rows += generation.run(
            SPECS,
            sizes=(2, 4) if quick else (10, 50, 200),
            repeats={0: 9, 10: 5} if not quick else {0: 1},
            timeout=120 if quick else 420,
            floor=60 if quick else 150,
        )
    if section("transports"):
        from . import transports

        rows += transports.run(
            rounds=3 if quick else 12,
            batch=50 if quick else 200,
            async_calls=640 if quick else 3200,
            server_cpu=server_cpu,
        )
    if section("shapes"):
        from . import shapes

        rows += shapes.run(
            rounds=4 if quick else 30, batch=25 if quick else 40, server_cpu=server_cpu
        )
    if section("callbacks"):
        from . import callbacks

        rows += callbacks.run(SPECS, rounds=5 if quick else 30, batch=50 if quick else 200)
    details["load average at end"] = machine.load_average()
    details["bench wall time"] = f"{time.perf_counter() - started:.0f} s"

    print()
    print(format_table(rows))
    print()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in details.items()))
    missed = [r for r in rows if r.ok is False]
    print(f"\ntargets: {sum(r.ok is True for r in rows)} met, {len(missed)} not met")
    if args.record:
        _record(rows, details)
        print(f"recorded in {RECORD}")
    return 0


def _record(rows: list[Row], details: dict[str, str]) -> None:
    block = "\n".join(
        [
            BEGIN,
            "",
            format_table(rows, markdown=True),
            "",
            "| machine | |",
            "|---|---|",
            *(f"| {k} | {v} |" for k, v in details.items()),
            "",
            END,
        ]
    )
    text = (
        RECORD.read_text(encoding="utf-8")
        if RECORD.exists()
        else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    )
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RECORD.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
