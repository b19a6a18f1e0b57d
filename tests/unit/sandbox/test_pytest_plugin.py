"""The pytest plugin's fixtures, used the way a project's tests would use them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from wechatpay_codegen.sandbox import Sandbox
from wechatpay_codegen.sandbox.pytest_plugin import sandbox, sandbox_server  # noqa: F401

from .conftest import FIXTURE_SPECS
from .wire import Call


@pytest.fixture(scope="session")
def sandbox_specs() -> Path:
    """Overridden, as a project would, to point the plugin at other specs."""
    return FIXTURE_SPECS


def test_the_fixture_is_a_running_sandbox(sandbox: Sandbox) -> None:  # noqa: F811
    assert sandbox.running
    assert {op.operation_id for op in sandbox.operations} == {
        "get_item",
        "submit_plan",
        "update_widget",
    }
    with httpx.Client() as http:
        response = Call(sandbox, http).send("GET", "/v3/test/items/7")
    assert response.status_code == 200
    assert len(sandbox.requests) == 1


def test_each_test_starts_with_an_empty_log(sandbox: Sandbox) -> None:  # noqa: F811
    assert sandbox.requests == []


def test_the_configs_are_client_keyword_arguments(sandbox: Sandbox) -> None:  # noqa: F811
    merchant, brand = sandbox.merchant_config(), sandbox.brand_config()
    assert set(merchant) == {
        "mchid",
        "serial_no",
        "private_key",
        "wechatpay_public_key_id",
        "wechatpay_public_key",
        "base_url",
        "backup_base_url",
    }
    assert set(brand) == set(merchant) - {"mchid"} | {"brand_id"}
    assert merchant["mchid"] == sandbox.keys.mchid
    assert brand["brand_id"] == sandbox.keys.brand_id
    assert merchant["serial_no"] == sandbox.keys.merchant_serial_no
    assert brand["serial_no"] == sandbox.keys.brand_serial_no
    assert merchant["private_key"] != brand["private_key"]
    assert merchant["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert merchant["wechatpay_public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    assert merchant["base_url"] == sandbox.base_url
    assert merchant["backup_base_url"] is None


def test_the_cli_does_not_import_pytest() -> None:
    code = (
        "import sys, wechatpay_codegen.cli, wechatpay_codegen.sandbox.cli; "
        "print('pytest' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
