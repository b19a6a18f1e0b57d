"""A routine spec edit breaks no test but the stored outputs (issue 11, item 4).

The edit a doc update brings: one field's ``maxLength`` tightened (in the spec and on its saved
page) and one operation file added (a copy of a page under a new path). On a copy of ``specs/``
so edited, the copy validates, doc-check agrees with it, and the tests that read the project's
specs (doc-check's and the doc examples' end-to-end calls, against a package generated from the
copy) pass: they take what they expect from the specs, not from their own memory of them. The
refresh of the stored outputs is ``make golden``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from wechatpay_codegen.loader import load_specs

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
# The field tightened: update_stock_bundle's body.remark (``remark 选填 string(N)`` on its page).
SPEC_FILE, PAGE_FILE = "update_stock_bundle.yaml", "update-stock-bundle.txt"
POINTER = ("components", "schemas", "UpdateStockBundleRequest", "properties", "remark", "maxLength")
# The operation copied under a new path.
COPIED, NEW_ID = "modify_budget.yaml", "modify_budget_again"
SUBSET = ["tests/unit/test_doc_check.py", "tests/e2e/test_doc_examples.py"]


def _tighten(folder: Path) -> int:
    """Lower the field's maxLength by 5 in the spec and on the page; the new length."""
    doc = next(d for d in load_specs([folder]).documents.values() if d.path.name == SPEC_FILE)
    old: object = doc.data
    for key in POINTER:
        assert isinstance(old, dict)
        old = old[key]
    assert isinstance(old, int) and old > 10
    new = old - 5
    location = doc.location(POINTER)
    lines = doc.path.read_text(encoding="utf-8").split("\n")
    line = lines[location.line - 1]
    assert line.strip() == f"maxLength: {old}", line
    lines[location.line - 1] = line.replace(str(old), str(new))
    doc.path.write_text("\n".join(lines), encoding="utf-8")
    page = folder / "pages" / PAGE_FILE
    text = page.read_text(encoding="utf-8")
    written = f"remark 选填 string({old})\n"
    assert text.count(written) == 1
    page.write_text(text.replace(written, f"remark 选填 string({new})\n"), encoding="utf-8")
    return new


def _add_operation(folder: Path) -> None:
    """A copy of an operation file under a new path, operationId and title."""
    text = (folder / COPIED).read_text(encoding="utf-8")
    [operation_id] = re.findall(r"(?m)^      operationId: (\w+)$", text)
    [path] = re.findall(r"(?m)^  (/\S+):$", text)
    [summary] = re.findall(r"(?m)^      summary: (.+)$", text)
    text = text.replace(f"  {path}:", f"  {path}-again:", 1)
    text = text.replace(f"operationId: {operation_id}", f"operationId: {NEW_ID}", 1)
    text = text.replace(f"summary: {summary}", f"summary: {summary}（另一个）", 1)
    (folder / f"{NEW_ID}.yaml").write_text(text, encoding="utf-8")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_spec_reading_tests_pass_on_an_edited_copy_of_the_specs(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    _tighten(specs)
    _add_operation(specs)
    cli = [sys.executable, "-m", "wechatpay_codegen.cli"]
    validated = _run(*cli, "validate", str(specs))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    checked = _run(*cli, "doc-check", "--docs", str(specs / "pages"), "--specs", str(specs))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    out = tmp_path / "generated"
    generated = _run(*cli, "generate", "--specs", str(specs), "--out", str(out))
    assert generated.returncode == 0, generated.stdout + generated.stderr
    env = {
        **os.environ,
        "WECHATPAY_TEST_SPECS": str(specs),
        # The package generated from the copy comes before the installed one.
        "PYTHONPATH": os.pathsep.join([str(out), os.environ.get("PYTHONPATH", "")]),
    }
    probe = "import wechatpay_marketing, sys; print(wechatpay_marketing.__file__)"
    where = _run(sys.executable, "-c", probe, env=env)
    assert where.stdout.startswith(str(out)), where.stdout + where.stderr
    tests = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUBSET, env=env)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and " skipped" not in tests.stdout, tests.stdout[-400:]
    assert (
        f"{NEW_ID}]"
        in _run(sys.executable, "-m", "pytest", "-q", "--collect-only", SUBSET[1], env=env).stdout
    )  # the added operation is among the calls made
