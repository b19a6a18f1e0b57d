"""Every extension of ours is refused, at its ``file:line:col``, on any kind of object it is not
read on, and accepted on every kind it is (issue 11: placement from ``protocol.EXTENSIONS``).

The expectations come from the one table (``protocol.EXTENSIONS``) and from this test's own spec:
one object of each kind, and every extension written on each in turn.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, get_args

import pytest
from wechatpay_codegen.checks.strictness import misplaced
from wechatpay_codegen.loader import load_specs
from wechatpay_codegen.protocol import EXTENSIONS, PLACE_NAMES, ExtensionPlace
from wechatpay_codegen.validate import validate_specs

_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "Authorization",
    "x-wechatpay-auth-scheme": "WECHATPAY2-SHA256-RSA2048",
    "x-wechatpay-identity": "mchid",
}
SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/v3/things/{thing_id}": {
            "patch": {
                "operationId": "update_thing",
                "security": [{"merchant": []}],
                "parameters": [
                    {
                        "name": "thing_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                    }
                },
                "responses": {"204": {"description": "done"}},
            }
        }
    },
    "webhooks": {
        "THING.DONE": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "x-wechatpay-resource": {
                    "schema": {"$ref": "#/components/schemas/Thing"},
                    "example": {"name": "a"},
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
    "components": {
        "securitySchemes": {"merchant": {k: v for k, v in _SCHEME.items() if "x-" not in k}},
        "schemas": {
            "Thing": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
    },
}
OP = ("paths", "/v3/things/{thing_id}", "patch")
# One object of each kind in SPEC (the security scheme gets its own two extensions added below).
OBJECTS: dict[ExtensionPlace, tuple[str | int, ...]] = {
    "document": (),
    "security-scheme": ("components", "securitySchemes", "merchant"),
    "operation": OP,
    "webhook": ("webhooks", "THING.DONE", "post"),
    "parameter": (*OP, "parameters", 0),
    "media-type": (*OP, "requestBody", "content", "application/json"),
    "response": (*OP, "responses", "204"),
    "schema": ("components", "schemas", "Thing", "properties", "name"),
}
# A value of the right shape for each extension (its checks are not what is tested here).
VALUES: dict[str, Any] = {
    "x-wechatpay-auth-scheme": "WECHATPAY2-SHA256-RSA2048",
    "x-wechatpay-identity": "mchid",
    "x-wechatpay-supplied-by": "runtime",
    "x-wechatpay-error-codes": [{"code": "A", "description": "b", "solution": "c"}],
    "x-wechatpay-unsigned": True,
    "x-wechatpay-signed-part": "meta",
    "x-wechatpay-sensitive": True,
    "x-rate-limit": {"limit": 1, "per": "second"},
    "x-enum-descriptions": {"a": "b"},
    "x-wechatpay-doc-differs": [{"difference": "extra", "reason": "r"}],
    "x-wechatpay-resource": {"schema": {"type": "object"}, "example": {}},
}


def test_the_places_are_the_table_s() -> None:
    assert set(OBJECTS) == set(get_args(ExtensionPlace)) == set(PLACE_NAMES)
    assert set(VALUES) == set(EXTENSIONS)


def _at(data: dict[str, Any], pointer: tuple[str | int, ...]) -> Any:
    node: Any = data
    for key in pointer:
        node = node[key]
    return node


@pytest.mark.parametrize("place", list(OBJECTS))
def test_every_extension_is_refused_where_it_is_not_read(
    place: ExtensionPlace, tmp_path: Path
) -> None:
    data = copy.deepcopy(SPEC)
    data["components"]["securitySchemes"]["merchant"] = dict(_SCHEME)
    target = _at(data, OBJECTS[place])
    for name, value in VALUES.items():
        target.setdefault(name, value)
    (tmp_path / "op.yaml").write_text(json.dumps(data, indent=2), encoding="utf-8")
    specs = load_specs([tmp_path])
    (doc,) = specs.documents.values()
    found = {str(p) for p in validate_specs(specs) if "is not read on" in p.message}
    expected = {
        f"{doc.location((*OBJECTS[place], name))}: {misplaced(extension, place)}"
        for name, extension in EXTENSIONS.items()
        if place not in extension.places
    }
    assert found == expected
    for extension in EXTENSIONS.values():  # the message names where it belongs, from the table
        if place not in extension.places:
            text = misplaced(extension, place)
            assert PLACE_NAMES[place] in text
            assert all(PLACE_NAMES[p] in text for p in extension.places)


def test_an_extension_on_an_object_of_no_kind_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(SPEC)
    data["components"]["securitySchemes"]["merchant"] = dict(_SCHEME)
    data["paths"]["/v3/things/{thing_id}"]["x-wechatpay-sensitive"] = True  # a path item
    (tmp_path / "op.yaml").write_text(json.dumps(data, indent=2), encoding="utf-8")
    specs = load_specs([tmp_path])
    problems = [p for p in validate_specs(specs) if "is not read on" in p.message]
    assert [p.message for p in problems] == [misplaced(EXTENSIONS["x-wechatpay-sensitive"], None)]
    assert "this kind of object" in problems[0].message
