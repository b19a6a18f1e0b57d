"""X-Sandbox-Fault: the grammar, each fault over HTTP, and times=n counting."""

from __future__ import annotations

import base64
import json
import time
import uuid

import httpx
import pytest
from wechatpay_codegen.sandbox import FaultSyntaxError, Sandbox, parse_fault

from .wire import Call, response_verifies

WIDGET = "/v3/test/widgets/12345"
BODY = {"request_no": "REQ0001", "name": "gear", "price": 100}
EXAMPLE = {"widget_id": "12345", "name": "gear", "price": 100, "tags": ["新品", "sale"]}
PLAN = "/brand/test/plans/12000/submit"
WECHATPAY_HEADERS = (
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Signature",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


def _fault(spec: str, key: str | None = None) -> dict[str, str]:
    return {"X-Sandbox-Fault": spec, "X-Sandbox-Fault-Key": key or uuid.uuid4().hex}


# -- grammar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ("503", "status", {"status": 503, "times": None, "retry_after": None}),
        ("429", "status", {"status": 429, "retry_after": 0}),
        ("429; retry-after=1", "status", {"retry_after": 1}),
        (" 503 ;  TIMES = 2 ", "status", {"status": 503, "times": 2}),
        ("404; code=NOT_FOUND", "status", {"code": "NOT_FOUND"}),
        ("drop", "drop", {}),
        ("delay=2.5", "delay", {"delay": 2.5}),
        ("delay=999", "delay", {"delay": 30.0}),
        ("Bad-Signature", "bad-signature", {}),
        ("missing-headers", "missing-headers", {"missing": WECHATPAY_HEADERS}),
        (
            "missing-headers=signature, Wechatpay-Serial",
            "missing-headers",
            {"missing": ("Wechatpay-Signature", "Wechatpay-Serial")},
        ),
        ("not-json; times=1", "not-json", {"times": 1}),
    ],
)
def test_fault_grammar(text: str, kind: str, fields: dict[str, object]) -> None:
    fault = parse_fault(text)
    assert fault.kind == kind
    for name, value in fields.items():
        assert getattr(fault, name) == value


def test_fault_spec_is_normalized_for_counting() -> None:
    assert parse_fault(" 503 ; Times=2").spec == parse_fault("503;times=2").spec


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("teapot", "unknown fault"),
        ("302", "400..599"),
        ("delay", "seconds"),
        ("delay=-1", ">= 0"),
        ("delay=soon", "number"),
        ("drop=1", "no value"),
        ("503; times=0", ">= 1"),
        ("503; times=two", ">= 1"),
        ("503; times=1; times=2", "twice"),
        ("503; forever", "name=value"),
        ("drop; retry-after=1", "unknown modifier"),
        ("429; retry-after=31", "0..30"),
        ("500; code=lower", "upper-case"),
        ("missing-headers=date", "unknown header"),
        ("\u00b2", "unknown fault"),  # a superscript two: isdigit() but not a number
        ("503; times=\u00b2", ">= 1"),
    ],
)
def test_fault_grammar_errors(text: str, says: str) -> None:
    with pytest.raises(FaultSyntaxError, match=says.replace(".", r"\.").replace("(", r"\(")):
        parse_fault(text)


def test_a_malformed_fault_header_is_a_400(call: Call, sandbox: Sandbox) -> None:
    response = call.send("PATCH", WIDGET, BODY, headers={"X-Sandbox-Fault": "teapot"})
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert "X-Sandbox-Fault" in response.json()["message"]


# -- status faults ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "status", "code"),
    [
        ("429", 429, "FREQUENCY_LIMITED"),
        ("500", 500, "SYSTEM_ERROR"),
        ("502", 502, "SERVICE_UNAVAILABLE"),
        ("503", 503, "SERVICE_UNAVAILABLE"),
        ("403", 403, "NO_AUTH"),
        ("404", 404, "RESOURCE_NOT_EXISTS"),
        ("409", 409, "INVALID_REQUEST"),
        ("504", 504, "SYSTEM_ERROR"),
        ("404; code=NOT_FOUND", 404, "NOT_FOUND"),
    ],
)
def test_status_faults(spec: str, status: int, code: str, call: Call, sandbox: Sandbox) -> None:
    response = call.send("PATCH", WIDGET, BODY, headers=_fault(spec))
    assert response.status_code == status
    assert response.json()["code"] == code
    assert "Wechatpay-Signature" not in response.headers  # errors are not signed
    assert response.headers["Request-ID"].endswith(f"-{268435456 + status}")
    [received] = sandbox.requests
    assert received.fault == spec.replace(" ", "")
    assert received.status == status


def test_429_says_retry_after(call: Call) -> None:
    response = call.send("PATCH", WIDGET, BODY, headers=_fault("429"))
    assert response.headers["Retry-After"] == "0"
    response = call.send("PATCH", WIDGET, BODY, headers=_fault("429; retry-after=1"))
    assert response.headers["Retry-After"] == "1"
    response = call.send("PATCH", WIDGET, BODY, headers=_fault("503; retry-after=2"))
    assert response.headers["Retry-After"] == "2"


# -- drop and delay --------------------------------------------------------------------------


def test_drop_closes_the_connection_without_an_answer(call: Call, sandbox: Sandbox) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        call.send("PATCH", WIDGET, BODY, headers=_fault("drop"), nonce="droppednonce")
    [received] = sandbox.requests
    assert received.status is None
    assert received.fault == "drop"
    assert received.nonce == "droppednonce"
    # the client's next request on a fresh connection works
    assert call.send("PATCH", WIDGET, BODY).status_code == 200


def test_drop_acts_before_verification(call: Call) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        call.send("PATCH", WIDGET, BODY, sign=False, headers=_fault("drop"))


def test_delay_then_a_normal_answer(call: Call, sandbox: Sandbox) -> None:
    started = time.monotonic()
    response = call.send("PATCH", WIDGET, BODY, headers=_fault("delay=0.4"))
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200
    assert response.json() == EXAMPLE
    assert response_verifies(sandbox.keys.wechatpay_public_key, response.headers, response.content)


def test_delay_causes_a_client_timeout(sandbox: Sandbox) -> None:
    with httpx.Client(timeout=0.2) as http, pytest.raises(httpx.ReadTimeout):
        Call(sandbox, http).send("PATCH", WIDGET, BODY, headers=_fault("delay=0.6"))
    assert sandbox.requests == []  # still sleeping
    sandbox.clear()  # a request from before clear() is not recorded when it finishes
    time.sleep(0.8)
    assert sandbox.requests == []


# -- response faults: each one must fail a correct client's verification ---------------------


def _signed_fault(call: Call, spec: str, brand: bool = False) -> httpx.Response:
    if brand:
        return call.send("POST", PLAN, brand=True, headers=_fault(spec))
    return call.send("PATCH", WIDGET, BODY, headers=_fault(spec))


def test_bad_signature(call: Call, sandbox: Sandbox) -> None:
    response = _signed_fault(call, "bad-signature")
    assert response.status_code == 200
    assert response.json() == EXAMPLE
    assert len(base64.b64decode(response.headers["Wechatpay-Signature"], validate=True)) == 256
    assert not response_verifies(
        sandbox.keys.wechatpay_public_key, response.headers, response.content
    )


def test_stale_timestamp(call: Call, sandbox: Sandbox) -> None:
    response = _signed_fault(call, "stale-timestamp")
    assert response.status_code == 200
    age = time.time() - int(response.headers["Wechatpay-Timestamp"])
    assert 595 <= age <= 610
    # correctly signed: only the age is wrong
    assert response_verifies(sandbox.keys.wechatpay_public_key, response.headers, response.content)


def test_wrong_serial(call: Call, sandbox: Sandbox) -> None:
    response = _signed_fault(call, "wrong-serial")
    assert response.headers["Wechatpay-Serial"].startswith("PUB_KEY_ID_")
    assert response.headers["Wechatpay-Serial"] != sandbox.keys.wechatpay_public_key_id
    assert response_verifies(sandbox.keys.wechatpay_public_key, response.headers, response.content)


def test_tamper_body(call: Call, sandbox: Sandbox) -> None:
    response = _signed_fault(call, "tamper-body")
    assert response.status_code == 200
    tampered = response.json()  # still JSON
    assert tampered != EXAMPLE
    original = json.dumps(EXAMPLE, ensure_ascii=False, separators=(",", ":")).encode()
    assert len(response.content) == len(original)
    assert sum(a != b for a, b in zip(response.content, original, strict=True)) == 1
    key = sandbox.keys.wechatpay_public_key
    assert not response_verifies(key, response.headers, response.content)
    assert response_verifies(key, response.headers, original)


def test_tamper_body_on_a_204_operation(call: Call, sandbox: Sandbox) -> None:
    response = _signed_fault(call, "tamper-body", brand=True)
    assert response.status_code == 200
    assert response.content == b"{}"
    key = sandbox.keys.wechatpay_public_key
    assert not response_verifies(key, response.headers, response.content)
    assert response_verifies(key, response.headers, b"")


def test_signtest(call: Call, sandbox: Sandbox) -> None:
    response = _signed_fault(call, "signtest")
    assert response.headers["Wechatpay-Signature"].startswith("WECHATPAY/SIGNTEST/")
    assert not response_verifies(
        sandbox.keys.wechatpay_public_key, response.headers, response.content
    )


def test_missing_headers(call: Call) -> None:
    response = _signed_fault(call, "missing-headers")
    assert response.status_code == 200
    assert not any(name in response.headers for name in WECHATPAY_HEADERS)
    assert response.headers["Request-ID"]


def test_missing_one_header(call: Call) -> None:
    response = _signed_fault(call, "missing-headers=signature")
    assert "Wechatpay-Signature" not in response.headers
    assert all(name in response.headers for name in WECHATPAY_HEADERS if "Signature" != name[10:])


def test_not_json(call: Call, sandbox: Sandbox) -> None:
    response = _signed_fault(call, "not-json")
    assert response.status_code == 200
    assert response_verifies(sandbox.keys.wechatpay_public_key, response.headers, response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


@pytest.mark.parametrize(
    "spec", ["bad-signature", "stale-timestamp", "wrong-serial", "signtest", "missing-headers"]
)
def test_signature_faults_on_a_204_operation_keep_the_status(spec: str, call: Call) -> None:
    response = _signed_fault(call, spec, brand=True)
    assert response.status_code == 204


# -- ordering and counting -------------------------------------------------------------------


def test_faults_act_after_verification(call: Call, sandbox: Sandbox) -> None:
    key = uuid.uuid4().hex
    response = call.send("PATCH", WIDGET, BODY, sign=False, headers=_fault("503; times=1", key))
    assert response.status_code == 401  # the check's error, not the fault
    response = call.send("PATCH", WIDGET, {}, headers=_fault("503; times=1", key))
    assert response.status_code == 400
    # neither counted: the first valid attempt still gets the fault
    assert call.send("PATCH", WIDGET, BODY, headers=_fault("503; times=1", key)).status_code == 503
    assert call.send("PATCH", WIDGET, BODY, headers=_fault("503; times=1", key)).status_code == 200
    assert [r.fault for r in sandbox.requests] == [None, None, "503;times=1", None]


def test_times_counts_retries_of_the_same_request(call: Call, sandbox: Sandbox) -> None:
    headers = {"X-Sandbox-Fault": "503; times=2"}  # no key: method + target + body
    statuses = [call.send("PATCH", WIDGET, BODY, headers=headers).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    attempts = sandbox.requests
    assert len({a.nonce for a in attempts}) == 4  # each attempt freshly signed
    # another body is another request: its own count
    other = {**BODY, "name": "cog"}
    assert call.send("PATCH", WIDGET, other, headers=headers).status_code == 503


def test_times_with_a_fault_key_counts_across_bodies(call: Call) -> None:
    key = uuid.uuid4().hex
    first = call.send("PATCH", WIDGET, BODY, headers=_fault("500; times=1", key))
    second = call.send(
        "PATCH", WIDGET, {**BODY, "name": "cog"}, headers=_fault("500; times=1", key)
    )
    assert (first.status_code, second.status_code) == (500, 200)


def test_a_different_fault_value_has_its_own_count(call: Call) -> None:
    key = uuid.uuid4().hex
    assert call.send("PATCH", WIDGET, BODY, headers=_fault("503; times=1", key)).status_code == 503
    assert call.send("PATCH", WIDGET, BODY, headers=_fault("429; times=1", key)).status_code == 429
    assert call.send("PATCH", WIDGET, BODY, headers=_fault("503; times=1", key)).status_code == 200


def test_drop_times_then_success(call: Call, sandbox: Sandbox) -> None:
    key = uuid.uuid4().hex
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            call.send("PATCH", WIDGET, BODY, headers=_fault("drop; times=2", key))
    assert call.send("PATCH", WIDGET, BODY, headers=_fault("drop; times=2", key)).status_code == 200
    assert [r.status for r in sandbox.requests] == [None, None, 200]


def test_clear_resets_the_counts(call: Call, sandbox: Sandbox) -> None:
    key = uuid.uuid4().hex
    assert call.send("PATCH", WIDGET, BODY, headers=_fault("503; times=1", key)).status_code == 503
    assert call.send("PATCH", WIDGET, BODY, headers=_fault("503; times=1", key)).status_code == 200
    sandbox.clear()
    assert call.send("PATCH", WIDGET, BODY, headers=_fault("503; times=1", key)).status_code == 503


@pytest.mark.parametrize(
    "body",
    [
        b'{"a":1}',
        b'{"a":true}',
        b'{"a":"x\\n"}',
        b'{"a":[null,false]}',
        b'{"a":"\\u00e9"}',
        b'{"name":"\xe6\x96\xb0"}',
        b"{}",
    ],
)
def test_tampering_keeps_json_valid_and_changes_the_bytes(body: bytes) -> None:
    from wechatpay_codegen.sandbox.pipeline import _tamper

    tampered = _tamper(body)
    assert tampered != body
    json.loads(tampered)
