"""The sandbox's routes, built from the specs: one :class:`Operation` per path + method.

Nothing here is written per endpoint: the path template becomes a matcher, the security requirement
an accepted Authorization scheme, the request body and path parameter schemas validators, and the
documented 2xx response (its example, or an empty body for 204) the answer.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator

from ..loader import Location, Problem, SpecSet
from ..protocol import BRAND_SCHEME, JSON_MEDIA, MERCHANT_SCHEME, PATH_PLACEHOLDER, placeholders
from ..shapes import DIGEST_FIELD, FILE_FIELD, file_answer_of, sensitive_paths, upload_of
from ..spec_model import Node
from ..spec_model import Operation as SpecOperation
from .schemas import SchemaSet


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


FieldPath = tuple[str | None, ...]


@dataclass(frozen=True)
class QueryParam:
    name: str
    required: bool
    kind: str | None  # "integer", "number", "boolean" or None (a string)
    validator: Draft202012Validator | None


@dataclass(frozen=True)
class UploadSpec:
    signed_part: str  # meta
    file_part: str  # file
    digest_field: str  # sha256
    meta_validator: Draft202012Validator | None


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
    query: tuple[QueryParam, ...] = ()
    upload: UploadSpec | None = None
    sensitive_request: tuple[FieldPath, ...] = ()
    sensitive_response: tuple[FieldPath, ...] = ()
    unsigned: bool = False  # the answer is a file WeChat Pay does not sign
    answer_type: str = ""  # the file answer's media type ("" for JSON)

    @property
    def signature_type(self) -> str:
        """What Wechatpay-Signature-Type says on this operation's responses."""
        return BRAND_SCHEME if any(a.is_brand for a in self.auth) else MERCHANT_SCHEME

    @property
    def is_brand(self) -> bool:
        return any(a.is_brand for a in self.auth)


def certificates_operation() -> Operation:
    """``GET /v3/certificates``, which the sandbox serves whether or not a spec describes it."""
    return Operation(
        operation_id="download_certificates",
        method="GET",
        template="/v3/certificates",
        location=Location("<sandbox>", 1, 1),
        auth=(AuthRequirement(MERCHANT_SCHEME, "mchid"),),
        serial_required=False,
        params=(),
        body_validator=None,
        body_required=False,
        takes_body=False,
        status=200,
        example=b"",
        pattern=template_pattern("/v3/certificates"),
    )


def template_pattern(template: str) -> re.Pattern[str]:
    """``/a/{id}/b`` -> a regex for the raw (percent-encoded) path, one segment per parameter."""
    out: list[str] = []
    pos = 0
    for match in PATH_PLACEHOLDER.finditer(template):
        out.append(re.escape(template[pos : match.start()]))
        out.append(f"(?P<p{len(out)}>[^/]+)")
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out))


def template_names(template: str) -> list[str]:
    return [m.group(1) for m in PATH_PLACEHOLDER.finditer(template)]


def _json_default(value: object) -> str:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class _Builder:
    """Reads the spec model once, collecting operations and problems."""

    def __init__(self, specs: SpecSet) -> None:
        self.specs = specs
        self.model = specs.model()
        self.schemas = SchemaSet((doc.path, doc.data) for doc in specs.documents.values())
        self.problems: list[Problem] = []

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(node.problem(message))

    def deref(self, node: Node) -> Node:
        """Follow ``$ref`` chains to the object they name (raw None, and a problem, if broken)."""
        target, problems = self.model.deref(node)
        self.problems.extend(problems)
        return target if target is not None else Node(node.doc, node.pointer, None)

    def build(self) -> list[Operation]:
        operations: list[Operation] = []
        for spec_op in self.model.operations:
            built = self.operation(spec_op)
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

    def operation(self, op: SpecOperation) -> Operation | None:
        before = len(self.problems)
        operation_id = op.operation_id
        if not isinstance(operation_id, str) or not operation_id:
            self.problem(op.node, "operation has no operationId; the sandbox names routes by it")
            operation_id = f"{op.method.upper()} {op.path}"
        auth = self.security(op)
        params, serial_required = self.parameters(op)
        query = self.query_parameters(op)
        takes_body, body_required, body_validator, upload = self.request_body(op)
        status, example, answer_type, unsigned = self.success(op)
        sensitive_request, sensitive_response = self.sensitive(op)
        if len(self.problems) > before:
            return None
        return Operation(
            operation_id=operation_id,
            method=op.method.upper(),
            template=op.path,
            location=op.location,
            auth=auth,
            serial_required=serial_required
            or any(a.is_brand for a in auth)
            or bool(sensitive_request),
            params=params,
            body_validator=body_validator,
            body_required=body_required,
            takes_body=takes_body,
            status=status,
            example=example,
            pattern=template_pattern(op.path),
            query=query,
            upload=upload,
            sensitive_request=sensitive_request,
            sensitive_response=sensitive_response,
            unsigned=unsigned,
            answer_type=answer_type,
        )

    def query_parameters(self, op: SpecOperation) -> tuple[QueryParam, ...]:
        out: list[QueryParam] = []
        for param in op.all_parameters():
            if param.where != "query" or param.node is None or not isinstance(param.name, str):
                continue
            schema = param.node.child("schema")
            kind = None
            validator = None
            if schema.is_mapping:
                found = self.deref(schema).get("type")
                kind = found if found in ("integer", "number", "boolean") else None
                validator = self.schemas.validator(schema.doc.path, schema.pointer)
            out.append(QueryParam(param.name, param.required, kind, validator))
        return tuple(out)

    def sensitive(self, op: SpecOperation) -> tuple[tuple[FieldPath, ...], tuple[FieldPath, ...]]:
        request: list[FieldPath] = []
        if op.request_body is not None and op.request_body.node is not None:
            media = op.request_body.media(JSON_MEDIA)
            if media is not None:
                request, problems = sensitive_paths(self.model, media.schema)
                self.problems.extend(problems)
        response: list[FieldPath] = []
        for answer in op.responses:
            media = answer.media(JSON_MEDIA) if answer.status.startswith("2") else None
            if media is not None:
                found, problems = sensitive_paths(self.model, media.schema)
                self.problems.extend(problems)
                response.extend(found)
        return tuple(request), tuple(dict.fromkeys(response))

    def security(self, op: SpecOperation) -> tuple[AuthRequirement, ...]:
        security = op.security
        if security.node.raw is not None and not isinstance(security.node.raw, list):
            self.problem(security.node, "security must be a list of requirements")
            return ()
        found: list[AuthRequirement] = []
        for used in security.schemes:
            if not used.defined:
                self.problem(
                    _requirement(used.use),
                    f"security scheme {used.name!r} is not in components.securitySchemes",
                )
                continue
            self.problems.extend(used.problems)
            scheme = used.scheme
            if scheme is None:
                self.problem(
                    used.node or used.written,
                    f"x-wechatpay-auth-scheme must be {MERCHANT_SCHEME} or {BRAND_SCHEME}",
                )
                continue
            identity = used.identity or scheme.identity
            found.append(AuthRequirement(scheme.word, str(identity)))
        return tuple(dict.fromkeys(found))

    def parameters(self, op: SpecOperation) -> tuple[tuple[PathParam, ...], bool]:
        declared: dict[tuple[str, str], Node] = {}
        for param in (*op.item_parameters, *op.parameters):
            self.problems.extend(param.problems)
            if param.node is not None and isinstance(param.name, str):
                declared[(str(param.where), param.name.lower())] = param.node
        serial = declared.get(("header", "wechatpay-serial"))
        serial_required = bool(serial is not None and serial.get("required"))
        built: list[PathParam] = []
        for name in placeholders(op.path):
            node = declared.get(("path", name.lower()))
            schema = node.child("schema") if node is not None else None
            if schema is None or not schema.is_mapping:
                built.append(PathParam(name, None, None))
                continue
            kind = self.deref(schema).get("type")
            number_type = kind if kind in ("integer", "number") else None
            validator = self.schemas.validator(schema.doc.path, schema.pointer)
            built.append(PathParam(name, validator, number_type))
        return tuple(built), serial_required

    def request_body(
        self, op: SpecOperation
    ) -> tuple[bool, bool, Draft202012Validator | None, UploadSpec | None]:
        body = op.request_body
        if body is None:
            return False, False, None, None
        self.problems.extend(body.problems)
        if body.node is None or not body.node.is_mapping:
            return False, False, None, None
        upload, problems = upload_of(self.model, body)
        self.problems.extend(problems)
        if upload is not None:
            meta = upload.meta
            spec = UploadSpec(
                upload.signed_part,
                FILE_FIELD,
                DIGEST_FIELD,
                self.schemas.validator(meta.doc.path, meta.pointer),
            )
            return True, True, None, spec
        media = body.media(JSON_MEDIA)
        if media is None or not media.node.is_mapping:
            self.problem(body.node, "requestBody must have application/json content")
            return True, body.required, None, None
        validator = None
        if media.node.has("schema"):
            schema = media.node.child("schema")
            validator = self.schemas.validator(schema.doc.path, schema.pointer)
        return True, body.required, validator, None

    def success(self, op: SpecOperation) -> tuple[int, bytes, str, bool]:
        """(status, example answer, file media type or "", unsigned)."""
        status, example = self.json_success(op)
        for response in op.responses:
            if response.status != str(status) or response.node is None:
                continue
            answer, problems = file_answer_of(self.model, response)
            self.problems.extend(problems)
            if answer is not None:
                found, value = answer.media.example
                if not found or not isinstance(value, str):
                    self.problem(response.node, "the file answer needs a text 'example'")
                    return status, b"", answer.media_type, answer.unsigned
                return status, value.encode("utf-8"), answer.media_type, answer.unsigned
        return status, example, "", False

    def json_success(self, op: SpecOperation) -> tuple[int, bytes]:
        candidates = sorted(
            (int(r.status.upper().replace("XX", "00")), r.status, i)
            for i, r in enumerate(op.responses)
            if r.status.startswith("2")
        )
        if not candidates:
            self.problem(op.node.child("responses"), "no 2xx response; the sandbox answers with it")
            return 200, b""
        status, _, index = candidates[0]
        response = op.responses[index]
        key = response.status
        self.problems.extend(response.problems)
        media = response.media(JSON_MEDIA)
        if status == 204 or media is None or not media.node.is_mapping:
            return status, b""
        where = response.node or response.written
        found, example = media.example
        if not found:
            self.problem(where, f"the {key} response has no example; the sandbox answers with it")
            return status, b""
        try:
            text = json.dumps(
                example, ensure_ascii=False, separators=(",", ":"), default=_json_default
            )
        except (TypeError, ValueError):
            self.problem(where, f"the {key} response example is not JSON data")
            return status, b""
        return status, text.encode("utf-8")


def _requirement(use: Node) -> Node:
    """The requirement object (``security[i]``) a scheme name is written in."""
    return Node(use.doc, use.pointer[:-1], None)


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
            return len(PATH_PLACEHOLDER.sub("", template))

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
