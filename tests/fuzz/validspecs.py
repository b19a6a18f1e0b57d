"""Valid spec sets, drawn: every shape of operation and every schema keyword the generator supports.

:func:`spec_sets` draws ``{file name: document}``: ``common.yaml`` (the error body and the two
security schemes) plus one to three operation files. An operation has any method, zero to two
path placeholders, either auth scheme, a JSON request body or none (so some operations have no
parameters at all), and a 200 answer with a model or a 204. Its schemas use every keyword in
``schema_keywords.SUPPORTED`` somewhere (types, formats, lengths, patterns, ranges, array sizes,
enums by ``$ref``, nested models, free-form objects, ``not: {required}``, ``dependentRequired``,
property counts, ``additionalProperties: false``) and a few annotations. Names are distinct per
draw (a file's schemas are prefixed with its operation's class name), so every draw is valid.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["COMMON", "KEYWORDS_DRAWN", "spec_sets"]

COMMON: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "common", "version": "1.0.0"},
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
                "x-wechatpay-auth-scheme": "WECHATPAY2-SHA256-RSA2048",
                "x-wechatpay-identity": "mchid",
            },
            "brand": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "x-wechatpay-auth-scheme": "WECHATPAY-BRAND-SHA256-RSA2048",
                "x-wechatpay-identity": "brand_id",
            },
        },
    },
}

# Keywords the strategy writes (the test checks this covers schema_keywords.SUPPORTED).
KEYWORDS_DRAWN = frozenset(
    {
        "$ref",
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "format",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "uniqueItems",
        "not",
        "dependentRequired",
        "minProperties",
        "maxProperties",
        "additionalProperties",
        "description",
        "title",
        "deprecated",
    }
)

_WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")
_METHODS = ("get", "post", "put", "patch", "delete")


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


@st.composite
def _scalar(draw: st.DrawFn, prefix: str, schemas: dict[str, Any]) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ("string", "datetime", "integer", "number", "boolean", "enum", "array", "object")
        )
    )
    if kind == "string":
        schema: dict[str, Any] = {"type": "string"}
        low = draw(st.none() | st.integers(0, 4))
        if low is not None:
            schema["minLength"] = low
        if draw(st.booleans()):
            schema["maxLength"] = (low or 0) + draw(st.integers(1, 30))
        if draw(st.booleans()):
            schema["pattern"] = draw(st.sampled_from(("^[0-9]+$", "^[A-Za-z_]*$", "x")))
        return schema
    if kind == "datetime":
        return {"type": "string", "format": "date-time"}
    if kind in ("integer", "number"):
        schema = {"type": kind}
        low = draw(st.integers(-5, 5))
        bounds = draw(st.sampled_from(("inclusive", "exclusive", "none")))
        if bounds == "inclusive":
            schema.update(minimum=low, maximum=low + draw(st.integers(0, 100)))
        elif bounds == "exclusive":
            schema.update(exclusiveMinimum=low, exclusiveMaximum=low + draw(st.integers(2, 100)))
        return schema
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "enum":
        name = f"{prefix}Kind{len(schemas)}"
        values = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4, unique=True))
        schemas[name] = {"type": "string", "enum": [v.upper() for v in values]}
        return {"$ref": f"#/components/schemas/{name}"}
    if kind == "array":
        items = draw(_scalar(prefix, schemas).filter(lambda s: s.get("type") != "array"))
        schema = {"type": "array", "items": items}
        if draw(st.booleans()):
            schema["minItems"] = draw(st.integers(0, 2))
            schema["maxItems"] = schema["minItems"] + draw(st.integers(0, 5))
        if draw(st.booleans()):
            schema["uniqueItems"] = True
        return schema
    if draw(st.booleans()):
        return {"type": "object", "description": "free-form"}
    name = f"{prefix}Part{len(schemas)}"
    schemas[name] = {"type": "object", "properties": {"note": {"type": "string"}}}
    return {"$ref": f"#/components/schemas/{name}"}


@st.composite
def _model(draw: st.DrawFn, name: str, schemas: dict[str, Any], *, rules: bool) -> None:
    """Adds the object schema ``name`` (and what it references) to ``schemas``."""
    wires = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=5, unique=True))
    properties = {wire: draw(_scalar(name, schemas)) for wire in wires}
    for wire in wires:
        if draw(st.booleans()):
            properties[wire]["description"] = f"【{wire}】 the {wire}"
    schema: dict[str, Any] = {"type": "object", "title": name, "properties": properties}
    required = draw(st.lists(st.sampled_from(wires), unique=True))
    if required:
        schema["required"] = required
    optional = [w for w in wires if w not in required]
    if rules and len(optional) >= 2 and draw(st.booleans()):
        schema["not"] = {"required": optional[:2]}
    if rules and len(wires) >= 2 and draw(st.booleans()):
        schema["dependentRequired"] = {wires[0]: [wires[1]]}
    if rules and draw(st.booleans()):
        schema["minProperties"] = 0
        schema["maxProperties"] = len(wires)
    if draw(st.booleans()):
        schema["additionalProperties"] = False
    if draw(st.booleans()):
        schema["deprecated"] = False
    schemas[name] = schema


@st.composite
def _operation(draw: st.DrawFn, index: int) -> tuple[str, dict[str, Any]]:
    operation_id = f"op{index}_" + draw(st.sampled_from(_WORDS))
    prefix = _pascal(operation_id)
    method = draw(st.sampled_from(_METHODS))
    names = draw(
        st.lists(st.sampled_from(("thing_id", "part_no", "sub_id")), max_size=2, unique=True)
    )
    path = f"/v3/op{index}" + "".join(f"/x/{{{n}}}" for n in names)
    schemas: dict[str, Any] = {}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": f"operation {index}",
        "security": [{draw(st.sampled_from(("merchant", "brand"))): []}],
        "responses": {},
    }
    if names:
        operation["parameters"] = [
            {
                "name": n,
                "in": "path",
                "required": True,
                "description": f"the {n}",
                "schema": {"type": draw(st.sampled_from(("string", "integer")))},
            }
            for n in names
        ]
    if method != "get" and draw(st.booleans()):
        draw(_model(f"{prefix}Request", schemas, rules=True))
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{prefix}Request"}}
            },
        }
    if draw(st.booleans()):
        draw(_model(f"{prefix}Response", schemas, rules=False))
        operation["responses"]["200"] = {
            "description": "OK",
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{prefix}Response"}}
            },
        }
    else:
        operation["responses"]["204"] = {"description": "No Content"}
    operation["responses"]["400"] = {
        "description": "bad request",
        "content": {
            "application/json": {
                "schema": {"$ref": "common.yaml#/components/schemas/ErrorResponse"}
            }
        },
        "x-wechatpay-error-codes": [
            {"code": "PARAM_ERROR", "description": "bad parameter", "solution": "fix it"}
        ],
    }
    if draw(st.booleans()):
        operation["x-rate-limit"] = {"limit": draw(st.integers(1, 100)), "per": "second"}
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": operation_id, "version": "1.0.0"},
        "paths": {path: {method: operation}},
        "components": {
            "securitySchemes": {
                "merchant": {"$ref": "common.yaml#/components/securitySchemes/merchant"},
                "brand": {"$ref": "common.yaml#/components/securitySchemes/brand"},
            },
        },
    }
    if schemas:
        document["components"]["schemas"] = schemas
    return f"{operation_id}.yaml", document


@st.composite
def spec_sets(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    count = draw(st.integers(1, 3))
    files: dict[str, dict[str, Any]] = {"common.yaml": COMMON}
    for index in range(count):
        name, document = draw(_operation(index))
        files[name] = document
    return files
