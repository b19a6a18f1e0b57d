"""Naming rules (naming.py) and how build_ir reports names that collide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from wechatpay_codegen.build_ir import build_ir
from wechatpay_codegen.loader import SpecLoadError, load_specs
from wechatpay_codegen.naming import (
    Namespace,
    NamingError,
    attribute_name,
    class_name,
    constant_name,
    escape,
    is_identifier,
    method_name,
    snake_case,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("modify_budget", "modify_budget"),
        ("modifyBudget", "modify_budget"),
        ("Modify-Budget", "modify_budget"),
        ("HTTPCode", "http_code"),
        ("v3Api", "v3_api"),
        ("update stock.bundle", "update_stock_bundle"),
        ("3ds_query", "n3ds_query"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert snake_case(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("StockBundleEntity", "StockBundleEntity"),
        ("stock_bundle", "StockBundle"),
        ("WeChatPay", "WeChatPay"),
        ("coupon-display info", "CouponDisplayInfo"),
        ("3DInfo", "N3DInfo"),
    ],
)
def test_class_name(name: str, expected: str) -> None:
    assert class_name(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PLAN_CREATING", "PLAN_CREATING"),
        ("mini-program", "MINI_PROGRAM"),
        ("planCreating", "PLAN_CREATING"),
        ("Color010", "COLOR010"),
        ("3D", "N3D"),
        ("a b", "A_B"),
    ],
)
def test_constant_name(value: str, expected: str) -> None:
    assert constant_name(value) == expected


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("plan_id", "plan_id"),
        ("planName", "planName"),  # wire names are kept, not re-cased
        ("x-ray", "x_ray"),
        ("class", "class_"),  # keyword
        ("from", "from_"),
        ("type", "type_"),  # builtin
        ("id", "id_"),
        ("3ds_info", "n3ds_info"),
        ("_private", "private_"),  # never a private-looking or mangled attribute
        ("__init__", "init___"),
    ],
)
def test_attribute_name(wire: str, expected: str) -> None:
    assert attribute_name(wire) == expected
    assert is_identifier(attribute_name(wire))


def test_reserved_names_are_escaped() -> None:
    assert attribute_name("timeout", frozenset({"timeout"})) == "timeout_"
    assert method_name("close", frozenset({"close"})) == "close_"
    assert escape("match") == "match"  # soft keywords are fine as names
    assert escape("None") == "None_"


@pytest.mark.parametrize("bad", ["名称", "", "---", "caf\u00e9"])
def test_names_without_ascii_letters_are_refused(bad: str) -> None:
    with pytest.raises(NamingError):
        attribute_name(bad)
    with pytest.raises(NamingError):
        class_name(bad)


def test_namespace_reports_both_claimants() -> None:
    space: Namespace[str] = Namespace()
    assert space.claim("x_ray", "x-ray") is None
    collision = space.claim("x_ray", "x_ray")
    assert collision is not None
    assert (collision.python_name, collision.first, collision.second) == ("x_ray", "x-ray", "x_ray")


# -- collisions found while building the IR ----------------------------------------------------

COMMON = {
    "openapi": "3.1.0",
    "info": {"title": "common", "version": "1"},
    "components": {
        "securitySchemes": {
            "merchant": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "x-wechatpay-auth-scheme": "WECHATPAY2-SHA256-RSA2048",
                "x-wechatpay-identity": "mchid",
            }
        }
    },
}


def _operation(operation_id: str, body: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": operation_id, "version": "1"},
        "paths": {
            f"/v3/{operation_id}": {
                "post": {
                    "operationId": operation_id,
                    "security": [{"merchant": []}],
                    "requestBody": {"content": {"application/json": {"schema": body}}},
                    "responses": {"204": {"description": "No Content"}},
                }
            }
        },
        "components": {
            "securitySchemes": {
                "merchant": {"$ref": "common.yaml#/components/securitySchemes/merchant"}
            },
            "schemas": schemas,
        },
    }


def _build(tmp_path: Path, *operations: dict[str, Any]) -> list[str]:
    (tmp_path / "common.yaml").write_text(yaml.safe_dump(COMMON), encoding="utf-8")
    for op in operations:
        op_id = next(iter(op["paths"].values()))["post"]["operationId"]
        (tmp_path / f"{op_id}.yaml").write_text(
            yaml.safe_dump(op, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    with pytest.raises(SpecLoadError) as info:
        build_ir(load_specs([tmp_path]))
    return [str(p) for p in info.value.problems]


def _position(path: Path, key: str) -> str:
    """``file:line:col`` of ``key:`` in a written spec (1-based), found by text search."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith(f"{key}:"):
            return f"{path}:{number}:{len(line) - len(stripped) + 1}"
    raise AssertionError(f"{key} not in {path}")


def test_two_wire_names_becoming_one_attribute_is_an_error(tmp_path: Path) -> None:
    body = {
        "type": "object",
        "properties": {"x-ray": {"type": "string"}, "x_ray": {"type": "string"}},
    }
    problems = _build(tmp_path, _operation("scan", body, {}))
    assert len(problems) == 1
    # Reported at the second property, naming both spec names and the Python name.
    assert problems[0].startswith(_position(tmp_path / "scan.yaml", "x_ray") + ": ")
    assert "'x-ray'" in problems[0] and _position(tmp_path / "scan.yaml", "x-ray") in problems[0]
    assert "Python name 'x_ray'" in problems[0]


def test_enum_values_becoming_one_member_is_an_error(tmp_path: Path) -> None:
    schemas = {"Mode": {"type": "string", "enum": ["mini-program", "MINI_PROGRAM"]}}
    body = {"type": "object", "properties": {"mode": {"$ref": "#/components/schemas/Mode"}}}
    problems = _build(tmp_path, _operation("pick", body, schemas))
    assert len(problems) == 1
    assert "'MINI_PROGRAM'" in problems[0] and "'mini-program'" in problems[0]
    assert "pick.yaml:" in problems[0]


def test_argument_clashing_with_an_escaped_option_is_an_error(tmp_path: Path) -> None:
    # "timeout" becomes timeout_ (the per-call option owns "timeout"), and so does "timeout_".
    body = {
        "type": "object",
        "properties": {"timeout": {"type": "integer"}, "timeout_": {"type": "integer"}},
    }
    problems = _build(tmp_path, _operation("wait", body, {}))
    assert any("'timeout_'" in p and "'timeout'" in p for p in problems)


def test_two_schemas_becoming_one_class_is_an_error(tmp_path: Path) -> None:
    schemas = {
        "plan_state": {"type": "string", "enum": ["A"]},
        "PlanState": {"type": "string", "enum": ["B"]},
    }
    body = {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/components/schemas/plan_state"},
            "b": {"$ref": "#/components/schemas/PlanState"},
        },
    }
    problems = _build(tmp_path, _operation("plan", body, schemas))
    assert len(problems) == 1
    assert "'PlanState'" in problems[0] and "'plan_state'" in problems[0]


def test_two_operations_becoming_one_method_is_an_error(tmp_path: Path) -> None:
    body = {"type": "object", "properties": {"a": {"type": "string"}}}
    problems = _build(
        tmp_path, _operation("modify_budget", body, {}), _operation("modifyBudget", body, {})
    )
    assert any("'modify_budget'" in p and "'modifyBudget'" in p for p in problems)


def test_non_ascii_wire_name_is_reported_at_its_line(tmp_path: Path) -> None:
    body = {"type": "object", "properties": {"名称": {"type": "string"}}}
    problems = _build(tmp_path, _operation("name", body, {}))
    assert len(problems) == 1
    assert problems[0].startswith(_position(tmp_path / "name.yaml", "名称") + ": ")
    assert "non-ASCII" in problems[0]


def test_attribute_named_like_a_class_is_an_error(tmp_path: Path) -> None:
    schemas = {"Size": {"type": "object", "properties": {"w": {"type": "integer"}}}}
    body = {"type": "object", "properties": {"Size": {"$ref": "#/components/schemas/Size"}}}
    problems = _build(tmp_path, _operation("resize", body, schemas))
    assert len(problems) == 1
    assert problems[0].startswith(_position(tmp_path / "resize.yaml", "Size") + ": ")
    assert "attribute 'Size' of ResizeRequest has the name of the class 'Size'" in problems[0]


def test_names_used_by_the_model_module_are_escaped(tmp_path: Path) -> None:
    (tmp_path / "common.yaml").write_text(yaml.safe_dump(COMMON), encoding="utf-8")
    body = {
        "type": "object",
        "properties": {
            "datetime": {"type": "string"},
            "dataclasses": {"type": "string"},
            "to_dict": {"type": "string"},
            "field": {"type": "string"},
        },
    }
    (tmp_path / "stamp.yaml").write_text(
        yaml.safe_dump(_operation("stamp", body, {}), sort_keys=False)
    )
    model = build_ir(load_specs([tmp_path])).model("StampRequest")
    assert [f.name for f in model.fields] == ["datetime_", "dataclasses_", "to_dict_", "field"]
