"""Every operation with its doc example, over real HTTP to the sandbox, sync and async."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.demo import DemoCall
from wechatpay_codegen.loader import load_specs
from wechatpay_codegen.sandbox import Sandbox

from .conftest import SPECS

# Every operation of the specs (read here, at collection, to parametrize the tests by it).
OPERATIONS = sorted(op.operation_id for op in load_specs([SPECS]).model().operations)


def _same_instant(a: Any, b: Any) -> bool:
    """Doc examples write some date-times without seconds; the client re-emits them with seconds."""
    try:
        return datetime.fromisoformat(str(a)) == datetime.fromisoformat(str(b))
    except ValueError:
        return False


def assert_wire_equal(actual: Any, expected: Any, path: str = "$") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        assert sorted(actual) == sorted(expected), path
        for key in expected:
            assert_wire_equal(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_wire_equal(a, e, f"{path}[{i}]")
    elif isinstance(expected, str) and actual != expected:
        assert _same_instant(actual, expected), f"{path}: {actual!r} != {expected!r}"
    else:
        assert actual == expected and type(actual) is type(expected), path


def test_every_operation_is_in_the_specs(calls: dict[str, DemoCall]) -> None:
    assert sorted(calls) == OPERATIONS


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_sync_call_sends_the_doc_request_and_returns_the_doc_response(
    operation_id: str,
    calls: dict[str, DemoCall],
    sandbox: Sandbox,
    merchant: wp.WeChatPayClient,
    brand: wp.WeChatPayClient,
) -> None:
    call = calls[operation_id]
    client = brand if call.brand else merchant
    result = getattr(client, operation_id)(**call.kwargs)

    [received] = sandbox.requests
    assert received.status == call.success_status
    if call.body is None:
        assert received.body == b""
    else:
        assert json.loads(received.body) == call.body
    if call.response_example is None:
        assert result is None
    else:
        assert_wire_equal(result.to_dict(), call.response_example)
        assert type(result).from_dict(call.response_example) == result


@pytest.mark.parametrize("operation_id", OPERATIONS)
async def test_async_call_matches_the_sync_one(
    operation_id: str,
    calls: dict[str, DemoCall],
    sandbox: Sandbox,
    async_merchant: wp.AsyncWeChatPayClient,
    async_brand: wp.AsyncWeChatPayClient,
) -> None:
    call = calls[operation_id]
    client = async_brand if call.brand else async_merchant
    result = await getattr(client, operation_id)(**call.kwargs)

    [received] = sandbox.requests
    assert received.status == call.success_status
    if call.response_example is None:
        assert result is None
    else:
        assert_wire_equal(result.to_dict(), call.response_example)


def test_nested_objects_may_be_models_or_dicts(
    calls: dict[str, DemoCall], sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    call = calls["update_delivery_plan"]
    kwargs = dict(call.kwargs)
    kwargs["modify_content"] = wp.PlanModifyContent.from_dict(kwargs["modify_content"])
    merchant.update_delivery_plan(**kwargs)
    [received] = sandbox.requests
    assert json.loads(received.body) == call.body
