"""Large files, measured: what a download and the bill helpers hold in memory.

The sandbox (built from the shape corpus) answers the bill download with a file of tens of MiB.
Each measurement runs in a child process that imports the installed corpus package and creates a
client, then makes one call under ``tracemalloc``: the peak above what the child held before the
call is what the call cost in memory (the sandbox and pytest stay out of the numbers). The bounds
are chosen so that one extra whole copy of the file fails them:

- a plain download returns the file: at most 1.25x its size (a list of pieces plus their join, or
  ``bytes(bytearray)``, would be 2x), with the built-in transport and through httpx, blocking and
  asyncio;
- a streamed download (``with_streaming_response``) saved with ``save_bill(..., gzip=True)``:
  at most 10 MiB, whatever the file's size (it goes to disk as it arrives, and is hashed,
  unpacked and written chunk by chunk);
- ``read_bill(..., gzip=True)`` on downloaded bytes: at most 1.25x the unpacked size on top of the
  packed bytes the caller holds; ``save_bill(..., gzip=True)`` on them: at most 10 MiB.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wechatpay_codegen.loader import load_specs
from wechatpay_codegen.sandbox import Sandbox

from .shapes_package import FIXTURE, install_corpus

MiB = 1 << 20
FILE_BYTES = 64 * MiB
STREAM_BOUND = 10 * MiB

# Runs in the child: argv = site folder, settings file. Prints one JSON line.
CHILD = r"""
import asyncio, hashlib, json, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
settings = json.load(open(sys.argv[2]))
import httpx
import shapes_client as pkg

config, mode, transport = settings["config"], settings["mode"], settings["transport"]
config["max_response_bytes"] = 1 << 30
config["timeout"] = 60.0
bill = settings.get("bill")  # the packed bill for the helpers, read before measuring
content = open(bill, "rb").read() if bill else None


def client(cls, http):
    return cls(**config, **({"http_client": http()} if transport == "httpx" else {}))


def save(source):
    out = settings["out"]
    return pkg.save_bill(
        source, out, hash_type="SHA1", hash_value=settings["sha1"], gzip=settings["gzip"]
    )


def sync_call(c):
    if mode == "download":
        return c.download_bill(token="x")
    if mode == "stream":
        with c.with_streaming_response.download_bill(token="x") as response:
            return save(response)
    if mode == "read_bill":
        return pkg.read_bill(content, hash_type="SHA1", hash_value=settings["sha1"], gzip=True)
    if mode == "save_bill":
        return save(content)
    raise AssertionError(mode)


async def async_call(c):
    if mode == "download":
        return await c.download_bill(token="x")
    async with c.with_streaming_response.download_bill(token="x") as response:
        return save(response)


tracemalloc.start()
if settings["asyncio"]:
    async def main():
        async with client(pkg.AsyncWeChatPayClient, httpx.AsyncClient) as c:
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            result = await async_call(c)
            return result, tracemalloc.get_traced_memory()[1] - base
    loop = asyncio.new_event_loop()
    result, peak = loop.run_until_complete(main())
    loop.close()
else:
    with client(pkg.WeChatPayClient, httpx.Client) as c:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = sync_call(c)
        peak = tracemalloc.get_traced_memory()[1] - base
tracemalloc.stop()
digest = hashlib.sha1(result).hexdigest() if isinstance(result, bytes) else None
size = result if isinstance(result, int) else len(result)
print(json.dumps({"peak": peak, "digest": digest, "result": size}))
"""


def _bill_text(size: int) -> bytes:
    """A CSV bill of about ``size`` bytes that GZIP packs to about half (hex fields)."""
    row = 0
    lines = [b"\xe4\xba\xa4\xe6\x98\x93\xe6\x97\xb6\xe9\x97\xb4,amount,id\n"]
    total = len(lines[0])
    noise = os.urandom(size // 4).hex().encode()  # ~size/2 of hex: half the text is random
    while total < size:
        start = (row * 32) % (len(noise) - 32)
        line = b"`2026-12-04 10:00:00,`%d.00,`%s\n" % (row % 100000, noise[start : start + 32])
        lines.append(line)
        total += len(line)
        row += 1
    return b"".join(lines)[:size]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("large-site")
    install_corpus(tmp_path_factory.mktemp("large-project"), folder)
    return folder


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    specs = load_specs([FIXTURE])
    with Sandbox(specs, keys_dir=tmp_path_factory.mktemp("large-keys")) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(sandbox: Sandbox) -> None:
    sandbox.clear()


@pytest.fixture(scope="module")
def random_file() -> bytes:
    return os.urandom(FILE_BYTES)


@pytest.fixture(scope="module")
def packed_bill() -> tuple[bytes, bytes]:
    """(unpacked, packed): a GZIP bill of FILE_BYTES unpacked."""
    text = _bill_text(FILE_BYTES)
    return text, gzip.compress(text, compresslevel=1, mtime=0)


def _measure(site: Path, tmp_path: Path, sandbox: Sandbox, **settings: Any) -> dict[str, Any]:
    settings.setdefault("asyncio", False)
    settings.setdefault("transport", "builtin")
    settings["config"] = sandbox.merchant_config()
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(site), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("asyncio_client", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("transport", ["builtin", "httpx"])
def test_a_download_is_held_once(
    site: Path,
    sandbox: Sandbox,
    tmp_path: Path,
    random_file: bytes,
    transport: str,
    asyncio_client: bool,
) -> None:
    sandbox.serve_file("download_bill", random_file)
    found = _measure(
        site, tmp_path, sandbox, mode="download", transport=transport, asyncio=asyncio_client
    )
    assert found["digest"] == hashlib.sha1(random_file).hexdigest()
    assert found["peak"] <= 1.25 * FILE_BYTES, f"{found['peak'] / MiB:.1f} MiB"
    [request] = sandbox.requests
    assert "Wechatpay-Signature" not in request.response_headers  # the unsigned file


@pytest.mark.parametrize("asyncio_client", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("transport", ["builtin", "httpx"])
def test_a_streamed_download_is_saved_without_holding_it(
    site: Path,
    sandbox: Sandbox,
    tmp_path: Path,
    packed_bill: tuple[bytes, bytes],
    transport: str,
    asyncio_client: bool,
) -> None:
    text, packed = packed_bill
    assert len(packed) > 2 * STREAM_BOUND  # holding the packed file would break the bound
    sandbox.serve_file("download_bill", packed)
    out = tmp_path / "bill.csv"
    found = _measure(
        site,
        tmp_path,
        sandbox,
        mode="stream",
        transport=transport,
        asyncio=asyncio_client,
        out=str(out),
        sha1=hashlib.sha1(packed).hexdigest(),
        gzip=True,
    )
    assert found["result"] == len(text)
    assert out.read_bytes() == text
    assert found["peak"] <= STREAM_BOUND, f"{found['peak'] / MiB:.1f} MiB"


def test_read_bill_unpacks_into_one_copy(
    site: Path, sandbox: Sandbox, tmp_path: Path, packed_bill: tuple[bytes, bytes]
) -> None:
    text, packed = packed_bill
    bill = tmp_path / "bill.gz"
    bill.write_bytes(packed)
    found = _measure(
        site,
        tmp_path,
        sandbox,
        mode="read_bill",
        bill=str(bill),
        sha1=hashlib.sha1(packed).hexdigest(),
    )
    assert found["digest"] == hashlib.sha1(text).hexdigest()
    assert found["peak"] <= 1.25 * len(text), f"{found['peak'] / MiB:.1f} MiB"


def test_save_bill_writes_chunk_by_chunk(
    site: Path, sandbox: Sandbox, tmp_path: Path, packed_bill: tuple[bytes, bytes]
) -> None:
    text, packed = packed_bill
    bill = tmp_path / "bill.gz"
    bill.write_bytes(packed)
    out = tmp_path / "bill.csv"
    found = _measure(
        site,
        tmp_path,
        sandbox,
        mode="save_bill",
        bill=str(bill),
        out=str(out),
        sha1=hashlib.sha1(packed).hexdigest(),
        gzip=True,
    )
    assert found["result"] == len(text) and out.read_bytes() == text
    assert found["peak"] <= STREAM_BOUND, f"{found['peak'] / MiB:.1f} MiB"
