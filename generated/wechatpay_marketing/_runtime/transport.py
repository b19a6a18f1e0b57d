"""The only code that touches the network: one HTTP exchange, sync or async.

The retry/verify logic in ``client.py`` is written once as a generator that yields
:class:`SendAction` / :class:`SleepAction` and receives a :class:`RawResponse` or a
:class:`TransportFailure`; the two functions here are the sync and async ways to carry out a send.

Hostile responses: the body is streamed and counted; a 2xx larger than ``max_bytes`` is refused
without being read whole (a declared ``Content-Length`` over the limit is refused before reading),
an error body is truncated at the limit. Each attempt has a deadline of ``timeout`` seconds, checked
between body chunks, so a server that trickles bytes is cut off (the async client also enforces the
deadline around the whole exchange).
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from dataclasses import dataclass
from functools import lru_cache

import httpx

__all__ = [
    "RawResponse",
    "SendAction",
    "SleepAction",
    "TransportFailure",
    "default_ssl_context",
    "send_async",
    "send_sync",
]


@lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client this package creates.

    Building a context (loading the CA bundle) costs ~30 ms; sharing it makes creating a client
    cheap. ``SSLContext`` is safe to share between connections and threads.
    """
    return httpx.create_ssl_context()


@dataclass(slots=True)
class SendAction:
    method: str
    url: httpx.URL
    headers: dict[str, str]
    content: bytes | None
    timeout: float
    httpx_timeout: httpx.Timeout
    max_bytes: int
    #: The httpx client is our own: build the request directly (its headers are complete) instead
    #: of merging in client defaults, which a user-supplied client may carry (auth, proxy, ...).
    direct: bool


@dataclass(slots=True)
class SleepAction:
    seconds: float


@dataclass(slots=True)
class RawResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    too_large: bool


@dataclass(slots=True)
class TransportFailure:
    """An exchange that produced no usable response.

    ``before_response``: no status line/headers were received. ``retryable``: a network-level
    failure worth another attempt. ``failover``: a connection-level failure (connect, DNS, TLS,
    timeout before a response) that justifies switching to the backup domain.
    """

    error: Exception
    before_response: bool
    timed_out: bool
    retryable: bool
    failover: bool


def _failure(error: Exception, before_response: bool) -> TransportFailure:
    timed_out = isinstance(error, httpx.TimeoutException)
    retryable = isinstance(error, httpx.TransportError) and not isinstance(
        error, (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError)
    )
    failover = before_response and isinstance(error, (httpx.ConnectError, httpx.TimeoutException))
    return TransportFailure(error, before_response, timed_out, retryable, failover)


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


def _build_request(http: httpx.Client | httpx.AsyncClient, action: SendAction) -> httpx.Request:
    if action.direct:
        return httpx.Request(
            action.method,
            action.url,
            headers=action.headers,
            content=action.content,
            extensions={"timeout": action.httpx_timeout.as_dict()},
        )
    return http.build_request(
        action.method,
        action.url,
        headers=action.headers,
        content=action.content,
        timeout=action.httpx_timeout,
    )


def send_sync(http: httpx.Client, action: SendAction) -> RawResponse | TransportFailure:
    deadline = time.monotonic() + action.timeout
    request = _build_request(http, action)
    try:
        response = http.send(request, stream=True, follow_redirects=False)
    except httpx.RequestError as exc:
        return _failure(exc, before_response=True)
    try:
        collector = _BodyCollector(response, action.max_bytes, deadline)
        if not collector.too_large or collector.keep_partial:
            for chunk in response.iter_bytes():
                if collector.feed(chunk):
                    break
        return collector.result()
    except httpx.RequestError as exc:
        return _failure(exc, before_response=False)
    finally:
        response.close()


class _Progress:
    __slots__ = ("got_response",)

    def __init__(self) -> None:
        self.got_response = False


async def _exchange_async(
    http: httpx.AsyncClient, action: SendAction, deadline: float, progress: _Progress
) -> RawResponse | TransportFailure:
    request = _build_request(http, action)
    try:
        response = await http.send(request, stream=True, follow_redirects=False)
    except httpx.RequestError as exc:
        return _failure(exc, before_response=True)
    progress.got_response = True
    try:
        collector = _BodyCollector(response, action.max_bytes, deadline)
        if not collector.too_large or collector.keep_partial:
            async for chunk in response.aiter_bytes():
                if collector.feed(chunk):
                    break
        return collector.result()
    except httpx.RequestError as exc:
        return _failure(exc, before_response=False)
    finally:
        await response.aclose()


async def send_async(http: httpx.AsyncClient, action: SendAction) -> RawResponse | TransportFailure:
    deadline = time.monotonic() + action.timeout
    progress = _Progress()
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(action.timeout):
                return await _exchange_async(http, action, deadline, progress)
        else:  # pragma: no cover - Python 3.10
            return await asyncio.wait_for(
                _exchange_async(http, action, deadline, progress), action.timeout
            )
    except (TimeoutError, asyncio.TimeoutError):  # distinct classes on Python 3.10
        error = httpx.ReadTimeout(f"no complete response within {action.timeout} s")
        return _failure(error, before_response=not progress.got_response)
