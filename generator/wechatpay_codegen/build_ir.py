"""Loaded specs -> the API model (:mod:`.ir`).

This is where OpenAPI is understood and where every Python name is chosen (through :mod:`.naming`).
Problems (an unsupported construct, a name that cannot be made into an identifier, two spec names
that would become one Python name) are collected with their spec locations and raised together as
one :class:`~.loader.SpecLoadError`, so ``wechatpay-codegen validate`` can report them all.

Only what the operations and webhooks reach is modelled: a schema neither uses produces no class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from . import ir
from .loader import Problem, SpecLoadError, SpecSet
from .naming import (
    Namespace,
    NamingError,
    attribute_name,
    class_name,
    constant_name,
    method_name,
    snake_case,
)
from .protocol import AUTH_SCHEMES, JSON_MEDIA, RuntimeScheme, placeholders
from .schema_names import scoped_names
from .shapes import (
    DIGEST_FIELD,
    FILE_FIELD,
    FileAnswer,
    file_answer_of,
    sensitive_paths,
    upload_of,
)
from .spec_model import Node, Operation, Response, SpecModel
from .webhooks import EVENT_TYPE, RESOURCE_EXTENSION

__all__ = ["BuildError", "build_ir"]

Pointer = tuple[str | int, ...]

_UNSUPPORTED_KEYWORDS = ("allOf", "anyOf", "oneOf", "if", "then", "else", "prefixItems", "const")
# One path segment: RFC 3986 pchar (unreserved, sub-delims, ":", "@", %XX) and {name} placeholders.
# The template is sent as the request target, so anything else (spaces, CR/LF, "?", "#", non-ASCII)
# could change the request line or the URL; "." and ".." segments and empty ones would change
# which resource it names.
_SEGMENT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2}|\{[A-Za-z0-9_.\-]+\})+")

# Names a model's attributes must not take: its own methods, and the names its class body and
# annotations use (a class attribute would shadow them).
_MODEL_RESERVED = frozenset(
    {"to_dict", "from_dict", "dataclasses", "datetime", "Any", "ClassVar", "Mapping"}
)
# Names a client method's keyword arguments must not take: the per-call options, and the locals
# of the generated method bodies.
_QUERY_KINDS = ("string", "integer", "boolean", "datetime", "enum")
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
# Class names taken in the generated modules: the package's other exports and typing imports.
_CLASS_RESERVED = frozenset(
    {
        *ir.RUNTIME_ERRORS,
        "APIResponse",
        "Any",
        "AsyncAPIClient",
        "AsyncWeChatPayClient",
        "AsyncWeChatPayClientWithRawResponse",
        "ClassVar",
        "Enum",
        "Mapping",
        "Notification",
        "Operation",
        "Response",
        "Sequence",
        "SyncAPIClient",
        "WeChatPayClient",
        "WeChatPayClientWithRawResponse",
        "cached_property",
    }
)


@dataclass(frozen=True)
class _Claim:
    """Who holds a Python name: the spec name and where it is written."""

    spec_name: str
    location: Any  # loader.Location

    def __str__(self) -> str:
        return f"{self.spec_name!r} ({self.location})"


class _Builder:
    def __init__(self, specs: SpecSet) -> None:
        self.specs = specs
        self.model: SpecModel = specs.model()
        # components/schemas entry -> its spec name, scoped to its file (see schema_names)
        self.scoped = scoped_names(self.model)
        self.problems: list[Problem] = []
        self.naming: list[Problem] = []  # the part of ``problems`` about Python names
        self.classes: Namespace[_Claim] = Namespace()
        self.validators: Namespace[_Claim] = Namespace()
        self.methods: Namespace[_Claim] = Namespace()
        self.models: dict[str, ir.Model] = {}
        self.enums: dict[str, ir.EnumDef] = {}
        # Named schema (document, pointer) -> its TypeRef, set before its fields are built so
        # recursive schemas terminate.
        self.named: dict[tuple[str, Pointer], ir.TypeRef] = {}
        # (class, attribute) -> where the property is written, to report clashes with class names
        self.attributes: dict[tuple[str, str], Node] = {}
        # (operationId, argument) -> where a path parameter is declared, for the same check
        self.arguments: dict[tuple[str, str], Node] = {}

    # -- problems ------------------------------------------------------------------------------

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(node.problem(message))

    def naming_problem(self, node: Node, message: str) -> None:
        """A problem only the generator can see (Python names): never a consequence of another."""
        found = node.problem(message)
        self.problems.append(found)
        self.naming.append(found)

    def text(self, node: Node, key: str) -> str:
        value = node.child(key)
        if value.raw is None:
            return ""
        if not isinstance(value.raw, str):
            self.problem(value, f"'{key}' must be a string")
            return ""
        return value.raw

    def name_or_problem(self, node: Node, make: Any, *args: Any) -> str | None:
        try:
            name: str = make(*args)
        except NamingError as exc:
            self.naming_problem(node, str(exc))
            return None
        return name

    def claim(self, space: Namespace[_Claim], name: str, node: Node, spec_name: str) -> bool:
        collision = space.claim(name, _Claim(spec_name, node.location))
        if collision is None:
            return True
        # the same spec name twice (a duplicate operationId, enum value) is validate's to report
        report = self.problem if collision.first.spec_name == spec_name else self.naming_problem
        report(
            node,
            f"{spec_name!r} and {collision.first} both become the Python name "
            f"{name!r}; rename one of them",
        )
        return False

    # -- $ref ----------------------------------------------------------------------------------

    def deref(self, node: Node) -> Node | None:
        target, problems = self.model.deref(node)
        self.problems.extend(problems)
        return target

    # -- schemas -------------------------------------------------------------------------------

    def type_of(self, node: Node, hint: str) -> ir.TypeRef:
        """The type of a schema; ``hint`` names an inline object or enum that needs a class."""
        data = node.raw
        if not isinstance(data, dict):
            self.problem(node, "a schema must be a mapping")
            return ir.TypeRef("any")
        if "$ref" in data:
            target = self.deref(node)
            if target is None:
                return ir.TypeRef("any")
            pointer = target.pointer
            if len(pointer) == 3 and pointer[:2] == ("components", "schemas"):
                return self.named_type(target, str(pointer[2]))
            return self.type_of(target, hint)
        for keyword in _UNSUPPORTED_KEYWORDS:
            if keyword in data:
                self.problem(
                    node.child(keyword), f"'{keyword}' is not supported by the code generator"
                )
        kind = data.get("type")
        if isinstance(kind, list):
            self.problem(node.child("type"), "a list of types is not supported; use a single type")
            return ir.TypeRef("any")
        if "enum" in data:
            if kind not in (None, "string"):
                self.problem(node.child("enum"), "only string enums are supported")
                return ir.TypeRef("any")
            name = self.name_or_problem(node, class_name, hint, _CLASS_RESERVED)
            return ir.TypeRef("any") if name is None else self.enum_type(node, name, hint)
        if kind == "object" or (kind is None and "properties" in data):
            if "properties" not in data:
                return ir.TypeRef("object")
            name = self.name_or_problem(node, class_name, hint, _CLASS_RESERVED)
            return ir.TypeRef("any") if name is None else self.model_type(node, name, hint)
        if kind == "array":
            items = node.child("items")
            item_type = self.type_of(items, hint + "Item") if items.raw is not None else None
            return ir.TypeRef(
                "array", items=item_type or ir.TypeRef("any"), constraints=self.constraints(node)
            )
        if kind == "string":
            fmt = data.get("format")
            return ir.TypeRef(
                "datetime" if fmt == "date-time" else "string", constraints=self.constraints(node)
            )
        if kind in ("integer", "number", "boolean"):
            return ir.TypeRef(kind, constraints=self.constraints(node))
        if kind is None:
            return ir.TypeRef("any")
        self.problem(node.child("type"), f"unknown type {kind!r}")
        return ir.TypeRef("any")

    def named_type(self, node: Node, spec_name: str) -> ir.TypeRef:
        """A schema under ``components/schemas``: a class (model or enum), or an alias."""
        known = self.named.get(node.key)
        if known is not None:
            return known
        # The class is named after the scoped name (schema_names); messages quote the spec's.
        scoped = self.scoped.get(node.key, spec_name)
        data = node.raw
        is_class = isinstance(data, dict) and (
            "enum" in data or "properties" in data or data.get("type") == "object"
        )
        if not is_class or (isinstance(data, dict) and "$ref" in data):
            return self.type_of(node, spec_name)
        name = self.name_or_problem(node, class_name, scoped, _CLASS_RESERVED)
        if name is None:
            return ir.TypeRef("any")
        assert isinstance(data, dict)
        label = spec_name if scoped == spec_name else f"{spec_name} (scoped to its file: {scoped})"
        if "enum" in data:
            return self.enum_type(node, name, label)
        if "properties" not in data:
            return self.type_of(node, spec_name)  # a free-form object
        return self.model_type(node, name, label)

    def _register(self, node: Node, name: str, spec_name: str) -> bool:
        """Claim a class name; False if it was already taken (then the caller compares)."""
        return self.classes.claim(name, _Claim(spec_name, node.location)) is None

    def model_type(self, node: Node, name: str, spec_name: str) -> ir.TypeRef:
        ref = ir.TypeRef("model", name)
        self.named[node.key] = ref
        first = self._register(node, name, spec_name)
        model = self.build_model(node, name, declare=first)
        if first:
            self.models[name] = model
        else:
            self.merge_duplicate(node, name, spec_name, self.models.get(name), model)
        return ref

    def enum_type(self, node: Node, name: str, spec_name: str) -> ir.TypeRef:
        ref = ir.TypeRef("enum", name)
        self.named[node.key] = ref
        first = self._register(node, name, spec_name)
        enum = self.build_enum(node, name)
        if first:
            self.enums[name] = enum
        else:
            self.merge_duplicate(node, name, spec_name, self.enums.get(name), enum)
        return ref

    def merge_duplicate(
        self, node: Node, name: str, spec_name: str, existing: object, new: object
    ) -> None:
        """The same class name again: fine if it is the same schema (shared by two files)."""
        if existing == new:
            return
        first = self.classes.claims[name]
        # one spec name defined differently in two files is validate's to report
        report = self.problem if first.spec_name == spec_name else self.naming_problem
        report(
            node,
            f"{spec_name!r} and {first} both become the Python class {name!r} but differ; "
            "make them identical or rename one",
        )

    def constraints(self, node: Node) -> ir.Constraints:
        data = node.raw
        assert isinstance(data, dict)
        values: dict[str, Any] = {}
        for key, attr, kinds in (
            ("minLength", "min_length", (int,)),
            ("maxLength", "max_length", (int,)),
            ("minimum", "minimum", (int, float)),
            ("maximum", "maximum", (int, float)),
            ("exclusiveMinimum", "exclusive_minimum", (int, float)),
            ("exclusiveMaximum", "exclusive_maximum", (int, float)),
            ("minItems", "min_items", (int,)),
            ("maxItems", "max_items", (int,)),
        ):
            value = data.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, kinds):
                self.problem(node.child(key), f"'{key}' must be a number")
                continue
            values[attr] = value
        pattern = data.get("pattern")
        if pattern is not None:
            if not isinstance(pattern, str):
                self.problem(node.child("pattern"), "'pattern' must be a string")
            else:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    self.problem(node.child("pattern"), f"'pattern' is not a valid regex: {exc}")
                else:
                    values["pattern"] = pattern
        if data.get("uniqueItems") is True:
            values["unique_items"] = True
        return ir.Constraints(**values)

    def build_model(self, node: Node, name: str, *, declare: bool) -> ir.Model:
        fields: list[ir.Field] = []
        attributes: Namespace[_Claim] = Namespace()
        required = node.child("required")
        required_names = [r for r in _list(required.raw) if isinstance(r, str)]
        properties = node.child("properties")
        if not isinstance(properties.raw, dict):
            self.problem(properties, "'properties' must be a mapping")
        for wire, prop in properties.items():
            attr = self.name_or_problem(prop, attribute_name, wire, _MODEL_RESERVED)
            if attr is None or not self.claim(attributes, attr, prop, wire):
                continue
            self.attributes[(name, attr)] = prop
            field_type = self.type_of(prop, name + self._class_part(wire))
            fields.append(
                ir.Field(
                    wire_name=wire,
                    name=attr,
                    type=field_type,
                    required=wire in required_names,
                    description=self.description(prop),
                )
            )
        known = {f.wire_name for f in fields}
        for index, wire in enumerate(required_names):
            if wire not in known and isinstance(properties.raw, dict) and wire in properties.raw:
                continue  # reported above (bad name)
            if wire not in known:
                self.problem(required.child(index), f"required field {wire!r} is not a property")
        validator = f"validate_{snake_case(name)}"
        if declare:
            self.claim(self.validators, validator, node, name)
        return ir.Model(
            name=name,
            validator=validator,
            description=self.text(node, "description"),
            fields=tuple(fields),
            rules=self.rules(node, known),
        )

    @staticmethod
    def _class_part(wire: str) -> str:
        try:
            return class_name(wire)
        except NamingError:
            return "Field"

    def description(self, prop: Node) -> str:
        """A property's own description, else the description of the schema it references."""
        own = self.text(prop, "description")
        if own or not (isinstance(prop.raw, dict) and "$ref" in prop.raw):
            return own
        target = self.deref(prop)
        return self.text(target, "description") if target is not None else ""

    def rules(self, node: Node, known: set[str]) -> ir.Rules:
        exclusive: list[tuple[str, ...]] = []
        dependent: list[tuple[str, tuple[str, ...]]] = []
        data = node.raw
        assert isinstance(data, dict)

        def names(at: Node) -> tuple[str, ...]:
            if not isinstance(at.raw, list) or not all(isinstance(n, str) for n in at.raw):
                self.problem(at, "expected a list of property names")
                return ()
            unknown = [n for n in at.raw if n not in known]
            if unknown:
                self.problem(at, f"{', '.join(map(repr, unknown))} not among the properties")
            return tuple(at.raw)

        if "not" in data:
            rule = node.child("not")
            if not isinstance(rule.raw, dict) or set(rule.raw) != {"required"}:
                self.problem(rule, "only 'not: {required: [...]}' is supported")
            else:
                group = names(rule.child("required"))
                if group:
                    exclusive.append(group)
        dependent_node = node.child("dependentRequired")
        if dependent_node.raw is not None:
            if not isinstance(dependent_node.raw, dict):
                self.problem(dependent_node, "'dependentRequired' must be a mapping")
            for trigger, needed in dependent_node.items():
                if trigger not in known:
                    self.problem(needed, f"{trigger!r} is not among the properties")
                dependent.append((trigger, names(needed)))
        counts: dict[str, int] = {}
        for key in ("minProperties", "maxProperties"):
            value = data.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                self.problem(node.child(key), f"'{key}' must be an integer")
            else:
                counts[key] = value
        return ir.Rules(
            mutually_exclusive=tuple(exclusive),
            dependent_required=tuple(dependent),
            min_properties=counts.get("minProperties"),
            max_properties=counts.get("maxProperties"),
            additional_properties=data.get("additionalProperties") is not False,
        )

    def build_enum(self, node: Node, name: str) -> ir.EnumDef:
        members: list[ir.EnumMember] = []
        member_names: Namespace[_Claim] = Namespace()
        descriptions = node.child("x-enum-descriptions")
        values = node.child("enum")
        if not isinstance(values.raw, list) or not values.raw:
            self.problem(values, "'enum' must be a non-empty list")
        for item in values.elements():
            if not isinstance(item.raw, str):
                self.problem(item, "enum values must be strings")
                continue
            member = self.name_or_problem(item, constant_name, item.raw)
            if member is None or not self.claim(member_names, member, item, item.raw):
                continue
            members.append(
                ir.EnumMember(
                    name=member,
                    value=item.raw,
                    description=(
                        self.text(descriptions, item.raw)
                        if isinstance(descriptions.raw, dict)
                        else ""
                    ),
                )
            )
        return ir.EnumDef(
            name=name, description=self.text(node, "description"), members=tuple(members)
        )

    # -- operations ----------------------------------------------------------------------------

    def path_template(self, listed: Node, path: str) -> bool:
        """The path key is a plain URL path: it is sent as the request target verbatim."""
        segments = path.split("/")
        if (
            segments[0] != ""
            or len(segments) < 2
            or any(s in ("", ".", "..") or not _SEGMENT.fullmatch(s) for s in segments[1:])
        ):
            self.problem(
                listed,
                f"path {path!r} is not a plain URL path; write /segments of letters, digits and "
                "-._~!$&'()*+,;=:@ (or %XX) with {name} placeholders, no empty, '.' or '..' "
                "segments",
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

        arguments: Namespace[_Claim] = Namespace()
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
                self.problems.extend(found)
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
            self.problems.extend(found)
            out.extend(paths)
        return tuple(dict.fromkeys(out))

    def auth_scheme(self, op: Operation) -> RuntimeScheme | None:
        security = op.security
        requirements = security.node.raw
        if (
            not isinstance(requirements, list)
            or len(requirements) != 1
            or not isinstance(requirements[0], dict)
            or len(requirements[0]) != 1
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
            if where not in ("path", "query"):
                self.problem(
                    param,
                    f"{where} parameter {wire!r} is not supported by the code generator "
                    "(path and query parameters, and headers supplied by the runtime)",
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
            if where == "query":
                if param_type.kind not in _QUERY_KINDS:
                    self.problem(
                        schema,
                        "query parameters must be strings, integers, booleans, date-times or "
                        "string enums",
                    )
                    continue
                out.append(
                    (
                        ir.Parameter(
                            wire_name=wire,
                            name=arg,
                            type=param_type,
                            required=spec_param.required,
                            description=self.text(param, "description"),
                            location="query",
                            example=spec_param.example,
                        ),
                        param,
                    )
                )
                continue
            if param_type.kind not in ("string", "integer"):
                self.problem(schema, "path parameters must be strings or integers")
                continue
            out.append(
                (
                    ir.Parameter(
                        wire_name=wire,
                        name=arg,
                        type=param_type,
                        required=True,
                        description=self.text(param, "description"),
                        location="path",
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
        self.problems.extend(found)
        if upload is not None:
            meta_type = self.type_of(upload.meta, operation_id + "_" + upload.signed_part)
            if meta_type.kind != "model" or meta_type.name not in self.models:
                self.problem(upload.meta, "the signed part must be an object with properties")
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
            self.problem(
                content,
                "the request body must have exactly 'application/json' content (or "
                "'multipart/form-data' with x-wechatpay-signed-part for an upload)",
            )
        media = body.media(JSON_MEDIA)
        if media is None or media.node.raw is None:
            return None, None, None, ""
        schema = media.node.child("schema")
        body_type = self.type_of(schema, operation_id + "_request")
        if body_type.kind != "model" or body_type.name not in self.models:
            self.problem(schema, "the request body schema must be an object with properties")
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
                    self.problem(response.node, "a 204 response has no content")
                response_type = self.type_of(media.node.child("schema"), operation_id + "_response")
                if response_type.kind != "model":
                    self.problem(
                        media.node, "the response schema must be an object with properties"
                    )
                    continue
                success.append((status, response_type.name, media.node.get("example")))
            elif status >= 400:
                errors.append(self.error_status(response, status))
        if len(success) != 1:
            self.problem(op.node.child("responses"), "the operation needs exactly one 2xx response")
            return 200, None, None, tuple(errors)
        status, model, example = success[0]
        return status, model, example, tuple(sorted(errors, key=lambda e: e.status))

    def error_status(self, response: Response, status: int) -> ir.ErrorStatus:
        codes: list[ir.ErrorCode] = []
        table = response.error_codes
        if table.raw is not None and not isinstance(table.raw, list):
            self.problem(table, "'x-wechatpay-error-codes' must be a list")
        for row in response.error_rows:
            if not row.node.is_mapping or not isinstance(row.code, str):
                self.problem(row.node, "an error code row needs 'code', 'description', 'solution'")
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
            self.problem(node, "'x-rate-limit' needs 'limit' (integer), 'per' and optional 'scope'")
            return None
        return ir.RateLimit(limit=limit, per=per, scope=scope)

    def attributes_named_like_classes(self) -> None:
        """An attribute named like a class would shadow that class in the model's annotations."""
        for (model, attr), node in sorted(self.attributes.items(), key=lambda kv: kv[0]):
            if attr in self.classes.claims and model in self.models:
                self.naming_problem(
                    node,
                    f"attribute {attr!r} of {model} has the name of the class {attr!r} "
                    f"({self.classes.claims[attr]}); rename the property or the schema",
                )
        # A client method's argument would shadow the class it returns or takes.
        for (operation_id, arg), node in sorted(self.arguments.items(), key=lambda kv: kv[0]):
            if arg in self.classes.claims:
                self.naming_problem(
                    node,
                    f"path parameter {arg!r} of {operation_id} has the name of the class "
                    f"{arg!r} ({self.classes.claims[arg]}); rename the parameter or the schema",
                )

    def reachable(self, roots: Iterable[str]) -> set[str]:
        """Names of the models reachable from ``roots`` through fields."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.models:
                continue
            seen.add(name)
            for field in self.models[name].fields:
                todo.extend(field.type.referenced())
        return seen

    # -- webhooks (callbacks) ------------------------------------------------------------------

    def build_webhook(self, event: str, op: Node) -> ir.Webhook | None:
        """The decrypted resource of one callback event becomes a model (see :mod:`.webhooks`)."""
        resource = op.child(RESOURCE_EXTENSION)
        schema = resource.child("schema")
        if schema.raw is None:
            return None  # validate reports it
        try:
            hint = class_name(event.replace(".", "_").lower()) + "Resource"
        except NamingError:
            hint = "NotificationResource"
        resource_type = self.type_of(schema, hint)
        if resource_type.kind != "model" or resource_type.name is None:
            self.problem(schema, "the decrypted resource schema must be an object with properties")
            return None
        return ir.Webhook(
            event_type=event,
            resource_model=resource_type.name,
            summary=self.text(op, "summary"),
            description=self.text(op, "description"),
            resource_example=resource.child("example").raw,
        )

    def webhooks(self) -> list[ir.Webhook]:
        found: list[ir.Webhook] = []
        for hooks in self.model.webhooks():
            for event, item in hooks.items():
                op = item.child("post")
                if EVENT_TYPE.fullmatch(event) and op.is_mapping and not item.has("$ref"):
                    webhook = self.build_webhook(event, op)
                    if webhook is not None:
                        found.append(webhook)
        return sorted(found, key=lambda w: w.event_type)

    # -- everything ----------------------------------------------------------------------------

    def build(self) -> ir.API:
        operations = [
            op for op in map(self.build_operation, self.model.operations) if op is not None
        ]
        webhooks = self.webhooks()
        self.attributes_named_like_classes()
        in_request = self.reachable(op.body_model for op in operations if op.body_model)
        return ir.API(
            operations=tuple(sorted(operations, key=lambda o: o.name)),
            models=tuple(
                replace(self.models[name], in_request=name in in_request)
                for name in sorted(self.models)
            ),
            enums=tuple(self.enums[name] for name in sorted(self.enums)),
            webhooks=tuple(webhooks),
        )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class BuildError(SpecLoadError):
    """The specs cannot be generated; ``naming`` is the part of ``problems`` about Python names
    (two spec names one Python name, ...), which no other check reports."""

    def __init__(self, problems: Iterable[Problem], naming: Iterable[Problem]) -> None:
        super().__init__(problems)  # sorted and deduplicated there
        self.naming: list[Problem] = sorted(set(naming))


def build_ir(specs: SpecSet) -> ir.API:
    """The API model of ``specs``; raises :class:`SpecLoadError` listing every problem found."""
    builder = _Builder(specs)
    api = builder.build()
    if builder.problems:
        raise BuildError(builder.problems, builder.naming)

    return api
