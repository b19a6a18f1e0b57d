"""Spec files → documents with line/column positions; cross-file ``$ref`` resolution.

``load_specs`` reads every named file (a folder stands for its ``*.yaml``/``*.yml``, sorted), plus
any file they reference relatively that lies inside the same folder tree, and raises one
``SpecLoadError`` listing every problem it met. It checks only what is needed to read the files
safely; the OpenAPI rules live in ``validate.py`` and ``checks/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ._yaml import Pointer, YamlError, parse_yaml

if TYPE_CHECKING:
    from .spec_model import SpecModel

__all__ = [
    "MAX_FILE_BYTES",
    "Location",
    "Pointer",
    "Problem",
    "SpecDocument",
    "SpecLoadError",
    "SpecSet",
    "load_specs",
    "pointer_text",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
SPEC_SUFFIXES = (".yaml", ".yml")
# Keys by which a mapping is recognisably an OpenAPI document (or a shared-components file).
_OPENAPI_KEYS = ("openapi", "swagger", "info", "paths", "components")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True, order=True)
class Location:
    """A place in a spec file; ``str()`` gives ``file:line:col`` (1-based)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the specs: ``str()`` is ``file:line:col: what is wrong; what to do``."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class SpecLoadError(Exception):
    """The specs cannot be used; ``problems`` says why (sorted, without duplicates)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class SpecDocument:
    """One spec file. ``data`` is the raw mapping with ``$ref``s unresolved."""

    path: Path  # absolute, symlinks resolved
    display: str  # how messages name the file: relative to the working directory when possible
    data: dict[str, Any]
    positions: dict[Pointer, tuple[int, int]] = field(default_factory=dict, repr=False)
    # every ``$ref`` string in the file, in document order: (pointer of the ``$ref`` key, value)
    refs: list[tuple[Pointer, str]] = field(default_factory=list, repr=False)

    def location(self, pointer: Sequence[str | int]) -> Location:
        """Where ``pointer`` is written (for a mapping entry: its key), or its nearest ancestor."""
        key = tuple(pointer)
        positions = self.positions
        while key:
            found = positions.get(key)
            if found is not None:
                return Location(self.display, *found)
            key = key[:-1]
        line, col = positions.get((), (1, 1))
        return Location(self.display, line, col)

    def problem(self, pointer: Sequence[str | int], message: str) -> Problem:
        return Problem(self.location(pointer), message)

    @property
    def uri(self) -> str:
        """The ``file://`` URI of the file (the base URI its relative ``$ref``s resolve against)."""
        return self.path.as_uri()


@dataclass
class SpecSet:
    """The loaded documents, keyed by display name in sorted order."""

    documents: dict[str, SpecDocument]
    # folders that relatively referenced files must lie inside (the folders the user named)
    roots: tuple[Path, ...] = ()
    _by_path: dict[Path, SpecDocument] = field(init=False, repr=False, compare=False)
    # memo of ``_local_file`` by (referring file, file part): resolving a path asks the file
    # system, and every check follows the same few file references thousands of times
    _local_files: dict[tuple[Path, str], Path | None] = field(init=False, repr=False, compare=False)
    # memo of a fragment's decoded parts: ``#/components/schemas/A~1B`` -> ['components', ...]
    _fragments: dict[str, list[str]] = field(init=False, repr=False, compare=False)
    _model: SpecModel | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_path = {doc.path: doc for doc in self.documents.values()}
        self._local_files = {}
        self._fragments = {}
        self._model = None

    def model(self) -> SpecModel:
        """The typed reading of these documents (:mod:`.spec_model`), made once."""
        if self._model is None:
            from .spec_model import SpecModel

            self._model = SpecModel(self)
        return self._model

    def resolve(
        self, doc: SpecDocument, ref: str, *, at: Pointer | None = None
    ) -> tuple[SpecDocument, Pointer, Any]:
        """Follow one ``$ref`` written in ``doc``: (target document, pointer in it, value).

        ``at`` is the pointer of the ``$ref`` key itself, used to place the problem when the
        reference does not resolve (``SpecLoadError`` with one ``Problem``). Only one hop is
        followed: the value may itself be a ``$ref`` object (see ``deref``).
        """
        where = at if at is not None else ()
        target_doc = self._target_document(doc, ref, where)
        fragment = ref.partition("#")[2]
        if fragment and not fragment.startswith("/"):
            raise self._fail(
                doc,
                where,
                f"$ref {ref!r}: only JSON-pointer fragments ('#/components/...') are supported",
            )
        parts = self._fragments.get(fragment)
        if parts is None:
            parts = [
                unquote(raw).replace("~1", "/").replace("~0", "~")
                for raw in (fragment.split("/")[1:] if fragment else ())
            ]
            self._fragments[fragment] = parts
        pointer: list[str | int] = []
        value: Any = target_doc.data
        for part in parts:
            if isinstance(value, dict) and part in value:
                pointer.append(part)
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                pointer.append(int(part))
                value = value[int(part)]
            else:
                parent = pointer_text(tuple(pointer)) or "/"
                raise self._fail(
                    doc,
                    where,
                    f"$ref {ref!r} does not resolve: no {part!r} under {parent} in "
                    f"{target_doc.display}; fix the reference or define the target",
                )
        return target_doc, tuple(pointer), value

    def deref(
        self, doc: SpecDocument, pointer: Pointer, value: Any
    ) -> tuple[SpecDocument, Pointer, Any]:
        """Follow ``$ref`` objects from ``value`` until a value that is not one.

        Raises ``SpecLoadError`` on an unresolvable reference or a reference cycle.
        """
        seen: list[tuple[str, Pointer]] = []
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            here = (doc.display, pointer)
            if here in seen:
                chain = " -> ".join(f"{d}#{pointer_text(p)}" for d, p in [*seen, here])
                raise self._fail(doc, (*pointer, "$ref"), f"$ref cycle: {chain}; break the cycle")
            seen.append(here)
            doc, pointer, value = self.resolve(doc, value["$ref"], at=(*pointer, "$ref"))
        return doc, pointer, value

    def _target_document(self, doc: SpecDocument, ref: str, at: Pointer) -> SpecDocument:
        file_part = ref.partition("#")[0]
        if not file_part:
            return doc
        key = (doc.path, file_part)
        try:
            target = self._local_files[key]
        except KeyError:
            target = self._local_files[key] = _local_file(doc, file_part)
        if target is None:
            raise self._fail(
                doc,
                at,
                f"$ref {ref!r} points outside the spec files; only relative file references "
                "are followed (copy the definition into a spec file)",
            )
        found = self._by_path.get(target)
        if found is not None:
            return found
        if not _inside(target, self.roots):
            reason = "is outside the spec folder; keep referenced files next to the specs"
        elif not target.is_file():
            reason = f"names a file that does not exist ({_display(target)}); fix the file name"
        else:
            reason = f"names a file that was not loaded ({_display(target)}); check it is YAML"
        raise self._fail(doc, at, f"$ref {ref!r} {reason}")

    @staticmethod
    def _fail(doc: SpecDocument, at: Pointer, message: str) -> SpecLoadError:
        return SpecLoadError([doc.problem(at, message)])


def pointer_text(pointer: Sequence[str | int]) -> str:
    """``('paths', '/v3/x', 'get')`` → ``/paths/~1v3~1x/get`` (RFC 6901)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in pointer)


def load_specs(paths: Sequence[Path]) -> SpecSet:
    """Load spec files and folders (plus what they reference). Raises ``SpecLoadError``."""
    problems: list[Problem] = []
    queue: list[Path] = []
    roots: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            roots.append(path.resolve())
            found = sorted(p for p in path.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())
            if not found:
                problems.append(
                    _file_problem(path, "folder has no .yaml or .yml files; name a spec folder")
                )
            queue.extend(found)
        elif path.is_file():
            roots.append(path.resolve().parent)
            queue.append(path)
        else:
            problems.append(_file_problem(path, "no such file or folder; check the path"))

    documents: dict[Path, SpecDocument] = {}
    failed: set[Path] = set()
    for queued in queue:  # grows while we go: referenced files are appended
        resolved = queued.resolve()
        if resolved in documents or resolved in failed:
            continue
        doc, file_problems = _load_file(resolved)
        problems.extend(file_problems)
        if doc is None:
            failed.add(resolved)
            continue
        documents[resolved] = doc
        queue.extend(_referenced_files(doc, roots))

    if problems:
        raise SpecLoadError(problems)
    ordered = sorted(documents.values(), key=lambda d: d.display)
    return SpecSet({d.display: d for d in ordered}, roots=tuple(roots))


def _referenced_files(doc: SpecDocument, roots: Sequence[Path]) -> list[Path]:
    """Files that ``doc`` references relatively, that exist inside ``roots``."""
    found: dict[str, Path] = {}
    for _, ref in doc.refs:
        file_part = ref.partition("#")[0]
        if not file_part or file_part in found:
            continue
        target = _local_file(doc, file_part)
        if target is not None and _inside(target, roots) and target.is_file():
            found[file_part] = target
    return list(found.values())


def _local_file(doc: SpecDocument, file_part: str) -> Path | None:
    """The file a ``$ref``'s file part names, relative to ``doc``; None for a URL."""
    if _SCHEME.match(file_part) or file_part.startswith("//"):
        return None
    return (doc.path.parent / unquote(file_part)).resolve()


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _display(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    absolute = Path(os.path.abspath(path))
    cwd = Path.cwd()
    for candidate, base in ((absolute, cwd), (path.resolve(), cwd.resolve())):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return absolute.as_posix()


def _file_problem(path: Path, message: str, line: int = 1, col: int = 1) -> Problem:
    return Problem(Location(_display(path), line, col), message)


def _load_file(path: Path) -> tuple[SpecDocument | None, list[Problem]]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [_too_big(path, size)]
        with path.open("rb") as handle:
            raw = handle.read(size + 1)  # read(n) allocates n bytes up front: ask for what is there
    except OSError as exc:
        return None, [_file_problem(path, f"cannot read the file ({exc.strerror}); check it")]
    if len(raw) > size:
        return None, [_file_problem(path, "the file changed while being read; run again")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [_file_problem(path, "the file is not UTF-8; save it as UTF-8", line, col)]
    try:
        parsed = parse_yaml(text)
    except YamlError as exc:
        return None, [_file_problem(path, exc.message, exc.line, exc.col)]
    display = _display(path)
    problems = [Problem(Location(display, i.line, i.col), i.message) for i in parsed.issues]
    data = parsed.data
    line, col = parsed.positions.get((), (1, 1))
    if not isinstance(data, dict):
        kind = _json_type(data)
        problems.append(
            Problem(
                Location(display, line, col),
                f"the file holds {kind}, not a mapping; a spec file is an OpenAPI document "
                "(openapi: 3.1.0, info, paths)",
            )
        )
        return None, problems
    if not any(key in data for key in _OPENAPI_KEYS):
        problems.append(
            Problem(
                Location(display, line, col),
                "not an OpenAPI document (no openapi, info, paths or components key); "
                "start it with openapi: 3.1.0",
            )
        )
        return None, problems
    return SpecDocument(path, display, data, parsed.positions, parsed.refs), problems


def _too_big(path: Path, size: int) -> Problem:
    return _file_problem(
        path,
        f"file is {size / 1024 / 1024:.1f} MB, over the {MAX_FILE_BYTES // 1024 // 1024} MB "
        "limit for a spec file; split it",
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a mapping"
