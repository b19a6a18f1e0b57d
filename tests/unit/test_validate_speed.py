"""The shortcuts that make validation fast give what the plain way gives.

- the OpenAPI 3.1 shape validator built from openapi-spec-validator's packaged schema file (no
  import of that library) is the library's own validator: same class, same schema, same errors;
- ``SpecSet.resolve`` memoizes file and fragment resolution: answers and problems stay the same.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpay_codegen.checks import common, examples, passes, shape
from wechatpay_codegen.loader import SpecLoadError, load_specs

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "fixtures" / "bad-specs"
MINI = REPO / "tests" / "fixtures" / "mini-specs"


def _library_validator() -> Any:
    """openapi-spec-validator's OpenAPI 3.1 validator with its jsonschema backend (the one whose
    errors the messages are made of; with jsonschema-rs installed its default is that one)."""
    from openapi_spec_validator.schemas import schema_v31
    from openapi_spec_validator.schemas.backend.jsonschema import create_validator

    return create_validator(_unwrapped(schema_v31))


def _unwrapped(value: Any) -> Any:
    """The object behind openapi-spec-validator's lazy proxies."""
    return getattr(value, "__wrapped__", value)


def test_packaged_shape_validator_is_the_librarys() -> None:
    packaged = shape.packaged_shape_validator()
    known = common.installed_version("openapi-spec-validator")
    if known not in shape.PACKAGED_SHAPE_RELEASES:
        assert packaged is None  # another release: the library builds the validator
        return
    assert packaged is not None  # the shortcut is taken where it is known to be right
    library = _unwrapped(_library_validator())
    assert type(packaged) is type(library)
    schema = _unwrapped(library.schema)
    # types and key order too (1 and 1.0 and True are equal as Python values)
    assert passes.fingerprint_of(packaged.schema) == passes.fingerprint_of(schema)
    assert packaged.format_checker == library.format_checker


def test_packaged_shape_validator_not_taken_with_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")
    assert shape.packaged_shape_validator() is None


def _errors(validator: Any, data: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (
            tuple(map(str, error.absolute_path)),
            tuple(map(str, error.absolute_schema_path)),
            error.validator,
            repr(error.validator_value),
            error.message,
        )
        for error in validator.iter_errors(data)
    )


def test_packaged_shape_validator_reports_the_same_errors() -> None:
    packaged = shape.packaged_shape_validator()
    if packaged is None:  # another release: nothing to compare (the test above checks that)
        return
    library = _library_validator()
    checked = 0
    for folder in [MINI, *sorted(p for p in BAD.iterdir() if p.is_dir())]:
        try:
            specs = load_specs([folder])
        except SpecLoadError:
            continue
        for doc in specs.documents.values():
            assert _errors(packaged, doc.data) == _errors(library, doc.data), doc.display
            checked += 1
    assert checked > 10


def test_memoized_resolution_gives_the_same_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each resolution is answered the same the first and the second time (memo hit)."""
    monkeypatch.chdir(tmp_path)
    for folder in sorted(p for p in BAD.iterdir() if p.is_dir()):
        target = tmp_path / folder.name
        shutil.copytree(folder, target)
        try:
            specs = load_specs([target])
        except SpecLoadError:
            continue
        for doc in specs.documents.values():
            for pointer, ref in doc.refs:
                outcomes = []
                for _ in range(2):
                    try:
                        found_doc, found, _value = specs.resolve(doc, ref, at=pointer)
                        outcomes.append((found_doc.display, found))
                    except SpecLoadError as exc:
                        outcomes.append(("error", tuple(str(p) for p in exc.problems)))
                assert outcomes[0] == outcomes[1]


def _reference_fingerprint(value: Any) -> str:
    """The fingerprint as first written: the parts listed, then ``digest``."""
    from wechatpay_codegen._cache import digest

    parts: list[str] = []

    def walk(node: Any) -> None:
        kind = type(node)
        if kind is dict:
            parts.append("{")
            for key, item in node.items():
                walk(key)
                walk(item)
            parts.append("}")
        elif kind is list:
            parts.append("[")
            for item in node:
                walk(item)
            parts.append("]")
        else:
            parts.append(f"{kind.__module__}.{kind.__qualname__}:{node!r}")

    walk(value)
    return digest(parts)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text()
    | st.sampled_from(["\ud800", "{", "[", "builtins.str:'x'"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_fingerprint_is_the_digest_of_its_parts(value: Any) -> None:
    assert passes.fingerprint_of(value) == _reference_fingerprint(value)


def test_fingerprint_of_the_specs_is_unchanged() -> None:
    specs = load_specs([REPO / "specs"])
    for doc in specs.documents.values():
        assert passes.fingerprint_of(doc.data) == _reference_fingerprint(doc.data)
    assert passes.fingerprint_of(1) != passes.fingerprint_of(1.0) != passes.fingerprint_of(True)


def test_example_validators_get_the_resolver_jsonschema_would_build() -> None:
    """``check_examples`` hands each validator the resolver jsonschema builds from the registry
    (the meta-schemas combined in once instead of per example)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    specs = load_specs([MINI])
    registry: Registry[Any] = Registry().with_resources(
        (doc.uri, DRAFT202012.create_resource(doc.data)) for doc in specs.documents.values()
    )
    doc = next(iter(specs.documents.values()))
    schema = {"$ref": f"{doc.uri}#/components"}
    plain = Draft202012Validator(schema, registry=registry)
    combined = examples.meta_schemas().combine(registry)
    built: Any = Draft202012Validator
    given_resolver = built(
        schema,
        registry=registry,
        _resolver=combined.resolver_with_root(DRAFT202012.create_resource(schema)),
    )
    assert given_resolver._resolver == plain._resolver
    assert given_resolver._registry is plain._registry


def test_one_ref_text_from_two_folders_resolves_to_each_folders_file(tmp_path: Path) -> None:
    """The $ref memo is per referring file: the same text from two folders means two files (a
    memo keyed by the text alone would answer the second folder with the first one's file)."""
    for name, title in (("a", "From A"), ("b", "From B")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "common.yaml").write_text(
            f"components:\n  schemas:\n    Shared:\n      type: object\n      title: {title}\n",
            encoding="utf-8",
        )
        (folder / "op.yaml").write_text(
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n"
            "  schemas:\n    Uses:\n      $ref: 'common.yaml#/components/schemas/Shared'\n",
            encoding="utf-8",
        )
    specs = load_specs([tmp_path / "a", tmp_path / "b"])
    titles = {}
    for doc in specs.documents.values():
        if doc.path.name != "op.yaml":
            continue
        for pointer, ref in doc.refs:
            for _ in range(2):  # a miss, then a memo hit
                found_doc, _found, value = specs.resolve(doc, ref, at=pointer)
                assert found_doc.path == doc.path.parent / "common.yaml"
                titles[doc.path.parent.name] = value["title"]
    assert titles == {"a": "From A", "b": "From B"}
