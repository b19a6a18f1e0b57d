"""End-to-end fixtures: the real sandbox on loopback, real throwaway keys, the generated client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.demo import DemoCall, demo_calls
from wechatpay_codegen.loader import SpecSet, load_specs
from wechatpay_codegen.sandbox import Sandbox

# The project's specs; tests/unit/test_spec_edits.py points this at an edited copy (and the package
# generated from it) to show that the tests read what they expect from the specs.
SPECS = Path(
    os.environ.get("WECHATPAY_TEST_SPECS") or Path(__file__).resolve().parents[2] / "specs"
)


@pytest.fixture(scope="session")
def specs() -> SpecSet:
    return load_specs([SPECS])


@pytest.fixture(scope="session")
def calls(specs: SpecSet) -> dict[str, DemoCall]:
    return {call.operation_id: call for call in demo_calls(specs)}


@pytest.fixture(scope="session")
def sandbox(specs: SpecSet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(specs, keys_dir=tmp_path_factory.mktemp("sandbox-keys")) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_log(sandbox: Sandbox) -> None:
    sandbox.clear()


def _fast(config: dict[str, Any]) -> dict[str, Any]:
    """Short timeouts so fault tests stay quick."""
    return {**config, "timeout": 5.0}


@pytest.fixture
def merchant(sandbox: Sandbox) -> Iterator[wp.WeChatPayClient]:
    with wp.WeChatPayClient(**_fast(sandbox.merchant_config())) as client:
        yield client


@pytest.fixture
def brand(sandbox: Sandbox) -> Iterator[wp.WeChatPayClient]:
    with wp.WeChatPayClient(**_fast(sandbox.brand_config())) as client:
        yield client


@pytest.fixture
async def async_merchant(sandbox: Sandbox) -> AsyncIterator[wp.AsyncWeChatPayClient]:
    async with wp.AsyncWeChatPayClient(**_fast(sandbox.merchant_config())) as client:
        yield client


@pytest.fixture
async def async_brand(sandbox: Sandbox) -> AsyncIterator[wp.AsyncWeChatPayClient]:
    async with wp.AsyncWeChatPayClient(**_fast(sandbox.brand_config())) as client:
        yield client
