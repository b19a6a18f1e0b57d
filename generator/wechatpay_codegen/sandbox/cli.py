"""``wechatpay-codegen sandbox``: serve the specs on loopback until Ctrl-C / SIGTERM.

Prints the listening URL and ready-to-paste client configurations (paths to the key files, never
key text). Bad specs are reported as ``file:line:col: message`` lines with exit status 1; so are
unusable key folders and addresses that cannot be bound.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, Literal

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
Verification = Literal["public-key", "certificate", "migration"]


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def client_snippet(
    keys: SandboxKeys,
    base_url: str,
    *,
    brand: bool,
    package: str = DEFAULT_PACKAGE,
    verification: Verification = "public-key",
) -> str:
    """Code constructing a ``package`` client for the sandbox, with paths to the key files.

    ``verification`` (merchants only; brands always verify with the public key): with
    ``certificate`` the client has no public key and reads the APIv3 key from its file (it
    decrypts the platform certificates); with ``migration`` it has both."""
    wechatpay_key = str(keys.path(WECHATPAY_PUBLIC_KEY_FILE))
    if brand:
        identity = f"brand_id={keys.brand_id!r}"
        serial, key_file = keys.brand_serial_no, str(keys.path(BRAND_KEY_FILE))
        verification = "public-key"
    else:
        identity = f"mchid={keys.mchid!r}"
        serial, key_file = keys.merchant_serial_no, str(keys.path(MERCHANT_KEY_FILE))
    lines = [f"import {package}", "", f"client = {package}.WeChatPayClient("]
    if verification != "public-key":
        lines[0:0] = ["import pathlib"]
    lines += [f"    {identity},", f"    serial_no={serial!r},", f"    private_key={key_file!r},"]
    if verification != "certificate":
        lines += [
            f"    wechatpay_public_key_id={keys.wechatpay_public_key_id!r},",
            f"    wechatpay_public_key={wechatpay_key!r},",
        ]
    if verification != "public-key":
        api_v3_key_file = str(keys.path(API_V3_KEY_FILE))
        lines.append(f"    api_v3_key=pathlib.Path({api_v3_key_file!r}).read_text().strip(),")
    lines += [f"    base_url={base_url!r},", "    backup_base_url=None,", ")"]
    return "\n".join(lines)


_MODES = {
    "public-key": "merchant with a WeChat Pay public key (GET /v3/certificates: 404)",
    "certificate": "merchant with platform certificates (served at GET /v3/certificates; the "
    "newest signs every merchant answer and callback)",
    "migration": "merchant moving to a public key (platform certificates served at GET "
    "/v3/certificates; answers signed with the public key)",
}


def banner(
    sandbox: Sandbox, package: str = DEFAULT_PACKAGE, verification: Verification = "public-key"
) -> str:
    keys = sandbox.keys
    origin = "generated" if sandbox.keys_created else "reused"
    lines = [
        f"WeChat Pay sandbox listening on {sandbox.base_url}",
        f"keys: {keys.directory} ({origin}; throwaway, for the sandbox only)",
        f"verification: {verification}: {_MODES[verification]}",
    ]
    serials = sandbox.platform_certificate_serials
    if serials:
        lines.append(f"platform certificate: {serials[-1]}")
    lines += ["", "operations:"]
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
        f"# merchant client (merchant operations; verification: {verification})",
        client_snippet(
            keys, sandbox.base_url, brand=False, package=package, verification=verification
        ),
        "",
        "# brand client (brand operations; brand APIs verify with the public key only)",
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
    specs: Path,
    host: str,
    port: int,
    keys: Path,
    package: str = DEFAULT_PACKAGE,
    verification: Verification = "public-key",
    rotate_every: float | None = None,
) -> int:
    """Serve until interrupted; 0 on a clean stop, 1 when it cannot start. The printed
    configuration imports ``package`` (the generated package's import name).

    ``verification``: ``public-key`` (the default merchant), ``certificate`` (platform
    certificates sign) or ``migration`` (served, the public key signs); ``rotate_every``
    seconds, a new platform certificate (logged on stderr with its serial number)."""
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
    if verification != "public-key":
        sandbox.use_platform_certificates(
            "certificate" if verification == "certificate" else "public-key"
        )
    stop = threading.Event()
    previous = _install_handlers(stop)
    try:
        print(banner(sandbox, package, verification), flush=True)
        next_rotation = None if rotate_every is None else time.monotonic() + rotate_every
        while not stop.wait(0.2 if next_rotation is not None else 0.5):
            if next_rotation is not None and time.monotonic() >= next_rotation:
                assert rotate_every is not None
                next_rotation += rotate_every
                serial = sandbox.rotate_platform_certificate()
                _err(f"sandbox: rotated: platform certificate {serial} signs from now on")
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
