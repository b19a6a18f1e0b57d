"""The shape corpus (``tests/fixtures/shapes``) as a user gets it: generated into a project, then
pip-installed from that project into a folder of its own (``--target``).

``--no-build-isolation --no-index``: the build backend (hatchling, in the dev extra) comes from the
test venv, so installing needs no network and takes about a second.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wechatpay_codegen.generate import generate_files
from wechatpay_codegen.writer import write_tree

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "shapes"
PACKAGE = "shapes_client"
PIP_INSTALL = (
    sys.executable,
    "-m",
    "pip",
    "install",
    "--quiet",
    "--no-deps",
    "--no-build-isolation",
    "--no-index",
)


def install_corpus(project: Path, site: Path) -> None:
    """Generate the corpus's package into ``project`` and pip-install it into ``site``."""
    write_tree(generate_files(FIXTURE, PACKAGE), project)
    installed = subprocess.run(
        [*PIP_INSTALL, "--target", str(site), str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (site / PACKAGE / "py.typed").is_file()
