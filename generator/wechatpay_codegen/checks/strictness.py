"""``validate``'s spelling and uniqueness rules: what a typo would otherwise silently drop.

- every key of a schema object is a JSON Schema keyword the generator knows (``schema_keywords``),
  and none it refuses (``oneOf``, ``allOf``, ...);
- every ``x-wechatpay-*`` key is an extension of this project, and no other ``x-`` key is a near
  miss of one (``x-rate-limt``);
- the keys of our own objects (``x-rate-limit``, the rows of ``x-wechatpay-error-codes``) are the
  ones defined;
- no two operations, in any files, have the same method and path.

Each problem names the likely intended word when there is one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..loader import Pointer, Problem, SpecDocument
from ..protocol import ERROR_CODE_KEYS, EXTENSIONS, PATH_PLACEHOLDER, RATE_LIMIT_KEYS
from ..schema_keywords import REFUSED, did_you_mean, known
from ..spec_model import Schema, SpecModel

__all__ = ["duplicate_route_problems", "extension_problems", "schema_keyword_problems"]

# Keys whose value maps names (of properties, paths, media types, ...) to objects: those names are
# not keywords, but the objects under them are read again.
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "dependentSchemas",
        "dependentRequired",
        "$defs",
        "paths",
        "webhooks",
        "schemas",
        "responses",
        "parameters",
        "headers",
        "securitySchemes",
        "requestBodies",
        "content",
        "callbacks",
        "links",
        "variables",
        "mapping",
        "encoding",
        "pathItems",
        "examples",
    }
)
# Keys whose value is data, not spec objects (examples, defaults, enum values and their texts).
_DATA = frozenset({"example", "default", "enum", "const", "value", "x-enum-descriptions"})

# Our own objects: extension -> the keys its mapping (or each of its list's mappings) may have.
_OWN_OBJECTS: dict[str, tuple[str, ...]] = {
    "x-rate-limit": RATE_LIMIT_KEYS,
    "x-wechatpay-error-codes": ERROR_CODE_KEYS,
}


def schema_keyword_problems(schema: Schema) -> list[Problem]:
    """Unknown and refused keywords of one schema object (not of its subschemas)."""
    problems: list[Problem] = []
    vocabulary = known()
    for key, where in schema.items():
        if key.startswith("x-"):
            continue  # extensions: see extension_problems
        if key in REFUSED:
            problems.append(
                where.problem(f"'{key}' is not supported by the code generator; {REFUSED[key]}")
            )
        elif key not in vocabulary:
            guess = did_you_mean(key, vocabulary)
            fix = f"did you mean '{guess}'?" if guess else "remove it or fix its spelling"
            problems.append(where.problem(f"unknown schema keyword '{key}'; {fix}"))
    return problems


def extension_problems(doc: SpecDocument) -> list[Problem]:
    """Unknown ``x-wechatpay-*`` keys, near misses of our extensions, unknown keys of ours."""
    problems: list[Problem] = []
    for pointer, key, value in _keywords(doc.data, ()):
        if not key.startswith("x-"):
            continue
        where = (*pointer, key)
        if key not in EXTENSIONS:
            guess = did_you_mean(key, EXTENSIONS)
            if key.startswith("x-wechatpay-") or guess is not None:
                fix = (
                    f"did you mean '{guess}'?"
                    if guess
                    else "the extensions of this project are " + ", ".join(sorted(EXTENSIONS))
                )
                problems.append(doc.problem(where, f"unknown extension '{key}'; {fix}"))
            continue
        allowed = _OWN_OBJECTS.get(key)
        if allowed is None:
            continue
        objects = value if isinstance(value, list) else [value]
        for index, item in enumerate(objects):
            if not isinstance(item, dict):
                continue
            at = (*where, index) if isinstance(value, list) else where
            for name in item:
                if name in allowed:
                    continue
                guess = did_you_mean(str(name), allowed)
                fix = f"did you mean '{guess}'?" if guess else "use " + ", ".join(allowed)
                problems.append(doc.problem((*at, name), f"unknown key '{name}' in {key}; {fix}"))
    return problems


def _keywords(value: Any, pointer: Pointer) -> Iterator[tuple[Pointer, str, Any]]:
    """(pointer of the object, key, value) of every key in keyword position, depth first."""
    stack: list[tuple[Any, Pointer, bool]] = [(value, pointer, False)]
    while stack:
        node, at, names = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str):
                    continue
                if not names:
                    yield at, key, item
                    if key in _DATA:
                        continue
                stack.append((item, (*at, key), not names and key in _NAME_MAPS))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                stack.append((item, (*at, index), False))


def duplicate_route_problems(model: SpecModel) -> list[Problem]:
    """Two operations with the same method and path (placeholder names aside), in any files."""
    first: dict[tuple[str, str], Any] = {}
    problems: list[Problem] = []
    for op in model.operations:
        route = (op.method.lower(), PATH_PLACEHOLDER.sub("{}", op.path))
        earlier = first.setdefault(route, op)
        if earlier is op:
            continue
        problems.append(
            op.node.problem(
                f"{op.label} is also defined at {earlier.location} ({earlier.label}); "
                "a method and path must be defined once: remove one of them"
            )
        )
    return problems
