"""Retries observed at the sandbox, failover, concurrency, and brand vs merchant credentials."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.demo import DemoCall
from wechatpay_codegen.sandbox import Sandbox


def _fault(spec: str) -> dict[str, str]:
    return {"X-Sandbox-Fault": spec, "X-Sandbox-Fault-Key": uuid.uuid4().hex}


@pytest.mark.parametrize("fault", ["429", "500", "503", "drop"])
def test_retries_sign_afresh_and_send_the_same_body(
    fault: str, calls: dict[str, DemoCall], sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    call = calls["modify_budget"]
    result = merchant.modify_budget(**call.kwargs, extra_headers=_fault(f"{fault}; times=2"))
    assert result.to_dict() == call.response_example
    attempts = sandbox.requests
    assert len(attempts) == 3
    assert len({a.nonce for a in attempts}) == 3
    assert len({a.body for a in attempts}) == 1
    assert json.loads(attempts[0].body) == call.body


def test_retries_give_up_after_max_retries(
    calls: dict[str, DemoCall], sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    with pytest.raises(wp.InternalServerError):
        merchant.modify_budget(
            **calls["modify_budget"].kwargs, extra_headers=_fault("503; times=5"), max_retries=1
        )
    assert len(sandbox.requests) == 2


def test_a_4xx_other_than_429_is_never_retried(
    calls: dict[str, DemoCall], sandbox: Sandbox, brand: wp.WeChatPayClient
) -> None:
    with pytest.raises(wp.NotFoundError):
        brand.submit_delivery_plan(plan_id="no-such-plan", extra_headers=_fault("404"))
    assert len(sandbox.requests) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_failover_to_the_backup_domain_on_a_connection_failure(
    calls: dict[str, DemoCall], sandbox: Sandbox
) -> None:
    config = {
        **sandbox.merchant_config(),
        "base_url": f"http://127.0.0.1:{_closed_port()}",
        "backup_base_url": sandbox.base_url,
    }
    with wp.WeChatPayClient(**config) as client:
        result = client.modify_budget(**calls["modify_budget"].kwargs)
    assert result.to_dict() == calls["modify_budget"].response_example
    assert len(sandbox.requests) == 1


async def test_async_client_runs_concurrent_calls(
    calls: dict[str, DemoCall], sandbox: Sandbox, async_merchant: wp.AsyncWeChatPayClient
) -> None:
    call = calls["modify_budget"]
    results = await asyncio.gather(
        *(async_merchant.modify_budget(**call.kwargs) for _ in range(16))
    )
    assert all(r.to_dict() == call.response_example for r in results)
    assert len({a.nonce for a in sandbox.requests}) == 16


async def test_async_retries(
    calls: dict[str, DemoCall], sandbox: Sandbox, async_merchant: wp.AsyncWeChatPayClient
) -> None:
    call = calls["modify_budget"]
    await async_merchant.modify_budget(**call.kwargs, extra_headers=_fault("500; times=1"))
    assert len(sandbox.requests) == 2


def test_brand_operation_on_a_merchant_client_is_refused_before_sending(
    calls: dict[str, DemoCall], sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    with pytest.raises(wp.WeChatPayError, match="brand"):
        merchant.submit_delivery_plan(**calls["submit_delivery_plan"].kwargs)
    assert sandbox.requests == []


def test_merchant_operation_on_a_brand_client_is_refused_before_sending(
    calls: dict[str, DemoCall], sandbox: Sandbox, brand: wp.WeChatPayClient
) -> None:
    with pytest.raises(wp.WeChatPayError, match="mchid"):
        brand.modify_budget(**calls["modify_budget"].kwargs)
    assert sandbox.requests == []


def test_sandbox_rejects_a_request_signed_with_the_wrong_key(
    calls: dict[str, DemoCall], sandbox: Sandbox
) -> None:
    """The brand key signing a merchant call: the sandbox checks the signature for real."""
    config = {**sandbox.merchant_config(), "private_key": sandbox.brand_config()["private_key"]}
    with wp.WeChatPayClient(**config) as client, pytest.raises(wp.AuthenticationError) as info:
        client.modify_budget(**calls["modify_budget"].kwargs)
    assert info.value.code == "SIGN_ERROR"


def test_path_parameters_cannot_change_the_request_target(
    calls: dict[str, DemoCall], sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    kwargs = {**calls["modify_budget"].kwargs, "stock_id": "../../x?y=1#z"}
    merchant.modify_budget(**kwargs)
    [received] = sandbox.requests
    assert received.target == "/v3/marketing/busifavor/stocks/..%2F..%2Fx%3Fy%3D1%23z/budget"
