"""``wechatpay-codegen sandbox --verification certificate`` and ``sandbox notify`` in that mode,
as an integrator runs them: real processes, real loopback HTTP, the generated client.

The client is built by running the configuration the sandbox prints; the callback endpoint is a
plain ``http.server`` handing the raw body to ``parse_notification`` (refreshing the platform
certificates once when a callback names a serial it does not know, as the README says).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.cli import NOTIFY_SIGN_WITH, SANDBOX_VERIFICATION
from wechatpay_codegen.demo import DemoCall
from wechatpay_codegen.sandbox.keys import (
    API_V3_KEY_FILE,
    WECHATPAY_PUBLIC_KEY_FILE,
    load_or_create_keys,
)
from wechatpay_codegen.sandbox.notify import SIGN_WITH
from wechatpay_codegen.sandbox.platform_state import STATE_FILE

REPO = Path(__file__).resolve().parents[2]
EVENT = "COUPON.SEND"


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "generator"), env.get("PYTHONPATH", "")) if p
    )
    return env


class _Sandbox:
    """``wechatpay-codegen sandbox ...`` in a child process; threads collect its output."""

    def __init__(self, *args: str | Path) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "wechatpay_codegen", "sandbox", *map(str, args)],
            cwd=REPO,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out = {"stdout": "", "stderr": ""}
        self._lock = threading.Lock()
        self._readers = [
            threading.Thread(target=self._read, args=(name,), daemon=True)
            for name in ("stdout", "stderr")
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str) -> None:
        stream = getattr(self.popen, name)
        for line in stream:
            with self._lock:
                self.out[name] += line

    def wait_for(self, marker: str, stream: str = "stdout", timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if marker in self.out[stream]:
                    return self.out[stream]
            if self.popen.poll() is not None:
                time.sleep(0.2)  # let the readers finish
                with self._lock:
                    if marker in self.out[stream]:
                        return self.out[stream]
                break
            time.sleep(0.05)
        raise AssertionError(f"no {marker!r} in {self.out!r}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        self.popen.wait(timeout=30)
        for reader in self._readers:
            reader.join(5)


@pytest.fixture
def running() -> Iterator[list[_Sandbox]]:
    started: list[_Sandbox] = []
    yield started
    for process in started:
        process.stop()


def _start(running: list[_Sandbox], keys: Path, *args: str) -> tuple[_Sandbox, str]:
    process = _Sandbox("--specs", REPO / "specs", "--keys", keys, *args)
    running.append(process)
    return process, process.wait_for("Ctrl-C")


def _notify(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wechatpay_codegen", "sandbox", "notify", *map(str, args)],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _merchant_client(banner: str) -> Any:
    """Run the merchant configuration the sandbox printed; return its ``client``."""
    start = banner.index("# merchant client")
    code = banner[banner.index("\n", start) + 1 : banner.index("\n)\n", start) + 2]
    scope: dict[str, Any] = {}
    exec(compile(code, "<printed merchant configuration>", "exec"), scope)
    return scope["client"]


@dataclass
class Endpoint:
    client: Any
    url: str = ""
    parsed: list[wp.Notification] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            endpoint.serials.append(self.headers.get("Wechatpay-Serial", ""))
            client = endpoint.client
            try:
                try:
                    event = client.parse_notification(headers=self.headers, body=raw)
                except wp.SignatureVerificationError as exc:
                    if exc.unknown_serial is None or client.verification_mode == "public-key":
                        raise
                    client.refresh_certificates()  # a rotated certificate: look once
                    event = client.parse_notification(headers=self.headers, body=raw)
            except wp.WeChatPayError:
                self.send_response(400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            endpoint.parsed.append(event)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def serve(client: Any) -> Endpoint:
        endpoint = Endpoint(client)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(endpoint))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        servers.append((server, thread))
        endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/notify"
        return endpoint

    yield serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _serial(banner: str) -> str:
    found = re.search(r"^platform certificate: ([0-9A-F]{40})$", banner, re.MULTILINE)
    assert found is not None, banner
    return found.group(1)


def test_certificate_mode_prints_a_certificate_client_and_notify_signs_with_it(
    running: list[_Sandbox], serve: Any, calls: dict[str, DemoCall], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    _, banner = _start(running, keys, "--verification", "certificate")
    serial = _serial(banner)
    merchant = banner[banner.index("# merchant client") : banner.index("# brand client")]
    assert "verification: certificate" in merchant
    assert "wechatpay_public_key" not in merchant  # no public key: certificates only
    assert f"pathlib.Path({str(keys / API_V3_KEY_FILE)!r}).read_text().strip()" in merchant
    api_v3_key = (keys / API_V3_KEY_FILE).read_text().strip()
    assert api_v3_key not in banner  # the key file is named, never the key
    brand = banner[banner.index("# brand client") :]
    assert str(keys / WECHATPAY_PUBLIC_KEY_FILE) in brand  # brands: the public key only
    assert "api_v3_key" not in brand

    with _merchant_client(banner) as client:
        assert client.verification_mode == "certificate"
        result = client.modify_budget(**calls["modify_budget"].kwargs)
        assert result.to_dict() == calls["modify_budget"].response_example
        assert client.platform_certificate_serials == [serial]
        endpoint = serve(client)
        sent = _notify("--url", endpoint.url, "--event", EVENT, "--keys", keys)
        assert sent.returncode == 0, sent.stderr
        assert f"signed with platform certificate {serial}" in sent.stdout
        assert endpoint.serials == [serial]
        [event] = endpoint.parsed
        assert event.event_type == EVENT
        # --sign-with public-key: a certificate-mode handler has no public key to check it with
        refused = _notify(
            "--url", endpoint.url, "--event", EVENT, "--keys", keys, "--sign-with", "public-key"
        )
        assert refused.returncode == 1
        assert "signed with the WeChat Pay public key PUB_KEY_ID_" in refused.stdout
        assert len(endpoint.parsed) == 1
    for output in (sent, refused):
        assert api_v3_key not in output.stdout + output.stderr
        assert "Traceback" not in output.stderr


def test_rotation_from_the_command_line_reaches_notify_and_the_handler(
    running: list[_Sandbox], serve: Any, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    process, banner = _start(running, keys, "--verification", "certificate", "--rotate-every", "1")
    first = _serial(banner)
    with _merchant_client(banner) as client:
        assert client.refresh_certificates() == [first]
        endpoint = serve(client)
        log = process.wait_for("rotated: platform certificate", "stderr")
        assert re.search(r"rotated: platform certificate [0-9A-F]{40} signs from now on", log)
        sent = _notify("--url", endpoint.url, "--event", EVENT, "--keys", keys)
        assert sent.returncode == 0, sent.stderr
        # signed with a certificate issued after the first; the handler looked it up once
        [serial] = endpoint.serials
        assert serial != first and f"signed with platform certificate {serial}" in sent.stdout
        assert serial in client.platform_certificate_serials
        assert len(endpoint.parsed) == 1
    process.stop()
    assert json.loads((keys / STATE_FILE).read_text())["serial_no"] != first
    assert (keys / STATE_FILE).stat().st_mode & 0o077 == 0  # it holds a private key


def test_migration_mode_serves_certificates_and_signs_with_the_public_key(
    running: list[_Sandbox], serve: Any, calls: dict[str, DemoCall], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    _, banner = _start(running, keys, "--verification", "migration")
    serial = _serial(banner)
    merchant = banner[banner.index("# merchant client") : banner.index("# brand client")]
    assert "wechatpay_public_key_id=" in merchant and "api_v3_key=" in merchant
    with _merchant_client(banner) as client:
        assert client.verification_mode == "migration"
        client.modify_budget(**calls["modify_budget"].kwargs)
        endpoint = serve(client)
        auto = _notify("--url", endpoint.url, "--event", EVENT, "--keys", keys)
        assert auto.returncode == 0, auto.stderr
        assert "signed with the WeChat Pay public key" in auto.stdout
        by_certificate = _notify(
            "--url", endpoint.url, "--event", EVENT, "--keys", keys, "--sign-with", "certificate"
        )
        assert by_certificate.returncode == 0, by_certificate.stderr
        public_key_id = load_or_create_keys(keys)[0].wechatpay_public_key_id
        assert endpoint.serials == [public_key_id, serial]
        assert len(endpoint.parsed) == 2


def test_a_public_key_start_forgets_the_certificate_mode(
    running: list[_Sandbox], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    process, _ = _start(running, keys, "--verification", "certificate")
    assert (keys / STATE_FILE).exists()
    process.stop()
    process, banner = _start(running, keys)
    assert "verification: public-key" in banner
    assert "platform certificate:" not in banner
    assert not (keys / STATE_FILE).exists()
    wanted = _notify(
        "--url",
        "http://127.0.0.1:9/x",
        "--event",
        EVENT,
        "--keys",
        keys,
        "--sign-with",
        "certificate",
    )
    assert wanted.returncode == 1
    assert wanted.stderr.startswith(f"sandbox notify: no platform certificate in {keys}")
    assert "--verification certificate" in wanted.stderr
    brand = _notify(
        "--url",
        "http://127.0.0.1:9/x",
        "--event",
        EVENT,
        "--keys",
        keys,
        "--brand",
        "--sign-with",
        "certificate",
    )
    assert brand.returncode == 1
    assert "brand APIs have no platform certificates" in brand.stderr
    for output in (wanted, brand):
        assert "Traceback" not in output.stderr


def test_bad_values_get_a_clear_error_and_help_shows_defaults_and_examples(
    tmp_path: Path,
) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wechatpay_codegen", "sandbox", *args],
            cwd=REPO,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    keys = str(tmp_path / "keys")
    cases = {
        ("--verification", "certificates"): "invalid choice: 'certificates'",
        ("--verification", "certificate", "--rotate-every", "0"): "between 1 second and a year",
        ("--verification", "certificate", "--rotate-every", "soon"): "not a number of seconds",
        ("--verification", "certificate", "--rotate-every", "nan"): "between 1 second and a year",
        ("--rotate-every", "60"): "give --verification certificate (or migration) too",
        ("notify", "--url", "http://127.0.0.1:9/x", "--event", EVENT, "--sign-with", "cert"): (
            "invalid choice: 'cert'"
        ),
    }
    for args, message in cases.items():
        result = cli(*args, "--keys", keys) if args[0] != "notify" else cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    sandbox_help = " ".join(cli("--help").stdout.split())
    assert "(default: public-key)" in sandbox_help
    assert "--rotate-every SECONDS" in sandbox_help and "(default: never)" in sandbox_help
    assert "sandbox --verification certificate --rotate-every 600" in sandbox_help
    notify_help = " ".join(cli("notify", "--help").stdout.split())
    assert "(default: auto)" in notify_help
    assert "--sign-with certificate" in notify_help


def test_the_cli_choices_match_the_implementation() -> None:
    assert set(NOTIFY_SIGN_WITH) == set(SIGN_WITH)
    assert set(SANDBOX_VERIFICATION) == {"public-key", "certificate", "migration"}


def test_a_damaged_certificate_record_is_one_clear_line(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    load_or_create_keys(keys)
    record = keys / STATE_FILE
    for content, message in (
        ("{not json", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"sign_with": "certificate"}', "needs sign_with, serial_no and private_key"),
        (
            '{"sign_with": "certificate", "serial_no": "AB", "private_key": "nope"}',
            "not an unencrypted PEM private key",
        ),
    ):
        record.write_text(content)
        result = _notify("--url", "http://127.0.0.1:9/x", "--event", EVENT, "--keys", keys)
        assert result.returncode == 1
        assert result.stderr.startswith(f"sandbox notify: {record}: "), result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
