"""``client.with_raw_response.<method>``: every operation, sync and async, against the sandbox."""

from __future__ import annotations

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.demo import DemoCall
from wechatpay_codegen.sandbox import Sandbox

from .test_doc_examples import OPERATIONS, assert_wire_equal


def _check(raw: wp.APIResponse[object], call: DemoCall, sandbox: Sandbox) -> None:
    [received] = sandbox.requests
    assert raw.status_code == call.success_status == received.status
    assert raw.request_id is not None
    assert raw.request_id == received.response_headers.get("Request-ID")
    assert raw.headers["request-id"] == raw.request_id  # case-insensitive names
    assert raw.content == received.response_body
    assert raw.request_id in repr(raw)
    parsed = raw.parse()
    assert raw.parse() is parsed  # parsed once
    if call.response_example is None:
        assert parsed is None and raw.content == b""
    else:
        assert_wire_equal(parsed.to_dict(), call.response_example)  # type: ignore[attr-defined]
        assert raw.json() == call.response_example


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_every_operation_has_a_raw_response_variant(
    operation_id: str,
    calls: dict[str, DemoCall],
    sandbox: Sandbox,
    merchant: wp.WeChatPayClient,
    brand: wp.WeChatPayClient,
) -> None:
    call = calls[operation_id]
    client = brand if call.brand else merchant
    assert client.with_raw_response is client.with_raw_response
    raw = getattr(client.with_raw_response, operation_id)(**call.kwargs)
    assert isinstance(raw, wp.APIResponse)
    _check(raw, call, sandbox)


@pytest.mark.parametrize("operation_id", OPERATIONS)
async def test_every_async_operation_has_a_raw_response_variant(
    operation_id: str,
    calls: dict[str, DemoCall],
    sandbox: Sandbox,
    async_merchant: wp.AsyncWeChatPayClient,
    async_brand: wp.AsyncWeChatPayClient,
) -> None:
    call = calls[operation_id]
    client = async_brand if call.brand else async_merchant
    raw = await getattr(client.with_raw_response, operation_id)(**call.kwargs)
    _check(raw, call, sandbox)


def test_a_raw_response_is_verified_like_any_other(
    calls: dict[str, DemoCall], sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    call = calls["modify_budget"]
    with pytest.raises(wp.SignatureVerificationError):
        merchant.with_raw_response.modify_budget(
            **call.kwargs, extra_headers={"X-Sandbox-Fault": "bad-signature"}
        )


def test_a_raw_call_validates_arguments_before_sending(
    sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    with pytest.raises(wp.RequestValidationError):
        merchant.with_raw_response.modify_budget(stock_id="", modify_budget_request_no="x")
    assert sandbox.requests == []
