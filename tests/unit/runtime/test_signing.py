"""Request signing: known answers from the openssl command line, both schemes, exact format."""

from __future__ import annotations

import re
import subprocess
from typing import Any, Literal

import pytest

from . import rt
from .conftest import BRAND_ID, MERCHANT_ID, SERIAL_NO, KeyPair

TIMESTAMP = 1554208460
NONCE = "593BEC0C930BF1AFEB40B4A08C8FB242"


def openssl_signature(key_path: str, message: bytes) -> str:
    """``openssl dgst -sha256 -sign key.pem | base64 -w0``: the reference the docs point to."""
    result = subprocess.run(
        f"openssl dgst -sha256 -sign '{key_path}' | base64 -w0",
        shell=True,
        input=message,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


CASES = [
    pytest.param(
        "merchant",
        "POST",
        "https://api.mch.weixin.qq.com/v3/marketing/busifavor/stocks/9856888/budget",
        "/v3/marketing/busifavor/stocks/9856888/budget",
        '{"target_max_coupons":3000,"current_max_coupons":2000,"modify_budget_request_no":"1002"}',
        id="merchant-json-body",
    ),
    pytest.param(
        "brand",
        "PATCH",
        "https://api.mch.weixin.qq.com/brand/marketing/delivery-plan/delivery-plans/12000",
        "/brand/marketing/delivery-plan/delivery-plans/12000",
        '{"plan_name":"年货节投放计划","description":"满100减10元"}',
        id="brand-chinese-body",
    ),
    pytest.param(
        "merchant",
        "GET",
        "https://api.mch.weixin.qq.com/v3/certificates?algorithm_type=RSA&offset=0",
        "/v3/certificates?algorithm_type=RSA&offset=0",
        "",
        id="merchant-query-string-empty-body",
    ),
    pytest.param(
        "brand",
        "POST",
        "/brand/marketing/delivery-plan/delivery-plans/12000/submit",
        "/brand/marketing/delivery-plan/delivery-plans/12000/submit",
        "",
        id="brand-path-only-empty-body",
    ),
]


@pytest.mark.parametrize(("scheme", "method", "url", "target", "body"), CASES)
def test_authorization_matches_openssl(
    merchant_key: KeyPair,
    scheme: Literal["merchant", "brand"],
    method: str,
    url: str,
    target: str,
    body: str,
) -> None:
    identity = MERCHANT_ID if scheme == "merchant" else BRAND_ID
    header = rt.signing.build_authorization(
        scheme=scheme,
        identity=identity,
        serial_no=SERIAL_NO,
        private_key=merchant_key.private_pem,
        method=method,
        url=url,
        body=body,
        timestamp=TIMESTAMP,
        nonce=NONCE,
    )
    message = f"{method}\n{target}\n{TIMESTAMP}\n{NONCE}\n{body}\n".encode()
    expected_signature = openssl_signature(str(merchant_key.private_path), message)
    word, field = (
        ("WECHATPAY2-SHA256-RSA2048", "mchid")
        if scheme == "merchant"
        else ("WECHATPAY-BRAND-SHA256-RSA2048", "brand_id")
    )
    assert header == (
        f'{word} {field}="{identity}",nonce_str="{NONCE}",signature="{expected_signature}",'
        f'timestamp="{TIMESTAMP}",serial_no="{SERIAL_NO}"'
    )


def test_bytes_body_and_every_key_form_sign_the_same(merchant_key: KeyPair) -> None:
    body = '{"name":"满减券"}'
    common: dict[str, Any] = {
        "scheme": "merchant",
        "identity": MERCHANT_ID,
        "serial_no": SERIAL_NO,
        "method": "post",
        "url": "/v3/x",
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
    }
    forms: list[rt.keys.KeyInput] = [
        merchant_key.private_pem,
        merchant_key.private_pem.encode(),
        merchant_key.private_path,
        str(merchant_key.private_path),
        merchant_key.private,
        rt.keys.load_private_key(merchant_key.private_pem),
    ]
    headers = {
        rt.signing.build_authorization(**common, private_key=form, body=body.encode())
        for form in forms
    }
    assert len(headers) == 1
    expected = openssl_signature(
        str(merchant_key.private_path),
        f"POST\n/v3/x\n{TIMESTAMP}\n{NONCE}\n{body}\n".encode(),
    )
    assert f'signature="{expected}"' in headers.pop()


def test_fresh_nonce_and_current_timestamp_by_default(merchant_key: KeyPair) -> None:
    import time

    def sign() -> dict[str, str]:
        header = rt.signing.build_authorization(
            scheme="merchant",
            identity=MERCHANT_ID,
            serial_no=SERIAL_NO,
            private_key=merchant_key.private,
            method="POST",
            url="/v3/x",
        )
        return dict(re.findall(r'(\w+)="([^"]*)"', header))

    first, second = sign(), sign()
    assert first["nonce_str"] != second["nonce_str"]
    assert abs(int(first["timestamp"]) - time.time()) < 5


def test_nonce_is_32_alphanumerics_and_uniform() -> None:
    nonces = [rt.signing.generate_nonce() for _ in range(2000)]
    assert all(re.fullmatch(r"[0-9A-Za-z]{32}", n) for n in nonces)
    assert len(set(nonces)) == len(nonces)
    counts: dict[str, int] = {}
    for nonce in nonces:
        for char in nonce:
            counts[char] = counts.get(char, 0) + 1
    assert len(counts) == 62
    expected = 2000 * 32 / 62  # ~1032 per character; a biased mapping would skew some by ~25 %
    assert all(abs(count - expected) < expected * 0.2 for count in counts.values())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"identity": 'x",mchid="evil'}, "mchid"),
        ({"identity": ""}, "mchid"),
        ({"serial_no": "AB CD"}, "serial_no"),
        ({"nonce": 'a"b'}, "nonce"),
        ({"timestamp": -1}, "timestamp"),
        ({"timestamp": True}, "timestamp"),
        ({"url": "/v3/x\nInjected: 1"}, "url"),
        ({"url": "api.mch.weixin.qq.com/v3"}, "url"),
        ({"method": "PO ST"}, "method"),
        ({"scheme": "partner"}, "scheme"),
        ({"body": {"a": 1}}, "body"),
    ],
)
def test_bad_arguments_are_refused_naming_the_argument(
    merchant_key: KeyPair, overrides: dict[str, Any], field: str
) -> None:
    kwargs: dict[str, Any] = {
        "scheme": "merchant",
        "identity": MERCHANT_ID,
        "serial_no": SERIAL_NO,
        "private_key": merchant_key.private,
        "method": "POST",
        "url": "/v3/x",
        **overrides,
    }
    with pytest.raises(rt.errors.RequestValidationError) as info:
        rt.signing.build_authorization(**kwargs)
    assert info.value.path == field
    assert isinstance(info.value, ValueError)


def test_build_authorization_is_exported_from_the_package() -> None:
    assert rt.package.build_authorization is rt.signing.build_authorization


def test_signer_repr_shows_no_key(merchant_key: KeyPair) -> None:
    key = rt.keys.load_private_key(merchant_key.private_pem)
    signer = rt.signing.Signer("brand", BRAND_ID, SERIAL_NO, key)
    assert repr(signer) == f"Signer(scheme='brand', identity='{BRAND_ID}')"
    assert repr(key) == "<PrivateKey RSA 2048-bit>"
