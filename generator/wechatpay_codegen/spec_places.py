"""Where things are written: the spec model's reading of each file's places, as written there.

The operations of :mod:`.spec_model` are read the way a client sees them (``$ref``s followed); the
checks of ``validate`` also need each file *as written*, so that a mistake is reported once, in the
file that holds it. This module reads, from the same :class:`~.spec_model.SpecModel`:

- :func:`schema_sites`: every parameter, header, media type and webhook resource written in place
  in a file (a :class:`SchemaSite`: its ``schema`` and its examples);
- :func:`schema_roots`: every schema written at the top of a place (``components/schemas``
  entries and the sites' schemas); :meth:`.spec_model.Schema.subschemas` walks into each;
- :func:`keyword_positions`: every key in keyword position (for the spelling rules);
- :func:`holding`: every mapping anywhere in a file that holds a given key;
- :func:`webhook_operations`: every webhook written in place as a ``post`` operation;
- :func:`object_places`: the kind of every object an extension may be written on
  (:data:`~.protocol.ExtensionPlace`), by pointer, for the extension placement rule.

Like the model, it never raises: values of the wrong shape are simply not places.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .loader import Pointer, SpecDocument
from .protocol import HTTP_METHODS, ExtensionPlace
from .spec_model import Node, Schema, SpecModel

__all__ = [
    "RESOURCE_EXTENSION",
    "SchemaSite",
    "all_schema_roots",
    "holding",
    "keyword_positions",
    "object_places",
    "schema_roots",
    "schema_sites",
    "webhook_operations",
]

#: The extension of a webhook's post operation holding the decrypted resource's schema and example.
RESOURCE_EXTENSION = "x-wechatpay-resource"


@dataclass(frozen=True, eq=False)
class SchemaSite:
    """A place holding a schema and maybe examples, written in place (not a ``$ref``): a
    parameter, a header, a media type or a webhook's decrypted resource."""

    node: Node
    model: SpecModel

    @property
    def doc(self) -> SpecDocument:
        return self.node.doc

    @property
    def schema(self) -> Schema | None:
        """The ``schema`` as written (None when there is none)."""
        return self.model.schema(self.node.child("schema")) if self.node.has("schema") else None

    @property
    def example(self) -> Node | None:
        """The ``example`` value (None when there is none)."""
        return self.node.child("example") if self.node.has("example") else None

    def examples(self) -> list[tuple[Node, Node]]:
        """Each entry of ``examples`` that has a ``value`` ($refs followed): (the entry as
        written, the ``value``). A broken reference is the reference check's to report."""
        found: list[tuple[Node, Node]] = []
        for _, written in self.node.child("examples").items():
            resolved, _problems = self.model.deref(written)
            if resolved is not None and resolved.has("value"):
                found.append((written, resolved.child("value")))
        return found


def _in_place(node: Node) -> bool:
    return node.is_mapping and not node.has("$ref")


def webhook_operations(model: SpecModel, doc: SpecDocument) -> Iterator[tuple[str, Node]]:
    """``(event type, its post operation)`` for each webhook of ``doc`` written in place as a
    ``post`` operation (anything else is a ``check_webhooks`` problem)."""
    for event, item in model.root(doc).child("webhooks").items():
        operation = item.child("post")
        if operation.is_mapping and not item.has("$ref"):
            yield event, operation


def schema_sites(model: SpecModel, doc: SpecDocument) -> list[SchemaSite]:
    """Parameters, headers and media types defined in ``doc`` (not those merely referenced)."""
    return [SchemaSite(node, model) for node in _site_nodes(model, doc)]


def _site_nodes(model: SpecModel, doc: SpecDocument) -> Iterator[Node]:
    root = model.root(doc)
    for _path, item in root.child("paths").items():
        if not _in_place(item):
            continue
        yield from _parameters(item.child("parameters"))
        for method in HTTP_METHODS:
            op = item.child(method)
            if op.is_mapping:
                yield from _parameters(op.child("parameters"))
                yield from _media_types(op.child("requestBody"))
                yield from _responses(op.child("responses"))
    for _event, op in webhook_operations(model, doc):
        yield from _media_types(op.child("requestBody"))
        yield from _responses(op.child("responses"))
        resource = op.child(RESOURCE_EXTENSION)
        if _in_place(resource):
            yield resource
    components = root.child("components")
    yield from (p for _, p in components.child("parameters").items() if _in_place(p))
    yield from (h for _, h in components.child("headers").items() if _in_place(h))
    for _, body in components.child("requestBodies").items():
        yield from _media_types(body)
    yield from _responses(components.child("responses"))


def _parameters(listed: Node) -> Iterator[Node]:
    return (p for p in listed.elements() if _in_place(p))


def _media_types(holder: Node) -> Iterator[Node]:
    if _in_place(holder):
        yield from (m for _, m in holder.child("content").items() if _in_place(m))


def _responses(responses: Node) -> Iterator[Node]:
    for _, response in responses.items():
        yield from _media_types(response)
        if _in_place(response):
            yield from (h for _, h in response.child("headers").items() if _in_place(h))


# Keys whose value maps names (of properties, paths, media types, ...) to objects: those names are
# not keywords, but the objects under them are read again.
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "dependentSchemas",
        "dependentRequired",
        "$defs",
        "paths",
        "webhooks",
        "schemas",
        "responses",
        "parameters",
        "headers",
        "securitySchemes",
        "requestBodies",
        "content",
        "callbacks",
        "links",
        "variables",
        "mapping",
        "encoding",
        "pathItems",
        "examples",
    }
)
# Keys whose value is data, not spec objects (examples, defaults, enum values and their texts).
_DATA = frozenset({"example", "default", "enum", "const", "value", "x-enum-descriptions"})


def keyword_positions(
    model: SpecModel, doc: SpecDocument, prefix: str = ""
) -> Iterator[tuple[Node, str, Node]]:
    """(the object, key, its value) of every key starting with ``prefix`` in keyword position in
    ``doc`` (not a name in a mapping of names, not inside data such as examples), depth first.

    The walk runs over the raw values (a Node is made only for what it gives back): it visits
    every value of every document on every run."""
    stack: list[tuple[Any, Pointer, bool]] = [(doc.data, (), False)]
    while stack:
        value, pointer, names = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if not names:
                    if key.startswith(prefix):
                        holder = Node(doc, pointer, value)
                        yield holder, key, Node(doc, (*pointer, key), item)
                    if key in _DATA:
                        continue
                stack.append((item, (*pointer, key), not names and key in _NAME_MAPS))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, (*pointer, index), False))


def holding(model: SpecModel, doc: SpecDocument, key: str) -> Iterator[Node]:
    """Every mapping written anywhere in ``doc`` with ``key`` set (not null), in document order,
    depth first (what is under ``key`` itself is not searched). Walks the raw values; a Node is
    made only for each mapping it gives back."""
    stack: list[tuple[Any, Pointer]] = [(doc.data, ())]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, dict):
            if value.get(key) is not None:
                yield Node(doc, pointer, value)
            children = [(v, (*pointer, k)) for k, v in value.items() if k != key]
        elif isinstance(value, list):
            children = [(v, (*pointer, i)) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(children))


def schema_roots(model: SpecModel, doc: SpecDocument, sites: list[SchemaSite]) -> list[Schema]:
    """The ``components/schemas`` entries of ``doc``, then the schemas of its sites."""
    return all_schema_roots(model, [doc], sites)


def all_schema_roots(
    model: SpecModel, docs: Iterable[SpecDocument], sites: list[SchemaSite]
) -> list[Schema]:
    """:func:`schema_roots` of each of ``docs``, in that order (``sites`` are read once)."""
    by_doc: dict[int, list[SchemaSite]] = {}
    for site in sites:
        by_doc.setdefault(id(site.node.doc), []).append(site)
    roots: list[Schema] = []
    for doc in docs:
        named = model.root(doc).child("components").child("schemas").items()
        roots.extend(model.schema(node) for _, node in named)
        for site in by_doc.get(id(doc), ()):
            schema = site.schema
            if schema is not None:
                roots.append(schema)
    return roots


def object_places(
    model: SpecModel, sites: list[SchemaSite]
) -> dict[tuple[str, Pointer], ExtensionPlace]:
    """The kind of each object, in every file, that an extension may be written on, by
    (document display name, pointer).

    Schemas are every schema root, everything nested in them, and every schema their ``$ref``s
    lead to (followed once each, in any file)."""
    places: dict[tuple[str, Pointer], ExtensionPlace] = {}
    for doc in model.documents():
        found: dict[Pointer, ExtensionPlace] = {(): "document"}
        root = model.root(doc)
        components = root.child("components")
        for _, scheme in components.child("securitySchemes").items():
            found[scheme.pointer] = "security-scheme"
        for _path, item in root.child("paths").items():
            if not _in_place(item):
                continue
            _mark(found, _parameters(item.child("parameters")), "parameter")
            for method in HTTP_METHODS:
                if item.has(method) and (op := item.child(method)).is_mapping:
                    _mark_operation(found, op)
        for _event, op in webhook_operations(model, doc):
            _mark_operation(found, op)
            found[op.pointer] = "webhook"
        _mark(found, (p for _, p in components.child("parameters").items()), "parameter")
        for _, body in components.child("requestBodies").items():
            _mark_media_types(found, body)
        _mark_responses(found, components.child("responses"))
        places.update(((doc.display, pointer), place) for pointer, place in found.items())
    for schema in _every_schema(model, sites):
        places.setdefault(schema.key, "schema")
    return places


def _mark(
    places: dict[Pointer, ExtensionPlace], nodes: Iterator[Node], place: ExtensionPlace
) -> None:
    for node in nodes:
        places[node.pointer] = place


def _mark_operation(places: dict[Pointer, ExtensionPlace], op: Node) -> None:
    places[op.pointer] = "operation"
    _mark(places, _parameters(op.child("parameters")), "parameter")
    _mark_media_types(places, op.child("requestBody"))
    _mark_responses(places, op.child("responses"))


def _mark_media_types(places: dict[Pointer, ExtensionPlace], holder: Node) -> None:
    if _in_place(holder):
        _mark(places, (m for _, m in holder.child("content").items()), "media-type")


def _mark_responses(places: dict[Pointer, ExtensionPlace], responses: Node) -> None:
    for _, response in responses.items():
        places[response.pointer] = "response"
        _mark_media_types(places, response)


def _every_schema(model: SpecModel, sites: list[SchemaSite]) -> Iterator[Schema]:
    """Every schema root of every file, what is nested in it, and what its ``$ref``s reach."""
    work = all_schema_roots(model, model.documents(), sites)
    work.reverse()
    seen: set[tuple[str, Pointer]] = set()
    while work:
        root = work.pop()
        if root.key in seen:
            continue
        seen.add(root.key)
        for schema in root.subschemas():
            yield schema
            target, _problems = schema.ref_target()
            if target is not None:
                work.append(target)
