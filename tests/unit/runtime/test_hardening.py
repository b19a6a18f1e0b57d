"""Hardening found in review: header values, reprs of what is sent, date-time bounds, failover."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from .conftest import PACKAGE


@pytest.mark.parametrize("value", ["é", "a\x01b", "a\x7fb", "x\r\nInjected: 1", "\x00"])
def test_extra_header_values_must_be_visible_ascii(rt: SimpleNamespace, value: str) -> None:
    with pytest.raises(rt.errors.RequestValidationError) as info:
        rt.request.check_extra_headers({"X-Test": value})
    assert "visible ASCII" in str(info.value)


def test_extra_header_values_may_hold_spaces_and_tabs(rt: SimpleNamespace) -> None:
    assert rt.request.check_extra_headers({"X-Test": "a b\tc"}) == {"X-Test": "a b\tc"}


def test_a_send_action_repr_shows_neither_headers_nor_body(rt: SimpleNamespace) -> None:
    endpoint = rt.transport.Endpoint("https://api.mch.weixin.qq.com", "")
    action = rt.transport.SendAction(
        "POST",
        endpoint,
        "/v3/x",
        {"Authorization": 'WECHATPAY2-SHA256-RSA2048 signature="SECRETSIG"'},
        b'{"secret":1}',
        1.0,
        1024,
    )
    text = repr(action)
    assert "SECRETSIG" not in text and "secret" not in text and "/v3/x" in text


@pytest.fixture(scope="module")
def validation(runtime_root: Path) -> object:
    return importlib.import_module(f"{PACKAGE}._runtime.validation")


@pytest.mark.parametrize("second", ["61", "75", "99"])
def test_request_date_times_with_impossible_seconds_are_refused(
    rt: SimpleNamespace, validation: object, second: str
) -> None:
    with pytest.raises(rt.errors.RequestValidationError):
        validation.date_time(f"2025-01-01T00:00:{second}+08:00", "when")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value",
    ["\u0662\u0660\u0662\u0665-01-01T00:00:00+08:00", "2025-01-01T00:00:00+08:00\n"],
)
def test_request_date_times_take_ascii_digits_and_nothing_after(
    rt: SimpleNamespace, validation: object, value: str
) -> None:
    with pytest.raises(rt.errors.RequestValidationError):
        validation.date_time(value, "when")  # type: ignore[attr-defined]


def test_a_leap_second_is_a_valid_request_date_time(validation: object) -> None:
    validation.date_time("2016-12-31T23:59:60Z", "when")  # type: ignore[attr-defined]


def test_no_failover_on_local_pool_exhaustion(rt: SimpleNamespace) -> None:
    pool = rt.transport.failure(httpx.PoolTimeout("no free connection"), before_response=True)
    assert pool.retryable and pool.timed_out and not pool.failover
    connect = rt.transport.failure(httpx.ConnectError("refused"), before_response=True)
    assert connect.failover
    after = rt.transport.failure(httpx.ReadTimeout("slow"), before_response=False)
    assert not after.failover
