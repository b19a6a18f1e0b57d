"""Whatever ``validate`` accepts, ``generate`` turns into a package that imports and is mypy-clean.

Hypothesis draws valid spec sets (:mod:`.validspecs`: operations with and without parameters and
bodies, 200 and 204 answers, both auth schemes, every schema keyword the generator supports); each
must pass ``validate_specs`` (the strategy only writes valid specs: a refusal is a bug on one side)
and then go through the real pipeline into a temporary folder, whose package must import and pass
``mypy --strict``. ``make test`` runs the short profile; ``FUZZ_PROFILE=long`` runs many more.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from wechatpay_codegen.build_ir import build_ir
from wechatpay_codegen.generate import generate_files
from wechatpay_codegen.loader import load_specs
from wechatpay_codegen.schema_keywords import SUPPORTED
from wechatpay_codegen.validate import validate_specs
from wechatpay_codegen.writer import write_tree

from .hostile import to_yaml
from .profiles import fuzz
from .validspecs import KEYWORDS_DRAWN, spec_sets

_PACKAGES = itertools.count()
MYPY = Path(sys.executable).with_name("mypy")


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every example: the runtime modules are checked once."""
    return tmp_path_factory.mktemp("mypy-cache")


def test_the_strategy_writes_every_supported_keyword() -> None:
    assert SUPPORTED <= KEYWORDS_DRAWN


def _write(files: dict[str, dict[str, Any]], folder: Path) -> Path:
    specs = folder / "specs"
    specs.mkdir()
    for name, document in files.items():
        (specs / name).write_text(to_yaml(document), encoding="utf-8")
    return specs


@fuzz(ci=3, long=60)
@given(files=spec_sets())
def test_valid_specs_generate_an_importable_mypy_clean_package(
    files: dict[str, dict[str, Any]], mypy_cache: Path
) -> None:
    package = f"valid_pkg_{next(_PACKAGES)}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        specs = _write(files, root)
        loaded = load_specs([specs])
        assert [str(p) for p in validate_specs(loaded)] == []
        api = build_ir(loaded)
        assert len(api.operations) == len(files) - 1
        out = root / "out"
        write_tree(generate_files(specs, package), out)
        imported = subprocess.run(
            [sys.executable, "-c", f"import {package}; print(len({package}.__all__))"],
            cwd=out,
            capture_output=True,
            text=True,
            check=False,
        )
        assert imported.returncode == 0, imported.stderr
        checked = subprocess.run(
            [str(MYPY), "--strict", "--cache-dir", str(mypy_cache), "-p", package],
            cwd=out,
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_operation_without_parameters_generates_an_importable_package(tmp_path: Path) -> None:
    """``GET /v3/certificates``-like: no parameters, no body; the methods take only options."""
    from .validspecs import COMMON

    operation = {
        "openapi": "3.1.0",
        "info": {"title": "list", "version": "1.0.0"},
        "paths": {
            "/v3/things": {
                "get": {
                    "operationId": "list_things",
                    "security": [{"merchant": []}],
                    "responses": {"204": {"description": "No Content"}},
                }
            }
        },
        "components": {
            "securitySchemes": {
                "merchant": {"$ref": "common.yaml#/components/securitySchemes/merchant"}
            }
        },
    }
    specs = _write({"common.yaml": COMMON, "list_things.yaml": operation}, tmp_path)
    assert validate_specs(load_specs([specs])) == []
    out = tmp_path / "out"
    write_tree(generate_files(specs, "no_params"), out)
    source = (out / "no_params" / "_operations.py").read_text("utf-8")
    assert "def prepare_list_things() -> tuple[dict[str, str], None]:" in source
    probe = (
        "import inspect, no_params;"
        "print(list(inspect.signature(no_params.WeChatPayClient.list_things).parameters))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=out, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "['self', 'extra_headers', 'max_retries', 'timeout']"
