"""The spec model: the loaded documents read once into typed objects, each knowing its place.

``spec_model(specs)`` (also ``specs.model()``) gives a :class:`SpecModel`: every operation of every
file with its security schemes, parameters, request body, responses and extensions, ``$ref``s
followed. It is a faithful *reading*, not a judgement: it never raises and never refuses a value of
the wrong shape. Whatever it could not follow (a broken ``$ref``) is kept as ``problems`` on the
object it belongs to, and every raw value stays reachable (``.raw``) with its
:attr:`Node.location`, so ``validate`` can say what is wrong with it and where. ``build_ir``, the
sandbox and the demo read this model; nothing else walks the raw documents.

Objects:

- :class:`Node`: a value in one document (``doc``, JSON ``pointer``, ``raw``), with ``location``
  (``file:line:col``), ``child(key)``, ``items()``, ``elements()``, ``get(key)``.
- :class:`Schema` (a Node): ``ref``/``resolve()``, ``type``, ``format``, ``properties()``,
  ``item_schema``, ``subschema(key)``, ``subschemas()`` (everything nested), ``ref_target()``
  (one ``$ref`` step), ``name`` (for a ``components/schemas`` entry), ``keywords``.
- :class:`Operation`: ``path``, ``method``, ``operation_id``, ``security`` (:class:`Security`
  with :class:`SecurityScheme` uses), ``parameters`` / ``item_parameters`` (:class:`Parameter`),
  ``request_body`` (:class:`RequestBody` of :class:`MediaType`), ``responses``
  (:class:`Response` with :class:`ErrorCodeRow`), ``rate_limit``, ``extensions``.
- :class:`SpecModel`: ``operations`` (files by name, paths in file order, methods in
  :data:`~.protocol.HTTP_METHODS` order), ``named_schemas`` (every ``components/schemas``
  entry), ``security_schemes`` (every scheme defined in place), ``webhooks`` (the raw
  ``webhooks`` mapping of each file, for the webhook reader to build on), ``deref(node)``.

Each file as written (its schema sites, schema roots, the kind of each object an extension may be
on) is read from this model by :mod:`.spec_places`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .loader import Location, Pointer, Problem, SpecDocument, SpecLoadError, SpecSet
from .protocol import HTTP_METHODS, JSON_MEDIA, AuthScheme, auth_scheme
from .schema_keywords import SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_ONE

__all__ = [
    "ErrorCodeRow",
    "MediaType",
    "Node",
    "Operation",
    "Parameter",
    "RequestBody",
    "Response",
    "Schema",
    "Security",
    "SecurityScheme",
    "SpecModel",
    "spec_model",
]


# ------------------------------------------------------------------------------------ nodes


@dataclass(frozen=True, eq=False)
class Node:
    """A value inside one spec document, with its JSON pointer (for locations)."""

    doc: SpecDocument
    pointer: Pointer
    raw: Any

    def child(self, key: str | int) -> Node:
        """The value under ``key`` (a Node whose ``raw`` is None when there is none)."""
        return Node(self.doc, (*self.pointer, key), _child(self.raw, key))

    def get(self, key: str, default: Any = None) -> Any:
        raw = self.raw
        return raw.get(key, default) if isinstance(raw, dict) else default

    def has(self, key: str) -> bool:
        return isinstance(self.raw, dict) and key in self.raw

    def items(self) -> Iterator[tuple[str, Node]]:
        if isinstance(self.raw, dict):
            for key in self.raw:
                yield str(key), self.child(str(key))

    def elements(self) -> Iterator[Node]:
        if isinstance(self.raw, list):
            for index in range(len(self.raw)):
                yield self.child(index)

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.raw, dict)

    @property
    def location(self) -> Location:
        return self.doc.location(self.pointer)

    @property
    def key(self) -> tuple[str, Pointer]:
        """Identity of the place: (document display name, pointer)."""
        return (self.doc.display, self.pointer)

    def problem(self, message: str) -> Problem:
        return Problem(self.location, message)

    def refusal(self, what: str, fix: str) -> Problem:
        """What the generator cannot do with this value, and what to write instead:
        ``what; fix`` (every refusal says what to do, as every ``validate`` problem does)."""
        return Problem(self.location, f"{what}; {fix}")

    @property
    def extensions(self) -> dict[str, Node]:
        """The ``x-*`` keys written on this object, by name, in file order."""
        return {k: v for k, v in self.items() if k.startswith("x-")}


def _child(raw: Any, key: str | int) -> Any:
    if isinstance(key, str) and isinstance(raw, dict):
        return raw.get(key)
    if isinstance(key, int) and isinstance(raw, list) and 0 <= key < len(raw):
        return raw[key]
    return None


@dataclass(frozen=True, eq=False)
class Schema(Node):
    """A JSON Schema object as written (maybe a ``$ref``); ``resolve()`` follows references."""

    model: SpecModel = field(repr=False)

    @property
    def ref(self) -> str | None:
        ref = self.get("$ref")
        return ref if isinstance(ref, str) else None

    @property
    def has_ref(self) -> bool:
        return self.has("$ref")

    def resolve(self) -> tuple[Schema | None, list[Problem]]:
        """The schema ``$ref``s lead to (itself if it is none), or None and why."""
        target, problems = self.model.deref(self)
        return (None if target is None else self.model.schema(target)), problems

    @property
    def name(self) -> str | None:
        """The name under ``components/schemas`` when that is where this schema is written."""
        pointer = self.pointer
        if len(pointer) == 3 and pointer[:2] == ("components", "schemas"):
            return str(pointer[2])
        return None

    @property
    def type(self) -> Any:
        return self.get("type")

    @property
    def format(self) -> Any:
        return self.get("format")

    @property
    def keywords(self) -> tuple[str, ...]:
        raw = self.raw
        return tuple(str(k) for k in raw) if isinstance(raw, dict) else ()

    def subschema(self, key: str | int) -> Schema:
        return self.model.schema(self.child(key))

    @property
    def item_schema(self) -> Schema | None:
        """The ``items`` schema (None when not written)."""
        return self.subschema("items") if self.has("items") else None

    def properties(self) -> list[tuple[str, Schema]]:
        props = self.child("properties")
        return [(name, self.model.schema(node)) for name, node in props.items()]

    def subschemas(self) -> tuple[Schema, ...]:
        """This schema and every schema nested in it, depth first, as written (``$ref``s not
        followed; nothing when it is not a mapping), read once per place. Depth is bounded by
        the loader."""
        found = self.model._subschemas.get(self.key)
        if found is None:
            out: list[Schema] = []
            self._nested(out)
            found = self.model._subschemas[self.key] = tuple(out)
        return found

    def _nested(self, out: list[Schema]) -> None:
        raw = self.raw
        if not isinstance(raw, dict):
            return
        out.append(self)
        for key in SCHEMA_MAPS:
            if key in raw:  # (a Node is made only for a keyword that is written)
                for _, sub in self.child(key).items():
                    self.model.schema(sub)._nested(out)
        for key in SCHEMA_LISTS:
            if key in raw:
                for sub in self.child(key).elements():
                    self.model.schema(sub)._nested(out)
        for key in SCHEMA_ONE:
            if key in raw:
                self.subschema(key)._nested(out)

    def ref_target(self) -> tuple[Schema | None, list[Problem]]:
        """Where this schema's own ``$ref`` leads, one step (None and why when it does not
        resolve; None and no problem when there is no string ``$ref``)."""
        ref = self.ref
        if ref is None:
            return None, []
        found = self.model._ref_targets.get(self.key)
        if found is None:
            try:
                doc, pointer, raw = self.model.specs.resolve(
                    self.doc, ref, at=(*self.pointer, "$ref")
                )
            except SpecLoadError as exc:
                found = (None, tuple(exc.problems))
            else:
                found = (self.model.schema(Node(doc, pointer, raw)), ())
            self.model._ref_targets[self.key] = found
        return found[0], list(found[1])

    @property
    def required_names(self) -> list[str]:
        required = self.get("required")
        return [r for r in required if isinstance(r, str)] if isinstance(required, list) else []


# ------------------------------------------------------------------------------- objects


@dataclass(frozen=True, eq=False)
class SecurityScheme:
    """A security scheme an operation names (``name``, at ``use``), as defined for its file."""

    name: str
    use: Node  # the requirement entry naming it: (..., 'security', i, name)
    written: Node  # components/securitySchemes/<name> of the operation's file
    defined: bool  # ``written`` is there (its value may still be of any shape)
    node: Node | None  # ``written`` with $refs followed; None when they break or it is absent
    problems: tuple[Problem, ...]

    @property
    def auth_word(self) -> Any:
        return self.node.get("x-wechatpay-auth-scheme") if self.node is not None else None

    @property
    def scheme(self) -> AuthScheme | None:
        return auth_scheme(self.auth_word)

    @property
    def identity(self) -> Any:
        return self.node.get("x-wechatpay-identity") if self.node is not None else None


@dataclass(frozen=True, eq=False)
class Security:
    """An operation's security requirement: its own, or the document's default."""

    node: Node  # (..., 'security') of the operation, or ('security',) of the document
    inherited: bool  # taken from the document (the operation has no 'security')
    schemes: tuple[SecurityScheme, ...]  # every scheme every requirement names, in order

    @property
    def auth(self) -> tuple[AuthScheme, ...]:
        """The distinct known schemes named, in order."""
        found = [s.scheme for s in self.schemes if s.scheme is not None]
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True, eq=False)
class Parameter:
    written: Node  # the list element (maybe a $ref)
    node: Node | None  # resolved; None when the $ref breaks
    problems: tuple[Problem, ...]
    model: SpecModel = field(repr=False)

    @property
    def name(self) -> Any:
        return self.node.get("name") if self.node is not None else None

    @property
    def where(self) -> Any:
        """The ``in`` value: path, query, header, cookie."""
        return self.node.get("in") if self.node is not None else None

    @property
    def required(self) -> bool:
        return self.node is not None and self.node.get("required") is True

    @property
    def schema(self) -> Schema | None:
        if self.node is None or not self.node.has("schema"):
            return None
        return self.model.schema(self.node.child("schema"))

    @property
    def example(self) -> Any:
        """The parameter's example, else its schema's (None when neither is written)."""
        if self.node is None:
            return None
        example = self.node.get("example")
        if example is None:
            schema = self.node.get("schema")
            if isinstance(schema, dict):
                example = schema.get("example")
        return example

    @property
    def supplied_by_runtime(self) -> bool:
        return (
            self.where == "header"
            and self.node is not None
            and self.node.get("x-wechatpay-supplied-by") == "runtime"
        )


@dataclass(frozen=True, eq=False)
class MediaType:
    media: str
    node: Node
    model: SpecModel = field(repr=False)

    @property
    def schema(self) -> Schema | None:
        return self.model.schema(self.node.child("schema")) if self.node.has("schema") else None

    @property
    def example(self) -> tuple[bool, Any]:
        """(found, value): ``example``, else the first of ``examples``, else the schema's."""
        if self.node.has("example"):
            return True, self.node.get("example")
        examples = self.node.child("examples")
        for _, entry in examples.items():
            resolved, _ = self.model.deref(entry)
            if resolved is not None and resolved.has("value"):
                return True, resolved.get("value")
            break
        schema = self.schema
        if schema is not None:
            target, _ = self.model.deref(schema)
            if target is not None and target.has("example"):
                return True, target.get("example")
        return False, None


def _content(model: SpecModel, holder: Node | None) -> tuple[MediaType, ...]:
    if holder is None:
        return ()
    return tuple(MediaType(m, n, model) for m, n in holder.child("content").items())


@dataclass(frozen=True, eq=False)
class RequestBody:
    written: Node
    node: Node | None
    problems: tuple[Problem, ...]
    content: tuple[MediaType, ...]

    @property
    def required(self) -> bool:
        return self.node is not None and bool(self.node.get("required"))

    def media(self, media: str = JSON_MEDIA) -> MediaType | None:
        return next((m for m in self.content if m.media == media), None)


@dataclass(frozen=True, eq=False)
class ErrorCodeRow:
    """One row of ``x-wechatpay-error-codes``: ``{code, description, solution}``."""

    node: Node

    @property
    def code(self) -> Any:
        return self.node.get("code")


@dataclass(frozen=True, eq=False)
class Response:
    status: str  # as written: "200", "4XX", "default"
    written: Node
    node: Node | None
    problems: tuple[Problem, ...]
    content: tuple[MediaType, ...]

    def media(self, media: str = JSON_MEDIA) -> MediaType | None:
        return next((m for m in self.content if m.media == media), None)

    @property
    def error_codes(self) -> Node:
        if self.node is None:
            return Node(self.written.doc, (*self.written.pointer, "x-wechatpay-error-codes"), None)
        return self.node.child("x-wechatpay-error-codes")

    @property
    def error_rows(self) -> tuple[ErrorCodeRow, ...]:
        return tuple(ErrorCodeRow(n) for n in self.error_codes.elements())


@dataclass(frozen=True, eq=False)
class Operation:
    """One operation: ``method`` of ``path``, as the file that lists the path gives it."""

    path: str
    method: str  # lower case, as written
    node: Node  # the operation object (in the path item's file, after a path-item $ref)
    listed: Node  # ('paths', path) in the file that lists it
    item: Node  # the path item, resolved
    security: Security
    parameters: tuple[Parameter, ...]  # the operation's own
    item_parameters: tuple[Parameter, ...]  # the path item's (shared by its operations)
    request_body: RequestBody | None
    responses: tuple[Response, ...]

    @property
    def doc(self) -> SpecDocument:
        return self.node.doc

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def location(self) -> Location:
        return self.node.location

    @property
    def operation_id(self) -> Any:
        return self.node.get("operationId")

    @property
    def operation_id_node(self) -> Node:
        return self.node.child("operationId")

    @property
    def rate_limit(self) -> Node:
        return self.node.child("x-rate-limit")

    @property
    def extensions(self) -> dict[str, Node]:
        return self.node.extensions

    def all_parameters(self) -> list[Parameter]:
        """Path-item parameters, then the operation's; an operation's one replaces the item's
        one with the same name and location (names compared as written)."""
        merged: dict[tuple[Any, Any], Parameter] = {}
        for param in (*self.item_parameters, *self.parameters):
            merged[(param.where, param.name)] = param
        return list(merged.values())


# --------------------------------------------------------------------------------- model


class SpecModel:
    """Every operation and named schema of a loaded :class:`SpecSet` (see the module doc)."""

    def __init__(self, specs: SpecSet) -> None:
        self.specs = specs
        self._schemas: dict[tuple[str, Pointer], Schema] = {}
        self._subschemas: dict[tuple[str, Pointer], tuple[Schema, ...]] = {}
        self._ref_targets: dict[tuple[str, Pointer], tuple[Schema | None, tuple[Problem, ...]]] = {}
        self.operations: tuple[Operation, ...] = tuple(self._read_operations())

    # -- references -----------------------------------------------------------------------

    def deref(self, node: Node) -> tuple[Node | None, list[Problem]]:
        """``node`` with ``$ref``s followed; (None, why) when a reference breaks or loops."""
        seen: set[tuple[str, Pointer]] = set()
        while isinstance(node.raw, dict) and "$ref" in node.raw:
            ref = node.raw["$ref"]
            if not isinstance(ref, str):
                return None, [node.child("$ref").problem("'$ref' must be a string")]
            if node.key in seen:
                return None, [node.problem(f"'$ref' cycle through {ref!r}")]
            seen.add(node.key)
            try:
                doc, pointer, raw = self.specs.resolve(node.doc, ref, at=(*node.pointer, "$ref"))
            except SpecLoadError as exc:
                return None, list(exc.problems)
            node = Node(doc, pointer, raw)
        return node, []

    def schema(self, node: Node) -> Schema:
        """The :class:`Schema` at ``node`` (one object per place)."""
        if isinstance(node, Schema):
            return node
        found = self._schemas.get(node.key)
        if found is None:
            found = self._schemas[node.key] = Schema(node.doc, node.pointer, node.raw, self)
        return found

    # -- documents ------------------------------------------------------------------------

    def documents(self) -> list[SpecDocument]:
        return [self.specs.documents[name] for name in sorted(self.specs.documents)]

    @staticmethod
    def root(doc: SpecDocument) -> Node:
        return Node(doc, (), doc.data)

    def named_schemas(self) -> list[Schema]:
        """Every ``components/schemas`` entry of every file, files by name, in file order."""
        return [
            self.schema(node)
            for doc in self.documents()
            for _, node in self.root(doc).child("components").child("schemas").items()
        ]

    def security_schemes(self) -> list[tuple[str, Node]]:
        """Every ``components/securitySchemes`` entry defined in place (not a ``$ref``)."""
        return [
            (name, node)
            for doc in self.documents()
            for name, node in self.root(doc).child("components").child("securitySchemes").items()
            if not node.has("$ref")
        ]

    def webhooks(self) -> list[Node]:
        """The ``webhooks`` mapping of each file that has one (read by the webhook builder)."""
        return [
            node
            for doc in self.documents()
            if (node := self.root(doc).child("webhooks")).raw is not None
        ]

    # -- operations -----------------------------------------------------------------------

    def _read_operations(self) -> Iterator[Operation]:
        for doc in self.documents():
            for path, listed in self.root(doc).child("paths").items():
                item, _ = self.deref(listed)
                if item is None or not item.is_mapping:
                    continue
                item_parameters = self._parameters(item.child("parameters"))
                for method in HTTP_METHODS:
                    node = item.child(method)
                    if node.is_mapping:
                        yield self._operation(path, method, node, listed, item, item_parameters)

    def _operation(
        self,
        path: str,
        method: str,
        node: Node,
        listed: Node,
        item: Node,
        item_parameters: tuple[Parameter, ...],
    ) -> Operation:
        body: RequestBody | None = None
        if node.has("requestBody"):
            written = node.child("requestBody")
            resolved, problems = self.deref(written)
            body = RequestBody(written, resolved, tuple(problems), _content(self, resolved))
        responses: list[Response] = []
        for status, written in node.child("responses").items():
            resolved, problems = self.deref(written)
            responses.append(
                Response(status, written, resolved, tuple(problems), _content(self, resolved))
            )
        return Operation(
            path=path,
            method=method,
            node=node,
            listed=listed,
            item=item,
            security=self._security(node),
            parameters=self._parameters(node.child("parameters")),
            item_parameters=item_parameters,
            request_body=body,
            responses=tuple(responses),
        )

    def _parameters(self, listed: Node) -> tuple[Parameter, ...]:
        out: list[Parameter] = []
        for written in listed.elements():
            resolved, problems = self.deref(written)
            out.append(Parameter(written, resolved, tuple(problems), self))
        return tuple(out)

    def _security(self, op: Node) -> Security:
        inherited = not op.has("security")
        node = Node(op.doc, ("security",), op.doc.data.get("security")) if inherited else None
        node = node or op.child("security")
        defined = self.root(op.doc).child("components").child("securitySchemes")
        schemes: list[SecurityScheme] = []
        for requirement in node.elements():
            for name, use in requirement.items():
                written = defined.child(name)
                resolved: Node | None = None
                problems: list[Problem] = []
                present = defined.has(name)
                if present:
                    resolved, problems = self.deref(written)
                schemes.append(
                    SecurityScheme(name, use, written, present, resolved, tuple(problems))
                )
        return Security(node, inherited, tuple(schemes))


def spec_model(specs: SpecSet) -> SpecModel:
    """The model of ``specs``, read once per :class:`SpecSet` and kept on it."""
    return specs.model()
