"""Invalid instances made from valid ones: one rule broken, and the JSON paths that may name it.

:func:`broken` is a Hypothesis strategy: given a bundled schema and a valid instance, it picks one
place and one way to break it (a wrong type, a string too long or too short, a pattern or a
date-time broken, an unknown enum value, a number out of range, an array of the wrong size or with
a repeat, a required field left out, an unknown field where none are allowed, the spec's business
rules ``not: {required}`` and ``dependentRequired`` violated). ``paths`` are the values of
``RequestValidationError.path`` that name what was broken (the generated validators stop at the
first problem, and a single change can break two rules at once).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from .schemas import draft7

__all__ = ["Broken", "broken", "join", "strip_nulls"]

Loc = tuple[str | int, ...]
Draw = Callable[[st.SearchStrategy[Any]], Any]


@dataclass(frozen=True)
class Broken:
    instance: Any
    paths: frozenset[str]
    what: str


def join(path: str, key: str | int) -> str:
    """The runtime's JSON path notation: ``a.b[0].c``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def strip_nulls(value: Any) -> Any:
    """What the client sends for a plain-dict argument: ``None`` in a dict means "not set"."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def _type_matches(value: Any, kind: Any) -> bool:
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
        "null": lambda v: v is None,
    }
    return any(checks[k](value) for k in kinds)


_WRONG_TYPES: tuple[Any, ...] = (12345, "text", True, 1.5, ["x"], {"k": "v"})
_PATTERN_BREAKERS = ("", " ", "!", "中文", "a" * 200, "\x00", "-\n")
_BAD_DATETIMES = (
    "2025-01-01T00:00+08:00",  # no seconds: the docs' examples do this, the server does not
    "2025-02-30T00:00:00+08:00",
    "2025-01-01 00:00:00",
    "tomorrow",
)

# One candidate: (where, how) -> a Broken, given a draw function for values it needs.
Candidate = Callable[[Draw], Broken]


def _replace(root: Any, loc: Loc, value: Any) -> Any:
    out = copy.deepcopy(root)
    target = out
    for key in loc[:-1]:
        target = target[key]
    target[loc[-1]] = value
    return out


def _text(loc: Loc) -> str:
    path = ""
    for key in loc:
        path = join(path, key)
    return path


def _value_candidates(
    root: Any, schema: dict[str, Any], value: Any, loc: Loc
) -> Iterator[Candidate]:
    path = _text(loc)

    def put(new: Any, what: str, paths: tuple[str, ...] = ()) -> Candidate:
        return lambda draw: Broken(_replace(root, loc, new), frozenset(paths or (path,)), what)

    kind = schema.get("type")
    for other in _WRONG_TYPES:
        if not _type_matches(other, kind) and not (kind == "number" and other == 1.5):
            yield put(other, f"{path}: {type(other).__name__} instead of {kind}")
    if kind == "integer":
        yield put(1.5, f"{path}: a fraction for an integer")
    if kind == "string" and isinstance(value, str):
        if "maxLength" in schema:
            # Characters, not bytes: CJK text of maxLength characters is still fine.
            yield put("券" * (schema["maxLength"] + 1), f"{path}: over maxLength")
        if schema.get("minLength", 0) > 0:
            yield put("a" * (schema["minLength"] - 1), f"{path}: under minLength")
        if "pattern" in schema:
            for text in _PATTERN_BREAKERS:
                if re.search(schema["pattern"], text) is None:
                    yield put(text, f"{path}: {text!r} breaks the pattern")
        if schema.get("format") == "date-time":
            for text in _BAD_DATETIMES:
                yield put(text, f"{path}: {text!r} is not an RFC 3339 date-time")
    if "enum" in schema:
        yield put("NOT_A_MEMBER", f"{path}: not an enum value")
    if kind in ("integer", "number"):
        for key, delta in (("minimum", -1), ("maximum", 1)):
            if key in schema:
                yield put(schema[key] + delta, f"{path}: beyond {key}")
        for key in ("exclusiveMinimum", "exclusiveMaximum"):
            if key in schema:
                yield put(schema[key], f"{path}: at {key}")
    if kind == "array" and isinstance(value, list):
        element_paths = tuple(join(path, i) for i in range(len(value) + 2))
        if schema.get("minItems", 0) > 0:
            yield put(value[: schema["minItems"] - 1], f"{path}: under minItems")
        if "maxItems" in schema and value:
            longer = value + [value[0]] * (schema["maxItems"] + 1 - len(value))
            yield put(longer, f"{path}: over maxItems", (path, *element_paths))
        if schema.get("uniqueItems") and value:
            yield put([*value, value[0]], f"{path}: a repeated item", (path, *element_paths))


def _object_candidates(
    root: Any, schema: dict[str, Any], value: dict[str, Any], loc: Loc, top: bool
) -> Iterator[Candidate]:
    path = _text(loc)
    properties: dict[str, Any] = schema.get("properties") or {}
    groups = [
        rule["required"]
        for rule in [schema.get("not") or {}]
        if isinstance(rule.get("required"), list)
    ]
    dependent: dict[str, list[str]] = schema.get("dependentRequired") or {}

    def rule_paths(obj: dict[str, Any]) -> set[str]:
        """Every rule of this object that ``obj`` breaks, as the path the runtime would name."""
        out = {join(path, g[-1]) for g in groups if all(k in obj for k in g)}
        for trigger, needed in dependent.items():
            if trigger in obj:
                out |= {join(path, k) for k in needed if k not in obj}
        out |= {join(path, k) for k in schema.get("required") or [] if k not in obj}
        return out

    def with_object(obj: dict[str, Any]) -> Any:
        return obj if not loc else _replace(root, loc, obj)

    for key in schema.get("required") or []:
        if key in value:
            smaller = {k: v for k, v in value.items() if k != key}
            yield lambda draw, o=smaller, k=key: Broken(
                with_object(o), frozenset(rule_paths(o)), f"{join(path, k)}: required, left out"
            )
    if schema.get("additionalProperties") is False and not top:
        bigger = {**value, "zz_unknown": 1}
        yield lambda draw: Broken(
            with_object(bigger), frozenset({join(path, "zz_unknown")}), f"{path}: unknown field"
        )
    for group in groups:

        def together(draw: Draw, group: list[str] = group) -> Broken:
            obj = dict(value)
            for key in group:
                if key not in obj:
                    obj[key] = draw(from_schema(draft7(properties.get(key, {}))))
            return Broken(with_object(obj), frozenset(rule_paths(obj)), f"{path}: all of {group}")

        yield together
    for trigger, needed in dependent.items():

        def without(draw: Draw, trigger: str = trigger, needed: list[str] = needed) -> Broken:
            obj = dict(value)
            if trigger not in obj:
                obj[trigger] = draw(from_schema(draft7(properties.get(trigger, {}))))
            for key in needed:
                obj.pop(key, None)
            return Broken(
                with_object(obj), frozenset(rule_paths(obj)), f"{path}: {trigger} without {needed}"
            )

        yield without


def _walk(root: Any, schema: dict[str, Any], value: Any, loc: Loc) -> Iterator[Candidate]:
    if loc:
        yield from _value_candidates(root, schema, value, loc)
    if isinstance(value, dict) and schema.get("type", "object") == "object":
        yield from _object_candidates(root, schema, value, loc, top=not loc)
        properties = schema.get("properties") or {}
        for key, item in value.items():
            if key in properties:
                yield from _walk(root, properties[key], item, (*loc, key))
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _walk(root, schema["items"], item, (*loc, index))


@st.composite
def broken(draw: Draw, schema: dict[str, Any], instance: dict[str, Any]) -> Broken:
    """One rule of ``schema`` broken in (a copy of) the valid ``instance``."""
    candidates = list(_walk(instance, schema, instance, ()))
    make = draw(st.sampled_from(candidates))
    result: Broken = make(draw)
    return result
