"""The generated package (``generated/``, installed with ``pip install -e ./generated``).

Every example in ``specs/`` round-trips through its model; requests are validated on their wire form
with messages naming the JSON path; responses parse strictly on types and leniently on enums,
unknown fields and date-times.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import wechatpay_marketing as wp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from wechatpay_codegen import ir
from wechatpay_codegen.build_ir import build_ir
from wechatpay_codegen.loader import load_specs
from wechatpay_marketing import _operations
from wechatpay_marketing._runtime import serde
from wechatpay_marketing._runtime.response import Response

ROOT = Path(__file__).resolve().parents[2]
API = build_ir(load_specs([ROOT / "specs"]))
OPERATIONS = {op.name: op for op in API.operations}

# An RFC 3339 time written without seconds, as some doc examples do: 2025-01-01T00:00+08:00.
_NO_SECONDS = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})([Zz]|[+-]\d{2}:\d{2})")


def _with_seconds(value: Any) -> Any:
    """``value`` with date-times that omit seconds written with ``:00`` (the one normalisation)."""
    if isinstance(value, str):
        match = _NO_SECONDS.fullmatch(value)
        return f"{match.group(1)}:00{match.group(2)}" if match else value
    if isinstance(value, list):
        return [_with_seconds(v) for v in value]
    if isinstance(value, dict):
        return {k: _with_seconds(v) for k, v in value.items()}
    return value


def _doc_examples() -> list[Any]:
    cases = []
    for op in API.operations:
        if op.request_example is not None:
            assert op.body_model is not None
            cases.append(pytest.param(op.body_model, op.request_example, id=f"{op.name}-request"))
        if op.response_example is not None:
            assert op.response_model is not None
            cases.append(
                pytest.param(op.response_model, op.response_example, id=f"{op.name}-response")
            )
    return cases


def test_every_operation_with_a_body_or_response_has_examples() -> None:
    for op in API.operations:
        assert (op.body_model is None) == (op.request_example is None), op.name
        assert (op.response_model is None) == (op.response_example is None), op.name
    assert len(_doc_examples()) >= 6


@pytest.mark.parametrize(("model_name", "example"), _doc_examples())
def test_doc_example_round_trips(model_name: str, example: dict[str, Any]) -> None:
    model = getattr(wp, model_name).from_dict(example)
    # Exact, except that a date-time the page writes without seconds comes back with ":00"
    # (the same instant; to_dict() always writes RFC 3339 with seconds).
    assert model.to_dict() == _with_seconds(example)
    assert type(model).from_dict(model.to_dict()) == model


def test_a_doc_time_without_seconds_parses_to_the_same_instant() -> None:
    example = OPERATIONS["update_stock_bundle"].response_example
    written = example["stock_list"][0]["deactivate_time"]
    assert _NO_SECONDS.fullmatch(written), "the page's example omits seconds"
    entity = wp.StockBundleEntity.from_dict(example)
    parsed = entity.stock_list[0].deactivate_time
    assert parsed == datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    assert entity.to_dict()["stock_list"][0]["deactivate_time"] == "2025-01-01T00:00:00+08:00"


def _example_kwargs(op: ir.Operation) -> dict[str, Any]:
    body = op.request_example or {}
    kwargs = {p.name: p.example for p in op.path_params}
    kwargs.update({p.name: body[p.wire_name] for p in op.body_params if p.wire_name in body})
    return kwargs


@pytest.mark.parametrize("op", API.operations, ids=lambda op: op.name)
def test_prepare_sends_the_doc_example_as_is(op: ir.Operation) -> None:
    path_params, body = getattr(_operations, op.prepare)(**_example_kwargs(op))
    assert path_params == {p.wire_name: str(p.example) for p in op.path_params}
    assert body == op.request_example


def test_nested_arguments_may_be_models_or_dicts() -> None:
    example = OPERATIONS["update_stock_bundle"].request_example
    kwargs = _example_kwargs(OPERATIONS["update_stock_bundle"])
    as_models = dict(
        kwargs,
        usage_rule_display_info=wp.UsageRuleDisplayInfo.from_dict(
            example["usage_rule_display_info"]
        ),
        coupon_display_info=wp.CouponDisplayInfo.from_dict(example["coupon_display_info"]),
        notify_config=wp.NotifyConfig(notify_appid="wx4fd12345678"),
        store_scope=wp.StockStoreScope.SPECIFIC,
    )
    assert _operations.prepare_update_stock_bundle(**as_models)[1] == example


# -- request validation ---------------------------------------------------------------------------


def _update_plan(**content: Any) -> dict[str, Any] | None:
    return _operations.prepare_update_delivery_plan(plan_id="12000", modify_content=content)[1]


def _error(call: Any, **kwargs: Any) -> str:
    with pytest.raises(wp.RequestValidationError) as info:
        call(**kwargs)
    assert isinstance(info.value, ValueError)
    return str(info.value)


def test_length_is_counted_in_characters() -> None:
    assert _update_plan(plan_name="冬" * 30) == {"modify_content": {"plan_name": "冬" * 30}}
    message = _error(_update_plan, plan_name="x" * 31)
    assert message == "modify_content.plan_name: at most 30 characters"
    with pytest.raises(wp.RequestValidationError) as info:
        _update_plan(plan_name="冬" * 31)
    assert (info.value.path, info.value.reason) == (
        "modify_content.plan_name",
        "at most 30 characters",
    )


def test_models_are_validated_on_their_wire_form() -> None:
    content = wp.PlanModifyContent(plan_name="x" * 31)
    message = _error(_operations.prepare_update_delivery_plan, plan_id="1", modify_content=content)
    assert message == "modify_content.plan_name: at most 30 characters"


def test_types_are_checked() -> None:
    assert _error(_update_plan, total_count="1") == (
        "modify_content.total_count: expected an integer, got string"
    )
    assert _error(_update_plan, total_count=True) == (
        "modify_content.total_count: expected an integer, got boolean"
    )
    assert _error(_operations.prepare_submit_delivery_plan, plan_id=12000) == (
        "plan_id: expected a string, got integer"
    )


def test_min_properties_and_required() -> None:
    assert _error(_update_plan) == "modify_content: set at least 1 field"
    assert _error(_operations.prepare_update_delivery_plan, plan_id="1", modify_content=None) == (
        "modify_content: is required"
    )


def test_date_times_go_out_as_rfc3339_with_seconds() -> None:
    when = datetime(2025, 1, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    assert _update_plan(delivery_end_time=when) == {
        "modify_content": {"delivery_end_time": "2025-01-01T08:30:00+08:00"}
    }
    message = _error(_update_plan, delivery_end_time=datetime(2025, 1, 1))
    assert message.startswith("modify_content.delivery_end_time: must be an RFC 3339 date-time")
    message = _error(_update_plan, delivery_end_time="2025-01-01T00:00+08:00")
    assert message.startswith("modify_content.delivery_end_time: must be an RFC 3339")


def _modify_budget(**kwargs: Any) -> dict[str, Any] | None:
    base = {"stock_id": "98065001", "modify_budget_request_no": "1002600620019090123143254436"}
    return _operations.prepare_modify_budget(**{**base, **kwargs})[1]


def test_business_rules_of_modify_budget() -> None:
    assert _modify_budget(target_max_coupons=3000, current_max_coupons=500) is not None
    assert _error(
        _modify_budget,
        target_max_coupons=3000,
        current_max_coupons=500,
        target_max_coupons_by_day=500,
        current_max_coupons_by_day=300,
    ) == ("target_max_coupons_by_day: cannot be set together with target_max_coupons")
    assert _error(_modify_budget, target_max_coupons=3000) == (
        "current_max_coupons: is required when target_max_coupons is set"
    )
    assert _error(_modify_budget, target_max_coupons_by_day=1) == (
        "current_max_coupons_by_day: is required when target_max_coupons_by_day is set"
    )


def _update_bundle(**kwargs: Any) -> dict[str, Any] | None:
    base = {
        "product_coupon_id": "200000001",
        "stock_bundle_id": "123456789",
        "out_request_no": "34657_20250101_123456",
        "brand_id": "120344",
    }
    return _operations.prepare_update_stock_bundle(**{**base, **kwargs})[1]


def test_patterns_enums_and_nested_arrays() -> None:
    assert _error(_update_bundle, out_request_no="abc") == "out_request_no: at least 6 characters"
    assert _error(_update_bundle, out_request_no="abc def!") == (
        "out_request_no: must match the pattern ^[0-9A-Za-z_-]{6,40}$"
    )
    assert _error(_update_bundle, store_scope="BOGUS") == (
        "store_scope: must be one of NONE, ALL, SPECIFIC"
    )
    assert _update_bundle(store_scope="ALL") == _update_bundle(store_scope=wp.StockStoreScope.ALL)
    info = {"coupon_usage_method_list": ["OFFLINE", "NOPE"], "usage_description": "全场可用"}
    assert _error(_update_bundle, usage_rule_display_info=info) == (
        "usage_rule_display_info.coupon_usage_method_list[1]: "
        "must be one of OFFLINE, MINI_PROGRAM, APP, PAYMENT_CODE"
    )
    assert _error(_update_bundle, usage_rule_display_info={"coupon_usage_method_list": []}) == (
        "usage_rule_display_info.usage_description: is required"
    )
    assert _error(_update_bundle, remark=None, notify_config={"notify_appid": None}) == (
        "notify_config.notify_appid: is required"
    )


# -- response parsing -----------------------------------------------------------------------------


def _plan(**changes: Any) -> dict[str, Any]:
    example = OPERATIONS["update_delivery_plan"].response_example
    return {"plan": {**example["plan"], **changes}}


def test_unknown_enum_values_are_kept_as_strings() -> None:
    known = wp.UpdateDeliveryPlanResponse.from_dict(_plan())
    assert known.plan.plan_state is wp.PlanState.PLAN_CREATED
    new = wp.UpdateDeliveryPlanResponse.from_dict(_plan(plan_state="PLAN_ARCHIVED"))
    assert new.plan.plan_state == "PLAN_ARCHIVED"
    assert not isinstance(new.plan.plan_state, wp.PlanState)
    assert new.to_dict()["plan"]["plan_state"] == "PLAN_ARCHIVED"


def test_unknown_fields_are_kept_and_written_back() -> None:
    data = _plan(new_field={"nested": [1, 2]})
    data["top_level_extra"] = "x"
    response = wp.UpdateDeliveryPlanResponse.from_dict(data)
    assert response.to_dict() == data
    assert "new_field" not in repr(response)
    assert response != wp.UpdateDeliveryPlanResponse.from_dict(_plan())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_plan(brand_id="40016"), "plan.brand_id: expected an integer, got string"),
        (_plan(plan_id=None), "plan.plan_id: is required but missing"),
        ({"plan": []}, "plan: expected an object, got array"),
        (_plan(plan_state=7), "plan.plan_state: expected a string, got integer"),
    ],
)
def test_wrong_shapes_raise_response_validation_errors(data: Any, message: str) -> None:
    with pytest.raises(wp.APIResponseValidationError) as info:
        wp.UpdateDeliveryPlanResponse.from_dict(data)
    assert str(info.value) == message


def test_array_items_are_named_by_index() -> None:
    example = OPERATIONS["update_stock_bundle"].response_example
    broken = {**example, "stock_list": [dict(example["stock_list"][0])]}
    broken["stock_list"][0]["stock_send_rule"] = {"max_count": "many"}
    with pytest.raises(wp.APIResponseValidationError, match=r"^stock_list\[0\]\.stock_send_rule"):
        wp.StockBundleEntity.from_dict(broken)


_MINUS_1H30 = timezone(-timedelta(hours=1, minutes=30))
_PLUS_8 = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-01-01T00:00+08:00", datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=8)))),
        ("2025-01-01T00:00:00Z", datetime(2025, 1, 1, tzinfo=timezone.utc)),
        ("2025-01-01 08:00:00.5-0130", datetime(2025, 1, 1, 8, 0, 0, 500000, _MINUS_1H30)),
        ("2025-01-01T00:00:00", "2025-01-01T00:00:00"),  # no offset: kept as text
        ("2025-02-30T00:00:00+08:00", "2025-02-30T00:00:00+08:00"),  # no such day
        ("soon", "soon"),
        # The form WeChat Pay sends (read by the C parser) and its edges:
        ("2019-12-17T10:35:53+08:00", datetime(2019, 12, 17, 10, 35, 53, tzinfo=_PLUS_8)),
        (" 2019-12-17t10:35:53-01:30 ", datetime(2019, 12, 17, 10, 35, 53, tzinfo=_MINUS_1H30)),
        ("2019-12-17T24:00:00+08:00", "2019-12-17T24:00:00+08:00"),  # no hour 24
        ("2019-12-17T10:35:53+24:00", "2019-12-17T10:35:53+24:00"),  # offset of a day
        ("2019-12-17T10:35:60+08:00", "2019-12-17T10:35:60+08:00"),  # no leap second
        ("2019-W51-2T10:35:53+08:00", "2019-W51-2T10:35:53+08:00"),  # ISO week date: not RFC 3339
        ("\u0662\u0660\u0662\u0665-01-01T00:00:00Z", "\u0662\u0660\u0662\u0665-01-01T00:00:00Z"),
    ],
)
def test_date_times_parse_leniently(written: str, expected: datetime | str) -> None:
    plan = wp.UpdateDeliveryPlanResponse.from_dict(_plan(delivery_start_time=written)).plan
    assert plan.delivery_start_time == expected
    assert type(plan.delivery_start_time) is type(expected)
    if isinstance(expected, datetime):
        assert plan.delivery_start_time.tzinfo is not None


def test_parse_response_names_the_request() -> None:
    headers = httpx.Headers({"Request-ID": "08F4-0"})
    bad = Response(200, headers, b'{"plan": 1}', "08F4-0")
    with pytest.raises(wp.APIResponseValidationError) as info:
        serde.parse_response(wp.UpdateDeliveryPlanResponse.from_dict, bad)
    assert info.value.request_id == "08F4-0" and info.value.status_code == 200
    assert "plan: expected an object, got integer" in str(info.value)
    with pytest.raises(wp.APIResponseValidationError, match="not valid JSON"):
        serde.parse_response(
            wp.UpdateDeliveryPlanResponse.from_dict, Response(200, headers, b"<html>", "r")
        )


# -- clients -----------------------------------------------------------------------------------


def test_sync_and_async_clients_have_the_same_methods() -> None:
    for op in API.operations:
        sync = getattr(wp.WeChatPayClient, op.name)
        async_ = getattr(wp.AsyncWeChatPayClient, op.name)
        assert inspect.iscoroutinefunction(async_) and not inspect.iscoroutinefunction(sync)
        assert inspect.signature(sync) == inspect.signature(async_)
        params = inspect.signature(sync).parameters
        assert all(p.kind is p.KEYWORD_ONLY for name, p in params.items() if name != "self")
        assert list(params)[-3:] == ["extra_headers", "max_retries", "timeout"]
        assert sync.__doc__ and op.summary in sync.__doc__


def test_package_exports() -> None:
    assert wp.__all__ == sorted(wp.__all__, key=lambda n: (n[0].islower() or n[0] == "_", n))
    for name in wp.__all__:
        assert hasattr(wp, name), name
    expected = {m.name for m in API.models} | {e.name for e in API.enums} | set(ir.RUNTIME_ERRORS)
    assert expected | {"WeChatPayClient", "AsyncWeChatPayClient", "build_authorization"} <= set(
        wp.__all__
    )
    assert (Path(wp.__file__).parent / "py.typed").is_file()


def test_every_runtime_error_is_exported() -> None:
    from wechatpay_marketing._runtime import errors

    classes = {name for name in errors.__all__ if isinstance(getattr(errors, name), type)}
    assert classes == set(ir.RUNTIME_ERRORS)
    assert all(getattr(wp, name) is getattr(errors, name) for name in classes)


@pytest.fixture(scope="module")
def keys() -> dict[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "private_key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "wechatpay_public_key": key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback TCP server that records whatever arrives (and answers nothing useful)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                received.append(conn.recv(65536))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", received
    stop.set()
    thread.join()
    server.close()


def _config(keys: dict[str, bytes], base_url: str) -> dict[str, Any]:
    return {
        "mchid": "1900000001",
        "serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "wechatpay_public_key_id": "PUB_KEY_ID_0114232134912410000000000000",
        "base_url": base_url,
        "backup_base_url": None,
        "max_retries": 0,
        "timeout": 2.0,
        **keys,
    }


def test_brand_operation_on_a_merchant_client_fails_before_sending(
    keys: dict[str, bytes], listener: tuple[str, list[bytes]]
) -> None:
    base_url, received = listener
    with wp.WeChatPayClient(**_config(keys, base_url)) as client:
        with pytest.raises(wp.WeChatPayError, match="brand") as info:
            client.submit_delivery_plan(plan_id="12000")
    assert not isinstance(info.value, wp.RequestValidationError)

    async def call() -> None:
        async with wp.AsyncWeChatPayClient(**_config(keys, base_url)) as client:
            await client.submit_delivery_plan(plan_id="12000")

    with pytest.raises(wp.WeChatPayError, match="brand"):
        asyncio.run(call())
    assert received == []


def test_invalid_arguments_fail_before_sending(
    keys: dict[str, bytes], listener: tuple[str, list[bytes]]
) -> None:
    base_url, received = listener
    with wp.WeChatPayClient(**_config(keys, base_url)) as client:
        with pytest.raises(wp.RequestValidationError, match=r"^modify_content\.plan_name:"):
            client.update_delivery_plan(plan_id="12000", modify_content={"plan_name": "x" * 31})
    assert received == []


def test_documented_status_errors_are_the_runtimes() -> None:
    # ir.STATUS_ERRORS names, in docstrings, the class the runtime raises for each status.
    from wechatpay_marketing._runtime import errors

    for status in range(400, 600):
        expected = ir.STATUS_ERRORS.get(
            status, "InternalServerError" if status >= 500 else "APIStatusError"
        )
        assert errors.status_error_class(status).__name__ == expected, status


_READ_VALUES = ["text", "", 0, 7, -1, True, False, 1.5, None, [], {}, "7"]


@pytest.mark.parametrize("kind", ["str", "int", "bool"])
@pytest.mark.parametrize("value", [*_READ_VALUES, "missing"])
def test_typed_field_readers_agree_with_the_general_path(kind: str, value: Any) -> None:
    """``required_<kind>``/``optional_<kind>`` (what generated from_dict calls for scalars) give
    what ``required``/``optional`` with the kind's parser give: the same value or the same
    error, for every JSON type (booleans are not integers)."""
    parse = getattr(serde, f"parse_{kind}")
    obj = {} if value == "missing" else {"field": value}
    for which in ("required", "optional"):
        fast = getattr(serde, f"{which}_{kind}")
        general = getattr(serde, which)
        try:
            expected: Any = ("value", general(obj, "field", "outer", parse))
        except wp.APIResponseValidationError as exc:
            expected = ("error", str(exc))
        try:
            got: Any = ("value", fast(obj, "field", "outer"))
        except wp.APIResponseValidationError as exc:
            got = ("error", str(exc))
        assert got == expected and type(got[1]) is type(expected[1])
