"""``wechatpay-codegen validate``: OpenAPI 3.1 validity plus the rules the generator relies on.

Every problem is one line, ``file:line:col: what is wrong; what to do``, on the node at fault.
Every rule runs on every document in one run, whatever the others found: each document's shape
(version, required keys, the OpenAPI 3.1 schema from openapi-spec-validator), references, cycles,
operation ids, duplicate routes, security, media types, path parameters, spelling (schema
keywords, extensions, the keys of our own objects: :mod:`.checks.strictness`), enums and examples.
``run_validate`` (and ``generate``) add what the generator itself refuses in the same run:
Python names, and constructs it does not generate (:mod:`.checks.generator`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ._cache import Cache, digest
from ._fastschema import available as fast_schema_available
from ._report import ASK_WITH_SPECS, internal_error
from .checks.examples import check_examples
from .checks.generator import build_ir_problems, merge_problems
from .checks.operations import (
    check_operation_ids,
    check_path_parameters,
    check_request_bodies,
    check_security,
    check_security_schemes,
)
from .checks.passes import Passes, fingerprint_of
from .checks.refs import check_cycles, check_refs
from .checks.schemas import check_schemas
from .checks.shape import check_shape
from .checks.strictness import duplicate_route_problems, extension_problems, schema_keyword_problems
from .loader import Problem, SpecLoadError, SpecSet, load_specs
from .spec_model import SpecModel
from .spec_places import all_schema_roots, object_places, schema_sites, webhook_operations
from .webhooks import check_webhooks

__all__ = ["merge_problems", "run_validate", "validate_specs"]

# The checks that read the spec model (every operation, parameter, body, security scheme), in the
# order they run; each gives its problems whatever the others found.
_MODEL_CHECKS: tuple[Callable[[SpecModel], list[Problem]], ...] = (
    check_operation_ids,
    duplicate_route_problems,
    check_security_schemes,
    check_security,
    check_request_bodies,
    check_path_parameters,
)


def run_validate(paths: list[Path]) -> int:
    """Print problems to stderr (exit 1) or a one-line summary to stdout (exit 0); never raise."""
    try:
        specs = load_specs(paths)
        checked = validate_specs(specs)
        built = build_ir_problems(specs, tolerant=bool(checked))
        problems = merge_problems(specs, checked, built)
    except SpecLoadError as exc:
        problems = exc.problems
    except Exception as exc:  # a bug of ours must not show the user a traceback
        print(internal_error("wechatpay-codegen", exc, ASK_WITH_SPECS), file=sys.stderr)
        return 2
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    print(_summary(specs))
    return 0


def _summary(specs: SpecSet) -> str:
    model = specs.model()
    operations = len(model.operations)
    names = {schema.name for schema in model.named_schemas()}
    files = len(specs.documents)
    hooks = sum(1 for doc in model.documents() for _ in webhook_operations(model, doc))
    webhooks = f"{hooks} webhook{'s' * (hooks != 1)}, " if hooks else ""
    return (
        f"ok: {files} file{'s' * (files != 1)}, {operations} operation{'s' * (operations != 1)}, "
        f"{webhooks}{len(names)} schema{'s' * (len(names) != 1)}"
    )


def validate_specs(specs: SpecSet, *, cache: Cache | None = None) -> list[Problem]:
    """Every problem in the loaded specs, sorted by file, line, column; [] means valid.

    ``cache``: remember which documents and schemas passed the (slow) JSON Schema checks, by
    content, so an unchanged one is not checked again (see :class:`Passes`).
    """
    # With the compiled fast path, checking again is quicker than remembering (and it needs
    # no fingerprint of every document): passes are only remembered without it.
    remember = None if fast_schema_available() else cache
    passes = Passes(remember)
    problems: list[Problem] = []
    docs = list(specs.documents.values())
    fingerprints = {
        name: fingerprint_of(doc.data) if remember is not None else None
        for name, doc in specs.documents.items()
    }
    for name, doc in specs.documents.items():
        fingerprint = fingerprints[name]
        if passes.known("shape", fingerprint):
            continue
        found = check_shape(doc)
        problems.extend(found)
        if not found:
            passes.add("shape", fingerprint)
    # Every rule runs on every document, whatever the others found: one run shows everything.
    ref_problems = check_refs(specs, docs)
    problems.extend(ref_problems)
    problems.extend(check_cycles(specs, docs))
    model = specs.model()
    for check in _MODEL_CHECKS:
        problems.extend(check(model))
    problems.extend(check_webhooks(model, docs))
    sites = [site for doc in docs for site in schema_sites(model, doc)]
    places = object_places(model, sites)
    for doc in docs:
        problems.extend(extension_problems(model, doc, places))
    for root in all_schema_roots(model, docs, sites):
        for schema in root.subschemas():
            problems.extend(schema_keyword_problems(schema))
    schema_problems = check_schemas(model, sites, passes)
    problems.extend(schema_problems)
    # examples resolve $refs anywhere: their outcome depends on every document (and is only
    # remembered when every schema they could meet is sound)
    everything: list[str] = [f"sound={','.join(doc.display for doc in docs)}"]
    for name, doc in specs.documents.items():
        everything += [name, doc.uri, str(fingerprints[name])]
    examples_key = None if None in fingerprints.values() else digest(everything)
    if ref_problems or schema_problems:
        examples_key = None
    if not passes.known("examples", examples_key):
        found = check_examples(model, sites, tolerant=bool(ref_problems or schema_problems))
        problems.extend(found)
        if not found:
            passes.add("examples", examples_key)
    return sorted(set(problems))
