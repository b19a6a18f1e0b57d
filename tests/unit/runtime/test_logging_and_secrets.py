"""What gets logged (enough to debug) and what never does (keys, Authorization, signatures,
bodies), plus secret-free reprs and exception texts."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

from . import rt
from .conftest import WECHATPAY_KEY_ID, KeyPair, MakeClient, Ops
from .server import Reply, SignedServer

BODY = {"modify_budget_request_no": "SECRET-BODY-MARKER-42", "target_max_coupons": 1}


def _pem_lines(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def _everything_logged(records: list[logging.LogRecord]) -> str:
    parts = []
    for record in records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_debug_logs_carry_facts_but_no_secrets(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    merchant_key: KeyPair,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=rt.log.LOGGER_NAME)
    server.script(Reply(status=503), Reply(body=b'{"SECRET-RESPONSE-MARKER":1}'))
    client = make_client(private_key=merchant_key.private_pem)
    client._request(ops.modify_budget, path_params={"stock_id": "9856888"}, body=BODY)

    records = [r for r in caplog.records if r.name.startswith(rt.log.LOGGER_NAME)]
    assert {r.name for r in records} == {
        rt.log.LOGGER_NAME
    }  # logger named after the top-level package
    text = _everything_logged(records)

    # What must be there: method, path, status, request id, attempt, elapsed ms; retry at INFO.
    debug = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    path = "/v3/marketing/busifavor/stocks/9856888/budget"
    assert any(
        f"PATCH {path} -> 503 request_id=08F0B5A5B506100001-0 (attempt 1," in m for m in debug
    )
    assert any(
        f"PATCH {path} -> 200 request_id=08F0B5A5B506100002-0 (attempt 2," in m and " ms)" in m
        for m in debug
    )
    info = [r.getMessage() for r in records if r.levelno == logging.INFO]
    assert any("attempt 2 of 3" in m and "HTTP 503" in m for m in info)

    # What must never be there.
    secrets = [r.authorization for r in server.requests]
    secrets += [r.auth["signature"] for r in server.requests]
    secrets += [r.auth["nonce_str"] for r in server.requests]
    secrets += _pem_lines(merchant_key.private_pem)
    secrets += ["SECRET-BODY-MARKER-42", "SECRET-RESPONSE-MARKER", "PRIVATE KEY"]
    for secret in secrets:
        assert secret not in text


def test_errors_logged_with_exc_info_show_no_secrets(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    merchant_key: KeyPair,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A user logging our exceptions (with traceback) does not leak secrets either."""
    caplog.set_level(logging.DEBUG)
    server.script(
        Reply(signed_body=b"{}"),
        Reply(status=401, sign=False, body=b'{"code":"SIGN_ERROR","message":"x"}'),
    )
    client = make_client(private_key=merchant_key.private_pem)
    errors = []
    for _ in range(2):
        try:
            client._request(ops.modify_budget, path_params={"stock_id": "1"}, body=BODY)
        except rt.errors.WeChatPayError as exc:
            errors.append(exc)
            logging.getLogger("user.app").exception("call failed")
    assert [type(e).__name__ for e in errors] == [
        "SignatureVerificationError",
        "AuthenticationError",
    ]
    text = _everything_logged(caplog.records) + "".join(str(e) + repr(e) for e in errors)
    for request in server.requests:
        assert request.authorization not in text
        assert request.auth["signature"] not in text
    for line in _pem_lines(merchant_key.private_pem):
        assert line not in text
    assert "SECRET-BODY-MARKER-42" not in text


def test_reprs_show_no_key_material(make_client: MakeClient, merchant_key: KeyPair) -> None:
    client = make_client(private_key=merchant_key.private_pem)
    async_client = rt.client.AsyncAPIClient(
        brand_id="4010000001",
        serial_no="ABC123",
        private_key=merchant_key.private_path,
        wechatpay_public_key_id=WECHATPAY_KEY_ID,
        wechatpay_public_key=merchant_key.public_pem,
    )
    texts = [
        repr(client),
        str(client),
        repr(async_client),
        repr(client._signer),
        repr(client._verifier),
        repr(rt.keys.load_private_key(merchant_key.private_pem)),
        repr(rt.keys.load_public_key(merchant_key.public_pem)),
        repr(vars(type(client))),
    ]
    joined = "\n".join(texts)
    for line in _pem_lines(merchant_key.private_pem):
        assert line not in joined
    assert "PRIVATE" not in joined
    assert "brand_id='4010000001'" in repr(async_client)


def test_wechatpay_log_env_attaches_a_stderr_handler(
    merchant_key: KeyPair, wechatpay_key: KeyPair, server: SignedServer
) -> None:
    script = textwrap.dedent(f"""
        from {rt.client.__name__} import SyncAPIClient, Operation
        op = Operation("modify_budget", "PATCH", "/v3/x/{{stock_id}}", "merchant", True)
        with SyncAPIClient(
            mchid="1900000001", serial_no="ABC", private_key={str(merchant_key.private_path)!r},
            wechatpay_public_key_id={WECHATPAY_KEY_ID!r},
            wechatpay_public_key={str(wechatpay_key.public_path)!r},
            base_url={server.base_url!r}, backup_base_url=None,
        ) as client:
            client._request(op, path_params={{"stock_id": "7"}}, body={{"a": 1}})
        """)
    env = {**os.environ, "WECHATPAY_LOG": "debug"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert f"DEBUG {rt.log.LOGGER_NAME}: PATCH /v3/x/7 -> 200 request_id=" in result.stderr
    [request] = server.requests
    assert request.authorization not in result.stderr
    assert request.auth["signature"] not in result.stderr

    env["WECHATPAY_LOG"] = ""
    quiet = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert quiet.returncode == 0 and quiet.stderr == ""
