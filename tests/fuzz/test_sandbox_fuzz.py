"""Sandbox fuzzing: Hypothesis-driven raw requests, signed on the test side, over loopback HTTP.

Each example picks one of the specs' operations and sends a request built along several axes:
path parameters (the example, or any text, percent-encoded), the body (valid under the spec
schema, one rule broken, arbitrary JSON, arbitrary bytes, none), the Content-Type, the
Authorization (correct, another party's key, a stale timestamp, a signature over other bytes,
junk, none), ``Wechatpay-Serial`` (right, wrong, none) and a junk ``X-Sandbox-Fault``. The
sandbox must never answer 5xx, only statuses the spec documents for the operation, always with a
``Request-ID``; a 2xx must be the documented success, signed so it verifies, with a body of the
documented schema; an error must be the common ``{code, message}`` body. Beyond that, the status
must be the one the request deserves: 401 for a bad signature, 400 for a bad serial, body or
fault header, success otherwise (the sandbox reads date-times leniently, as its README says).

Why not schemathesis: every request must carry a signature over the exact bytes and request
target sent, which is simplest to get right by building the bytes here.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import assume, event, given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from wechatpay_codegen.protocol import is_lenient_date_time
from wechatpay_codegen.sandbox import FaultSyntaxError, Sandbox, parse_fault

from . import schemas
from .hostile import text as hostile_text
from .mutations import broken
from .profiles import fuzz

SPECS = schemas.load()
OPERATIONS = sorted(schemas.operations(SPECS), key=lambda o: o.operation_id)
ERROR_SCHEMA = schemas.component_schemas(SPECS)["ErrorResponse"]
MERCHANT = "WECHATPAY2-SHA256-RSA2048"
BRAND = "WECHATPAY-BRAND-SHA256-RSA2048"

_LENIENT = jsonschema.FormatChecker(formats=())
_LENIENT.checks("date-time")(is_lenient_date_time)


def sandbox_accepts(schema: dict[str, Any], instance: Any) -> bool:
    """The sandbox's reading of the spec: date-times may omit seconds (the docs' examples do)."""
    return bool(jsonschema.Draft202012Validator(schema, format_checker=_LENIENT).is_valid(instance))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SPECS, keys_dir=None) as server:
        yield server


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as client:
        yield client


# -- the request ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    op: schemas.SpecOperation
    params: dict[str, str]
    body: bytes
    content_type: str | None
    auth: str  # ok | other-key | stale | other-bytes | junk | missing | wrong-scheme
    serial: str  # ok | wrong | missing
    fault: str | None
    expected: int  # the status the request deserves


def _sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def authorization(sandbox: Sandbox, request: Request, target: str, junk: str) -> str | None:
    keys = sandbox.keys
    brand = request.op.brand
    if request.auth == "missing":
        return None
    if request.auth == "junk":
        return junk.strip() or "x"  # httpx refuses to send a value with surrounding spaces
    key = keys.brand_private_key if brand else keys.merchant_private_key
    if request.auth == "other-key":
        key = keys.merchant_private_key if brand else keys.brand_private_key
    timestamp = int(time.time()) - (3600 if request.auth == "stale" else 0)
    nonce = secrets.token_hex(16)
    body = request.body + (b" " if request.auth == "other-bytes" else b"")
    message = f"{request.op.method}\n{target}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"
    scheme = BRAND if brand else MERCHANT
    if request.auth == "wrong-scheme":
        scheme = MERCHANT if brand else BRAND
    identity = f'brand_id="{keys.brand_id}"' if brand else f'mchid="{keys.mchid}"'
    serial = keys.brand_serial_no if brand else keys.merchant_serial_no
    return (
        f'{scheme} {identity},nonce_str="{nonce}",signature="{_sign(key, message)}",'
        f'timestamp="{timestamp}",serial_no="{serial}"'
    )


def target_of(request: Request) -> str:
    target = request.op.path
    for name, value in request.params.items():
        target = target.replace("{" + name + "}", quote(value, safe=""))
    return target


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)
_CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "text/plain",
    "application/json; charset=latin-1",
    "application/x-www-form-urlencoded",
)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    op: schemas.SpecOperation = draw(st.sampled_from(OPERATIONS))
    params = {
        name: draw(st.just(example) | st.text(min_size=1).filter(lambda v: v not in (".", "..")))
        for name, example in op.path_examples.items()
    }
    schema = op.body_schema
    kinds = ["none", "json", "bytes"] + (["valid"] * 5 + ["broken"] * 2 if schema else [])
    kind = draw(st.sampled_from(kinds))
    body_ok = True
    if kind == "none":
        body, body_ok = b"", not op.body_required
    elif kind == "valid" or kind == "broken":
        assert schema is not None
        instance = draw(
            from_schema(schemas.draft7(schema)).filter(schemas.validator(schema).is_valid)
        )
        if kind == "broken":
            instance = draw(broken(schema, instance)).instance
        body = _json_bytes(instance)
        body_ok = sandbox_accepts(schema, instance)
    elif kind == "json":
        instance = draw(_JSON)
        body = _json_bytes(instance)
        body_ok = schema is not None and sandbox_accepts(schema, instance)
    else:
        body = draw(st.binary(max_size=64))
        try:
            parsed = json.loads(body.decode("utf-8"))
        except ValueError:
            body_ok = False
        else:
            body_ok = schema is not None and sandbox_accepts(schema, parsed)
    if not body and not op.body_required:
        body_ok = True
    content_type = draw(st.sampled_from([_CONTENT_TYPES[0]] * 8 + [*_CONTENT_TYPES, None]))
    if body and content_type not in _CONTENT_TYPES[:3]:
        body_ok = False
    auth = draw(
        st.sampled_from(
            ["ok"] * 12 + ["other-key", "stale", "other-bytes", "junk", "missing", "wrong-scheme"]
        )
    )
    serial = draw(st.sampled_from(["ok"] * 10 + ["wrong", "missing"]))
    fault = None
    if draw(st.sampled_from([False] * 9 + [True])):
        fault = draw(st.text(min_size=1, max_size=20))
    if fault is not None and (
        not fault.isascii() or any(c in fault for c in "\r\n\x00") or fault != fault.strip()
    ):
        fault = None  # not a header value httpx sends unchanged
    if fault is not None:
        try:
            parse_fault(fault)
        except FaultSyntaxError:
            pass
        else:
            assume(False)  # a real fault (a delay, a 503): tested in the sandbox's own tests
    if fault is not None:
        expected = 400  # the fault header is read before anything else
    elif auth != "ok":
        expected = 401
    elif serial == "wrong" or (serial == "missing" and op.brand):
        expected = 400
    elif not body_ok:
        expected = 400
    else:
        expected = op.success
    return Request(op, params, body, content_type, auth, serial, fault, expected)


# -- the response ---------------------------------------------------------------------------------


def verifies(public_key: rsa.RSAPublicKey, headers: httpx.Headers, body: bytes) -> bool:
    try:
        message = (
            f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n".encode()
            + body
            + b"\n"
        )
        signature = base64.b64decode(headers["Wechatpay-Signature"], validate=True)
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (KeyError, binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def send(sandbox: Sandbox, http: httpx.Client, request: Request, junk: str) -> httpx.Response:
    target = target_of(request)
    headers = {"Accept": "application/json", "User-Agent": "fuzz"}
    if request.content_type is not None:
        headers["Content-Type"] = request.content_type
    value = authorization(sandbox, request, target, junk)
    if value is not None:
        headers["Authorization"] = value
    if request.serial == "ok":
        headers["Wechatpay-Serial"] = sandbox.keys.wechatpay_public_key_id
    elif request.serial == "wrong":
        headers["Wechatpay-Serial"] = "PUB_KEY_ID_" + "0" * 32
    if request.fault is not None:
        headers["X-Sandbox-Fault"] = request.fault
    return http.request(
        request.op.method, sandbox.base_url + target, content=request.body, headers=headers
    )


_JUNK_AUTH = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)


@fuzz(ci=400, long=10000)
@given(request=requests(), junk=_JUNK_AUTH)
def test_sandbox_answers_every_request_as_documented(
    sandbox: Sandbox, http: httpx.Client, request: Request, junk: str
) -> None:
    response = send(sandbox, http, request, junk)
    op = request.op
    event(f"HTTP {response.status_code}")  # --hypothesis-show-statistics: the mix of outcomes
    assert response.status_code < 500, response.text
    assert response.status_code in op.statuses, (response.status_code, response.text)
    assert response.headers.get("Request-ID")
    if 200 <= response.status_code < 300:
        assert response.status_code == op.success
        assert verifies(sandbox.keys.wechatpay_public_key, response.headers, response.content)
        schema = op.responses[op.success]
        if schema is None:
            assert response.content == b""
        else:  # the spec's example, whose date-times may omit seconds like the docs' do
            assert sandbox_accepts(schema, response.json())
    else:
        assert schemas.is_valid(ERROR_SCHEMA, response.json()), response.text
    assert response.status_code == request.expected, (request, response.text)
