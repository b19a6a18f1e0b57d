"""What the client core asks of a transport, and what it gets back.

The retry/verify logic in ``call_flow.py`` is written once as a generator that yields
:class:`SignAction` (receives the Authorization value), :class:`SendAction` (receives a
:class:`RawResponse` or a :class:`TransportFailure`) and :class:`SleepAction`. The sync client runs
a signature inline; the async one in a worker thread (see ``AsyncAPIClient``). Three transports
carry out a send:

- the built-in one (``sync_pool.py`` / ``async_pool.py``): keep-alive HTTP/1.1 straight on
  sockets, the default; it costs a fraction of a general-purpose HTTP client per call;
- ``httpx_transport.py``: a caller's ``http_client=`` (an ``httpx.Client`` or ``AsyncClient``),
  and our own httpx client when proxy environment variables are set (httpx honours them).

Hostile responses get the same treatment from all three: a 2xx larger than ``max_bytes`` is refused
(a declared ``Content-Length`` over the limit before reading), an error body is cut at the limit,
and each attempt has a deadline of ``timeout`` seconds for the whole exchange. A body is held in
memory once (:mod:`.body`), or written to the action's file sink (a streamed unsigned file).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from .body import FileSink

__all__ = [
    "DEFAULT_PORTS",
    "Endpoint",
    "RawResponse",
    "SendAction",
    "SignAction",
    "SleepAction",
    "TransportFailure",
    "asks_to_close",
    "environment_proxies",
    "failure",
    "forget_after_fork",
]

#: The port a URL of each scheme means when it names none.
DEFAULT_PORTS: Final = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A base URL split into what is connected to (origin) and what is signed (path prefix)."""

    origin: str  # "https://api.mch.weixin.qq.com", lower-case scheme and host, port if not default
    prefix: str  # "" or "/some/prefix", percent-encoded
    scheme: str = field(init=False, repr=False, compare=False)
    host: str = field(init=False, repr=False, compare=False)  # for connecting and SNI
    port: int = field(init=False, repr=False, compare=False)
    netloc: str = field(init=False, repr=False, compare=False)  # the Host header

    def __post_init__(self) -> None:
        scheme, _, netloc = self.origin.partition("://")
        if netloc.startswith("["):
            host, _, port_text = netloc[1:].partition("]")
            port_text = port_text[1:]
        else:
            host, _, port_text = netloc.partition(":")
        port = int(port_text) if port_text else DEFAULT_PORTS.get(scheme, 80)
        object.__setattr__(self, "scheme", scheme)
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "port", port)
        object.__setattr__(self, "netloc", netloc)

    @property
    def display(self) -> str:
        return self.origin + self.prefix


@dataclass(slots=True)
class SendAction:
    method: str
    endpoint: Endpoint
    target: str  # the request target exactly as signed: prefix + rendered path
    headers: dict[str, str] = field(repr=False)  # carries the live Authorization value
    content: bytes | None = field(repr=False)
    timeout: float  # seconds for the whole exchange of this attempt
    max_bytes: int
    #: Where a streamed file answer goes (``with_streaming_response``); None: into memory.
    sink: FileSink | None = field(default=None, repr=False)


@dataclass(slots=True)
class SleepAction:
    seconds: float


@dataclass(slots=True)
class SignAction:
    """Sign one attempt: ``sign()`` returns its Authorization value (an RSA signature)."""

    sign: Callable[[], str] = field(repr=False)  # holds the key and the body


@dataclass(slots=True)
class RawResponse:
    status_code: int
    headers: Mapping[str, str]  # case-insensitive lookup
    content: bytes
    too_large: bool
    streamed: bool = False  # the body went to the action's sink; ``content`` is empty


@dataclass(slots=True)
class TransportFailure:
    """An exchange that produced no usable response.

    ``error`` is an ``httpx`` exception whichever transport failed, so callers see one family
    (it becomes the ``__cause__`` of :class:`APIConnectionError`). ``before_response``: no status
    line/headers were received. ``retryable``: a network-level failure worth another attempt.
    ``failover``: a connection-level failure (connect, DNS, TLS, timeout before a response) that
    justifies switching to the backup domain. ``unsent``: no connection was made, so the server
    cannot have received the request (a timeout waiting for the answer does not qualify).
    """

    error: Exception
    before_response: bool
    timed_out: bool
    retryable: bool
    failover: bool
    unsent: bool = False


def failure(error: Exception, before_response: bool) -> TransportFailure:
    import httpx  # failures only: keeps httpx out of the import time of the package

    timed_out = isinstance(error, httpx.TimeoutException)
    retryable = isinstance(error, httpx.TransportError) and not isinstance(
        error, (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError)
    )
    # PoolTimeout is local congestion (no free connection here), not a failing access point.
    failover = (
        before_response
        and isinstance(error, (httpx.ConnectError, httpx.TimeoutException))
        and not isinstance(error, httpx.PoolTimeout)
    )
    unsent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
    return TransportFailure(error, before_response, timed_out, retryable, failover, unsent)


def asks_to_close(headers: Mapping[str, str]) -> bool:
    """Whether the caller's headers say ``Connection: close`` (the connection is then not kept)."""
    for name, value in headers.items():
        if len(name) == 10 and name.lower() == "connection":
            return "close" in value.lower()
    return False


class _ForkAware(Protocol):
    def _after_fork(self) -> None: ...


_FORK_AWARE: weakref.WeakSet[_ForkAware] = weakref.WeakSet()


def forget_after_fork(holder: _ForkAware) -> None:
    """Have ``holder._after_fork()`` called in the child after ``os.fork()``.

    A child must never use the parent's keep-alive connections: the two processes would read each
    other's responses, and a WeChat Pay response signature does not cover the request, so a
    swapped response would verify. Holders drop (without any shutdown on the wire) what they
    inherited and open their own connections.
    """
    _FORK_AWARE.add(holder)


def _forget_in_child() -> None:
    for holder in list(_FORK_AWARE):
        holder._after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_forget_in_child)


def environment_proxies() -> dict[str, str]:
    """The proxy variables as urllib (and so httpx) reads them: ``{"https": url, ...}``.

    Names in any case (``HTTPS_PROXY``, ``https_proxy``, ``Https_Proxy``); an all-lower-case name
    wins over the others, even empty; ``HTTP_PROXY`` is ignored in a CGI request
    (``REQUEST_METHOD`` set), as urllib does against "httpoxy".
    """
    found: dict[str, str] = {}
    for name, value in os.environ.items():
        key = name.lower()
        if value and key.endswith("_proxy"):
            found[key[:-6]] = value
    for name, value in os.environ.items():
        if name.endswith("_proxy") and name.islower():
            if value:
                found[name[:-6]] = value
            else:
                found.pop(name[:-6], None)
    if "REQUEST_METHOD" in os.environ:
        found.pop("http", None)
    return found
