"""A small valid spec set whose every free-text field, example, enum value and property name is
hostile (see :mod:`.hostile`), and what the generated package must say about each of them.

:func:`spec_sets` draws a :class:`FuzzSpec`: the two YAML documents (``common.yaml`` and one
operation file) plus the expected values, kept apart from the documents so the test compares the
generated package against what was meant, not against what the loader read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from . import hostile

__all__ = ["OPERATION_ID", "FuzzSpec", "spec_sets"]

OPERATION_ID = "fuzz_op"
PATHS = (
    "/v3/fuzz/{thing_id}/items",
    "/v3/fuzz/{thing_id}/it'ems;v=1:@!$&()*+,=~",
    "/v3/fuzz/%E5%88%B8/{thing_id}",
)


@dataclass(frozen=True)
class FuzzSpec:
    common: dict[str, Any]
    operation: dict[str, Any]
    path: str
    summary: str
    description: str
    param_description: str
    param_example: str
    request_description: str
    request_fields: dict[str, str]  # wire name -> description (string properties)
    nested_field: str
    nested_description: str
    enum_description: str
    enum_values: tuple[str, ...]
    enum_descriptions: dict[str, str]
    pattern_field: str
    pattern_value: str
    request_example: dict[str, Any]
    response_field: str
    response_example: dict[str, Any]
    error_code: str
    error_description: str
    error_solution: str
    strings: tuple[
        str, ...
    ]  # every hostile string in the documents, for the "no raw control" check

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "common.yaml").write_text(hostile.to_yaml(self.common), encoding="utf-8")
        (folder / "fuzz_op.yaml").write_text(hostile.to_yaml(self.operation), encoding="utf-8")


def _common(info: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "common", "version": "1.0.0", "description": info},
        "components": {
            "schemas": {
                "ErrorResponse": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            },
            "securitySchemes": {
                "merchant": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": info,
                    "x-wechatpay-auth-scheme": "WECHATPAY2-SHA256-RSA2048",
                    "x-wechatpay-identity": "mchid",
                }
            },
        },
    }


@st.composite
def spec_sets(draw: st.DrawFn, field_names: tuple[str, ...] = ()) -> FuzzSpec:
    """A hostile spec set; ``field_names``: the request properties' names instead of drawn ones."""

    def t() -> str:
        return draw(
            hostile.text | hostile.long_text if draw(st.integers(0, 19)) == 0 else hostile.text
        )

    path = draw(st.sampled_from(PATHS))
    field_count = draw(st.integers(1, 4))
    # "f<i>_" keeps the Python names apart after sanitizing; the rest is hostile ASCII.
    names = field_names or [f"f{i}_{draw(hostile.ascii_text)}" for i in range(field_count)]
    fields = {name: t() for name in names}
    nested_field = f"n_{draw(hostile.ascii_text)}"
    pattern_field = f"p_{draw(hostile.ascii_text)}"
    pattern_value = draw(hostile.text)
    values = tuple(f"V{i}_{draw(hostile.ascii_text)}" for i in range(draw(st.integers(1, 4))))
    enum_descriptions = {v: t() for v in values if draw(st.booleans())}
    response_field = f"r_{draw(hostile.ascii_text)}"
    strings = {name: t() for name in ("summary", "description", "param", "request", "nested")}
    strings |= {name: t() for name in ("enum", "error", "solution", "info", "title")}
    param_example = draw(hostile.text.map(lambda s: s or "."))
    error_code = draw(hostile.text)

    request_example: dict[str, Any] = {name: draw(hostile.text) for name in fields}
    request_example[pattern_field] = pattern_value
    request_example["kind"] = values[0]
    request_example["nested"] = {nested_field: draw(hostile.text)}
    request_example["tags"] = draw(st.lists(hostile.text, max_size=3))
    response_example = {response_field: draw(hostile.text), "kind": values[-1]}

    schemas: dict[str, Any] = {
        "FuzzRequest": {
            "type": "object",
            "title": strings["title"],
            "description": strings["request"],
            "required": [next(iter(fields))],
            "properties": {
                **{name: {"type": "string", "description": d} for name, d in fields.items()},
                pattern_field: {
                    "type": "string",
                    "pattern": "^" + re.escape(pattern_value) + "$",
                },
                "kind": {"$ref": "#/components/schemas/FuzzKind"},
                "nested": {"$ref": "#/components/schemas/FuzzNested"},
                "tags": {"type": "array", "items": {"type": "string", "title": strings["title"]}},
            },
        },
        "FuzzNested": {
            "type": "object",
            "description": strings["nested"],
            "properties": {nested_field: {"type": "string", "description": strings["nested"]}},
        },
        "FuzzKind": {
            "type": "string",
            "description": strings["enum"],
            "enum": list(values),
            **({"x-enum-descriptions": enum_descriptions} if enum_descriptions else {}),
        },
        "FuzzResponse": {
            "type": "object",
            "required": [response_field],
            "properties": {
                response_field: {"type": "string", "description": strings["title"]},
                "kind": {"$ref": "#/components/schemas/FuzzKind"},
            },
        },
    }
    operation = {
        "operationId": OPERATION_ID,
        "summary": strings["summary"],
        "description": strings["description"],
        "security": [{"merchant": []}],
        "x-rate-limit": {"limit": 20, "per": "second"},
        "parameters": [
            {
                "name": "thing_id",
                "in": "path",
                "required": True,
                "description": strings["param"],
                "schema": {"type": "string"},
                "example": param_example,
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/FuzzRequest"},
                    "example": request_example,
                }
            },
        },
        "responses": {
            "200": {
                "description": strings["title"],
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/FuzzResponse"},
                        "example": response_example,
                    }
                },
            },
            "400": {
                "description": strings["error"],
                "content": {
                    "application/json": {
                        "schema": {"$ref": "common.yaml#/components/schemas/ErrorResponse"}
                    }
                },
                "x-wechatpay-error-codes": [
                    {
                        "code": error_code,
                        "description": strings["error"],
                        "solution": strings["solution"],
                    }
                ],
            },
        },
    }
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": strings["title"],
            "version": "1.0.0",
            "description": strings["info"],
        },
        "servers": [{"url": "https://api.mch.weixin.qq.com", "description": strings["info"]}],
        "paths": {path: {"patch": operation}},
        "components": {
            "securitySchemes": {
                "merchant": {"$ref": "common.yaml#/components/securitySchemes/merchant"}
            },
            "schemas": schemas,
        },
    }
    return FuzzSpec(
        common=_common(strings["info"]),
        operation=document,
        path=path,
        summary=strings["summary"],
        description=strings["description"],
        param_description=strings["param"],
        param_example=param_example,
        request_description=strings["request"],
        request_fields=fields,
        nested_field=nested_field,
        nested_description=strings["nested"],
        enum_description=strings["enum"],
        enum_values=values,
        enum_descriptions=enum_descriptions,
        pattern_field=pattern_field,
        pattern_value=pattern_value,
        request_example=request_example,
        response_field=response_field,
        response_example=response_example,
        error_code=error_code,
        error_description=strings["error"],
        error_solution=strings["solution"],
        strings=tuple(strings.values()),
    )
