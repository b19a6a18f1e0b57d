"""JSON Schema -> IR types: every schema becomes a :class:`~..ir.TypeRef`, and object and enum
schemas become models and enums, named once (class names claimed in one namespace)."""

from __future__ import annotations

import re
from typing import Any

from .. import ir
from ..naming import Namespace, NamingError, attribute_name, class_name, constant_name, snake_case
from ..spec_model import Node
from .base import BuilderBase, Claim

# A string schema's ``format`` -> the kind of value the model holds (any other: a plain string).
_STRING_FORMATS: dict[str, ir.TypeKind] = {"date-time": "datetime"}
_UNSUPPORTED_KEYWORDS = ("allOf", "anyOf", "oneOf", "if", "then", "else", "prefixItems", "const")

# Names a model's attributes must not take: its own methods, and the names its class body and
# annotations use (a class attribute would shadow them).
_MODEL_RESERVED = frozenset(
    {"to_dict", "from_dict", "dataclasses", "datetime", "Any", "ClassVar", "Mapping"}
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


class SchemaBuilder(BuilderBase):
    """Schemas -> types, models and enums."""

    # -- schemas -------------------------------------------------------------------------------

    def type_of(self, node: Node, hint: str) -> ir.TypeRef:
        """The type of a schema; ``hint`` names an inline object or enum that needs a class."""
        if not node.is_mapping:
            self.refuse(node, "a schema must be a mapping", "write it as one, e.g. {type: string}")
            return ir.TypeRef("any")
        if node.has("$ref"):
            target = self.deref(node)
            if target is None:
                return ir.TypeRef("any")
            pointer = target.pointer
            if len(pointer) == 3 and pointer[:2] == ("components", "schemas"):
                return self.named_type(target, str(pointer[2]))
            return self.type_of(target, hint)
        for keyword in _UNSUPPORTED_KEYWORDS:
            if node.has(keyword):
                self.problem(
                    node.child(keyword), f"'{keyword}' is not supported by the code generator"
                )
        kind = node.get("type")
        if isinstance(kind, list):
            self.refuse(
                node.child("type"),
                "a list of types is not supported",
                "use a single type (leave out a field that may be absent from required)",
            )
            return ir.TypeRef("any")
        if node.has("enum"):
            if kind not in (None, "string"):
                self.refuse(
                    node.child("enum"),
                    "only string enums are supported",
                    "give the schema type: string and quote the values",
                )
                return ir.TypeRef("any")
            name = self.name_or_problem(node, class_name, hint, _CLASS_RESERVED)
            return ir.TypeRef("any") if name is None else self.enum_type(node, name, hint)
        if kind == "object" or (kind is None and node.has("properties")):
            if not node.has("properties"):
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
            fmt = node.get("format")
            held = _STRING_FORMATS.get(fmt, "string") if isinstance(fmt, str) else "string"
            return ir.TypeRef(held, constraints=self.constraints(node))
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
        is_class = node.has("enum") or node.has("properties") or node.get("type") == "object"
        if not is_class or node.has("$ref"):
            return self.type_of(node, spec_name)
        name = self.name_or_problem(node, class_name, scoped, _CLASS_RESERVED)
        if name is None:
            return ir.TypeRef("any")
        label = spec_name if scoped == spec_name else f"{spec_name} (scoped to its file: {scoped})"
        if node.has("enum"):
            return self.enum_type(node, name, label)
        if not node.has("properties"):
            return self.type_of(node, spec_name)  # a free-form object
        return self.model_type(node, name, label)

    def _register(self, node: Node, name: str, spec_name: str) -> bool:
        """Claim a class name; False if it was already taken (then the caller compares)."""
        return self.classes.claim(name, Claim(spec_name, node.location)) is None

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
        assert node.is_mapping
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
            value = node.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, kinds):
                self.problem(node.child(key), f"'{key}' must be a number")
                continue
            values[attr] = value
        pattern = node.get("pattern")
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
        if node.get("uniqueItems") is True:
            values["unique_items"] = True
        return ir.Constraints(**values)

    def build_model(self, node: Node, name: str, *, declare: bool) -> ir.Model:
        fields: list[ir.Field] = []
        attributes: Namespace[Claim] = Namespace()
        required = node.child("required")
        required_names = [r for r in _list(required.raw) if isinstance(r, str)]
        properties = node.child("properties")
        if not properties.is_mapping:
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
            if wire not in known and properties.has(wire):
                continue  # reported above (bad name)
            if wire not in known:
                self.refuse(
                    required.child(index),
                    f"required field {wire!r} is not a property",
                    f"add {wire!r} to properties or remove it from required",
                )
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
        if own or not prop.has("$ref"):
            return own
        target = self.deref(prop)
        return self.text(target, "description") if target is not None else ""

    def rules(self, node: Node, known: set[str]) -> ir.Rules:
        exclusive: list[tuple[str, ...]] = []
        dependent: list[tuple[str, tuple[str, ...]]] = []
        assert node.is_mapping

        def names(at: Node) -> tuple[str, ...]:
            if not isinstance(at.raw, list) or not all(isinstance(n, str) for n in at.raw):
                self.problem(at, "expected a list of property names")
                return ()
            unknown = [n for n in at.raw if n not in known]
            if unknown:
                self.refuse(
                    at,
                    f"{', '.join(map(repr, unknown))} not among the properties",
                    "name only properties of this schema (or add them to properties)",
                )
            return tuple(at.raw)

        if node.has("not"):
            rule = node.child("not")
            if [key for key, _ in rule.items()] != ["required"]:
                self.refuse(
                    rule,
                    "only 'not: {required: [...]}' is supported",
                    "write not: {required: [a, b]} (fields that must not all be present), or "
                    "state the rule in the description",
                )
            else:
                group = names(rule.child("required"))
                if group:
                    exclusive.append(group)
        dependent_node = node.child("dependentRequired")
        if dependent_node.raw is not None:
            if not dependent_node.is_mapping:
                self.problem(dependent_node, "'dependentRequired' must be a mapping")
            for trigger, needed in dependent_node.items():
                if trigger not in known:
                    self.refuse(
                        needed,
                        f"{trigger!r} is not among the properties",
                        f"add {trigger!r} to properties or key the rule by one of them",
                    )
                dependent.append((trigger, names(needed)))
        counts: dict[str, int] = {}
        for key in ("minProperties", "maxProperties"):
            value = node.get(key)
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
            additional_properties=node.get("additionalProperties") is not False,
        )

    def build_enum(self, node: Node, name: str) -> ir.EnumDef:
        members: list[ir.EnumMember] = []
        member_names: Namespace[Claim] = Namespace()
        descriptions = node.child("x-enum-descriptions")
        values = node.child("enum")
        if not isinstance(values.raw, list) or not values.raw:
            self.refuse(
                values, "'enum' must be a non-empty list", "list the values, e.g. enum: [A, B]"
            )
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
                        self.text(descriptions, item.raw) if descriptions.is_mapping else ""
                    ),
                )
            )
        return ir.EnumDef(
            name=name, description=self.text(node, "description"), members=tuple(members)
        )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
