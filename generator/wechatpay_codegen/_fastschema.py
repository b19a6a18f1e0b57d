"""A compiled fast path for the two JSON Schema checks of ``validate`` that see every document:
each document against the OpenAPI 3.1 schema, each schema against the OpenAPI 3.1 dialect.

jsonschema-rs (Rust) answers "valid" in microseconds where jsonschema (Python) takes
milliseconds, and it spares a run the import of openapi-spec-validator and
openapi-schema-validator. It only ever says "valid": whenever it finds a problem, cannot take
the input (YAML values JSON does not have: dates, non-string keys, huge integers) or is missing,
``validate`` runs the Python validators exactly as before, so every message is theirs, word for
word. So the one thing that must hold is: what jsonschema-rs accepts, the Python validators
accept. ``tests/unit/test_fastschema.py`` checks both validators on the real specs, the golden
and fixture specs and every bad spec, and the cases where they could differ:

- the same schemas: openapi-spec-validator's packaged ``schemas/v3.1/schema.json`` (what its
  ``OpenAPIV31SpecValidator`` uses, for the releases known to use it), and
  openapi-schema-validator's OpenAPI 3.1 dialect with the 2020-12 meta-schemas, read from the
  installed packages' files (the releases known to ship what ``OAS31Validator`` uses);
- formats: the shape check asserts none (as openapi-spec-validator's validator); the dialect
  check asserts only what ``OAS31Validator``'s format checker asserts among the formats its
  meta-schemas use: ``regex``, with the same function (regress when installed, else ``re``);
  ``uri`` and ``uri-reference``, which that checker does not check, are accepted;
- ``$dynamicRef``: the dialect's ``$dynamicAnchor: meta`` reaches nested schemas (a wrong
  ``discriminator`` three levels down is refused by both).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["schema_valid", "shape_valid"]

# Releases whose files below are what their validators use (tests/unit/test_fastschema.py).
_SPEC_VALIDATOR_RELEASES = frozenset({"0.9.0"})
_SCHEMA_VALIDATOR_RELEASES = frozenset({"0.9.0"})
_SHAPE_SCHEMA = ("resources", "schemas", "v3.1", "schema.json")
_DIALECT = ("schemas", "oas3.1", "metaschema.json")
_VOCABULARY = ("schemas", "oas3.1", "vocabularies", "base")
_META_SCHEMAS = ("schemas", "draft202012")
_OFF = "WECHATPAY_CODEGEN_NO_FAST_SCHEMA"


def _package_folder(name: str) -> Path | None:
    """Where an installed package's files are, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


def _json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _regex_checker() -> Callable[[str], bool]:
    """openapi-schema-validator's ``regex`` format: regress (ECMA 262) when installed, else
    Python's ``re``."""
    try:
        from regress import Regex, RegressError  # type: ignore[import-not-found,unused-ignore]
    except ImportError:

        def python_regex(pattern: str) -> bool:
            try:
                re.compile(pattern)
            except re.error:
                return False
            return True

        return python_regex

    def ecma_regex(pattern: str) -> bool:
        try:
            Regex(pattern)
        except RegressError:
            return False
        return True

    return ecma_regex


def _accept(_: str) -> bool:
    return True


@functools.cache
def _validators() -> tuple[Any, Any] | None:
    """(shape validator, dialect validator) of jsonschema-rs, or None when the fast path is not
    known to agree with the Python validators here (or jsonschema-rs is missing)."""
    if os.environ.get(_OFF, "").strip() not in ("", "0"):
        return None
    if any(name.upper().startswith("OPENAPI_SPEC_VALIDATOR_") for name in os.environ):
        return None  # openapi-spec-validator configured otherwise
    if _package_folder("jsonschema_rs") is None:
        return None
    spec_folder = _package_folder("openapi_spec_validator")
    schema_folder = _package_folder("openapi_schema_validator")
    meta_folder = _package_folder("jsonschema_specifications")
    if spec_folder is None or schema_folder is None or meta_folder is None:
        return None
    if _version("openapi-spec-validator") not in _SPEC_VALIDATOR_RELEASES:
        return None
    if _version("openapi-schema-validator") not in _SCHEMA_VALIDATOR_RELEASES:
        return None
    try:
        import jsonschema_rs

        shape_schema = _json(spec_folder.joinpath(*_SHAPE_SCHEMA))
        dialect = _json(schema_folder.joinpath(*_DIALECT))
        vocabulary = _json(schema_folder.joinpath(*_VOCABULARY))
        resources = [(dialect["$id"], dialect), (vocabulary["$id"], vocabulary)]
        for path in sorted(meta_folder.joinpath(*_META_SCHEMAS).rglob("*")):
            if path.is_file():
                document = _json(path)
                resources.append((document["$id"], document))
        shape = jsonschema_rs.validator_for(shape_schema, validate_formats=False)
        checked = jsonschema_rs.validator_for(
            dialect,
            registry=jsonschema_rs.Registry(resources),
            validate_formats=True,
            formats={"regex": _regex_checker(), "uri": _accept, "uri-reference": _accept},
        )
    except Exception:  # any surprise: the Python validators alone, as before
        return None
    return shape, checked


def _valid(which: int, instance: Any) -> bool:
    validators = _validators()
    if validators is None:
        return False
    try:
        return bool(validators[which].is_valid(instance))
    except Exception:  # a value JSON does not have (a YAML date, an int key): ask Python
        return False


def shape_valid(document: Any) -> bool:
    """True when ``document`` is known to pass the OpenAPI 3.1 schema check; False means
    "not known": run openapi-spec-validator's validator."""
    return _valid(0, document)


def schema_valid(schema: Any) -> bool:
    """True when ``schema`` is known to pass ``OAS31Validator.check_schema``; False means "not
    known": run it."""
    return _valid(1, schema)
