"""``make run``: call every operation of the generated client against the bundled sandbox.

Starts the sandbox in-process on a free loopback port with throwaway keys, builds each call from the
spec's own examples (path-parameter examples plus the request-body example), calls every operation
with ``WeChatPayClient`` and then with ``AsyncWeChatPayClient``, and prints one table row per call.
Needs no credentials. The generated package is imported lazily: the generator itself never
depends on it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .loader import SpecLoadError, SpecSet, load_specs
from .protocol import JSON_MEDIA
from .spec_model import Operation


@dataclass(frozen=True)
class DemoCall:
    """One operation and the keyword arguments its doc examples give."""

    operation_id: str
    brand: bool
    path_params: Mapping[str, Any]
    body: Mapping[str, Any] | None
    success_status: int
    response_example: Any

    @property
    def kwargs(self) -> dict[str, Any]:
        """The method's keyword arguments: path parameters and top-level body fields."""
        return {**self.path_params, **(self.body or {})}


@dataclass
class Row:
    client: str
    operation_id: str
    status: int
    request_id: str
    millis: float


def demo_calls(specs: SpecSet) -> list[DemoCall]:
    """Every operation in the specs with arguments from its examples, by operationId."""
    calls: list[DemoCall] = []
    for op in specs.model().operations:
        path_params = {
            param.name: param.node.get("example")
            for param in op.parameters
            if param.where == "path" and param.node is not None
        }
        media = op.request_body.media(JSON_MEDIA) if op.request_body is not None else None
        body = media.node.get("example") if media is not None else None
        status, example = _success(op)
        brand = any(scheme.runtime == "brand" for scheme in op.security.auth)
        calls.append(DemoCall(op.operation_id, brand, path_params, body, status, example))
    return sorted(calls, key=lambda c: c.operation_id)


def _success(op: Operation) -> tuple[int, Any]:
    """The documented 2xx status and its example body (None for 204)."""
    for response in sorted(op.responses, key=lambda r: r.status):
        if response.status.startswith("2"):
            media = response.media(JSON_MEDIA)
            return int(response.status), media.node.get("example") if media else None
    return 200, None


class _LastResponse(logging.Handler):
    """Reads the status and Request-ID of each response from the client's DEBUG log records.

    The runtime attaches them as record fields (``wechatpay_status_code``,
    ``wechatpay_request_id``), so the demo runs the client exactly as users do: default transport,
    no hooks.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.status = 0
        self.request_id = ""

    def emit(self, record: logging.LogRecord) -> None:
        status = getattr(record, "wechatpay_status_code", None)
        if isinstance(status, int):
            self.status = status
            self.request_id = str(getattr(record, "wechatpay_request_id", "") or "")


def _watch_responses() -> _LastResponse:
    watcher = _LastResponse()
    logger = logging.getLogger("wechatpay_marketing")
    logger.addHandler(watcher)
    logger.setLevel(logging.DEBUG)
    return watcher


def _run_sync(
    calls: Sequence[DemoCall], configs: Mapping[bool, Mapping[str, Any]], last: _LastResponse
) -> list[Row]:
    import wechatpay_marketing as wp

    rows: list[Row] = []
    for brand in (False, True):
        with wp.WeChatPayClient(**configs[brand]) as client:
            for call in calls:
                if call.brand != brand:
                    continue
                method: Callable[..., Any] = getattr(client, call.operation_id)
                started = time.perf_counter()
                method(**call.kwargs)
                elapsed = (time.perf_counter() - started) * 1000
                rows.append(Row("sync", call.operation_id, last.status, last.request_id, elapsed))
    return rows


async def _run_async(
    calls: Sequence[DemoCall], configs: Mapping[bool, Mapping[str, Any]], last: _LastResponse
) -> list[Row]:
    import wechatpay_marketing as wp

    rows: list[Row] = []
    for brand in (False, True):
        async with wp.AsyncWeChatPayClient(**configs[brand]) as client:
            for call in calls:
                if call.brand != brand:
                    continue
                method: Callable[..., Any] = getattr(client, call.operation_id)
                started = time.perf_counter()
                await method(**call.kwargs)
                elapsed = (time.perf_counter() - started) * 1000
                rows.append(Row("async", call.operation_id, last.status, last.request_id, elapsed))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    header = ("client", "operation", "HTTP status", "request id", "ms")
    cells = [header] + [
        (r.client, r.operation_id, str(r.status), r.request_id, f"{r.millis:.1f}") for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wechatpay_codegen.demo", description=__doc__)
    parser.add_argument("--specs", type=Path, default=Path("specs"))
    args = parser.parse_args(argv)
    try:
        specs = load_specs([args.specs])
    except SpecLoadError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    try:
        import wechatpay_marketing  # noqa: F401
    except ImportError:
        print("the generated package is not installed: pip install ./generated", file=sys.stderr)
        return 1

    from .sandbox import Sandbox

    calls = demo_calls(specs)
    with tempfile.TemporaryDirectory(prefix="wechatpay-sandbox-") as keys_dir:
        with Sandbox(specs, keys_dir=Path(keys_dir)) as sandbox:
            configs = {False: sandbox.merchant_config(), True: sandbox.brand_config()}
            print(f"sandbox listening on {sandbox.base_url}; calling {len(calls)} operations\n")
            last = _watch_responses()
            try:
                rows = _run_sync(calls, configs, last)
                rows += asyncio.run(_run_async(calls, configs, last))
            except Exception as exc:  # the generated package's errors: one line, no traceback
                print(f"call failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                return 1
    print(format_table(rows))
    failed = [r for r in rows if not 200 <= r.status < 300]
    print(f"\n{len(rows)} calls, {len(rows) - len(failed)} succeeded, all responses verified")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
