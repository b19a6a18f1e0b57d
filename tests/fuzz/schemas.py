"""The specs' schemas as self-contained JSON Schemas: the oracle of the model and sandbox fuzzing.

Read straight from the spec files with the loader (every ``$ref``, local or cross-file, inlined),
not from the generator's IR, so a misreading in ``build_ir`` shows up as a disagreement between
the generated code and these schemas. Annotations (descriptions, examples, ``x-`` extensions) are
dropped; the validation keywords are kept as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
from wechatpay_codegen.loader import SpecDocument, SpecSet, load_specs
from wechatpay_codegen.naming import class_name

__all__ = [
    "REPO",
    "SPECS",
    "SpecOperation",
    "bundle",
    "component_schemas",
    "draft7",
    "is_valid",
    "load",
    "operations",
    "validator",
]

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"

_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SUBSCHEMA = ("items", "not", "additionalProperties", "contains", "propertyNames")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_ANNOTATIONS = ("description", "title", "example", "examples", "deprecated", "$comment")


def load(folder: Path = SPECS) -> SpecSet:
    return load_specs([folder])


def bundle(specs: SpecSet, doc: SpecDocument, schema: Any, seen: tuple[str, ...] = ()) -> Any:
    """``schema`` (written in ``doc``) with every ``$ref`` replaced by its target, recursively."""
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target_doc, pointer, value = specs.resolve(doc, schema["$ref"])
        key = f"{target_doc.display}#{pointer}"
        if key in seen:
            raise ValueError(f"recursive schema through {key}")
        return bundle(specs, target_doc, value, (*seen, key))
    out: dict[str, Any] = {}
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword.startswith("x-"):
            continue
        if keyword == "format" and value != "date-time":
            continue  # int64 and friends: documentation, not a constraint
        if keyword in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[keyword] = {k: bundle(specs, doc, v, seen) for k, v in value.items()}
        elif keyword in _SUBSCHEMA:
            out[keyword] = bundle(specs, doc, value, seen)
        elif keyword in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[keyword] = [bundle(specs, doc, v, seen) for v in value]
        else:
            out[keyword] = value
    return out


def component_schemas(specs: SpecSet) -> dict[str, dict[str, Any]]:
    """Every object/enum schema under ``components/schemas``, bundled, by Python class name."""
    # CONTRIBUTING, "Schema names": one name written differently in several files keeps its
    # plain name in the file that sorts last; the others take their first file's stem in front.
    by_name: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for display in sorted(specs.documents):
        doc = specs.documents[display]
        schemas = (doc.data.get("components") or {}).get("schemas") or {}
        for name, schema in schemas.items():
            by_name.setdefault(name, []).append((display, bundle(specs, doc, schema)))
    out: dict[str, dict[str, Any]] = {}
    for name, written in by_name.items():
        variants: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for display, bundled in written:
            variants.setdefault(json.dumps(bundled, sort_keys=True), []).append((display, bundled))
        ordered = sorted(variants.values(), key=lambda group: max(d for d, _ in group))
        for index, group in enumerate(ordered):
            first = min(d for d, _ in group)
            stem = Path(first).stem.title().replace("_", "")
            scoped = name if index == len(ordered) - 1 else stem + name
            out[class_name(scoped)] = group[0][1]
    return out


@dataclass(frozen=True)
class SpecOperation:
    """One operation as the spec writes it (bundled), for building and checking requests."""

    operation_id: str
    method: str
    path: str
    brand: bool
    path_params: dict[str, dict[str, Any]]  # wire name -> bundled schema
    path_examples: dict[str, str]
    body_schema: dict[str, Any] | None
    body_required: bool
    body_example: Any
    statuses: frozenset[int]  # every documented status
    success: int
    responses: dict[int, dict[str, Any] | None]  # status -> bundled JSON body schema (or None)


def _brand(specs: SpecSet, doc: SpecDocument, op: dict[str, Any]) -> bool:
    [requirement] = op.get("security") or doc.data.get("security")
    [scheme_name] = requirement
    scheme = doc.data["components"]["securitySchemes"][scheme_name]
    if "$ref" in scheme:
        _, _, scheme = specs.resolve(doc, scheme["$ref"])
    return bool(scheme["x-wechatpay-auth-scheme"] == "WECHATPAY-BRAND-SHA256-RSA2048")


def operations(specs: SpecSet) -> Iterator[SpecOperation]:
    for display in sorted(specs.documents):
        doc = specs.documents[display]
        for path, item in (doc.data.get("paths") or {}).items():
            for method, op in item.items():
                if not isinstance(op, dict) or "operationId" not in op:
                    continue
                params: dict[str, dict[str, Any]] = {}
                examples: dict[str, str] = {}
                for raw in op.get("parameters") or []:
                    param_doc, param = doc, raw
                    if "$ref" in raw:
                        param_doc, _, param = specs.resolve(doc, raw["$ref"])
                    if param.get("in") != "path":
                        continue
                    params[param["name"]] = bundle(specs, param_doc, param.get("schema") or {})
                    examples[param["name"]] = str(param.get("example", "x"))
                body = op.get("requestBody")
                media = ((body or {}).get("content") or {}).get("application/json") or {}
                responses: dict[int, dict[str, Any] | None] = {}
                for status, response in (op.get("responses") or {}).items():
                    response_doc = doc  # a shared response's $refs are relative to its file
                    if "$ref" in response:
                        response_doc, _, response = specs.resolve(doc, response["$ref"])
                    content = (response.get("content") or {}).get("application/json")
                    responses[int(status)] = (
                        bundle(specs, response_doc, content["schema"]) if content else None
                    )
                yield SpecOperation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    brand=_brand(specs, doc, op),
                    path_params=params,
                    path_examples=examples,
                    body_schema=bundle(specs, doc, media["schema"]) if media else None,
                    body_required=bool((body or {}).get("required")),
                    body_example=media.get("example"),
                    statuses=frozenset(responses),
                    success=min(s for s in responses if 200 <= s < 300),
                    responses=responses,
                )


# -- validation oracle ----------------------------------------------------------------------------

# RFC 3339 section 5.6, as the server reads it: seconds and an offset are required.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))"
)
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = _RFC3339.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second, off_h, off_m = match.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), min(int(second), 59))
    except ValueError:
        return False
    return int(second) <= 60 and (off_h is None or (int(off_h) <= 23 and int(off_m) <= 59))


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema, format_checker=_FORMATS)


def is_valid(schema: dict[str, Any], instance: Any) -> bool:
    return bool(validator(schema).is_valid(instance))


def draft7(schema: Any) -> Any:
    """For hypothesis-jsonschema (drafts 4-7): ``dependentRequired`` -> ``dependencies``."""
    if isinstance(schema, list):
        return [draft7(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for keyword, value in schema.items():
        if keyword == "dependentRequired":
            out["dependencies"] = value
        elif keyword in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[keyword] = {k: draft7(v) for k, v in value.items()}
        elif keyword in _SUBSCHEMA or keyword in _SUBSCHEMA_LISTS:
            out[keyword] = draft7(value)
        else:
            out[keyword] = value
    return out
