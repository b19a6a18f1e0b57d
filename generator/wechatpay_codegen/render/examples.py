"""README examples: a client call built from the spec's examples, laid out as black would."""

from __future__ import annotations

from collections.abc import Mapping

from .. import ir
from .._cache import Cache
from .escaping import LINE_LENGTH, Code, display_width, py_literal
from .formatting import format_python

_FILE_EXAMPLE = Code('b"..."')


def _example_literal(value: object) -> str:
    return value if isinstance(value, Code) else py_literal(value)


def _element(prefix: str, value: object, indent: int, suffix: str) -> list[str]:
    """``prefix`` + the literal of ``value`` + ``suffix`` at ``indent``: on one line when it fits,
    else a non-empty dict or list exploded one item per line with a trailing comma (black keeps
    that form as it is, so no formatter has to run)."""
    pad = " " * indent
    line = f"{pad}{prefix}{_example_literal(value)}{suffix}"
    if display_width(line) <= LINE_LENGTH or not isinstance(value, (Mapping, list)) or not value:
        return [line]
    items: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            items += _element(f"{py_literal(str(key))}: ", item, indent + 4, ",")
        opening, closing = "{", "}"
    else:
        for item in value:
            items += _element("", item, indent + 4, ",")
        opening, closing = "[", "]"
    return [f"{pad}{prefix}{opening}", *items, f"{pad}{closing}{suffix}"]


def example_call(op: ir.Operation, client: str = "client", cache: Cache | None = None) -> str:
    """``client.op(arg=value, ...)`` from the spec's examples (nested objects as plain dicts):
    one line when it fits, else one argument per line, a dict or list exploded only where its
    line does not fit. Still formatted like every module (:mod:`._format`), which then finds
    nothing to do unless a single value is too long for its line."""
    args: list[tuple[str, object]] = []
    body = op.request_example if isinstance(op.request_example, Mapping) else {}
    for p in op.parameters:
        if p.location == "file":
            args.append((p.name, _FILE_EXAMPLE))
            continue
        if p.location in ("path", "query"):
            if p.example is None and not p.required:
                continue
            value = p.example if p.example is not None else "..."
        elif p.wire_name in body:
            value = body[p.wire_name]
        else:
            continue
        args.append((p.name, value))
    target = "result = " if op.response_model or op.response_bytes else ""
    one = ", ".join(f"{name}={_example_literal(value)}" for name, value in args)
    code = f"{target}{client}.{op.name}({one})"
    if display_width(code) > LINE_LENGTH:
        lines = [f"{target}{client}.{op.name}("]
        for name, value in args:
            lines += _element(f"{name}=", value, 4, ",")
        code = "\n".join([*lines, ")"])
    return format_python({"README example": code + "\n"}, cache)["README example"]
