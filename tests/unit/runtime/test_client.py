"""The sync client against a real loopback server: headers, signing, verification, retries,
failover, hostile responses."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

import httpx
import pytest

from . import rt
from .conftest import (
    BRAND_ID,
    MERCHANT_ID,
    SERIAL_NO,
    WECHATPAY_KEY_ID,
    KeyPair,
    MakeClient,
    Ops,
    SyncOverrides,
    closed_port,
)
from .server import Reply, SignedServer

BODY = {
    "target_max_coupons": 3000,
    "current_max_coupons": 2000,
    "modify_budget_request_no": "预算-1002",
}


def modify_budget(
    client: rt.client.SyncAPIClient, ops: Ops, stock_id: str = "9856888", **kwargs: Any
) -> Any:
    return client._request(
        ops.modify_budget, path_params={"stock_id": stock_id}, body=BODY, **kwargs
    )


# -- a normal call --------------------------------------------------------------------------------


def test_merchant_call_sends_signed_exact_bytes(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(body='{"stock_id":"a b/券","state":"已更新"}'.encode()))
    client = make_client()
    response = modify_budget(client, ops, stock_id="a b/券")

    [request] = server.requests
    assert request.method == "PATCH"
    assert request.target == "/v3/marketing/busifavor/stocks/a%20b%2F%E5%88%B8/budget"
    assert request.body == json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode()
    assert request.signature_valid  # checked by the server over the bytes it received
    assert request.auth_scheme == "WECHATPAY2-SHA256-RSA2048"
    assert request.auth["mchid"] == MERCHANT_ID
    assert request.auth["serial_no"] == SERIAL_NO
    assert re.fullmatch(r"[0-9A-Za-z]{32}", request.nonce)
    assert abs(int(request.timestamp) - time.time()) < 5
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["wechatpay-serial"] == WECHATPAY_KEY_ID
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert re.fullmatch(rf"wechatpay-client/\S+ Python/{python} \S+", request.headers["user-agent"])

    assert response.status_code == 200
    assert response.json() == {"stock_id": "a b/券", "state": "已更新"}
    assert response.request_id == "08F0B5A5B506100001-0"


def test_keys_given_as_pem_text_and_paths(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    merchant_key: KeyPair,
    wechatpay_key: KeyPair,
) -> None:
    pairs: list[tuple[rt.keys.KeyInput, rt.keys.KeyInput]] = [
        (merchant_key.private_pem, wechatpay_key.public_pem),
        (merchant_key.private_path, str(wechatpay_key.public_path)),
    ]
    for private, public in pairs:
        modify_budget(make_client(private_key=private, wechatpay_public_key=public), ops)
    assert len(server.requests) == 2
    assert all(r.signature_valid for r in server.requests)


def test_brand_call_without_body_and_a_verified_204(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(status=204, body=b""))
    client = make_client(mchid=None, brand_id=BRAND_ID)
    response = client._request(ops.submit, path_params={"plan_id": "12000"}, body=None)

    [request] = server.requests
    assert request.target == "/brand/marketing/delivery-plan/delivery-plans/12000/submit"
    assert request.body == b""
    assert "content-type" not in request.headers
    assert request.signature_valid
    assert request.auth_scheme == "WECHATPAY-BRAND-SHA256-RSA2048"
    assert request.auth["brand_id"] == BRAND_ID
    assert "mchid" not in request.auth
    assert response.status_code == 204
    assert response.content == b""
    assert response.json() is None


@pytest.mark.parametrize(
    ("credentials", "op_name", "words"),
    [
        ({"mchid": MERCHANT_ID}, "submit", "brand_id="),
        ({"mchid": None, "brand_id": BRAND_ID}, "modify_budget", "mchid="),
    ],
)
def test_scheme_mismatch_is_refused_before_sending(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    credentials: SyncOverrides,
    op_name: str,
    words: str,
) -> None:
    client = make_client(**credentials)
    with pytest.raises(rt.errors.WeChatPayError, match=words):
        client._request(
            getattr(ops, op_name), path_params={"plan_id": "1", "stock_id": "1"}, body=None
        )
    assert server.requests == []


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"mchid": None}, "exactly one of mchid= "),
        ({"brand_id": BRAND_ID}, "got both"),
        ({"serial_no": ""}, "serial_no"),
        ({"mchid": '19"00'}, "mchid"),
        ({"wechatpay_public_key_id": "PUB KEY"}, "wechatpay_public_key_id"),
        ({"base_url": "ftp://example.com"}, "base_url"),
        ({"base_url": "https://api.mch.weixin.qq.com?x=1"}, "base_url"),
        ({"backup_base_url": "not a url"}, "backup_base_url"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_clock_skew": 0}, "max_clock_skew"),
        ({"max_response_bytes": 0}, "max_response_bytes"),
        ({"http_client": httpx.AsyncBaseTransport()}, "httpx.Client"),
        ({"private_key": "/no/such/apiclient_key.pem"}, "private_key"),
        ({"wechatpay_public_keys": {"PUB_KEY_ID_2": b"junk"}}, "wechatpay_public_keys"),
    ],
)
def test_bad_configuration_is_a_clear_error(
    client_kwargs: dict[str, Any], overrides: dict[str, Any], words: str
) -> None:
    with pytest.raises(rt.errors.ConfigurationError) as info:
        rt.client.SyncAPIClient(**{**client_kwargs, **overrides})
    assert words in str(info.value)


def test_extra_headers_are_sent_and_checked(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    client = make_client()
    modify_budget(client, ops, extra_headers={"X-Trace-Id": "abc", "accept": "application/json"})
    [request] = server.requests
    assert request.headers["x-trace-id"] == "abc"
    with pytest.raises(rt.errors.RequestValidationError, match="CR, LF"):
        modify_budget(client, ops, extra_headers={"X-Trace-Id": "abc\r\nX-Injected: 1"})
    with pytest.raises(rt.errors.RequestValidationError) as info:
        modify_budget(client, ops, stock_id="")
    assert info.value.path == "stock_id"
    assert len(server.requests) == 1


def test_a_body_for_a_bodiless_operation_is_refused(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    client = make_client()
    with pytest.raises(rt.errors.RequestValidationError, match="takes no request body"):
        client._request(ops.merchant_submit, path_params={"plan_id": "1"}, body={"a": 1})
    assert server.requests == []


# -- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        Reply(status=429),
        Reply(status=500),
        Reply(status=502),
        Reply(status=503),
        Reply(status=504),
        Reply(drop=True),
    ],
    ids=["429", "500", "502", "503", "504", "dropped-connection"],
)
def test_retries_sign_afresh_with_identical_bodies(
    make_client: MakeClient, ops: Ops, server: SignedServer, failure: Reply
) -> None:
    server.script(failure, failure, Reply(body=b'{"done":true}'))
    response = modify_budget(make_client(), ops)
    assert response.json() == {"done": True}
    attempts = server.requests
    assert len(attempts) == 3
    assert len({a.nonce for a in attempts}) == 3
    assert len({a.authorization for a in attempts}) == 3
    assert len({a.body for a in attempts}) == 1
    assert all(a.signature_valid for a in attempts)
    assert len({a.target for a in attempts}) == 1


def test_retries_stop_at_max_retries(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(
        *[Reply(status=503, body=b'{"code":"SERVICE_UNAVAILABLE","message":"busy"}')] * 10
    )
    with pytest.raises(rt.errors.InternalServerError) as info:
        modify_budget(make_client(), ops)
    assert len(server.requests) == 3  # default max_retries=2
    assert info.value.code == "SERVICE_UNAVAILABLE"
    assert info.value.request_id == "08F0B5A5B506100003-0"

    server.requests.clear()
    with pytest.raises(rt.errors.InternalServerError):
        modify_budget(make_client(max_retries=4), ops, max_retries=0)  # per call wins
    assert len(server.requests) == 1

    server.requests.clear()
    with pytest.raises(rt.errors.InternalServerError):
        modify_budget(make_client(max_retries=1), ops)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (409, "APIStatusError"),
    ],
)
def test_other_4xx_are_not_retried(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    status: int,
    name: str,
) -> None:
    server.script(*[Reply(status=status, body=b"<html>gateway</html>", sign=False)] * 3)
    with pytest.raises(rt.errors.APIStatusError) as info:
        modify_budget(make_client(), ops)
    assert type(info.value) is getattr(rt.errors, name)
    assert info.value.code is None
    assert len(server.requests) == 1


def test_retry_after_is_honoured(make_client: MakeClient, ops: Ops, server: SignedServer) -> None:
    server.script(Reply(status=429, headers={"Retry-After": "1"}), Reply())
    started = time.monotonic()
    modify_budget(make_client(), ops)
    assert time.monotonic() - started >= 1.0
    assert len(server.requests) == 2


def test_retry_after_is_capped(make_client: MakeClient, ops: Ops, server: SignedServer) -> None:
    client = make_client()
    client._retry_policy = rt.retries.RetryPolicy(base_delay=0.001, max_retry_after=0.2)
    server.script(Reply(status=503, headers={"Retry-After": "3600"}), Reply())
    started = time.monotonic()
    modify_budget(client, ops)
    assert 0.2 <= time.monotonic() - started < 2.0


# -- failover -----------------------------------------------------------------------------------


def test_failover_after_connection_refused(
    make_client: MakeClient, ops: Ops, backup_server: SignedServer
) -> None:
    client = make_client(
        base_url=f"http://127.0.0.1:{closed_port()}", backup_base_url=backup_server.base_url
    )
    response = modify_budget(client, ops)
    assert response.json() == {"ok": True}
    [request] = backup_server.requests
    assert request.signature_valid


def test_failover_is_immediate_and_logged(
    make_client: MakeClient,
    ops: Ops,
    backup_server: SignedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    port = closed_port()
    client = make_client(
        base_url=f"http://127.0.0.1:{port}", backup_base_url=backup_server.base_url
    )
    client._retry_policy = rt.retries.RetryPolicy(base_delay=5.0, max_delay=5.0)
    started = time.monotonic()
    modify_budget(client, ops)
    assert time.monotonic() - started < 2.0  # no 5 s backoff before trying the backup
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(
        f"failing over from http://127.0.0.1:{port} to the backup {backup_server.base_url}" in m
        and "ConnectError" in m
        for m in messages
    )
    assert any("attempt 2 of 3" in m and "ConnectError" in m for m in messages)


def test_remaining_attempts_stay_on_the_backup(
    make_client: MakeClient, ops: Ops, backup_server: SignedServer
) -> None:
    backup_server.script(Reply(status=503), Reply())
    client = make_client(
        base_url=f"http://127.0.0.1:{closed_port()}", backup_base_url=backup_server.base_url
    )
    modify_budget(client, ops)
    assert len(backup_server.requests) == 2


def test_failover_is_not_a_retry(
    make_client: MakeClient, ops: Ops, backup_server: SignedServer
) -> None:
    # max_retries=0 means no retries; the primary never got the request, so the backup still
    # gets its one try.
    client = make_client(
        base_url=f"http://127.0.0.1:{closed_port()}",
        backup_base_url=backup_server.base_url,
        max_retries=0,
    )
    assert modify_budget(client, ops).json() == {"ok": True}
    assert len(backup_server.requests) == 1


def test_with_no_retries_a_failing_backup_is_tried_once(
    make_client: MakeClient,
    ops: Ops,
    backup_server: SignedServer,
) -> None:
    backup_server.script(Reply(status=503), Reply(status=503))
    client = make_client(
        base_url=f"http://127.0.0.1:{closed_port()}",
        backup_base_url=backup_server.base_url,
        max_retries=0,
    )
    with pytest.raises(rt.errors.InternalServerError):
        modify_budget(client, ops)
    assert len(backup_server.requests) == 1


def test_with_no_retries_a_request_that_may_have_arrived_is_not_sent_again(
    make_client: MakeClient,
    ops: Ops,
    backup_server: SignedServer,
    silent_port: int,
) -> None:
    # The primary accepted the connection and the request, then never answered: it may have
    # carried it out, so max_retries=0 must not send it to the backup.
    client = make_client(
        base_url=f"http://127.0.0.1:{silent_port}",
        backup_base_url=backup_server.base_url,
        timeout=0.3,
        max_retries=0,
    )
    with pytest.raises(rt.errors.APITimeoutError):
        modify_budget(client, ops)
    assert backup_server.requests == []


def test_failover_after_a_timeout_before_any_response(
    make_client: MakeClient,
    ops: Ops,
    backup_server: SignedServer,
    silent_port: int,
) -> None:
    client = make_client(
        base_url=f"http://127.0.0.1:{silent_port}",
        backup_base_url=backup_server.base_url,
        timeout=0.5,
    )
    modify_budget(client, ops)
    assert len(backup_server.requests) == 1


def test_no_failover_on_an_http_status(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    backup_server: SignedServer,
) -> None:
    server.script(*[Reply(status=503)] * 3)
    client = make_client(backup_base_url=backup_server.base_url)
    with pytest.raises(rt.errors.InternalServerError):
        modify_budget(client, ops)
    assert len(server.requests) == 3
    assert backup_server.requests == []


def test_without_backup_connection_errors_are_retried_then_raised(
    make_client: MakeClient, ops: Ops
) -> None:
    port = closed_port()
    client = make_client(base_url=f"http://127.0.0.1:{port}", backup_base_url=None)
    with pytest.raises(rt.errors.APIConnectionError) as info:
        modify_budget(client, ops)
    assert not isinstance(info.value, rt.errors.APITimeoutError)
    assert f"127.0.0.1:{port}/v3/marketing/busifavor/stocks/9856888/budget" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_timeout_is_reported_as_api_timeout_error(
    make_client: MakeClient, ops: Ops, silent_port: int
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{silent_port}", max_retries=0)
    started = time.monotonic()
    with pytest.raises(rt.errors.APITimeoutError):
        modify_budget(client, ops, timeout=0.3)  # per-call timeout
    assert time.monotonic() - started < 2.0


# -- verification through the client -----------------------------------------------------------


@pytest.mark.parametrize("status", [200, 204])
@pytest.mark.parametrize(
    "reply",
    [
        Reply(omit=("Wechatpay-Signature",)),
        Reply(omit=("Wechatpay-Timestamp",)),
        Reply(omit=("Wechatpay-Nonce",)),
        Reply(omit=("Wechatpay-Serial",)),
        Reply(override={"Wechatpay-Serial": "PUB_KEY_ID_OTHER"}),
        Reply(timestamp_offset=-300),
        # 310, not 300: the client checks a moment after the server signs, and a second boundary
        # crossed in between would bring a +300 skew down to 299 (accepted).
        Reply(timestamp_offset=310),
        Reply(signed_body=b'{"ok":false}'),
        Reply(override={"Wechatpay-Signature": "WECHATPAY/SIGNTEST/QUFBQQ=="}),
        Reply(sign=False),
    ],
    ids=[
        "no-signature",
        "no-timestamp",
        "no-nonce",
        "no-serial",
        "wrong-serial",
        "stale",
        "future",
        "tampered",
        "signtest",
        "unsigned",
    ],
)
def test_unverifiable_2xx_raises_and_is_not_retried(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    reply: Reply,
    status: int,
) -> None:
    body = b"" if status == 204 else reply.body
    signed = reply.signed_body if reply.signed_body is not None else body
    if status == 204 and reply.signed_body is not None:
        signed = b"{}"
    server.script(
        Reply(
            status=status,
            body=body,
            sign=reply.sign,
            omit=reply.omit,
            override=reply.override,
            timestamp_offset=reply.timestamp_offset,
            signed_body=signed,
        )
    )
    with pytest.raises(rt.errors.SignatureVerificationError) as info:
        modify_budget(make_client(), ops)
    assert info.value.request_id == "08F0B5A5B506100001-0"
    assert info.value.status_code == status
    assert len(server.requests) == 1


def test_extra_public_keys_by_serial(
    make_client: MakeClient,
    ops: Ops,
    server: SignedServer,
    other_key: KeyPair,
    wechatpay_key: KeyPair,
) -> None:
    """A response signed with a legacy platform certificate key, selected by its serial."""
    platform_serial = "7132D72A03E93CDDF8C03BBD1F37EEDF7D9D9F3A"
    server.signing_key, server.serial = other_key.private, platform_serial
    client = make_client(wechatpay_public_keys={platform_serial: other_key.public_pem})
    assert modify_budget(client, ops).json() == {"ok": True}


# -- hostile responses --------------------------------------------------------------------------


def test_signed_non_json_body_fails_on_json(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(body=b"<html>not json</html>"))
    response = modify_budget(make_client(), ops)
    assert response.content == b"<html>not json</html>"
    with pytest.raises(rt.errors.APIResponseValidationError) as info:
        response.json()
    assert info.value.request_id == response.request_id
    assert response.request_id in str(info.value)


def test_signed_deeply_nested_json_fails_cleanly(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(body=b"[" * 200_000 + b"]" * 200_000))
    response = modify_budget(make_client(), ops)
    with pytest.raises(rt.errors.APIResponseValidationError, match="nested"):
        response.json()


def test_oversized_2xx_is_refused_without_reading_it_all(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(stream_bytes=1 << 30))  # 1 GiB, no Content-Length
    client = make_client(max_response_bytes=1 << 20, max_retries=0)
    started = time.monotonic()
    with pytest.raises(rt.errors.ResponseTooLargeError) as info:
        modify_budget(client, ops)
    assert info.value.limit == 1 << 20
    assert "1048576-byte limit" in str(info.value)
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert server.streamed_bytes < 256 << 20  # the server could not push the whole GiB


def test_declared_oversized_2xx_is_refused_before_reading(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(body=b'{"ok":true}', content_length=50 << 20))
    client = make_client(max_response_bytes=1 << 20, max_retries=0)
    started = time.monotonic()
    with pytest.raises(rt.errors.ResponseTooLargeError):
        modify_budget(client, ops)
    assert time.monotonic() - started < 2  # did not wait for 50 MiB that never come


def test_default_response_limit_is_ten_mebibytes(make_client: MakeClient) -> None:
    assert make_client().max_response_bytes == 10 * 1024 * 1024


def test_oversized_error_body_is_truncated_not_fatal(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(status=500, sign=False, stream_bytes=64 << 20))
    client = make_client(max_response_bytes=1 << 16, max_retries=0)
    with pytest.raises(rt.errors.InternalServerError) as info:
        modify_budget(client, ops)
    assert len(info.value.body) == 1 << 16
    assert info.value.code is None


def test_trickling_server_is_cut_off_by_the_timeout(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(body=b'{"ok":true}' * 20, trickle=0.05))  # each byte well within 0.5 s
    client = make_client(timeout=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(rt.errors.APITimeoutError):
        modify_budget(client, ops)
    assert time.monotonic() - started < 1.5


def test_redirects_are_never_followed(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    server.script(Reply(status=302, sign=False, body=b"", headers={"Location": "/v3/elsewhere"}))
    with httpx.Client(follow_redirects=True) as user_client:
        client = make_client(http_client=user_client)
        with pytest.raises(rt.errors.APIStatusError) as info:
            modify_budget(client, ops)
    assert info.value.status_code == 302
    assert len(server.requests) == 1


def test_user_http_client_is_not_closed_but_own_one_is(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    with httpx.Client() as user_client:
        with make_client(http_client=user_client) as client:
            modify_budget(client, ops)
        assert not user_client.is_closed
    with make_client() as own:
        modify_budget(own, ops)
    assert own._http.is_closed
    with pytest.raises(rt.errors.WeChatPayError, match="closed"):
        modify_budget(own, ops)


def test_keep_alive_reuses_the_connection(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    client = make_client()
    for _ in range(5):
        modify_budget(client, ops)
    assert len(server.requests) == 5
    pool = client._http
    assert isinstance(pool, rt.sync_pool.SyncPool)
    assert pool.connections_opened == 1


def test_client_repr_shows_no_secrets(
    make_client: MakeClient, merchant_key: KeyPair, server: SignedServer
) -> None:
    client = make_client()
    text = repr(client)
    assert text == (
        f"SyncAPIClient(mchid='{MERCHANT_ID}', serial_no='{SERIAL_NO}', "
        f"base_url='{server.base_url}')"
    )
    assert "PRIVATE" not in text


def test_user_http_client_defaults_are_kept(
    make_client: MakeClient, ops: Ops, server: SignedServer
) -> None:
    with httpx.Client(headers={"X-Gateway-Token": "t-1", "Accept": "*/*"}) as user_client:
        modify_budget(make_client(http_client=user_client), ops)
    [request] = server.requests
    assert request.headers["x-gateway-token"] == "t-1"
    assert request.headers["accept"] == "application/json"  # ours wins
    assert request.signature_valid
