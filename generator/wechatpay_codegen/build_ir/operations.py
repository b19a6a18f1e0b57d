"""OpenAPI operations -> :class:`~..ir.Operation`: path, method name, auth scheme, parameters,
request body (JSON or upload), responses and error rows, rate limit, sensitive fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from .. import ir
from ..naming import Namespace, attribute_name, class_name, constant_name, method_name, snake_case
from ..protocol import AUTH_SCHEMES, JSON_MEDIA, RuntimeScheme, placeholders
from ..shapes import (
    DIGEST_FIELD,
    FILE_FIELD,
    FileAnswer,
    file_answer_of,
    sensitive_paths,
    upload_of,
)
from ..spec_model import Node, Operation, Response
from .base import Claim
from .schemas import SchemaBuilder

# One path segment: RFC 3986 pchar (unreserved, sub-delims, ":", "@", %XX) and {name} placeholders.
# The template is sent as the request target, so anything else (spaces, CR/LF, "?", "#", non-ASCII)
# could change the request line or the URL; "." and ".." segments and empty ones would change
# which resource it names.
_SEGMENT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2}|\{[A-Za-z0-9_.\-]+\})+")

# Names a client method's keyword arguments must not take: the per-call options, and the locals
# of the generated method bodies.
_ARG_RESERVED = frozenset(
    {
        "self",
        "extra_headers",
        "max_retries",
        "timeout",
        "body",
        "path_params",
        "response",
        "query",
        "content",
        "max_response_bytes",
    }
)


@dataclass(frozen=True)
class _Location:
    """Where a parameter the method takes goes in the request (OpenAPI ``in``)."""

    name: Literal["path", "query"]
    kinds: tuple[ir.TypeKind, ...]  # the value types it takes
    kinds_message: str  # the problem when the schema is of another type
    kinds_fix: str  # what to write instead
    always_required: bool = False


_LOCATIONS: dict[str, _Location] = {
    "path": _Location(
        "path",
        ("string", "integer"),
        "path parameters must be strings or integers",
        "give its schema type: string or type: integer",
        always_required=True,
    ),
    "query": _Location(
        "query",
        ("string", "integer", "boolean", "datetime", "enum"),
        "query parameters must be strings, integers, booleans, date-times or string enums",
        "give its schema one of those types (a list or an object goes in the request body)",
    ),
}

# Public attributes of the runtime's client base classes.
_CLIENT_RESERVED = frozenset(
    {
        "aclose",
        "auth_scheme",
        "backup_base_url",
        "base_url",
        "close",
        "max_notification_bytes",
        "max_response_bytes",
        "max_retries",
        "parse_notification",
        "refresh_certificates",
        "with_raw_response",
        "timeout",
    }
)


class OperationBuilder(SchemaBuilder):
    """Operations, on top of the schemas they use."""

    # -- operations ----------------------------------------------------------------------------

    def path_template(self, listed: Node, path: str) -> bool:
        """The path key is a plain URL path: it is sent as the request target verbatim."""
        segments = path.split("/")
        if (
            segments[0] != ""
            or len(segments) < 2
            or any(s in ("", ".", "..") or not _SEGMENT.fullmatch(s) for s in segments[1:])
        ):
            self.refuse(
                listed,
                f"path {path!r} is not a plain URL path",
                "write /segments of letters, digits and -._~!$&'()*+,;=:@ (or %XX) with {name} "
                "placeholders, no empty, '.' or '..' segments",
            )
            return False
        return True

    def build_operation(self, op: Operation) -> ir.Operation | None:
        node = op.node
        path = op.path
        http_method = op.method.upper()
        if not self.path_template(op.listed, path):
            return None
        operation_id = self.text(node, "operationId")
        if not operation_id:
            self.problem(node, "the operation needs an 'operationId'")
            return None
        id_node = op.operation_id_node
        name = self.name_or_problem(id_node, method_name, operation_id, _CLIENT_RESERVED)
        if name is None or not self.claim(self.methods, name, id_node, operation_id):
            return None
        constant = constant_name(operation_id)  # shares _operations.py with imported classes
        if not self.claim(self.classes, constant, id_node, operation_id):
            return None
        auth = self.auth_scheme(op)
        if auth is None:
            return None

        arguments: Namespace[Claim] = Namespace()
        parameters: list[ir.Parameter] = []
        for param, param_node in self.path_parameters(op):
            if self.claim(arguments, param.name, node, param.wire_name):
                parameters.append(param)
                self.arguments[(operation_id, param.name)] = param_node

        body_model, request_example, upload, file_doc = self.request_body(op, operation_id)
        if upload is not None and self.claim(arguments, FILE_FIELD, node, FILE_FIELD):
            parameters.append(
                ir.Parameter(
                    wire_name=FILE_FIELD,
                    name=FILE_FIELD,
                    type=ir.TypeRef("file"),
                    required=True,
                    description=file_doc,
                    location="file",
                )
            )
        if body_model is not None:
            # prepare_<op> calls the body validator by name: no argument may shadow it.
            reserved = _ARG_RESERVED | {body_model.validator}
            for field in body_model.fields:
                if upload is not None and field.wire_name == upload.digest_field:
                    continue  # computed by the runtime from the file
                arg = self.name_or_problem(node, attribute_name, field.wire_name, reserved)
                if arg is None or not self.claim(arguments, arg, node, field.wire_name):
                    continue
                parameters.append(
                    ir.Parameter(
                        wire_name=field.wire_name,
                        name=arg,
                        type=field.type,
                        required=field.required,
                        description=field.description,
                        location="body",
                    )
                )
        parameters.sort(key=lambda p: not p.required)  # stable: spec order within each group

        success_status, response_model, response_example, errors = self.responses(op, operation_id)
        answer = self.file_answer(op, success_status)
        return ir.Operation(
            operation_id=operation_id,
            name=name,
            constant=constant,
            prepare=f"prepare_{snake_case(operation_id)}",
            http_method=http_method,
            path=path,
            auth_scheme=auth,
            parameters=tuple(parameters),
            body_model=body_model.name if body_model is not None else None,
            body_validator=body_model.validator if body_model is not None else None,
            response_model=response_model,
            success_status=success_status,
            errors=errors,
            summary=self.text(node, "summary"),
            description=self.text(node, "description"),
            rate_limit=self.rate_limit(op),
            request_example=request_example,
            response_example=response_example,
            upload=upload,
            response_bytes=answer is not None,
            unsigned_statuses=(success_status,) if answer is not None and answer.unsigned else (),
            sensitive_request=self.sensitive(op, request=True),
            sensitive_response=self.sensitive(op, request=False),
        )

    def file_answer(self, op: Operation, status: int) -> FileAnswer | None:
        for response in op.responses:
            if response.status == str(status) and response.node is not None:
                answer, found = file_answer_of(self.model, response)
                self.refused(found)
                return answer
        return None

    def sensitive(self, op: Operation, *, request: bool) -> tuple[tuple[str | None, ...], ...]:
        """Paths of the x-wechatpay-sensitive fields of the JSON body or the JSON answer."""
        medias = []
        if request:
            if op.request_body is not None:
                medias.append(op.request_body.media(JSON_MEDIA))
        else:
            medias.extend(
                r.media(JSON_MEDIA)
                for r in op.responses
                if r.status.startswith("2") and r.node is not None
            )
        out: list[tuple[str | None, ...]] = []
        for media in medias:
            if media is None or media.schema is None:
                continue
            paths, found = sensitive_paths(self.model, media.schema)
            self.refused(found)
            out.extend(paths)
        return tuple(dict.fromkeys(out))

    def auth_scheme(self, op: Operation) -> RuntimeScheme | None:
        security = op.security
        requirements = list(security.node.elements())
        if (
            not isinstance(security.node.raw, list)
            or len(requirements) != 1
            or len(list(requirements[0].items())) != 1
        ):
            self.problem(
                security.node if security.node.raw is not None else op.node,
                "the operation needs 'security' with exactly one scheme, e.g. [{merchant: []}]",
            )
            return None
        used = security.schemes[0]
        if not used.defined:
            self.problem(
                security.node.child(0), f"security scheme {used.name!r} is not in components"
            )
            return None
        self.problems.extend(used.problems)
        if used.node is None:
            return None
        scheme = used.scheme
        if scheme is None:
            self.problem(
                used.node,
                f"security scheme {used.name!r} needs 'x-wechatpay-auth-scheme': one of "
                + ", ".join(sorted(AUTH_SCHEMES)),
            )
            return None
        return scheme.runtime

    def path_parameters(self, op: Operation) -> list[tuple[ir.Parameter, Node]]:
        """The operation's parameters in the locations of :data:`_LOCATIONS`, in spec order."""
        out: list[tuple[ir.Parameter, Node]] = []
        declared: set[str] = set()
        for spec_param in op.parameters:
            self.problems.extend(spec_param.problems)
            param = spec_param.node
            if param is None or not param.is_mapping:
                continue
            where = spec_param.where
            wire = spec_param.name
            if not isinstance(wire, str):
                self.problem(param, "a parameter needs a 'name'")
                continue
            if spec_param.supplied_by_runtime:
                continue
            location = _LOCATIONS.get(where) if isinstance(where, str) else None
            if location is None:
                self.refuse(
                    param,
                    f"{where} parameter {wire!r} is not supported by the code generator "
                    "(path and query parameters, and headers supplied by the runtime)",
                    "send it as a path or query parameter or in the body; a header the runtime "
                    "sets is marked x-wechatpay-supplied-by: runtime",
                )
                continue
            if where == "path":
                declared.add(wire)
            arg = self.name_or_problem(param, attribute_name, wire, _ARG_RESERVED)
            if arg is None:
                continue
            schema = param.child("schema")
            param_type = (
                self.type_of(schema, class_name(arg)) if schema.raw is not None else None
            ) or ir.TypeRef("string")
            if param_type.kind not in location.kinds:
                self.refuse(schema, location.kinds_message, location.kinds_fix)
                continue
            out.append(
                (
                    ir.Parameter(
                        wire_name=wire,
                        name=arg,
                        type=param_type,
                        required=location.always_required or spec_param.required,
                        description=self.text(param, "description"),
                        location=location.name,
                        example=spec_param.example,
                    ),
                    param,
                )
            )
        in_path = placeholders(op.path)
        for missing in sorted(set(in_path) - declared):
            self.problem(op.node, f"path placeholder {{{missing}}} has no path parameter")
        for extra in sorted(declared - set(in_path)):
            self.problem(
                op.node.child("parameters"), f"path parameter {extra!r} is not in the path"
            )
        return out

    def request_body(
        self, op: Operation, operation_id: str
    ) -> tuple[ir.Model | None, Any, ir.Upload | None, str]:
        """(body model, example, upload, file description); the model is meta's for uploads."""
        body = op.request_body
        if body is None or body.written.raw is None:
            return None, None, None, ""
        self.problems.extend(body.problems)
        if body.node is None:
            return None, None, None, ""
        upload, found = upload_of(self.model, body)
        self.refused(found)
        if upload is not None:
            meta_type = self.type_of(upload.meta, operation_id + "_" + upload.signed_part)
            if meta_type.kind != "model" or meta_type.name not in self.models:
                self.refuse(
                    upload.meta,
                    "the signed part must be an object with properties",
                    f"give it type: object and properties, '{DIGEST_FIELD}' among them",
                )
                return None, None, None, ""
            file_doc = self.deref(upload.file)
            description = self.text(file_doc, "description") if file_doc is not None else ""
            return (
                self.models[meta_type.name],
                None,
                ir.Upload(upload.signed_part, DIGEST_FIELD, upload.file_media_type),
                description,
            )
        if found:
            return None, None, None, ""
        content = body.node.child("content")
        if not content.is_mapping or [m.media for m in body.content] != [JSON_MEDIA]:
            self.refuse(
                content,
                "the request body must have exactly 'application/json' content (or "
                "'multipart/form-data' with x-wechatpay-signed-part for an upload)",
                "keep that one content entry and remove the others",
            )
        media = body.media(JSON_MEDIA)
        if media is None or media.node.raw is None:
            return None, None, None, ""
        schema = media.node.child("schema")
        body_type = self.type_of(schema, operation_id + "_request")
        if body_type.kind != "model" or body_type.name not in self.models:
            self.refuse(
                schema,
                "the request body schema must be an object with properties",
                "give it type: object and properties (a list or a value goes in a property)",
            )
            return None, None, None, ""
        return self.models[body_type.name], media.node.get("example"), None, ""

    def responses(
        self, op: Operation, operation_id: str
    ) -> tuple[int, str | None, Any, tuple[ir.ErrorStatus, ...]]:
        success: list[tuple[int, str | None, Any]] = []
        errors: list[ir.ErrorStatus] = []
        for response in op.responses:
            if not response.status.isdigit():
                continue  # "default", "4XX": documented elsewhere, not a distinct outcome
            status = int(response.status)
            self.problems.extend(response.problems)
            if response.node is None:
                continue
            if 200 <= status < 300:
                media = response.media(JSON_MEDIA)
                if media is None or media.node.raw is None:
                    success.append((status, None, None))  # no content, or a file answer
                    continue
                if status == 204:
                    self.refuse(
                        response.node,
                        "a 204 response has no content",
                        "remove its content, or answer 200 with the body",
                    )
                response_type = self.type_of(media.node.child("schema"), operation_id + "_response")
                if response_type.kind != "model":
                    self.refuse(
                        media.node,
                        "the response schema must be an object with properties",
                        "give it type: object and properties (a file answer: a non-JSON media "
                        "type with schema: {type: string})",
                    )
                    continue
                success.append((status, response_type.name, media.node.get("example")))
            elif status >= 400:
                errors.append(self.error_status(response, status))
        if len(success) != 1:
            self.refuse(
                op.node.child("responses"),
                "the operation needs exactly one 2xx response",
                "keep one 2xx response, the success answer (errors are 4xx/5xx)",
            )
            return 200, None, None, tuple(errors)
        status, model, example = success[0]
        return status, model, example, tuple(sorted(errors, key=lambda e: e.status))

    def error_status(self, response: Response, status: int) -> ir.ErrorStatus:
        codes: list[ir.ErrorCode] = []
        table = response.error_codes
        if table.raw is not None and not isinstance(table.raw, list):
            self.refuse(
                table,
                "'x-wechatpay-error-codes' must be a list",
                "write it as a list of {code, description, solution} rows",
            )
        for row in response.error_rows:
            if not row.node.is_mapping or not isinstance(row.code, str):
                self.refuse(
                    row.node,
                    "an error code row needs 'code', 'description', 'solution'",
                    "write it as {code: PARAM_ERROR, description: ..., solution: ...}",
                )
                continue
            codes.append(
                ir.ErrorCode(
                    code=row.code,
                    description=self.text(row.node, "description"),
                    solution=self.text(row.node, "solution"),
                )
            )
        if 500 <= status <= 599:
            exception = "InternalServerError"
        else:
            exception = ir.STATUS_ERRORS.get(status, "APIStatusError")
        assert response.node is not None
        return ir.ErrorStatus(
            status=status,
            exception=exception,
            description=self.text(response.node, "description"),
            codes=tuple(codes),
        )

    def rate_limit(self, op: Operation) -> ir.RateLimit | None:
        node = op.rate_limit
        data = node.raw
        if data is None:
            return None
        limit = node.get("limit")
        per = node.get("per")
        scope = node.get("scope")
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not isinstance(per, str)
            or not isinstance(scope, (str, type(None)))
        ):
            self.refuse(
                node,
                "'x-rate-limit' needs 'limit' (integer), 'per' and optional 'scope'",
                "write it as {limit: 20, per: second} (scope optional, e.g. merchant)",
            )
            return None
        return ir.RateLimit(limit=limit, per=per, scope=scope)
