"""A minimal WeChat-Pay-compatible server for the concurrency benchmark, in its own process.

Why not the sandbox there: the sandbox (``http.server``, a thread per connection, full spec
validation and request recording) costs ~350 µs of CPU per request, more than the client under
test; on a two-core machine it would measure the sandbox, not the client. This server does the
least a real endpoint must: it parses each HTTP/1.1 request, checks the merchant Authorization
(scheme, mchid, serial, clock skew, and the RSA signature over
``METHOD\\nTARGET\\nTIMESTAMP\\nNONCE\\nBODY\\n``) and answers the example body signed with the
WeChat Pay key (one signature per second, as the sandbox caches it), or 401 when the signature
does not verify. One asyncio event loop, keep-alive, no request limits: loopback benchmarks only.

Run as ``python -m tests.benchmarks._fast_server [CPU]``; prints one JSON line like
``_server.py`` and serves until its standard input closes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import sys
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from wechatpay_codegen.sandbox import generate_keys

BODY = b'{"max_coupons":300,"max_coupons_by_day":100}'
_FIELD = re.compile(r'(\w+)="([^"]*)"')
_PADDING = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


class _Signer:
    """The response signature headers, renewed once per second."""

    def __init__(self, key: rsa.RSAPrivateKey, key_id: str) -> None:
        self.key = key
        self.key_id = key_id
        self._second = -1
        self._head = b""

    def head(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            nonce = secrets.token_hex(16)
            message = f"{now}\n{nonce}\n".encode() + BODY + b"\n"
            signature = base64.b64encode(self.key.sign(message, _PADDING, _SHA256)).decode()
            self._head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(BODY)}\r\nRequest-ID: fast-{now}\r\n"
                f"Wechatpay-Timestamp: {now}\r\nWechatpay-Nonce: {nonce}\r\n"
                f"Wechatpay-Signature: {signature}\r\nWechatpay-Serial: {self.key_id}\r\n"
                "Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048\r\n\r\n"
            ).encode()
            self._second = now
        return self._head


class _Checker:
    def __init__(self, mchid: str, serial_no: str, public_key: rsa.RSAPublicKey) -> None:
        self.mchid = mchid
        self.serial_no = serial_no
        self.public_key = public_key

    def authorized(self, method: str, target: str, authorization: str, body: bytes) -> bool:
        scheme, _, rest = authorization.partition(" ")
        fields = dict(_FIELD.findall(rest))
        if scheme != "WECHATPAY2-SHA256-RSA2048" or fields.get("mchid") != self.mchid:
            return False
        if fields.get("serial_no") != self.serial_no:
            return False
        timestamp = fields.get("timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
            return False
        message = f"{method}\n{target}\n{timestamp}\n{fields.get('nonce_str', '')}\n".encode()
        try:
            signature = base64.b64decode(fields.get("signature", ""), validate=True)
            self.public_key.verify(signature, message + body + b"\n", _PADDING, _SHA256)
        except (InvalidSignature, ValueError):
            return False
        return True


_UNAUTHORIZED = (
    b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 48\r\n\r\n"
    b'{"code":"SIGN_ERROR","message":"bad signature"}\n'
)


class _Protocol(asyncio.Protocol):
    def __init__(self, signer: _Signer, checker: _Checker) -> None:
        self.signer = signer
        self.checker = checker
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        transport = self.transport
        assert transport is not None
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            lines = buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(buffer) < end + 4 + length:
                break
            body = buffer[end + 4 : end + 4 + length]
            buffer = buffer[end + 4 + length :]
            method, target, _ = lines[0].split(" ", 2)
            if self.checker.authorized(method, target, headers.get("authorization", ""), body):
                transport.write(self.signer.head() + BODY)
            else:
                transport.write(_UNAUTHORIZED)
        self.buffer = buffer


async def _serve() -> None:
    keys = generate_keys()
    signer = _Signer(keys.wechatpay_private_key, keys.wechatpay_public_key_id)
    checker = _Checker(keys.mchid, keys.merchant_serial_no, keys.merchant_private_key.public_key())
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Protocol(signer, checker), "127.0.0.1", 0, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    merchant: dict[str, Any] = {
        "mchid": keys.mchid,
        "serial_no": keys.merchant_serial_no,
        "private_key": keys.merchant_private_key_pem(),
        "wechatpay_public_key_id": keys.wechatpay_public_key_id,
        "wechatpay_public_key": keys.wechatpay_public_key_pem(),
        "base_url": base_url,
        "backup_base_url": None,
    }
    print(json.dumps({"base_url": base_url, "merchant": merchant}), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # EOF: the parent is done (or gone)
    server.close()


def main(argv: list[str]) -> int:
    if argv and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(argv[0])})
    asyncio.run(_serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
