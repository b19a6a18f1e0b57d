"""Schemas: the places that hold one (parameters, headers, media types, components), each schema
and everything its ``$ref``s reach is valid JSON Schema 2020-12 (OpenAPI 3.1 dialect), and enum
values are distinct strings.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._fastschema import schema_valid
from ..loader import Pointer, Problem, SpecDocument, SpecLoadError, SpecSet
from ..protocol import HTTP_METHODS
from ..schema_keywords import SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_ONE
from ..webhooks import RESOURCE_EXTENSION, webhook_operations
from .common import crawled, mapping, short
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


@dataclass(frozen=True)
class Site:
    """A place holding a schema and maybe examples: a parameter, a header or a media type."""

    doc: SpecDocument
    pointer: Pointer
    data: dict[str, Any]


def schema_sites(doc: SpecDocument) -> Iterator[Site]:
    """Parameters, headers and media types defined in ``doc`` (not those merely referenced)."""

    def site(pointer: Pointer, value: Any) -> Iterator[Site]:
        if isinstance(value, dict) and "$ref" not in value:
            yield Site(doc, pointer, value)

    def media_types(pointer: Pointer, holder: Any) -> Iterator[Site]:
        if isinstance(holder, dict) and "$ref" not in holder:
            for media, value in mapping(holder.get("content")).items():
                yield from site((*pointer, "content", media), value)

    def headers(pointer: Pointer, holder: Any) -> Iterator[Site]:
        if isinstance(holder, dict) and "$ref" not in holder:
            for name, value in mapping(holder.get("headers")).items():
                yield from site((*pointer, "headers", name), value)

    def parameters(pointer: Pointer, value: Any) -> Iterator[Site]:
        for i, param in enumerate(value if isinstance(value, list) else []):
            yield from site((*pointer, i), param)

    def responses(pointer: Pointer, value: Any) -> Iterator[Site]:
        for status, response in mapping(value).items():
            yield from media_types((*pointer, status), response)
            yield from headers((*pointer, status), response)

    for path, item in mapping(doc.data.get("paths")).items():
        if not isinstance(item, dict) or "$ref" in item:
            continue
        yield from parameters(("paths", path, "parameters"), item.get("parameters"))
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            base = ("paths", path, method)
            yield from parameters((*base, "parameters"), op.get("parameters"))
            yield from media_types((*base, "requestBody"), op.get("requestBody"))
            yield from responses((*base, "responses"), op.get("responses"))
    for _event, hook, op in webhook_operations(doc):
        yield from media_types((*hook, "requestBody"), op.get("requestBody"))
        yield from responses((*hook, "responses"), op.get("responses"))
        yield from site((*hook, RESOURCE_EXTENSION), op.get(RESOURCE_EXTENSION))
    components = mapping(doc.data.get("components"))
    for name, value in mapping(components.get("parameters")).items():
        yield from site(("components", "parameters", name), value)
    for name, value in mapping(components.get("headers")).items():
        yield from site(("components", "headers", name), value)
    for name, value in mapping(components.get("requestBodies")).items():
        yield from media_types(("components", "requestBodies", name), value)
    yield from responses(("components", "responses"), components.get("responses"))


def schema_roots(doc: SpecDocument, sites: list[Site]) -> Iterator[tuple[Pointer, Any]]:
    for name, schema in mapping(mapping(doc.data.get("components")).get("schemas")).items():
        yield ("components", "schemas", name), schema
    for site in sites:
        if site.doc is doc and "schema" in site.data:
            yield (*site.pointer, "schema"), site.data["schema"]


def subschemas(pointer: Pointer, schema: Any) -> Iterator[tuple[Pointer, dict[str, Any]]]:
    """``schema`` and every schema nested in it (depth is bounded by the loader)."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for key in SCHEMA_MAPS:
        for name, sub in mapping(schema.get(key)).items():
            yield from subschemas((*pointer, key, name), sub)
    for key in SCHEMA_LISTS:
        value = schema.get(key)
        for i, sub in enumerate(value if isinstance(value, list) else []):
            yield from subschemas((*pointer, key, i), sub)
    for key in SCHEMA_ONE:
        if key in schema:
            yield from subschemas((*pointer, key), schema[key])


def check_schemas(
    specs: SpecSet, docs: list[SpecDocument], sites: list[Site], passes: Passes | None = None
) -> list[Problem]:
    """Every schema, and every schema a ``$ref`` inside one leads to, is valid JSON Schema 2020-12
    (OpenAPI 3.1 dialect); enums are distinct strings. Examples are only checked after this passes:
    jsonschema assumes its schemas are well-formed."""
    problems: list[Problem] = []
    # (document, pointer, schema, the $ref that led here: (its document, its pointer) or None)
    work: list[tuple[SpecDocument, Pointer, Any, tuple[SpecDocument, Pointer] | None]] = [
        (doc, pointer, schema, None) for doc in docs for pointer, schema in schema_roots(doc, sites)
    ]
    work.reverse()
    checked: set[tuple[str, Pointer]] = set()
    while work:
        doc, root_pointer, root, referrer = work.pop()
        if (doc.display, root_pointer) in checked:
            continue
        checked.add((doc.display, root_pointer))
        error = None
        if not schema_valid(root):  # not known to pass (quicker than remembering passes)
            fingerprint = fingerprint_of(root) if passes is not None else None
            if passes is None or not passes.known("schema", fingerprint):
                error = _check_schema(root)
                if error is None and passes is not None:
                    passes.add("schema", fingerprint)
        if error is not None:
            message = f"invalid schema: {short(error.message, 120)}"
            if referrer is not None and not error.absolute_path:
                ref_doc, ref_pointer = referrer
                problems.append(
                    ref_doc.problem(
                        ref_pointer, f"$ref leads to an {message}; point it at a schema"
                    )
                )
            else:
                where = (*root_pointer, *error.absolute_path)
                problems.append(
                    doc.problem(where, f"{message}; fix it to match JSON Schema 2020-12")
                )
            continue
        for pointer, schema in subschemas(root_pointer, root):
            problems.extend(_enum_problems(doc, pointer, schema))
            ref = schema.get("$ref")
            if isinstance(ref, str):
                ref_pointer = (*pointer, "$ref")
                try:
                    target_doc, target_pointer, target = specs.resolve(doc, ref, at=ref_pointer)
                except SpecLoadError as exc:
                    problems.extend(exc.problems)
                    continue
                work.append((target_doc, target_pointer, target, (doc, ref_pointer)))
    return problems


def _enum_problems(doc: SpecDocument, pointer: Pointer, schema: dict[str, Any]) -> list[Problem]:
    values = schema.get("enum")
    if not isinstance(values, list):
        return []
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, value in enumerate(values):
        where = (*pointer, "enum", i)
        if isinstance(value, bool):
            problems.append(
                doc.problem(
                    where,
                    f"enum value {str(value).lower()} is not a string (YAML reads unquoted "
                    "yes/no/on/off/true/false as booleans); quote it",
                )
            )
        elif not isinstance(value, str):
            problems.append(
                doc.problem(
                    where,
                    f"enum value {short(value)} is not a string; quote it "
                    "(enums become str enums)",
                )
            )
        elif value in seen:
            problems.append(doc.problem(where, f"duplicate enum value {value!r}; remove it"))
        else:
            seen.add(value)
    return problems
