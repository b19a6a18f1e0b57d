"""The one escaping path: spec text can never break out of a literal or docstring, or run Jinja."""

from __future__ import annotations

import ast
import unicodedata

import black
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpay_codegen.render import (
    BLACK_MODE,
    Block,
    Code,
    RenderError,
    _environment,
    code_block,
    docstring,
    md_code,
    md_text,
    py_literal,
    templates_dir,
)

HOSTILE = [
    '"""',
    "'''",
    'ends with a quote"',
    "ends with a backslash \\",
    "\\N{BULLET} \\x00 \\u202e",
    "NUL \x00 here",
    "bidi \u202e\u2066 marks \u200f",
    "line\nbreaks\r\nand\rcarriage\u2028returns\x85",
    "\t tabs and \u3000 ideographic and \xa0 no-break spaces",
    '""" + __import__("os").system("echo pwned") + """',
    "{{ 7*7 }} {% for x in y %}{% endfor %} {# comment #}",
    "中文描述" * 40,
    "\U0001f600 emoji and \ud7ff",
    "",
    "   ",
]

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


def _docstring_value(source: str) -> str:
    """Compile ``source`` and return its only statement's string constant (a docstring)."""
    module = ast.parse(source)
    function = module.body[0]
    assert isinstance(function, ast.FunctionDef)
    assert len(function.body) == 2  # the docstring and `pass`: nothing else got in
    expr = function.body[0]
    assert isinstance(expr, ast.Expr) and isinstance(expr.value, ast.Constant)
    assert isinstance(expr.value.value, str)
    return expr.value.value


def _squash(value: str) -> str:
    """Text without any whitespace (wrapping moves line breaks; it never drops characters)."""
    return "".join(
        c for c in value if not (c.isspace() or unicodedata.category(c) == "Zs" or c in "\t")
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_py_literal_round_trips_hostile_text(value: str) -> None:
    literal = py_literal(value)
    assert ast.literal_eval(literal) == value
    assert all(c.isprintable() for c in literal)
    assert "\n" not in literal


@given(text)
@settings(max_examples=300, deadline=None)
def test_py_literal_round_trips_any_text(value: str) -> None:
    assert ast.literal_eval(py_literal(value)) == value


def test_py_literal_of_json_values() -> None:
    value = {"a": [1, 2.5, True, None, 'x"y'], "b\n": {"c": -3}}
    assert ast.literal_eval(py_literal(value)) == value
    assert ast.literal_eval(py_literal(("one",))) == ("one",)
    with pytest.raises(RenderError):
        py_literal(object())


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("indent", [0, 4, 8])
def test_docstring_contains_exactly_the_text(value: str, indent: int) -> None:
    source = f"def f():\n    {docstring(value, indent)}\n    pass\n"
    got = _docstring_value(source)
    expected = _squash(value) or "Undocumented."
    assert _squash(got) == expected


@given(text, st.sampled_from([4, 8]))
@settings(max_examples=300, deadline=None)
def test_docstring_is_safe_for_any_text(value: str, indent: int) -> None:
    rendered = docstring([Block(value, "    arg: ", "        ")], indent)
    assert all(c.isprintable() or c == "\n" for c in rendered)
    source = f"def f():\n    {rendered}\n    pass\n"
    got = _docstring_value(source)
    if _squash(value):
        assert _squash(got) == _squash("arg:" + value)
    else:  # only whitespace: either dropped, or kept as visible escapes of control characters
        assert _squash(got) in ("Undocumented.", "arg:")
    # black accepts it and does not change what the docstring says
    formatted = black.format_str(source, mode=BLACK_MODE)
    assert _squash(_docstring_value(formatted)) == _squash(got)


def test_docstring_wraps_by_display_width() -> None:
    rendered = docstring("这是一个很长的中文句子，" * 20, 8)
    lines = rendered.split("\n")
    assert len(lines) > 3
    for number, line in enumerate(lines):
        width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        # The first line follows the 8-space indent in the source; the others carry it.
        assert (8 if number == 0 else 0) + width <= 100


def test_short_docstring_is_one_line() -> None:
    assert docstring("Short.", 4) == '"""Short."""'


@pytest.mark.parametrize("value", HOSTILE)
def test_markdown_text_cannot_add_structure(value: str) -> None:
    rendered = md_text(value)
    assert "\n" not in rendered and "\r" not in rendered
    assert all(c.isprintable() for c in rendered)
    for special in "|<>[]`*_#":
        assert special not in rendered.replace("\\" + special, "")


def test_markdown_code_span_and_block_cannot_be_closed_early() -> None:
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    block = code_block('x = "```"\n')
    fence = block.split("\n")[0].removesuffix("python")
    assert len(fence) == 4 and block.endswith("\n" + fence)


def test_templates_cannot_print_unescaped_text() -> None:
    env = _environment(templates_dir())
    ok = env.from_string("{{ name }} {{ value | py }} {{ 3 }}")
    assert ok.render(name="plan_id", value="a b") == 'plan_id "a b" 3'
    for bad in ("a b", "x = 1; import os", '"""', "{{ 7*7 }}"):
        with pytest.raises(RenderError, match="without an escaping filter"):
            env.from_string("{{ value }}").render(value=bad)
    # Jinja syntax inside data is data.
    assert env.from_string("{{ value | py }}").render(value="{{ 7*7 }}") == '"{{ 7*7 }}"'
    assert isinstance(py_literal("x"), Code)
