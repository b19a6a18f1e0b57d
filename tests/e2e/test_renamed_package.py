"""The ``[tool.wechatpay-codegen]`` table end to end: generate a client of another name from the
real specs, pip-install it, import it and call the sandbox with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
BIN = Path(sys.executable).parent
DISTRIBUTION, PACKAGE, VERSION = "acme-wechatpay", "acme_pay", "1.2.3"

CONFIG = f"""\
[project]
name = "someone-elses-project"

[tool.wechatpay-codegen]
specs = {str(SPECS)!r}
output = "client"
distribution = "{DISTRIBUTION}"
package = "{PACKAGE}"
version = "{VERSION}"
"""

SCRIPT = f"""
import importlib.metadata as metadata
import importlib.resources as resources
import sys
from pathlib import Path

import {PACKAGE}
from {PACKAGE} import models, enums

assert "wechatpay_marketing" not in sys.modules
from wechatpay_codegen.demo import demo_calls
from wechatpay_codegen.loader import load_specs
from wechatpay_codegen.sandbox import Sandbox

site = Path(sys.argv[1])
assert Path({PACKAGE}.__file__).resolve().is_relative_to(site.resolve()), {PACKAGE}.__file__
assert {PACKAGE}.__version__ == "{VERSION}"
assert metadata.version("{DISTRIBUTION}") == "{VERSION}"
description = metadata.metadata("{DISTRIBUTION}")["Description"]
assert "from {PACKAGE} import WeChatPayClient" in description, description[:400]
assert resources.files("{PACKAGE}").joinpath("py.typed").is_file()
assert {PACKAGE}.WeChatPayClient._package_name == "{DISTRIBUTION}"
assert {PACKAGE}._runtime.log.LOGGER_NAME == "{PACKAGE}"

specs = load_specs([Path(sys.argv[2])])
with Sandbox(specs, keys_dir=Path(sys.argv[3])) as sandbox:
    for call in demo_calls(specs):
        config = sandbox.brand_config() if call.brand else sandbox.merchant_config()
        with {PACKAGE}.WeChatPayClient(**config) as client:
            getattr(client, call.operation_id)(**call.kwargs)
print("ok")
"""


@pytest.mark.slow
def test_a_configured_name_generates_installs_and_works(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    generated = subprocess.run(
        [str(BIN / "wechatpay-codegen"), "generate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stderr
    out = tmp_path / "client"
    assert (out / PACKAGE / "py.typed").is_file()
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "wechatpay_marketing" not in text and "wechatpay-marketing" not in text, path

    site = tmp_path / "site"
    pip = [str(BIN / "python"), "-m", "pip", "install", "-q", "--no-deps"]
    installed = subprocess.run(
        [*pip, "--target", str(site), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [str(BIN / "python"), "-c", SCRIPT, str(site), str(SPECS), str(tmp_path / "keys")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), (
        result.stdout + result.stderr
    )
