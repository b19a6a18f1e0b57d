"""Python expressions from IR types: annotations, wire conversions, parsers and request checks.

Templates only place these expressions; every one is built here from an :class:`~..ir.TypeRef`
(or a parameter, model or operation of the IR).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .. import ir
from .escaping import Code, py_literal

_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


def annotation(t: ir.TypeRef) -> Code:
    """The type of a model attribute."""
    if t.kind in _SCALARS:
        return Code(_SCALARS[t.kind])
    if t.kind == "datetime":
        return Code("datetime | str")
    if t.kind == "enum":
        return Code(f"{t.name} | str")
    if t.kind == "model":
        return Code(str(t.name))
    if t.kind == "array":
        assert t.items is not None
        return Code(f"list[{annotation(t.items)}]")
    if t.kind == "object":
        return Code("dict[str, Any]")
    return Code("Any")


def argument_annotation(t: ir.TypeRef) -> Code:
    """The type of a method argument: nested objects may also be plain dicts of wire names."""
    if t.kind == "file":
        return Code("_upload.FileInput")
    if t.kind == "model":
        return Code(f"{t.name} | Mapping[str, Any]")
    if t.kind == "array":
        assert t.items is not None
        return Code(f"Sequence[{argument_annotation(t.items)}]")
    if t.kind == "object":
        return Code("Mapping[str, Any]")
    return annotation(t)


def to_wire(t: ir.TypeRef, expr: str, depth: int = 0) -> Code:
    """An expression turning model attribute ``expr`` into its wire value."""
    if t.kind == "datetime":
        return Code(f"_serde.format_datetime({expr})")
    if t.kind == "enum":
        return Code(f"_serde.enum_value({expr})")
    if t.kind == "model":
        return Code(f"{expr}.to_dict()")
    if t.kind == "array":
        assert t.items is not None
        var = "item" if depth == 0 else f"item{depth + 1}"
        inner = to_wire(t.items, var, depth + 1)
        return Code(f"list({expr})" if inner == var else f"[{inner} for {var} in {expr}]")
    if t.kind == "object":
        return Code(f"dict({expr})")
    return Code(expr)


def parser(t: ir.TypeRef) -> Code:
    """A ``(value, path) -> attribute`` parser for ``_serde.required/optional``."""
    simple = {
        "string": "parse_str",
        "integer": "parse_int",
        "number": "parse_float",
        "boolean": "parse_bool",
        "datetime": "parse_datetime",
        "object": "parse_object",
        "any": "parse_any",
    }
    if t.kind in simple:
        return Code(f"_serde.{simple[t.kind]}")
    if t.kind == "enum":
        return Code(f"_serde.enum_parser({t.name})")
    if t.kind == "model":
        return Code(f"{t.name}.from_dict")
    assert t.kind == "array" and t.items is not None
    return Code(f"_serde.list_parser({parser(t.items)})")


def _kwargs(pairs: Iterable[tuple[str, object]]) -> str:
    return ", ".join(f"{k}={py_literal(v)}" for k, v in pairs if v not in (None, False))


def checker(t: ir.TypeRef, validators: Mapping[str, str]) -> Code:
    """A ``(value, path) -> None`` request check for ``_v.required/optional``."""
    c = t.constraints
    if t.kind == "string":
        args = _kwargs(
            [("min_length", c.min_length), ("max_length", c.max_length), ("pattern", c.pattern)]
        )
        return Code(f"_v.string({args})")
    if t.kind in ("integer", "number"):
        args = _kwargs(
            [
                ("minimum", c.minimum),
                ("maximum", c.maximum),
                ("exclusive_minimum", c.exclusive_minimum),
                ("exclusive_maximum", c.exclusive_maximum),
            ]
        )
        return Code(f"_v.{t.kind}({args})")
    if t.kind == "datetime":
        return Code("_v.date_time")
    if t.kind == "boolean":
        return Code("_v.boolean")
    if t.kind == "enum":
        return Code(f"_v.enum({t.name})")
    if t.kind == "model":
        return Code(validators[str(t.name)])
    if t.kind == "array":
        assert t.items is not None
        args = _kwargs(
            [
                ("min_items", c.min_items),
                ("max_items", c.max_items),
                ("unique_items", c.unique_items),
            ]
        )
        item = checker(t.items, validators)
        return Code(f"_v.array({item}, {args})" if args else f"_v.array({item})")
    if t.kind == "object":
        return Code("_v.free_object")
    return Code("_v.any_value")


def path_value(p: ir.Parameter) -> Code:
    """A path parameter's value as the ``str`` the runtime takes."""
    return Code(p.name if p.type.kind == "string" else f"str({p.name})")


def field_set(model: ir.Model) -> Code:
    names = ", ".join(py_literal(f.wire_name) for f in model.fields)
    return Code(f"frozenset({{{names}}})" if names else "frozenset()")


def field_tuple(model: ir.Model) -> Code:
    return py_literal(tuple(f.wire_name for f in model.fields))


def prepare_returns(op: ir.Operation) -> Code:
    """The return annotation of ``prepare_<op>``: (path params, body[, query])."""
    if op.upload is not None:
        body = "_upload.Upload"
    elif op.body_model is not None:
        body = "dict[str, Any]"
    else:
        body = "None"
    query = ", list[tuple[str, object]]" if op.query_params else ""
    return Code(f"tuple[dict[str, str], {body}{query}]")
