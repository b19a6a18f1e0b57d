"""Start a server in a child process and hand back its base URL and client configuration.

``SandboxProcess(specs)`` runs the sandbox (``_server.py``); ``FastServerProcess()`` the minimal
server of the concurrency benchmark (``_fast_server.py``). Each is pinned to ``cpu`` when given;
``cpu_seconds()`` reads the CPU time a server has used so far (Linux), so that a section can say
what the server costs per call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


class ServerProcess:
    """``with ServerProcess(module, args, cpu=1) as server: server.base_url, ...``."""

    def __init__(self, module: str, args: list[str], cpu: int | None = None) -> None:
        self.module = module
        self.args = args
        self.cpu = cpu
        self._proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._merchant: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def __enter__(self) -> ServerProcess:
        args = [sys.executable, "-m", self.module, *self.args]
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
            raise RuntimeError(f"{self.module} exited with status {self._proc.returncode}")
        info = json.loads(line)
        self.base_url = info["base_url"]
        self._merchant = info["merchant"]
        return self

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the server process has used so far; None where ``/proc``
        does not tell (not Linux)."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


def SandboxProcess(specs: Path, cpu: int | None = None) -> ServerProcess:
    return ServerProcess("tests.benchmarks._server", [str(specs)], cpu)


def FastServerProcess(cpu: int | None = None) -> ServerProcess:
    return ServerProcess("tests.benchmarks._fast_server", [], cpu)
