"""``validate``'s spelling and uniqueness rules: what a typo would otherwise silently drop.

- every key of a schema object is a JSON Schema keyword the generator knows (``schema_keywords``),
  and none it refuses (``oneOf``, ``allOf``, ...);
- every ``x-wechatpay-*`` key is an extension of this project, and no other ``x-`` key is a near
  miss of one (``x-rate-limt``);
- every extension of ours is written on a kind of object it is read on (its places in
  :data:`~..protocol.EXTENSIONS`): ``x-wechatpay-sensitive`` on a parameter would be ignored;
- the keys of our own objects (``x-rate-limit``, the rows of ``x-wechatpay-error-codes``) are the
  ones defined;
- no two operations, in any files, have the same method and path.

Each problem names the likely intended word when there is one.
"""

from __future__ import annotations

from typing import Any

from ..loader import Pointer, Problem, SpecDocument
from ..protocol import (
    ERROR_CODE_KEYS,
    EXTENSIONS,
    PATH_PLACEHOLDER,
    PLACE_NAMES,
    RATE_LIMIT_KEYS,
    Extension,
    ExtensionPlace,
)
from ..schema_keywords import REFUSED, did_you_mean, known
from ..spec_model import Schema, SpecModel
from ..spec_places import keyword_positions

__all__ = ["duplicate_route_problems", "extension_problems", "misplaced", "schema_keyword_problems"]

# Our own objects: extension -> the keys its mapping (or each of its list's mappings) may have.
_OWN_OBJECTS: dict[str, tuple[str, ...]] = {
    "x-rate-limit": RATE_LIMIT_KEYS,
    "x-wechatpay-error-codes": ERROR_CODE_KEYS,
}


def schema_keyword_problems(schema: Schema) -> list[Problem]:
    """Unknown and refused keywords of one schema object (not of its subschemas)."""
    problems: list[Problem] = []
    vocabulary = known()
    for key in schema.keywords:  # (a Node only for a keyword found wrong: this runs on all)
        if key.startswith("x-") or (key in vocabulary and key not in REFUSED):
            continue  # extensions: see extension_problems
        where = schema.child(key)
        if key in REFUSED:
            problems.append(
                where.problem(f"'{key}' is not supported by the code generator; {REFUSED[key]}")
            )
        else:
            guess = did_you_mean(key, vocabulary)
            fix = f"did you mean '{guess}'?" if guess else "remove it or fix its spelling"
            problems.append(where.problem(f"unknown schema keyword '{key}'; {fix}"))
    return problems


def extension_problems(
    model: SpecModel, doc: SpecDocument, places: dict[tuple[str, Pointer], ExtensionPlace]
) -> list[Problem]:
    """Unknown ``x-wechatpay-*`` keys, near misses of our extensions, extensions of ours written
    where they are not read (``places``: :func:`..spec_places.object_places`), unknown keys of
    our own objects."""
    problems: list[Problem] = []
    for holder, key, value in keyword_positions(model, doc, "x-"):
        if key not in EXTENSIONS:
            guess = did_you_mean(key, EXTENSIONS)
            if key.startswith("x-wechatpay-") or guess is not None:
                fix = (
                    f"did you mean '{guess}'?"
                    if guess
                    else "the extensions of this project are " + ", ".join(sorted(EXTENSIONS))
                )
                problems.append(value.problem(f"unknown extension '{key}'; {fix}"))
            continue
        extension = EXTENSIONS[key]
        place = places.get(holder.key)
        if place not in extension.places:
            problems.append(value.problem(misplaced(extension, place)))
            continue
        allowed = _OWN_OBJECTS.get(key)
        if allowed is None:
            continue
        objects = list(value.elements()) if isinstance(value.raw, list) else [value]
        for item in objects:
            for name, at in item.items():
                if name in allowed:
                    continue
                guess = did_you_mean(name, allowed)
                fix = f"did you mean '{guess}'?" if guess else "use " + ", ".join(allowed)
                problems.append(at.problem(f"unknown key '{name}' in {key}; {fix}"))
    return problems


def misplaced(extension: Extension, place: ExtensionPlace | None) -> str:
    """Why ``extension`` written on a ``place`` (None: an object no extension is read on) is
    refused, and where it belongs (from :data:`~..protocol.EXTENSIONS`)."""
    here = PLACE_NAMES[place] if place is not None else "this kind of object"
    there = [PLACE_NAMES[p] for p in extension.places]
    belongs = there[0] if len(there) == 1 else ", ".join(there[:-1]) + " or " + there[-1]
    return (
        f"'{extension.name}' is not read on {here}, so it would be ignored; "
        f"move it to {belongs} ({extension.meaning})"
    )


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
