"""The runtime tests' fixtures are typed, so ``mypy --strict tests/unit/runtime`` checks the calls
made through them (issue 11): a misspelled or mistyped client argument, a sync HTTP client given
to the async one, a method the client does not have, an operation ``ops`` does not hold.

Checked by running mypy on a probe that uses the fixtures' types, well and badly: every bad line,
and only those, is an error.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MYPY = Path(sys.executable).with_name("mypy")

PROBE = """\
from __future__ import annotations

import httpx

from runtime.conftest import MakeAsyncClient, MakeClient, MakeOfflineClient, Ops


def good(
    make_client: MakeClient, make_async_client: MakeAsyncClient, make: MakeOfflineClient, ops: Ops
) -> None:
    make_client(timeout=1.0, max_retries=0, http_client=httpx.Client()).close()
    make_async_client(http_client=httpx.AsyncClient(), backup_base_url=None)
    make().parse_notification(headers={}, body=b"")
    assert ops.modify_budget.operation_id


def bad(
    make_client: MakeClient, make_async_client: MakeAsyncClient, make: MakeOfflineClient, ops: Ops
) -> None:
    make_client(timout=1.0)  # BAD
    make_client(max_retries="3")  # BAD
    make_async_client(http_client=httpx.Client())  # BAD
    make().parse_notifications(headers={}, body=b"")  # BAD
    assert ops.modify_budgets  # BAD
"""


def test_mypy_checks_the_calls_made_through_the_fixtures(tmp_path: Path) -> None:
    probe = tmp_path / "probe_fixture_types.py"
    probe.write_text(PROBE, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(ROOT / "tests" / "unit")}
    done = subprocess.run(
        [str(MYPY), "--strict", "--no-error-summary", "--hide-error-context", str(probe)],
        cwd=ROOT,  # the project's mypy settings and its warm cache
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    lines = {int(n) for n in re.findall(rf"{probe.name}:(\d+): error:", output)}
    bad = {n for n, text in enumerate(PROBE.splitlines(), 1) if text.endswith("# BAD")}
    assert lines == bad, output
