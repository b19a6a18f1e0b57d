"""The specs as doc-check and diff see them: operations with their fields, each knowing its place.

Operations, parameters, bodies, responses and security come from the spec model
(``spec_model``); this module turns them into flat field tables for ``doc-check`` and ``diff``,
following schema ``$ref``s (a property's own ``description``, written next to its ``$ref``, wins)
and keeping for every value the document and JSON pointer it came from, so a difference can be
shown at ``file:line:col`` and an annotation can be found where the difference is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..loader import Location, Pointer, SpecDocument, SpecLoadError, SpecSet
from ..protocol import EXTENSIONS
from ..spec_model import Node, Operation
from ..spec_places import holding

__all__ = ["ANNOTATION", "Annotation", "SpecField", "SpecOperation", "SpecView", "read_specs"]

# The extension by which a spec acknowledges an on-purpose difference from the doc page:
# a list of {difference: <kind>, subject: <field/code/value, optional>, reason: <why>}.
ANNOTATION = EXTENSIONS["x-wechatpay-doc-differs"].name
_MAX_DEPTH = 12  # nested objects followed this deep (a self-referencing schema stops here)

Anchor = tuple[str, Pointer]  # (document display name, pointer of the annotated mapping)


@dataclass(frozen=True)
class Place:
    doc: SpecDocument
    pointer: Pointer

    def at(self, *keys: str | int) -> Location:
        return self.doc.location((*self.pointer, *keys))

    @property
    def anchor(self) -> Anchor:
        return (self.doc.display, self.pointer)


@dataclass
class SpecField:
    name: str
    required: bool
    type: str | None  # JSON type; None when the schema names none
    items: str | None
    place: Place  # where the property (or parameter) is written
    schema: Place  # the schema its constraints come from ($ref followed)
    description: str = ""
    format: str | None = None
    max_length: int | None = None
    min_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_items: int | None = None
    min_items: int | None = None
    pattern: str | None = None
    enum: list[str] | None = None
    enum_place: Place | None = None
    children: dict[str, SpecField] | None = None
    children_place: Place | None = None  # the object schema the children are written in
    required_place: Place | None = None  # the parent's ``required`` list
    runtime: bool = False  # a header parameter the runtime supplies (not an argument)

    @property
    def type_text(self) -> str:
        if self.type == "array":
            return f"array[{self.items or 'any'}]"
        return self.type or "any"


@dataclass
class ErrorRow:
    status: int
    code: str
    description: str
    place: Place  # the row itself
    response: Place  # the response object it belongs to


@dataclass
class SpecOperation:
    method: str  # upper case
    path: str
    summary: str
    operation_id: str
    place: Place  # the operation object
    path_place: Place  # the path item
    auth: str | None  # merchant / brand
    auth_place: Place
    params: dict[str, dict[str, SpecField]] = field(default_factory=dict)
    body: dict[str, SpecField] | None = None
    body_place: Place | None = None  # the request body's object schema
    request_example: Any = None
    request_example_place: Place | None = None
    response_status: int | None = None
    response_place: Place | None = None
    response: dict[str, SpecField] | None = None
    response_body_place: Place | None = None
    response_example: Any = None
    response_example_place: Place | None = None
    error_codes: list[ErrorRow] = field(default_factory=list)


@dataclass(frozen=True)
class Annotation:
    place: Place
    index: int
    difference: str
    subject: str | None
    reason: str

    @property
    def location(self) -> Location:
        return self.place.at(ANNOTATION, self.index)


@dataclass
class SpecWebhook:
    """A callback the specs describe (``webhooks``): its event type and decrypted resource."""

    event: str
    place: Place
    resource: dict[str, SpecField] | None  # None: no x-wechatpay-resource object schema


@dataclass
class SpecView:
    operations: list[SpecOperation]
    annotations: list[Annotation]
    malformed: list[tuple[Location, str]]  # annotations that are not {difference, reason, ...}
    webhooks: list[SpecWebhook] = field(default_factory=list)


def read_specs(specs: SpecSet) -> SpecView:
    """Every operation of every file; ``SpecLoadError`` on a ``$ref`` that cannot be followed."""
    reader = _Reader(specs)
    model = specs.model()
    operations = [reader.operation(op) for op in model.operations]
    webhooks = [
        reader.webhook(str(event), node)
        for mapping in model.webhooks()
        for event, node in mapping.items()
    ]
    annotations: list[Annotation] = []
    malformed: list[tuple[Location, str]] = []
    for doc in specs.documents.values():
        for holder in holding(model, doc, ANNOTATION):
            _collect_annotations(holder, annotations, malformed)
    return SpecView(operations, annotations, malformed, webhooks)


def _collect_annotations(
    holder: Node, out: list[Annotation], malformed: list[tuple[Location, str]]
) -> None:
    """The entries of the ``x-wechatpay-doc-differs`` list written on ``holder``."""
    place = _place(holder)
    table = holder.child(ANNOTATION)
    if not isinstance(table.raw, list):
        malformed.append((table.location, f"{ANNOTATION} must be a list"))
    for index, entry in enumerate(table.elements()):
        difference, reason, subject = (
            entry.get("difference"),
            entry.get("reason"),
            entry.get("subject"),
        )
        ok = (
            entry.is_mapping
            and isinstance(difference, str)
            and isinstance(reason, str)
            and reason.strip()
            and isinstance(entry.get("subject", ""), str | int)
            and {key for key, _ in entry.items()} <= {"difference", "subject", "reason"}
        )
        if not ok:
            malformed.append(
                (
                    entry.location,
                    f"{ANNOTATION} entries are {{difference: <kind>, subject: <optional>, "
                    "reason: <why the spec differs on purpose>}",
                )
            )
            continue
        assert isinstance(difference, str) and isinstance(reason, str)
        out.append(
            Annotation(place, index, difference, None if subject is None else str(subject), reason)
        )


class _Reader:
    def __init__(self, specs: SpecSet) -> None:
        self.specs = specs

    def follow(self, node: Node) -> Node:
        """``node`` with its ``$ref``s followed (``SpecLoadError`` when one cannot be)."""
        doc, pointer, raw = self.specs.deref(node.doc, node.pointer, node.raw)
        return Node(doc, pointer, raw)

    def operation(self, op: Operation) -> SpecOperation:
        op_place = _place(op.node)
        auth = op.security.auth
        result = SpecOperation(
            method=op.method.upper(),
            path=op.path,
            summary=str(op.node.get("summary") or ""),
            operation_id=str(op.operation_id or ""),
            place=op_place,
            path_place=_place(op.listed),
            auth=auth[0].runtime if auth else None,
            auth_place=_place(op.security.node),
        )
        for param in op.all_parameters():
            if param.node is None or not isinstance(param.name, str):
                continue
            if not isinstance(param.where, str):
                continue
            schema = param.schema
            # no schema: the constraints read as none, from the parameter's place
            target = (
                self.follow(schema)
                if schema is not None
                else Node(param.node.doc, param.node.pointer, None)
            )
            item = self.field(param.name, param.required, param.node, param.node, target)
            item.required_place = _place(param.node)
            item.runtime = param.supplied_by_runtime
            result.params.setdefault(param.where, {})[param.name] = item
        self.request(result, op)
        self.responses(result, op)
        return result

    def webhook(self, event: str, item: Node) -> SpecWebhook:
        post = item.child("post")
        resource = post.child("x-wechatpay-resource")
        fields: dict[str, SpecField] | None = None
        if resource.is_mapping and resource.has("schema"):
            fields, _ = self.object_fields(resource)
        return SpecWebhook(event, _place(post), fields)

    def request(self, result: SpecOperation, op: Operation) -> None:
        media = op.request_body.media() if op.request_body is not None else None
        if media is None:
            return
        result.request_example, result.request_example_place = _example(media.node)
        fields, schema_place = self.object_fields(media.node)
        result.body, result.body_place = fields, schema_place

    def responses(self, result: SpecOperation, op: Operation) -> None:
        for response in op.responses:
            if not response.status.isdigit() or response.node is None:
                continue
            place = _place(response.node)
            for row in response.error_rows:
                if isinstance(row.code, str):
                    result.error_codes.append(
                        ErrorRow(
                            int(response.status),
                            row.code,
                            str(row.node.get("description") or ""),
                            _place(row.node),
                            place,
                        )
                    )
            if response.status.startswith("2") and result.response_status is None:
                result.response_status = int(response.status)
                result.response_place = place
                media = response.media()
                if media is not None:
                    result.response_example, result.response_example_place = _example(media.node)
                    fields, schema_place = self.object_fields(media.node)
                    result.response, result.response_body_place = fields, schema_place

    def object_fields(
        self, owner: Node, depth: int = 0
    ) -> tuple[dict[str, SpecField] | None, Place | None]:
        """The properties of the object schema ``owner``/schema, ``$ref`` followed."""
        written = owner.child("schema")
        if written.raw is None:
            return None, None
        return self.properties(self.follow(written), depth)

    def properties(
        self, schema: Node, depth: int
    ) -> tuple[dict[str, SpecField] | None, Place | None]:
        if not schema.child("properties").is_mapping:
            return None, None
        required = schema.get("required")
        needed = set(required) if isinstance(required, list) else set()
        out: dict[str, SpecField] = {}
        for name, prop in schema.child("properties").items():
            item = self.field(name, name in needed, prop, prop, self.follow(prop), depth + 1)
            item.required_place = _place(schema.child("required"))
            out[name] = item
        return out, _place(schema)

    def field(
        self,
        name: str,
        required: bool,
        place: Node,
        written: Node,
        schema: Node,
        depth: int = 0,
    ) -> SpecField:
        """``written`` (at ``place``) with its constraints from ``schema`` ($refs followed);
        a value of the wrong shape reads as an empty mapping."""
        description = written.get("description", schema.get("description", ""))
        kind = schema.get("type")
        if kind is None and schema.has("enum"):
            kind = "string"
        if kind is None and schema.has("properties"):
            kind = "object"
        fmt, pattern, enum = schema.get("format"), schema.get("pattern"), schema.get("enum")
        item = SpecField(
            name=name,
            required=required,
            type=kind if isinstance(kind, str) else None,
            items=None,
            place=_place(place),
            schema=_place(schema),
            description=str(description or ""),
            format=fmt if isinstance(fmt, str) else None,
            max_length=_int(schema.get("maxLength")),
            min_length=_int(schema.get("minLength")),
            minimum=_number(schema.get("minimum")),
            maximum=_number(schema.get("maximum")),
            max_items=_int(schema.get("maxItems")),
            min_items=_int(schema.get("minItems")),
            pattern=pattern if isinstance(pattern, str) else None,
        )
        if isinstance(enum, list):
            item.enum = [str(v) for v in enum]
            item.enum_place = _place(schema)
        if depth > _MAX_DEPTH:
            return item
        if item.type == "object":
            item.children, item.children_place = self.properties(schema, depth)
        elif item.type == "array" and schema.has("items"):
            items = self.follow(schema.child("items"))
            if items.is_mapping:
                inner = self.field(name, required, items, items, items, depth)
                item.items = inner.type
                if inner.enum is not None:
                    item.enum, item.enum_place = inner.enum, inner.enum_place
                item.children, item.children_place = inner.children, inner.children_place
        return item


def _place(node: Node) -> Place:
    return Place(node.doc, node.pointer)


def _example(media: Node) -> tuple[Any, Place | None]:
    if media.has("example"):
        return media.get("example"), _place(media.child("example"))
    for _, entry in media.child("examples").items():
        if entry.has("value"):
            return entry.get("value"), _place(entry.child("value"))
    return None, None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


__all__ += ["ErrorRow", "Place", "SpecLoadError"]
