"""Error classes: the status → class table, lenient body parsing, str/repr contents."""

from __future__ import annotations

import pytest

from . import rt

STATUS_TABLE = [
    (400, "BadRequestError"),
    (401, "AuthenticationError"),
    (403, "PermissionDeniedError"),
    (404, "NotFoundError"),
    (429, "RateLimitError"),
    (500, "InternalServerError"),
    (502, "InternalServerError"),
    (503, "InternalServerError"),
    (504, "InternalServerError"),
    (599, "InternalServerError"),
    (302, "APIStatusError"),
    (405, "APIStatusError"),
    (409, "APIStatusError"),
    (415, "APIStatusError"),
]


@pytest.mark.parametrize(("status", "name"), STATUS_TABLE)
def test_status_maps_to_class(status: int, name: str) -> None:
    body = b'{"code":"SOME_CODE","message":"some message"}'
    error = rt.errors.make_status_error(status, body, request_id="REQ-9")
    assert type(error) is getattr(rt.errors, name)
    assert isinstance(error, rt.errors.APIStatusError)
    assert isinstance(error, rt.errors.WeChatPayError)
    assert error.status_code == status


def test_documented_error_body_is_parsed() -> None:
    body = (
        '{"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"/amount",'
        '"value":1,"issue":"must be positive","location":"body"}}'
    ).encode()
    error = rt.errors.make_status_error(
        400, body, request_id="08F0B5A5B5061010C2B68A0118A8A21F20-268435456", headers={"A": "b"}
    )
    assert (error.code, error.message) == ("PARAM_ERROR", "参数错误")
    assert error.detail == {
        "field": "/amount",
        "value": 1,
        "issue": "must be positive",
        "location": "body",
    }
    assert error.headers == {"A": "b"}
    assert error.body == body
    assert str(error) == (
        "HTTP 400 PARAM_ERROR: 参数错误 (request id: 08F0B5A5B5061010C2B68A0118A8A21F20-268435456)"
    )
    assert repr(error) == (
        "BadRequestError(status_code=400, code='PARAM_ERROR', message='参数错误', "
        "request_id='08F0B5A5B5061010C2B68A0118A8A21F20-268435456')"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>404 Not Found</body></html>",
        b"\xff\xfe\x00garbage",
        b'["code","message"]',
        b'{"code":404,"message":["not","text"]}',
        b'{"code":"NOT_FOUND"',  # truncated
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the JSON parser's recursion limit
        b"null",
    ],
)
def test_unhelpful_bodies_are_parsed_leniently(body: bytes) -> None:
    error = rt.errors.make_status_error(404, body, request_id=None)
    assert type(error) is rt.errors.NotFoundError
    assert error.code is None
    assert error.message is None
    assert str(error) == "HTTP 404"


def test_long_server_text_is_clipped_in_str() -> None:
    body = ('{"code":"SYSTEM_ERROR","message":"' + "x" * 100_000 + '"}').encode()
    error = rt.errors.make_status_error(500, body, request_id="R")
    assert len(str(error)) < 700
    assert error.message == "x" * 100_000  # the attribute keeps it all


def test_request_validation_error_is_a_value_error_with_path() -> None:
    error = rt.errors.RequestValidationError("plan.budget", "must be >= 1")
    assert isinstance(error, ValueError)
    assert isinstance(error, rt.errors.WeChatPayError)
    assert (error.path, error.reason) == ("plan.budget", "must be >= 1")
    assert str(error) == "plan.budget: must be >= 1"
    nested = rt.errors.RequestValidationError(["items", 0, "name"], "is required")
    assert nested.path == "items[0].name"
    whole = rt.errors.RequestValidationError("", "body is empty")
    assert str(whole) == "body is empty"


def test_connection_errors_hierarchy() -> None:
    timeout = rt.errors.APITimeoutError("POST /v3/x timed out", request_id=None)
    assert isinstance(timeout, rt.errors.APIConnectionError)
    assert isinstance(timeout, rt.errors.WeChatPayError)
    verification = rt.errors.SignatureVerificationError("bad", request_id="R-1", status_code=204)
    assert str(verification) == "response signature verification failed: bad (request id: R-1)"
    parsing = rt.errors.APIResponseValidationError("not JSON", request_id="R-2", status_code=200)
    assert "R-2" in str(parsing)


def test_every_class_is_exported_from_the_runtime_package() -> None:
    for name in [
        "WeChatPayError",
        "APIStatusError",
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "RateLimitError",
        "InternalServerError",
        "APIConnectionError",
        "APITimeoutError",
        "SignatureVerificationError",
        "RequestValidationError",
        "APIResponseValidationError",
    ]:
        assert getattr(rt.package, name) is getattr(rt.errors, name)
