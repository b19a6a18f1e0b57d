"""The test side of the protocol, written independently of the sandbox's own crypto module.

Signs requests as a client would and checks response signatures, with ``cryptography`` directly.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from wechatpay_codegen.sandbox import Sandbox

MERCHANT = "WECHATPAY2-SHA256-RSA2048"
BRAND = "WECHATPAY-BRAND-SHA256-RSA2048"


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def authorization(
    *,
    scheme: str,
    identity_field: str,
    identity: str,
    serial_no: str,
    key: rsa.RSAPrivateKey,
    method: str,
    target: str,
    body: bytes = b"",
    timestamp: int | str | None = None,
    nonce: str | None = None,
    order: tuple[str, ...] = ("identity", "nonce_str", "signature", "timestamp", "serial_no"),
) -> str:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    message = f"{method}\n{target}\n{ts}\n{nonce}\n".encode() + body + b"\n"
    values = {
        "identity": (identity_field, identity),
        "nonce_str": ("nonce_str", nonce),
        "signature": ("signature", rsa_sign(key, message)),
        "timestamp": ("timestamp", ts),
        "serial_no": ("serial_no", serial_no),
    }
    pairs = ",".join(f'{values[k][0]}="{values[k][1]}"' for k in order)
    return f"{scheme} {pairs}"


def response_verifies(
    public_key: rsa.RSAPublicKey, headers: Mapping[str, str], body: bytes
) -> bool:
    try:
        message = (
            f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n".encode()
            + body
            + b"\n"
        )
        raw = base64.b64decode(headers["Wechatpay-Signature"], validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (KeyError, binascii.Error, ValueError, InvalidSignature):
        return False
    return True


@dataclass
class Call:
    """One request to the sandbox, signed by default as the sandbox's merchant or brand."""

    sandbox: Sandbox
    http: httpx.Client

    def send(
        self,
        verb: str,
        request_target: str,
        body: Any = None,
        *,
        brand: bool = False,
        headers: Mapping[str, str] | None = None,
        sign: bool = True,
        content_type: str | None = "application/json",
        wechatpay_serial: str | None = "default",
        **auth: Any,
    ) -> httpx.Response:
        """``body``: bytes as-is, anything else JSON-encoded compactly (None: no body).

        ``auth`` overrides what goes into the Authorization header (``key``, ``identity``,
        ``timestamp``, ``nonce``, ``method``, ``target``, ``body``...).
        """
        if body is None:
            raw = b""
        elif isinstance(body, bytes):
            raw = body
        else:
            raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        keys = self.sandbox.keys
        all_headers: dict[str, str] = {"Accept": "application/json"}
        if raw and content_type:
            all_headers["Content-Type"] = content_type
        if wechatpay_serial == "default":
            all_headers["Wechatpay-Serial"] = keys.wechatpay_public_key_id
        elif wechatpay_serial is not None:
            all_headers["Wechatpay-Serial"] = wechatpay_serial
        if sign:
            params: dict[str, Any] = {
                "scheme": BRAND if brand else MERCHANT,
                "identity_field": "brand_id" if brand else "mchid",
                "identity": keys.brand_id if brand else keys.mchid,
                "serial_no": keys.brand_serial_no if brand else keys.merchant_serial_no,
                "key": keys.brand_private_key if brand else keys.merchant_private_key,
                "method": verb,
                "target": request_target,
                "body": raw,
            }
            params.update(auth)
            all_headers["Authorization"] = authorization(**params)
        all_headers.update(headers or {})
        return self.http.request(
            verb, self.sandbox.base_url + request_target, content=raw, headers=all_headers
        )


def path(template: str, **params: str) -> str:
    for name, value in params.items():
        template = template.replace("{" + name + "}", quote(str(value), safe=""))
    return template
