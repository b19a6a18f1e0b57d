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

The examples check (every example against its schema, jsonschema's Draft 2020-12 with only the
``date-time`` and ``date`` formats of :mod:`.protocol`) has a fast path too, taken only where
the two engines cannot disagree in the direction that matters: every ``pattern`` (and
``patternProperties`` key) in the specs is in a small regex subset where what ECMA 262 matches,
Python's ``re`` matches too (literals, ``.``, ``\\d``, ``\\w``, classes of ASCII characters,
anchors, groups, alternation, bounded quantifiers); no ``multipleOf`` is a fraction (jsonschema
divides floats, jsonschema-rs does not); every number is an exactly representable integer or a
finite float; the formats are the same two functions, every other format accepted as
jsonschema's checker accepts it.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["available", "examples_valid", "schema_valid", "shape_valid"]

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
    from .checks.common import installed_version

    return installed_version(distribution)


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


_LITERAL = r"""[A-Za-z0-9 _/:@,;=<>!%&~'"#-]"""
_ESCAPE = r"\\[dw.\-/\\()\[\]{}*+?|^$]"
_IN_CLASS = r"""(?:[A-Za-z0-9]-[A-Za-z0-9]|[A-Za-z0-9 _/:@,;=<>!%&~'"#.(){}*+?|$]|\\[.\-/\\\]\[])"""
_IN_CLASS_ESCAPES = r"(?:\\[dw])"
_SAFE_PATTERN = re.compile(
    r"\^?(?:"
    r"(?:\((?:\?:)?|\|)"  # a group's start, an alternative: no quantifier after them
    r"|(?:"
    + _LITERAL
    + r"|\.|"
    + _ESCAPE
    + r"|\[\^(?:"
    + _IN_CLASS
    + r"|-)+\]"  # a negated class: explicit characters only (ECMA and Python agree)
    + r"|\[(?:"
    + _IN_CLASS
    + "|"
    + _IN_CLASS_ESCAPES
    + r"|-)+\]"
    + r"|\))"
    r"(?:(?:[*+?]|\{[0-9]+(?:,[0-9]*)?\})\??)?"
    r")*\$?"
)
_EXACT = 2**53
#: What a URI fragment may hold unescaped (RFC 3986) besides letters and digits.
_FRAGMENT_SAFE = "/~!$&'()*+,;=:@-._"


def _safe_for_examples(value: Any) -> bool:
    """Every value JSON has, no number jsonschema-rs could see differently, every ``pattern``
    in the safe regex subset and no fractional ``multipleOf`` (see the module docstring)."""
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            for name, item in node.items():
                if type(name) is not str:
                    return False
                if name == "pattern" and type(item) is str and not _SAFE_PATTERN.fullmatch(item):
                    return False
                if name == "patternProperties" and type(item) is dict:
                    if not all(type(k) is str and _SAFE_PATTERN.fullmatch(k) for k in item):
                        return False
                if name == "multipleOf" and type(item) is not int:
                    return False
                stack.append(item)
        elif kind is list:
            stack.extend(node)
        elif kind is int:
            if not -_EXACT <= node <= _EXACT:
                return False
        elif kind is float:
            if node != node or node in (float("inf"), float("-inf")):
                return False
        elif kind not in (str, bool, type(None)):
            return False
    return True


_OTHER_FORMATS = (
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
    "unknown",
)


def examples_valid(
    groups: Iterable[tuple[list[tuple[str, Any]], list[tuple[str, Any]]]],
) -> bool:
    """True when every example is known to pass the examples check. Each group is the spec
    files its schemas can reach (URI, loaded YAML) and its (schema URI with its pointer,
    example) pairs; a group at a time, so only one group's files are held in Rust's form.
    False means "not known": run the Python check (all of it; it words the problems)."""
    if _validators() is None:
        return False
    try:
        import jsonschema_rs

        from .protocol import is_date, is_lenient_date_time

        formats: dict[str, Callable[[str], bool]] = {name: _accept for name in _OTHER_FORMATS}
        formats["date-time"] = is_lenient_date_time
        formats["date"] = is_date
        from urllib.parse import quote

        for documents, checks in groups:
            if not all(_safe_for_examples(data) for _, data in documents):
                return False
            if not all(_safe_for_examples(instance) for _, instance in checks):
                return False
            registry = jsonschema_rs.Registry(documents)
            for target, instance in checks:
                base, _, fragment = target.partition("#")
                uri = base + "#" + quote(fragment, safe=_FRAGMENT_SAFE)
                validator = jsonschema_rs.Draft202012Validator(
                    {"$ref": uri}, registry=registry, validate_formats=True, formats=formats
                )
                if not validator.is_valid(instance):
                    return False
    except Exception:  # an unresolvable $ref, a loop, anything: the Python check decides
        return False
    return True


def available() -> bool:
    """Whether the fast path is taken in this environment (see :func:`_validators`)."""
    return _validators() is not None


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
