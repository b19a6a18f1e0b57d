"""Black over generated modules, one top-level chunk (or class member) at a time, memoized;
and for our own templates' output, black only where a line is long (``trust_settled``).

The fast path (``format_modules(..., trust_settled=True)``, what ``generate`` uses). The
templates and the docstring wrapper emit black's style, so what varies with the specs is only
how long lines get. A unit whose lines all fit and that holds nothing black rewrites in a short
line is taken as it is (:func:`._settle.settled`); in a unit with long lines, each long line
that is a whole simple statement or one whole element of an exploded bracket is split as black
splits it, by :mod:`._split` for the shapes it knows, else by black on its own, and put back
(:func:`._settle.long_statements`); any other unit goes to black whole, as below. The templates
already split the lines that grow with the specs (``{% filter split %}``), so usually a whole
module is in black's style, and it is taken without being cut at all
(:func:`._settle.settled_module`): a cold run then neither imports nor runs black. What the
trust rests on is
checked by ``tests/unit/test_format_settled.py`` (the fast path equals black on the whole module
for the real specs, the golden specs and synthetic copies; string literals and docstrings of
arbitrary text), ``tests/fuzz/test_injection.py`` (hostile spec text: every generated module is
its own black output) and by ``make test``'s lint step (``black --check`` on ``generated/``).

Black is most of the generator's time (it formats a few thousand lines a second), and most of a
regenerated module is unchanged from the previous run. So a module is cut into chunks at its
top-level ``def``/``class`` statements, a chunk that is one class is cut again before its methods,
each piece goes through :func:`black.format_str` (or comes from the cache of an earlier identical
black run), and the results are joined with the blank lines black puts there. Black still formats
every line: a piece is only ever taken from a previous black run's output for the same text,
black version and mode. The joined module is remembered too, so an unchanged module is not even
cut again.

Why the join equals black on the whole module. Black formats a line independently of the lines
around it except for the blank lines before it (its ``EmptyLineTracker``); what it remembers of
earlier lines is the previous line and block, the enclosing definitions and a leading comment.

Top-level cuts. We only cut before a top-level ``def``/``class`` (or its first decorator) that

- is preceded by at least one blank line and by nothing else since the previous statement (no
  comment, which black could attach to the definition),
- does not directly follow a lone module docstring (black puts one blank line after those), and
- is not the module's first statement.

For such a line black's empty-line tracker always emits exactly two blank lines at depth 0 (the
previous line is neither a decorator nor a comment, the user had a blank line, and it is not a
stub body kept tight); a module formatted alone has no blank lines at its start and ends with one
newline. So the chunks are joined with two blank lines.

Member cuts. A chunk that is exactly one top-level ``class`` statement is cut again before a
line of its body that opens a ``def``, ``async def``, ``class`` or decorator at the body's own
indentation (spaces only), that is preceded by at least one blank line and whose last non-blank
line before is neither a comment nor a decorator, and that is not in the first statement of the
body. The first piece (the class line, its docstring and whatever precedes the first cut) is
formatted as a module of its own; every later piece is formatted under a synthetic ``class _:``
line, so black sees it at depth 1 with the same line width, and that line is taken off its
output (black never puts a blank line right after a class line when the source has none). The
pieces are joined with one blank line. At such a line, at depth 1, black's tracker gives one
blank line: its previous line is in the class body (the first piece has a statement), so it is
not the class line, not a decorator and not a comment, and the user's blank line rules out a
stub ``...`` kept tight; after a class docstring the one blank line is the docstring's "after"
instead, still one, and a piece formatted alone never ends with one. Nothing in a piece reaches
back across a cut: the leading comment black may move blank lines onto is reset by the
non-comment line before the cut, and the enclosing definitions below depth 1 are one class at
depth 0 in both cases (the real one or ``class _``).

A member cut is only taken where the syntax tree of the chunk (parsed on its own, once, while
the module is cut) begins a statement of the class body: then no string, bracket or
continuation is open at the cut, and each piece parses on its own (the first as one class, later
ones as one class under ``class _:``).

Black's second pass (run when the first changed anything) sees the same cuts in the first
pass's output, so it agrees too. Sources where the reasoning could fail (``# fmt:`` directives,
form feeds, carriage returns and other line breaks Python and black may count differently, text
that does not parse, class bodies indented with tabs) are formatted whole.
``tests/unit/test_format_cache.py`` checks the equality on the real generated modules, on edge
cases and on generated class bodies.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from ._cache import Cache, digest

if TYPE_CHECKING:
    from black.mode import Mode

__all__ = [
    "FormatError",
    "Style",
    "black_version",
    "format_modules",
    "split_members",
    "split_module",
    "split_top_level",
]

#: Bump when the chunking changes, so entries of an older scheme are never reused.
_SCHEME = "chunks-3"
_NAMESPACE = "black"
#: Below this many lines to format, starting worker processes costs more than it saves.
_POOL_MIN_LINES = 3000
_BATCH_LINES = 400
#: What one call of black costs beyond its lines, in lines (measured: ~15 ms a call).
_LINES_PER_CALL = 25
_MAX_WORKERS = 4
_UNSAFE = ("\r", "\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\0")
_DIRECTIVES = ("fmt:", "fmt :", "yapf:")


@dataclass(frozen=True)
class Style:
    """Black's options, kept as plain data: a cache hit needs neither black nor its Mode."""

    line_length: int
    target_versions: tuple[str, ...]  # black ``TargetVersion`` names, e.g. ``("PY310",)``

    def __post_init__(self) -> None:
        # Without targets black infers them from the features each text uses, so a piece could
        # be formatted for another Python than the whole module: cutting would not be exact.
        if not self.target_versions:
            raise ValueError("Style needs at least one black target version")

    def mode(self) -> Mode:
        from black.mode import Mode, TargetVersion

        targets = {TargetVersion[name] for name in self.target_versions}
        return Mode(line_length=self.line_length, target_versions=targets)

    def key(self) -> str:
        return f"line_length={self.line_length};targets={','.join(sorted(self.target_versions))}"


def black_version() -> str:
    """Black's version without importing black (it takes a tenth of a second)."""
    try:
        from _black_version import (  # type: ignore[import-untyped,unused-ignore]
            version,  # black's own version module
        )

        return str(version)
    except ImportError:  # a black laid out differently
        from importlib.metadata import version as installed

        return installed("black")


class FormatError(Exception):
    """Black refused a module (it is not valid Python): ``name`` and black's message."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.detail = detail


_DEFINITION = re.compile(r"(?:@|def\s|class\s|async\s+def\s)")
#: Later pieces of a class are formatted under this line (black's output starts with it too).
_WRAPPER = "class _:\n"
#: Cuts that turned out not to be between statements, in a row, before giving up on cutting.
_MAX_MISSES = 64


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _statements(text: str) -> list[ast.stmt] | None:
    try:
        return ast.parse(text).body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _safe(text: str) -> bool:
    return not any(c in text for c in _UNSAFE) and not any(d in text for d in _DIRECTIVES)


@dataclass(frozen=True)
class _Members:
    """Where a chunk that is one class statement may be cut, read off its syntax tree: the line
    of the body's first statement, that statement's column, and the lines (0-based) where body
    statements begin (their first decorator's line if decorated)."""

    first: int
    column: int
    starts: frozenset[int]
    #: Lines where a body statement that is a bare ``...`` begins.
    ellipses: frozenset[int] = frozenset()


def _members(body: list[ast.stmt]) -> _Members | None:
    """The class shape of a chunk whose statements are ``body``; None unless it is one class."""
    if len(body) != 1 or not isinstance(body[0], ast.ClassDef):
        return None
    statements = body[0].body
    starts = frozenset(
        min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))]) - 1
        for node in statements
    )
    ellipses = frozenset(
        node.lineno - 1
        for node in statements
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and node.value.value is Ellipsis
    )
    return _Members(statements[0].lineno - 1, statements[0].col_offset, starts, ellipses)


def _candidates(lines: list[str]) -> Iterator[int]:
    """Lines at column 0 opening a ``def``/``class``/decorator after a blank line, where the
    last non-blank line before is neither a comment nor a decorator."""
    last = ""  # the last non-blank line, stripped
    blank = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            blank = bool(last)
            continue
        if blank and not last.startswith(("#", "@")) and _DEFINITION.match(line):
            yield index
        last, blank = stripped, False


def _split_top_level(source: str) -> list[tuple[str, _Members | None]]:
    """:func:`split_top_level`, with the class shape of each chunk read while it is parsed."""
    if not _safe(source):
        return [(source, None)]
    lines = source.split("\n")  # Python counts lines the same way once the characters above are out
    chunks: list[tuple[str, _Members | None]] = []
    begin = 0
    misses = 0
    for cut in _candidates(lines):
        text = "\n".join(lines[begin:cut]) + "\n"
        body = _statements(text)
        if not body or (not chunks and len(body) == 1 and _is_docstring(body[0])):
            misses += 1  # inside a statement, only comments, or a lone module docstring
            if misses > _MAX_MISSES:
                return [(source, None)]
            continue
        chunks.append((text, _members(body)))
        begin, misses = cut, 0
    last = "\n".join(lines[begin:])
    body = _statements(last)
    if not body:
        return [(source, None)]  # black reports a syntax error on the whole text
    chunks.append((last, _members(body)))  # when there is no cut, ``last`` is ``source``
    return chunks


def split_top_level(source: str) -> list[str]:
    """``source`` cut where black's output is known to be two blank lines (module docstring).

    ``"".join(split_top_level(s)) == s`` always; one chunk when cutting is not known to be safe.
    A candidate line is only a cut if the text from the previous cut parses on its own: then no
    string, bracket or continuation is open there, so the line really starts a top-level
    statement. Each chunk is parsed on its own, never the whole module: the syntax tree of a
    module of a hundred thousand lines takes hundreds of megabytes.
    """
    return [text for text, _ in _split_top_level(source)]


def _member_candidates(lines: list[str], start: int, indent: str) -> Iterator[int]:
    """Lines after ``start`` opening a ``def``/``class``/decorator at exactly ``indent``, after a
    blank line, where the last non-blank line before is neither a comment nor a decorator."""
    last = lines[start].strip()
    blank = False
    width = len(indent)
    for index in range(start + 1, len(lines)):
        line = lines[index]
        stripped = line.strip()
        if not stripped:
            blank = True
            continue
        if (
            blank
            and not last.startswith(("#", "@"))
            and line.startswith(indent)
            and _DEFINITION.match(line, width)
        ):
            yield index
        last, blank = stripped, False


def _cut_members(chunk: str, shape: _Members | None) -> list[str]:
    """:func:`split_members` for a chunk whose class shape (from its own parse) is known."""
    if shape is None or not _safe(chunk):
        return [chunk]
    lines = chunk.split("\n")
    indent = lines[shape.first][: shape.column]  # all spaces, so bytes and characters agree
    if not indent or indent.strip(" "):
        return [chunk]
    cuts = [
        cut
        for cut in _member_candidates(lines, shape.first, indent)
        if cut in shape.starts  # a body statement begins there: nothing is open
    ]
    if not cuts or {start for start in shape.starts if start < cuts[0]} <= shape.ellipses:
        # Nothing to cut; or the first piece's body would be a bare "...", which black alone
        # collapses onto the class line ("class A: ..."), unlike in the whole class.
        return [chunk]
    pieces = ["\n".join(lines[b:e]) + "\n" for b, e in pairwise([0, *cuts])]
    pieces.append("\n".join(lines[cuts[-1] :]))
    return pieces


def split_members(chunk: str) -> list[str]:
    """``chunk`` (one class statement) cut before its members where black's output is one blank
    line (module docstring): the class line with what precedes the first cut, then one piece per
    member, to be formatted under :data:`_WRAPPER`.

    ``"".join(split_members(c)) == c`` always; one piece when cutting is not known to be safe
    (not exactly one class, nothing to cut). A cut is only taken at a line where the syntax tree
    of ``chunk`` begins a statement of the class body: then no string, bracket or continuation
    is open there, and each piece parses on its own (the first as a class, later ones under
    :data:`_WRAPPER`).
    """
    body = _statements(chunk) if _safe(chunk) else None
    return _cut_members(chunk, _members(body) if body else None)


def split_module(source: str) -> list[list[str]]:
    """``source`` cut into top-level chunks (:func:`split_top_level`), each cut into the pieces of
    :func:`split_members`; ``"".join`` of all pieces in order is ``source``. Each chunk is parsed
    once, for both."""
    return [_cut_members(text, shape) for text, shape in _split_top_level(source)]


def _units(pieces: Sequence[str]) -> list[str]:
    """What black formats for the pieces of one chunk: the first as it is, later ones wrapped."""
    return [pieces[0], *(_WRAPPER + piece for piece in pieces[1:])]


def _join_members(units: Sequence[str], done: Mapping[str, str]) -> str | None:
    """Black's output for a chunk from its units' outputs in ``done``; None when one is missing
    (black refused it) or is not as expected."""
    first = done.get(units[0])
    if first is None:
        return None
    parts = [first]
    for unit in units[1:]:
        text = done.get(unit)
        if text is None or not text.startswith(_WRAPPER) or text.startswith("\n", len(_WRAPPER)):
            return None
        parts.append(text[len(_WRAPPER) :])
    return "\n".join(parts)


def _key(chunk: str, style: Style, version: str, kind: str = "chunk") -> str:
    return digest([_SCHEME, kind, version, style.key(), chunk])


def _cached_text(cache: Cache | None, key: str) -> str | None:
    hit = cache.get(_NAMESPACE, key) if cache is not None else None
    if hit is None:
        return None
    try:
        return hit.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _black(chunk: str, mode: Mode) -> tuple[bool, str]:
    """(True, formatted) or (False, black's complaint); never raises (it runs in workers too)."""
    import black

    try:
        return True, black.format_str(chunk, mode=mode)
    except Exception as exc:  # black raises several types for unparsable input
        return False, str(exc)


def _black_batch(batch: Sequence[str], style: Style) -> list[tuple[bool, str]]:
    mode = style.mode()
    return [_black(chunk, mode) for chunk in batch]


def _worker_count() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return min(cpus, _MAX_WORKERS)


def _batches(chunks: Sequence[str]) -> list[list[int]]:
    """Indexes of ``chunks`` grouped into batches of about ``_BATCH_LINES`` lines."""
    batches: list[list[int]] = [[]]
    size = 0
    for index, chunk in enumerate(chunks):
        if size >= _BATCH_LINES:
            batches.append([])
            size = 0
        batches[-1].append(index)
        size += chunk.count("\n") + _LINES_PER_CALL
    return batches


def _format_parallel(chunks: Sequence[str], style: Style, workers: int) -> list[tuple[bool, str]]:
    # fork: the workers start with black already imported. Only on Linux (fork is unsafe on
    # macOS) and only with no other thread running (a fork copies locks held by other threads).
    # Imported here: most runs format nothing with black, and these imports are not small.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    batches = _batches(chunks)
    results: list[tuple[bool, str]] = [(False, "")] * len(chunks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # largest batches first, so no worker is left alone with a big one at the end
        order = sorted(batches, key=lambda b: -sum(len(chunks[i]) for i in b))
        futures = [(b, pool.submit(_black_batch, [chunks[i] for i in b], style)) for b in order]
        for batch, future in futures:
            for index, result in zip(batch, future.result(), strict=True):
                results[index] = result
    return results


def _format_all(chunks: Sequence[str], style: Style) -> list[tuple[bool, str]]:
    if not chunks:
        return []
    # black's own start per unit costs about as much as formatting a couple dozen lines
    lines = sum(chunk.count("\n") for chunk in chunks) + _LINES_PER_CALL * len(chunks)
    workers = _worker_count()
    if (
        workers > 1
        and lines >= _POOL_MIN_LINES
        and len(chunks) > 1
        and sys.platform.startswith("linux")
        and threading.active_count() == 1
    ):
        try:
            return _format_parallel(chunks, style, workers)
        except (OSError, RuntimeError):  # no processes here (sandboxes, limits): format serially
            pass
    return _black_batch(chunks, style)


def format_modules(
    sources: Mapping[str, str],
    style: Style,
    cache: Cache | None,
    *,
    formatter: Callable[[Sequence[str], Style], list[tuple[bool, str]]] = _format_all,
    trust_settled: bool = False,
) -> dict[str, str]:
    """Black output of every module in ``sources`` (name -> text); raises :class:`FormatError`.

    ``trust_settled``: the sources are our templates' output, in black's style but for long
    lines; take the fast path of the module docstring.

    Equal to ``black.format_str(text, mode=style.mode())`` for each module (see the module
    docstring); ``formatter`` formats the units (chunks, wrapped class members) the cache does not
    have, in order.
    """
    version = black_version()
    out: dict[str, str] = {}
    module_keys = {name: _key(text, style, version, "module") for name, text in sources.items()}
    split: dict[str, list[list[str]]] = {}  # module -> its chunks' units
    from ._settle import Statements, local_split, long_statements, put_back, settled, settled_module

    for name, text in sources.items():
        whole = _cached_text(cache, module_keys[name])  # an unchanged module: no need to cut it
        if whole is not None:
            out[name] = whole
            continue
        fast = settled_module(text, style) if trust_settled else None
        if fast is not None:  # nothing for black to do anywhere: no need to cut it either
            out[name] = fast
        else:
            split[name] = [_units(pieces) for pieces in split_module(text)]

    done: dict[str, str] = {}  # unit text -> formatted
    keys: dict[str, str] = {}
    missing: list[str] = []
    plans: dict[str, Statements] = {}  # units formatted statement by statement

    def want(unit: str) -> None:
        if unit in done or unit in keys:
            return
        key = keys[unit] = _key(unit, style, version)
        hit = _cached_text(cache, key)
        if hit is not None:
            done[unit] = hit
        else:
            missing.append(unit)

    for chunks in split.values():
        for units in chunks:
            for unit in units:
                if unit in done or unit in keys:
                    continue
                if trust_settled:
                    fast = settled(unit, style)
                    if fast is not None:
                        done[unit] = fast
                        continue
                    plan = long_statements(unit, style)
                    if plan is not None:
                        plans[unit] = plan
                        for piece in plan.pieces.values():
                            if piece.source in done:
                                continue
                            local = local_split(piece, style)
                            if local is not None:
                                done[piece.source] = local
                            else:
                                want(piece.source)
                        continue
                want(unit)
    for unit, (ok, text) in zip(missing, formatter(missing, style), strict=True):
        if not ok:
            continue  # reported below, by black on the whole module
        done[unit] = text
        if cache is not None:
            cache.put(_NAMESPACE, keys[unit], text.encode("utf-8"))
    for unit, plan in plans.items():
        assembled = put_back(unit, plan, done)
        if assembled is None:  # black refused or reshaped a statement: the whole unit, then
            ok, assembled = _black(unit, style.mode())
            if not ok:
                continue  # reported below, by black on the whole module
        done[unit] = assembled
    for name, chunks in split.items():
        joined = [_join_members(units, done) for units in chunks]
        if any(text is None for text in joined):
            # black's message about the whole module (its line numbers are the module's)
            ok, text = _black(sources[name], style.mode())
            if not ok:
                raise FormatError(name, text)
        else:
            text = "\n\n".join(text for text in joined if text is not None)
        out[name] = text
        if cache is not None:
            cache.put(_NAMESPACE, module_keys[name], text.encode("utf-8"))
    return {name: out[name] for name in sources}
