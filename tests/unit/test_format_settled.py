"""The formatter's fast path: units already in black's style are taken as they are, and long
simple statements are formatted on their own; the result is still exactly black's."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import black
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wechatpay_codegen import _format, _settle
from wechatpay_codegen.build_ir import build_ir
from wechatpay_codegen.generate import DISTRIBUTION_VERSION
from wechatpay_codegen.loader import load_specs
from wechatpay_codegen.render import STYLE, PackageInfo, docstring, py_literal, python_sources

ROOT = Path(__file__).resolve().parents[2]


def _synth() -> ModuleType:
    """The benchmark's synthetic-copies writer (tests/benchmarks/synth.py; not a package here)."""
    spec = importlib.util.spec_from_file_location(
        "_bench_synth", ROOT / "tests/benchmarks/synth.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODE = STYLE.mode()


class Counting:
    """The unit formatter, counting the lines black is asked to format."""

    def __init__(self) -> None:
        self.lines = 0

    def __call__(self, units: Sequence[str], style: _format.Style) -> list[tuple[bool, str]]:
        self.lines += sum(unit.count("\n") for unit in units)
        return _format._format_all(units, style)


def _sources(folder: Path, package: str) -> dict[str, str]:
    api = build_ir(load_specs([folder]))
    return python_sources(api, PackageInfo(package, package, DISTRIBUTION_VERSION))


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("copies") / "specs"
    _synth().write_copies(ROOT / "specs", folder, 3)
    return folder


@pytest.mark.parametrize("which", ["specs", "golden", "copies"])
def test_the_fast_path_equals_whole_module_black(which: str, copies: Path) -> None:
    folder = {
        "specs": ROOT / "specs",
        "golden": ROOT / "tests" / "golden" / "specs",
        "copies": copies,
    }[which]
    sources = _sources(folder, "pkg")
    counting = Counting()
    fast = _format.format_modules(sources, STYLE, None, formatter=counting, trust_settled=True)
    for name, text in sources.items():
        assert fast[name] == black.format_str(text, mode=MODE), name
    total = sum(text.count("\n") for text in sources.values())
    assert counting.lines < total / 4, (counting.lines, total)  # black really was skipped


def _unit(body: str) -> str:
    return f"def f():\n{body}\n"


@pytest.mark.parametrize(
    "unit",
    [
        "x = 1\n\ty = 2\n",  # a tab
        "x = 1 \n",  # trailing whitespace
        "\nx = 1\n",  # a blank line first
        "x = 1\n\n\n\ny = 2\n",  # three blank lines in a row
        "x = [  # fmt: skip\n    1,\n]\n",  # a directive
        "x = 1 + \\\n    2\n",  # a backslash continuation
        f"x = {'1 + ' * 30}1\n",  # too long
        f"x = '{'中' * 48}'\n",  # too wide (two columns a character), though short
    ],
)
def test_what_is_not_taken_as_it_is(unit: str) -> None:
    assert _settle.settled(unit, STYLE) is None


def test_a_plain_unit_is_taken_with_one_final_newline() -> None:
    assert (
        _settle.settled("x = 1\n\n\ny = [\n    1,\n]\n\n", STYLE) == "x = 1\n\n\ny = [\n    1,\n]\n"
    )


def test_long_simple_statements_are_formatted_alone() -> None:
    long_call = "result = compute(" + ", ".join(f"argument_{i}" for i in range(12)) + ")"
    unit = f"class _:\n    async def f(self):\n        {long_call}\n        return result\n"
    plan = _settle.long_statements(unit, STYLE)
    assert plan is not None and list(plan.pieces) == [2]
    out = _format.format_modules({"m.py": unit}, STYLE, None, trust_settled=True)["m.py"]
    assert out == black.format_str(unit, mode=MODE)


_WORDS = " ".join(["word"] * 30)
_CALL = "_serde.optional(obj, " + ", ".join(f'"wire_name_{i}"' for i in range(8)) + ")"


@pytest.mark.parametrize(
    "unit",
    [
        "class _:\n    def f(self):\n        model = cls(\n"
        f"            a=1,\n            b={_CALL},\n        )\n",
        f'x = {{\n    "key": {_CALL},\n    "other": [\n        {_CALL},\n    ],\n}}\n',
        f"x = frozenset(\n    {{\n        {_CALL},\n    }}\n)\n",
        "x = [\n    " + ", ".join(f"item_{i}" for i in range(20)) + ",\n]\n",
        f'def f():\n    """Doc.\n\n    {_WORDS}\n    """\n',
    ],
)
def test_long_elements_and_docstring_lines_are_handled_alone(unit: str) -> None:
    assert _settle.long_statements(unit, STYLE) is not None
    out = _format.format_modules({"m.py": unit}, STYLE, None, trust_settled=True)["m.py"]
    assert out == black.format_str(unit, mode=MODE)


@pytest.mark.parametrize(
    "unit",
    [
        # an element that does not end its line with its own comma
        "x = [\n    " + ", ".join(f"item_{i}" for i in range(20)) + "\n]\n",
        # a comment shares the line
        "x = " + " + ".join(f"v{i}" for i in range(30)) + "  # note\n",
        # two statements on the line
        "x = 1; y = " + " + ".join(f"v{i}" for i in range(30)) + "\n",
        # a compound statement's header
        "if " + " and ".join(f"v{i}" for i in range(20)) + ":\n    pass\n",
    ],
)
def test_other_long_lines_go_to_black_with_their_unit(unit: str) -> None:
    assert _settle.long_statements(unit, STYLE) is None
    out = _format.format_modules({"m.py": unit}, STYLE, None, trust_settled=True)["m.py"]
    assert out == black.format_str(unit, mode=MODE)


_TEXT = st.text(
    st.one_of(
        st.sampled_from(list("\"'\\ \n\tx中")),  # quotes, escapes, breaks, wide text
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=300,
)


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=_TEXT, indent=st.sampled_from([0, 4, 8]))
def test_string_literals_and_docstrings_are_black_stable(text: str, indent: int) -> None:
    pad = " " * indent
    head = "".join(f"{' ' * level}class C{level}:\n" for level in range(0, indent, 4))
    # (a blank line after a docstring: black puts one there, and so do the templates)
    source = f"{head}{pad}{docstring(text, indent)}\n\n{pad}x = {py_literal(text)}\n"
    formatted = _format.format_modules({"m.py": source}, STYLE, None, trust_settled=True)["m.py"]
    assert formatted == black.format_str(source, mode=MODE)
