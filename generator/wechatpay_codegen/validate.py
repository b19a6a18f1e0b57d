"""``wechatpay-codegen validate``: OpenAPI 3.1 validity plus the rules the generator relies on.

Every problem is one line, ``file:line:col: what is wrong; what to do``, on the node at fault.
Every rule runs on every document in one run, whatever the others found: each document's shape
(version, required keys, the OpenAPI 3.1 schema from openapi-spec-validator), references, cycles,
operation ids, duplicate routes, security, media types, path parameters, spelling (schema
keywords, extensions, the keys of our own objects: :mod:`.strictness`), enums and examples.
``run_validate`` adds what the generator itself refuses (``build_ir``: names above all).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import keyword
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ._cache import Cache, digest, frame
from ._report import ASK_WITH_SPECS, internal_error
from .loader import (
    Pointer,
    Problem,
    SpecDocument,
    SpecLoadError,
    SpecSet,
    load_specs,
    pointer_text,
)
from .naming import NamingError, snake_case
from .protocol import (
    AUTH_SCHEMES,
    HTTP_METHODS,
    JSON_MEDIA,
    is_date,
    is_lenient_date_time,
    placeholders,
)
from .schema_keywords import did_you_mean
from .shapes import MULTIPART_MEDIA
from .strictness import duplicate_route_problems, extension_problems, schema_keyword_problems
from .webhooks import RESOURCE_EXTENSION, check_webhooks, webhook_operations

if TYPE_CHECKING:  # imported where used: a run whose checks all passed before never needs them
    from jsonschema import FormatChecker
    from jsonschema.exceptions import SchemaError, ValidationError
    from referencing import Registry, Resource

__all__ = ["merge_problems", "run_validate", "validate_specs"]

_VERSION_31 = re.compile(r"3\.1\.[0-9]+")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_FIX_OPENAPI = "fix it to match the OpenAPI 3.1 schema"


# --------------------------------------------------------------------------------------- entry


def run_validate(paths: list[Path]) -> int:
    """Print problems to stderr (exit 1) or a one-line summary to stdout (exit 0); never raise."""
    try:
        specs = load_specs(paths)
        checked = validate_specs(specs)
        problems = merge_problems(checked, _build_ir_problems(specs, tolerant=bool(checked)))
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


def _build_ir_problems(specs: SpecSet, *, tolerant: bool = False) -> SpecLoadError | None:
    """What the generator refuses (names first of all: two spec names, one Python name).

    ``tolerant``: validate found problems, so the generator reads specs it was never meant to
    see; should it fail on them, its problems are left out (validate's are the ones to fix)."""
    if importlib.util.find_spec(f"{__package__}.build_ir") is None:
        return None
    from . import build_ir as build_ir_module  # type: ignore[attr-defined,unused-ignore]

    try:
        build_ir_module.build_ir(specs)
    except SpecLoadError as exc:
        return exc
    except Exception:
        if tolerant:
            return None
        raise
    return None


def merge_problems(checked: list[Problem], built: SpecLoadError | None) -> list[Problem]:
    """validate's problems plus the generator's (``build_ir``'s ``SpecLoadError``), once each.

    The generator reads the same documents and meets the same mistakes, in its own words: its
    problems in a file where validate found some are those again, or their consequences, and are
    left out; its naming problems (``BuildError.naming``: two spec names, one Python name) are
    its alone and are always kept.
    """
    if built is None:
        return sorted(set(checked))
    files = {p.location.file for p in checked}
    naming = set(getattr(built, "naming", ()))
    extra = (p for p in built.problems if p in naming or p.location.file not in files)
    return sorted({*checked, *extra})


def _summary(specs: SpecSet) -> str:
    operations = sum(1 for _ in _operations(specs, list(specs.documents.values())))
    names = {
        name
        for doc in specs.documents.values()
        for name in _mapping(_mapping(doc.data.get("components")).get("schemas"))
    }
    files = len(specs.documents)
    hooks = sum(1 for doc in specs.documents.values() for _ in webhook_operations(doc))
    webhooks = f"{hooks} webhook{'s' * (hooks != 1)}, " if hooks else ""
    return (
        f"ok: {files} file{'s' * (files != 1)}, {operations} operation{'s' * (operations != 1)}, "
        f"{webhooks}{len(names)} schema{'s' * (len(names) != 1)}"
    )


def validate_specs(specs: SpecSet, *, cache: Cache | None = None) -> list[Problem]:
    """Every problem in the loaded specs, sorted by file, line, column; [] means valid.

    ``cache``: remember which documents and schemas passed the (slow) JSON Schema checks, by
    content, so an unchanged one is not checked again (see :class:`_Passes`).
    """
    passes = _Passes(cache)
    problems: list[Problem] = []
    docs = list(specs.documents.values())
    fingerprints = {name: _fingerprint(doc.data) for name, doc in specs.documents.items()}
    for name, doc in specs.documents.items():
        fingerprint = fingerprints[name]
        if passes.known("shape", fingerprint):
            continue
        found = _check_shape(doc)
        problems.extend(found)
        if not found:
            passes.add("shape", fingerprint)
    # Every rule runs on every document, whatever the others found: one run shows everything.
    ref_problems = _check_refs(specs, docs)
    problems.extend(ref_problems)
    problems.extend(_check_cycles(specs, docs))
    operations = list(_operations(specs, docs))
    problems.extend(_check_operation_ids(operations))
    problems.extend(duplicate_route_problems(specs.model()))
    problems.extend(_check_security_schemes(docs))
    problems.extend(_check_security(specs, operations))
    problems.extend(_check_request_bodies(specs, operations))
    problems.extend(_check_path_parameters(specs, operations))
    problems.extend(check_webhooks(specs, docs))
    sites = [site for doc in docs for site in _sites(doc)]
    for doc in docs:
        problems.extend(extension_problems(doc))
        for root_pointer, root in _schema_roots(doc, sites):
            for pointer, schema in _subschemas(root_pointer, root):
                problems.extend(schema_keyword_problems(doc, pointer, schema))
    schema_problems = _check_schemas(specs, docs, sites, passes)
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
        found = _check_examples(specs, docs, sites, tolerant=bool(ref_problems or schema_problems))
        problems.extend(found)
        if not found:
            passes.add("examples", examples_key)
    return sorted(set(problems))


# ------------------------------------------------------------------------ remembered passes


def _fingerprint(value: Any) -> str | None:
    """SHA-256 of a loaded YAML value: types, order and text (``1``, ``1.0``, ``True`` differ).

    None for a value too deep to walk (it is simply checked again).

    The digest is ``digest(parts)`` of the parts ``{``, ``}``, ``[``, ``]`` and
    ``<module>.<type>:<repr>`` per scalar, in document order; the parts are framed with
    ``frame``, as ``digest`` frames them, and hashed in one go (it runs for every document every
    run).
    """
    chunks: list[bytes] = []
    append = chunks.append
    prefixes: dict[type, str] = {}

    def walk(node: Any) -> None:
        kind = type(node)
        if kind is dict:
            append(_OPEN_MAP)
            for key, item in node.items():
                walk(key)
                walk(item)
            append(_CLOSE_MAP)
        elif kind is list:
            append(_OPEN_LIST)
            for item in node:
                walk(item)
            append(_CLOSE_LIST)
        else:
            prefix = prefixes.get(kind)
            if prefix is None:
                prefix = prefixes[kind] = f"{kind.__module__}.{kind.__qualname__}:"
            append(frame(f"{prefix}{node!r}"))

    try:
        walk(value)
    except RecursionError:
        return None
    return hashlib.sha256(b"".join(chunks)).hexdigest()


_OPEN_MAP, _CLOSE_MAP, _OPEN_LIST, _CLOSE_LIST = map(frame, "{}[]")


_PASSES_VERSION = "validate-passes-1"
_PASS_LIBRARIES = (
    "jsonschema",
    "jsonschema-specifications",
    "referencing",
    "openapi-schema-validator",
    "openapi-spec-validator",
)


@functools.cache
def _installed_version(name: str) -> str:
    """The installed version of distribution ``name``, or ``?``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


@functools.cache
def _library_versions() -> str:
    """The validating libraries' versions, and the text of this module and of the protocol facts
    (the format checkers)."""
    found: list[str] = [
        hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        hashlib.sha256(Path(__file__).with_name("protocol.py").read_bytes()).hexdigest(),
    ]
    for name in _PASS_LIBRARIES:
        found.append(f"{name}={_installed_version(name)}")
    return ";".join(found)


class _Passes:
    """Content fingerprints that passed a check: this run's, and the persistent cache's.

    Only passes are remembered: a check that finds problems runs every time, so its messages are
    always freshly computed. A pass is keyed by the check, the versions of the validating
    libraries and the checked value's fingerprint; the check's outcome depends on nothing else.
    """

    def __init__(self, cache: Cache | None) -> None:
        self._cache = cache
        self._seen: set[tuple[str, str]] = set()

    def _key(self, check: str, fingerprint: str) -> str:
        return digest([_PASSES_VERSION, _library_versions(), check, fingerprint])

    def known(self, check: str, fingerprint: str | None) -> bool:
        if fingerprint is None:
            return False
        if (check, fingerprint) in self._seen:
            return True
        if self._cache is not None and self._cache.get("validate", self._key(check, fingerprint)):
            self._seen.add((check, fingerprint))
            return True
        return False

    def add(self, check: str, fingerprint: str | None) -> None:
        if fingerprint is None or (check, fingerprint) in self._seen:
            return
        self._seen.add((check, fingerprint))
        if self._cache is not None:
            self._cache.put("validate", self._key(check, fingerprint), b"ok")


# ----------------------------------------------------------------------------- small helpers


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _short(value: Any, limit: int = 60) -> str:
    text = " ".join((value if isinstance(value, str) else repr(value)).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_path(path: Sequence[Any]) -> str:
    """``['a', 0, 'b c']`` → ``$.a[0]['b c']``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


def _deref(
    specs: SpecSet, doc: SpecDocument, pointer: Pointer, value: Any
) -> tuple[SpecDocument, Pointer, Any] | None:
    """``SpecSet.deref``, or None when the chain breaks (reported by the reference check)."""
    try:
        return specs.deref(doc, pointer, value)
    except SpecLoadError:
        return None


# ------------------------------------------------------------------------- stage 1: shape


def _check_shape(doc: SpecDocument) -> list[Problem]:
    data = doc.data
    if "swagger" in data and "openapi" not in data:
        version = _short(data["swagger"])
        return [doc.problem(("swagger",), f"unsupported OpenAPI version {version}; use 3.1.x")]
    if "openapi" not in data:
        if "paths" in data or "info" in data:
            return [doc.problem((), "missing openapi; start the file with openapi: 3.1.0")]
        return []  # a shared-components file (components only): checked by the later stage
    version = data["openapi"]
    if not isinstance(version, str):
        return [
            doc.problem(
                ("openapi",), f"openapi must be a string; write openapi: '{_short(version)}'"
            )
        ]
    if not _VERSION_31.fullmatch(version):
        plain = version.isprintable() and version.strip() == version
        shown = _short(version if plain else repr(version))
        return [doc.problem(("openapi",), f"unsupported OpenAPI version {shown}; use 3.1.x")]
    problems: list[Problem] = []
    if "info" not in data:
        problems.append(doc.problem((), "missing info; add info: {title: ..., version: ...}"))
    if "paths" not in data and "components" not in data and "webhooks" not in data:
        problems.append(
            doc.problem(
                (),
                "missing paths; an operation file needs paths with one operation "
                "(a shared file needs components)",
            )
        )
    if problems:
        return problems
    validator = _shape_validator()
    return [_openapi_problem(doc, error) for error in validator.iter_errors(data)]


def _crawled(validator: Any) -> Any:
    """``validator`` with its reference registry crawled once, up front.

    A jsonschema validator resolves references through a registry whose root resource (here the
    large OpenAPI 3.1 meta-schema) is not crawled yet, and each ``$dynamicRef`` lookup from it
    crawls the whole schema again: that was most of the validation time, growing faster than the
    number of files. The crawled registry holds the same resources, so the errors are the same.
    Any validator not shaped like jsonschema's (another backend) is returned as it is.
    """
    try:
        resolver = validator._resolver
        registry = resolver._registry.crawl()
        return validator.evolve(_resolver=registry.resolver(base_uri=resolver._base_uri))
    except AttributeError:
        return validator


@functools.cache
def _shape_validator() -> Any:
    """openapi-spec-validator's OpenAPI 3.1 validator, built once per process and pre-crawled."""
    packaged = _packaged_shape_validator()
    if packaged is not None:
        return _crawled(packaged)
    from openapi_spec_validator import OpenAPIV31SpecValidator

    return _crawled(OpenAPIV31SpecValidator.schema_validator)


# openapi-spec-validator releases whose ``OpenAPIV31SpecValidator.schema_validator`` is, with the
# jsonschema backend, ``validator_for(schema)(schema)`` of the JSON file below (read through YAML
# and a JSON round trip, which gives what ``json.loads`` gives: tests/unit/test_validate_speed.py)
_PACKAGED_SHAPE_RELEASES = frozenset({"0.9.0"})
_PACKAGED_SHAPE_SCHEMA = ("resources", "schemas", "v3.1", "schema.json")


def _packaged_shape_validator() -> Any:
    """The validator ``OpenAPIV31SpecValidator.schema_validator`` is, built without importing
    openapi-spec-validator: its import (pydantic settings, openapi-schema-validator, ...) takes
    longer than checking a changed document. None whenever that is not known to be the same
    validator: another release, a backend chosen by its environment settings, jsonschema-rs."""
    import importlib.util
    import json
    import os

    if _installed_version("openapi-spec-validator") not in _PACKAGED_SHAPE_RELEASES:
        return None
    if any(name.upper().startswith("OPENAPI_SPEC_VALIDATOR_") for name in os.environ):
        return None
    try:
        if importlib.util.find_spec("jsonschema_rs") is not None:
            return None
        spec = importlib.util.find_spec("openapi_spec_validator")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        folder = Path(next(iter(spec.submodule_search_locations)))
        schema = json.loads(folder.joinpath(*_PACKAGED_SHAPE_SCHEMA).read_text("utf-8"))
    except (OSError, ValueError, StopIteration):
        return None
    from jsonschema.validators import validator_for

    return validator_for(schema)(schema)


@functools.cache
def _schema_meta_validator() -> Any:
    """What ``OAS31Validator.check_schema`` builds on every call, built once and pre-crawled
    (openapi-schema-validator's ``check_openapi_schema``); None if that library changed shape."""
    from jsonschema.validators import validator_for
    from openapi_schema_validator import OAS31Validator

    try:
        from openapi_schema_validator._specifications import REGISTRY
    except ImportError:
        return None
    cls: Any = OAS31Validator
    meta_class: Any = validator_for(cls.META_SCHEMA, default=cls)
    meta = meta_class(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER, registry=REGISTRY)
    return _crawled(meta)


def _check_schema(schema: Any) -> SchemaError | None:
    """What ``OAS31Validator.check_schema(schema)`` raises (its first error), or None."""
    from jsonschema.exceptions import SchemaError

    meta = _schema_meta_validator()
    if meta is None:
        from openapi_schema_validator import OAS31Validator

        try:
            OAS31Validator.check_schema(schema)
        except SchemaError as raised:
            return raised
        return None
    for first in meta.iter_errors(schema):
        return SchemaError.create_from(first)
    return None


def _openapi_problem(doc: SpecDocument, error: ValidationError) -> Problem:
    """An openapi-spec-validator error as a one-line problem on the offending node."""
    pointer: Pointer = tuple(error.absolute_path)
    kind = error.validator
    name = repr(pointer[-1]) if pointer else "the document"
    if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(
        error.instance, dict
    ):
        extras = re.findall(r"'((?:[^'\\]|\\.)*)'", error.message.partition("(")[2])
        extras = [e for e in extras if e in error.instance]
        if len(extras) == 1:
            pointer = (*pointer, extras[0])
        listed = ", ".join(repr(e) for e in extras) or _short(error.message)
        message = f"unexpected key {listed}"
        allowed = error.schema.get("properties") if isinstance(error.schema, dict) else None
        guess = did_you_mean(extras[0], allowed) if len(extras) == 1 and allowed else None
        if guess is not None:
            return doc.problem(pointer, f"{message}; did you mean {guess!r}?")
    elif kind == "required":
        missing = error.message.partition(" is a required")[0]
        message = f"{name} lacks the required key {missing}"
    elif kind == "type":
        message = f"{name} must be of type {_types(error.validator_value)}"
    elif kind == "enum":
        allowed = ", ".join(str(v) for v in cast(list[Any], error.validator_value))
        message = f"{name} must be one of {allowed} (got {_short(error.instance)})"
    elif kind == "const":
        message = f"{name} must be {_short(error.validator_value)}"
    else:
        message = f"{name}: {_short(error.message, 120)}"
    return doc.problem(pointer, f"{message}; {_FIX_OPENAPI}")


def _types(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    return " or ".join(str(n) for n in names)


# ---------------------------------------------------------------------------- references


def _check_refs(specs: SpecSet, docs: list[SpecDocument]) -> list[Problem]:
    problems: list[Problem] = []
    for doc in docs:
        for pointer, ref in doc.refs:
            try:
                specs.resolve(doc, ref, at=pointer)
            except SpecLoadError as exc:
                problems.extend(exc.problems)
    return problems


_Node = tuple[str, Pointer]  # (document display, pointer of a $ref target)


def _check_cycles(specs: SpecSet, docs: list[SpecDocument]) -> list[Problem]:
    """Reference cycles: expanding a target whose subtree leads back to it never ends."""
    # every resolvable $ref: (its document, its pointer, target node)
    edges_from: dict[str, list[tuple[Pointer, _Node]]] = {}
    targets: set[_Node] = set()
    for doc in docs:
        for pointer, ref in doc.refs:
            try:
                target_doc, target_pointer, _ = specs.resolve(doc, ref, at=pointer)
            except SpecLoadError:
                continue
            node = (target_doc.display, target_pointer)
            targets.add(node)
            edges_from.setdefault(doc.display, []).append((pointer, node))
    graph: dict[_Node, list[tuple[_Node, Pointer]]] = {}
    for node in sorted(targets):
        display, prefix = node
        depth = len(prefix)
        graph[node] = sorted(
            {
                (target, ref_pointer)
                for ref_pointer, target in edges_from.get(display, [])
                if ref_pointer[:depth] == prefix and target in targets
            }
        )
    problems: list[Problem] = []
    for component in _cyclic_components(graph):
        cycle = _shortest_cycle(graph, component)
        first_ref = next(ptr for target, ptr in graph[cycle[0]] if target == cycle[1])
        problems.append(specs.documents[cycle[0][0]].problem(first_ref, _cycle_message(cycle)))
    return problems


def _cycle_message(cycle: list[_Node]) -> str:
    schemas = all(len(p) == 3 and p[:2] == ("components", "schemas") for _, p in cycle)
    names = [str(p[-1]) if schemas else pointer_text(p) for _, p in cycle]
    if len(set(names[:-1])) != len(names) - 1:  # same name in several files: say which
        names = [f"{d}#{pointer_text(p)}" for d, p in cycle]
    chain = " -> ".join(names)
    if schemas:
        return (
            f"recursive schemas are not supported: {chain}; "
            "replace one reference with a non-recursive schema"
        )
    return f"$ref cycle: {chain}; break the cycle"


def _cyclic_components(graph: dict[_Node, list[tuple[_Node, Pointer]]]) -> list[set[_Node]]:
    """Strongly connected components that contain a cycle (Tarjan, iterative), in sorted order."""
    index: dict[_Node, int] = {}
    low: dict[_Node, int] = {}
    on_stack: set[_Node] = set()
    stack: list[_Node] = []
    found: list[set[_Node]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work: list[tuple[_Node, int]] = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = graph[node]
            if i < len(successors):
                work.append((node, i + 1))
                succ = successors[i][0]
                if succ not in index:
                    work.append((succ, 0))
                elif succ in on_stack:
                    low[node] = min(low[node], index[succ])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[_Node] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                self_loop = any(t == node for t, _ in successors)
                if len(component) > 1 or self_loop:
                    found.append(component)
    return sorted(found, key=min)


def _shortest_cycle(
    graph: dict[_Node, list[tuple[_Node, Pointer]]], component: set[_Node]
) -> list[_Node]:
    start = min(component)
    parents: dict[_Node, _Node] = {}
    frontier = [start]
    while frontier:
        following: list[_Node] = []
        for node in frontier:
            for succ, _ in graph[node]:
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if succ in component and succ not in parents and succ != start:
                    parents[succ] = node
                    following.append(succ)
        frontier = following
    return [start, start]  # unreachable for a cyclic component


# ---------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class _Operation:
    doc: SpecDocument
    path: str
    method: str
    pointer: Pointer  # ('paths', path, method)
    data: dict[str, Any]
    item: dict[str, Any]  # the path item (for path-level parameters)
    item_doc: SpecDocument
    item_pointer: Pointer

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _operations(specs: SpecSet, docs: list[SpecDocument]) -> Iterator[_Operation]:
    for doc in docs:
        for path, item in _mapping(doc.data.get("paths")).items():
            resolved = _deref(specs, doc, ("paths", path), item)
            if resolved is None or not isinstance(resolved[2], dict):
                continue
            item_doc, item_pointer, item_data = resolved
            for method in HTTP_METHODS:
                operation = item_data.get(method)
                if isinstance(operation, dict):
                    yield _Operation(
                        doc,
                        path,
                        method,
                        ("paths", path, method),
                        operation,
                        item_data,
                        item_doc,
                        item_pointer,
                    )


def _check_operation_ids(operations: list[_Operation]) -> list[Problem]:
    problems: list[Problem] = []
    first_use: dict[str, _Operation] = {}
    for op in operations:
        op_id = op.data.get("operationId")
        where = (*op.pointer, "operationId")
        if op_id is None:
            problems.append(
                op.doc.problem(
                    op.pointer,
                    f"operation {op.label} has no operationId; add one in snake_case "
                    "(it becomes the client method name)",
                )
            )
            continue
        if not isinstance(op_id, str):
            continue  # the OpenAPI schema check reports the type
        if not _SNAKE.fullmatch(op_id):
            try:
                suggestion = snake_case(op_id)
            except NamingError:
                suggestion = ""
            hint = f"write it as {suggestion}" if _SNAKE.fullmatch(suggestion) else "use snake_case"
            problems.append(
                op.doc.problem(where, f"operationId {op_id!r} is not snake_case; {hint}")
            )
        elif keyword.iskeyword(op_id) or keyword.issoftkeyword(op_id):
            problems.append(
                op.doc.problem(
                    where, f"operationId {op_id!r} is a Python keyword; choose another name"
                )
            )
        earlier = first_use.setdefault(op_id, op)
        if earlier is not op:
            problems.append(
                op.doc.problem(
                    where,
                    f"operationId {op_id!r} is already used by {earlier.label} at "
                    f"{earlier.doc.location((*earlier.pointer, 'operationId'))}; "
                    "operationIds must be unique",
                )
            )
    return problems


# ------------------------------------------------------------------------------ security


def _scheme_names() -> str:
    return " or ".join(AUTH_SCHEMES)


def _check_security_schemes(docs: list[SpecDocument]) -> list[Problem]:
    """Each security scheme defined in place: a known auth scheme, the matching identity."""
    problems: list[Problem] = []
    for doc in docs:
        schemes = _mapping(_mapping(doc.data.get("components")).get("securitySchemes"))
        for name, scheme in schemes.items():
            if not isinstance(scheme, dict) or "$ref" in scheme:
                continue
            base = ("components", "securitySchemes", name)
            auth = scheme.get("x-wechatpay-auth-scheme")
            if auth is None:
                problems.append(
                    doc.problem(
                        base,
                        f"security scheme {name!r} has no x-wechatpay-auth-scheme; "
                        f"set it to {_scheme_names()}",
                    )
                )
                continue
            if not isinstance(auth, str) or auth not in AUTH_SCHEMES:
                problems.append(
                    doc.problem(
                        (*base, "x-wechatpay-auth-scheme"),
                        f"unknown x-wechatpay-auth-scheme {_short(auth)}; use {_scheme_names()}",
                    )
                )
                continue
            identity = scheme.get("x-wechatpay-identity")
            if identity is not None and identity != AUTH_SCHEMES[auth].identity:
                problems.append(
                    doc.problem(
                        (*base, "x-wechatpay-identity"),
                        f"x-wechatpay-identity {_short(identity)} does not go with {auth}; "
                        f"use {AUTH_SCHEMES[auth].identity}",
                    )
                )
    return problems


def _check_security(specs: SpecSet, operations: list[_Operation]) -> list[Problem]:
    problems: list[Problem] = []
    for op in operations:
        req_doc = op.doc
        if "security" in op.data:
            requirements, req_pointer = op.data["security"], (*op.pointer, "security")
        else:  # the document-wide default
            requirements, req_pointer = op.doc.data.get("security"), ("security",)
        named = [
            (name, (*req_pointer, i, name))
            for i, requirement in enumerate(requirements if isinstance(requirements, list) else [])
            if isinstance(requirement, dict)
            for name in requirement
        ]
        if not named:
            problems.append(
                op.doc.problem(
                    op.pointer,
                    f"operation {op.label} has no security requirement; add security: "
                    "[{merchant: []}] or [{brand: []}]",
                )
            )
            continue
        found: set[str] = set()
        schemes = _mapping(_mapping(req_doc.data.get("components")).get("securitySchemes"))
        for name, pointer in named:
            if name not in schemes:
                problems.append(
                    req_doc.problem(
                        pointer,
                        f"security scheme {name!r} is not defined under "
                        "components.securitySchemes; define it (e.g. $ref "
                        f"'common.yaml#/components/securitySchemes/{name}')",
                    )
                )
                continue
            resolved = _deref(
                specs, req_doc, ("components", "securitySchemes", name), schemes[name]
            )
            if resolved is None or not isinstance(resolved[2], dict):
                continue
            auth = resolved[2].get("x-wechatpay-auth-scheme")
            if isinstance(auth, str) and auth in AUTH_SCHEMES:  # else: reported where defined
                found.add(auth)
        if len(found) > 1:
            problems.append(
                op.doc.problem(
                    req_pointer,
                    f"operation {op.label} allows several signing schemes; the client needs "
                    "exactly one security scheme per operation",
                )
            )
    return problems


# -------------------------------------------------------------------- bodies and parameters


def _check_request_bodies(specs: SpecSet, operations: list[_Operation]) -> list[Problem]:
    problems: list[Problem] = []
    for op in operations:
        if "requestBody" not in op.data:
            continue
        resolved = _deref(specs, op.doc, (*op.pointer, "requestBody"), op.data["requestBody"])
        if resolved is None:
            continue
        body_doc, body_pointer, body = resolved
        for media, media_object in _mapping(_mapping(body).get("content")).items():
            if media == MULTIPART_MEDIA and "x-wechatpay-signed-part" in _mapping(media_object):
                continue  # an upload: its shape is checked where the IR is built (shapes.py)
            if media != JSON_MEDIA:
                problems.append(
                    body_doc.problem(
                        (*body_pointer, "content", media),
                        f"request body media type {media!r} is not supported; use "
                        f"{JSON_MEDIA} (or {MULTIPART_MEDIA} with x-wechatpay-signed-part for an "
                        "upload)",
                    )
                )
    return problems


@dataclass(frozen=True)
class _Parameter:
    doc: SpecDocument
    pointer: Pointer
    name: str
    where: str  # the ``in`` value


def _parameters(
    specs: SpecSet, doc: SpecDocument, pointer: Pointer, value: Any
) -> Iterator[_Parameter]:
    for i, raw in enumerate(value if isinstance(value, list) else []):
        resolved = _deref(specs, doc, (*pointer, i), raw)
        if resolved is None or not isinstance(resolved[2], dict):
            continue
        param_doc, param_pointer, param = resolved
        name, where = param.get("name"), param.get("in")
        if isinstance(name, str) and isinstance(where, str):
            yield _Parameter(param_doc, param_pointer, name, where)


def _check_path_parameters(specs: SpecSet, operations: list[_Operation]) -> list[Problem]:
    problems: list[Problem] = []
    for op in operations:
        declared: dict[tuple[str, str], _Parameter] = {}
        for param in _parameters(
            specs, op.item_doc, (*op.item_pointer, "parameters"), op.item.get("parameters")
        ):
            declared[(param.name, param.where)] = param
        seen: set[tuple[str, str]] = set()
        for param in _parameters(
            specs, op.doc, (*op.pointer, "parameters"), op.data.get("parameters")
        ):
            key = (param.name, param.where)
            if key in seen:
                problems.append(
                    param.doc.problem(
                        (*param.pointer, "name"),
                        f"{param.where} parameter {param.name!r} is declared twice in "
                        f"{op.label}; remove one",
                    )
                )
            seen.add(key)
            declared[key] = param
        in_template = placeholders(op.path)
        path_params = {name: p for (name, where), p in declared.items() if where == "path"}
        for name in in_template:
            if name not in path_params:
                problems.append(
                    op.doc.problem(
                        ("paths", op.path),
                        f"path {op.path} uses {{{name}}} but {op.label} declares no path "
                        f"parameter {name!r}; add it under parameters (in: path)",
                    )
                )
        for name, param in sorted(path_params.items()):
            if name not in in_template:
                problems.append(
                    param.doc.problem(
                        (*param.pointer, "name"),
                        f"path parameter {name!r} does not appear in the path {op.path}; "
                        f"remove it or add {{{name}}} to the path",
                    )
                )
    return problems


# ----------------------------------------------------------------------- schema sites


@dataclass(frozen=True)
class _Site:
    """A place holding a schema and maybe examples: a parameter, a header or a media type."""

    doc: SpecDocument
    pointer: Pointer
    data: dict[str, Any]


def _sites(doc: SpecDocument) -> Iterator[_Site]:
    """Parameters, headers and media types defined in ``doc`` (not those merely referenced)."""

    def site(pointer: Pointer, value: Any) -> Iterator[_Site]:
        if isinstance(value, dict) and "$ref" not in value:
            yield _Site(doc, pointer, value)

    def media_types(pointer: Pointer, holder: Any) -> Iterator[_Site]:
        if isinstance(holder, dict) and "$ref" not in holder:
            for media, value in _mapping(holder.get("content")).items():
                yield from site((*pointer, "content", media), value)

    def headers(pointer: Pointer, holder: Any) -> Iterator[_Site]:
        if isinstance(holder, dict) and "$ref" not in holder:
            for name, value in _mapping(holder.get("headers")).items():
                yield from site((*pointer, "headers", name), value)

    def parameters(pointer: Pointer, value: Any) -> Iterator[_Site]:
        for i, param in enumerate(value if isinstance(value, list) else []):
            yield from site((*pointer, i), param)

    def responses(pointer: Pointer, value: Any) -> Iterator[_Site]:
        for status, response in _mapping(value).items():
            yield from media_types((*pointer, status), response)
            yield from headers((*pointer, status), response)

    for path, item in _mapping(doc.data.get("paths")).items():
        if not isinstance(item, dict) or "$ref" in item:
            continue
        yield from parameters(("paths", path, "parameters"), item.get("parameters"))
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            base = ("paths", path, method)
            yield from parameters((*base, "parameters"), op.get("parameters"))
            yield from media_types((*base, "requestBody"), op.get("requestBody"))
            yield from responses((*base, "responses"), op.get("responses"))
    for _event, hook, op in webhook_operations(doc):
        yield from media_types((*hook, "requestBody"), op.get("requestBody"))
        yield from responses((*hook, "responses"), op.get("responses"))
        yield from site((*hook, RESOURCE_EXTENSION), op.get(RESOURCE_EXTENSION))
    components = _mapping(doc.data.get("components"))
    for name, value in _mapping(components.get("parameters")).items():
        yield from site(("components", "parameters", name), value)
    for name, value in _mapping(components.get("headers")).items():
        yield from site(("components", "headers", name), value)
    for name, value in _mapping(components.get("requestBodies")).items():
        yield from media_types(("components", "requestBodies", name), value)
    yield from responses(("components", "responses"), components.get("responses"))


def _schema_roots(doc: SpecDocument, sites: list[_Site]) -> Iterator[tuple[Pointer, Any]]:
    for name, schema in _mapping(_mapping(doc.data.get("components")).get("schemas")).items():
        yield ("components", "schemas", name), schema
    for site in sites:
        if site.doc is doc and "schema" in site.data:
            yield (*site.pointer, "schema"), site.data["schema"]


_SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = (
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "contentSchema",
)


def _subschemas(pointer: Pointer, schema: Any) -> Iterator[tuple[Pointer, dict[str, Any]]]:
    """``schema`` and every schema nested in it (depth is bounded by the loader)."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for key in _SCHEMA_MAPS:
        for name, sub in _mapping(schema.get(key)).items():
            yield from _subschemas((*pointer, key, name), sub)
    for key in _SCHEMA_LISTS:
        value = schema.get(key)
        for i, sub in enumerate(value if isinstance(value, list) else []):
            yield from _subschemas((*pointer, key, i), sub)
    for key in _SCHEMA_ONE:
        if key in schema:
            yield from _subschemas((*pointer, key), schema[key])


def _check_schemas(
    specs: SpecSet, docs: list[SpecDocument], sites: list[_Site], passes: _Passes | None = None
) -> list[Problem]:
    """Every schema, and every schema a ``$ref`` inside one leads to, is valid JSON Schema 2020-12
    (OpenAPI 3.1 dialect); enums are distinct strings. Examples are only checked after this passes:
    jsonschema assumes its schemas are well-formed."""
    problems: list[Problem] = []
    # (document, pointer, schema, the $ref that led here: (its document, its pointer) or None)
    work: list[tuple[SpecDocument, Pointer, Any, tuple[SpecDocument, Pointer] | None]] = [
        (doc, pointer, schema, None)
        for doc in docs
        for pointer, schema in _schema_roots(doc, sites)
    ]
    work.reverse()
    checked: set[tuple[str, Pointer]] = set()
    while work:
        doc, root_pointer, root, referrer = work.pop()
        if (doc.display, root_pointer) in checked:
            continue
        checked.add((doc.display, root_pointer))
        fingerprint = _fingerprint(root) if passes is not None else None
        error = None
        if passes is None or not passes.known("schema", fingerprint):
            error = _check_schema(root)
            if error is None and passes is not None:
                passes.add("schema", fingerprint)
        if error is not None:
            message = f"invalid schema: {_short(error.message, 120)}"
            if referrer is not None and not error.absolute_path:
                ref_doc, ref_pointer = referrer
                problems.append(
                    ref_doc.problem(
                        ref_pointer, f"$ref leads to an {message}; point it at a schema"
                    )
                )
            else:
                where = (*root_pointer, *error.absolute_path)
                problems.append(
                    doc.problem(where, f"{message}; fix it to match JSON Schema 2020-12")
                )
            continue
        for pointer, schema in _subschemas(root_pointer, root):
            problems.extend(_enum_problems(doc, pointer, schema))
            ref = schema.get("$ref")
            if isinstance(ref, str):
                ref_pointer = (*pointer, "$ref")
                try:
                    target_doc, target_pointer, target = specs.resolve(doc, ref, at=ref_pointer)
                except SpecLoadError as exc:
                    problems.extend(exc.problems)
                    continue
                work.append((target_doc, target_pointer, target, (doc, ref_pointer)))
    return problems


def _enum_problems(doc: SpecDocument, pointer: Pointer, schema: dict[str, Any]) -> list[Problem]:
    values = schema.get("enum")
    if not isinstance(values, list):
        return []
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, value in enumerate(values):
        where = (*pointer, "enum", i)
        if isinstance(value, bool):
            problems.append(
                doc.problem(
                    where,
                    f"enum value {str(value).lower()} is not a string (YAML reads unquoted "
                    "yes/no/on/off/true/false as booleans); quote it",
                )
            )
        elif not isinstance(value, str):
            problems.append(
                doc.problem(
                    where,
                    f"enum value {_short(value)} is not a string; quote it "
                    "(enums become str enums)",
                )
            )
        elif value in seen:
            problems.append(doc.problem(where, f"duplicate enum value {value!r}; remove it"))
        else:
            seen.add(value)
    return problems


# ------------------------------------------------------------------------------ examples


@functools.cache
def _format_checker() -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_lenient_date_time)
    checker.checks("date")(is_date)
    return checker


def _meta_schemas() -> Registry[Any]:
    """The meta-schema registry (jsonschema's ``SPECIFICATIONS``) that jsonschema combines with
    the registry a validator is given."""
    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped,unused-ignore]

    found: Registry[Any] = REGISTRY
    return found


def _no_retrieval(uri: str) -> Resource[Any]:
    """Never fetch a schema from the network or disk: only loaded documents resolve."""
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(uri)


def _check_examples(
    specs: SpecSet, docs: list[SpecDocument], sites: list[_Site], *, tolerant: bool = False
) -> list[Problem]:
    """Every example (media type, parameter, header, schema) validates against its schema.

    ``tolerant``: some schemas are known to be invalid (reported by the schema or reference
    checks); an example whose check fails on one is skipped rather than an internal error."""
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
    with_specifications = _meta_schemas().combine(registry)
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
                f"example does not match its schema at {_json_path(error.absolute_path)}: "
                f"{_example_error(error)}; fix the example or the schema",
            )
            for error in errors
        ]

    problems: list[Problem] = []
    for site in sites:
        if "schema" not in site.data:
            continue
        schema_pointer = (*site.pointer, "schema")
        if "example" in site.data:
            problems += check(
                site.doc, schema_pointer, (*site.pointer, "example"), site.data["example"]
            )
        for name, example in _mapping(site.data.get("examples")).items():
            resolved = _deref(specs, site.doc, (*site.pointer, "examples", name), example)
            if resolved is None or not isinstance(resolved[2], dict):
                continue
            if "value" in resolved[2]:
                example_doc, example_pointer, value = resolved
                at = (*example_pointer, "value")
                problems += check(site.doc, schema_pointer, at, value["value"], example_doc)
    for doc in docs:
        for root_pointer, root in _schema_roots(doc, sites):
            for pointer, schema in _subschemas(root_pointer, root):
                if "example" in schema:
                    problems += check(doc, pointer, (*pointer, "example"), schema["example"])
                listed = schema.get("examples")
                for i, value in enumerate(listed if isinstance(listed, list) else []):
                    problems += check(doc, pointer, (*pointer, "examples", i), value)
    return problems


def _example_error(error: ValidationError) -> str:
    instance = _short(error.instance, 40)
    kind = error.validator
    if kind == "type":
        return f"{instance} is not of type {_types(error.validator_value)}"
    if kind == "format":
        return f"{instance} is not a valid {error.validator_value}"
    if kind == "enum":
        return f"{instance} is not one of {_short(error.validator_value, 80)}"
    return _short(error.message, 120)
