"""Sending through an httpx client: the caller's ``http_client=``, or ours when proxies are set.

Imported only when such a client is in use, so that importing the package does not import httpx.
A caller's client keeps its own defaults (headers, auth, proxy, event hooks): requests are built
with ``client.build_request`` so they merge in; ours are the same as the built-in transport's.

The body is streamed and counted, as in :mod:`.http11`: kept once in memory, or written to the
call's file sink (a streamed unsigned file). Each attempt's deadline covers the whole
exchange, head included: httpx's own timeouts apply to each read, so a server trickling its
response a byte at a time would hold a call for as long as it likes. The async transport wraps the
exchange in a timeout; the blocking one runs it in a worker thread, in the caller's context
(``contextvars``), and stops waiting at the deadline (the worker ends on httpx's read timeout and
closes the response).

After ``os.fork()`` our own client is replaced in the child (its connections are the parent's). A
caller's ``http_client=`` cannot be: the child logs a warning on its first call (a process that
forks must create its clients after the fork).
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache

import httpx

from .body import BodyBuffer
from .errors import ConfigurationError, RequestValidationError
from .log import logger
from .tls import default_ssl_context
from .transport import (
    RawResponse,
    SendAction,
    TransportFailure,
    environment_proxies,
    failure,
    forget_after_fork,
)

__all__ = ["HttpxAsyncTransport", "HttpxSyncTransport", "new_async_client", "new_sync_client"]


_WORKERS = 64


def _warn_inherited_client() -> None:
    logger.warning(
        "this process was forked after its http_client= was created: the child shares that "
        "client's keep-alive connections with the parent, and the two can read each other's "
        "responses; create the httpx client after the fork (the built-in transport does this "
        "by itself)"
    )


def new_sync_client(timeout: float) -> httpx.Client:
    try:
        return httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=False, verify=default_ssl_context()
        )
    except ImportError as exc:
        raise _proxy_support_missing(exc) from None


def new_async_client(timeout: float) -> httpx.AsyncClient:
    try:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, verify=default_ssl_context()
        )
    except ImportError as exc:
        raise _proxy_support_missing(exc) from None


def _proxy_support_missing(exc: ImportError) -> ConfigurationError:
    """httpx needs an optional package for a proxy in the environment (SOCKS: socksio)."""
    schemes = sorted(
        f"{scheme.upper()}_PROXY"
        for scheme, url in environment_proxies().items()
        if url.lower().startswith("socks")
    )
    where = f" ({', '.join(schemes)})" if schemes else ""
    return ConfigurationError(
        f"a SOCKS proxy is set in the environment{where}, and httpx cannot use it without the "
        f"socksio package ({exc.name or 'socksio'} is missing): pip install 'httpx[socks]', or "
        "unset the variable"
    )


def _declared_length(response: httpx.Response) -> int | None:
    """The Content-Length the server declared (``1 << 62`` for an absurd one), else None."""
    declared = (response.headers.get("Content-Length") or "").strip()
    if not (declared.isascii() and declared.isdigit()):
        return None
    digits = declared.lstrip("0")
    return 1 << 62 if len(digits) > 18 else int(digits or "0")


def _unreadable(exc: ValueError) -> httpx.RemoteProtocolError:
    # h11 lets a few malformed responses through as ValueError (a 5,000-digit Content-Length).
    return httpx.RemoteProtocolError(f"unreadable response: {type(exc).__name__}")


@lru_cache(maxsize=1024)
def url_for(origin: str, target: str) -> httpx.URL:
    """The URL to send; refuses a target httpx would alter (the signed one must be the sent one).

    Cached: parsing a URL is a measurable part of a call, and the same targets recur.
    """
    url = httpx.URL(origin + target)
    if url.raw_path != target.encode("ascii"):
        raise RequestValidationError("", f"the request target {target!r} would not be sent as is")
    return url


@lru_cache(maxsize=64)
def _timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds)


def _build_request(http: httpx.Client | httpx.AsyncClient, action: SendAction) -> httpx.Request:
    return http.build_request(
        action.method,
        url_for(action.endpoint.origin, action.target),
        headers=action.headers,
        content=action.content,
        timeout=_timeout(action.timeout),
    )


class _BodyCollector:
    """Collects the body up to the size limit and the attempt's deadline: in memory, or into the
    call's file sink when the sink wants this answer."""

    __slots__ = (
        "_body",
        "_deadline",
        "_limit",
        "_sink",
        "_size",
        "keep_partial",
        "response",
        "too_large",
    )

    def __init__(self, response: httpx.Response, action: SendAction, deadline: float) -> None:
        self.response = response
        self._deadline = deadline
        self._body = BodyBuffer()
        self._size = 0
        # Error bodies are only informative: keep what fits. A 2xx must be complete or refused.
        self.keep_partial = not (200 <= response.status_code < 300)
        sink = action.sink
        limit = action.max_bytes
        if sink is not None and sink.wants(response.status_code, response.headers):
            sink.begin()
            limit = 1 << 62 if sink.max_bytes is None else sink.max_bytes
        else:
            sink = None
        self._sink = sink
        self._limit = limit
        declared = _declared_length(response)
        self.too_large = declared is not None and declared > limit
        if declared and not self.too_large and not self.keep_partial and sink is None:
            self._body.expect(declared)

    def feed(self, chunk: bytes) -> bool:
        """Add a chunk; ``True`` means stop reading."""
        room = self._limit - self._size
        if len(chunk) > room:
            self.too_large = True
            if self.keep_partial and room > 0:
                self._body.add(chunk[:room])
                self._size += room
            return True
        if self._sink is not None:
            self._sink.write(chunk)
        else:
            self._body.add(chunk)
        self._size += len(chunk)
        if time.monotonic() > self._deadline:
            raise httpx.ReadTimeout("the response body was not received within the timeout")
        return False

    def result(self) -> RawResponse:
        response = self.response
        return RawResponse(
            response.status_code,
            response.headers,
            self._body.value(),
            self.too_large,
            streamed=self._sink is not None,
        )


class _Progress:
    __slots__ = ("abandoned", "got_response")

    def __init__(self) -> None:
        self.got_response = False
        self.abandoned = False  # the caller stopped waiting: stop reading


class HttpxSyncTransport:
    """Blocking sends on an ``httpx.Client``; closes it only if it is ours."""

    def __init__(self, http: httpx.Client, *, owned: bool, timeout: float = 10.0) -> None:
        self.http = http
        self.owned = owned
        self._timeout = timeout
        self._workers: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._forked = False
        forget_after_fork(self)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self._workers = None  # its threads did not survive the fork
        self._forked = True

    @property
    def is_closed(self) -> bool:
        return self.http.is_closed

    def _executor(self) -> ThreadPoolExecutor:
        workers = self._workers
        if workers is None:
            with self._lock:
                if self._forked:
                    self._forked = False
                    if self.owned:  # the parent's connections: start afresh
                        self.http = new_sync_client(self._timeout)
                    else:  # a caller's client: theirs to replace; say so
                        _warn_inherited_client()
                workers = self._workers
                if workers is None:
                    workers = self._workers = ThreadPoolExecutor(_WORKERS, "wechatpay-httpx")
        return workers

    def send(self, action: SendAction) -> RawResponse | TransportFailure:
        deadline = time.monotonic() + action.timeout
        executor = self._executor()  # first: after a fork it renews our client
        request = _build_request(self.http, action)
        progress = _Progress()
        # The caller's context goes along (tracing instrumentation of httpx reads it there).
        context = contextvars.copy_context()
        future = executor.submit(context.run, self._exchange, request, action, deadline, progress)
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            progress.abandoned = True
            error = httpx.ReadTimeout(f"no complete response within {action.timeout} s")
            return failure(error, before_response=not progress.got_response)

    def _exchange(
        self, request: httpx.Request, action: SendAction, deadline: float, progress: _Progress
    ) -> RawResponse | TransportFailure:
        try:
            response = self.http.send(request, stream=True, follow_redirects=False)
        except httpx.RequestError as exc:
            return failure(exc, before_response=True)
        except ValueError as exc:
            return failure(_unreadable(exc), before_response=True)
        progress.got_response = True
        try:
            collector = _BodyCollector(response, action, deadline)
            if not collector.too_large or collector.keep_partial:
                for chunk in response.iter_bytes():
                    if collector.feed(chunk) or progress.abandoned:
                        break
            return collector.result()
        except httpx.RequestError as exc:
            return failure(exc, before_response=False)
        except ValueError as exc:
            return failure(_unreadable(exc), before_response=False)
        finally:
            response.close()

    def close(self) -> None:
        workers, self._workers = self._workers, None
        if workers is not None:
            workers.shutdown(wait=False)
        if self.owned:
            self.http.close()


class HttpxAsyncTransport:
    """Asyncio sends on an ``httpx.AsyncClient``; closes it only if it is ours."""

    def __init__(self, http: httpx.AsyncClient, *, owned: bool, timeout: float = 10.0) -> None:
        self.http = http
        self.owned = owned
        self._timeout = timeout
        self._forked = False
        forget_after_fork(self)

    def _after_fork(self) -> None:
        self._forked = True

    @property
    def is_closed(self) -> bool:
        return self.http.is_closed

    async def _exchange(
        self, action: SendAction, deadline: float, progress: _Progress
    ) -> RawResponse | TransportFailure:
        http = self.http
        request = _build_request(http, action)
        try:
            response = await http.send(request, stream=True, follow_redirects=False)
        except httpx.RequestError as exc:
            return failure(exc, before_response=True)
        except ValueError as exc:
            return failure(_unreadable(exc), before_response=True)
        progress.got_response = True
        try:
            collector = _BodyCollector(response, action, deadline)
            if not collector.too_large or collector.keep_partial:
                async for chunk in response.aiter_bytes():
                    if collector.feed(chunk):
                        break
            return collector.result()
        except httpx.RequestError as exc:
            return failure(exc, before_response=False)
        except ValueError as exc:
            return failure(_unreadable(exc), before_response=False)
        finally:
            await response.aclose()

    async def send(self, action: SendAction) -> RawResponse | TransportFailure:
        if self._forked:
            self._forked = False
            if self.owned:  # the parent's connections: start afresh
                self.http = new_async_client(self._timeout)
            else:  # a caller's client: theirs to replace; say so
                _warn_inherited_client()
        deadline = time.monotonic() + action.timeout
        progress = _Progress()
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(action.timeout):
                    return await self._exchange(action, deadline, progress)
            else:  # pragma: no cover - Python 3.10
                return await asyncio.wait_for(
                    self._exchange(action, deadline, progress), action.timeout
                )
        except (TimeoutError, asyncio.TimeoutError):  # distinct classes on Python 3.10
            error = httpx.ReadTimeout(f"no complete response within {action.timeout} s")
            return failure(error, before_response=not progress.got_response)

    async def close(self) -> None:
        if self.owned:
            await self.http.aclose()
