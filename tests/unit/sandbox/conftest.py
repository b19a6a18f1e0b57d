"""Sandbox unit-test fixtures: a sandbox over the fixture specs, and one over the real specs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from wechatpay_codegen.loader import SpecSet, load_specs
from wechatpay_codegen.sandbox import Sandbox

from .wire import Call

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_SPECS = FIXTURES / "specs"
REAL_SPECS = Path(__file__).resolve().parents[3] / "specs"


@pytest.fixture(scope="session")
def fixture_specs() -> SpecSet:
    return load_specs([FIXTURE_SPECS])


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One key folder for the session, created by the sandbox's own key module."""
    return tmp_path_factory.mktemp("sandbox") / "keys"


@pytest.fixture(scope="session")
def fixture_server(fixture_specs: SpecSet, keys_dir: Path) -> Iterator[Sandbox]:
    with Sandbox(fixture_specs, keys_dir=keys_dir) as server:
        yield server


@pytest.fixture
def sandbox(fixture_server: Sandbox) -> Sandbox:
    fixture_server.clear()
    return fixture_server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as client:
        yield client


@pytest.fixture
def call(sandbox: Sandbox, http: httpx.Client) -> Call:
    return Call(sandbox, http)
