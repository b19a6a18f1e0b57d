"""The generated client on the wire: no path parameter or header value can inject anything.

Calls the committed generated client (its default transport) against the sandbox over loopback,
with path parameters of any text and ``extra_headers`` values of hostile text. Either the client
refuses before sending (``RequestValidationError`` naming the header, and the sandbox saw nothing),
or the sandbox received exactly one request whose target decodes to the value given, whose
signature verified (the call succeeded), and whose headers are exactly the client's own plus the
one extra header with its value unchanged: no header was added, split or dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wechatpay_codegen.sandbox import Sandbox
from wechatpay_marketing import RequestValidationError, WeChatPayClient

from . import schemas
from .hostile import text as hostile_text
from .profiles import fuzz

TEMPLATE = "/brand/marketing/delivery-plan/delivery-plans/{plan_id}/submit"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(schemas.load(), keys_dir=None) as server:
        yield server


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> Iterator[WeChatPayClient]:
    config = {**sandbox.brand_config(), "backup_base_url": None, "max_retries": 0}
    with WeChatPayClient(**config) as brand_client:
        yield brand_client


def _header_names(sandbox: Sandbox) -> list[str]:
    [request] = sandbox.requests
    return sorted(name.lower() for name, _ in request.headers.items())


@fuzz(ci=60, long=3000)
@given(
    plan_id=st.text(min_size=1).filter(lambda v: v not in (".", "..")) | hostile_text,
    value=hostile_text | st.text(),
)
def test_path_parameters_and_header_values_cannot_inject(
    sandbox: Sandbox, client: WeChatPayClient, plan_id: str, value: str
) -> None:
    if not plan_id or plan_id in (".", ".."):
        plan_id = "plan"
    sandbox.clear()
    client.submit_delivery_plan(plan_id=plan_id)  # the baseline: no extra header
    baseline = _header_names(sandbox)

    sandbox.clear()
    try:
        client.submit_delivery_plan(plan_id=plan_id, extra_headers={"X-Trace": value})
    except RequestValidationError as exc:
        assert exc.path == "extra_headers['X-Trace']"
        # refused exactly when something is outside tab and visible ASCII
        assert any(not (c == "\t" or " " <= c <= "~") for c in value), exc
        assert sandbox.requests == []  # refused before anything was sent
        return
    [request] = sandbox.requests
    assert request.status == 204  # the signature over this exact target verified
    prefix, _, rest = TEMPLATE.partition("{plan_id}")
    assert request.target.startswith(prefix) and request.target.endswith(rest)
    assert unquote(request.target[len(prefix) : -len(rest)], errors="strict") == plan_id
    assert _header_names(sandbox) == sorted([*baseline, "x-trace"])
    # the value arrives whole (HTTP lets either side trim the optional whitespace around it)
    assert request.headers["X-Trace"].strip(" \t") == value.strip(" \t")
