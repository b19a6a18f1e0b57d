"""``wechatpay-codegen sandbox notify`` against a real endpoint on loopback.

The endpoint is a plain ``http.server`` whose handler is what an integrator writes: it gives the
request's headers and raw body to the generated client's ``parse_notification`` and answers 204,
or 400 when that raises. Callbacks are built from the specs' webhooks (examples, event types),
encrypted with the sandbox's APIv3 key and signed with its WeChat Pay key; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.cli import NOTIFY_FAULTS
from wechatpay_codegen.loader import SpecSet
from wechatpay_codegen.sandbox import Sandbox
from wechatpay_codegen.sandbox.keys import API_V3_KEY_FILE, load_or_create_keys
from wechatpay_codegen.sandbox.notify import FAULTS, NotifyError, build_callback, send_callback
from wechatpay_codegen.webhooks import read_webhooks

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Endpoint:
    """A callback endpoint: what it parsed, and what it refused."""

    client: wp.WeChatPayClient
    url: str = ""
    parsed: list[wp.Notification] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    accept_everything: bool = False


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if endpoint.accept_everything:
                self.send_response(204)
                self.end_headers()
                return
            try:
                event = endpoint.client.parse_notification(headers=self.headers, body=raw)
            except wp.WeChatPayError as exc:
                endpoint.refused.append(type(exc).__name__)
                answer = json.dumps({"code": "FAIL", "message": "invalid callback"}).encode()
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                return
            endpoint.parsed.append(event)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def endpoint(sandbox: Sandbox) -> Iterator[Endpoint]:
    config = {**sandbox.merchant_config(), "api_v3_key": sandbox.keys.api_v3_key}
    with wp.WeChatPayClient(**config) as client:
        found = Endpoint(client)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        found.url = f"http://127.0.0.1:{server.server_address[1]}/wechatpay/notify"
        try:
            yield found
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "generator"), env.get("PYTHONPATH", "")) if p
    )
    return subprocess.run(
        [sys.executable, "-m", "wechatpay_codegen", "sandbox", "notify", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _events(specs: SpecSet) -> list[str]:
    return [w.event_type for w in read_webhooks(specs)]


def test_every_described_event_reaches_the_handler_as_its_model(
    sandbox: Sandbox, specs: SpecSet, endpoint: Endpoint
) -> None:
    webhooks = read_webhooks(specs)
    assert webhooks
    for webhook in webhooks:
        result = sandbox.notify(endpoint.url, webhook.event_type)
        assert result.status == 204, result
        event = endpoint.parsed[-1]
        assert event.event_type == webhook.event_type
        model = wp.WeChatPayClient._notification_models[webhook.event_type]
        assert event.resource == model(webhook.resource_example)
        assert event.resource.to_dict() == webhook.resource_example
        assert event.resource_type == webhook.envelope_example.get("resource_type")
    assert endpoint.refused == []


def test_the_cli_reports_the_answer_and_exits_0(
    sandbox: Sandbox, specs: SpecSet, endpoint: Endpoint
) -> None:
    event = _events(specs)[0]
    keys = sandbox.keys.directory
    assert keys is not None
    result = _cli("--url", endpoint.url, "--event", event, "--keys", keys)
    assert result.returncode == 0, result.stderr
    assert f"POST {endpoint.url} {event}: 204" in result.stdout
    assert "accepted" in result.stdout
    [parsed] = endpoint.parsed
    assert parsed.event_type == event
    # nothing secret on the terminal: not the APIv3 key, not the decrypted resource
    api_v3_key = (keys / API_V3_KEY_FILE).read_text().strip()
    assert api_v3_key not in result.stdout + result.stderr
    for value in read_webhooks(specs)[0].resource_example.values():
        if isinstance(value, str) and len(value) > 8:
            assert value not in result.stdout + result.stderr


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_forged_callback_is_refused_and_the_cli_says_so(
    sandbox: Sandbox, specs: SpecSet, endpoint: Endpoint, fault: str
) -> None:
    event = _events(specs)[0]
    result = sandbox.notify(endpoint.url, event, fault=fault)
    assert result.status == 400
    expected = "DecryptionError" if fault == "wrong-key" else "SignatureVerificationError"
    assert endpoint.refused == [expected]
    assert endpoint.parsed == []


def test_the_cli_checks_that_a_forgery_is_refused(
    sandbox: Sandbox, specs: SpecSet, endpoint: Endpoint
) -> None:
    keys = sandbox.keys.directory
    assert keys is not None
    event = _events(specs)[-1]
    cli = _cli("--url", endpoint.url, "--event", event, "--keys", keys, "--fault", "wrong-serial")
    assert cli.returncode == 0, cli.stderr
    assert f"{event} (wrong-serial): 400" in cli.stdout
    assert "refused, as it should be" in cli.stdout
    assert endpoint.refused == ["SignatureVerificationError"]


def test_the_cli_offers_every_fault() -> None:
    assert set(NOTIFY_FAULTS) == set(FAULTS)


def test_a_handler_that_accepts_forgeries_fails_the_check(
    sandbox: Sandbox, specs: SpecSet, endpoint: Endpoint
) -> None:
    endpoint.accept_everything = True
    keys = sandbox.keys.directory
    assert keys is not None
    event = _events(specs)[0]
    result = _cli("--url", endpoint.url, "--event", event, "--keys", keys, "--fault", "tamper-body")
    assert result.returncode == 1
    assert "accepted a forged callback" in result.stderr


def test_a_callback_repr_holds_no_signature(sandbox: Sandbox, specs: SpecSet) -> None:
    callback = sandbox.callback(_events(specs)[0])
    shown = repr(callback)
    assert callback.header_dict()["Wechatpay-Signature"] not in shown
    assert callback.body.decode() not in shown
    assert _events(specs)[0] in shown


def test_brand_callbacks_use_the_brand_api_key(sandbox: Sandbox, specs: SpecSet) -> None:
    event = _events(specs)[0]
    callback = sandbox.callback(event, brand=True)
    assert callback.header_dict()["Wechatpay-Signature-Type"] == "WECHATPAY-BRAND-SHA256-RSA2048"
    brand_config = {**sandbox.brand_config(), "api_v3_key": sandbox.keys.brand_api_key}
    with wp.WeChatPayClient(**brand_config) as brand:
        assert (
            brand.parse_notification(headers=callback.header_dict(), body=callback.body).event_type
            == event
        )
    merchant_config = {**sandbox.merchant_config(), "api_v3_key": sandbox.keys.api_v3_key}
    with wp.WeChatPayClient(**merchant_config) as merchant, pytest.raises(wp.DecryptionError):
        merchant.parse_notification(headers=callback.header_dict(), body=callback.body)


def test_bad_requests_get_one_clear_line(sandbox: Sandbox, specs: SpecSet, tmp_path: Path) -> None:
    keys = sandbox.keys.directory
    assert keys is not None
    unknown = _cli("--url", "http://127.0.0.1:9/x", "--event", "NO.SUCH_EVENT", "--keys", keys)
    assert unknown.returncode == 1
    assert "describe no callback 'NO.SUCH_EVENT'" in unknown.stderr
    for event in _events(specs):
        assert event in unknown.stderr  # the message lists what is described
    event = _events(specs)[0]
    refused = _cli("--url", "http://127.0.0.1:9/x", "--event", event, "--keys", keys)
    assert refused.returncode == 1
    assert refused.stderr.startswith("sandbox notify: could not deliver the callback")
    not_http = _cli("--url", "ftp://example.com/x", "--event", event, "--keys", keys)
    assert not_http.returncode == 1
    assert "http:// or https://" in not_http.stderr
    bad_fault = _cli("--url", "http://127.0.0.1:9/x", "--event", event, "--fault", "nope")
    assert bad_fault.returncode == 2  # argparse: the choices are listed
    for output in (unknown, refused, not_http, bad_fault):
        assert "Traceback" not in output.stderr


def test_an_older_key_folder_gets_its_api_key_files(tmp_path: Path) -> None:
    keys, created = load_or_create_keys(tmp_path / "keys")
    assert created
    (tmp_path / "keys" / API_V3_KEY_FILE).unlink()
    again, created = load_or_create_keys(tmp_path / "keys")
    assert not created
    assert (tmp_path / "keys" / API_V3_KEY_FILE).read_text().strip() == keys.api_v3_key
    assert again.api_v3_key == keys.api_v3_key
    assert len(keys.api_v3_key) == 32 and keys.api_v3_key != keys.brand_api_key
    assert (tmp_path / "keys" / API_V3_KEY_FILE).stat().st_mode & 0o077 == 0


def test_unreachable_and_odd_urls_raise_notify_error(sandbox: Sandbox, specs: SpecSet) -> None:
    callback = build_callback(specs, sandbox.keys, _events(specs)[0])
    with pytest.raises(NotifyError, match="could not deliver"):
        send_callback("http://127.0.0.1:9/notify", callback, timeout=2)
    with pytest.raises(NotifyError, match="http:// or https://"):
        send_callback("notify", callback)


def test_a_callback_signed_with_another_key_names_its_serial(
    sandbox: Sandbox, specs: SpecSet
) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    serial = "PUB_KEY_ID_0199999999999999999999999999"
    event = _events(specs)[0]
    callback = build_callback(specs, sandbox.keys, event, signer=(other, serial))
    assert callback.header_dict()["Wechatpay-Serial"] == serial
    config = {**sandbox.merchant_config(), "api_v3_key": sandbox.keys.api_v3_key}
    with wp.WeChatPayClient(**config) as without:  # the default key does not verify it
        with pytest.raises(wp.SignatureVerificationError):
            without.parse_notification(headers=callback.header_dict(), body=callback.body)
    with wp.WeChatPayClient(**config, wechatpay_public_keys={serial: other.public_key()}) as both:
        parsed = both.parse_notification(headers=callback.header_dict(), body=callback.body)
        assert parsed.event_type == event


def test_in_certificate_mode_callbacks_are_signed_by_the_current_certificate(
    specs: SpecSet, tmp_path: Path
) -> None:
    event = _events(specs)[0]
    with Sandbox(specs, keys_dir=tmp_path / "keys") as sandbox:
        serial = sandbox.use_platform_certificates()
        callback = sandbox.callback(event)
        assert callback.header_dict()["Wechatpay-Serial"] == serial
        with wp.WeChatPayClient(**sandbox.merchant_config(verification="certificate")) as client:
            client.refresh_certificates()
            assert (
                client.parse_notification(
                    headers=callback.header_dict(), body=callback.body
                ).event_type
                == event
            )
            rotated = sandbox.rotate_platform_certificate()
            after = sandbox.callback(event)
            assert after.header_dict()["Wechatpay-Serial"] == rotated != serial
            with pytest.raises(wp.SignatureVerificationError):
                client.parse_notification(headers=after.header_dict(), body=after.body)
            client.refresh_certificates()
            assert (
                client.parse_notification(headers=after.header_dict(), body=after.body).event_type
                == event
            )
