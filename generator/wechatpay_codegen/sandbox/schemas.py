"""JSON Schema validation of request bodies and path parameters, straight from the spec documents.

Every spec document is registered with ``referencing`` under its file URI, so a schema is validated
in place (``{"$ref": "file:///.../modify_budget.yaml#/paths/..."}``) and its relative references,
local (``#/components/...``) or cross-file (``common.yaml#/...``), resolve exactly as written.
Draft 2020-12, with one format assertion: the validator's lenient ``date-time`` (the docs' examples
omit seconds).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from ..loader import pointer_text
from ..protocol import is_lenient_date_time

_MAX_ISSUE = 300
_MISSING: Any = object()


def _format_checker() -> FormatChecker:
    """Only ``date-time`` is asserted, leniently, exactly as ``validate`` checks the examples."""
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_lenient_date_time)
    return checker


def document_uri(path: Path) -> str:
    return path.absolute().as_uri()


def pointer_fragment(pointer: Sequence[str | int]) -> str:
    """A JSON pointer as a URI fragment (RFC 6901 escaping, then percent-encoding)."""
    parts = (str(p).replace("~", "~0").replace("/", "~1") for p in pointer)
    return "".join("/" + quote(part, safe="~") for part in parts)


class SchemaSet:
    """Validators for schemas found anywhere in a set of spec documents."""

    def __init__(self, documents: Iterable[tuple[Path, Any]]) -> None:
        resources = [
            (document_uri(path), DRAFT202012.create_resource(data)) for path, data in documents
        ]
        self._registry: Registry[Any] = Registry().with_resources(resources)
        self._checker = _format_checker()

    def validator(self, path: Path, pointer: Sequence[str | int]) -> Draft202012Validator:
        """A validator for the schema at ``pointer`` inside the document at ``path``."""
        ref = document_uri(path) + "#" + pointer_fragment(pointer)
        return Draft202012Validator(
            {"$ref": ref}, registry=self._registry, format_checker=self._checker
        )


@dataclass(frozen=True)
class Violation:
    """The most relevant way an instance breaks its schema, in the error ``detail`` vocabulary."""

    pointer: str  # JSON pointer to the offending field (or to the missing one)
    issue: str
    value: Any = _MISSING

    @property
    def has_value(self) -> bool:
        return self.value is not _MISSING


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _MISSING


def _trim(text: str) -> str:
    return text if len(text) <= _MAX_ISSUE else text[: _MAX_ISSUE - 3] + "..."


def _describe(error: ValidationError) -> Violation:
    path = list(error.absolute_path)
    instance = error.instance
    keyword = str(error.validator)
    expected: Any = error.validator_value
    here = pointer_text(path)
    if keyword == "required" and isinstance(instance, dict):
        missing = [name for name in expected if name not in instance]
        name = missing[0] if missing else ""
        return Violation(pointer_text([*path, name]), "is required")
    if keyword == "dependentRequired" and isinstance(instance, dict):
        for trigger, needed in expected.items():
            if trigger in instance:
                for name in needed:
                    if name not in instance:
                        issue = f"is required when {trigger!r} is present"
                        return Violation(pointer_text([*path, name]), issue)
    if keyword == "not" and isinstance(expected, dict) and set(expected) == {"required"}:
        names = list(expected["required"])
        issue = "must not be given together with " + ", ".join(repr(n) for n in names[:-1])
        if isinstance(instance, dict) and names:
            last = names[-1]
            return Violation(pointer_text([*path, last]), issue, _scalar(instance.get(last)))
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        known = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        extras = [name for name in instance if name not in known]
        if extras:
            return Violation(pointer_text([*path, extras[0]]), "is not an allowed field")
    messages = {
        "type": f"must be of type {expected}",
        "enum": f"must be one of {expected}",
        "const": f"must be {expected!r}",
        "minLength": f"must be at least {expected} characters long",
        "maxLength": f"must be at most {expected} characters long",
        "pattern": f"must match the pattern {expected}",
        "minimum": f"must be >= {expected}",
        "maximum": f"must be <= {expected}",
        "exclusiveMinimum": f"must be > {expected}",
        "exclusiveMaximum": f"must be < {expected}",
        "multipleOf": f"must be a multiple of {expected}",
        "minItems": f"must have at least {expected} items",
        "maxItems": f"must have at most {expected} items",
        "uniqueItems": "items must be unique",
        "minProperties": f"must have at least {expected} fields",
        "maxProperties": f"must have at most {expected} fields",
        "format": f"is not a valid {expected}",
    }
    issue = messages.get(keyword, error.message)
    return Violation(here, _trim(issue), _scalar(instance))


def first_violation(validator: Draft202012Validator, instance: Any) -> Violation | None:
    """None when ``instance`` is valid, else its most relevant violation."""
    error = best_match(validator.iter_errors(instance))
    return None if error is None else _describe(error)
