"""Hostile text for spec fields, and a YAML writer that puts any such text in a file exactly.

The strategies mix the strings that break naive code generators (quotes, triple quotes,
backslashes, newlines, Jinja syntax, NUL and other control characters, bidi controls, emoji, very
long runs) with arbitrary Unicode. :func:`to_yaml` writes every string double-quoted, escaping only
what YAML cannot hold raw (control characters, line separators, a BOM), so bidi controls, emoji and
CJK text reach the loader as raw characters, the way a hand-edited file would carry them.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["ASCII_NASTY", "NASTY", "ascii_text", "long_text", "text", "to_yaml"]

NASTY: tuple[str, ...] = (
    '"',
    "'",
    '"""',
    "'''",
    '\\"""',
    "\\",
    "\\\\",
    "\\n",
    "\\x00",
    "\\N{BULLET}",
    "\\u202e",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u200b",
    "\u200f",
    "\u202e",
    "\u2066",
    "\u2069",
    "\ufeff",
    "\ufffe",
    "{{ 7*7 }}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{% for x in range(9) %}",
    "{# #}",
    "{{ self.__init__.__globals__ }}",
    "${x}",
    "`",
    "```",
    "<!--",
    "-->",
    "<script>",
    "|",
    "# ",
    "*",
    "_",
    "[x](javascript:alert(1))",
    '""" + __import__("os").system("id") + """',
    "'; import os; '",
    "\nimport os\n",
    "):\n    pass\n",
    "../",
    "..\\",
    "/etc/passwd",
    "😀",
    "👨\u200d👩\u200d👧",
    "中文描述",
    "【批次号】",
    "\u3000",
    "\xa0",
)
ASCII_NASTY: tuple[str, ...] = (*(s for s in NASTY if s.isascii()), "-", ".", " ", "$", "@")

_ANY_CHAR = st.characters(blacklist_categories=("Cs",))  # YAML files cannot hold lone surrogates
_ASCII_CHAR = st.characters(max_codepoint=127)

text: st.SearchStrategy[str] = st.lists(
    st.sampled_from(NASTY) | st.text(_ANY_CHAR, max_size=6), max_size=8
).map("".join)
ascii_text: st.SearchStrategy[str] = st.lists(
    st.sampled_from(ASCII_NASTY) | st.text(_ASCII_CHAR, max_size=4), max_size=5
).map("".join)
long_text: st.SearchStrategy[str] = st.builds(
    lambda unit, count: unit * count,
    st.sampled_from(("x", "中", "😀 ", '"""', "\\", "{{ x }}", "a b ", "\u202e")),
    st.integers(2_000, 30_000),
)


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\\":
        return "\\\\"
    if char == '"':
        return '\\"'
    if 0x20 <= code <= 0x7E or (
        code >= 0xA0
        and char not in "\u2028\u2029\ufeff\ufffe\uffff"
        and not 0xD800 <= code < 0xE000
    ):
        return char
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return '"' + "".join(_escape(c) for c in value) + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    raise TypeError(type(value).__name__)


def _lines(value: Any, indent: str) -> list[str]:
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        out: list[str] = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{indent}{_scalar(key)}:")
                out.extend(_lines(item, indent + "  "))
            else:
                out.append(f"{indent}{_scalar(key)}: {_lines(item, '')[0]}")
        return out
    if isinstance(value, list):
        if not value:
            return ["[]"]
        out = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = _lines(item, indent + "  ")
                out.append(f"{indent}- {inner[0].lstrip()}")
                out.extend(inner[1:])
            else:
                out.append(f"{indent}- {_lines(item, '')[0]}")
        return out
    return [indent + _scalar(value)]


def to_yaml(document: dict[str, Any]) -> str:
    """Block-style YAML of a JSON-like document; every string double-quoted and exact."""
    return "\n".join(_lines(document, "")) + "\n"
