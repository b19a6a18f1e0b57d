"""Settings shared by every test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from wechatpay_codegen._cache import ENV_VAR


@pytest.fixture(autouse=True, scope="session")
def _generator_cache_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the generator's formatting cache in this run's temporary directory.

    Tests generate from many mutated specs; without this they would fill the user's
    ``~/.cache/wechatpay-codegen`` and, worse, a run could pass only thanks to entries an
    earlier run left there. Subprocesses inherit the variable. Tests of the cache set their own.
    """
    before = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = str(tmp_path_factory.mktemp("codegen-cache"))
    yield
    if before is None:
        os.environ.pop(ENV_VAR, None)
    else:
        os.environ[ENV_VAR] = before
