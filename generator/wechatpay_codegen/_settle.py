"""The formatter's fast path for our templates' output: what black would leave as it is.

See :mod:`._format` (its docstring says why this is exact, and which tests check it). Two
questions per unit (a top-level chunk or a class member, as :mod:`._format` cuts modules):

- :func:`settled`: is the unit already black's output? Yes when every line fits and it holds
  nothing black rewrites in a short line.
- :func:`long_statements`: if not, are its long lines each a whole simple statement, a whole
  element of an exploded bracket, or inside a docstring? Then black formats just those lines, each
  under wrapper lines that give it its depth, and :func:`put_back` puts them in place.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._format import Style, _is_docstring, _safe, _statements

__all__ = [
    "Statements",
    "local_split",
    "long_statements",
    "put_back",
    "settled",
    "settled_module",
]

_EMPTY_EXPLODED = re.compile(r"[(\[{][ ]*\n[ \n]*[)\]}]")
#: An element of an exploded bracket that is one string (or ``name="..."``): black has nothing
#: to split it at (no bracket, no delimiter before its comma), so it keeps it however long.
_KEPT_ATOM = re.compile(r' {4,}(?:[A-Za-z_][A-Za-z0-9_]*=)?"[^"\\\n]*",')
#: A ``def``/``class``/decorator line at the top level or in a class body (4 spaces).
_TOP_DEFINITION = re.compile(r"(?:    )?(?:@|def |class |async def )")


def _width_bound(line: str) -> int:
    """At least the display width black gives ``line`` (``black.strings.str_width``).

    ASCII: its length. Otherwise East Asian wide and full-width characters count two, as in
    black; so does any character this Python's Unicode database does not know (black's table
    may be newer), and combining characters count one (black: zero): never less than black.
    """
    if line.isascii():
        return len(line)
    width = 0
    for char in line:
        if char.isascii():
            width += 1
        elif unicodedata.east_asian_width(char) in "WF" or unicodedata.category(char) == "Cn":
            width += 2
        else:
            width += 1
    return width


def _plain(unit: str) -> bool:
    """None of what black rewrites in a short line: see :func:`settled`."""
    return (
        bool(unit)
        and not unit.startswith("\n")
        and _safe(unit)
        and "\t" not in unit
        and "\\\n" not in unit
        and "\n\n\n\n" not in unit.rstrip("\n")
        and not _EMPTY_EXPLODED.search(unit)  # ``f(\n)``: black joins an empty bracket
    )


def _long_lines(lines: Sequence[str], limit: int) -> set[int] | None:
    """Indexes of the lines black could split (wider than ``limit``); None if a line has
    trailing whitespace (black strips it)."""
    long: set[int] = set()
    for index, line in enumerate(lines):
        if line.endswith(" "):
            return None
        if len(line) > limit // 2 and _width_bound(line) > limit and not _KEPT_ATOM.fullmatch(line):
            long.add(index)
    return long


def settled(unit: str, style: Style) -> str | None:
    """Black's output for ``unit`` without running black, when the unit is already in black's
    style and no line is long enough for black to split or join it; else None.

    The templates emit black's style (spacing, quotes, blank lines, brackets either on one line
    or exploded with a magic trailing comma), so what varies with the specs is only how long a
    line gets. A unit is taken as it is when every line fits in the line length (as black
    measures it, :func:`_width_bound`), and it holds none of what black would still rewrite in
    a short line: tabs, trailing whitespace, backslash continuations, blank lines at the start,
    more than two blank lines in a row, ``# fmt:`` directives, lines black counts differently
    (:data:`_UNSAFE`). Black keeps such a line as it is; the unit's trailing blank lines are the
    only change (black ends a module with one newline). ``tests/unit/test_format_cache.py`` and
    ``tests/fuzz`` check ``black.format_str(text) == text`` for whole generated modules.
    """
    if not _plain(unit) or _long_lines(unit.split("\n"), style.line_length) != set():
        return None
    return unit.rstrip("\n") + "\n"


def settled_module(module: str, style: Style) -> str | None:
    """:func:`settled` for a whole module, when the blank lines where :mod:`._format` would cut
    it are already black's (two before a top-level definition, one before a class member), so
    the cut and joined result would be the module itself; else None (cut it)."""
    lines = module.split("\n")
    last = ""  # the last non-blank line
    blanks = 0
    for line in lines:
        if not line:
            blanks += 1 if last else 0
            continue
        if blanks and not last.lstrip().startswith(("#", "@")):
            match = _TOP_DEFINITION.match(line)
            if match is not None:
                top = not line.startswith(" ")
                if top and not last.startswith(" ") and last.endswith(('"""', "'" * 3)):
                    return None  # after a module docstring black puts one blank line
                if blanks != (2 if top else 1):
                    return None
        last, blanks = line, 0
    if not _plain(module):
        return None
    limit = style.line_length
    if module.isascii():  # the usual case: widths are lengths
        if " \n" in module or module.endswith(" "):
            return None  # trailing whitespace, which black strips
        long: set[int] | None = {
            index
            for index, line in enumerate(lines)
            if len(line) > limit and not _KEPT_ATOM.fullmatch(line)
        }
    else:
        long = _long_lines(lines, limit)
    if long is None or (long and not long <= _inside_docstrings(lines)):
        return None
    return module.rstrip("\n") + "\n"


def _inside_docstrings(lines: Sequence[str]) -> set[int]:
    """Indexes of the lines strictly inside a docstring over several lines (not its first or
    last line): black keeps those as they are, however long. A docstring opens on a line that
    is its indentation, then three double quotes, and no other triple quote; it closes at the
    next line holding a triple quote. The templates' docstring filter writes that form and
    escapes double quotes in the text; a string literal cannot start a line with three double
    quotes. Anything else only makes the set smaller (the module is then cut as before)."""
    inside: set[int] = set()
    opened: int | None = None
    for index, line in enumerate(lines):
        quotes = line.count('"""') + line.count("'''")
        if opened is None:
            if quotes == 1 and line.lstrip(" ").startswith('"""'):
                opened = index
        elif quotes:
            inside.update(range(opened + 1, index))
            opened = None
    return inside


_COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Match,
)
_INDENT = "    "
#: A long line at depth ``d`` is formatted under ``d`` (a statement) or ``d - 1`` (an element of
#: a bracket) of these lines (``await`` and ``return`` are valid there), then taken off again.
_STATEMENT_WRAPPER = "async def _():"
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class _Piece:
    """A long line to format alone: black's input, and the lines to take off its output."""

    source: str
    head: tuple[str, ...]
    tail: tuple[str, ...]
    depth: int = 0
    text: str = ""  # the long line, without its indentation
    element: bool = False


def local_split(piece: _Piece, style: Style) -> str | None:
    """Black's output for ``piece`` computed without black (:mod:`._split`), or None."""
    from ._split import split_line

    lines = split_line(piece.text, piece.depth, piece.element, style.line_length)
    if lines is None:
        return None
    indent = _INDENT * piece.depth
    body = [indent + line if line else line for line in lines]
    return "\n".join([*piece.head, *body, *piece.tail]) + "\n"


@dataclass(frozen=True)
class Statements:
    """The long lines of a unit that are formatted alone: line index -> piece."""

    pieces: dict[int, _Piece]


def _wrappers(depth: int) -> list[str]:
    return [f"{_INDENT * level}{_STATEMENT_WRAPPER}" for level in range(depth)]


def _statement_piece(depth: int, text: str) -> _Piece:
    head = _wrappers(depth)
    return _Piece("\n".join([*head, _INDENT * depth + text]) + "\n", tuple(head), (), depth, text)


def _element_piece(depth: int, text: str, opener: str) -> _Piece:
    """An element of an exploded bracket, under a bracket of the same kind one level up."""
    outer = _INDENT * (depth - 1)
    head = [*_wrappers(depth - 1), outer + opener]
    tail = [outer + _CLOSERS[opener[-1]]]
    return _Piece(
        "\n".join([*head, _INDENT * depth + text, *tail]) + "\n",
        tuple(head),
        tuple(tail),
        depth,
        text,
        True,
    )


def _unwrap(piece: _Piece, formatted: str) -> str | None:
    lines = formatted.split("\n")
    if lines[-1] != "":
        return None
    lines.pop()
    head, tail = len(piece.head), len(piece.tail)
    if len(lines) <= head + tail:
        return None
    if tuple(lines[:head]) != piece.head or tuple(lines[len(lines) - tail :]) != piece.tail:
        return None
    return "\n".join(lines[head : len(lines) - tail])


@dataclass
class _Row:
    """What the tokens of one line say about it."""

    start_depth: int
    opener: str | None  # the innermost open bracket as a wrapper would open it (``_(``, ``_ = {``)
    after: str | None  # the last token before the line: an opening bracket or a comma?
    min_depth: int
    end_depth: int = 0
    last: str = ""
    plain: bool = True  # no comment, no string over several lines


_SKIPPED = frozenset(
    {
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
)


def _rows(unit: str) -> dict[int, _Row] | None:
    """Per line (0-based) with a token on it: brackets open at its start and its end."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(unit).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    rows: dict[int, _Row] = {}
    stack: list[str] = []
    previous: tokenize.TokenInfo | None = None
    for token in tokens:
        if token.type in _SKIPPED:
            continue
        row = token.start[0] - 1
        info = rows.get(row)
        if info is None:
            after = previous.string if previous is not None else None
            top = stack[-1] if stack else None
            info = rows[row] = _Row(len(stack), top, after, len(stack))
        if token.type == tokenize.COMMENT or token.start[0] != token.end[0]:
            info.plain = False
            for spanned in range(row + 1, token.end[0]):
                rows.setdefault(spanned, _Row(len(stack), None, None, 0, plain=False))
        if token.type == tokenize.OP and token.string in ")]}":
            if not stack:
                return None
            stack.pop()
            info.min_depth = min(info.min_depth, len(stack))
        elif token.type == tokenize.OP and token.string in "([{":
            trailer = previous is not None and (
                (previous.type == tokenize.NAME and not keyword.iskeyword(previous.string))
                or previous.string in (")", "]")
            )
            stack.append(
                f"_{token.string}" if trailer and token.string != "{" else f"_ = {token.string}"
            )
        info.end_depth = len(stack)
        if token.type != tokenize.COMMENT:
            info.last = token.string
            previous = token
    return rows


def long_statements(unit: str, style: Style) -> Statements | None:
    """When the only lines of ``unit`` black would change are long ones, each either a whole
    simple statement or one whole element of an exploded bracket (after the opening bracket or
    the previous element's comma, ending with its own comma), or a line inside a string
    statement over several lines (a docstring): the pieces to format alone; else None.

    Black formats such a line the same wherever it stands: what it looks at is the line's
    tokens, its depth and the line length, not the lines around it. A statement's depth comes
    from :data:`_STATEMENT_WRAPPER` lines; an element's from a bracket of the same kind on the
    line above it (a call's or subscript's ``_(``, ``_[``, else ``_ = (``), whose magic trailing
    comma keeps it exploded as in the unit. The formatted piece replaces its line; black never
    splits a line inside a string, so those are kept; the rest of the unit is taken as
    :func:`settled` takes a whole unit.
    """
    if not _plain(unit):
        return None
    lines = unit.split("\n")
    long = _long_lines(lines, style.line_length)
    if not long:
        return None
    tree = _statements(unit)
    if tree is None:
        return None
    pieces: dict[int, _Piece] = {}
    kept: set[int] = set()
    for node in ast.walk(ast.Module(body=tree, type_ignores=[])):
        if not isinstance(node, ast.stmt) or isinstance(node, _COMPOUND):
            continue
        index = node.lineno - 1
        if _is_docstring(node) and node.end_lineno is not None:
            kept.update(range(index, node.end_lineno - 1))  # all but the closing line
            continue
        if index not in long or node.end_lineno != node.lineno:
            continue
        line = lines[index]
        indent = len(line) - len(line.lstrip(" "))
        if (
            node.col_offset != indent
            or indent % len(_INDENT)
            or node.end_col_offset != len(line.encode("utf-8"))
        ):
            continue  # another statement or a comment shares the line
        pieces[index] = _statement_piece(indent // len(_INDENT), line[indent:])
    rest = long - set(pieces) - kept
    if rest:
        rows = _rows(unit)
        if rows is None:
            return None
        for index in rest:
            info = rows.get(index)
            line = lines[index]
            indent = len(line) - len(line.lstrip(" "))
            if (
                info is None
                or not info.plain
                or info.opener is None
                or info.start_depth == 0
                or info.min_depth < info.start_depth
                or info.end_depth != info.start_depth
                or info.last != ","
                or info.after not in ("(", "[", "{", ",")
                or indent % len(_INDENT)
                or indent < len(_INDENT)
            ):
                return None
            pieces[index] = _element_piece(indent // len(_INDENT), line[indent:], info.opener)
    return Statements(pieces)


def put_back(unit: str, plan: Statements, done: Mapping[str, str]) -> str | None:
    lines = unit.split("\n")
    for index, piece in plan.pieces.items():
        formatted = done.get(piece.source)
        body = _unwrap(piece, formatted) if formatted is not None else None
        if body is None:
            return None
        lines[index] = body
    return "\n".join(lines).rstrip("\n") + "\n"
