"""The two transports under test, each in both modes, behind one blocking ``send``.

- ``built-in``: :class:`SyncPool` / :class:`AsyncPool`, the client's default;
- ``httpx``: :class:`HttpxSyncTransport` / :class:`HttpxAsyncTransport` on an ``httpx.Client`` /
  ``httpx.AsyncClient`` (what ``http_client=`` and proxy set-ups use).

An async side runs its own event loop in a thread, so scenarios are written once, blocking, and
still exercise the asyncio code (one loop for the whole scenario, as an application has).
"""

from __future__ import annotations

import asyncio
import importlib
import shutil
import ssl
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

SIDES = ("built-in", "httpx")
MODES = ("sync", "async")
RUNTIME_SOURCE = Path(__file__).resolve().parents[2] / "templates" / "runtime"
PACKAGE = "conf_pkg"


def load_runtime(folder: Path) -> SimpleNamespace:
    """The runtime's modules, copied from ``templates/runtime`` into ``folder/conf_pkg``."""
    package = folder / PACKAGE
    if not package.exists():
        package.mkdir(parents=True)
        (package / "__init__.py").write_text('"""Stand-in for the generated package."""\n')
        shutil.copytree(
            RUNTIME_SOURCE, package / "_runtime", ignore=shutil.ignore_patterns("__pycache__")
        )
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    names = ("http11", "sync_pool", "async_pool", "transport", "tls", "client", "errors")
    modules = {n: importlib.import_module(f"{PACKAGE}._runtime.{n}") for n in names}
    modules["httpx_transport"] = importlib.import_module(f"{PACKAGE}._runtime.httpx_transport")
    return SimpleNamespace(**modules)


@dataclass
class Outcome:
    """What one send gave: a response, a transport failure (an httpx error class), or a crash
    (any other exception escaping the transport: never acceptable)."""

    kind: str  # "response" | "failure" | "crash"
    status: int = 0
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    too_large: bool = False
    error: str = ""
    seconds: float = 0.0

    @property
    def timed_out(self) -> bool:
        return self.kind == "failure" and "Timeout" in self.error

    def describe(self) -> str:
        if self.kind == "response":
            extra = ", too large" if self.too_large else ""
            return f"HTTP {self.status}{extra}"
        return f"{self.kind}: {self.error}"


class Side:
    def __init__(
        self,
        tr: SimpleNamespace,
        name: str,
        mode: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_bytes: int = 1 << 20,
    ) -> None:
        self.tr = tr
        self.name = name
        self.mode = mode
        self.max_bytes = max_bytes
        self.loop: asyncio.AbstractEventLoop | None = None
        if mode == "async":
            self.loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
            self._thread.start()
        verify: Any = ssl_context if ssl_context is not None else True
        if name == "built-in":
            pool = tr.sync_pool.SyncPool if mode == "sync" else tr.async_pool.AsyncPool
            self.transport = pool(ssl_context=ssl_context)
        elif mode == "sync":
            self.transport = tr.httpx_transport.HttpxSyncTransport(
                httpx.Client(verify=verify, trust_env=False), owned=True
            )
        else:
            self.transport = tr.httpx_transport.HttpxAsyncTransport(
                httpx.AsyncClient(verify=verify, trust_env=False), owned=True
            )

    def action(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        body: bytes | None = b"{}",
        headers: dict[str, str] | None = None,
    ) -> Any:
        transport = self.tr.transport
        return transport.SendAction(
            "POST",
            transport.Endpoint(url, ""),
            "/v3/x",
            {"Accept": "application/json", **(headers or {})},
            body,
            timeout,
            self.max_bytes,
        )

    def send(self, url: str, **kwargs: Any) -> Outcome:
        action = self.action(url, **kwargs)
        started = time.monotonic()
        try:
            if self.loop is None:
                result = self.transport.send(action)
            else:
                future = asyncio.run_coroutine_threadsafe(self.transport.send(action), self.loop)
                result = future.result(60)
        except Exception as exc:  # a crash: the transport let something other than a failure out
            return Outcome("crash", error=f"{type(exc).__name__}: {exc}"[:80])
        seconds = time.monotonic() - started
        if isinstance(result, self.tr.transport.TransportFailure):
            return Outcome("failure", error=type(result.error).__name__, seconds=seconds)
        return Outcome(
            "response",
            status=result.status_code,
            body=result.content,
            headers=result.headers,
            too_large=result.too_large,
            seconds=seconds,
        )

    def send_cancelled(self, url: str, after: float) -> None:
        """Start a call and cancel it after ``after`` seconds (async sides only)."""
        assert self.loop is not None
        action = self.action(url)

        async def cancel() -> None:
            task = asyncio.ensure_future(self.transport.send(action))
            await asyncio.sleep(after)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

        asyncio.run_coroutine_threadsafe(cancel(), self.loop).result(30)

    def close(self) -> None:
        if self.loop is None:
            self.transport.close()
            return
        asyncio.run_coroutine_threadsafe(self.transport.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
