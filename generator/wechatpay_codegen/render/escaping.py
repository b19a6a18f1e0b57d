"""Escaping: every value a template prints, made safe for the file it lands in.

One escaping path. Every value a template prints passes the environment's ``finalize`` hook
(:func:`finalize`), which lets through only :class:`Code` (text a filter below produced) and plain
identifiers; anything else is a bug in the template and fails the render. The filters:

- ``py``: a Python literal (``repr``-safe: quotes, backslashes and every non-printable character
  escaped, so bidi controls and NULs cannot hide in the source);
- ``docstring``: a triple-quoted docstring, escaped the same way, wrapped to the line length by
  display width (CJK characters count two columns);
- ``md`` / ``md_code`` / ``code_block``: Markdown text, inline code, fenced blocks for the README;
- ``toml``: a TOML string (only package metadata, which is checked to be plain);
- ``names``: an import list of plain identifiers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..naming import is_identifier

LINE_LENGTH = 100


class RenderError(Exception):
    """A template or the formatter failed (a generator bug, or a broken templates folder)."""


class Code(str):
    """Text that went through an escaping filter: safe to place in generated output."""

    __slots__ = ()


def _escape_char(char: str) -> str:
    """One character of a double-quoted Python string, escaped if it is not plainly visible."""
    if char == "\\":
        return "\\\\"
    if char == '"':
        return '\\"'
    if char.isprintable():
        return char
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape_text(text: str) -> str:
    if text.isprintable():  # the common case: only quotes and backslashes need escaping
        return text.replace("\\", "\\\\").replace('"', '\\"')
    return "".join(_escape_char(c) for c in text)


def _string_literal(text: str) -> str:
    """A string literal in the quotes black would choose: double, unless single quotes need
    fewer backslashes (a text with ``"`` and no ``'``), so black has nothing to change."""
    double = _escape_text(text)
    if '"' not in text:
        return f'"{double}"'
    single = "".join("\\'" if c == "'" else '"' if c == '"' else _escape_char(c) for c in text)
    if single.count("\\") < double.count("\\"):
        return f"'{single}'"
    return f'"{double}"'


def py_literal(value: object) -> Code:
    """A Python literal of a JSON-like value (str, int, float, bool, None, list, dict)."""
    if isinstance(value, Code):
        raise RenderError("py_literal() of already-rendered code")
    if value is None or isinstance(value, bool):
        return Code(repr(value))
    if isinstance(value, int):
        return Code(str(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return Code(f'float("{value}")')
        return Code(repr(value))
    if isinstance(value, str):
        return Code(_string_literal(value))
    if isinstance(value, (list, tuple)):
        items = ", ".join(py_literal(v) for v in value)
        if isinstance(value, tuple):
            return Code(f"({items},)" if len(value) == 1 else f"({items})")
        return Code(f"[{items}]")
    if isinstance(value, Mapping):
        pairs = ", ".join(f"{py_literal(str(k))}: {py_literal(v)}" for k, v in value.items())
        return Code("{" + pairs + "}")
    raise RenderError(f"cannot render {type(value).__name__} as a Python literal")


def display_width(text: str) -> int:
    """Display width as black and ruff measure it (East Asian wide/full-width count two)."""
    if text.isascii():
        return len(text)
    if len(text) == 1:
        return 2 if unicodedata.east_asian_width(text) in "WF" else 1
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_RUNS = re.compile(r" +|[^ ]+")


def _tokens(text: str) -> list[str]:
    """Split for wrapping: spaces (a run as one ``" "``), single wide characters, and words.

    Built with a list per word: growing one string a character at a time would be quadratic, and
    a spec may hold a description of megabytes without a space.
    """
    return [piece for piece, _ in _pieces(text)]


def _pieces(text: str) -> list[tuple[str, int]]:
    """:func:`_tokens` with each token's display width."""
    out: list[tuple[str, int]] = []
    wide = unicodedata.east_asian_width
    for run in _RUNS.findall(text):
        if run[0] == " ":
            out.append((" ", 1))
        elif run.isascii():
            out.append((run, len(run)))
        else:
            word: list[str] = []
            for char in run:
                if wide(char) not in "WF":
                    word.append(char)
                    continue
                if word:
                    joined = "".join(word)
                    out.append((joined, display_width(joined)))
                    word = []
                out.append((char, 2))  # a wide character stands alone: a line may break around it
            if word:
                joined = "".join(word)
                out.append((joined, display_width(joined)))
    return out


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """Greedy fill of already-escaped ``text``; breaks at spaces and around wide characters.

    An escape sequence is never split (it is part of a word), so no line ends in a lone ``\\``.
    """
    lines: list[str] = []
    line, line_width = [first], display_width(first)
    rest_width = display_width(rest)
    filled = first.strip() != ""  # the line holds more than indentation (pieces are never blank)
    pending_space = False
    for piece, piece_width in _pieces(text):
        if piece == " ":
            pending_space = filled
            continue
        gap = " " if pending_space else ""
        if filled and line_width + len(gap) + piece_width > width:
            lines.append("".join(line).rstrip())
            line, line_width = [rest, piece], rest_width + piece_width
        else:
            line += (gap, piece)
            line_width += len(gap) + piece_width
        filled = True
        pending_space = False
    lines.append("".join(line).rstrip())
    return lines


def plain_text(text: str) -> str:
    """Spec text for a docstring: newlines normalised, other whitespace made plain spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():  # the only ASCII space separators are the tab and the space itself
        return text.replace("\t", " ")
    return _BLANKS.sub(_plain_blank, text)


# every Zs character is whitespace to ``re``: only those matches need a closer look
_BLANKS = re.compile(r"[^\S\n]")


def _plain_blank(match: re.Match[str]) -> str:
    char = match.group()
    return " " if char == "\t" or unicodedata.category(char) == "Zs" else char


@dataclass(frozen=True)
class Block:
    """A paragraph of a docstring: ``first`` prefixes its first line, ``rest`` the others."""

    text: str = ""
    first: str = ""
    rest: str = ""


@functools.lru_cache(maxsize=16384)
def _block_lines(text: str, width: int, first: str, rest: str) -> tuple[str, ...]:
    """One paragraph escaped and wrapped (nothing when it is blank); memoized, for the same
    paragraphs recur across operations and models (error lists, argument notes, copies)."""
    escaped = _escape_text(plain_text(text).replace("\n", " ")).strip()
    if not escaped:
        return ()
    return tuple(_wrap(escaped, width, first, rest))


def _docstring_lines(blocks: Iterable[Block], width: int, opening: str) -> list[str]:
    """Wrapped, escaped lines; the first line leaves room for ``opening`` (the quotes)."""
    lines: list[str] = []
    for block in blocks:
        first = block.first if lines else opening + block.first
        wrapped = _block_lines(block.text, width, first, block.rest)
        if not wrapped:
            if lines:
                lines.append("")
            continue
        if not lines:
            lines.append(wrapped[0][len(opening) :])
            lines.extend(wrapped[1:])
        else:
            lines.extend(wrapped)
    while lines and not lines[-1]:
        lines.pop()
    return lines or ["Undocumented."]


def docstring(blocks: Iterable[Block] | str, indent: int = 0) -> Code:
    """A triple-quoted docstring at ``indent`` spaces; safe for any text.

    Black keeps a one-line docstring's closing quotes on its line whatever the display width, so
    text that does not fit on one line with both quotes is wrapped to at least two lines.
    """
    if isinstance(blocks, str):
        blocks = [Block(line) for line in blocks.split("\n")]
    return _docstring(tuple(blocks), indent)


@functools.lru_cache(maxsize=8192)
def _docstring(blocks: tuple[Block, ...], indent: int) -> Code:
    """:func:`docstring` of a tuple of blocks, memoized (fields and models repeat their docs)."""
    width = LINE_LENGTH - indent
    lines = _docstring_lines(blocks, width, '"""')
    if len(lines) == 1:
        # black pads a one-line docstring that ends with a quote (``\"``) with one space
        line = f"{lines[0]} " if lines[0].endswith('"') else lines[0]
        if display_width(line) + 6 <= width:
            return Code(f'"""{line}"""')
        lines = _docstring_lines(blocks, width, '""""""')
    pad = " " * indent
    body = "\n".join(f"{pad}{line}" if line else "" for line in lines[1:])
    return Code(f'"""{lines[0]}\n{body}\n{pad}"""' if body else f'"""{lines[0]}\n{pad}"""')


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_text(value: str) -> Code:
    """Markdown inline text: one line, structure characters escaped, invisibles made visible."""
    text = " ".join(plain_text(value).split())
    text = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in text)
    return Code(_MD_SPECIAL.sub(r"\\\1", text))


def md_code(value: str, cell: bool = False) -> Code:
    """Markdown inline code span that no backtick inside can close early.

    ``cell``: the span sits in a table row, where a ``|`` would end the cell even inside code
    (GFM splits the row before it parses code spans); there every ``|`` is written ``\\|``,
    which the table reads back as ``|``.
    """
    text = " ".join(plain_text(value).split())
    text = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    if cell:
        text = text.replace("|", "\\|")
    return Code(f"{fence}{pad}{text}{pad}{fence}")


def code_block(code: str, language: str = "python") -> Code:
    """A fenced Markdown block longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return Code(f"{fence}{language}\n{code.rstrip()}\n{fence}")


_TOML_SAFE = re.compile(r"[A-Za-z0-9._+\-]*")


def toml_string(value: str) -> Code:
    if not _TOML_SAFE.fullmatch(value):
        raise RenderError(f"refusing to write {value!r} into pyproject.toml")
    return Code(f'"{value}"')


def identifiers(names: Iterable[str]) -> Code:
    """``A, B, C`` for an import list; each must be a plain identifier."""
    names = list(names)
    bad = [n for n in names if not is_identifier(n)]
    if bad:
        raise RenderError(f"not identifiers: {bad!r}")
    return Code(", ".join(names))


def finalize(value: object) -> object:
    if isinstance(value, Code):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and (is_identifier(value) or value == ""):
        return value
    raise RenderError(
        f"template printed {value!r} without an escaping filter (py, docstring, md, ...)"
    )
