"""Property tests of the generated package against the specs' own schemas.

For every generated model: any instance valid under the spec schema (drawn with
hypothesis-jsonschema from the bundled spec schema, not from the generator's IR) parses, survives
``from_dict(to_dict(x)) == x``, and loses nothing (unknown fields come back; date-times come back
as the same instant). For every operation with a body: valid arguments pass
``_operations.prepare_<op>`` and become exactly the wire body; arguments with one rule broken
raise ``RequestValidationError`` naming the field, and never anything else. Response models fed
broken data raise ``APIResponseValidationError`` or parse leniently, never anything else.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import wechatpay_marketing
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from wechatpay_codegen.build_ir import build_ir
from wechatpay_marketing import _operations, _validators, enums, models
from wechatpay_marketing._runtime import serde

from . import schemas
from .mutations import Broken, broken, strip_nulls
from .profiles import fuzz

SPECS = schemas.load()
COMPONENTS = schemas.component_schemas(SPECS)
API = build_ir(SPECS)  # only for Python names (wire name -> argument), never as the oracle
OPERATIONS = {op.operation_id: op for op in schemas.operations(SPECS)}
MODELS: dict[str, type[Any]] = {name: getattr(models, name) for name in models.__all__}
IR_MODELS = {m.name: m for m in API.models}
BODY_OPS = sorted(op.operation_id for op in API.operations if op.body_model)

# The big response schemas take longer per example; the budget is the whole CI run.
_BIG = {"StockBundleEntity", "StockEntityInBundle", "UpdateStockBundleRequest"}


def valid(schema: dict[str, Any], *, sendable: bool = False) -> st.SearchStrategy[Any]:
    """Instances hypothesis-jsonschema draws, double-checked with our validator.

    ``sendable``: still valid once ``None`` values are dropped, as the client drops them from
    plain-dict arguments (``{"": None}`` is a valid object with one property; sent, it has none).
    """
    check = schemas.validator(schema).is_valid
    strategy = from_schema(schemas.draft7(schema)).filter(check)
    return strategy.filter(lambda v: check(strip_nulls(v))) if sendable else strategy


def same_wire(got: Any, sent: Any, path: str = "$") -> None:
    """``got`` is ``sent`` (nothing lost or changed), except a date-time may be re-formatted."""
    if isinstance(sent, dict):
        assert isinstance(got, dict) and set(got) == set(sent), (path, got, sent)
        for key in sent:
            same_wire(got[key], sent[key], f"{path}.{key}")
    elif isinstance(sent, list):
        assert isinstance(got, list) and len(got) == len(sent), (path, got, sent)
        for index, (a, b) in enumerate(zip(got, sent, strict=True)):
            same_wire(a, b, f"{path}[{index}]")
    elif isinstance(sent, str) and got != sent:
        when_got, when_sent = serde.parse_datetime(got, path), serde.parse_datetime(sent, path)
        assert isinstance(when_sent, datetime) and when_got == when_sent, (path, got, sent)
    else:
        assert type(got) is type(sent) and got == sent, (path, got, sent)


def test_every_generated_class_has_a_spec_schema() -> None:
    assert set(MODELS) == set(IR_MODELS)
    assert set(MODELS) <= set(COMPONENTS)
    assert set(enums.__all__) <= set(COMPONENTS)
    for name in enums.__all__:
        values = [member.value for member in getattr(enums, name)]
        assert values == COMPONENTS[name]["enum"]
    for name, cls in MODELS.items():
        assert cls._FIELDS == set(COMPONENTS[name].get("properties", {})), name


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_round_trips(name: str) -> None:
    cls = MODELS[name]
    validator = getattr(_validators, IR_MODELS[name].validator, None)
    assert (validator is not None) == IR_MODELS[name].in_request

    @fuzz(ci=8 if name in _BIG else 25, long=500)
    @given(valid(COMPONENTS[name]))
    def prop(wire: dict[str, Any]) -> None:
        model = cls.from_dict(wire)
        out = model.to_dict()
        assert json.loads(json.dumps(out)) == out  # plain JSON, nothing Python-only left in
        same_wire(out, wire)
        again = cls.from_dict(out)
        assert again == model
        assert again.to_dict() == out
        if validator is not None:  # the client's request check agrees with the spec
            sent = strip_nulls(wire)
            if schemas.is_valid(COMPONENTS[name], sent):
                validator(sent, "")
            else:
                with pytest.raises(wechatpay_marketing.RequestValidationError):
                    validator(sent, "")

    prop()


def _arguments(operation_id: str) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """(prepare function, body wire name -> argument name, bundled body schema)."""
    ir_op = next(op for op in API.operations if op.operation_id == operation_id)
    names = {p.wire_name: p.name for p in ir_op.body_params}
    schema = OPERATIONS[operation_id].body_schema
    assert schema is not None
    return getattr(_operations, ir_op.prepare), names, schema


def _path_kwargs(operation_id: str) -> dict[str, str]:
    return dict(OPERATIONS[operation_id].path_examples)


def _kwargs(names: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Every body argument, ``None`` for those the body leaves out (how a caller leaves one out)."""
    return {arg: body.get(wire) for wire, arg in names.items()}


@pytest.mark.parametrize("operation_id", BODY_OPS)
def test_valid_arguments_become_the_wire_body(operation_id: str) -> None:
    prepare, names, schema = _arguments(operation_id)

    @fuzz(ci=15, long=400)
    @given(valid(schema, sendable=True), st.booleans())
    def prop(wire: dict[str, Any], as_models: bool) -> None:
        body = {k: v for k, v in wire.items() if k in names}  # top level: keyword arguments only
        kwargs = _kwargs(names, body)
        if as_models:  # nested objects given as the generated models instead of dicts
            ir_op = next(op for op in API.operations if op.operation_id == operation_id)
            for p in ir_op.body_params:
                if p.type.kind == "model" and kwargs[p.name] is not None:
                    kwargs[p.name] = MODELS[str(p.type.name)].from_dict(kwargs[p.name])
        path_params, sent = prepare(**_path_kwargs(operation_id), **kwargs)
        assert path_params == _path_kwargs(operation_id)
        same_wire(sent, body if as_models else strip_nulls(body))
        assert schemas.is_valid(schema, sent)

    prop()


@pytest.mark.parametrize("operation_id", BODY_OPS)
def test_one_broken_rule_is_a_request_validation_error_naming_the_field(operation_id: str) -> None:
    prepare, names, schema = _arguments(operation_id)

    @fuzz(ci=40, long=1500)
    @given(st.data())
    def prop(data: st.DataObject) -> None:
        wire = data.draw(valid(schema, sendable=True), label="valid body")
        body = {k: v for k, v in wire.items() if k in names}
        bad: Broken = data.draw(broken(schema, body), label="broken")
        assert not schemas.is_valid(schema, strip_nulls(bad.instance)), bad.what
        with pytest.raises(wechatpay_marketing.RequestValidationError) as info:
            prepare(**_path_kwargs(operation_id), **_kwargs(names, bad.instance))
        assert info.value.path in bad.paths, (bad.what, info.value.path, str(info.value))
        assert str(info.value).startswith(info.value.path)

    prop()


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
@pytest.mark.parametrize("value", [None, 12, b"bytes", ["x"]])
def test_bad_path_parameters_are_request_validation_errors(
    operation_id: str, value: object
) -> None:
    ir_op = next(op for op in API.operations if op.operation_id == operation_id)
    prepare = getattr(_operations, ir_op.prepare)
    _, names, _ = _arguments(operation_id) if ir_op.body_model else (None, {}, None)
    example = OPERATIONS[operation_id].body_example or {}
    for param in ir_op.path_params:
        kwargs = {
            p.name: OPERATIONS[operation_id].path_examples[p.wire_name] for p in ir_op.path_params
        }
        kwargs[param.name] = value
        with pytest.raises(wechatpay_marketing.RequestValidationError) as info:
            prepare(**kwargs, **_kwargs(names, example))
        assert info.value.path == param.wire_name


@fuzz(ci=30, long=600)
@given(st.text(min_size=1))
def test_any_path_parameter_text_passes_through_unchanged(value: str) -> None:
    path_params, _ = _operations.prepare_submit_delivery_plan(plan_id=value)
    assert path_params == {"plan_id": value}


RESPONSE_MODELS = sorted(
    {str(op.response_model) for op in API.operations if op.response_model is not None}
)


@pytest.mark.parametrize("name", RESPONSE_MODELS)
def test_broken_responses_fail_only_as_api_response_validation_errors(name: str) -> None:
    cls = MODELS[name]
    schema = COMPONENTS[name]

    @fuzz(ci=10 if name in _BIG else 30, long=600)
    @given(st.data())
    def prop(data: st.DataObject) -> None:
        wire = data.draw(valid(schema), label="valid response")
        bad: Broken = data.draw(broken(schema, wire), label="broken")
        try:
            model = cls.from_dict(bad.instance)
        except wechatpay_marketing.APIResponseValidationError as exc:
            assert any(p and p in str(exc) for p in bad.paths) or "required" in str(exc)
        else:  # lenient by design: unknown enum values, odd date-times, rule-breaking objects
            assert cls.from_dict(model.to_dict()) == model

    prop()


def _rfc3339_reference(text: str) -> datetime | str:
    """RFC 3339 ``YYYY-MM-DDTHH:MM:SS+HH:MM`` read field by field (no library parser): the
    datetime it names, or the text when a field is out of range."""
    try:
        sign = -1 if text[19] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(text[20:22]), minutes=int(text[23:25])))
        return datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            tzinfo=zone,
        )
    except ValueError:
        return text


def _two(top: int) -> st.SearchStrategy[str]:
    return st.integers(0, top).map(lambda n: f"{n:02d}")


@fuzz(ci=300, long=5000)
@given(
    st.tuples(
        st.integers(1, 9999).map(lambda n: f"{n:04d}"),
        _two(13),
        _two(32),
        st.sampled_from("Tt "),
        _two(25),
        _two(61),
        _two(61),
        st.sampled_from("+-"),
        _two(25),
        _two(61),
    )
)
def test_the_usual_date_time_form_parses_as_its_fields_say(parts: tuple[str, ...]) -> None:
    """The form WeChat Pay sends takes a fast path in ``parse_datetime``; in range or not, it
    reads exactly as the fields say (out of range: kept as text)."""
    year, month, day, sep, hour, minute, second, sign, off_h, off_m = parts
    text = f"{year}-{month}-{day}{sep}{hour}:{minute}:{second}{sign}{off_h}:{off_m}"
    got = serde.parse_datetime(text, "when")
    expected = _rfc3339_reference(text)
    assert got == expected and type(got) is type(expected)
    if isinstance(got, datetime):
        assert isinstance(expected, datetime) and got.utcoffset() == expected.utcoffset()
