"""Stage 1, each document's shape: the OpenAPI version, the required top-level keys, and the
OpenAPI 3.1 schema of openapi-spec-validator (built once per process, pre-crawled), its errors as
one-line problems on the node at fault (with the likely intended key for an unexpected one).

This stage reads the raw documents: it runs before a spec model can be trusted, on files of any
shape.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .._fastschema import shape_valid
from ..loader import Pointer, Problem, SpecDocument
from ..schema_keywords import did_you_mean
from ..spec_model import SpecModel
from .common import crawled, installed_version, short, types

if TYPE_CHECKING:  # imported where used: a run whose checks all passed before never needs them
    from jsonschema.exceptions import ValidationError


_VERSION_31 = re.compile(r"3\.1\.[0-9]+")
_FIX_OPENAPI = "fix it to match the OpenAPI 3.1 schema"


def check_shape(doc: SpecDocument) -> list[Problem]:
    root = SpecModel.root(doc)
    if root.has("swagger") and not root.has("openapi"):
        version = short(root.get("swagger"))
        return [doc.problem(("swagger",), f"unsupported OpenAPI version {version}; use 3.1.x")]
    if not root.has("openapi"):
        if root.has("paths") or root.has("info"):
            return [doc.problem((), "missing openapi; start the file with openapi: 3.1.0")]
        return []  # a shared-components file (components only): checked by the later stage
    version = root.get("openapi")
    if not isinstance(version, str):
        return [
            doc.problem(
                ("openapi",), f"openapi must be a string; write openapi: '{short(version)}'"
            )
        ]
    if not _VERSION_31.fullmatch(version):
        plain = version.isprintable() and version.strip() == version
        shown = short(version if plain else repr(version))
        return [doc.problem(("openapi",), f"unsupported OpenAPI version {shown}; use 3.1.x")]
    problems: list[Problem] = []
    if not root.has("info"):
        problems.append(doc.problem((), "missing info; add info: {title: ..., version: ...}"))
    if not (root.has("paths") or root.has("components") or root.has("webhooks")):
        problems.append(
            doc.problem(
                (),
                "missing paths; an operation file needs paths with one operation "
                "(a shared file needs components)",
            )
        )
    if problems:
        return problems
    data = root.raw  # the whole document, for the OpenAPI 3.1 schema
    if shape_valid(data):  # known to pass: the check below would find nothing
        return []
    validator = _shape_validator()
    return [_openapi_problem(doc, error) for error in validator.iter_errors(data)]


@functools.cache
def _shape_validator() -> Any:
    """openapi-spec-validator's OpenAPI 3.1 validator, built once per process and pre-crawled."""
    packaged = packaged_shape_validator()
    if packaged is not None:
        return crawled(packaged)
    import os

    # its jsonschema backend, whose errors the messages are made of (with jsonschema-rs
    # installed it would pick that one), unless its settings say otherwise
    os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")
    from openapi_spec_validator import OpenAPIV31SpecValidator

    return crawled(OpenAPIV31SpecValidator.schema_validator)


# openapi-spec-validator releases whose ``OpenAPIV31SpecValidator.schema_validator`` is, with the
# jsonschema backend, ``validator_for(schema)(schema)`` of the JSON file below (read through YAML
# and a JSON round trip, which gives what ``json.loads`` gives: tests/unit/test_validate_speed.py)
PACKAGED_SHAPE_RELEASES = frozenset({"0.9.0"})
_PACKAGED_SHAPE_SCHEMA = ("resources", "schemas", "v3.1", "schema.json")


def packaged_shape_validator() -> Any:
    """The validator ``OpenAPIV31SpecValidator.schema_validator`` is, built without importing
    openapi-spec-validator: its import (pydantic settings, openapi-schema-validator, ...) takes
    longer than checking a changed document. None whenever that is not known to be the same
    validator: another release, a backend chosen by its environment settings. (With
    jsonschema-rs installed, openapi-spec-validator's default backend would be that one; the
    messages are made of the jsonschema backend's errors, so that is the one used here.)"""
    import json
    import os

    if installed_version("openapi-spec-validator") not in PACKAGED_SHAPE_RELEASES:
        return None
    if any(name.upper().startswith("OPENAPI_SPEC_VALIDATOR_") for name in os.environ):
        return None
    try:
        spec = importlib.util.find_spec("openapi_spec_validator")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        folder = Path(next(iter(spec.submodule_search_locations)))
        schema = json.loads(folder.joinpath(*_PACKAGED_SHAPE_SCHEMA).read_text("utf-8"))
    except (OSError, ValueError, StopIteration):
        return None
    from jsonschema.validators import validator_for

    return validator_for(schema)(schema)


def _openapi_problem(doc: SpecDocument, error: ValidationError) -> Problem:
    """An openapi-spec-validator error as a one-line problem on the offending node."""
    pointer: Pointer = tuple(error.absolute_path)
    name = repr(pointer[-1]) if pointer else "the document"
    if error.validator in _EXTRA_KEYS and isinstance(error.instance, dict):
        return _unexpected_keys(doc, pointer, error, error.instance)
    explain = _EXPLAIN.get(str(error.validator))
    message = explain(name, error) if explain else f"{name}: {short(error.message, 120)}"
    return doc.problem(pointer, f"{message}; {_FIX_OPENAPI}")


_EXTRA_KEYS = ("additionalProperties", "unevaluatedProperties")


def _unexpected_keys(
    doc: SpecDocument, pointer: Pointer, error: ValidationError, instance: dict[Any, Any]
) -> Problem:
    """Keys the OpenAPI schema does not allow, on the key when there is one (with its likely
    intended spelling)."""
    extras = re.findall(r"'((?:[^'\\]|\\.)*)'", error.message.partition("(")[2])
    extras = [e for e in extras if e in instance]
    if len(extras) == 1:
        pointer = (*pointer, extras[0])
    listed = ", ".join(repr(e) for e in extras) or short(error.message)
    message = f"unexpected key {listed}"
    allowed = error.schema.get("properties") if isinstance(error.schema, dict) else None
    guess = did_you_mean(extras[0], allowed) if len(extras) == 1 and allowed else None
    if guess is not None:
        return doc.problem(pointer, f"{message}; did you mean {guess!r}?")
    return doc.problem(pointer, f"{message}; {_FIX_OPENAPI}")


def _one_of(name: str, error: ValidationError) -> str:
    allowed = ", ".join(str(v) for v in cast(list[Any], error.validator_value))
    return f"{name} must be one of {allowed} (got {short(error.instance)})"


# JSON Schema keyword that failed -> what it means for the node named ``name`` (any other keyword:
# the validator's own message).
_EXPLAIN: dict[str, Callable[[str, ValidationError], str]] = {
    "required": lambda name, error: (
        f"{name} lacks the required key {error.message.partition(' is a required')[0]}"
    ),
    "type": lambda name, error: f"{name} must be of type {types(error.validator_value)}",
    "enum": _one_of,
    "const": lambda name, error: f"{name} must be {short(error.validator_value)}",
}
