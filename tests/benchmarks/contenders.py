"""The clients being compared, each reduced to "make one modify_budget call and check it".

Every contender signs afresh and verifies the response signature on every call:

- ``floor``: the least a correct client can do, written out by hand: one RSA-2048 PKCS#1 v1.5
  SHA-256 signature with cryptography, one keep-alive round trip with ``http.client``, one
  signature verification of the response (timestamp, nonce, body);
- ``ours``: ``wechatpay_marketing.WeChatPayClient`` as users create it (built-in transport);
- ``ours + httpx``: the same client given ``http_client=httpx.Client()``;
- ``wechatpayv3``: PyPI wechatpayv3 in public-key mode, its gateway pointed at the server.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

STOCK_ID = "98065001"
REQUEST_NO = "1002600620019090123143254436"
BODY = {
    "target_max_coupons": 3000,
    "current_max_coupons": 500,
    "modify_budget_request_no": REQUEST_NO,
}
PATH = f"/v3/marketing/busifavor/stocks/{STOCK_ID}/budget"
_PADDING = padding.PKCS1v15()
_SHA256 = hashes.SHA256()

Call = Callable[[], None]
AsyncCall = Callable[[], Awaitable[None]]


class Floor:
    """Sign + one ``http.client`` keep-alive round trip + verify, nothing else."""

    def __init__(self, config: dict[str, Any], host: str, port: int) -> None:
        key = load_pem_private_key(config["private_key"].encode(), None)
        public = load_pem_public_key(config["wechatpay_public_key"].encode())
        assert isinstance(key, rsa.RSAPrivateKey) and isinstance(public, rsa.RSAPublicKey)
        self.key = key
        self.public = public
        self.prefix = f'WECHATPAY2-SHA256-RSA2048 mchid="{config["mchid"]}",nonce_str="'
        self.serial = config["serial_no"]
        self.key_id = config["wechatpay_public_key_id"]
        self.body = json.dumps(BODY, separators=(",", ":")).encode()
        self.conn = http.client.HTTPConnection(host, port, timeout=10)

    def sign(self) -> str:
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)
        message = f"PATCH\n{PATH}\n{timestamp}\n{nonce}\n".encode() + self.body + b"\n"
        signature = base64.b64encode(self.key.sign(message, _PADDING, _SHA256)).decode()
        return (
            f'{self.prefix}{nonce}",signature="{signature}",timestamp="{timestamp}",'
            f'serial_no="{self.serial}"'
        )

    def verify(self, headers: http.client.HTTPMessage, body: bytes) -> None:
        message = (
            f'{headers["Wechatpay-Timestamp"]}\n{headers["Wechatpay-Nonce"]}\n'.encode()
            + body
            + b"\n"
        )
        signature = base64.b64decode(headers["Wechatpay-Signature"])
        self.public.verify(signature, message, _PADDING, _SHA256)  # raises if it does not match

    def __call__(self) -> None:
        self.conn.request(
            "PATCH",
            PATH,
            self.body,
            {
                "Authorization": self.sign(),
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Wechatpay-Serial": self.key_id,
            },
        )
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"floor call failed: HTTP {response.status} {body[:200]!r}")
        self.verify(response.headers, body)

    def round_trip(self) -> None:
        """A bare keep-alive exchange with the same server (a cheap 404), for reference."""
        self.conn.request("GET", "/", headers={"Accept": "application/json"})
        response = self.conn.getresponse()
        response.read()

    def close(self) -> None:
        self.conn.close()


def rsa_timers(config: dict[str, Any]) -> tuple[Call, Call]:
    """(one signature, one verification) with cryptography, as the bound counts them."""
    floor = Floor(config, "127.0.0.1", 1)
    message = b"PATCH\n" + PATH.encode() + b"\n1700000000\n" + b"n" * 32 + b"\n" + floor.body
    signature = floor.key.sign(message, _PADDING, _SHA256)
    public = floor.key.public_key()

    def sign() -> None:
        floor.key.sign(message, _PADDING, _SHA256)

    def verify() -> None:
        public.verify(signature, message, _PADDING, _SHA256)

    return sign, verify


def ours(config: dict[str, Any], http_client: Any = None) -> tuple[Call, Callable[[], None]]:
    import wechatpay_marketing as wp

    kwargs = dict(config)
    if http_client is not None:
        kwargs["http_client"] = http_client
    client = wp.WeChatPayClient(**kwargs)

    def call() -> None:
        result = client.modify_budget(
            stock_id=STOCK_ID,
            modify_budget_request_no=REQUEST_NO,
            target_max_coupons=3000,
            current_max_coupons=500,
        )
        if result.max_coupons is None:
            raise RuntimeError("unexpected response")

    def close() -> None:
        client.close()
        if http_client is not None:
            http_client.close()

    return call, close


def _wechatpayv3_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    from wechatpayv3 import WeChatPayType

    return {
        "wechatpay_type": WeChatPayType.NATIVE,
        "mchid": config["mchid"],
        "private_key": config["private_key"],
        "cert_serial_no": config["serial_no"],
        "appid": "wxd678efh567hg6787",
        "apiv3_key": "a" * 32,  # unused in public-key mode, required by the constructor
        "public_key": config["wechatpay_public_key"],
        "public_key_id": config["wechatpay_public_key_id"],
    }


def wechatpayv3(config: dict[str, Any], base_url: str) -> Call:
    from wechatpayv3 import WeChatPay

    pay = WeChatPay(**_wechatpayv3_kwargs(config))
    pay._core._gate_way = base_url  # point its gateway at the local server

    def call() -> None:
        code, text = pay.marketing_busifavor_stock_budget(
            stock_id=STOCK_ID,
            modify_budget_request_no=REQUEST_NO,
            target_max_coupons=3000,
            current_max_coupons=500,
        )
        if code != 200:
            raise RuntimeError(f"wechatpayv3 call failed: HTTP {code} {str(text)[:200]}")

    return call


class AsyncContender:
    """An async client opened with ``await start()``, one call per ``await call()``."""

    async def start(self) -> None:
        raise NotImplementedError

    async def call(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class AsyncOurs(AsyncContender):
    def __init__(self, config: dict[str, Any], use_httpx: bool = False) -> None:
        self.config = config
        self.use_httpx = use_httpx
        self.client: Any = None
        self.http: Any = None

    async def start(self) -> None:
        import wechatpay_marketing as wp

        kwargs = dict(self.config)
        if self.use_httpx:
            import httpx

            self.http = httpx.AsyncClient()
            kwargs["http_client"] = self.http
        self.client = wp.AsyncWeChatPayClient(**kwargs)

    async def call(self) -> None:
        result = await self.client.modify_budget(
            stock_id=STOCK_ID,
            modify_budget_request_no=REQUEST_NO,
            target_max_coupons=3000,
            current_max_coupons=500,
        )
        if result.max_coupons is None:
            raise RuntimeError("unexpected response")

    async def close(self) -> None:
        await self.client.close()
        if self.http is not None:
            await self.http.aclose()


class AsyncWechatpayv3(AsyncContender):
    """wechatpayv3's own asyncio client (``wechatpayv3.async_.AsyncWeChatPay``, on httpx)."""

    def __init__(self, config: dict[str, Any], base_url: str) -> None:
        self.config = config
        self.base_url = base_url
        self.pay: Any = None

    async def start(self) -> None:
        from wechatpayv3.async_ import AsyncWeChatPay

        self.pay = AsyncWeChatPay(**_wechatpayv3_kwargs(self.config))
        await self.pay.__aenter__()
        self.pay._core._gate_way = self.base_url

    async def call(self) -> None:
        code, text = await self.pay.marketing_busifavor_stock_budget(
            stock_id=STOCK_ID,
            modify_budget_request_no=REQUEST_NO,
            target_max_coupons=3000,
            current_max_coupons=500,
        )
        if code != 200:
            raise RuntimeError(f"wechatpayv3 async call failed: HTTP {code} {str(text)[:200]}")

    async def close(self) -> None:
        await self.pay.__aexit__(None, None, None)
