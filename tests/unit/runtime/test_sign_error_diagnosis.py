"""A 401 SIGN_ERROR says what was signed: string to sign, clocks, serial, identity; no secrets."""

from __future__ import annotations

import hashlib
import json
import time
from email.utils import formatdate
from typing import Any

import pytest

from . import rt
from .conftest import MERCHANT_ID, SERIAL_NO, KeyPair, MakeClient, Ops
from .server import Reply, SignedServer

BODY = {"modify_budget_request_no": "请求-1", "target_max_coupons": 1}
SIGN_ERROR = b'{"code":"SIGN_ERROR","message":"signature mismatch"}'


def _call(client: rt.client.SyncAPIClient, ops: Ops) -> Any:
    with pytest.raises(Exception) as info:
        client._request(ops.modify_budget, path_params={"stock_id": "98 56"}, body=BODY)
    return info.value


def test_sign_error_names_what_was_signed(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    merchant_key: KeyPair,
) -> None:
    server.script(Reply(status=401, sign=False, body=SIGN_ERROR))
    error = _call(make_client(), ops)
    assert isinstance(error, rt.errors.AuthenticationError)
    [request] = server.requests
    diagnosis = error.diagnosis
    assert diagnosis is not None
    body = json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode()
    # Exactly the message the server verified (the same five lines), without the signature.
    assert diagnosis.string_to_sign == (
        f"PATCH\n{request.target}\n{request.auth['timestamp']}\n{request.auth['nonce_str']}\n"
        f"{body.decode()}\n"
    )
    assert diagnosis.identity == MERCHANT_ID and diagnosis.serial_no == SERIAL_NO
    assert diagnosis.body_sha256 == hashlib.sha256(body).hexdigest()
    text = str(error)
    assert text.startswith("HTTP 401 SIGN_ERROR: signature mismatch")
    assert f"mchid={MERCHANT_ID} with serial_no={SERIAL_NO}" in text
    assert f"'PATCH\\n{request.target}\\n{request.auth['timestamp']}\\n" in text
    assert f"{len(body)} bytes, sha256 {diagnosis.body_sha256[:16]}" in text
    assert f"local clock now {int(time.time())}"[:-1] in text
    # Never the signature, the Authorization value, or the key.
    assert request.auth["signature"] not in text and request.authorization not in text
    assert request.auth["signature"] not in repr(diagnosis)
    for line in merchant_key.private_pem.splitlines()[1:-1]:
        assert line not in text


@pytest.mark.parametrize(("offset", "skewed"), [(0, False), (-900, True), (600, True)])
def test_sign_error_compares_the_timestamp_with_the_servers_clock(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    offset: int,
    skewed: bool,
) -> None:
    server_now = time.time() + offset
    server.script(
        Reply(
            status=401,
            sign=False,
            body=SIGN_ERROR,
            headers={"Date": formatdate(server_now, usegmt=True)},
        )
    )
    error = _call(make_client(), ops)
    [request] = server.requests
    assert error.diagnosis.server_time == int(server_now)
    text = str(error)
    expected = int(request.auth["timestamp"]) - int(server_now)
    assert f"signed {expected:+d} s from the server's time" in text
    assert ("CLOCK SKEW" in text) is skewed


def test_other_401s_and_other_statuses_get_no_diagnosis(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(
        Reply(status=401, sign=False, body=b'{"code":"OTHER","message":"x"}'),
        Reply(status=400, sign=False, body=b'{"code":"SIGN_ERROR","message":"x"}'),
    )
    client = make_client()
    first, second = _call(client, ops), _call(client, ops)
    assert isinstance(first, rt.errors.AuthenticationError) and first.diagnosis is None
    assert "diagnosis" not in str(first)
    assert not hasattr(second, "diagnosis") and "diagnosis" not in str(second)


def test_brand_sign_error_names_the_brand(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
) -> None:
    server.script(Reply(status=401, sign=False, body=SIGN_ERROR))
    client = make_client(mchid=None, brand_id="4010000001")
    with pytest.raises(rt.errors.AuthenticationError) as info:
        client._request(ops.submit, path_params={"plan_id": "1"}, body=None)
    text = str(info.value)
    assert "brand_id=4010000001 with serial_no=" in text
    assert "WECHATPAY-BRAND-SHA256-RSA2048" in text
    assert "+ empty body" in text
    diagnosis = info.value.diagnosis
    assert diagnosis is not None and diagnosis.string_to_sign.endswith("\n\n")
