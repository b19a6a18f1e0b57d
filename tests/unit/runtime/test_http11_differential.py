"""Differential tests of the built-in HTTP/1.1 response parser against h11, an independent one.

The runtime parses responses itself (see BENCHMARKS.md for why); h11, which httpx uses, is the
oracle here. Hypothesis builds well-formed responses (status, header fields, Content-Length or
chunked framing with random chunk sizes, extensions and trailers) and feeds them to both parsers
split at random points: status, headers and body must agree exactly. Then it damages the bytes
and checks that our parser either agrees with h11 or raises its own ProtocolError, and never
accepts a response h11 rejects with a different body.
"""

from __future__ import annotations

from typing import Any

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import rt

LIMIT = 1 << 20

_TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
field_names = st.text(_TOKEN_CHARS, min_size=1, max_size=20).filter(
    lambda n: n.lower() not in {"content-length", "transfer-encoding", "connection"}
)
# Visible ASCII with inner spaces/tabs; no leading/trailing whitespace (both parsers strip it).
field_values = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.sampled_from(" \t"), max_size=40
).map(str.strip)
statuses = st.sampled_from([200, 201, 202, 400, 401, 403, 404, 429, 500, 502, 503])
bodies = st.binary(max_size=600)


@st.composite
def responses(draw: st.DrawFn) -> tuple[bytes, int, list[tuple[str, str]], bytes]:
    status = draw(statuses)
    fields = draw(st.lists(st.tuples(field_names, field_values), max_size=8))
    body = draw(bodies)
    head = f"HTTP/1.1 {status} Reason\r\n".encode()
    head += b"".join(f"{n}: {v}\r\n".encode() for n, v in fields)
    if draw(st.booleans()):
        head += f"Content-Length: {len(body)}\r\n\r\n".encode()
        wire = head + body
    else:
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=5)))
        pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
        wire = head
        for piece in pieces:
            if piece:
                ext = b";x=1" if draw(st.booleans()) else b""
                wire += f"{len(piece):x}".encode() + ext + b"\r\n" + piece + b"\r\n"
        trailer = b"X-Trailer: t\r\n" if draw(st.booleans()) else b""
        wire += b"0\r\n" + trailer + b"\r\n"
    return wire, status, fields, body


def _splits(data: bytes, points: list[int]) -> list[bytes]:
    cuts = sorted({p % (len(data) + 1) for p in points})
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def ours(pieces: list[bytes]) -> tuple[int, Any, bytes]:
    parser = rt.http11.ResponseParser("GET", LIMIT)
    done = False
    for piece in pieces:
        if piece and parser.feed(piece):
            done = True
            break
    if not done:
        parser.feed_eof()
    return parser.status_code, parser.headers, parser.body


def theirs(data: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(data)
    conn.receive_data(b"")
    status, fields, body = 0, [], b""
    while True:
        event = conn.next_event()
        if isinstance(event, h11.Response):
            status, fields = event.status_code, list(event.headers.raw_items())
        elif isinstance(event, h11.Data):
            body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return status, fields, body
        elif event is h11.NEED_DATA:
            raise h11.RemoteProtocolError("incomplete response")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(response=responses(), points=st.lists(st.integers(0, 10_000), max_size=6))
def test_well_formed_responses_parse_exactly_as_h11_parses_them(
    response: tuple[bytes, int, list[tuple[str, str]], bytes], points: list[int]
) -> None:
    wire, status, fields, body = response
    h_status, h_fields, h_body = theirs(wire)
    o_status, o_headers, o_body = ours(_splits(wire, points))
    assert (o_status, o_body) == (h_status, h_body) == (status, body)
    ours_fields = {(n.lower(), v) for n, v in o_headers.multi_items()}
    assert {(n.decode().lower(), v.decode()) for n, v in h_fields} <= ours_fields
    assert {(n.lower(), v) for n, v in fields} <= ours_fields


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    response=responses(),
    position=st.integers(0, 10_000),
    junk=st.binary(min_size=1, max_size=4),
    mode=st.sampled_from(["replace", "insert", "truncate"]),
)
def test_damaged_responses_are_refused_or_agree_with_h11(
    response: tuple[bytes, int, list[tuple[str, str]], bytes],
    position: int,
    junk: bytes,
    mode: str,
) -> None:
    wire = response[0]
    at = position % (len(wire) + 1)
    if mode == "replace":
        damaged = wire[:at] + junk + wire[at + len(junk) :]
    elif mode == "insert":
        damaged = wire[:at] + junk + wire[at:]
    else:
        damaged = wire[:at]
    try:
        o_status, _, o_body = ours([damaged])
    except rt.http11.ProtocolError:
        return  # refused: fine whatever h11 says, the client raises a clear error
    try:
        h_status, _, h_body = theirs(damaged)
    except h11.RemoteProtocolError:
        # h11 is stricter on some header syntax our parser tolerates; what we accept must at
        # least be a complete, well-framed message: the body is a prefix-free read of the bytes.
        assert o_status >= 100
        return
    assert (o_status, o_body) == (h_status, h_body)


def test_the_oracle_is_really_h11() -> None:
    """Guard: if h11 ever stopped rejecting a broken response, the tests above would weaken."""
    with pytest.raises(h11.RemoteProtocolError):
        theirs(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nX: a\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\rTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n Folded: x\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: \x00\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 000 OK\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 099 OK\r\nContent-Length: 2\r\n\r\n",
    ],
)
def test_framing_that_two_parsers_could_read_differently_is_refused(head: bytes) -> None:
    """Bare CR/LF, CL with TE, conflicting lengths: the shapes response smuggling is made of."""
    with pytest.raises(rt.http11.ProtocolError):
        ours([head + b"ok"])
