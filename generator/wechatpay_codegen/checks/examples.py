"""Examples: every example (media type, parameter, header, schema) validates against its schema,
with the lenient ``date-time`` of :mod:`..protocol`; nothing is fetched from the network.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .._fastschema import examples_valid
from ..loader import Pointer, Problem, SpecDocument, SpecSet, pointer_text
from ..protocol import is_date, is_lenient_date_time
from .common import deref, json_path, mapping, short, types
from .schemas import Site, schema_roots, subschemas

if TYPE_CHECKING:  # imported where used: a run whose checks all passed before never needs them
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError
    from referencing import Registry, Resource


@functools.cache
def _format_checker() -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_lenient_date_time)
    checker.checks("date")(is_date)
    return checker


def meta_schemas() -> Registry[Any]:
    """The meta-schema registry (jsonschema's ``SPECIFICATIONS``) that jsonschema combines with
    the registry a validator is given."""
    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped,unused-ignore]

    found: Registry[Any] = REGISTRY
    return found


def _no_retrieval(uri: str) -> Resource[Any]:
    """Never fetch a schema from the network or disk: only loaded documents resolve."""
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(uri)


def _examples(
    specs: SpecSet, docs: list[SpecDocument], sites: list[Site]
) -> list[tuple[SpecDocument, Pointer, Pointer, Any, SpecDocument | None]]:
    """Every example to check: (schema's document, schema pointer, the example's pointer, the
    example, the example's document when it is another one)."""
    found: list[tuple[SpecDocument, Pointer, Pointer, Any, SpecDocument | None]] = []
    for site in sites:
        if "schema" not in site.data:
            continue
        schema_pointer = (*site.pointer, "schema")
        if "example" in site.data:
            found.append(
                (site.doc, schema_pointer, (*site.pointer, "example"), site.data["example"], None)
            )
        for name, example in mapping(site.data.get("examples")).items():
            resolved = deref(specs, site.doc, (*site.pointer, "examples", name), example)
            if resolved is None or not isinstance(resolved[2], dict):
                continue
            if "value" in resolved[2]:
                example_doc, example_pointer, value = resolved
                at = (*example_pointer, "value")
                found.append((site.doc, schema_pointer, at, value["value"], example_doc))
    for doc in docs:
        for root_pointer, root in schema_roots(doc, sites):
            for pointer, schema in subschemas(root_pointer, root):
                if "example" in schema:
                    found.append((doc, pointer, (*pointer, "example"), schema["example"], None))
                listed = schema.get("examples")
                for i, value in enumerate(listed if isinstance(listed, list) else []):
                    found.append((doc, pointer, (*pointer, "examples", i), value, None))
    return found


def _groups(
    specs: SpecSet, examples: list[tuple[SpecDocument, Pointer, Pointer, Any, SpecDocument | None]]
) -> Iterator[tuple[list[tuple[str, Any]], list[tuple[str, Any]]]]:
    """The examples by the file of their schema, each with the files that file's ``$ref``s can
    reach (for the fast path: one group's files at a time)."""
    from urllib.parse import urljoin

    by_uri = {doc.uri: doc for doc in specs.documents.values()}
    grouped: dict[str, list[tuple[str, Any]]] = {}
    for doc, pointer, _, value, _ in examples:
        grouped.setdefault(doc.uri, []).append((f"{doc.uri}#{pointer_text(pointer)}", value))
    for uri, checks in grouped.items():
        reached = {uri}
        todo = [uri]
        while todo:
            doc = by_uri[todo.pop()]
            for _, ref in doc.refs:
                target = urljoin(doc.uri, ref.partition("#")[0])
                if target in by_uri and target not in reached:
                    reached.add(target)
                    todo.append(target)
        yield [(each, by_uri[each].data) for each in sorted(reached)], checks


def check_examples(
    specs: SpecSet, docs: list[SpecDocument], sites: list[Site], *, tolerant: bool = False
) -> list[Problem]:
    """Every example (media type, parameter, header, schema) validates against its schema.

    ``tolerant``: some schemas are known to be invalid (reported by the schema or reference
    checks); an example whose check fails on one is skipped rather than an internal error."""
    examples = _examples(specs, docs, sites)
    if not tolerant and examples_valid(_groups(specs, examples)):
        return []  # known to pass: the check below would find nothing
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    format_checker = _format_checker()
    registry: Registry[Any] = Registry(retrieve=_no_retrieval).with_resources(  # type: ignore[call-arg]
        (doc.uri, DRAFT202012.create_resource(doc.data)) for doc in specs.documents.values()
    )
    # What each validator would make of ``registry`` itself (jsonschema adds the meta-schemas to
    # it), made once: merging every document into the meta-schemas per example was most of the
    # time of this check, growing with the square of the number of files.
    with_specifications = meta_schemas().combine(registry)
    validator_class: Any = Draft202012Validator  # its stubs omit the private ``_resolver``

    def check(
        doc: SpecDocument,
        schema_pointer: Pointer,
        at: Pointer,
        instance: Any,
        at_doc: SpecDocument | None = None,
    ) -> list[Problem]:
        """Problems of ``instance`` (at ``at`` in ``at_doc``) against a schema in ``doc``."""
        schema = {"$ref": f"{doc.uri}#{pointer_text(schema_pointer)}"}
        validator = validator_class(
            schema,
            registry=registry,
            format_checker=format_checker,
            _resolver=with_specifications.resolver_with_root(DRAFT202012.create_resource(schema)),
        )
        try:
            errors = sorted(
                validator.iter_errors(instance),
                key=lambda e: (list(map(str, e.absolute_path)), e.message),
            )
        except Unresolvable:
            return []  # the reference check reports it
        except RecursionError:
            return (
                []
            )  # a $ref loop (jsonschema follows it to the limit): the cycle check reports it
        except Exception:
            if tolerant:  # jsonschema assumes valid schemas, and some are not: reported already
                return []
            raise

        return [
            (at_doc or doc).problem(
                at,
                f"example does not match its schema at {json_path(error.absolute_path)}: "
                f"{_example_error(error)}; fix the example or the schema",
            )
            for error in errors
        ]

    problems: list[Problem] = []
    for doc, schema_pointer, at, value, at_doc in examples:
        problems += check(doc, schema_pointer, at, value, at_doc)
    return problems


def _example_error(error: ValidationError) -> str:
    explain = _EXPLAIN.get(str(error.validator))
    return explain(short(error.instance, 40), error) if explain else short(error.message, 120)


# JSON Schema keyword the example fails -> what is wrong with the value shown as ``instance`` (any
# other keyword: the validator's own message).
_EXPLAIN: dict[str, Callable[[str, ValidationError], str]] = {
    "type": lambda instance, error: f"{instance} is not of type {types(error.validator_value)}",
    "format": lambda instance, error: f"{instance} is not a valid {error.validator_value}",
    "enum": lambda instance, error: (
        f"{instance} is not one of {short(error.validator_value, 80)}"
    ),
}
