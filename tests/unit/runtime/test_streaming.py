"""Large files in the runtime: the body buffer, streaming an unsigned file to a sink, the
streamed response, and the bill helpers reading a file object.

Which answers may be streamed is the safety rule under test: only a 2xx of a status the operation
marks unsigned, with a Content-Type that is not JSON. A JSON answer is verified as always, an
error raises, and a retried attempt starts the file afresh.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path
from typing import Any

import httpx
import pytest

from . import rt
from .conftest import MakeAsyncClient, MakeClient
from .server import Reply, SignedServer

UNSIGNED = frozenset({200})
BILL_OP: dict[str, Any] = {
    "operation_id": "download_bill",
    "method": "GET",
    "path": "/v3/billdownload/file",
    "auth_scheme": "merchant",
    "has_body": False,
    "unsigned_statuses": UNSIGNED,
}
FILE_HEADERS = {"Content-Type": "application/octet-stream"}


@pytest.fixture(params=["builtin", "httpx"])
def client(request: pytest.FixtureRequest, make_client: MakeClient) -> rt.client.SyncAPIClient:
    if request.param == "httpx":
        return make_client(http_client=httpx.Client())
    return make_client()


def _bill_op() -> Any:
    return rt.client.Operation(**BILL_OP)


def _download(client: rt.client.SyncAPIClient, sink: Any, **kwargs: Any) -> Any:
    return client._request(_bill_op(), path_params={}, body=None, sink=sink, **kwargs)


def _file_of(sink: Any) -> bytes:
    sink.file.seek(0)
    data: bytes = sink.file.read()
    return data


# -- the body buffer ----------------------------------------------------------------------------


def test_body_buffer_keeps_one_piece_as_is_and_joins_without_a_list() -> None:
    buffer = rt.body.BodyBuffer()
    piece = b"x" * 100
    buffer.add(piece)
    assert buffer.value() is piece  # no copy of a body that came in one piece
    buffer = rt.body.BodyBuffer()
    for part in (b"ab", b"", b"cd", b"e"):
        buffer.add(part)
    assert buffer.value() == b"abcde" and buffer.size == 5
    sized = rt.body.BodyBuffer()
    sized.expect(3 << 20)
    sized.add(b"12")
    sized.add(b"34")
    assert sized.value() == b"1234"  # fewer bytes than declared: no trailing zeros
    assert rt.body.BodyBuffer().value() == b""


@pytest.mark.parametrize(
    ("content_type", "json"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/problem+json", True),
        ("application/octet-stream", False),
        ("text/csv", False),
        (None, False),
    ],
)
def test_json_media_types(content_type: str | None, json: bool) -> None:
    assert rt.body.is_json_type(content_type) is json


# -- streaming to a sink --------------------------------------------------------------------------


def test_an_unsigned_file_goes_to_the_sink_not_memory(
    client: rt.client.SyncAPIClient, server: SignedServer
) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    server.script(Reply(body=data, sign=False, headers=FILE_HEADERS))
    sink = rt.body.FileSink(UNSIGNED, None)
    response = _download(client, sink)
    assert response.streamed and response.content == b""
    assert _file_of(sink) == data and sink.size == len(data)


async def test_an_unsigned_file_goes_to_the_sink_async(
    make_async_client: MakeAsyncClient,
    server: SignedServer,
) -> None:
    data = b"bill," * 50000
    server.script(Reply(body=data, sign=False, headers=FILE_HEADERS))
    sink = rt.body.FileSink(UNSIGNED, None)
    response = await make_async_client()._request(_bill_op(), path_params={}, body=None, sink=sink)
    assert response.streamed and _file_of(sink) == data


def test_a_json_answer_is_never_streamed_and_is_verified(
    client: rt.client.SyncAPIClient, server: SignedServer
) -> None:
    server.script(Reply(body=b'{"forged":true}', sign=False))
    sink = rt.body.FileSink(UNSIGNED, None)
    with pytest.raises(rt.errors.SignatureVerificationError):
        _download(client, sink)
    assert _file_of(sink) == b""
    server.script(Reply(body=b'{"code":"OK"}'))  # signed: verified, then given from memory
    response = _download(client, sink)
    assert not response.streamed and response.content == b'{"code":"OK"}'
    assert _file_of(sink) == b""


def test_an_error_answer_is_not_streamed(
    client: rt.client.SyncAPIClient, server: SignedServer
) -> None:
    server.script(
        Reply(
            status=400,
            body=b'{"code":"PARAM_ERROR","message":"token"}',
            sign=False,
            headers=FILE_HEADERS,
        )
    )
    sink = rt.body.FileSink(UNSIGNED, None)
    with pytest.raises(rt.errors.BadRequestError):
        _download(client, sink)
    assert _file_of(sink) == b""


def test_a_retried_attempt_starts_the_file_afresh(
    client: rt.client.SyncAPIClient, server: SignedServer
) -> None:
    data = b"0123456789" * 10000
    server.script(
        # A body cut short (the connection closes before the declared length), then the file.
        Reply(body=b"partial!" * 100, sign=False, headers=FILE_HEADERS, content_length=len(data)),
        Reply(body=data, sign=False, headers=FILE_HEADERS),
    )
    sink = rt.body.FileSink(UNSIGNED, None)
    response = _download(client, sink, max_retries=1)
    assert response.streamed and _file_of(sink) == data
    assert len(server.requests) == 2


def test_the_sink_has_its_own_size_limit(
    client: rt.client.SyncAPIClient, server: SignedServer
) -> None:
    data = b"x" * 4096
    server.script(Reply(body=data, sign=False, headers=FILE_HEADERS))
    with pytest.raises(rt.errors.ResponseTooLargeError):
        _download(client, rt.body.FileSink(UNSIGNED, 1024))
    # No limit of its own: a file larger than the client's (memory) limit is fine on disk.
    server.script(Reply(body=data, sign=False, headers=FILE_HEADERS))
    client.max_response_bytes = 1024
    sink = rt.body.FileSink(UNSIGNED, None)
    assert _download(client, sink).streamed and _file_of(sink) == data


def test_only_an_unsigned_operation_takes_a_sink(make_client: MakeClient) -> None:
    signed = rt.client.Operation(**{**BILL_OP, "unsigned_statuses": frozenset()})
    with pytest.raises(AssertionError, match="only an unsigned file answer"):
        make_client()._request(
            signed, path_params={}, body=None, sink=rt.body.FileSink(UNSIGNED, None)
        )


# -- the streamed response ------------------------------------------------------------------------


def test_streaming_call_gives_a_readable_file_and_deletes_it(
    make_client: MakeClient,
    server: SignedServer,
    tmp_path: Path,
) -> None:
    data = bytes(range(256)) * 8192  # 2 MiB: more than one chunk
    server.script(Reply(body=data, sign=False, headers=FILE_HEADERS))
    client = make_client()

    def send(**kwargs: Any) -> Any:
        return client._request(_bill_op(), path_params={}, body=None, **kwargs)

    with rt.streaming.StreamingCall(send, UNSIGNED, None) as response:
        assert response.status_code == 200 and response.request_id
        assert response.read(10) == data[:10]  # a binary file: reads go on from there
        assert response.read() == data[10:]
        assert b"".join(response.iter_bytes(1 << 20)) == data  # these start from the start
        assert response.stream_to_file(tmp_path / "bill") == len(data)
    assert (tmp_path / "bill").read_bytes() == data
    assert not list(tmp_path.glob("*.part"))
    assert response.closed
    with pytest.raises(rt.errors.WeChatPayError, match="closed"):
        response.read()


def test_a_failed_streaming_call_raises_and_leaves_nothing(
    make_client: MakeClient,
    server: SignedServer,
) -> None:
    server.script(Reply(status=404, body=b'{"code":"RESOURCE_NOT_EXISTS","message":"no"}'))
    client = make_client()

    def send(**kwargs: Any) -> Any:
        return client._request(_bill_op(), path_params={}, body=None, **kwargs)

    call = rt.streaming.StreamingCall(send, UNSIGNED, None)
    with pytest.raises(rt.errors.NotFoundError):
        with call:
            raise AssertionError("not reached")


# -- bills from a file --------------------------------------------------------------------------


def test_bills_read_a_file_object_in_one_pass(tmp_path: Path) -> None:
    text = "交易时间,金额\n".encode() + b"2025-01-01,1.00\n" * 200000
    packed = gzip.compress(text)
    digest = hashlib.sha256(packed).hexdigest()
    bills = rt.bills
    assert bills.read_bill(io.BytesIO(packed), hash_type="SHA256", hash_value=digest) == packed
    unpacked = bills.read_bill(io.BytesIO(packed), hash_type="SHA256", hash_value=digest, gzip=True)
    assert unpacked == text
    out = tmp_path / "bill.csv"
    written = bills.save_bill(
        io.BytesIO(packed), out, hash_type="SHA256", hash_value=digest, gzip=True
    )
    assert written == len(text) and out.read_bytes() == text

    # A wrong hash: the path keeps what it had and no partial file is left.
    with pytest.raises(bills.BillIntegrityError, match="does not match"):
        bills.save_bill(io.BytesIO(packed), out, hash_type="SHA256", hash_value="0" * 64)
    assert out.read_bytes() == text and not list(tmp_path.glob("*.part"))
    with pytest.raises(bills.BillIntegrityError, match="does not match"):
        bills.read_bill(io.BytesIO(packed), hash_type="SHA256", hash_value="0" * 64, gzip=True)
    # Not GZIP at all: a wrong download is named as such first; a right one as not GZIP.
    junk = b"<html>not a bill</html>" * 100000
    with pytest.raises(bills.BillIntegrityError, match="does not match"):
        bills.read_bill(io.BytesIO(junk), hash_type="SHA256", hash_value="0" * 64, gzip=True)
    with pytest.raises(bills.BillIntegrityError, match="not valid GZIP"):
        bills.save_bill(
            io.BytesIO(junk),
            out,
            hash_type="SHA256",
            hash_value=hashlib.sha256(junk).hexdigest(),
            gzip=True,
        )
    assert out.read_bytes() == text and not list(tmp_path.glob("*.part"))


def test_unpacking_writes_at_most_a_chunk_at_a_time() -> None:
    """A small file that unpacks to a lot (64 MiB of zeros packs to ~64 KiB) is written in
    pieces of at most 1 MiB, not unpacked whole."""
    packed = gzip.compress(bytes(64 << 20), compresslevel=9)
    assert len(packed) < 1 << 20  # one read chunk of the packed file

    class Recorder(io.BytesIO):
        """Counts what is written, keeps none of it."""

        def __init__(self) -> None:
            super().__init__()
            self.largest = 0
            self.total = 0

        def write(self, data: Any, /) -> int:
            self.largest = max(self.largest, len(data))
            self.total += len(data)
            return len(data)

    sink = Recorder()
    digest = hashlib.sha1(packed).hexdigest()
    bills = rt.bills
    assert bills.save_bill(packed, sink, hash_type="SHA1", hash_value=digest, gzip=True) == 64 << 20
    assert sink.total == 64 << 20 and sink.largest <= 1 << 20
