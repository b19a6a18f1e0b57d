"""``_split.split_line`` (black's split of a long line, computed without black) against black
itself, on the shapes it accepts, with names of every length around the line limit."""

from __future__ import annotations

import keyword

import black
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wechatpay_codegen import _settle, _split
from wechatpay_codegen.render import STYLE

MODE = STYLE.mode()
LIMIT = STYLE.line_length


def _black_lines(text: str, depth: int, element: bool) -> list[str]:
    """What black makes of ``text`` at ``depth`` (a statement, or an element of an exploded
    call), as :mod:`._settle` asks it: the wrapper lines taken off, indentation removed."""
    piece = (
        _settle._element_piece(depth, text, "_(")
        if element
        else _settle._statement_piece(depth, text)
    )
    formatted = black.format_str(piece.source, mode=MODE)
    body = _settle._unwrap(piece, formatted)
    assert body is not None
    indent = "    " * depth
    lines = body.split("\n")
    assert all(line.startswith(indent) for line in lines)
    return [line[len(indent) :] for line in lines]


def _check(text: str, depth: int, element: bool) -> None:
    if len(text) + 4 * depth <= LIMIT:
        return
    ours = _split.split_line(text, depth, element, LIMIT)
    assert ours is not None, text
    assert ours == _black_lines(text, depth, element), text


_name = (
    st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=60)
    .map(lambda s: "n" + s)
    .filter(lambda s: not keyword.iskeyword(s))
)
_string = st.text("abcdefghij -/{}_", max_size=90).map(lambda s: f'"{s}"')


@st.composite
def _atom(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["name", "dotted", "string", "number", "kw_string", "kw_num"]))
    if kind == "name":
        return draw(_name)
    if kind == "dotted":
        return f"{draw(_name)}.{draw(_name)}"
    if kind == "string":
        return draw(_string)
    if kind == "number":
        return str(draw(st.integers(0, 10**12)))
    if kind == "kw_string":
        return f"{draw(_name)}={draw(_string)}"
    return f"{draw(_name)}={draw(st.integers(0, 999))}"


@st.composite
def _call(draw: st.DrawFn, depth: int = 0) -> str:
    callee = draw(st.sampled_from(["_v.required", "_serde.optional", "f", "_v.string"]))
    callee = callee if draw(st.booleans()) else f"{callee}_{draw(_name)}"
    count = draw(st.integers(1, 5))
    args = []
    for _ in range(count):
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            inner = draw(_call(depth + 1))
            args.append(inner if draw(st.booleans()) else f"{draw(_name)}={inner}")
        else:
            args.append(draw(_atom()))
    return f"{callee}({', '.join(args)})"


_settings = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(_call(), st.integers(0, 3))
def test_call_statements_split_as_black_splits_them(call: str, depth: int) -> None:
    ours = _split.split_line(call, depth, False, LIMIT)
    if ours is not None:
        assert ours == _black_lines(call, depth, False), call


@_settings
@given(_call(), st.one_of(st.none(), _name), st.integers(1, 4))
def test_call_elements_split_as_black_splits_them(call: str, name: str | None, depth: int) -> None:
    text = f"{call}," if name is None else f"{name}={call},"
    ours = _split.split_line(text, depth, True, LIMIT)
    if ours is not None:
        assert ours == _black_lines(text, depth, True), text


@_settings
@given(st.lists(_name, min_size=2, max_size=30), st.sampled_from([".models", ".enums", "x.y"]))
def test_imports_split_as_black_splits_them(names: list[str], module: str) -> None:
    text = f"from {module} import {', '.join(names)}"
    if len(text) > LIMIT:
        _check(text, 0, False)


@_settings
@given(st.lists(_string, min_size=1, max_size=25), _name, st.integers(1, 2))
def test_field_sets_split_as_black_splits_them(items: list[str], name: str, depth: int) -> None:
    text = f"{name}: ClassVar[frozenset[str]] = frozenset({{{', '.join(items)}}})"
    if len(text) + 4 * depth > LIMIT:
        ours = _split.split_line(text, depth, False, LIMIT)
        if ours is not None:
            assert ours == _black_lines(text, depth, False), text


@_settings
@given(
    _name,
    st.sampled_from(["item.to_dict()", "_serde.enum_value(item)", "_serde.format_datetime(item)"]),
    st.integers(1, 4),
    _name,
)
def test_list_comprehensions_split_as_black_splits_them(
    key: str, expr: str, depth: int, extra: str
) -> None:
    text = f'data["{key}"] = [{expr} for item in self.{key}{extra}]'
    ours = _split.split_line(text, depth, False, LIMIT)
    if ours is not None:
        assert ours == _black_lines(text, depth, False), text


@_settings
@given(st.one_of(_string, _atom()), st.integers(1, 4))
def test_long_atom_elements_stay_as_they_are(atom: str, depth: int) -> None:
    text = f"{atom},"
    _check(text, depth, True)


@pytest.mark.parametrize(
    "text, element",
    [
        (
            '_v.required(obj, "out_request_no", path, _v.string(min_length=6, max_length=40, '
            'pattern="^[0-9A-Za-z_-]{6,40}$"))',
            False,
        ),
        (
            "irregular_available_period_list=_serde.optional("
            'obj, "irregular_available_period_list", path, '
            "_serde.list_parser(TimePeriod.from_dict)),",
            True,
        ),
        (
            'coupon_usage_method_list=_serde.required(obj, "coupon_usage_method_list", path, '
            "_serde.list_parser(_serde.enum_parser(CouponUsageMethod))),",
            True,
        ),
        (
            'path="/v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}/'
            'stock-bundles/{stock_bundle_id}",',
            True,
        ),
    ],
)
def test_the_real_long_lines(text: str, element: bool) -> None:
    for depth in range(1, 4):
        _check(text, depth, element)


_A, _B = "a" * 35, "b" * 70


@pytest.mark.parametrize(
    "text, element",
    [
        (f"x = f({_A}, {_B})", False),  # an assignment
        (f"f({_A}, *{_B})", False),  # unpacking
        (f"f({_A} and {_B})", False),  # a delimiter inside an argument
        (f"f({_A})({_B})", False),  # a call of a call
        (f"f(a[0], {_B}{_A})", False),  # a subscript
        (f'"{_A}" "{_B}",', True),  # implicit concatenation
        (f"return f({_A}, {_B})", False),  # a keyword statement
        (f"f({_A}, {_B},)", False),  # a magic trailing comma
        (f'f("{"中文" * 30}")', False),  # wide characters
    ],
)
def test_other_shapes_are_left_to_black(text: str, element: bool) -> None:
    assert _split.split_line(text, 1, element, LIMIT) is None


_LONG_PATH = "/v3/" + "segment/" * 14
_MODULE = f'''"""Module."""

from __future__ import annotations


class A:
    """Doc.

    {_LONG_PATH}
    """

    x: int = 1

    def f(self) -> None:
        g(
            path="{_LONG_PATH}",
        )


def h() -> None:
    pass
'''


def test_a_settled_module_is_taken_whole_and_is_blacks() -> None:
    assert len(_LONG_PATH) > LIMIT
    assert _settle.settled_module(_MODULE, STYLE) == _MODULE
    assert black.format_str(_MODULE, mode=MODE) == _MODULE


@pytest.mark.parametrize(
    "old, new",
    [
        ("\n\n\ndef h()", "\n\n\n\ndef h()"),  # three blank lines before a top-level def
        ("\n\n\ndef h()", "\n\ndef h()"),  # one
        ("\n\n    def f(self)", "\n\n\n    def f(self)"),  # two before a method
        ('"""Module."""\n\nfrom __future__ import annotations\n', '"""Module."""\n'),  # docstring
        ("        g(\n            path=", "        g(path="),  # a long line of code
        ("    x: int = 1", "\tx: int = 1"),  # a tab
    ],
)
def test_what_black_would_change_is_cut_as_before(old: str, new: str) -> None:
    module = _MODULE.replace(old, new, 1)
    assert module != _MODULE
    assert _settle.settled_module(module, STYLE) is None


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_the_split_filter_keeps_indentation_and_newline(depth: int) -> None:
    indent = "    " * depth
    text = f'_v.required(obj, "{"n" * 40}", path, {"v" * 60})'
    block = f"{indent}{text}\n"
    out = _split.split_block(block, LIMIT)
    assert out.endswith("\n") and out != block
    expected = "\n".join(indent + line for line in _black_lines(text, depth, False)) + "\n"
    assert out == expected
    short = f"{indent}f(x)\n"
    assert _split.split_block(short, LIMIT) == short
