"""pytest fixtures for testing against the sandbox.

Enable with ``pytest_plugins = ["wechatpay_codegen.sandbox.pytest_plugin"]`` in a top-level
``conftest.py``. Fixtures:

- ``sandbox_specs``: the spec folder (default ``<rootdir>/specs``; override the fixture to
  change it);
- ``sandbox_server`` (session): one running :class:`Sandbox` with throwaway in-memory keys;
- ``sandbox``: that server, with its recorded requests and ``times=n`` fault counts cleared first.

Only test code imports this module (it imports pytest); the CLI never does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from . import Sandbox


@pytest.fixture(scope="session")
def sandbox_specs(pytestconfig: pytest.Config) -> Path:
    return pytestconfig.rootpath / "specs"


@pytest.fixture(scope="session")
def sandbox_server(sandbox_specs: Path) -> Iterator[Sandbox]:
    with Sandbox(sandbox_specs) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    sandbox_server.clear()
    return sandbox_server
