"""``wechatpay-codegen sandbox`` as a user runs it: a real process, real signals."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from wechatpay_codegen.sandbox import Sandbox, SandboxKeys, SandboxSpecError, load_or_create_keys

from .conftest import FIXTURE_SPECS, FIXTURES
from .wire import authorization

REPO = Path(__file__).resolve().parents[3]


class _Process:
    """The CLI in a child process; a thread collects its stdout as it comes."""

    def __init__(self, *args: str, cwd: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "wechatpay_codegen", "sandbox", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout = ""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with self._lock:
                self.stdout += line

    def read_until(self, marker: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if marker in self.stdout:
                    return self.stdout
            if self.popen.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no {marker!r} in {self.stdout!r}")

    def stop(self, signum: int = signal.SIGTERM) -> str:
        """Send ``signum``; wait for the exit; return stderr."""
        self.popen.send_signal(signum)
        self.popen.wait(timeout=20)
        self._reader.join(5)
        assert self.popen.stderr is not None
        return self.popen.stderr.read()


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wechatpay_codegen", "sandbox", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_a_signal_then_exits_0(stop_signal: int, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    # the printed configuration imports the package the working folder's config table names
    (tmp_path / "pyproject.toml").write_text('[tool.wechatpay-codegen]\npackage = "acme_pay"\n')
    process = _Process("--specs", str(FIXTURE_SPECS), "--keys", str(keys), cwd=tmp_path)
    err = ""
    try:
        banner = process.read_until("Ctrl-C")
        assert "import acme_pay\n" in banner
        assert "client = acme_pay.WeChatPayClient(" in banner
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert url is not None
        assert "generated" in banner
        # the printed configuration names the key files, never the keys themselves
        assert str(keys / "merchant_apiclient_key.pem") in banner
        assert str(keys / "brand_apiclient_key.pem") in banner
        assert str(keys / "wechatpay_public_key.pem") in banner
        assert "PRIVATE KEY" not in banner
        assert f"base_url={url.group(1)!r}" in banner
        assert "backup_base_url=None" in banner
        # a request signed with the printed credentials works
        sandbox_keys, created = load_or_create_keys(keys)
        assert not created
        assert f"mchid={sandbox_keys.mchid!r}" in banner
        assert f"brand_id={sandbox_keys.brand_id!r}" in banner
        port = int(url.group(1).rsplit(":", 1)[1])
        body = b'{"request_no":"R1"}'
        response = httpx.patch(
            f"{url.group(1)}/v3/test/widgets/1",
            content=body,
            headers=_headers(sandbox_keys, "/v3/test/widgets/1", body),
        )
        assert response.status_code == 200, response.text
    finally:
        err = process.stop(stop_signal)
    assert process.popen.returncode == 0, err
    assert "Traceback" not in err
    assert "sandbox stopped" in err
    assert re.search(r'"PATCH /v3/test/widgets/1 HTTP/1.1" 200', err)  # the access log
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def _headers(keys: SandboxKeys, target: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Authorization": authorization(
            scheme="WECHATPAY2-SHA256-RSA2048",
            identity_field="mchid",
            identity=keys.mchid,
            serial_no=keys.merchant_serial_no,
            key=keys.merchant_private_key,
            method="PATCH",
            target=target,
            body=body,
        ),
    }


def test_a_second_start_reuses_the_key_folder(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first, _ = load_or_create_keys(keys)
    process = _Process("--specs", str(FIXTURE_SPECS), "--keys", str(keys), cwd=tmp_path)
    try:
        banner = process.read_until("Ctrl-C")
    finally:
        process.stop()
    assert "reused" in banner
    assert f"mchid={first.mchid!r}" in banner


def test_broken_yaml_gives_file_line_messages_and_exit_1(tmp_path: Path) -> None:
    result = _run("--specs", str(FIXTURES / "bad_yaml"), "--keys", str(tmp_path / "k"), cwd=REPO)
    assert result.returncode == 1
    assert re.search(r"broken\.yaml:\d+:\d+: ", result.stderr)
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "k").exists()  # nothing generated for specs that do not load


def test_a_missing_spec_folder_is_exit_1(tmp_path: Path) -> None:
    result = _run("--specs", str(tmp_path / "nope"), "--keys", str(tmp_path / "k"), cwd=tmp_path)
    assert result.returncode == 1
    assert "nope" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unusable_key_folder_is_exit_1(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "other.txt").write_text("x")
    result = _run("--specs", str(FIXTURE_SPECS), "--keys", str(tmp_path / "keys"), cwd=tmp_path)
    assert result.returncode == 1
    assert "holds no sandbox keys" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_taken_port_is_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = _run(
            "--specs",
            str(FIXTURE_SPECS),
            "--keys",
            str(tmp_path / "k"),
            "--port",
            port,
            cwd=tmp_path,
        )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr
    assert "Traceback" not in result.stderr


def test_specs_the_sandbox_cannot_serve_are_reported_with_locations() -> None:
    with pytest.raises(SandboxSpecError) as info:
        Sandbox(FIXTURES / "no_example")
    [line] = info.value.lines
    assert re.match(r".*no_example\.yaml:\d+:\d+: .*no example", line)
