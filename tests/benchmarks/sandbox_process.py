"""Start the sandbox in a child process (see ``_server.py``) and hand back its configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


class SandboxProcess:
    """``with SandboxProcess(specs, cpu=1) as sb: sb.base_url, sb.merchant_config()``."""

    def __init__(self, specs: Path, cpu: int | None = None) -> None:
        self.specs = specs
        self.cpu = cpu
        self._proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._merchant: dict[str, Any] = {}

    def __enter__(self) -> SandboxProcess:
        args = [sys.executable, "-m", "tests.benchmarks._server", str(self.specs)]
        if self.cpu is not None:
            args.append(str(self.cpu))
        root = Path(__file__).resolve().parents[2]
        env = {**os.environ, "PYTHONPATH": str(root)}
        self._proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root, env=env
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._proc.wait(10)
            raise RuntimeError(f"the sandbox process exited with {self._proc.returncode}")
        info = json.loads(line)
        self.base_url = info["base_url"]
        self._merchant = info["merchant"]
        return self

    @property
    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.base_url)
        assert parts.hostname is not None and parts.port is not None
        return parts.hostname, parts.port

    def merchant_config(self) -> dict[str, Any]:
        return dict(self._merchant)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc = self._proc
        if proc is None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        self._proc = None
