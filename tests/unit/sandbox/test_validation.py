"""Request bodies and path parameters are validated against the spec: 400 with a useful detail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from wechatpay_codegen.sandbox import Sandbox
from wechatpay_codegen.sandbox.checks import ResultCache

from .wire import Call

WIDGET = "/v3/test/widgets/12345"
VALID = {"request_no": "REQ0001"}


def _error(response: httpx.Response, code: str = "PARAM_ERROR") -> dict[str, Any]:
    assert response.status_code == 400, response.text
    payload: dict[str, Any] = response.json()
    assert payload["code"] == code
    assert payload["message"]
    assert "Wechatpay-Signature" not in response.headers
    return payload


@pytest.mark.parametrize(
    ("body", "field", "value", "issue"),
    [
        ({}, "/request_no", None, "is required"),
        ({"request_no": ""}, "/request_no", "", "at least 1"),
        ({**VALID, "name": "much too long"}, "/name", "much too long", "at most 8"),
        ({**VALID, "price": 0}, "/price", 0, ">= 1"),  # the cross-file $ref's minimum
        ({**VALID, "price": "100"}, "/price", "100", "type"),
        ({**VALID, "color": "BLUE"}, "/color", "BLUE", "one of"),
        ({**VALID, "parts": [{"part_no": 1}, {"part_no": -1}]}, "/parts/1/part_no", -1, ">= 0"),
        ({**VALID, "parts": [{}]}, "/parts/0/part_no", None, "is required"),
        ({**VALID, "parts": [{"part_no": 1}] * 3}, "/parts", None, "at most 2"),
        ({**VALID, "colour": "RED"}, "/colour", None, "not an allowed field"),
        ({**VALID, "price": 5, "discount": 1}, "/discount", 1, "together"),
        ({**VALID, "max_count": 5}, "/current_max_count", None, "max_count"),
        ({**VALID, "start_time": "2025-13-01T00:00+08:00"}, "/start_time", None, "date-time"),
        ({**VALID, "start_time": "yesterday"}, "/start_time", "yesterday", "date-time"),
        ([VALID], "", None, "type"),
    ],
)
def test_a_body_that_breaks_the_schema_names_the_field(
    body: Any, field: str, value: Any, issue: str, call: Call, sandbox: Sandbox
) -> None:
    payload = _error(call.send("PATCH", WIDGET, body))
    detail = payload["detail"]
    assert detail["field"] == field
    assert detail["location"] == "body"
    assert issue in detail["issue"]
    if value is not None:
        assert detail["value"] == value
    [received] = sandbox.requests
    assert received.status == 400 and received.error_code == "PARAM_ERROR"


@pytest.mark.parametrize(
    "start_time",
    ["2025-01-01T00:00+08:00", "2025-01-01T00:00:00+08:00", "2025-01-01T00:00:00.123Z"],
)
def test_lenient_date_times_are_accepted(start_time: str, call: Call) -> None:
    response = call.send("PATCH", WIDGET, {**VALID, "start_time": start_time})
    assert response.status_code == 200, response.text


def test_a_valid_body_with_every_field_passes(call: Call) -> None:
    body = {
        **VALID,
        "name": "gear",
        "price": 100,
        "color": "GREEN",
        "parts": [{"part_no": 0}],
        "max_count": 5,
        "current_max_count": 3,
    }
    assert call.send("PATCH", WIDGET, body).status_code == 200


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"request_no":"a","request_no":"b"}', "duplicate key"),
        (b'{"request_no":"a","price":NaN}', "not valid JSON"),
        (b'{"request_no":"\xff"}', "UTF-8"),
    ],
)
def test_a_body_that_is_not_json_is_refused(raw: bytes, issue: str, call: Call) -> None:
    payload = _error(call.send("PATCH", WIDGET, raw))
    assert issue in payload["message"]
    assert payload["detail"]["location"] == "body"


def test_a_missing_body_is_refused(call: Call) -> None:
    payload = _error(call.send("PATCH", WIDGET))
    assert "required" in payload["detail"]["issue"]


def test_a_body_on_an_operation_without_one_is_refused(call: Call) -> None:
    payload = _error(call.send("POST", "/brand/test/plans/1/submit", {"x": 1}, brand=True))
    assert "no request body" in payload["message"]


def test_a_bodiless_operation_accepts_a_content_type_header(call: Call) -> None:
    response = call.send(
        "POST",
        "/brand/test/plans/1/submit",
        brand=True,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 204


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json; charset=gbk"])
def test_a_body_needs_the_json_content_type(content_type: str | None, call: Call) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = call.send("PATCH", WIDGET, VALID, content_type=None, headers=headers)
    payload = _error(response, code="INVALID_REQUEST")
    assert payload["detail"]["field"] == "Content-Type"
    assert payload["detail"]["location"] == "header"


def test_json_with_utf8_charset_is_fine(call: Call) -> None:
    response = call.send("PATCH", WIDGET, VALID, content_type="application/json; charset=UTF-8")
    assert response.status_code == 200


@pytest.mark.parametrize("widget_id", ["abc", "12345678901", "%E4%BD%A0"])
def test_a_path_parameter_is_validated(widget_id: str, call: Call) -> None:
    payload = _error(call.send("PATCH", f"/v3/test/widgets/{widget_id}", VALID))
    detail = payload["detail"]
    assert detail["field"] == "widget_id"
    assert detail["location"] == "path"


def test_an_integer_path_parameter_is_converted_and_validated(call: Call) -> None:
    assert call.send("GET", "/v3/test/items/3").status_code == 200
    payload = _error(call.send("GET", "/v3/test/items/three"))
    assert "integer" in payload["detail"]["issue"]
    payload = _error(call.send("GET", "/v3/test/items/0"))
    assert ">= 1" in payload["detail"]["issue"]


def test_invalid_percent_encoding_in_a_path_parameter_is_refused(call: Call) -> None:
    payload = _error(call.send("PATCH", "/v3/test/widgets/%FF", VALID))
    assert "UTF-8" in payload["detail"]["issue"]


def test_authorization_is_checked_before_the_body(call: Call) -> None:
    response = call.send("PATCH", WIDGET, {}, sign=False)
    assert response.status_code == 401


def test_repeated_bodies_get_the_same_verdict(call: Call) -> None:
    """Verdicts are cached per (operation, body): a repeat must still be judged the same."""
    bad = {**VALID, "name": "much too long"}
    first, second = (call.send("PATCH", WIDGET, bad) for _ in range(2))
    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()
    assert first.headers["Request-ID"] != second.headers["Request-ID"]
    assert [call.send("PATCH", WIDGET, VALID).status_code for _ in range(2)] == [200, 200]


def test_the_result_cache_is_bounded() -> None:
    cache = ResultCache(size=2, max_key_bytes=10)
    calls: list[str] = []

    def compute(key: str) -> str:
        calls.append(key)
        return key.upper()

    assert cache.get("a", 1, lambda: compute("a")) == "A"
    assert cache.get("a", 1, lambda: compute("a")) == "A"
    cache.get("b", 1, lambda: compute("b"))
    cache.get("c", 1, lambda: compute("c"))  # evicts "a"
    cache.get("a", 1, lambda: compute("a"))
    cache.get("big", 11, lambda: compute("big"))
    cache.get("big", 11, lambda: compute("big"))  # too big to remember
    assert calls == ["a", "b", "c", "a", "big", "big"]
