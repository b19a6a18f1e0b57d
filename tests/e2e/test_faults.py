"""Every sandbox fault gives the documented exception; unverified data is never returned."""

from __future__ import annotations

import uuid

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.demo import DemoCall
from wechatpay_codegen.sandbox import Sandbox

SIGNATURE_FAULTS = [
    "bad-signature",
    "stale-timestamp",
    "wrong-serial",
    "tamper-body",
    "signtest",
    "missing-headers",
]


def _fault(spec: str) -> dict[str, str]:
    return {"X-Sandbox-Fault": spec, "X-Sandbox-Fault-Key": uuid.uuid4().hex}


@pytest.mark.parametrize("fault", SIGNATURE_FAULTS)
@pytest.mark.parametrize("operation_id", ["modify_budget", "submit_delivery_plan"])
def test_a_response_that_fails_verification_raises(
    fault: str,
    operation_id: str,
    calls: dict[str, DemoCall],
    merchant: wp.WeChatPayClient,
    brand: wp.WeChatPayClient,
) -> None:
    call = calls[operation_id]
    client = brand if call.brand else merchant
    with pytest.raises(wp.SignatureVerificationError) as info:
        getattr(client, operation_id)(**call.kwargs, extra_headers=_fault(fault))
    assert info.value.request_id  # the sandbox's Request-ID, for a support ticket


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("429", wp.RateLimitError),
        ("500", wp.InternalServerError),
        ("503", wp.InternalServerError),
    ],
)
def test_status_faults_map_to_typed_errors(
    fault: str,
    error: type[wp.APIStatusError],
    calls: dict[str, DemoCall],
    sandbox: Sandbox,
    merchant: wp.WeChatPayClient,
) -> None:
    call = calls["modify_budget"]
    with pytest.raises(error) as info:
        merchant.modify_budget(**call.kwargs, extra_headers=_fault(fault), max_retries=0)
    assert info.value.status_code == int(fault)
    assert info.value.code
    assert info.value.request_id
    assert len(sandbox.requests) == 1


def test_dropped_connection_is_a_connection_error(
    calls: dict[str, DemoCall], sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    with pytest.raises(wp.APIConnectionError):
        merchant.modify_budget(**calls["modify_budget"].kwargs, extra_headers=_fault("drop"))
    assert len(sandbox.requests) == 3  # the first attempt and two retries


def test_a_slow_server_is_a_timeout(
    calls: dict[str, DemoCall], merchant: wp.WeChatPayClient
) -> None:
    with pytest.raises(wp.APITimeoutError):
        merchant.modify_budget(
            **calls["modify_budget"].kwargs,
            extra_headers=_fault("delay=2"),
            timeout=0.3,
            max_retries=0,
        )


def test_a_signed_response_that_is_not_json_raises(
    calls: dict[str, DemoCall], merchant: wp.WeChatPayClient
) -> None:
    with pytest.raises(wp.APIResponseValidationError) as info:
        merchant.modify_budget(**calls["modify_budget"].kwargs, extra_headers=_fault("not-json"))
    assert info.value.request_id


def test_a_request_that_breaks_the_spec_is_refused_before_sending(
    calls: dict[str, DemoCall], sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    """The page allows only one target at a time: both given is refused client-side."""
    kwargs = {
        **calls["modify_budget"].kwargs,
        "target_max_coupons_by_day": 500,
        "current_max_coupons_by_day": 300,
    }
    with pytest.raises(wp.RequestValidationError) as info:
        merchant.modify_budget(**kwargs)
    assert "target_max_coupons" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert sandbox.requests == []


def test_a_nested_field_error_names_its_json_path(
    calls: dict[str, DemoCall], sandbox: Sandbox, merchant: wp.WeChatPayClient
) -> None:
    kwargs = dict(calls["update_delivery_plan"].kwargs)
    kwargs["modify_content"] = {**kwargs["modify_content"], "plan_name": "冬" * 31}
    with pytest.raises(wp.RequestValidationError) as info:
        merchant.update_delivery_plan(**kwargs)
    assert str(info.value) == "modify_content.plan_name: at most 30 characters"
    assert sandbox.requests == []
