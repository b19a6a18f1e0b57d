"""``wechatpay-codegen sandbox``: serve the specs on loopback until Ctrl-C / SIGTERM.

Prints the listening URL and ready-to-paste client configurations (paths to the key files, never
key text). Bad specs are reported as ``file:line:col: message`` lines with exit status 1; so are
unusable key folders and addresses that cannot be bound.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from .._report import internal_error
from ..config import DEFAULT_PACKAGE
from ..loader import SpecLoadError, SpecSet, load_specs
from ..validate import validate_specs
from ..webhooks import read_webhooks
from .api import Sandbox
from .keys import (
    API_V3_KEY_FILE,
    BRAND_API_KEY_FILE,
    BRAND_KEY_FILE,
    MERCHANT_KEY_FILE,
    WECHATPAY_PUBLIC_KEY_FILE,
    KeysError,
    SandboxKeys,
)
from .operations import SandboxSpecError

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def client_snippet(
    keys: SandboxKeys, base_url: str, *, brand: bool, package: str = DEFAULT_PACKAGE
) -> str:
    """Code constructing a ``package`` client for the sandbox, with paths to the key files."""
    wechatpay_key = str(keys.path(WECHATPAY_PUBLIC_KEY_FILE))
    if brand:
        identity = f"brand_id={keys.brand_id!r}"
        serial, key_file = keys.brand_serial_no, str(keys.path(BRAND_KEY_FILE))
    else:
        identity = f"mchid={keys.mchid!r}"
        serial, key_file = keys.merchant_serial_no, str(keys.path(MERCHANT_KEY_FILE))
    return "\n".join(
        [
            f"import {package}",
            "",
            f"client = {package}.WeChatPayClient(",
            f"    {identity},",
            f"    serial_no={serial!r},",
            f"    private_key={key_file!r},",
            f"    wechatpay_public_key_id={keys.wechatpay_public_key_id!r},",
            f"    wechatpay_public_key={wechatpay_key!r},",
            f"    base_url={base_url!r},",
            "    backup_base_url=None,",
            ")",
        ]
    )


def banner(sandbox: Sandbox, package: str = DEFAULT_PACKAGE) -> str:
    keys = sandbox.keys
    origin = "generated" if sandbox.keys_created else "reused"
    lines = [
        f"WeChat Pay sandbox listening on {sandbox.base_url}",
        f"keys: {keys.directory} ({origin}; throwaway, for the sandbox only)",
        "",
        "operations:",
    ]
    for op in sorted(sandbox.operations, key=lambda o: (o.template, o.method)):
        who = "brand" if op.is_brand else "merchant"
        lines.append(f"  {op.method:6} {op.template}  {op.operation_id} ({who}) -> {op.status}")
    webhooks = read_webhooks(sandbox.specs)
    if webhooks:
        lines += ["", "callbacks (wechatpay-codegen sandbox notify --url URL --event TYPE):"]
        lines += [f"  {w.event_type}  {w.summary}" for w in webhooks]
        lines.append(
            f"  encrypted with the APIv3 key in {keys.path(API_V3_KEY_FILE)} "
            f"(--brand: {keys.path(BRAND_API_KEY_FILE)}); pass it as api_v3_key= to parse them"
        )
    lines += [
        "",
        "# merchant client (merchant operations)",
        client_snippet(keys, sandbox.base_url, brand=False, package=package),
        "",
        "# brand client (brand operations)",
        client_snippet(keys, sandbox.base_url, brand=True, package=package),
        "",
        "Faults on request: header X-Sandbox-Fault (e.g. '503; times=2', 'drop', 'delay=2',",
        "'bad-signature', 'not-json'). Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _load(specs: Path) -> SpecSet | None:
    try:
        spec_set = load_specs([specs])
    except SpecLoadError as exc:
        for problem in exc.problems:
            _err(str(problem))
        return None
    problems = validate_specs(spec_set)
    if problems:
        for problem in problems:
            _err(str(problem))
        return None
    return spec_set


def run_sandbox(
    specs: Path, host: str, port: int, keys: Path, package: str = DEFAULT_PACKAGE
) -> int:
    """Serve until interrupted; 0 on a clean stop, 1 when it cannot start. The printed
    configuration imports ``package`` (the generated package's import name)."""
    spec_set = _load(specs)
    if spec_set is None:
        return 1
    try:
        sandbox = Sandbox(spec_set, keys_dir=keys, host=host, port=port, log=_err)
    except SandboxSpecError as exc:
        for line in exc.lines:
            _err(line)
        return 1
    except KeysError as exc:
        _err(f"sandbox: {exc}")
        return 1
    except Exception as exc:  # a bug of ours: say so in one line, never a traceback
        _err(internal_error("sandbox", exc))
        return 2
    try:
        sandbox.start()
    except OSError as exc:
        _err(f"sandbox: cannot listen on {host}:{port}: {exc.strerror or exc}")
        return 1
    if host not in _LOOPBACK:
        _err(f"sandbox: warning: bound to {host}; anyone who can reach the port can call it")
    stop = threading.Event()
    previous = _install_handlers(stop)
    try:
        print(banner(sandbox, package), flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        _restore_handlers(previous)
    _err("sandbox stopped")
    return 0


def _install_handlers(stop: threading.Event) -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handler)
    return previous


def _restore_handlers(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
