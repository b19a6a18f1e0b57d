"""Section 3: start-up, in fresh processes.

- Import: ``import wechatpay_marketing`` against ``import httpx, cryptography``, each timed inside
  a fresh interpreter (``perf_counter`` around the import statement, so interpreter start-up is not
  counted), alternating, median of N.
- Construct plus first call: in a fresh process that has imported the package, the time from
  creating ``WeChatPayClient(**config)`` (keys as PEM text) to the end of its first
  ``modify_budget`` call against the sandbox (new connection, signature, verification).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .sandbox_process import SandboxProcess
from .stats import Row, median, ms, ratio_row

SECTION = "3 start-up"

_IMPORT = "import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"

_FIRST_CALL = """
import json, sys, time
config = json.load(open(sys.argv[1]))
kind = sys.argv[2]
CALL = {"stock_id": "98065001", "modify_budget_request_no": "1002600620019090123143254436",
        "target_max_coupons": 3000, "current_max_coupons": 500}
if kind == "ours":
    import wechatpay_marketing as wp
    t = time.perf_counter()
    client = wp.WeChatPayClient(**config)
    client.modify_budget(**CALL)
elif kind == "ours+httpx":
    import wechatpay_marketing as wp, httpx
    t = time.perf_counter()
    client = wp.WeChatPayClient(**config, http_client=httpx.Client())
    client.modify_budget(**CALL)
else:
    from wechatpayv3 import WeChatPay, WeChatPayType
    t = time.perf_counter()
    pay = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=config["mchid"],
                    private_key=config["private_key"], cert_serial_no=config["serial_no"],
                    appid="wxd678efh567hg6787", apiv3_key="a" * 32,
                    public_key=config["wechatpay_public_key"],
                    public_key_id=config["wechatpay_public_key_id"])
    pay._core._gate_way = config["base_url"]
    code, _ = pay.marketing_busifavor_stock_budget(stock_id="98065001",
        modify_budget_request_no="1002600620019090123143254436", target_max_coupons=3000,
        current_max_coupons=500)
    assert code == 200, code
print(time.perf_counter() - t)
"""


def _child(code: str, *args: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tempfile.gettempdir(),  # nothing importable from the work tree's root by accident
    )
    if out.returncode != 0:
        raise RuntimeError(f"child failed: {out.stderr.strip()[-500:]}")
    return float(out.stdout.strip().splitlines()[-1])


def run(specs: Path, *, samples: int, server_cpu: int | None) -> list[Row]:
    imports: dict[str, list[float]] = {"wechatpay_marketing": [], "httpx, cryptography": []}
    for modules in imports:  # warm the bytecode caches
        _child(_IMPORT.format(modules=modules))
    for _ in range(samples):
        for modules, times in imports.items():
            times.append(_child(_IMPORT.format(modules=modules)))
    ours_import = median(imports["wechatpay_marketing"])
    base_import = median(imports["httpx, cryptography"])

    first: dict[str, list[float]] = {"ours": [], "ours+httpx": [], "wechatpayv3": []}
    with SandboxProcess(specs, cpu=server_cpu) as sandbox, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        config = {**sandbox.merchant_config()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # throwaway keys only
        with os.fdopen(fd, "w") as handle:
            json.dump(config, handle)
        for kind in first:
            _child(_FIRST_CALL, str(path), kind)
        for _ in range(samples):
            for kind, times in first.items():
                times.append(_child(_FIRST_CALL, str(path), kind))

    return [
        Row(SECTION, "import wechatpay_marketing", ms(ours_import)),
        Row(SECTION, "import httpx, cryptography", ms(base_import)),
        ratio_row(
            SECTION, "import time vs httpx + cryptography", ours_import / base_import, at_most=1.25
        ),
        ratio_row(
            SECTION,
            "construct + first call",
            median(first["ours"]) * 1e3,
            at_most=60,
            unit=" ms",
            value=f"median of {samples} fresh processes",
        ),
        Row(
            SECTION,
            "(info) construct + first call, http_client=httpx.Client()",
            ms(median(first["ours+httpx"])),
        ),
        Row(SECTION, "(info) wechatpayv3 construct + first call", ms(median(first["wechatpayv3"]))),
    ]
