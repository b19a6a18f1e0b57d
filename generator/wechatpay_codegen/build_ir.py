"""Loaded specs -> the API model (:mod:`.ir`).

This is where OpenAPI is understood and where every Python name is chosen (through :mod:`.naming`).
Problems (an unsupported construct, a name that cannot be made into an identifier, two spec names
that would become one Python name) are collected with their spec locations and raised together as
one :class:`~.loader.SpecLoadError`, so ``wechatpay-codegen validate`` can report them all.

Only what the operations reach is modelled: a schema no operation uses produces no class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from . import ir
from .loader import Location, Problem, SpecDocument, SpecLoadError, SpecSet
from .naming import (
    Namespace,
    NamingError,
    attribute_name,
    class_name,
    constant_name,
    method_name,
    snake_case,
)

__all__ = ["build_ir"]

Pointer = tuple[str | int, ...]

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_AUTH_SCHEMES: dict[str, Literal["merchant", "brand"]] = {
    "WECHATPAY2-SHA256-RSA2048": "merchant",
    "WECHATPAY-BRAND-SHA256-RSA2048": "brand",
}
_UNSUPPORTED_KEYWORDS = ("allOf", "anyOf", "oneOf", "if", "then", "else", "prefixItems", "const")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
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
_ARG_RESERVED = frozenset(
    {"self", "extra_headers", "max_retries", "timeout", "body", "path_params", "response"}
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
        "Any",
        "AsyncAPIClient",
        "AsyncWeChatPayClient",
        "ClassVar",
        "Enum",
        "Mapping",
        "Notification",
        "Operation",
        "Response",
        "Sequence",
        "SyncAPIClient",
        "WeChatPayClient",
    }
)


@dataclass(frozen=True)
class _Node:
    """A value inside one spec document, with its JSON pointer (for locations)."""

    doc: SpecDocument
    pointer: Pointer
    data: Any

    def child(self, key: str | int) -> _Node:
        data = self.data
        if isinstance(key, str) and isinstance(data, dict):
            value = data.get(key)
        elif isinstance(key, int) and isinstance(data, list) and 0 <= key < len(data):
            value = data[key]
        else:
            value = None
        return _Node(self.doc, (*self.pointer, key), value)

    def items(self) -> Iterator[tuple[str, _Node]]:
        if isinstance(self.data, dict):
            for key in self.data:
                yield str(key), self.child(str(key))

    def elements(self) -> Iterator[_Node]:
        if isinstance(self.data, list):
            for index in range(len(self.data)):
                yield self.child(index)

    @property
    def location(self) -> Location:
        return self.doc.location(self.pointer)

    @property
    def key(self) -> tuple[str, Pointer]:
        return (self.doc.display, self.pointer)


@dataclass(frozen=True)
class _Claim:
    """Who holds a Python name: the spec name and where it is written."""

    spec_name: str
    location: Location

    def __str__(self) -> str:
        return f"{self.spec_name!r} ({self.location})"


class _Builder:
    def __init__(self, specs: SpecSet) -> None:
        self.specs = specs
        self.problems: list[Problem] = []
        self.classes: Namespace[_Claim] = Namespace()
        self.validators: Namespace[_Claim] = Namespace()
        self.methods: Namespace[_Claim] = Namespace()
        self.models: dict[str, ir.Model] = {}
        self.enums: dict[str, ir.EnumDef] = {}
        # Named schema (document, pointer) -> its TypeRef, set before its fields are built so
        # recursive schemas terminate.
        self.named: dict[tuple[str, Pointer], ir.TypeRef] = {}
        # (class, attribute) -> where the property is written, to report clashes with class names
        self.attributes: dict[tuple[str, str], _Node] = {}
        # (operationId, argument) -> where a path parameter is declared, for the same check
        self.arguments: dict[tuple[str, str], _Node] = {}

    # -- problems ------------------------------------------------------------------------------

    def problem(self, node: _Node, message: str) -> None:
        self.problems.append(Problem(node.location, message))

    def text(self, node: _Node, key: str) -> str:
        value = node.child(key)
        if value.data is None:
            return ""
        if not isinstance(value.data, str):
            self.problem(value, f"'{key}' must be a string")
            return ""
        return value.data

    def name_or_problem(self, node: _Node, make: Any, *args: Any) -> str | None:
        try:
            name: str = make(*args)
        except NamingError as exc:
            self.problem(node, str(exc))
            return None
        return name

    def claim(self, space: Namespace[_Claim], name: str, node: _Node, spec_name: str) -> bool:
        collision = space.claim(name, _Claim(spec_name, node.location))
        if collision is None:
            return True
        self.problem(
            node,
            f"{spec_name!r} and {collision.first} both become the Python name "
            f"{name!r}; rename one of them",
        )
        return False

    # -- $ref ----------------------------------------------------------------------------------

    def deref(self, node: _Node) -> _Node | None:
        seen: set[tuple[str, Pointer]] = set()
        while isinstance(node.data, dict) and "$ref" in node.data:
            ref = node.data["$ref"]
            if not isinstance(ref, str):
                self.problem(node.child("$ref"), "'$ref' must be a string")
                return None
            if node.key in seen:
                self.problem(node, f"'$ref' cycle through {ref!r}")
                return None
            seen.add(node.key)
            try:
                doc, pointer, data = self.specs.resolve(node.doc, ref, at=(*node.pointer, "$ref"))
            except SpecLoadError as exc:
                self.problems.extend(exc.problems)
                return None
            node = _Node(doc, pointer, data)
        return node

    # -- schemas -------------------------------------------------------------------------------

    def type_of(self, node: _Node, hint: str) -> ir.TypeRef:
        """The type of a schema; ``hint`` names an inline object or enum that needs a class."""
        data = node.data
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
            item_type = self.type_of(items, hint + "Item") if items.data is not None else None
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

    def named_type(self, node: _Node, spec_name: str) -> ir.TypeRef:
        """A schema under ``components/schemas``: a class (model or enum), or an alias."""
        known = self.named.get(node.key)
        if known is not None:
            return known
        data = node.data
        is_class = isinstance(data, dict) and (
            "enum" in data or "properties" in data or data.get("type") == "object"
        )
        if not is_class or (isinstance(data, dict) and "$ref" in data):
            return self.type_of(node, spec_name)
        name = self.name_or_problem(node, class_name, spec_name, _CLASS_RESERVED)
        if name is None:
            return ir.TypeRef("any")
        assert isinstance(data, dict)
        if "enum" in data:
            return self.enum_type(node, name, spec_name)
        if "properties" not in data:
            return self.type_of(node, spec_name)  # a free-form object
        return self.model_type(node, name, spec_name)

    def _register(self, node: _Node, name: str, spec_name: str) -> bool:
        """Claim a class name; False if it was already taken (then the caller compares)."""
        return self.classes.claim(name, _Claim(spec_name, node.location)) is None

    def model_type(self, node: _Node, name: str, spec_name: str) -> ir.TypeRef:
        ref = ir.TypeRef("model", name)
        self.named[node.key] = ref
        first = self._register(node, name, spec_name)
        model = self.build_model(node, name, declare=first)
        if first:
            self.models[name] = model
        else:
            self.merge_duplicate(node, name, spec_name, self.models.get(name), model)
        return ref

    def enum_type(self, node: _Node, name: str, spec_name: str) -> ir.TypeRef:
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
        self, node: _Node, name: str, spec_name: str, existing: object, new: object
    ) -> None:
        """The same class name again: fine if it is the same schema (shared by two files)."""
        if existing == new:
            return
        first = self.classes.claims[name]
        self.problem(
            node,
            f"{spec_name!r} and {first} both become the Python class {name!r} but differ; "
            "make them identical or rename one",
        )

    def constraints(self, node: _Node) -> ir.Constraints:
        data = node.data
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

    def build_model(self, node: _Node, name: str, *, declare: bool) -> ir.Model:
        fields: list[ir.Field] = []
        attributes: Namespace[_Claim] = Namespace()
        required = node.child("required")
        required_names = [r for r in required.data or [] if isinstance(r, str)]
        properties = node.child("properties")
        if not isinstance(properties.data, dict):
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
            if wire not in known and wire in (properties.data or {}):
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

    def description(self, prop: _Node) -> str:
        """A property's own description, else the description of the schema it references."""
        own = self.text(prop, "description")
        if own or not (isinstance(prop.data, dict) and "$ref" in prop.data):
            return own
        target = self.deref(prop)
        return self.text(target, "description") if target is not None else ""

    def rules(self, node: _Node, known: set[str]) -> ir.Rules:
        exclusive: list[tuple[str, ...]] = []
        dependent: list[tuple[str, tuple[str, ...]]] = []
        data = node.data
        assert isinstance(data, dict)

        def names(at: _Node) -> tuple[str, ...]:
            if not isinstance(at.data, list) or not all(isinstance(n, str) for n in at.data):
                self.problem(at, "expected a list of property names")
                return ()
            unknown = [n for n in at.data if n not in known]
            if unknown:
                self.problem(at, f"{', '.join(map(repr, unknown))} not among the properties")
            return tuple(at.data)

        if "not" in data:
            rule = node.child("not")
            if not isinstance(rule.data, dict) or set(rule.data) != {"required"}:
                self.problem(rule, "only 'not: {required: [...]}' is supported")
            else:
                group = names(rule.child("required"))
                if group:
                    exclusive.append(group)
        dependent_node = node.child("dependentRequired")
        if dependent_node.data is not None:
            if not isinstance(dependent_node.data, dict):
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

    def build_enum(self, node: _Node, name: str) -> ir.EnumDef:
        members: list[ir.EnumMember] = []
        member_names: Namespace[_Claim] = Namespace()
        descriptions = node.child("x-enum-descriptions")
        values = node.child("enum")
        if not isinstance(values.data, list) or not values.data:
            self.problem(values, "'enum' must be a non-empty list")
        for item in values.elements():
            if not isinstance(item.data, str):
                self.problem(item, "enum values must be strings")
                continue
            member = self.name_or_problem(item, constant_name, item.data)
            if member is None or not self.claim(member_names, member, item, item.data):
                continue
            members.append(
                ir.EnumMember(
                    name=member,
                    value=item.data,
                    description=(
                        self.text(descriptions, item.data)
                        if isinstance(descriptions.data, dict)
                        else ""
                    ),
                )
            )
        return ir.EnumDef(
            name=name, description=self.text(node, "description"), members=tuple(members)
        )

    # -- operations ----------------------------------------------------------------------------

    def operations(self) -> Iterator[_Node]:
        for display in sorted(self.specs.documents):
            doc = self.specs.documents[display]
            root = _Node(doc, (), doc.data)
            for _, path_item in root.child("paths").items():
                for method in _HTTP_METHODS:
                    op = path_item.child(method)
                    if op.data is not None:
                        yield op

    def path_template(self, op: _Node, path: str) -> bool:
        """The path key is a plain URL path: it is sent as the request target verbatim."""
        segments = path.split("/")
        if (
            segments[0] != ""
            or len(segments) < 2
            or any(s in ("", ".", "..") or not _SEGMENT.fullmatch(s) for s in segments[1:])
        ):
            self.problem(
                _Node(op.doc, op.pointer[:2], None),
                f"path {path!r} is not a plain URL path; write /segments of letters, digits and "
                "-._~!$&'()*+,;=:@ (or %XX) with {name} placeholders, no empty, '.' or '..' "
                "segments",
            )
            return False
        return True

    def build_operation(self, op: _Node) -> ir.Operation | None:
        path = str(op.pointer[1])
        http_method = str(op.pointer[2]).upper()
        if not self.path_template(op, path):
            return None
        if not isinstance(op.data, dict):
            self.problem(op, "an operation must be a mapping")
            return None
        operation_id = self.text(op, "operationId")
        if not operation_id:
            self.problem(op, "the operation needs an 'operationId'")
            return None
        id_node = op.child("operationId")
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
        for param, node in self.path_parameters(op, path):
            if self.claim(arguments, param.name, op, param.wire_name):
                parameters.append(param)
                self.arguments[(operation_id, param.name)] = node

        body_model, request_example = self.request_body(op, operation_id)
        if body_model is not None:
            # prepare_<op> calls the body validator by name: no argument may shadow it.
            reserved = _ARG_RESERVED | {body_model.validator}
            for field in body_model.fields:
                arg = self.name_or_problem(op, attribute_name, field.wire_name, reserved)
                if arg is None or not self.claim(arguments, arg, op, field.wire_name):
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
            summary=self.text(op, "summary"),
            description=self.text(op, "description"),
            rate_limit=self.rate_limit(op),
            request_example=request_example,
            response_example=response_example,
        )

    def auth_scheme(self, op: _Node) -> Literal["merchant", "brand"] | None:
        security = op.child("security")
        if security.data is None:
            security = _Node(op.doc, ("security",), op.doc.data.get("security"))
        requirements = security.data
        if (
            not isinstance(requirements, list)
            or len(requirements) != 1
            or not isinstance(requirements[0], dict)
            or len(requirements[0]) != 1
        ):
            self.problem(
                security if security.data is not None else op,
                "the operation needs 'security' with exactly one scheme, e.g. [{merchant: []}]",
            )
            return None
        scheme_name = next(iter(requirements[0]))
        root = _Node(op.doc, (), op.doc.data)
        scheme = root.child("components").child("securitySchemes").child(scheme_name)
        if scheme.data is None:
            self.problem(security.child(0), f"security scheme {scheme_name!r} is not in components")
            return None
        target = self.deref(scheme)
        if target is None:
            return None
        value = target.child("x-wechatpay-auth-scheme").data
        auth = _AUTH_SCHEMES.get(value) if isinstance(value, str) else None
        if auth is None:
            self.problem(
                target,
                f"security scheme {scheme_name!r} needs 'x-wechatpay-auth-scheme': one of "
                + ", ".join(sorted(_AUTH_SCHEMES)),
            )
        return auth

    def path_parameters(self, op: _Node, path: str) -> list[tuple[ir.Parameter, _Node]]:
        out: list[tuple[ir.Parameter, _Node]] = []
        placeholders = _PLACEHOLDER.findall(path)
        declared: set[str] = set()
        for raw in op.child("parameters").elements():
            param = self.deref(raw)
            if param is None or not isinstance(param.data, dict):
                continue
            where = param.data.get("in")
            wire = param.data.get("name")
            if not isinstance(wire, str):
                self.problem(param, "a parameter needs a 'name'")
                continue
            if where == "header" and param.data.get("x-wechatpay-supplied-by") == "runtime":
                continue
            if where != "path":
                self.problem(
                    param,
                    f"{where} parameter {wire!r} is not supported by the code generator "
                    "(only path parameters, and headers supplied by the runtime)",
                )
                continue
            declared.add(wire)
            arg = self.name_or_problem(param, attribute_name, wire, _ARG_RESERVED)
            if arg is None:
                continue
            schema = param.child("schema")
            param_type = (
                self.type_of(schema, class_name(arg)) if schema.data is not None else None
            ) or ir.TypeRef("string")
            if param_type.kind not in ("string", "integer"):
                self.problem(schema, "path parameters must be strings or integers")
                continue
            example = param.data.get("example")
            if example is None and isinstance(schema.data, dict):
                example = schema.data.get("example")
            out.append(
                (
                    ir.Parameter(
                        wire_name=wire,
                        name=arg,
                        type=param_type,
                        required=True,
                        description=self.text(param, "description"),
                        location="path",
                        example=example,
                    ),
                    param,
                )
            )
        for missing in sorted(set(placeholders) - declared):
            self.problem(op, f"path placeholder {{{missing}}} has no path parameter")
        for extra in sorted(declared - set(placeholders)):
            self.problem(op.child("parameters"), f"path parameter {extra!r} is not in the path")
        return out

    def request_body(self, op: _Node, operation_id: str) -> tuple[ir.Model | None, Any]:
        body = op.child("requestBody")
        if body.data is None:
            return None, None
        resolved = self.deref(body)
        if resolved is None:
            return None, None
        content = resolved.child("content")
        media = content.child("application/json")
        if not isinstance(content.data, dict) or set(content.data) != {"application/json"}:
            self.problem(content, "the request body must have exactly 'application/json' content")
        if media.data is None:
            return None, None
        schema = media.child("schema")
        body_type = self.type_of(schema, operation_id + "_request")
        if body_type.kind != "model" or body_type.name not in self.models:
            self.problem(schema, "the request body schema must be an object with properties")
            return None, None
        return self.models[body_type.name], media.child("example").data

    def responses(
        self, op: _Node, operation_id: str
    ) -> tuple[int, str | None, Any, tuple[ir.ErrorStatus, ...]]:
        success: list[tuple[int, str | None, Any]] = []
        errors: list[ir.ErrorStatus] = []
        responses = op.child("responses")
        for status_text, raw in responses.items():
            if not status_text.isdigit():
                continue  # "default", "4XX": documented elsewhere, not a distinct outcome
            status = int(status_text)
            response = self.deref(raw)
            if response is None:
                continue
            if 200 <= status < 300:
                media = response.child("content").child("application/json")
                if media.data is None:
                    success.append((status, None, None))
                    continue
                if status == 204:
                    self.problem(response, "a 204 response has no content")
                response_type = self.type_of(media.child("schema"), operation_id + "_response")
                if response_type.kind != "model":
                    self.problem(media, "the response schema must be an object with properties")
                    continue
                success.append((status, response_type.name, media.child("example").data))
            elif status >= 400:
                errors.append(self.error_status(response, status))
        if len(success) != 1:
            self.problem(responses, "the operation needs exactly one 2xx response")
            return 200, None, None, tuple(errors)
        status, model, example = success[0]
        return status, model, example, tuple(sorted(errors, key=lambda e: e.status))

    def error_status(self, response: _Node, status: int) -> ir.ErrorStatus:
        codes: list[ir.ErrorCode] = []
        table = response.child("x-wechatpay-error-codes")
        if table.data is not None and not isinstance(table.data, list):
            self.problem(table, "'x-wechatpay-error-codes' must be a list")
        for row in table.elements():
            if not isinstance(row.data, dict) or not isinstance(row.data.get("code"), str):
                self.problem(row, "an error code row needs 'code', 'description', 'solution'")
                continue
            codes.append(
                ir.ErrorCode(
                    code=row.data["code"],
                    description=self.text(row, "description"),
                    solution=self.text(row, "solution"),
                )
            )
        if 500 <= status <= 599:
            exception = "InternalServerError"
        else:
            exception = ir.STATUS_ERRORS.get(status, "APIStatusError")
        return ir.ErrorStatus(
            status=status,
            exception=exception,
            description=self.text(response, "description"),
            codes=tuple(codes),
        )

    def rate_limit(self, op: _Node) -> ir.RateLimit | None:
        node = op.child("x-rate-limit")
        data = node.data
        if data is None:
            return None
        limit = data.get("limit") if isinstance(data, dict) else None
        per = data.get("per") if isinstance(data, dict) else None
        scope = data.get("scope") if isinstance(data, dict) else None
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
                self.problem(
                    node,
                    f"attribute {attr!r} of {model} has the name of the class {attr!r} "
                    f"({self.classes.claims[attr]}); rename the property or the schema",
                )
        # A client method's argument would shadow the class it returns or takes.
        for (operation_id, arg), node in sorted(self.arguments.items(), key=lambda kv: kv[0]):
            if arg in self.classes.claims:
                self.problem(
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

    # -- everything ----------------------------------------------------------------------------

    def build(self) -> ir.API:
        op_nodes = list(self.operations())
        operations = [op for op in map(self.build_operation, op_nodes) if op is not None]
        self.attributes_named_like_classes()
        in_request = self.reachable(op.body_model for op in operations if op.body_model)
        return ir.API(
            operations=tuple(sorted(operations, key=lambda o: o.name)),
            models=tuple(
                replace(self.models[name], in_request=name in in_request)
                for name in sorted(self.models)
            ),
            enums=tuple(self.enums[name] for name in sorted(self.enums)),
        )


def build_ir(specs: SpecSet) -> ir.API:
    """The API model of ``specs``; raises :class:`SpecLoadError` listing every problem found."""
    builder = _Builder(specs)
    api = builder.build()
    if builder.problems:
        raise SpecLoadError(builder.problems)  # sorted and deduplicated there
    return api
