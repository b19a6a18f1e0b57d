"""The compiled fast path of ``validate`` (``_fastschema``) only says "valid" where the Python
validators it stands in for find nothing: checked on every spec the tests own (good and bad), on
the cases where the two could differ, and on mutations of the real schemas."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wechatpay_codegen import _fastschema
from wechatpay_codegen.checks import schemas, shape
from wechatpay_codegen.loader import SpecLoadError, load_specs
from wechatpay_codegen.spec_places import schema_sites

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
FOLDERS = [
    REPO / "specs",
    REPO / "tests" / "golden" / "specs",
    FIXTURES / "mini-specs",
    FIXTURES / "shapes",
    *sorted(p for p in (FIXTURES / "bad-specs").iterdir() if p.is_dir()),
]


def _python_shape_errors(data: Any) -> list[Any]:
    return list(shape._shape_validator().iter_errors(data))


def _python_schema_error(schema: Any) -> Any:
    return schemas._check_schema(schema)


def _schemas(data: Any) -> list[Any]:
    """Every dict under a ``schema`` key or in ``components.schemas`` (and their subschemas)."""
    found: list[Any] = []

    def walk(node: Any, key: Any) -> None:
        if isinstance(node, dict):
            if key == "schema":
                found.append(node)
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, None)

    walk(data, None)
    for schema in (data.get("components") or {}).get("schemas", {}).values():
        found.append(schema)
    return found


def test_the_fast_path_is_taken_here() -> None:
    assert _fastschema._validators() is not None  # else every test below proves nothing


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _fastschema._validators.cache_clear()
    monkeypatch.setenv("WECHATPAY_CODEGEN_NO_FAST_SCHEMA", "1")
    try:
        assert _fastschema._validators() is None
        assert not _fastschema.schema_valid({"type": "string"})
    finally:
        monkeypatch.delenv("WECHATPAY_CODEGEN_NO_FAST_SCHEMA")
        _fastschema._validators.cache_clear()


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_valid_only_where_python_finds_nothing(folder: Path) -> None:
    try:
        specs = load_specs([folder])
    except SpecLoadError:
        return  # refused before validation: nothing reaches the checks
    for doc in specs.documents.values():
        if _fastschema.shape_valid(doc.data):
            assert _python_shape_errors(doc.data) == [], doc.display
        for schema in _schemas(doc.data):
            if _fastschema.schema_valid(schema):
                assert _python_schema_error(schema) is None, (doc.display, schema)


def test_the_real_specs_take_the_fast_path() -> None:
    specs = load_specs([REPO / "specs"])
    for doc in specs.documents.values():
        if "openapi" in doc.data:
            assert _fastschema.shape_valid(doc.data), doc.display
        for schema in _schemas(doc.data):
            assert _fastschema.schema_valid(schema), (doc.display, schema)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"properties": {"b": {"discriminator": 5}}}}},
        {"items": {"xml": {"name": 5}}},
        {"properties": {"a": {"pattern": "(unclosed"}}},
        {"$defs": {"a": {"pattern": "(unclosed"}}},
        {"definitions": {"a": {"pattern": "[z-a]"}}},
        {"dependencies": {"a": {"pattern": "(x"}}},
        {"patternProperties": {"(x": {}}},
        {"pattern": "a{,3}(?P<x"},
        {"type": "strin"},
        {"minLength": -1},
        {"required": ["a", "a"]},
        {"externalDocs": {"url": 5}},
        {"discriminator": {"propertyName": "t", "extra": 1}},
    ],
)
def test_what_python_refuses_is_never_called_valid(schema: dict[Any, Any]) -> None:
    assert _python_schema_error(schema) is not None
    assert not _fastschema.schema_valid(schema)


@pytest.mark.parametrize(
    "schema",
    [
        {"required": [datetime.date(2024, 1, 1)]},
        {1: "a"},
        {"properties": {1: {}}},
    ],
)
def test_values_json_lacks_go_to_python(schema: dict[Any, Any]) -> None:
    assert not _fastschema.schema_valid(schema)


@pytest.mark.parametrize(
    "schema",
    [
        {"example": datetime.date(2024, 1, 1)},
        {"maximum": 10**400},
        {"const": 2**70},
        {"type": "object", "properties": {"a": {"enum": [b"x"]}}},
    ],
)
def test_values_json_lacks_where_nothing_looks(schema: dict[Any, Any]) -> None:
    if _fastschema.schema_valid(schema):
        assert _python_schema_error(schema) is None


def test_a_yaml_date_goes_to_python() -> None:
    assert not _fastschema.shape_valid({"openapi": "3.1.0", "info": datetime.date(2024, 1, 1)})


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
_KEYWORDS = [
    "type",
    "format",
    "pattern",
    "items",
    "properties",
    "required",
    "enum",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "$ref",
    "discriminator",
    "additionalProperties",
    "uniqueItems",
    "const",
    "xml",
    "externalDocs",
    "$defs",
    "example",
    "patternProperties",
    "minItems",
    "multipleOf",
    "dependentRequired",
    "contentSchema",
]


def _real_schemas() -> list[Any]:
    found: list[Any] = []
    for folder in (REPO / "specs", REPO / "tests" / "golden" / "specs"):
        for doc in load_specs([folder]).documents.values():
            found.extend(_schemas(doc.data))
    return found


REAL = _real_schemas()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(REAL) - 1), st.sampled_from(_KEYWORDS), _json, st.integers(0, 3))
def test_mutated_schemas(index: int, keyword: str, value: Any, depth: int) -> None:
    schema = copy.deepcopy(REAL[index])
    node = schema
    for _ in range(depth):  # somewhere nested, where $dynamicRef decides what applies
        children = [v for v in (node.get("properties") or {}).values() if isinstance(v, dict)]
        if not children:
            break
        node = children[0]
    node[keyword] = value
    if _fastschema.schema_valid(schema):
        assert _python_schema_error(schema) is None, schema


# ---------------------------------------------------------------------------------- examples


def _example_items(folder: Path) -> tuple[Any, list[Any]]:
    from wechatpay_codegen.checks import examples

    specs = load_specs([folder])
    model = specs.model()
    sites = [site for doc in specs.documents.values() for site in schema_sites(model, doc)]
    items = examples._examples(model, sites)
    return (model, sites), list(examples._groups(specs, items))


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_examples_valid_only_where_python_finds_nothing(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wechatpay_codegen.checks import examples

    try:
        (model, sites), groups = _example_items(folder)
    except SpecLoadError:
        return
    if _fastschema.examples_valid(groups):
        monkeypatch.setattr(examples, "examples_valid", lambda *_: False)
        assert examples.check_examples(model, sites) == [], folder.name


def test_the_real_examples_take_the_fast_path() -> None:
    for folder in (REPO / "specs", REPO / "tests" / "golden" / "specs"):
        _, groups = _example_items(folder)
        assert groups and _fastschema.examples_valid(groups), folder.name


def test_a_broken_example_goes_to_python() -> None:
    _, groups = _example_items(FIXTURES / "bad-specs" / "example-breaks-schema")
    assert groups and not _fastschema.examples_valid(groups)


@pytest.mark.parametrize(
    "value",
    [
        {"multipleOf": 0.01},
        {"pattern": "(?=a)"},
        {"pattern": "a{,3}"},
        {"pattern": "[^\\d]"},
        {"pattern": "\\s+"},
        {"pattern": "\\D"},
        {"patternProperties": {"\\W": {}}},
        {"maximum": 2**60},
        {"x": float("nan")},
        {"x": datetime.date(2024, 1, 1)},
        {1: "a"},
    ],
)
def test_what_the_engines_could_see_differently_goes_to_python(value: Any) -> None:
    assert not _fastschema._safe_for_examples(value)


_PIECES = ["a", "Z", "0", "-", "_", ".", "\\d", "\\w", "[a-z]", "[^a-c]", "[\\d_]", "\\.", "(", ")"]
_QUANTIFIERS = ["", "", "*", "+", "?", "{2}", "{1,3}", "{2,}"]
_TEXT = st.text(alphabet="aZ0_-. \n\u0661\u00e9\ufeffxyz", max_size=8)


@st.composite
def _pattern(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=5))
    out = "^" if draw(st.booleans()) else ""
    for piece in pieces:
        out += piece
        if piece != "(":
            out += draw(st.sampled_from(_QUANTIFIERS))
    return out + ("$" if draw(st.booleans()) else "")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pattern(), _TEXT)
def test_a_safe_pattern_never_matches_where_python_does_not(pattern: str, text: str) -> None:
    import re

    import jsonschema_rs

    if not _fastschema._SAFE_PATTERN.fullmatch(pattern):
        return
    try:
        compiled = re.compile(pattern)
        validator = jsonschema_rs.Draft202012Validator({"pattern": pattern})
    except Exception:
        return  # refused by one of them: the fast path falls back to Python
    if validator.is_valid(text):
        assert compiled.search(text) is not None, (pattern, text)
