"""Operations: operationIds (snake_case, unique, not a keyword), security schemes and requirements
(a known auth scheme, its identity, one scheme per operation), request body media types, and
path parameters against the path template.

Every rule reads the spec model (:mod:`..spec_model`): operations, their security, parameters
and request bodies with ``$ref``s followed, each node with its ``file:line:col``.
"""

from __future__ import annotations

import keyword
import re

from ..loader import Problem
from ..naming import NamingError, snake_case
from ..protocol import AUTH_SCHEMES, JSON_MEDIA, placeholders
from ..shapes import MULTIPART_MEDIA, SIGNED_PART
from ..spec_model import Operation, Parameter, SpecModel
from .common import short

__all__ = [
    "check_operation_ids",
    "check_path_parameters",
    "check_request_bodies",
    "check_security",
    "check_security_schemes",
]

_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_AUTH = "x-wechatpay-auth-scheme"
_IDENTITY = "x-wechatpay-identity"


def check_operation_ids(model: SpecModel) -> list[Problem]:
    problems: list[Problem] = []
    first_use: dict[str, Operation] = {}
    for op in model.operations:
        op_id = op.operation_id
        where = op.operation_id_node
        if op_id is None:
            problems.append(
                op.node.problem(
                    f"operation {op.label} has no operationId; add one in snake_case "
                    "(it becomes the client method name)"
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
            problems.append(where.problem(f"operationId {op_id!r} is not snake_case; {hint}"))
        elif keyword.iskeyword(op_id) or keyword.issoftkeyword(op_id):
            problems.append(
                where.problem(f"operationId {op_id!r} is a Python keyword; choose another name")
            )
        earlier = first_use.setdefault(op_id, op)
        if earlier is not op:
            problems.append(
                where.problem(
                    f"operationId {op_id!r} is already used by {earlier.label} at "
                    f"{earlier.operation_id_node.location}; operationIds must be unique"
                )
            )
    return problems


def _scheme_names() -> str:
    return " or ".join(AUTH_SCHEMES)


def check_security_schemes(model: SpecModel) -> list[Problem]:
    """Each security scheme defined in place: a known auth scheme, the matching identity."""
    problems: list[Problem] = []
    for name, scheme in model.security_schemes():
        if not scheme.is_mapping:
            continue
        auth = scheme.get(_AUTH)
        if auth is None:
            problems.append(
                scheme.problem(
                    f"security scheme {name!r} has no {_AUTH}; set it to {_scheme_names()}"
                )
            )
            continue
        if not isinstance(auth, str) or auth not in AUTH_SCHEMES:
            problems.append(
                scheme.child(_AUTH).problem(f"unknown {_AUTH} {short(auth)}; use {_scheme_names()}")
            )
            continue
        identity = scheme.get(_IDENTITY)
        if identity is not None and identity != AUTH_SCHEMES[auth].identity:
            problems.append(
                scheme.child(_IDENTITY).problem(
                    f"{_IDENTITY} {short(identity)} does not go with {auth}; "
                    f"use {AUTH_SCHEMES[auth].identity}"
                )
            )
    return problems


def check_security(model: SpecModel) -> list[Problem]:
    """Every operation names exactly one defined security scheme (its own, or the file's)."""
    problems: list[Problem] = []
    for op in model.operations:
        security = op.security
        if not security.schemes:
            problems.append(
                op.node.problem(
                    f"operation {op.label} has no security requirement; add security: "
                    "[{merchant: []}] or [{brand: []}]"
                )
            )
            continue
        for used in security.schemes:
            if not used.defined:
                problems.append(
                    used.use.problem(
                        f"security scheme {used.name!r} is not defined under "
                        "components.securitySchemes; define it (e.g. $ref "
                        f"'common.yaml#/components/securitySchemes/{used.name}')"
                    )
                )
        # an unknown auth scheme is reported where the scheme is defined
        if len(security.auth) > 1:
            problems.append(
                security.node.problem(
                    f"operation {op.label} allows several signing schemes; the client needs "
                    "exactly one security scheme per operation"
                )
            )
    return problems


def check_request_bodies(model: SpecModel) -> list[Problem]:
    """A request body is JSON, or an upload (multipart with the signed part named)."""
    problems: list[Problem] = []
    for op in model.operations:
        body = op.request_body
        if body is None or body.node is None:
            continue  # no body, or a broken $ref (reported by the reference check)
        for media in body.content:
            if media.media == MULTIPART_MEDIA and media.node.has(SIGNED_PART):
                continue  # an upload: its shape is checked where the IR is built (shapes.py)
            if media.media != JSON_MEDIA:
                problems.append(
                    media.node.problem(
                        f"request body media type {media.media!r} is not supported; use "
                        f"{JSON_MEDIA} (or {MULTIPART_MEDIA} with {SIGNED_PART} for an upload)"
                    )
                )
    return problems


def _declared(parameters: tuple[Parameter, ...]) -> list[tuple[tuple[str, str], Parameter]]:
    """(name, location) of each parameter whose name and ``in`` are strings, in order."""
    out: list[tuple[tuple[str, str], Parameter]] = []
    for param in parameters:
        if param.node is None:
            continue  # a broken $ref: reported by the reference check
        name, where = param.name, param.where
        if isinstance(name, str) and isinstance(where, str):
            out.append(((name, where), param))
    return out


def check_path_parameters(model: SpecModel) -> list[Problem]:
    """No parameter twice; the path parameters are exactly the template's placeholders."""
    problems: list[Problem] = []
    for op in model.operations:
        declared = dict(_declared(op.item_parameters))
        seen: set[tuple[str, str]] = set()
        for key, param in _declared(op.parameters):
            assert param.node is not None
            if key in seen:
                problems.append(
                    param.node.child("name").problem(
                        f"{key[1]} parameter {key[0]!r} is declared twice in {op.label}; "
                        "remove one"
                    )
                )
            seen.add(key)
            declared[key] = param
        in_template = placeholders(op.path)
        path_params = {name: p for (name, where), p in declared.items() if where == "path"}
        for name in in_template:
            if name not in path_params:
                problems.append(
                    op.listed.problem(
                        f"path {op.path} uses {{{name}}} but {op.label} declares no path "
                        f"parameter {name!r}; add it under parameters (in: path)"
                    )
                )
        for name, param in sorted(path_params.items()):
            assert param.node is not None
            if name not in in_template:
                problems.append(
                    param.node.child("name").problem(
                        f"path parameter {name!r} does not appear in the path {op.path}; "
                        f"remove it or add {{{name}}} to the path"
                    )
                )
    return problems
