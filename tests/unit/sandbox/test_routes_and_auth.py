"""Routing from the specs, signed answers, and Authorization verification, over loopback HTTP."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from wechatpay_codegen.loader import SpecSet, load_specs
from wechatpay_codegen.sandbox import Sandbox
from wechatpay_codegen.sandbox.keys import WECHATPAY_PUBLIC_KEY_FILE

from .conftest import REAL_SPECS
from .wire import BRAND, MERCHANT, Call, path, response_verifies

WIDGET = "/v3/test/widgets/12345"
WIDGET_BODY = {"request_no": "REQ0001", "name": "gear", "price": 100}
WIDGET_EXAMPLE = {"widget_id": "12345", "name": "gear", "price": 100, "tags": ["新品", "sale"]}
PLAN = "/brand/test/plans/12000/submit"


# -- every route of the real specs -----------------------------------------------------------


@dataclass(frozen=True)
class Example:
    operation_id: str
    method: str
    target: str
    body: Any
    brand: bool
    status: int
    response: Any


def _examples(specs: SpecSet) -> list[Example]:
    """Each operation of the specs, with the request and answer its own examples give."""
    found: list[Example] = []
    for doc in specs.documents.values():
        for template, item in (doc.data.get("paths") or {}).items():
            for method, op in item.items():
                if method not in ("get", "put", "post", "patch", "delete"):
                    continue
                params: dict[str, str] = {}
                for param in op.get("parameters", []):
                    if "$ref" in param:
                        _, _, param = specs.resolve(doc, param["$ref"])
                    if param.get("in") == "path":
                        params[param["name"]] = str(param["example"])
                media = (op.get("requestBody") or {}).get("content", {}).get("application/json")
                code = min(c for c in map(str, op["responses"]) if c.startswith("2"))
                response = op["responses"][code].get("content", {}).get("application/json", {})
                scheme_names = [name for req in op.get("security", []) for name in req]
                found.append(
                    Example(
                        op["operationId"],
                        method.upper(),
                        path(template, **params),
                        media.get("example") if media else None,
                        "brand" in scheme_names,
                        int(code),
                        response.get("example"),
                    )
                )
    return sorted(found, key=lambda e: e.operation_id)


REAL_EXAMPLES = _examples(load_specs([REAL_SPECS]))


@pytest.fixture(scope="module")
def real_sandbox(keys_dir: Path) -> Iterator[Sandbox]:
    with Sandbox(REAL_SPECS, keys_dir=keys_dir) as server:
        yield server


def test_the_real_specs_have_routes() -> None:
    assert len(REAL_EXAMPLES) >= 4


@pytest.mark.parametrize("example", REAL_EXAMPLES, ids=lambda e: e.operation_id)
def test_each_real_route_answers_its_example_signed(
    example: Example, real_sandbox: Sandbox, http: httpx.Client
) -> None:
    response = Call(real_sandbox, http).send(
        example.method, example.target, example.body, brand=example.brand
    )
    assert response.status_code == example.status, response.text
    if example.status == 204:
        assert response.content == b""
    else:
        assert response.json() == example.response
    public_key = real_sandbox.keys.wechatpay_public_key
    assert response_verifies(public_key, response.headers, response.content)
    assert response.headers["Wechatpay-Serial"] == real_sandbox.keys.wechatpay_public_key_id
    expected_type = BRAND if example.brand else MERCHANT
    assert response.headers["Wechatpay-Signature-Type"] == expected_type
    assert re.fullmatch(r"08[0-9A-F]{52}-0", response.headers["Request-ID"])
    [received] = [r for r in real_sandbox.requests if r.nonce and r.target == example.target][-1:]
    assert received.operation_id == example.operation_id
    assert received.status == example.status


def test_a_response_signature_verifies_with_openssl(
    sandbox: Sandbox, call: Call, tmp_path: Path
) -> None:
    response = call.send("PATCH", WIDGET, WIDGET_BODY)
    assert response.status_code == 200
    headers = response.headers
    message = tmp_path / "message"
    message.write_bytes(
        f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n".encode()
        + response.content
        + b"\n"
    )
    signature = tmp_path / "signature"
    signature.write_bytes(base64.b64decode(headers["Wechatpay-Signature"]))
    public_key = sandbox.keys.path(WECHATPAY_PUBLIC_KEY_FILE)
    result = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(public_key), "-signature", str(signature)],
        input=message.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"Verified OK" in result.stdout
    # and openssl refuses the same signature over another body
    result = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(public_key), "-signature", str(signature)],
        input=message.read_bytes() + b" ",
        capture_output=True,
        check=False,
    )
    assert result.returncode != 0


# -- the fixture specs: routing --------------------------------------------------------------


def test_a_merchant_patch_gets_its_example(sandbox: Sandbox, call: Call) -> None:
    response = call.send("PATCH", WIDGET, WIDGET_BODY)
    assert response.status_code == 200
    assert response.json() == WIDGET_EXAMPLE
    assert response.headers["Content-Type"].startswith("application/json")
    assert response_verifies(sandbox.keys.wechatpay_public_key, response.headers, response.content)


def test_a_brand_post_gets_a_signed_204(sandbox: Sandbox, call: Call) -> None:
    response = call.send("POST", PLAN, brand=True)
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Length" not in response.headers
    assert response.headers["Wechatpay-Signature-Type"] == BRAND
    assert response_verifies(sandbox.keys.wechatpay_public_key, response.headers, b"")


def test_a_get_with_an_integer_path_parameter_and_named_example(call: Call) -> None:
    response = call.send("GET", "/v3/test/items/7")
    assert response.status_code == 200
    assert response.json() == {"item_no": 7}


def test_unknown_path_is_404_not_found(call: Call) -> None:
    response = call.send("GET", "/v3/test/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert "Wechatpay-Signature" not in response.headers
    assert response.headers["Request-ID"].startswith("08")


def test_wrong_method_is_405_with_allow(call: Call) -> None:
    response = call.send("DELETE", WIDGET)
    assert response.status_code == 405
    assert response.headers["Allow"] == "PATCH"
    assert "DELETE" in response.json()["message"]


def test_the_query_string_is_not_part_of_the_route_but_is_signed_and_checked(call: Call) -> None:
    # Signed over the target with its query (else 401); routed by the path; an undeclared
    # query parameter is then refused by name.
    response = call.send("PATCH", WIDGET + "?debug=1", WIDGET_BODY)
    assert response.status_code == 400
    assert response.json()["code"] == "PARAM_ERROR"
    assert response.json()["detail"] == {
        "field": "debug",
        "issue": "is not a query parameter of this API",
        "location": "query",
    }


def test_responses_are_signed_afresh_each_second_and_request_ids_are_unique(
    sandbox: Sandbox, call: Call
) -> None:
    responses = [call.send("PATCH", WIDGET, WIDGET_BODY) for _ in range(20)]
    assert all(
        response_verifies(sandbox.keys.wechatpay_public_key, r.headers, r.content)
        for r in responses
    )
    assert len({r.headers["Request-ID"] for r in responses}) == 20
    now = int(time.time())
    assert all(abs(int(r.headers["Wechatpay-Timestamp"]) - now) <= 2 for r in responses)


# -- Authorization ---------------------------------------------------------------------------


def _sign_error(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    payload = response.json()
    assert payload["code"] == "SIGN_ERROR"
    assert "Wechatpay-Signature" not in response.headers
    return str(payload["message"])


def test_pairs_in_any_order_are_accepted(call: Call) -> None:
    order = ("serial_no", "timestamp", "signature", "identity", "nonce_str")
    response = call.send("PATCH", WIDGET, WIDGET_BODY, order=order)
    assert response.status_code == 200


def test_a_signature_by_another_key_is_refused(sandbox: Sandbox, call: Call) -> None:
    message = _sign_error(
        call.send("PATCH", WIDGET, WIDGET_BODY, key=sandbox.keys.brand_private_key)
    )
    assert "does not verify" in message


def test_a_signature_over_another_body_is_refused(sandbox: Sandbox, call: Call) -> None:
    body = json.dumps(WIDGET_BODY).encode()
    from .wire import authorization

    auth = authorization(
        scheme=MERCHANT,
        identity_field="mchid",
        identity=sandbox.keys.mchid,
        serial_no=sandbox.keys.merchant_serial_no,
        key=sandbox.keys.merchant_private_key,
        method="PATCH",
        target=WIDGET,
        body=body + b" ",
    )
    response = call.send("PATCH", WIDGET, body, sign=False, headers={"Authorization": auth})
    assert "does not verify" in _sign_error(response)


def test_the_raw_target_is_what_is_signed(call: Call) -> None:
    raw = "/v3/test/widgets/%31%32"  # decodes to "12": a different string to sign
    assert call.send("PATCH", raw, WIDGET_BODY).status_code == 200
    response = call.send("PATCH", raw, WIDGET_BODY, target="/v3/test/widgets/12")
    assert "does not verify" in _sign_error(response)


def test_wrong_mchid_is_refused(call: Call) -> None:
    message = _sign_error(call.send("PATCH", WIDGET, WIDGET_BODY, identity="1900000099"))
    assert "mchid" in message and "1900000099" in message


def test_wrong_serial_no_is_refused(call: Call) -> None:
    message = _sign_error(call.send("PATCH", WIDGET, WIDGET_BODY, serial_no="ABCDEF" * 6 + "0000"))
    assert "serial_no" in message


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_a_stale_or_future_timestamp_is_refused(offset: int, call: Call) -> None:
    timestamp = int(time.time()) + offset
    message = _sign_error(call.send("PATCH", WIDGET, WIDGET_BODY, timestamp=timestamp))
    assert "timestamp" in message and "300" in message


def test_a_timestamp_within_five_minutes_is_accepted(call: Call) -> None:
    response = call.send("PATCH", WIDGET, WIDGET_BODY, timestamp=int(time.time()) - 280)
    assert response.status_code == 200


def test_a_non_numeric_timestamp_is_refused(call: Call) -> None:
    message = _sign_error(call.send("PATCH", WIDGET, WIDGET_BODY, timestamp="soon"))
    assert "timestamp" in message


def test_a_missing_authorization_is_refused(call: Call) -> None:
    message = _sign_error(call.send("PATCH", WIDGET, WIDGET_BODY, sign=False))
    assert "missing" in message


@pytest.mark.parametrize(
    "value",
    [
        "WECHATPAY2-SHA256-RSA2048",
        'WECHATPAY2-SHA256-RSA2048 mchid="1" nonce_str="2"',
        "WECHATPAY2-SHA256-RSA2048 mchid=1900000001",
        'WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="1"',
    ],
)
def test_a_malformed_authorization_is_refused(value: str, call: Call) -> None:
    response = call.send("PATCH", WIDGET, WIDGET_BODY, sign=False, headers={"Authorization": value})
    assert _sign_error(response)


def test_a_missing_pair_is_named(sandbox: Sandbox, call: Call) -> None:
    value = f'WECHATPAY2-SHA256-RSA2048 mchid="{sandbox.keys.mchid}",nonce_str="n",timestamp="1"'
    response = call.send("PATCH", WIDGET, WIDGET_BODY, sign=False, headers={"Authorization": value})
    assert "serial_no" in _sign_error(response)


def test_non_base64_signature_is_refused(sandbox: Sandbox, call: Call) -> None:
    keys = sandbox.keys
    value = (
        f'WECHATPAY2-SHA256-RSA2048 mchid="{keys.mchid}",nonce_str="abc",signature="not base64!",'
        f'timestamp="{int(time.time())}",serial_no="{keys.merchant_serial_no}"'
    )
    response = call.send("PATCH", WIDGET, WIDGET_BODY, sign=False, headers={"Authorization": value})
    assert "Base64" in _sign_error(response)


def test_a_brand_operation_signed_with_the_merchant_scheme_is_refused(call: Call) -> None:
    message = _sign_error(call.send("POST", PLAN, brand=False))
    assert BRAND in message


def test_a_merchant_operation_signed_with_the_brand_scheme_is_refused(call: Call) -> None:
    message = _sign_error(call.send("PATCH", WIDGET, WIDGET_BODY, brand=True))
    assert MERCHANT in message


def test_a_brand_request_with_a_wrong_brand_id_is_refused(call: Call) -> None:
    message = _sign_error(call.send("POST", PLAN, brand=True, identity="1230000000"))
    assert "brand_id" in message


def test_signature_messages_never_echo_the_signature(call: Call) -> None:
    response = call.send("PATCH", WIDGET, WIDGET_BODY, timestamp=int(time.time()) - 1000)
    auth_sent = response.request.headers["Authorization"]
    signature = re.search(r'signature="([^"]+)"', auth_sent)
    assert signature is not None
    assert signature.group(1) not in response.text


# -- Wechatpay-Serial ------------------------------------------------------------------------


def _param_error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    payload: dict[str, Any] = response.json()
    assert payload["code"] == "PARAM_ERROR"
    return payload


def test_a_brand_operation_needs_wechatpay_serial(call: Call) -> None:
    payload = _param_error(call.send("POST", PLAN, brand=True, wechatpay_serial=None))
    assert payload["detail"]["field"] == "Wechatpay-Serial"
    assert payload["detail"]["location"] == "header"


def test_a_brand_operation_checks_wechatpay_serial(call: Call) -> None:
    response = call.send("POST", PLAN, brand=True, wechatpay_serial="PUB_KEY_ID_0123")
    payload = _param_error(response)
    assert "PUB_KEY_ID_0123" in payload["message"]


def test_a_merchant_operation_checks_wechatpay_serial_when_sent(call: Call) -> None:
    assert call.send("PATCH", WIDGET, WIDGET_BODY, wechatpay_serial=None).status_code == 200
    response = call.send("PATCH", WIDGET, WIDGET_BODY, wechatpay_serial="PUB_KEY_ID_0123")
    assert _param_error(response)["detail"]["field"] == "Wechatpay-Serial"


# -- recording -------------------------------------------------------------------------------


def test_requests_are_recorded_without_the_signature(sandbox: Sandbox, call: Call) -> None:
    response = call.send("PATCH", WIDGET, WIDGET_BODY, nonce="fixednonce123")
    [received] = sandbox.requests
    assert received.method == "PATCH"
    assert received.target == WIDGET
    assert received.body == response.request.content
    assert received.nonce == "fixednonce123"
    assert received.timestamp is not None and received.timestamp.isdigit()
    assert received.identity == sandbox.keys.mchid
    assert received.serial_no == sandbox.keys.merchant_serial_no
    assert received.auth_scheme == MERCHANT
    assert received.status == 200
    assert received.fault is None
    assert received.operation_id == "update_widget"
    assert received.response_body == response.content
    signature = re.search(r'signature="([^"]+)"', response.request.headers["Authorization"])
    assert signature is not None
    assert signature.group(1) not in repr(received)
    assert 'signature="[redacted]"' in received.headers["authorization"]
    sandbox.clear()
    assert sandbox.requests == []
