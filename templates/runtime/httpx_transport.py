"""Sending through an httpx client: the caller's ``http_client=``, or ours when proxies are set.

Imported only when such a client is in use, so that importing the package does not import httpx.
A caller's client keeps its own defaults (headers, auth, proxy, event hooks): requests are built
with ``client.build_request`` so they merge in; ours are the same as the built-in transport's.

The body is streamed and counted, as in :mod:`.http11`; each attempt's deadline is checked
between body chunks (the async client also enforces it around the whole exchange).
"""

from __future__ import annotations

import asyncio
import sys
import time
from functools import lru_cache

import httpx

from .errors import RequestValidationError
from .tls import default_ssl_context
from .transport import RawResponse, SendAction, TransportFailure, failure

__all__ = ["HttpxAsyncTransport", "HttpxSyncTransport", "new_async_client", "new_sync_client"]


def new_sync_client(timeout: float) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout), follow_redirects=False, verify=default_ssl_context()
    )


def new_async_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout), follow_redirects=False, verify=default_ssl_context()
    )


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
    """Accumulates body chunks up to the size limit and the attempt's deadline."""

    __slots__ = ("_chunks", "_deadline", "_limit", "_size", "keep_partial", "response", "too_large")

    def __init__(self, response: httpx.Response, limit: int, deadline: float) -> None:
        self.response = response
        self._limit = limit
        self._deadline = deadline
        self._chunks: list[bytes] = []
        self._size = 0
        # Error bodies are only informative: keep what fits. A 2xx must be complete or refused.
        self.keep_partial = not (200 <= response.status_code < 300)
        self.too_large = False
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            self.too_large = True

    def feed(self, chunk: bytes) -> bool:
        """Add a chunk; ``True`` means stop reading."""
        room = self._limit - self._size
        if len(chunk) > room:
            self.too_large = True
            if self.keep_partial and room > 0:
                self._chunks.append(chunk[:room])
                self._size += room
            return True
        self._chunks.append(chunk)
        self._size += len(chunk)
        if time.monotonic() > self._deadline:
            raise httpx.ReadTimeout("the response body was not received within the timeout")
        return False

    def result(self) -> RawResponse:
        content = self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)
        response = self.response
        return RawResponse(response.status_code, response.headers, content, self.too_large)


class HttpxSyncTransport:
    """Blocking sends on an ``httpx.Client``; closes it only if it is ours."""

    def __init__(self, http: httpx.Client, *, owned: bool) -> None:
        self.http = http
        self.owned = owned

    @property
    def is_closed(self) -> bool:
        return self.http.is_closed

    def send(self, action: SendAction) -> RawResponse | TransportFailure:
        http = self.http
        deadline = time.monotonic() + action.timeout
        request = _build_request(http, action)
        try:
            response = http.send(request, stream=True, follow_redirects=False)
        except httpx.RequestError as exc:
            return failure(exc, before_response=True)
        try:
            collector = _BodyCollector(response, action.max_bytes, deadline)
            if not collector.too_large or collector.keep_partial:
                for chunk in response.iter_bytes():
                    if collector.feed(chunk):
                        break
            return collector.result()
        except httpx.RequestError as exc:
            return failure(exc, before_response=False)
        finally:
            response.close()

    def close(self) -> None:
        if self.owned:
            self.http.close()


class _Progress:
    __slots__ = ("got_response",)

    def __init__(self) -> None:
        self.got_response = False


class HttpxAsyncTransport:
    """Asyncio sends on an ``httpx.AsyncClient``; closes it only if it is ours."""

    def __init__(self, http: httpx.AsyncClient, *, owned: bool) -> None:
        self.http = http
        self.owned = owned

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
        progress.got_response = True
        try:
            collector = _BodyCollector(response, action.max_bytes, deadline)
            if not collector.too_large or collector.keep_partial:
                async for chunk in response.aiter_bytes():
                    if collector.feed(chunk):
                        break
            return collector.result()
        except httpx.RequestError as exc:
            return failure(exc, before_response=False)
        finally:
            await response.aclose()

    async def send(self, action: SendAction) -> RawResponse | TransportFailure:
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
