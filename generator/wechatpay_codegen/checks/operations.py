"""Operations: operationIds (snake_case, unique, not a keyword), security schemes and requirements
(a known auth scheme, its identity, one scheme per operation), request body media types, and
path parameters against the path template.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..loader import Pointer, Problem, SpecDocument, SpecSet
from ..naming import NamingError, snake_case
from ..protocol import AUTH_SCHEMES, HTTP_METHODS, JSON_MEDIA, placeholders
from ..shapes import MULTIPART_MEDIA
from .common import deref, mapping, short

_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class _Operation:
    doc: SpecDocument
    path: str
    method: str
    pointer: Pointer  # ('paths', path, method)
    data: dict[str, Any]
    item: dict[str, Any]  # the path item (for path-level parameters)
    item_doc: SpecDocument
    item_pointer: Pointer

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def read_operations(specs: SpecSet, docs: list[SpecDocument]) -> Iterator[_Operation]:
    for doc in docs:
        for path, item in mapping(doc.data.get("paths")).items():
            resolved = deref(specs, doc, ("paths", path), item)
            if resolved is None or not isinstance(resolved[2], dict):
                continue
            item_doc, item_pointer, item_data = resolved
            for method in HTTP_METHODS:
                operation = item_data.get(method)
                if isinstance(operation, dict):
                    yield _Operation(
                        doc,
                        path,
                        method,
                        ("paths", path, method),
                        operation,
                        item_data,
                        item_doc,
                        item_pointer,
                    )


def check_operation_ids(operations: list[_Operation]) -> list[Problem]:
    problems: list[Problem] = []
    first_use: dict[str, _Operation] = {}
    for op in operations:
        op_id = op.data.get("operationId")
        where = (*op.pointer, "operationId")
        if op_id is None:
            problems.append(
                op.doc.problem(
                    op.pointer,
                    f"operation {op.label} has no operationId; add one in snake_case "
                    "(it becomes the client method name)",
                )
            )
            continue
        if not isinstance(op_id, str):
            continue  # the OpenAPI schema check reports the type
        if not _SNAKE.fullmatch(op_id):
            try:
                suggestion = snake_case(op_id)
            except NamingError:
                suggestion = ""
            hint = f"write it as {suggestion}" if _SNAKE.fullmatch(suggestion) else "use snake_case"
            problems.append(
                op.doc.problem(where, f"operationId {op_id!r} is not snake_case; {hint}")
            )
        elif keyword.iskeyword(op_id) or keyword.issoftkeyword(op_id):
            problems.append(
                op.doc.problem(
                    where, f"operationId {op_id!r} is a Python keyword; choose another name"
                )
            )
        earlier = first_use.setdefault(op_id, op)
        if earlier is not op:
            problems.append(
                op.doc.problem(
                    where,
                    f"operationId {op_id!r} is already used by {earlier.label} at "
                    f"{earlier.doc.location((*earlier.pointer, 'operationId'))}; "
                    "operationIds must be unique",
                )
            )
    return problems


def _scheme_names() -> str:
    return " or ".join(AUTH_SCHEMES)


def check_security_schemes(docs: list[SpecDocument]) -> list[Problem]:
    """Each security scheme defined in place: a known auth scheme, the matching identity."""
    problems: list[Problem] = []
    for doc in docs:
        schemes = mapping(mapping(doc.data.get("components")).get("securitySchemes"))
        for name, scheme in schemes.items():
            if not isinstance(scheme, dict) or "$ref" in scheme:
                continue
            base = ("components", "securitySchemes", name)
            auth = scheme.get("x-wechatpay-auth-scheme")
            if auth is None:
                problems.append(
                    doc.problem(
                        base,
                        f"security scheme {name!r} has no x-wechatpay-auth-scheme; "
                        f"set it to {_scheme_names()}",
                    )
                )
                continue
            if not isinstance(auth, str) or auth not in AUTH_SCHEMES:
                problems.append(
                    doc.problem(
                        (*base, "x-wechatpay-auth-scheme"),
                        f"unknown x-wechatpay-auth-scheme {short(auth)}; use {_scheme_names()}",
                    )
                )
                continue
            identity = scheme.get("x-wechatpay-identity")
            if identity is not None and identity != AUTH_SCHEMES[auth].identity:
                problems.append(
                    doc.problem(
                        (*base, "x-wechatpay-identity"),
                        f"x-wechatpay-identity {short(identity)} does not go with {auth}; "
                        f"use {AUTH_SCHEMES[auth].identity}",
                    )
                )
    return problems


def check_security(specs: SpecSet, operations: list[_Operation]) -> list[Problem]:
    problems: list[Problem] = []
    for op in operations:
        req_doc = op.doc
        if "security" in op.data:
            requirements, req_pointer = op.data["security"], (*op.pointer, "security")
        else:  # the document-wide default
            requirements, req_pointer = op.doc.data.get("security"), ("security",)
        named = [
            (name, (*req_pointer, i, name))
            for i, requirement in enumerate(requirements if isinstance(requirements, list) else [])
            if isinstance(requirement, dict)
            for name in requirement
        ]
        if not named:
            problems.append(
                op.doc.problem(
                    op.pointer,
                    f"operation {op.label} has no security requirement; add security: "
                    "[{merchant: []}] or [{brand: []}]",
                )
            )
            continue
        found: set[str] = set()
        schemes = mapping(mapping(req_doc.data.get("components")).get("securitySchemes"))
        for name, pointer in named:
            if name not in schemes:
                problems.append(
                    req_doc.problem(
                        pointer,
                        f"security scheme {name!r} is not defined under "
                        "components.securitySchemes; define it (e.g. $ref "
                        f"'common.yaml#/components/securitySchemes/{name}')",
                    )
                )
                continue
            resolved = deref(specs, req_doc, ("components", "securitySchemes", name), schemes[name])
            if resolved is None or not isinstance(resolved[2], dict):
                continue
            auth = resolved[2].get("x-wechatpay-auth-scheme")
            if isinstance(auth, str) and auth in AUTH_SCHEMES:  # else: reported where defined
                found.add(auth)
        if len(found) > 1:
            problems.append(
                op.doc.problem(
                    req_pointer,
                    f"operation {op.label} allows several signing schemes; the client needs "
                    "exactly one security scheme per operation",
                )
            )
    return problems


def check_request_bodies(specs: SpecSet, operations: list[_Operation]) -> list[Problem]:
    problems: list[Problem] = []
    for op in operations:
        if "requestBody" not in op.data:
            continue
        resolved = deref(specs, op.doc, (*op.pointer, "requestBody"), op.data["requestBody"])
        if resolved is None:
            continue
        body_doc, body_pointer, body = resolved
        for media, media_object in mapping(mapping(body).get("content")).items():
            if media == MULTIPART_MEDIA and "x-wechatpay-signed-part" in mapping(media_object):
                continue  # an upload: its shape is checked where the IR is built (shapes.py)
            if media != JSON_MEDIA:
                problems.append(
                    body_doc.problem(
                        (*body_pointer, "content", media),
                        f"request body media type {media!r} is not supported; use "
                        f"{JSON_MEDIA} (or {MULTIPART_MEDIA} with x-wechatpay-signed-part for an "
                        "upload)",
                    )
                )
    return problems


@dataclass(frozen=True)
class _Parameter:
    doc: SpecDocument
    pointer: Pointer
    name: str
    where: str  # the ``in`` value


def _parameters(
    specs: SpecSet, doc: SpecDocument, pointer: Pointer, value: Any
) -> Iterator[_Parameter]:
    for i, raw in enumerate(value if isinstance(value, list) else []):
        resolved = deref(specs, doc, (*pointer, i), raw)
        if resolved is None or not isinstance(resolved[2], dict):
            continue
        param_doc, param_pointer, param = resolved
        name, where = param.get("name"), param.get("in")
        if isinstance(name, str) and isinstance(where, str):
            yield _Parameter(param_doc, param_pointer, name, where)


def check_path_parameters(specs: SpecSet, operations: list[_Operation]) -> list[Problem]:
    problems: list[Problem] = []
    for op in operations:
        declared: dict[tuple[str, str], _Parameter] = {}
        for param in _parameters(
            specs, op.item_doc, (*op.item_pointer, "parameters"), op.item.get("parameters")
        ):
            declared[(param.name, param.where)] = param
        seen: set[tuple[str, str]] = set()
        for param in _parameters(
            specs, op.doc, (*op.pointer, "parameters"), op.data.get("parameters")
        ):
            key = (param.name, param.where)
            if key in seen:
                problems.append(
                    param.doc.problem(
                        (*param.pointer, "name"),
                        f"{param.where} parameter {param.name!r} is declared twice in "
                        f"{op.label}; remove one",
                    )
                )
            seen.add(key)
            declared[key] = param
        in_template = placeholders(op.path)
        path_params = {name: p for (name, where), p in declared.items() if where == "path"}
        for name in in_template:
            if name not in path_params:
                problems.append(
                    op.doc.problem(
                        ("paths", op.path),
                        f"path {op.path} uses {{{name}}} but {op.label} declares no path "
                        f"parameter {name!r}; add it under parameters (in: path)",
                    )
                )
        for name, param in sorted(path_params.items()):
            if name not in in_template:
                problems.append(
                    param.doc.problem(
                        (*param.pointer, "name"),
                        f"path parameter {name!r} does not appear in the path {op.path}; "
                        f"remove it or add {{{name}}} to the path",
                    )
                )
    return problems
