"""The sync and async base classes the generated clients extend.

Both run the same call (:class:`.call_flow.CallFlow`): a generator yielding steps. The blocking
client carries them out in the calling thread; the asyncio client awaits sends and sleeps, signs
in worker threads while several calls are in flight, and shares one platform-certificate download
among the calls that need it. Configuration is :class:`.client_base.ClientBase`'s.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .body import FileSink
from .call_flow import CertificatesAction, Outcome, Step
from .certificates import CertificateStore, download_failure
from .client_base import AsyncTransport, ClientBase, SyncTransport
from .config import (
    DEFAULT_BACKUP_BASE_URL,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    is_httpx,
    proxies_configured,
)
from .errors import APIStatusError, ConfigurationError, WeChatPayError
from .notification import DEFAULT_MAX_NOTIFICATION_BYTES
from .operation import Operation
from .response import Response
from .transport import SignAction, SleepAction
from .upload import Upload

if TYPE_CHECKING:  # httpx is imported only when an httpx client is in use
    import asyncio

    import httpx

    from .sign_workers import SignWorkers

__all__ = [
    "DEFAULT_BACKUP_BASE_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_NOTIFICATION_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncAPIClient",
    "Operation",
    "Response",
    "SyncAPIClient",
]

_SyncT = TypeVar("_SyncT", bound="SyncAPIClient")
_AsyncT = TypeVar("_AsyncT", bound="AsyncAPIClient")


class SyncAPIClient(ClientBase["httpx.Client", SyncTransport]):
    """Base of the generated ``WeChatPayClient`` (blocking).

    Requests go over the built-in keep-alive transport, or over ``http_client=`` (an
    ``httpx.Client``) when one is given.
    """

    def _check_http_client(self, http_client: object) -> None:
        if not is_httpx(http_client, "Client"):
            hint = " (the async client takes it)" if is_httpx(http_client, "AsyncClient") else ""
            raise ConfigurationError(
                f"http_client must be an httpx.Client, got {type(http_client).__name__}{hint}"
            )

    def _new_transport(self, http_client: httpx.Client | None) -> SyncTransport:
        if http_client is None and not proxies_configured():
            from .sync_pool import SyncPool

            return SyncPool()
        from .httpx_transport import HttpxSyncTransport, new_sync_client

        if http_client is not None:
            return HttpxSyncTransport(http_client, owned=False)
        return HttpxSyncTransport(new_sync_client(self.timeout), owned=True, timeout=self.timeout)

    def _request(
        self,
        op: Operation,
        *,
        path_params: Mapping[str, str],
        body: Mapping[str, Any] | None,
        extra_headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        query: Sequence[tuple[str, object]] | None = None,
        upload: Upload | None = None,
        max_response_bytes: int | None = None,
        sink: FileSink | None = None,
    ) -> Response:
        flow = self._flow(
            op,
            path_params,
            body,
            extra_headers,
            max_retries,
            timeout,
            query,
            upload,
            max_response_bytes,
            sink=sink,
        )
        return self._run(flow)

    def _run(self, flow: Generator[Step, Outcome, Response]) -> Response:
        transport = self._http
        if transport.is_closed:
            raise WeChatPayError("this client is closed")
        step = next(flow)
        while True:
            outcome: Outcome = None
            try:
                if isinstance(step, SignAction):
                    outcome = step.sign()
                elif isinstance(step, SleepAction):
                    time.sleep(step.seconds)
                elif isinstance(step, CertificatesAction):
                    try:
                        self._download_certificates(step.generation)
                    except WeChatPayError as exc:
                        step = flow.throw(exc)
                        continue
                else:
                    outcome = transport.send(step)
                step = flow.send(outcome)
            except StopIteration as done:
                return cast(Response, done.value)

    def _download_certificates(self, generation: int | None) -> None:
        """One download at a time; none when another thread's finished since ``generation``."""
        store = self._store_or_fail()
        with store.lock:
            if generation is not None and store.generation != generation:
                return
            store.attempted()
            try:
                response = self._run(self._certificates_flow())
            except APIStatusError as exc:
                raise download_failure(exc) from exc
            self._install_certificates(response)

    def refresh_certificates(self) -> list[str]:
        """Download the platform certificates now; returns the serial numbers loaded.

        API calls do not need it (they download when needed); callbacks do, in certificate mode:
        call it at start-up, and when a callback names a serial the client does not know.
        """
        self._download_certificates(None)
        return self.platform_certificate_serials

    def close(self) -> None:
        """Close the connections (never a caller's ``http_client``, which stays open)."""
        self._http.close()

    def __enter__(self: _SyncT) -> _SyncT:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncAPIClient(ClientBase["httpx.AsyncClient", AsyncTransport]):
    """Base of the generated ``AsyncWeChatPayClient`` (asyncio).

    Requests go over the built-in keep-alive transport, or over ``http_client=`` (an
    ``httpx.AsyncClient``) when one is given. While more than one call is in flight, their
    signatures are computed in worker threads.
    """

    #: Threads that sign requests; created when first needed, shut down by ``close()``.
    _sign_pool: SignWorkers | None = None
    #: Calls of this client under way (past validation, not yet returned or raised).
    _in_flight: int = 0
    #: The platform-certificate download under way (shared by the calls that need it).
    _certificate_task: asyncio.Future[None] | None = None

    def _check_http_client(self, http_client: object) -> None:
        if not is_httpx(http_client, "AsyncClient"):
            hint = " (the sync client takes it)" if is_httpx(http_client, "Client") else ""
            raise ConfigurationError(
                f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}{hint}"
            )

    def _new_transport(self, http_client: httpx.AsyncClient | None) -> AsyncTransport:
        if http_client is None and not proxies_configured():
            from .async_pool import AsyncPool

            return AsyncPool()
        from .httpx_transport import HttpxAsyncTransport, new_async_client

        if http_client is not None:
            return HttpxAsyncTransport(http_client, owned=False)
        return HttpxAsyncTransport(new_async_client(self.timeout), owned=True, timeout=self.timeout)

    async def _request(
        self,
        op: Operation,
        *,
        path_params: Mapping[str, str],
        body: Mapping[str, Any] | None,
        extra_headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        query: Sequence[tuple[str, object]] | None = None,
        upload: Upload | None = None,
        max_response_bytes: int | None = None,
        sink: FileSink | None = None,
    ) -> Response:
        flow = self._flow(
            op,
            path_params,
            body,
            extra_headers,
            max_retries,
            timeout,
            query,
            upload,
            max_response_bytes,
            sink=sink,
        )
        return await self._run(flow)

    async def _run(self, flow: Generator[Step, Outcome, Response]) -> Response:
        transport = self._http
        if transport.is_closed:
            raise WeChatPayError("this client is closed")
        step = next(flow)
        self._in_flight += 1
        try:
            while True:
                outcome: Outcome = None
                try:
                    if isinstance(step, SignAction):
                        # A lone call signs here: handing one signature to a thread costs more
                        # than it saves. With more in flight, threads sign in parallel.
                        outcome = (
                            step.sign() if self._in_flight == 1 else await self._sign_off_loop(step)
                        )
                    elif isinstance(step, SleepAction):
                        import asyncio  # the blocking client never imports asyncio

                        await asyncio.sleep(step.seconds)
                    elif isinstance(step, CertificatesAction):
                        try:
                            await self._download_certificates(step.generation)
                        except WeChatPayError as exc:
                            step = flow.throw(exc)
                            continue
                    else:
                        outcome = await transport.send(step)
                    step = flow.send(outcome)
                except StopIteration as done:
                    return cast(Response, done.value)
        finally:
            self._in_flight -= 1

    async def _download_certificates(self, generation: int | None) -> None:
        """Single flight: concurrent calls that need the certificates share one download."""
        import asyncio

        store = self._store_or_fail()
        task = self._certificate_task
        if task is None or task.done():
            if generation is not None and store.generation != generation:
                return  # another call's download finished meanwhile
            task = self._certificate_task = asyncio.ensure_future(self._download_once(store))
        await asyncio.shield(task)

    async def _download_once(self, store: CertificateStore) -> None:
        store.attempted()
        try:
            response = await self._run(self._certificates_flow())
        except APIStatusError as exc:
            raise download_failure(exc) from exc
        self._install_certificates(response)

    async def refresh_certificates(self) -> list[str]:
        """Download the platform certificates now; returns the serial numbers loaded.

        API calls do not need it (they download when needed); callbacks do, in certificate mode:
        call it at start-up, and when a callback names a serial the client does not know.
        """
        await self._download_certificates(None)
        return self.platform_certificate_serials

    async def _sign_off_loop(self, step: SignAction) -> str:
        """Sign in a worker thread, not on the event loop (unless the threads are saturated).

        An RSA-2048 signature takes 0.25-0.7 ms of CPU, during which the loop would serve no other
        call. cryptography releases the GIL while it signs, so with calls in flight the threads
        sign in parallel on other cores while the loop sends and verifies (one thread per core, up
        to 4): at 64 in flight this raised throughput ~1.5x on two cores (BENCHMARKS.md). The
        threads are :class:`.sign_workers.SignWorkers` (leaner than ``run_in_executor``); once
        every thread has a signature queued, it signs on the loop instead of queueing another.
        """
        if self._http.is_closed:  # a call still under way after close(): no new threads
            return step.sign()
        pool = self._sign_pool
        if pool is None:
            from .sign_workers import SignWorkers

            pool = self._sign_pool = SignWorkers(max(1, min(4, os.cpu_count() or 1)))
        return await pool.sign(step.sign)

    async def close(self) -> None:
        """Close the connections (never a caller's ``http_client``, which stays open)."""
        pool, self._sign_pool = self._sign_pool, None
        if pool is not None:
            pool.close()
        await self._http.close()

    aclose = close

    async def __aenter__(self: _AsyncT) -> _AsyncT:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
