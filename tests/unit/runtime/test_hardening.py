"""Hardening found in review: header values, reprs of what is sent, date-time bounds, failover."""

from __future__ import annotations

import httpx
import pytest

from . import rt


@pytest.mark.parametrize("value", ["é", "a\x01b", "a\x7fb", "x\r\nInjected: 1", "\x00"])
def test_extra_header_values_must_be_visible_ascii(value: str) -> None:
    with pytest.raises(rt.errors.RequestValidationError) as info:
        rt.request.check_extra_headers({"X-Test": value})
    assert "visible ASCII" in str(info.value)


def test_extra_header_values_may_hold_spaces_and_tabs() -> None:
    assert rt.request.check_extra_headers({"X-Test": "a b\tc"}) == {"X-Test": "a b\tc"}


def test_a_send_action_repr_shows_neither_headers_nor_body() -> None:
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


@pytest.mark.parametrize("second", ["61", "75", "99"])
def test_request_date_times_with_impossible_seconds_are_refused(second: str) -> None:
    with pytest.raises(rt.errors.RequestValidationError):
        rt.validation.date_time(f"2025-01-01T00:00:{second}+08:00", "when")


@pytest.mark.parametrize(
    "value",
    ["\u0662\u0660\u0662\u0665-01-01T00:00:00+08:00", "2025-01-01T00:00:00+08:00\n"],
)
def test_request_date_times_take_ascii_digits_and_nothing_after(value: str) -> None:
    with pytest.raises(rt.errors.RequestValidationError):
        rt.validation.date_time(value, "when")


def test_a_leap_second_is_a_valid_request_date_time() -> None:
    rt.validation.date_time("2016-12-31T23:59:60Z", "when")


def test_no_failover_on_local_pool_exhaustion() -> None:
    pool = rt.transport.failure(httpx.PoolTimeout("no free connection"), before_response=True)
    assert pool.retryable and pool.timed_out and not pool.failover
    connect = rt.transport.failure(httpx.ConnectError("refused"), before_response=True)
    assert connect.failover
    after = rt.transport.failure(httpx.ReadTimeout("slow"), before_response=False)
    assert not after.failover
