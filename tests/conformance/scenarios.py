"""The adversarial-server scenarios, each judged against what RFC 9110/9112 (or plain safety)
asks of a client.

A scenario runs against one :class:`.sides.Side` and returns a :class:`Verdict`: ``ok`` when the
side did what a correct, safe client must, and a few words on what happened. The suite runs every
scenario against both transports; the built-in one may never do worse than httpx. ``gap=True``
marks a scenario where both fall short of the RFC (on purpose or not): the suite then checks that
both still do, so the table in the README stays true.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from .adversary import OK, AdversaryServer, Peer, serve_forever
from .sides import Outcome, Side

FULL = os.environ.get("CONFORMANCE", "short") == "full"
#: The per-attempt deadline of the deadline scenarios, and the slack allowed past it.
DEADLINE = 1.0 if FULL else 0.4
SLACK = 0.8
#: Seconds between two bytes of a trickling server: always well under the deadline.
TRICKLE = 0.1 if FULL else 0.05


@dataclass
class Verdict:
    ok: bool
    note: str


@dataclass
class Context:
    tr: SimpleNamespace
    certificate: SimpleNamespace
    other_certificate: SimpleNamespace
    client_kwargs: dict[str, Any]

    def side(self, name: str, mode: str, **kwargs: Any) -> Side:
        return Side(self.tr, name, mode, **kwargs)


Run = Callable[[Context, str, str], Verdict]


@dataclass
class Scenario:
    area: str
    title: str
    run: Run
    modes: tuple[str, ...] = ("sync", "async")
    gap: bool = False  # both transports fall short of the RFC here (the suite checks it)

    @property
    def id(self) -> str:
        return self.run.__name__


SCENARIOS: list[Scenario] = []


def scenario(area: str, title: str, **options: Any) -> Callable[[Run], Run]:
    def register(run: Run) -> Run:
        SCENARIOS.append(Scenario(area, title, run, **options))
        return run

    return register


def once(reply: bytes, *, then_close: bool = False, linger: float = 0.3) -> Callable[[Peer], None]:
    """Answer the first request on each connection with ``reply`` (raw bytes)."""

    def handler(peer: Peer) -> None:
        if peer.read_request() is None:
            return
        peer.send(reply)
        if not then_close:
            time.sleep(linger)

    return handler


def one_call(
    ctx: Context, name: str, mode: str, handler: Callable[[Peer], None], **kw: Any
) -> Outcome:
    with AdversaryServer(handler) as server:
        side = ctx.side(name, mode)
        try:
            return side.send(server.url, **kw)
        finally:
            side.close()


def refused(outcome: Outcome) -> Verdict:
    """The response had to be refused as a clean failure (never a crash, never a response)."""
    return Verdict(outcome.kind == "failure", outcome.describe())


# -- TLS ---------------------------------------------------------------------------------------


def _tls_call(ctx: Context, name: str, mode: str, server_cert: Any, client_context: Any) -> Outcome:
    with AdversaryServer(serve_forever(), tls=server_cert.server_context) as server:
        side = ctx.side(name, mode, ssl_context=client_context)
        try:
            return side.send(f"https://localhost:{server.port}")
        finally:
            side.close()


@scenario("TLS", "an untrusted certificate is refused")
def tls_untrusted(ctx: Context, name: str, mode: str) -> Verdict:
    import ssl

    import certifi

    public_only = ssl.create_default_context(cafile=certifi.where())
    outcome = _tls_call(ctx, name, mode, ctx.certificate, public_only)
    return Verdict(outcome.error == "ConnectError", outcome.describe())


@scenario("TLS", "a certificate for another host name is refused")
def tls_wrong_host(ctx: Context, name: str, mode: str) -> Verdict:
    other = ctx.other_certificate
    outcome = _tls_call(ctx, name, mode, other, other.client_context)
    return Verdict(outcome.error == "ConnectError", outcome.describe())


@scenario("TLS", "a trusted server: calls share one TLS connection")
def tls_keep_alive(ctx: Context, name: str, mode: str) -> Verdict:
    with AdversaryServer(serve_forever(), tls=ctx.certificate.server_context) as server:
        side = ctx.side(name, mode, ssl_context=ctx.certificate.client_context)
        try:
            outcomes = [side.send(f"https://localhost:{server.port}") for _ in range(3)]
        finally:
            side.close()
    ok = all(o.status == 200 for o in outcomes) and server.connections == 1
    return Verdict(
        ok, f"{[o.describe() for o in outcomes][-1]}, {server.connections} connection(s)"
    )


# -- framing -----------------------------------------------------------------------------------


@scenario("framing", "chunked body with extensions and trailers")
def chunked(ctx: Context, name: str, mode: str) -> Verdict:
    reply = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;x=1\r\n{"a"\r\n3\r\n:1}\r\n0\r\nX-T: 1\r\n\r\n'
    )
    outcome = one_call(ctx, name, mode, once(reply))
    return Verdict(outcome.body == b'{"a":1}', outcome.describe())


@scenario("framing", "both Transfer-Encoding and Content-Length: refused (smuggling shape)")
def te_and_cl(ctx: Context, name: str, mode: str) -> Verdict:
    reply = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" b"0\r\n\r\n"
    )
    return refused(one_call(ctx, name, mode, once(reply)))


@scenario("framing", "two different Content-Length values: refused")
def two_lengths(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x"
    return refused(one_call(ctx, name, mode, once(reply)))


@scenario("framing", "an obs-folded header line is unfolded (RFC 9112 5.2)")
def obs_fold(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 2\r\n\r\n{}"
    outcome = one_call(ctx, name, mode, once(reply))
    value = outcome.headers.get("x-a") if outcome.kind == "response" else None
    return Verdict(value == "one two", f"{outcome.describe()}, X-A={value!r}")


@scenario("framing", "bare-LF line endings are read at once (RFC 9112 2.2)")
def bare_lf(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\nContent-Length: 2\n\n{}"
    outcome = one_call(ctx, name, mode, once(reply, linger=3.0), timeout=2.0)
    ok = outcome.body == b"{}" and outcome.seconds < 1.0
    return Verdict(ok, f"{outcome.describe()} in {outcome.seconds:.1f} s")


@scenario("framing", "a lenient chunk size (0x5) is refused")
def chunk_size_0x(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n"
    return refused(one_call(ctx, name, mode, once(reply)))


@scenario("framing", "a body cut short of its Content-Length is an error, not a response")
def short_body(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"
    return refused(one_call(ctx, name, mode, once(reply, then_close=True)))


@scenario("framing", "an interim 100 Continue is skipped")
def interim(ctx: Context, name: str, mode: str) -> Verdict:
    outcome = one_call(ctx, name, mode, once(b"HTTP/1.1 100 Continue\r\n\r\n" + OK))
    return Verdict(outcome.status == 200 and outcome.body == b'{"ok":true}', outcome.describe())


@scenario("framing", "a 5,000-digit Content-Length: a clean refusal, no crash")
def huge_length(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n{}"
    outcome = one_call(ctx, name, mode, once(reply))
    return Verdict(outcome.kind == "failure" or outcome.too_large, outcome.describe())


@scenario(
    "framing",
    "Transfer-Encoding other than chunked: RFC 9112 6.3 says read until close; both refuse",
    gap=True,
)
def other_coding(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n{}"
    outcome = one_call(ctx, name, mode, once(reply, then_close=True))
    return Verdict(outcome.body == b"{}", outcome.describe())


# -- keep-alive --------------------------------------------------------------------------------


def _calls(
    ctx: Context, name: str, mode: str, handler: Callable[[Peer], None], n: int, **kw: Any
) -> tuple[list[Outcome], int]:
    with AdversaryServer(handler) as server:
        side = ctx.side(name, mode)
        try:
            outcomes = []
            for _ in range(n):
                outcomes.append(side.send(server.url, **kw))
                time.sleep(0.1)  # let a server's close reach the idle connection
        finally:
            side.close()
    return outcomes, server.connections


@scenario("keep-alive", "an idle connection the server closed is replaced, not a failed call")
def idle_closed(ctx: Context, name: str, mode: str) -> Verdict:
    outcomes, connections = _calls(ctx, name, mode, once(OK, then_close=True), 3)
    ok = all(o.status == 200 for o in outcomes)
    return Verdict(ok, f"{', '.join(o.describe() for o in outcomes)}; {connections} connections")


@scenario("keep-alive", "a caller's Connection: close is honoured")
def caller_close(ctx: Context, name: str, mode: str) -> Verdict:
    outcomes, connections = _calls(
        ctx, name, mode, serve_forever(), 2, headers={"Connection": "close"}
    )
    ok = all(o.status == 200 for o in outcomes) and connections == 2
    return Verdict(ok, f"{connections} connections for 2 calls")


@scenario("keep-alive", "a server's Connection: close is honoured")
def server_close(ctx: Context, name: str, mode: str) -> Verdict:
    closing = OK.replace(b"OK\r\n", b"OK\r\nConnection: close\r\n", 1)
    outcomes, connections = _calls(ctx, name, mode, serve_forever(closing), 2)
    ok = all(o.status == 200 for o in outcomes) and connections == 2
    return Verdict(ok, f"{connections} connections for 2 calls")


@scenario("keep-alive", "keep-alive: three calls, one connection")
def keep_alive(ctx: Context, name: str, mode: str) -> Verdict:
    outcomes, connections = _calls(ctx, name, mode, serve_forever(), 3)
    ok = all(o.status == 200 for o in outcomes) and connections == 1
    return Verdict(ok, f"{connections} connection(s) for 3 calls")


# -- deadlines ---------------------------------------------------------------------------------


def _deadline(outcome: Outcome) -> Verdict:
    ok = outcome.timed_out and outcome.seconds < DEADLINE + SLACK
    return Verdict(
        ok, f"{outcome.describe()} after {outcome.seconds:.1f} s (deadline {DEADLINE} s)"
    )


@scenario("deadlines", "a head trickled byte by byte is cut at the deadline")
def trickled_head(ctx: Context, name: str, mode: str) -> Verdict:
    def handler(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(OK, trickle=TRICKLE)

    return _deadline(one_call(ctx, name, mode, handler, timeout=DEADLINE))


@scenario("deadlines", "a body trickled byte by byte is cut at the deadline")
def trickled_body(ctx: Context, name: str, mode: str) -> Verdict:
    def handler(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n")
            peer.send(b"x" * 200, trickle=TRICKLE)

    return _deadline(one_call(ctx, name, mode, handler, timeout=DEADLINE))


@scenario("deadlines", "a server that never answers: a timeout at the deadline")
def silent(ctx: Context, name: str, mode: str) -> Verdict:
    def handler(peer: Peer) -> None:
        peer.read_request()
        time.sleep(DEADLINE + SLACK + 1)

    return _deadline(one_call(ctx, name, mode, handler, timeout=DEADLINE))


# -- cancellation ------------------------------------------------------------------------------


@scenario(
    "cancellation",
    "a call cancelled mid-response leaves no bytes for the next call",
    modes=("async",),
)
def cancelled(ctx: Context, name: str, mode: str) -> Verdict:
    def handler(peer: Peer) -> None:
        while (request := peer.read_request()) is not None:
            if request.body == b"{}" and len(peer.server.requests) == 1:
                peer.send(b'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"ok"')
                time.sleep(0.4)
                peer.send(b":true}")
            else:
                peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n" + b'{"n":2}\n')

    with AdversaryServer(handler) as server:
        side = ctx.side(name, mode)
        try:
            side.send_cancelled(server.url, 0.15)
            time.sleep(0.5)
            outcome = side.send(server.url)
        finally:
            side.close()
    return Verdict(
        outcome.body == b'{"n":2}\n', f"next call: {outcome.describe()} {outcome.body[:12]!r}"
    )


# -- fork --------------------------------------------------------------------------------------


@scenario("fork", "a forked child opens its own connection (pre-fork servers)", modes=("sync",))
def forked(ctx: Context, name: str, mode: str) -> Verdict:
    with AdversaryServer(serve_forever()) as server:
        side = ctx.side(name, mode)
        try:
            first = side.send(server.url)
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                try:
                    os.write(write_end, str(side.send(server.url).status).encode())
                finally:
                    os._exit(0)
            os.close(write_end)
            child = os.read(read_end, 100).decode()
            os.close(read_end)
            os.waitpid(pid, 0)
            after = side.send(server.url)
        finally:
            side.close()
    ok = first.status == after.status == 200 and child == "200" and server.connections == 2
    return Verdict(ok, f"child got HTTP {child}; {server.connections} connections")


# -- proxies -----------------------------------------------------------------------------------


@scenario("proxies", "a proxy variable in any case (Http_Proxy) is honoured", modes=("sync",))
def proxy_any_case(ctx: Context, name: str, mode: str) -> Verdict:
    import httpx

    saved = {k: v for k, v in os.environ.items() if k.lower().endswith("_proxy")}
    for key in saved:
        del os.environ[key]
    with AdversaryServer(
        serve_forever(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
    ) as proxy:
        os.environ["Http_Proxy"] = proxy.url
        try:
            kwargs = dict(ctx.client_kwargs)
            if name == "httpx":
                kwargs["http_client"] = httpx.Client()  # trust_env: httpx reads the variables
            client = ctx.tr.client.SyncAPIClient(**kwargs, max_retries=0)
            op = ctx.tr.client.Operation("x", "GET", "/v3/x", "merchant", False)
            try:
                client._request(op, path_params={}, body=None)
            except ctx.tr.errors.WeChatPayError:
                pass
            client.close()
            if name == "httpx":
                kwargs["http_client"].close()
        finally:
            del os.environ["Http_Proxy"]
            os.environ.update(saved)
    seen = [r.head.split(b"\r\n")[0].decode() for r in proxy.requests]
    ok = bool(seen) and seen[0].startswith("GET http://127.0.0.1:9/v3/x")
    return Verdict(ok, f"proxy saw {seen[:1]}")


# -- limits ------------------------------------------------------------------------------------


@scenario("limits", "a 2xx declared larger than the limit is refused unread")
def declared_too_large(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n" + b"x" * 1000
    outcome = one_call(ctx, name, mode, once(reply))
    return Verdict(outcome.too_large and not outcome.body, outcome.describe())


@scenario("limits", "a 2xx streamed past the limit is refused")
def streamed_too_large(ctx: Context, name: str, mode: str) -> Verdict:
    def handler(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            for _ in range(40):
                peer.send(b"x" * 65536)

    outcome = one_call(ctx, name, mode, handler)
    return Verdict(outcome.too_large, outcome.describe())


@scenario("limits", "a 100 KiB response head is refused")
def huge_head(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100_000 + b"\r\nContent-Length: 2\r\n\r\n{}"
    return refused(one_call(ctx, name, mode, once(reply)))


@scenario("limits", "an early 413 to a large body is the answer (not a write error)")
def early_413(ctx: Context, name: str, mode: str) -> Verdict:
    def handler(peer: Peer) -> None:
        if peer.read_head() is not None:
            peer.send(b"HTTP/1.1 413 Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            time.sleep(0.2)
            peer.sock.close()

    outcome = one_call(ctx, name, mode, handler, body=b"x" * (32 << 20))
    return Verdict(outcome.status == 413, outcome.describe())


# -- injection ---------------------------------------------------------------------------------


@scenario(
    "injection", "a second response smuggled after the first is never read as the next answer"
)
def smuggled(ctx: Context, name: str, mode: str) -> Verdict:
    smuggled_reply = b'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"evil":1}'

    def handler(peer: Peer) -> None:
        while peer.read_request() is not None:
            if len(peer.server.requests) == 1:
                peer.send(OK + smuggled_reply)  # one write: the extra response rides along
            else:
                peer.send(b'HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{"n":2}')

    with AdversaryServer(handler) as server:
        side = ctx.side(name, mode)
        try:
            first = side.send(server.url)
            time.sleep(0.1)
            second = side.send(server.url)
        finally:
            side.close()
    ok = first.body == b'{"ok":true}' and second.body == b'{"n":2}'
    return Verdict(ok, f"second call read {second.body[:12]!r}")


@scenario("injection", "a bare CR inside a header value is refused")
def bare_cr(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nX-A: a\rTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}"
    return refused(one_call(ctx, name, mode, once(reply)))


@scenario("injection", "a NUL byte in a header value is refused")
def nul_byte(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\n{}"
    return refused(one_call(ctx, name, mode, once(reply)))


@scenario("injection", "a header name with a space is refused")
def spaced_name(ctx: Context, name: str, mode: str) -> Verdict:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\nContent-Length: 2\r\n\r\n{}"
    return refused(one_call(ctx, name, mode, once(reply)))


@scenario(
    "injection", "CR/LF in a caller's header is refused before anything is sent", modes=("sync",)
)
def request_injection(ctx: Context, name: str, mode: str) -> Verdict:
    import httpx

    with AdversaryServer(serve_forever()) as server:
        kwargs = {**ctx.client_kwargs, "base_url": server.url}
        if name == "httpx":
            kwargs["http_client"] = httpx.Client()
        client = ctx.tr.client.SyncAPIClient(**kwargs)
        op = ctx.tr.client.Operation("x", "GET", "/v3/x", "merchant", False)
        try:
            client._request(op, path_params={}, body=None, extra_headers={"X-A": "a\r\nEvil: 1"})
            raised = ""
        except ctx.tr.errors.WeChatPayError as exc:
            raised = type(exc).__name__
        client.close()
    ok = raised == "RequestValidationError" and not server.requests
    return Verdict(ok, f"{raised or 'sent'}; {len(server.requests)} request(s) reached the server")
