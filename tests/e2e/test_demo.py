"""`make run`'s last step: every operation, sync then async, against a fresh sandbox."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from wechatpay_codegen.demo import main
from wechatpay_codegen.loader import load_specs

SPECS = Path(__file__).resolve().parents[2] / "specs"


def test_demo_calls_every_operation_and_reports_verified_responses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls = 2 * len(load_specs([SPECS]).model().operations)  # each sync, then async
    assert main(["--specs", str(SPECS)]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith(("sync ", "async "))]
    assert len(rows) == calls
    for client, operation, status, request_id, millis in rows:
        expected = "204" if operation == "submit_delivery_plan" else "200"
        assert status == expected, (client, operation)
        assert re.fullmatch(r"[0-9A-F]+-0", request_id)
        assert float(millis) > 0
    assert f"{calls} calls, {calls} succeeded" in out
