"""Every refusal of the generator says what to do, as every ``validate`` problem does (issue 11).

A refusal is what ``build_ir`` (``BuilderBase.refuse``) and the page-shape readers (``shapes.py``)
report about a construct the generator does not implement: ``what; fix``, made by
``Node.refusal``. Checked two ways: on the refusals the bad-spec cases actually produce, and on
the source, so a new refusal without a fix cannot be added.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from wechatpay_codegen.checks.generator import build_ir_problems
from wechatpay_codegen.loader import SpecLoadError, load_specs

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "generator" / "wechatpay_codegen"
CASES = ROOT / "tests" / "fixtures" / "bad-specs"


def _refusals() -> list[str]:
    found: list[str] = []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        try:
            specs = load_specs([case])
        except SpecLoadError:
            continue
        built = build_ir_problems(specs, tolerant=True)
        found += [str(p) for p in getattr(built, "refusals", ())]
    return found


def test_the_refusals_the_cases_produce_say_what_to_do() -> None:
    refusals = _refusals()
    assert len(refusals) >= 10  # the cases exercise many of them
    for text in refusals:
        message = text.split(": ", 1)[1]  # after "file:line:col"
        what, sep, fix = message.rpartition("; ")
        assert sep and what and len(fix.split()) >= 2, text


def _calls(path: Path, attribute: str) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == attribute
    ]


BUILDERS = sorted((PACKAGE / "build_ir").glob("*.py"))


@pytest.mark.parametrize("path", BUILDERS, ids=lambda p: p.name)
def test_every_refuse_call_gives_a_fix(path: Path) -> None:
    for call in _calls(path, "refuse"):
        assert len(call.args) == 3 and not call.keywords, f"{path.name}:{call.lineno}"
        fix = call.args[2]
        assert not (isinstance(fix, ast.Constant) and not fix.value), f"{path.name}:{call.lineno}"


def test_the_page_shape_readers_only_report_refusals() -> None:
    shapes = PACKAGE / "shapes.py"
    assert _calls(shapes, "problem") == []
    for call in _calls(shapes, "refusal"):
        assert len(call.args) == 2, f"shapes.py:{call.lineno}"
    assert len(_calls(shapes, "refusal")) >= 10
