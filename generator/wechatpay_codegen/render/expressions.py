"""Python expressions from IR types: annotations, wire conversions, parsers and request checks.

Templates only place these expressions; every one is built here from an :class:`~..ir.TypeRef`
(or a parameter, model or operation of the IR). Each type kind is one :class:`Kind` object in
:data:`KINDS`, which knows everything the generated code writes for a value of that kind, and the
names those annotations need imported. Adding a kind: CONTRIBUTING, "Recipes".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .. import ir
from .escaping import Code, py_literal


def _kwargs(pairs: Iterable[tuple[str, object]]) -> str:
    return ", ".join(f"{k}={py_literal(v)}" for k, v in pairs if v not in (None, False))


@dataclass(frozen=True)
class Kind:
    """How values of one type kind appear in the generated code. The defaults describe a value
    of any shape (``Any``): kept as it is, checked by nothing."""

    #: the attribute annotation of a model
    python: str = "Any"
    #: the argument annotation of a method, when a caller may pass more than the attribute holds
    argument: str | None = None
    #: the ``_serde`` parser (``(value, path) -> attribute``)
    parse: str = "_serde.parse_any"
    #: the suffix of ``_serde.required_<x>``/``optional_<x>``, readers that take a value of
    #: exactly this JSON type as it is (one type check, no parser call): scalars only
    reader: str | None = None
    #: the ``_v`` check (``(value, path) -> None``)
    check: str = "_v.any_value"
    #: the :class:`~..ir.Constraints` the check takes, as (keyword, attribute) pairs; ``None``:
    #: the check is a plain function, not a factory
    check_keywords: tuple[str, ...] | None = None
    #: names the attribute annotation needs imported (besides classes of the API)
    names: frozenset[str] = frozenset()
    #: names the argument annotation needs imported
    argument_names: frozenset[str] = frozenset()

    def annotation(self, t: ir.TypeRef) -> str:
        """The type of a model attribute."""
        return self.python

    def argument_annotation(self, t: ir.TypeRef) -> str:
        """The type of a method argument (what a caller may pass)."""
        return self.argument if self.argument is not None else self.annotation(t)

    def to_wire(self, t: ir.TypeRef, expr: str, depth: int) -> str:
        """An expression turning model attribute ``expr`` into its wire value."""
        return expr

    def parser(self, t: ir.TypeRef) -> str:
        return self.parse

    def checker(self, t: ir.TypeRef, validators: Mapping[str, str]) -> str:
        if self.check_keywords is None:
            return self.check
        c = t.constraints
        return f"{self.check}({_kwargs((k, getattr(c, k)) for k in self.check_keywords)})"

    def imports(self, t: ir.TypeRef, *, argument: bool) -> frozenset[str]:
        """Names :meth:`annotation` (or :meth:`argument_annotation`) of ``t`` uses."""
        return self.argument_names if argument else self.names


_NUMBER_KEYWORDS = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")


@dataclass(frozen=True)
class _Converted(Kind):
    """A value the model holds in a Python form of its own: ``wire`` converts it back."""

    wire: str = ""

    def to_wire(self, t: ir.TypeRef, expr: str, depth: int) -> str:
        return f"{self.wire}({expr})"


@dataclass(frozen=True)
class _Enum(Kind):
    def annotation(self, t: ir.TypeRef) -> str:
        return f"{t.name} | str"  # an unknown value from the server is kept as text

    def to_wire(self, t: ir.TypeRef, expr: str, depth: int) -> str:
        return f"_serde.enum_value({expr})"

    def parser(self, t: ir.TypeRef) -> str:
        return f"_serde.enum_parser({t.name})"

    def checker(self, t: ir.TypeRef, validators: Mapping[str, str]) -> str:
        return f"_v.enum({t.name})"


@dataclass(frozen=True)
class _Model(Kind):
    def annotation(self, t: ir.TypeRef) -> str:
        return str(t.name)

    def argument_annotation(self, t: ir.TypeRef) -> str:
        return f"{t.name} | Mapping[str, Any]"  # or a plain dict of wire names

    def to_wire(self, t: ir.TypeRef, expr: str, depth: int) -> str:
        return f"{expr}.to_dict()"

    def parser(self, t: ir.TypeRef) -> str:
        return f"{t.name}.from_dict"

    def checker(self, t: ir.TypeRef, validators: Mapping[str, str]) -> str:
        return validators[str(t.name)]


@dataclass(frozen=True)
class _Array(Kind):
    def _items(self, t: ir.TypeRef) -> tuple[Kind, ir.TypeRef]:
        assert t.items is not None
        return KINDS[t.items.kind], t.items

    def annotation(self, t: ir.TypeRef) -> str:
        kind, items = self._items(t)
        return f"list[{kind.annotation(items)}]"

    def argument_annotation(self, t: ir.TypeRef) -> str:
        kind, items = self._items(t)
        return f"Sequence[{kind.argument_annotation(items)}]"

    def to_wire(self, t: ir.TypeRef, expr: str, depth: int) -> str:
        kind, items = self._items(t)
        var = "item" if depth == 0 else f"item{depth + 1}"
        inner = kind.to_wire(items, var, depth + 1)
        return f"list({expr})" if inner == var else f"[{inner} for {var} in {expr}]"

    def parser(self, t: ir.TypeRef) -> str:
        kind, items = self._items(t)
        return f"_serde.list_parser({kind.parser(items)})"

    def checker(self, t: ir.TypeRef, validators: Mapping[str, str]) -> str:
        kind, items = self._items(t)
        c = t.constraints
        args = _kwargs(
            [
                ("min_items", c.min_items),
                ("max_items", c.max_items),
                ("unique_items", c.unique_items),
            ]
        )
        item = kind.checker(items, validators)
        return f"_v.array({item}, {args})" if args else f"_v.array({item})"

    def imports(self, t: ir.TypeRef, *, argument: bool) -> frozenset[str]:
        kind, items = self._items(t)
        return super().imports(t, argument=argument) | kind.imports(items, argument=argument)


@dataclass(frozen=True)
class _File(Kind):
    """An upload's file argument: bytes, a path or a binary file object (never in a model)."""

    def parser(self, t: ir.TypeRef) -> str:
        raise AssertionError("a file is never parsed from JSON")


#: Every :data:`~..ir.TypeKind` and how it is written.
KINDS: dict[ir.TypeKind, Kind] = {
    "string": Kind(
        python="str",
        parse="_serde.parse_str",
        reader="str",
        check="_v.string",
        check_keywords=("min_length", "max_length", "pattern"),
    ),
    "integer": Kind(
        python="int",
        parse="_serde.parse_int",
        reader="int",
        check="_v.integer",
        check_keywords=_NUMBER_KEYWORDS,
    ),
    "number": Kind(
        python="float",
        parse="_serde.parse_float",
        check="_v.number",
        check_keywords=_NUMBER_KEYWORDS,
    ),
    "boolean": Kind(python="bool", parse="_serde.parse_bool", reader="bool", check="_v.boolean"),
    "datetime": _Converted(
        python="datetime | str",  # a text the server sent that is no date-time is kept as text
        parse="_serde.parse_datetime",
        check="_v.date_time",
        wire="_serde.format_datetime",
        names=frozenset({"datetime"}),
        argument_names=frozenset({"datetime"}),
    ),
    "enum": _Enum(),
    "model": _Model(argument_names=frozenset({"Mapping", "Any"})),
    "array": _Array(argument_names=frozenset({"Sequence"})),
    "object": _Converted(
        python="dict[str, Any]",
        argument="Mapping[str, Any]",
        parse="_serde.parse_object",
        check="_v.free_object",
        wire="dict",
        names=frozenset({"Any"}),
        argument_names=frozenset({"Mapping", "Any"}),
    ),
    "any": Kind(names=frozenset({"Any"}), argument_names=frozenset({"Any"})),
    "file": _File(argument="_upload.FileInput"),
}


def annotation(t: ir.TypeRef) -> Code:
    """The type of a model attribute."""
    return Code(KINDS[t.kind].annotation(t))


def argument_annotation(t: ir.TypeRef) -> Code:
    """The type of a method argument: nested objects may also be plain dicts of wire names."""
    return Code(KINDS[t.kind].argument_annotation(t))


def to_wire(t: ir.TypeRef, expr: str, depth: int = 0) -> Code:
    """An expression turning model attribute ``expr`` into its wire value."""
    return Code(KINDS[t.kind].to_wire(t, expr, depth))


def parser(t: ir.TypeRef) -> Code:
    """A ``(value, path) -> attribute`` parser for ``_serde.required/optional``."""
    return Code(KINDS[t.kind].parser(t))


def field_reader(f: ir.Field) -> Code:
    """``from_dict``'s expression reading field ``f`` from ``obj`` (JSON path prefix ``path``):
    a typed reader for a scalar, else ``required``/``optional`` with the kind's parser."""
    which = "required" if f.required else "optional"
    key = py_literal(f.wire_name)
    reader = KINDS[f.type.kind].reader
    if reader is not None:
        return Code(f"_serde.{which}_{reader}(obj, {key}, path)")
    return Code(f"_serde.{which}(obj, {key}, path, {parser(f.type)})")


def checker(t: ir.TypeRef, validators: Mapping[str, str]) -> Code:
    """A ``(value, path) -> None`` request check for ``_v.required/optional``."""
    return Code(KINDS[t.kind].checker(t, validators))


def imports(types: Iterable[ir.TypeRef], *, argument: bool = False) -> frozenset[str]:
    """Names the annotations of ``types`` use (``datetime``, ``Any``, ``Mapping``, ...)."""
    return frozenset().union(*(KINDS[t.kind].imports(t, argument=argument) for t in types))


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
