"""Examples: every example (media type, parameter, header, schema) validates against its schema,
with the lenient ``date-time`` of :mod:`..protocol`; nothing is fetched from the network.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .._fastschema import examples_valid
from ..loader import Problem, SpecSet, pointer_text
from ..protocol import is_date, is_lenient_date_time
from ..spec_model import Node, Schema, SpecModel
from ..spec_places import SchemaSite, all_schema_roots
from .common import json_path, short, types

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


def _examples(model: SpecModel, sites: list[SchemaSite]) -> list[tuple[Schema, Node]]:
    """Every example to check: (its schema, the example), each where it is written."""
    found: list[tuple[Schema, Node]] = []
    for site in sites:
        schema = site.schema
        if schema is None:
            continue
        example = site.example
        if example is not None:
            found.append((schema, example))
        found.extend((schema, value) for _, value in site.examples())
    for root in all_schema_roots(model, model.specs.documents.values(), sites):
        for schema in root.subschemas():
            if schema.has("example"):
                found.append((schema, schema.child("example")))
            found.extend((schema, value) for value in schema.child("examples").elements())
    return found


def _groups(
    specs: SpecSet, examples: list[tuple[Schema, Node]]
) -> Iterator[tuple[list[tuple[str, Any]], list[tuple[str, Any]]]]:
    """The examples by the file of their schema, each with the files that file's ``$ref``s can
    reach (for the fast path: one group's files at a time)."""
    from urllib.parse import urljoin

    by_uri = {doc.uri: doc for doc in specs.documents.values()}
    grouped: dict[str, list[tuple[str, Any]]] = {}
    for schema, example in examples:
        grouped.setdefault(schema.doc.uri, []).append((_schema_uri(schema), example.raw))
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


def _schema_uri(schema: Schema) -> str:
    return f"{schema.doc.uri}#{pointer_text(schema.pointer)}"


def check_examples(
    model: SpecModel, sites: list[SchemaSite], *, tolerant: bool = False
) -> list[Problem]:
    """Every example (media type, parameter, header, schema) validates against its schema.

    ``tolerant``: some schemas are known to be invalid (reported by the schema or reference
    checks); an example whose check fails on one is skipped rather than an internal error."""
    specs = model.specs
    examples = _examples(model, sites)
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

    def check(of: Schema, example: Node) -> list[Problem]:
        """Problems of ``example`` against the schema ``of``."""
        schema = {"$ref": _schema_uri(of)}
        validator = validator_class(
            schema,
            registry=registry,
            format_checker=format_checker,
            _resolver=with_specifications.resolver_with_root(DRAFT202012.create_resource(schema)),
        )
        try:
            errors = sorted(
                validator.iter_errors(example.raw),
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
            example.problem(
                f"example does not match its schema at {json_path(error.absolute_path)}: "
                f"{_example_error(error)}; fix the example or the schema",
            )
            for error in errors
        ]

    problems: list[Problem] = []
    for schema, example in examples:
        problems += check(schema, example)
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
