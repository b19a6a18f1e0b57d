"""The sandbox in its own process, so that its CPU time never counts as the client's.

Run as ``python -m tests.benchmarks._server SPECS [CPU]``: starts the sandbox on a free loopback
port, prints one JSON line (base URL and the merchant client configuration, throwaway keys only),
and serves until its standard input closes (the parent exiting closes it too).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from wechatpay_codegen.sandbox import Sandbox


def main(argv: list[str]) -> int:
    specs = Path(argv[0])
    if len(argv) > 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(argv[1])})
    with Sandbox(specs, keys_dir=None, max_connections=256) as sandbox:
        config = sandbox.merchant_config()
        print(json.dumps({"base_url": sandbox.base_url, "merchant": config}), flush=True)
        sys.stdin.read()  # EOF: the parent is done (or gone)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
