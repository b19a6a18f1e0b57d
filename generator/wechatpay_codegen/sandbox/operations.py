"""The sandbox's routes, built from the specs: one :class:`Operation` per path + method.

Nothing here is written per endpoint: the path template becomes a matcher, the security requirement
an accepted Authorization scheme, the request body and path parameter schemas validators, and the
documented 2xx response (its example, or an empty body for 204) the answer.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from ..loader import Location, Problem, SpecDocument, SpecLoadError, SpecSet
from .crypto import BRAND_SCHEME, MERCHANT_SCHEME
from .schemas import SchemaSet

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_IDENTITY_FIELDS = {MERCHANT_SCHEME: "mchid", BRAND_SCHEME: "brand_id"}
_TEMPLATE_PARAM = re.compile(r"\{([^{}/]+)\}")

Pointer = tuple[str | int, ...]


class SandboxSpecError(Exception):
    """The specs cannot drive the sandbox; ``problems`` say where (``file:line:col: message``)."""

    def __init__(self, problems: Sequence[Problem], summary: str | None = None) -> None:
        self.problems = list(problems)
        self.lines = [str(p) for p in self.problems] or [summary or "the specs are unusable"]
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class AuthRequirement:
    scheme: str  # MERCHANT_SCHEME or BRAND_SCHEME
    identity_field: str  # "mchid" or "brand_id"

    @property
    def is_brand(self) -> bool:
        return self.scheme == BRAND_SCHEME


@dataclass(frozen=True)
class PathParam:
    name: str
    validator: Draft202012Validator | None
    number_type: str | None  # "integer" / "number" when the schema wants a number


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    template: str
    location: Location  # where the operation is written, for messages
    auth: tuple[AuthRequirement, ...]  # accepted schemes; empty: no Authorization required
    serial_required: bool  # Wechatpay-Serial must be sent (brand operations, or a required header)
    params: tuple[PathParam, ...]
    body_validator: Draft202012Validator | None
    body_required: bool
    takes_body: bool
    status: int
    example: bytes  # the serialized success example; b"" for 204 / no content
    pattern: re.Pattern[str] = field(compare=False, repr=False)

    @property
    def signature_type(self) -> str:
        """What Wechatpay-Signature-Type says on this operation's responses."""
        return BRAND_SCHEME if any(a.is_brand for a in self.auth) else MERCHANT_SCHEME

    @property
    def is_brand(self) -> bool:
        return any(a.is_brand for a in self.auth)


def template_pattern(template: str) -> re.Pattern[str]:
    """``/a/{id}/b`` -> a regex for the raw (percent-encoded) path, one segment per parameter."""
    out: list[str] = []
    pos = 0
    for match in _TEMPLATE_PARAM.finditer(template):
        out.append(re.escape(template[pos : match.start()]))
        out.append(f"(?P<p{len(out)}>[^/]+)")
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out))


def template_names(template: str) -> list[str]:
    return [m.group(1) for m in _TEMPLATE_PARAM.finditer(template)]


def _json_default(value: object) -> str:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class _Builder:
    """Walks the specs once, collecting operations and problems."""

    def __init__(self, specs: SpecSet) -> None:
        self.specs = specs
        self.schemas = SchemaSet((doc.path, doc.data) for doc in specs.documents.values())
        self.problems: list[Problem] = []

    def problem(self, doc: SpecDocument, pointer: Pointer, message: str) -> None:
        self.problems.append(Problem(doc.location(pointer), message))

    def deref(
        self, doc: SpecDocument, pointer: Pointer, value: Any
    ) -> tuple[SpecDocument, Pointer, Any]:
        """Follow ``$ref`` chains to the object they name (None, and a problem, if they break)."""
        try:
            return self.specs.deref(doc, pointer, value)
        except SpecLoadError as exc:
            self.problems.extend(exc.problems)
            return doc, pointer, None

    def build(self) -> list[Operation]:
        operations: list[Operation] = []
        for doc in self.specs.documents.values():
            paths = doc.data.get("paths")
            if not isinstance(paths, dict):
                continue
            for template, raw_item in paths.items():
                item_doc, item_ptr, item = self.deref(doc, ("paths", template), raw_item)
                if not isinstance(item, dict):
                    continue
                for method in HTTP_METHODS:
                    op = item.get(method)
                    if isinstance(op, dict):
                        built = self.operation(
                            item_doc, (*item_ptr, method), str(template), method, op, item
                        )
                        if built is not None:
                            operations.append(built)
        self.check_unique(operations)
        return operations

    def check_unique(self, operations: Sequence[Operation]) -> None:
        ids: dict[str, Operation] = {}
        routes: dict[tuple[str, str], Operation] = {}
        for op in operations:
            first = ids.setdefault(op.operation_id, op)
            if first is not op:
                message = f"operationId {op.operation_id!r} is also used at {first.location}"
                self.problems.append(Problem(op.location, message))
            first = routes.setdefault((op.method, op.template), op)
            if first is not op:
                message = f"{op.method} {op.template} is also defined at {first.location}"
                self.problems.append(Problem(op.location, message))

    def operation(
        self,
        doc: SpecDocument,
        ptr: Pointer,
        template: str,
        method: str,
        op: Mapping[str, Any],
        item: Mapping[str, Any],
    ) -> Operation | None:
        before = len(self.problems)
        operation_id = op.get("operationId")
        if not isinstance(operation_id, str) or not operation_id:
            self.problem(doc, ptr, "operation has no operationId; the sandbox names routes by it")
            operation_id = f"{method.upper()} {template}"
        auth = self.security(doc, ptr, op)
        params, serial_required = self.parameters(doc, ptr, template, op, item)
        takes_body, body_required, body_validator = self.request_body(doc, ptr, op)
        status, example = self.success(doc, ptr, op)
        if len(self.problems) > before:
            return None
        return Operation(
            operation_id=operation_id,
            method=method.upper(),
            template=template,
            location=doc.location(ptr),
            auth=auth,
            serial_required=serial_required or any(a.is_brand for a in auth),
            params=params,
            body_validator=body_validator,
            body_required=body_required,
            takes_body=takes_body,
            status=status,
            example=example,
            pattern=template_pattern(template),
        )

    def security(
        self, doc: SpecDocument, ptr: Pointer, op: Mapping[str, Any]
    ) -> tuple[AuthRequirement, ...]:
        if "security" in op:
            requirements, req_ptr = op["security"], (*ptr, "security")
        else:
            requirements, req_ptr = doc.data.get("security") or [], ("security",)
        if not isinstance(requirements, list):
            self.problem(doc, req_ptr, "security must be a list of requirements")
            return ()
        schemes = (doc.data.get("components") or {}).get("securitySchemes") or {}
        found: list[AuthRequirement] = []
        for index, requirement in enumerate(requirements):
            if not isinstance(requirement, dict):
                continue
            for name in requirement:
                if name not in schemes:
                    self.problem(
                        doc,
                        (*req_ptr, index),
                        f"security scheme {name!r} is not in components.securitySchemes",
                    )
                    continue
                s_doc, s_ptr, scheme = self.deref(
                    doc, ("components", "securitySchemes", name), schemes[name]
                )
                word = scheme.get("x-wechatpay-auth-scheme") if isinstance(scheme, dict) else None
                if word not in _IDENTITY_FIELDS:
                    self.problem(
                        s_doc,
                        s_ptr,
                        f"x-wechatpay-auth-scheme must be {MERCHANT_SCHEME} or {BRAND_SCHEME}",
                    )
                    continue
                identity = scheme.get("x-wechatpay-identity") or _IDENTITY_FIELDS[word]
                found.append(AuthRequirement(word, str(identity)))
        return tuple(dict.fromkeys(found))

    def parameters(
        self,
        doc: SpecDocument,
        ptr: Pointer,
        template: str,
        op: Mapping[str, Any],
        item: Mapping[str, Any],
    ) -> tuple[tuple[PathParam, ...], bool]:
        declared: dict[tuple[str, str], tuple[SpecDocument, Pointer, Mapping[str, Any]]] = {}
        item_ptr = ptr[:-1]
        for base_ptr, params in ((item_ptr, item.get("parameters")), (ptr, op.get("parameters"))):
            for index, raw in enumerate(params or []):
                p_doc, p_ptr, param = self.deref(doc, (*base_ptr, "parameters", index), raw)
                if isinstance(param, dict) and isinstance(param.get("name"), str):
                    declared[(str(param.get("in")), param["name"].lower())] = (p_doc, p_ptr, param)
        serial = declared.get(("header", "wechatpay-serial"))
        serial_required = bool(serial and serial[2].get("required"))
        built: list[PathParam] = []
        for name in template_names(template):
            entry = declared.get(("path", name.lower()))
            if entry is None:
                built.append(PathParam(name, None, None))
                continue
            p_doc, p_ptr, param = entry
            schema = param.get("schema")
            if not isinstance(schema, dict):
                built.append(PathParam(name, None, None))
                continue
            _, _, resolved = self.deref(p_doc, (*p_ptr, "schema"), schema)
            kind = resolved.get("type") if isinstance(resolved, dict) else None
            number_type = kind if kind in ("integer", "number") else None
            validator = self.schemas.validator(p_doc.path, (*p_ptr, "schema"))
            built.append(PathParam(name, validator, number_type))
        return tuple(built), serial_required

    def request_body(
        self, doc: SpecDocument, ptr: Pointer, op: Mapping[str, Any]
    ) -> tuple[bool, bool, Draft202012Validator | None]:
        if "requestBody" not in op:
            return False, False, None
        b_doc, b_ptr, body = self.deref(doc, (*ptr, "requestBody"), op["requestBody"])
        if not isinstance(body, dict):
            return False, False, None
        content = body.get("content") or {}
        media = content.get("application/json")
        if not isinstance(media, dict):
            self.problem(b_doc, b_ptr, "requestBody must have application/json content")
            return True, bool(body.get("required")), None
        validator = None
        if "schema" in media:
            schema_ptr = (*b_ptr, "content", "application/json", "schema")
            validator = self.schemas.validator(b_doc.path, schema_ptr)
        return True, bool(body.get("required")), validator

    def success(self, doc: SpecDocument, ptr: Pointer, op: Mapping[str, Any]) -> tuple[int, bytes]:
        responses = op.get("responses") or {}
        candidates = sorted(
            (int(str(code).upper().replace("XX", "00")), code)
            for code in responses
            if str(code).startswith("2")
        )
        if not candidates:
            self.problem(doc, (*ptr, "responses"), "no 2xx response; the sandbox answers with it")
            return 200, b""
        status, key = candidates[0]
        r_doc, r_ptr, response = self.deref(doc, (*ptr, "responses", key), responses[key])
        media = ((response or {}).get("content") or {}).get("application/json")
        if status == 204 or not isinstance(media, dict):
            return status, b""
        found, example = self.example(r_doc, (*r_ptr, "content", "application/json"), media)
        if not found:
            self.problem(
                r_doc, r_ptr, f"the {key} response has no example; the sandbox answers with it"
            )
            return status, b""
        try:
            text = json.dumps(
                example, ensure_ascii=False, separators=(",", ":"), default=_json_default
            )
        except (TypeError, ValueError):
            self.problem(r_doc, r_ptr, f"the {key} response example is not JSON data")
            return status, b""
        return status, text.encode("utf-8")

    def example(
        self, doc: SpecDocument, ptr: Pointer, media: Mapping[str, Any]
    ) -> tuple[bool, Any]:
        if "example" in media:
            return True, media["example"]
        examples = media.get("examples")
        if isinstance(examples, dict) and examples:
            name = next(iter(examples))
            _, _, entry = self.deref(doc, (*ptr, "examples", name), examples[name])
            if isinstance(entry, dict) and "value" in entry:
                return True, entry["value"]
        schema = media.get("schema")
        if isinstance(schema, dict):
            _, _, resolved = self.deref(doc, (*ptr, "schema"), schema)
            if isinstance(resolved, dict) and "example" in resolved:
                return True, resolved["example"]
        return False, None


def build_operations(specs: SpecSet) -> list[Operation]:
    """Every operation of ``specs``; raises :class:`SandboxSpecError` listing every problem."""
    builder = _Builder(specs)
    operations = builder.build()
    if builder.problems:
        raise SandboxSpecError(builder.problems)
    if not operations:
        raise SandboxSpecError([], "the specs define no operations (no paths with methods)")
    return operations


@dataclass(frozen=True)
class Match:
    operation: Operation | None
    raw_params: dict[str, str]
    allowed: tuple[str, ...]  # for 405: the methods the path does support


class RouteTable:
    """Path template matchers, most literal first; answers "which operation" or 404 / 405."""

    def __init__(self, operations: Sequence[Operation]) -> None:
        by_template: dict[str, dict[str, Operation]] = {}
        for op in operations:
            by_template.setdefault(op.template, {})[op.method] = op

        def literal_length(template: str) -> int:
            return len(_TEMPLATE_PARAM.sub("", template))

        ordered = sorted(by_template, key=lambda t: (-literal_length(t), t))
        self._routes = [(template_pattern(t), template_names(t), by_template[t]) for t in ordered]
        self.operations = tuple(operations)

    def match(self, method: str, raw_path: str) -> Match:
        allowed: list[str] = []
        for pattern, names, methods in self._routes:
            found = pattern.fullmatch(raw_path)
            if found is None:
                continue
            op = methods.get(method)
            if op is not None:
                return Match(op, dict(zip(names, found.groups(), strict=True)), ())
            allowed.extend(m for m in methods if m not in allowed)
        return Match(None, {}, tuple(allowed))
