"""Schemas: the places that hold one (parameters, headers, media types, components), each schema
and everything its ``$ref``s reach is valid JSON Schema 2020-12 (OpenAPI 3.1 dialect), and enum
values are distinct strings. The schemas are the spec model's (:mod:`..spec_places` lists where
each file writes them).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from .._fastschema import schema_valid
from ..loader import Pointer, Problem
from ..spec_model import Node, Schema, SpecModel
from ..spec_places import SchemaSite, all_schema_roots
from .common import crawled, short
from .passes import Passes, fingerprint_of

if TYPE_CHECKING:  # imported where used: a run whose checks all passed before never needs them
    from jsonschema.exceptions import SchemaError


@functools.cache
def _schema_meta_validator() -> Any:
    """What ``OAS31Validator.check_schema`` builds on every call, built once and pre-crawled
    (openapi-schema-validator's ``check_openapi_schema``); None if that library changed shape."""
    from jsonschema.validators import validator_for
    from openapi_schema_validator import OAS31Validator

    try:
        from openapi_schema_validator._specifications import REGISTRY
    except ImportError:
        return None
    cls: Any = OAS31Validator
    meta_class: Any = validator_for(cls.META_SCHEMA, default=cls)
    meta = meta_class(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER, registry=REGISTRY)
    return crawled(meta)


def _check_schema(schema: Any) -> SchemaError | None:
    """What ``OAS31Validator.check_schema(schema)`` raises (its first error), or None."""
    from jsonschema.exceptions import SchemaError

    meta = _schema_meta_validator()
    if meta is None:
        from openapi_schema_validator import OAS31Validator

        try:
            OAS31Validator.check_schema(schema)
        except SchemaError as raised:
            return raised
        return None
    # jsonschema's error order depends on set iteration (it varies with PYTHONHASHSEED): the
    # first by place and text is the one reported, the same in every run
    errors = sorted(
        meta.iter_errors(schema),
        key=lambda e: (
            tuple(map(str, e.absolute_path)),
            tuple(map(str, e.absolute_schema_path)),
            e.message,
        ),
    )
    return SchemaError.create_from(errors[0]) if errors else None


def check_schemas(
    model: SpecModel, sites: list[SchemaSite], passes: Passes | None = None
) -> list[Problem]:
    """Every schema, and every schema a ``$ref`` inside one leads to, is valid JSON Schema 2020-12
    (OpenAPI 3.1 dialect); enums are distinct strings. Examples are only checked after this passes:
    jsonschema assumes its schemas are well-formed."""
    problems: list[Problem] = []
    # (schema, the $ref that led here or None)
    work: list[tuple[Schema, Node | None]] = [
        (root, None) for root in all_schema_roots(model, model.specs.documents.values(), sites)
    ]
    work.reverse()
    checked: set[tuple[str, Pointer]] = set()
    while work:
        root, referrer = work.pop()
        if root.key in checked:
            continue
        checked.add(root.key)
        error = None
        if not schema_valid(root.raw):  # not known to pass (quicker than remembering passes)
            fingerprint = fingerprint_of(root.raw) if passes is not None else None
            if passes is None or not passes.known("schema", fingerprint):
                error = _check_schema(root.raw)
                if error is None and passes is not None:
                    passes.add("schema", fingerprint)
        if error is not None:
            message = f"invalid schema: {short(error.message, 120)}"
            if referrer is not None and not error.absolute_path:
                problems.append(
                    referrer.problem(f"$ref leads to an {message}; point it at a schema")
                )
            else:
                at: Node = root
                for part in error.absolute_path:
                    at = at.child(part)
                problems.append(at.problem(f"{message}; fix it to match JSON Schema 2020-12"))
            continue
        for schema in root.subschemas():
            problems.extend(_enum_problems(schema))
            if schema.ref is not None:
                target, found = schema.ref_target()
                problems.extend(found)
                if target is not None:
                    work.append((target, schema.child("$ref")))
    return problems


def _enum_problems(schema: Schema) -> list[Problem]:
    values = schema.child("enum")
    if not isinstance(values.raw, list):
        return []
    problems: list[Problem] = []
    seen: set[str] = set()
    for element in values.elements():
        value = element.raw
        if isinstance(value, bool):
            problems.append(
                element.problem(
                    f"enum value {str(value).lower()} is not a string (YAML reads unquoted "
                    "yes/no/on/off/true/false as booleans); quote it",
                )
            )
        elif not isinstance(value, str):
            problems.append(
                element.problem(
                    f"enum value {short(value)} is not a string; quote it "
                    "(enums become str enums)",
                )
            )
        elif value in seen:
            problems.append(element.problem(f"duplicate enum value {value!r}; remove it"))
        else:
            seen.add(value)
    return problems
