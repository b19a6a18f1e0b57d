"""Request building (path, body, extra headers) and retry timing, as plain functions."""

from __future__ import annotations

import email.utils
import re
import time
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from . import rt

TEMPLATE = "/v3/marketing/busifavor/stocks/{stock_id}/budget"


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("9856888", "9856888"),
        ("a b/c", "a%20b%2Fc"),
        ("../../x?y=1#z", "..%2F..%2Fx%3Fy%3D1%23z"),
        ("券-1", "%E5%88%B8-1"),
        ("%2F", "%252F"),
        ("a~b_c.d", "a~b_c.d"),
    ],
)
def test_path_params_are_percent_encoded(value: str, encoded: str) -> None:
    path = rt.request.render_path(TEMPLATE, {"stock_id": value})
    assert path == f"/v3/marketing/busifavor/stocks/{encoded}/budget"


@pytest.mark.parametrize(
    ("params", "name", "words"),
    [
        ({"stock_id": ""}, "stock_id", "empty"),
        ({"stock_id": "."}, "stock_id", "'.'"),
        ({"stock_id": ".."}, "stock_id", "'..'"),
        ({}, "stock_id", "required"),
        ({"stock_id": "1", "plan_id": "2"}, "plan_id", "not a path parameter"),
        ({"stock_id": 12}, "stock_id", "string"),
        ({"stock_id": "\ud800"}, "stock_id", "text"),
    ],
)
def test_bad_path_params_are_named(params: dict[str, Any], name: str, words: str) -> None:
    with pytest.raises(rt.errors.RequestValidationError) as info:
        rt.request.render_path(TEMPLATE, params)
    assert info.value.path == name
    assert words in info.value.reason


def test_body_is_compact_utf8_json() -> None:
    body = {"plan_name": "年货节", "budget": {"max": 3000, "ratio": 0.5}, "tags": ["a", "b"]}
    assert rt.request.serialize_body(body) == (
        '{"plan_name":"年货节","budget":{"max":3000,"ratio":0.5},"tags":["a","b"]}'.encode()
    )


@pytest.mark.parametrize("body", [{"a": float("nan")}, {"a": object()}, {"a": "\udc80"}])
def test_unserializable_body_is_a_validation_error(body: dict[str, object]) -> None:
    with pytest.raises(rt.errors.RequestValidationError, match="not serializable as JSON"):
        rt.request.serialize_body(body)


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"X-Trace": "a\r\nInjected: 1"}, "CR, LF"),
        ({"X-Trace": "a\nb"}, "CR, LF"),
        ({"X-Trace": "a\x00b"}, "visible ASCII"),
        ({"Bad Name": "x"}, "header name"),
        ({"X-Evil\r\n": "x"}, "header name"),
        ({"Authorization": "WECHATPAY2-SHA256-RSA2048 forged"}, "cannot be overridden"),
        ({"content-length": "0"}, "cannot be overridden"),
        ({"X-Num": 1}, "string"),
    ],
)
def test_bad_extra_headers_are_refused(headers: dict[str, Any], words: str) -> None:
    with pytest.raises(rt.errors.RequestValidationError) as info:
        rt.request.check_extra_headers(headers)
    assert words in info.value.reason
    assert info.value.path.startswith("extra_headers[")


def test_backoff_doubles_from_half_a_second_capped_at_eight() -> None:
    policy = rt.retries.RetryPolicy()
    for retry, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (60, 8.0)]:
        delays = [policy.backoff(retry) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 150  # jittered


def test_retry_after_is_honoured_and_capped() -> None:
    policy = rt.retries.RetryPolicy(max_retry_after=30.0)
    assert policy.delay(0, "3") == (3.0, True)
    assert policy.delay(0, "0") == (0.0, True)
    assert policy.delay(0, "86400") == (30.0, True)
    delay, from_header = policy.delay(1, "soon")
    assert not from_header and 0.5 <= delay <= 1.0
    delay, from_header = policy.delay(0, "-5")
    assert not from_header


def test_retry_after_http_date() -> None:
    now = time.time()
    value = email.utils.formatdate(now + 10, usegmt=True)
    seconds = rt.retries.parse_retry_after(value, now=now)
    assert seconds is not None and 9 <= seconds <= 10
    past = email.utils.formatdate(now - 100, usegmt=True)
    assert rt.retries.parse_retry_after(past, now=now) == 0.0
    assert rt.retries.parse_retry_after("inf") is None
    assert rt.retries.parse_retry_after("nan") is None
    assert rt.retries.parse_retry_after(None) is None


def test_retried_statuses() -> None:
    assert {429, 500, 501, 502, 503, 504} == set(rt.retries.RETRY_STATUSES)


@settings(max_examples=300, deadline=None)
@given(value=st.text(min_size=1).filter(lambda v: v not in (".", "..")))
def test_any_path_param_round_trips_and_is_sent_as_signed(value: str) -> None:
    """Whatever the value, the target is what httpx sends byte for byte, and decodes back."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates are refused (tested above)
    target = rt.request.render_path(TEMPLATE, {"stock_id": value})
    encoded = target.split("/")[5]
    assert unquote(encoded) == value
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]+", encoded)
    url = rt.httpx_transport.url_for("https://api.mch.weixin.qq.com", target)
    assert url.raw_path == target.encode("ascii")
