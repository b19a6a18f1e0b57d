"""Black's split of a long line, computed here, for the few shapes of line our templates make.

:mod:`._settle` finds the long lines of a unit that black formats on their own (a whole simple
statement, or one whole element of an exploded bracket). For most of them the shape is one of a
handful, and black's stable style splits those by simple rules; this module applies the rules,
so a cold run needs neither black's import nor its time. Any other line (``None`` here) still
goes to black. ``tests/unit/test_format_split.py`` checks :func:`split_line` against
``black.format_str`` on the shapes below with names of every length around the limit.

The shapes (ASCII only: then a line's width is its length, as black counts it):

- a call, as a statement (``_v.required(obj, "x", path, check)``) or as an element
  (``name=_serde.optional(obj, "name", path, parser),``), whose arguments are plain atoms
  (names, dotted names, strings, numbers, ``name=atom``) or calls of the same shape. Black
  splits at the last bracket: the head up to ``(``, the arguments on one line if they fit, else
  one per line with a trailing comma (a lone argument is split the same way, without one), and
  the closing bracket. An atom too long for its line stays as it is.
- an element that is one atom (``path="/v3/...",``): black has nothing to split.
- ``from module import a, b, c``: one name per line, with a trailing comma.
- ``NAME: ClassVar[frozenset[str]] = frozenset({"a", "b"})`` (a model's field set):
  ``frozenset(``, the set on one line if it fits, else one item per line, and ``)``.
- ``data["key"] = [f(item) for item in self.key]`` (a list field's wire value): ``... = [``,
  the comprehension on one line if it fits, else its expression and its ``for`` clause on two,
  and ``]``.
"""

from __future__ import annotations

import keyword
import re
import tokenize
from dataclasses import dataclass

__all__ = ["split_block", "split_line"]

_INDENT = "    "
_ATOM_OPS = frozenset({".", "="})
_CONSTANTS = frozenset({"True", "False", "None"})
_IMPORT = re.compile(
    r"from (\.*[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|\.+) import "
    r"([A-Za-z_][A-Za-z0-9_]*(?:, [A-Za-z_][A-Za-z0-9_]*)+)"
)
_FIELD_SET = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*: ClassVar\[frozenset\[str\]\] = frozenset\()\{(.*)\}\)"
)
_STRING_ITEM = re.compile(r'"[^"\\\n]*"')
_COMPREHENSION = re.compile(
    r'(?P<head>[A-Za-z_][A-Za-z0-9_]*\["[^"\\\n]*"\] = \[)'
    r"(?P<expr>[A-Za-z_][A-Za-z0-9_.]*(?:\([A-Za-z_][A-Za-z0-9_.]*\)|\(\))?)"
    r"(?P<loop> for [A-Za-z_][A-Za-z0-9_]* in [A-Za-z_][A-Za-z0-9_.]*)\]"
)


class _Refused(Exception):
    """Not one of the shapes: black formats the line."""


@dataclass(frozen=True)
class _Node:
    """An argument: its text, and for a call the text up to its ``(`` and its arguments."""

    text: str
    head: str | None = None  # a call's text up to and including "("
    args: tuple[_Node, ...] = ()


_TOKEN = re.compile(
    r"(?P<space> +)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<number>[0-9]+(?:\.[0-9]+)?)"
    r'|(?P<string>"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')"
    r"|(?P<op>[().,=])"
)
_KINDS = {"name": tokenize.NAME, "number": tokenize.NUMBER, "string": tokenize.STRING}


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    """The tokens of one line, for the few kinds the shapes have (a regular expression: much
    quicker than :mod:`tokenize`); anything else (comments, prefixed or triple-quoted strings,
    other operators, other numbers) refuses the line."""
    found: list[tokenize.TokenInfo] = []
    position = 0
    previous = ""
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _Refused
        kind = match.lastgroup
        end = match.end()
        if kind != "space":
            if previous in ("name", "number") and kind in ("name", "number", "string"):
                raise _Refused  # a string prefix, 1e5, 0x1F, 1j: not a shape of ours
            token_type = tokenize.OP if kind == "op" else _KINDS[str(kind)]
            found.append(
                tokenize.TokenInfo(token_type, match.group(), (1, position), (1, end), text)
            )
        previous = str(kind)
        position = end
    return found


class _Parser:
    """Arguments of the call shape, read off the tokens of one line (row 1)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def _peek(self) -> tokenize.TokenInfo | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _after(self) -> tokenize.TokenInfo | None:
        return self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None

    def expression(self) -> _Node:
        """An atom, or a call whose ``(`` follows the atom tokens and whose ``)`` ends it."""
        start = self._peek()
        if start is None:
            raise _Refused
        previous: tokenize.TokenInfo | None = None
        while True:
            token = self._peek()
            if token is None or token.string in (",", ")"):
                break
            if token.string == "(":
                if previous is None or previous.type != tokenize.NAME:
                    raise _Refused
                head_end = token.end[1]
                self.index += 1
                args = self._arguments()
                closing = self._peek()
                if closing is None or closing.string != ")":
                    raise _Refused
                self.index += 1
                after = self._peek()
                if after is not None and after.string not in (",", ")"):
                    raise _Refused  # a call must end its argument: no trailers after it
                text = self.text[start.start[1] : closing.end[1]]
                return _Node(text, self.text[start.start[1] : head_end], tuple(args))
            self._atom_token(token, previous)
            previous = token
            self.index += 1
        if previous is None:
            raise _Refused
        return _Node(self.text[start.start[1] : previous.end[1]])

    @staticmethod
    def _atom_token(token: tokenize.TokenInfo, previous: tokenize.TokenInfo | None) -> None:
        if token.type == tokenize.NAME:
            if keyword.iskeyword(token.string) and token.string not in _CONSTANTS:
                raise _Refused  # and, or, not, if, for, lambda, ...: black splits at those
        elif token.type == tokenize.STRING:
            if previous is not None and previous.type == tokenize.STRING:
                raise _Refused  # implicit concatenation is a delimiter
        elif token.type == tokenize.NUMBER:
            pass
        elif token.type != tokenize.OP or token.string not in _ATOM_OPS:
            raise _Refused
        if previous is not None and token.start != previous.end:
            raise _Refused  # only atoms without spaces ("obj", "_serde.parse_int", "x=1")

    def _arguments(self) -> list[_Node]:
        args: list[_Node] = []
        while True:
            token = self._peek()
            if token is None:
                raise _Refused
            if token.string == ")":
                if args:
                    raise _Refused  # a trailing comma: magic, black explodes it
                return args
            args.append(self.expression())
            token = self._peek()
            if token is not None and token.string == ",":
                following = self._after()
                if following is None or following.string == ")":
                    raise _Refused
                if following.start[1] != token.end[1] + 1:
                    raise _Refused  # not ", " between arguments
                self.index += 1
                continue
            if token is not None and token.string == ")":
                return args
            raise _Refused


def _fits(depth: int, text: str, limit: int) -> bool:
    return len(_INDENT) * depth + len(text) <= limit


def _arguments_text(node: _Node) -> str:
    return ", ".join(arg.text for arg in node.args)


def _layout(node: _Node, depth: int, trailer: str, limit: int) -> list[str]:
    """Black's lines for ``node`` (then ``trailer``) at ``depth``, without the indentation."""
    flat = node.text + trailer
    if node.head is None or _fits(depth, flat, limit):
        return [flat]  # an atom black cannot split stays as it is
    if not _fits(depth, node.head, limit) or not node.args:
        raise _Refused  # black would look for another bracket to split at
    body = _arguments_text(node)
    inner = _INDENT
    if _fits(depth + 1, body, limit):
        lines = [inner + body]
    elif len(node.args) == 1:
        lines = [inner + line for line in _layout(node.args[0], depth + 1, "", limit)]
    else:
        lines = [inner + line for arg in node.args for line in _layout(arg, depth + 1, ",", limit)]
    return [node.head, *lines, ")" + trailer]


def _split_call(text: str, depth: int, element: bool, limit: int) -> list[str]:
    parser = _Parser(text)
    node = parser.expression()
    rest = [t.string for t in parser.tokens[parser.index :]]
    if rest != ([","] if element else []):
        raise _Refused
    if node.head is None:
        if not element:
            raise _Refused  # a statement that is one atom: black may wrap it in parentheses
        return [text]  # an element with nothing to split at
    if not element and "=" in node.head:
        raise _Refused  # a keyword argument is no statement
    return _layout(node, depth, "," if element else "", limit)


def _split_import(text: str, depth: int, limit: int) -> list[str]:
    match = _IMPORT.fullmatch(text)
    if match is None:
        raise _Refused
    head = f"from {match.group(1)} import ("
    if not _fits(depth, head, limit):
        raise _Refused
    names = match.group(2).split(", ")
    if any(keyword.iskeyword(name) for name in names):
        raise _Refused
    return [head, *(f"{_INDENT}{name}," for name in names), ")"]


def _split_field_set(text: str, depth: int, limit: int) -> list[str]:
    match = _FIELD_SET.fullmatch(text)
    if match is None:
        raise _Refused
    head, items_text = match.groups()
    if not _fits(depth, head, limit):
        raise _Refused
    items = items_text.split(", ")
    if ", ".join(items) != items_text or not all(_STRING_ITEM.fullmatch(i) for i in items):
        raise _Refused
    body = "{" + items_text + "}"
    if _fits(depth + 1, body, limit):
        return [head, _INDENT + body, ")"]
    return [head, _INDENT + "{", *(f"{_INDENT * 2}{item}," for item in items), _INDENT + "}", ")"]


def _split_comprehension(text: str, depth: int, limit: int) -> list[str]:
    match = _COMPREHENSION.fullmatch(text)
    if match is None:
        raise _Refused
    head, expr, loop = match.group("head", "expr", "loop")
    if any(keyword.iskeyword(word) for word in re.findall(r"[A-Za-z_]\w*", expr)):
        raise _Refused
    loop = loop.lstrip(" ")
    if not _fits(depth, head, limit):
        raise _Refused
    if _fits(depth + 1, f"{expr} {loop}", limit):
        return [head, f"{_INDENT}{expr} {loop}", "]"]
    if not (_fits(depth + 1, expr, limit) and _fits(depth + 1, loop, limit)):
        raise _Refused
    return [head, _INDENT + expr, _INDENT + loop, "]"]


def split_block(block: str, limit: int) -> str:
    """The templates' ``split`` filter: ``block`` is one rendered line (its indentation, its
    text, a newline); when it is too long and one of the shapes above, black's lines for it
    (a line ending with a comma is an element of an exploded bracket, any other a statement).
    Anything else is returned as it is, for the formatter to pass to black."""
    line = block[:-1] if block.endswith("\n") else block
    if "\n" in line:
        return block
    text = line.lstrip(" ")
    indent = len(line) - len(text)
    if indent % len(_INDENT):
        return block
    lines = split_line(text, indent // len(_INDENT), text.endswith(","), limit)
    if lines is None:
        return block
    prefix = " " * indent
    return "\n".join(prefix + each for each in lines) + block[len(line) :]


def split_line(text: str, depth: int, element: bool, limit: int) -> list[str] | None:
    """Black's lines for the long line ``text`` (without its indentation) at ``depth``, each
    without the line's own indentation; ``element``: one element of an exploded bracket, ending
    with its comma (else a whole simple statement). None when the line is not one of the shapes
    of the module docstring: black formats it."""
    if not text.isascii():
        return None  # black measures some characters as two columns
    if _fits(depth, text, limit):
        return None  # not a long line
    try:
        if not element and text.startswith("from "):
            return _split_import(text, depth, limit)
        if not element and ": ClassVar[" in text:
            return _split_field_set(text, depth, limit)
        if not element and " for " in text:
            return _split_comprehension(text, depth, limit)
        return _split_call(text, depth, element, limit)
    except _Refused:
        return None
