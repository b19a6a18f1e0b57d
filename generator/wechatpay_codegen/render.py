"""IR -> the files of the generated distribution (in memory; :mod:`.writer` puts them on disk).

Jinja2 renders ``templates/package/**`` (``StrictUndefined``, no autoescape, trailing newlines
kept), then every ``.py`` file goes through black's Python API with one fixed mode.
``templates/runtime/*.py`` are copied verbatim into ``<package>/_runtime/``.

One escaping path. Every value a template prints passes the environment's ``finalize`` hook, which
lets through only :class:`Code` (text a filter below produced) and plain identifiers; anything else
is a bug in the template and fails the render. The filters:

- ``py``: a Python literal (``repr``-safe: quotes, backslashes and every non-printable character
  escaped, so bidi controls and NULs cannot hide in the source);
- ``docstring``: a triple-quoted docstring, escaped the same way, wrapped to the line length by
  display width (CJK characters count two columns);
- ``md`` / ``md_code`` / ``code_block``: Markdown text, inline code, fenced blocks for the README;
- ``toml``: a TOML string (only package metadata, which is checked to be plain).

Spec text is passed to templates as data, so Jinja syntax inside it is never evaluated.
Python expressions (annotations, parsers, checkers) are built here from the IR's types; templates
only place them.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, ir
from ._cache import Cache
from ._format import FormatError, Style, format_modules
from .naming import is_identifier

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "LINE_LENGTH",
    "Block",
    "Code",
    "PackageInfo",
    "RenderError",
    "code_block",
    "docstring",
    "md_code",
    "md_text",
    "py_literal",
    "python_sources",
    "render_file",
    "render_package",
    "runtime_files",
    "templates_dir",
]

LINE_LENGTH = 100
#: Black's options for every generated module (``BLACK_MODE`` is black's ``Mode`` of it).
STYLE = Style(line_length=LINE_LENGTH, target_versions=("PY310",))
_PACKAGE_TEMPLATES = "package"
_RUNTIME_TEMPLATES = "runtime"


class RenderError(Exception):
    """A template or the formatter failed (a generator bug, or a broken templates folder)."""


class Code(str):
    """Text that went through an escaping filter: safe to place in generated output."""

    __slots__ = ()


@dataclass(frozen=True)
class PackageInfo:
    """What the generated distribution is called; not from the specs."""

    package: str  # import name, e.g. "wechatpay_marketing"
    distribution: str  # e.g. "wechatpay-marketing"
    version: str
    generator_version: str = __version__
    install_path: str = "./generated"  # what `pip install` is given, shell-quoted (README)


def __getattr__(name: str) -> Any:
    # BLACK_MODE is built on first use: importing black costs a tenth of a second, and a run
    # whose every chunk is in the cache never needs it.
    if name == "BLACK_MODE":
        return STYLE.mode()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def templates_dir() -> Path:
    """``wechatpay_codegen/templates`` in an installed wheel, else ``<repo>/templates``."""
    here = Path(__file__).resolve().parent
    bundled = here / "templates"
    if bundled.is_dir():
        return bundled
    return here.parent.parent / "templates"


# -- escaping ------------------------------------------------------------------------------------


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


def _width(text: str) -> int:
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
                    out.append((joined, _width(joined)))
                    word = []
                out.append((char, 2))  # a wide character stands alone: a line may break around it
            if word:
                joined = "".join(word)
                out.append((joined, _width(joined)))
    return out


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """Greedy fill of already-escaped ``text``; breaks at spaces and around wide characters.

    An escape sequence is never split (it is part of a word), so no line ends in a lone ``\\``.
    """
    lines: list[str] = []
    line, line_width = [first], _width(first)
    rest_width = _width(rest)
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


def _plain(text: str) -> str:
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
    escaped = _escape_text(_plain(text).replace("\n", " ")).strip()
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
        if _width(line) + 6 <= width:
            return Code(f'"""{line}"""')
        lines = _docstring_lines(blocks, width, '""""""')
    pad = " " * indent
    body = "\n".join(f"{pad}{line}" if line else "" for line in lines[1:])
    return Code(f'"""{lines[0]}\n{body}\n{pad}"""' if body else f'"""{lines[0]}\n{pad}"""')


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_text(value: str) -> Code:
    """Markdown inline text: one line, structure characters escaped, invisibles made visible."""
    text = " ".join(_plain(value).split())
    text = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in text)
    return Code(_MD_SPECIAL.sub(r"\\\1", text))


def md_code(value: str, cell: bool = False) -> Code:
    """Markdown inline code span that no backtick inside can close early.

    ``cell``: the span sits in a table row, where a ``|`` would end the cell even inside code
    (GFM splits the row before it parses code spans); there every ``|`` is written ``\\|``,
    which the table reads back as ``|``.
    """
    text = " ".join(_plain(value).split())
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


def _finalize(value: object) -> object:
    if isinstance(value, Code):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and (is_identifier(value) or value == ""):
        return value
    raise RenderError(
        f"template printed {value!r} without an escaping filter (py, docstring, md, ...)"
    )


# -- Python expressions from IR types -----------------------------------------------------------

_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


def annotation(t: ir.TypeRef) -> Code:
    """The type of a model attribute."""
    if t.kind in _SCALARS:
        return Code(_SCALARS[t.kind])
    if t.kind == "datetime":
        return Code("datetime | str")
    if t.kind == "enum":
        return Code(f"{t.name} | str")
    if t.kind == "model":
        return Code(str(t.name))
    if t.kind == "array":
        assert t.items is not None
        return Code(f"list[{annotation(t.items)}]")
    if t.kind == "object":
        return Code("dict[str, Any]")
    return Code("Any")


def argument_annotation(t: ir.TypeRef) -> Code:
    """The type of a method argument: nested objects may also be plain dicts of wire names."""
    if t.kind == "file":
        return Code("_upload.FileInput")
    if t.kind == "model":
        return Code(f"{t.name} | Mapping[str, Any]")
    if t.kind == "array":
        assert t.items is not None
        return Code(f"Sequence[{argument_annotation(t.items)}]")
    if t.kind == "object":
        return Code("Mapping[str, Any]")
    return annotation(t)


def to_wire(t: ir.TypeRef, expr: str, depth: int = 0) -> Code:
    """An expression turning model attribute ``expr`` into its wire value."""
    if t.kind == "datetime":
        return Code(f"_serde.format_datetime({expr})")
    if t.kind == "enum":
        return Code(f"_serde.enum_value({expr})")
    if t.kind == "model":
        return Code(f"{expr}.to_dict()")
    if t.kind == "array":
        assert t.items is not None
        var = "item" if depth == 0 else f"item{depth + 1}"
        inner = to_wire(t.items, var, depth + 1)
        return Code(f"list({expr})" if inner == var else f"[{inner} for {var} in {expr}]")
    if t.kind == "object":
        return Code(f"dict({expr})")
    return Code(expr)


def parser(t: ir.TypeRef) -> Code:
    """A ``(value, path) -> attribute`` parser for ``_serde.required/optional``."""
    simple = {
        "string": "parse_str",
        "integer": "parse_int",
        "number": "parse_float",
        "boolean": "parse_bool",
        "datetime": "parse_datetime",
        "object": "parse_object",
        "any": "parse_any",
    }
    if t.kind in simple:
        return Code(f"_serde.{simple[t.kind]}")
    if t.kind == "enum":
        return Code(f"_serde.enum_parser({t.name})")
    if t.kind == "model":
        return Code(f"{t.name}.from_dict")
    assert t.kind == "array" and t.items is not None
    return Code(f"_serde.list_parser({parser(t.items)})")


def _kwargs(pairs: Iterable[tuple[str, object]]) -> str:
    return ", ".join(f"{k}={py_literal(v)}" for k, v in pairs if v not in (None, False))


def checker(t: ir.TypeRef, validators: Mapping[str, str]) -> Code:
    """A ``(value, path) -> None`` request check for ``_v.required/optional``."""
    c = t.constraints
    if t.kind == "string":
        args = _kwargs(
            [("min_length", c.min_length), ("max_length", c.max_length), ("pattern", c.pattern)]
        )
        return Code(f"_v.string({args})")
    if t.kind in ("integer", "number"):
        args = _kwargs(
            [
                ("minimum", c.minimum),
                ("maximum", c.maximum),
                ("exclusive_minimum", c.exclusive_minimum),
                ("exclusive_maximum", c.exclusive_maximum),
            ]
        )
        return Code(f"_v.{t.kind}({args})")
    if t.kind == "datetime":
        return Code("_v.date_time")
    if t.kind == "boolean":
        return Code("_v.boolean")
    if t.kind == "enum":
        return Code(f"_v.enum({t.name})")
    if t.kind == "model":
        return Code(validators[str(t.name)])
    if t.kind == "array":
        assert t.items is not None
        args = _kwargs(
            [
                ("min_items", c.min_items),
                ("max_items", c.max_items),
                ("unique_items", c.unique_items),
            ]
        )
        item = checker(t.items, validators)
        return Code(f"_v.array({item}, {args})" if args else f"_v.array({item})")
    if t.kind == "object":
        return Code("_v.free_object")
    return Code("_v.any_value")


# -- docstrings ---------------------------------------------------------------------------------


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _constraints(c: ir.Constraints) -> list[str]:
    out: list[str] = []
    if c.min_length is not None:
        out.append(f"at least {_count(c.min_length, 'character')}")
    if c.max_length is not None:
        out.append(f"at most {_count(c.max_length, 'character')}")
    if c.pattern is not None:
        out.append(f"matches {c.pattern}")
    for word, value in (
        (">=", c.minimum),
        ("<=", c.maximum),
        (">", c.exclusive_minimum),
        ("<", c.exclusive_maximum),
    ):
        if value is not None:
            out.append(f"{word} {value}")
    if c.min_items is not None:
        out.append(f"at least {_count(c.min_items, 'item')}")
    if c.max_items is not None:
        out.append(f"at most {_count(c.max_items, 'item')}")
    if c.unique_items:
        out.append("unique items")
    return out


def _type_notes(t: ir.TypeRef) -> list[str]:
    notes = _constraints(t.constraints)
    if t.kind == "datetime":
        notes.append("RFC 3339 date-time")
    if t.kind == "array" and t.items is not None:
        notes.extend(f"each item {n}" for n in _type_notes(t.items))
    return notes


def _with_notes(text: str, t: ir.TypeRef) -> str:
    """A description followed by the constraints the type carries, in parentheses."""
    notes = "; ".join(_type_notes(t))
    text = " ".join(text.split())
    if not text:
        return f"Constraints: {notes}." if notes else "Not described in the spec."
    return f"{text} ({notes})" if notes else text


def _rules_text(rules: ir.Rules) -> list[str]:
    out: list[str] = []
    for group in rules.mutually_exclusive:
        out.append(f"{', '.join(group)}: not all of these together.")
    for trigger, needed in rules.dependent_required:
        out.append(f"When {trigger} is set, {', '.join(needed)} must be set too.")
    if rules.min_properties is not None:
        out.append(f"Set at least {rules.min_properties} field(s).")
    if rules.max_properties is not None:
        out.append(f"Set at most {rules.max_properties} field(s).")
    if not rules.additional_properties:
        out.append("No other fields are allowed.")
    return out


def _paragraphs(text: str) -> list[Block]:
    return [Block(line) for line in _plain(text).strip().split("\n")]


def model_doc(model: ir.Model) -> list[Block]:
    blocks = _paragraphs(model.description or f"The {model.name} object.")
    rules = _rules_text(model.rules)
    if rules:
        blocks += [Block(), *(Block(r) for r in rules)]
    return blocks


def field_doc(field: ir.Field) -> list[Block]:
    """The attribute docstring; none when the spec says nothing about the field."""
    if not field.description.strip() and not _type_notes(field.type):
        return []
    return [Block(_with_notes(field.description, field.type))]


def enum_doc(enum: ir.EnumDef) -> list[Block]:
    return _paragraphs(enum.description or f"Values of {enum.name}.")


def member_doc(member: ir.EnumMember) -> list[Block]:
    return [Block(member.description)]


def _rate_limit(limit: ir.RateLimit) -> str:
    scope = f" per {limit.scope}" if limit.scope else ""
    return f"Rate limit: {limit.limit} requests per {limit.per}{scope}."


_AUTH_NOTE = {
    "merchant": "Merchant API: needs a client created with mchid=.",
    "brand": "Brand API: needs a client created with brand_id=.",
}


def method_doc(op: ir.Operation, api: ir.API) -> list[Block]:
    blocks = _paragraphs(op.summary or op.operation_id)
    if op.description:
        blocks += [Block(), *_paragraphs(op.description)]
    blocks += [Block(), Block(f"{op.http_method} {op.path}"), Block(_AUTH_NOTE[op.auth_scheme])]
    if op.rate_limit is not None:
        blocks.append(Block(_rate_limit(op.rate_limit)))
    if op.body_model is not None:
        rules = _rules_text(api.model(op.body_model).rules)
        if rules:
            blocks += [Block(), Block("Request rules:"), *(Block(r, "    ", "    ") for r in rules)]
    blocks += [Block(), Block("Args:")]
    for p in op.parameters:
        blocks.append(Block(_with_notes(p.description, p.type), f"    {p.name}: ", " " * 8))
    indent = " " * 8
    blocks += [
        Block("Extra HTTP headers for this call only.", "    extra_headers: ", indent),
        Block("Retries for this call instead of the client's.", "    max_retries: ", indent),
        Block("Timeout in seconds for this call instead of the client's.", "    timeout: ", indent),
    ]
    if op.response_bytes:
        blocks.append(
            Block(
                "Size limit of the file for this call instead of the client's.",
                "    max_response_bytes: ",
                indent,
            )
        )
    blocks += [Block(), Block("Returns:")]
    if op.response_bytes:
        note = (
            " WeChat Pay does not sign it: check it against the hash the apply-bill answer gave "
            "(read_bill, save_bill)."
            if op.unsigned_statuses
            else ""
        )
        blocks.append(Block(f"The file.{note}", "    bytes: ", " " * 8))
    elif op.response_model is None:
        blocks.append(Block(f"None: the server answers {op.success_status} with no body.", "    "))
    else:
        response = api.model(op.response_model)
        text = " ".join((response.description or "The response.").split())
        blocks.append(Block(text, f"    {response.name}: ", " " * 8))
    blocks += [
        Block(),
        Block("Raises:"),
        Block(
            "The arguments break the spec; nothing was sent.",
            "    RequestValidationError: ",
            " " * 8,
        ),
    ]
    for status in op.errors:
        codes = "; ".join(f"{c.code} ({' '.join(c.description.split())})" for c in status.codes)
        text = f"HTTP {status.status}" + (f": {codes}." if codes else ".")
        blocks.append(Block(text, f"    {status.exception}: ", " " * 8))
    blocks += [
        Block("Any other error status.", "    APIStatusError: ", " " * 8),
        Block(
            "The response failed verification; its data is not returned.",
            "    SignatureVerificationError: ",
            " " * 8,
        ),
        Block(
            "A verified response whose body is not the documented shape.",
            "    APIResponseValidationError: ",
            " " * 8,
        ),
        Block(
            "No response (APITimeoutError when it timed out).",
            "    APIConnectionError: ",
            " " * 8,
        ),
    ]
    return blocks


def prepare_doc(op: ir.Operation) -> list[Block]:
    what = (
        "Path parameters, validated wire body and query"
        if op.query_params
        else ("Path parameters and validated wire body")
    )
    return [
        Block(f"{what} for {op.name}."),
        Block(),
        Block("Raises RequestValidationError naming the first field that breaks the spec."),
    ]


# -- README examples ----------------------------------------------------------------------------


#: An upload argument's example value in the README: bytes, shown as ``b"..."``.
_FILE_EXAMPLE = Code('b"..."')


def _example_literal(value: object) -> str:
    return value if isinstance(value, Code) else py_literal(value)


def _element(prefix: str, value: object, indent: int, suffix: str) -> list[str]:
    """``prefix`` + the literal of ``value`` + ``suffix`` at ``indent``: on one line when it fits,
    else a non-empty dict or list exploded one item per line with a trailing comma (black keeps
    that form as it is, so no formatter has to run)."""
    pad = " " * indent
    line = f"{pad}{prefix}{_example_literal(value)}{suffix}"
    if _width(line) <= LINE_LENGTH or not isinstance(value, (Mapping, list)) or not value:
        return [line]
    items: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            items += _element(f"{py_literal(str(key))}: ", item, indent + 4, ",")
        opening, closing = "{", "}"
    else:
        for item in value:
            items += _element("", item, indent + 4, ",")
        opening, closing = "[", "]"
    return [f"{pad}{prefix}{opening}", *items, f"{pad}{closing}{suffix}"]


def example_call(op: ir.Operation, client: str = "client", cache: Cache | None = None) -> str:
    """``client.op(arg=value, ...)`` from the spec's examples (nested objects as plain dicts):
    one line when it fits, else one argument per line, a dict or list exploded only where its
    line does not fit. Still formatted like every module (:mod:`._format`), which then finds
    nothing to do unless a single value is too long for its line."""
    args: list[tuple[str, object]] = []
    body = op.request_example if isinstance(op.request_example, Mapping) else {}
    for p in op.parameters:
        if p.location == "file":
            args.append((p.name, _FILE_EXAMPLE))
            continue
        if p.location in ("path", "query"):
            if p.example is None and not p.required:
                continue
            value = p.example if p.example is not None else "..."
        elif p.wire_name in body:
            value = body[p.wire_name]
        else:
            continue
        args.append((p.name, value))
    target = "result = " if op.response_model or op.response_bytes else ""
    one = ", ".join(f"{name}={_example_literal(value)}" for name, value in args)
    code = f"{target}{client}.{op.name}({one})"
    if _width(code) > LINE_LENGTH:
        lines = [f"{target}{client}.{op.name}("]
        for name, value in args:
            lines += _element(f"{name}=", value, 4, ",")
        code = "\n".join([*lines, ")"])
    return _format_python({"README example": code + "\n"}, cache)["README example"]


# -- the package --------------------------------------------------------------------------------


def _isort_key(name: str) -> tuple[int, list[int | str], str]:
    """isort/ruff "order by type": CONSTANTS, then Classes, then everything else; within each,
    case-insensitively in natural order (``Item2`` before ``Item10``), as ruff's isort sorts
    members (``BusifavorX`` before ``BusiFavorY``)."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    natural: list[int | str] = [
        int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name.lower())
    ]
    return (kind, natural, name)


def sort_names(names: Iterable[str]) -> list[str]:
    """Names in the order ruff's isort wants them in an import list."""
    return sorted(set(names), key=_isort_key)


def _all_key(name: str) -> tuple[int, str]:
    """RUF022's order for ``__all__``: by type like isort, then case-sensitively."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return (kind, name)


def sort_all(names: Iterable[str]) -> list[str]:
    """Names in the order ruff wants ``__all__`` in (RUF022)."""
    return sorted(set(names), key=_all_key)


def _kinds(types: Iterable[ir.TypeRef]) -> set[str]:
    out: set[str] = set()
    for t in types:
        out.add(t.kind)
        if t.items is not None:
            out |= _kinds([t.items])
    return out


def _classes(types: Iterable[ir.TypeRef], api: ir.API) -> tuple[list[str], list[str]]:
    """(enum names, model names) mentioned by ``types``, sorted."""
    enums = {e.name for e in api.enums}
    names = {name for t in types for name in t.referenced()}
    return sort_names(names & enums), sort_names(names - enums)


def _bytecode_cache(cache: Cache | None) -> jinja2.BytecodeCache | None:
    """Jinja's own cache of compiled templates (checked against each template's source), kept in
    the generator's cache folder; compiling the templates takes a fifth of a second per run."""
    import jinja2

    folder = cache.folder("jinja") if cache is not None else None
    if folder is None:
        return None

    class QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass  # an unwritable cache is not a failure

    return QuietBytecodeCache(str(folder))


def _environment(root: Path, cache: Cache | None = None) -> jinja2.Environment:
    import jinja2

    # Autoescaping is for HTML; here every printed value goes through ``_finalize`` instead.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / _PACKAGE_TEMPLATES)),
        bytecode_cache=_bytecode_cache(cache),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters.update(
        py=py_literal,
        docstring=docstring,
        md=md_text,
        md_code=md_code,
        code_block=code_block,
        toml=toml_string,
        names=identifiers,
        annotation=annotation,
        argument_annotation=argument_annotation,
        parser=parser,
        to_wire=to_wire,
        path_value=path_value,
        field_set=field_set,
        field_tuple=field_tuple,
        model_doc=model_doc,
        field_doc=field_doc,
        enum_doc=enum_doc,
        member_doc=member_doc,
        prepare_doc=prepare_doc,
        example_call=example_call,
    )
    return env


def _format_python(sources: Mapping[str, str], cache: Cache | None) -> dict[str, str]:
    """Black output of each module (name -> text), chunked and memoized (see :mod:`._format`)."""
    try:
        return format_modules(sources, STYLE, cache, trust_settled=True)
    except FormatError as exc:
        raise RenderError(f"rendered {exc.name} is not valid Python: {exc.detail}") from exc


def path_value(p: ir.Parameter) -> Code:
    """A path parameter's value as the ``str`` the runtime takes."""
    return Code(p.name if p.type.kind == "string" else f"str({p.name})")


def field_set(model: ir.Model) -> Code:
    names = ", ".join(py_literal(f.wire_name) for f in model.fields)
    return Code(f"frozenset({{{names}}})" if names else "frozenset()")


def field_tuple(model: ir.Model) -> Code:
    return py_literal(tuple(f.wire_name for f in model.fields))


_CLIENT_DOCS = {
    "WeChatPayClient": "Blocking client of the WeChat Pay marketing APIs.",
    "AsyncWeChatPayClient": "Asyncio client of the WeChat Pay marketing APIs.",
}
_CLIENT_DOC_TAIL = (
    "Create it with mchid= (merchant APIs) or brand_id= (brand APIs), serial_no=, private_key=, "
    "wechatpay_public_key_id= and wechatpay_public_key=; optional base_url=, backup_base_url=, "
    "timeout=, max_retries= and http_client=. Use it as a context manager, or close it."
)


def _context(api: ir.API, info: PackageInfo) -> dict[str, Any]:
    """Everything the templates need beyond the IR: import lists, mostly."""
    request_models = [m for m in api.models if m.in_request]
    model_types = [f.type for m in api.models for f in m.fields]
    arg_types = [p.type for op in api.operations for p in op.parameters]
    response_types = [
        ir.TypeRef("model", op.response_model) for op in api.operations if op.response_model
    ]
    models_enums, _ = _classes(model_types, api)
    validator_enums, _ = _classes([f.type for m in request_models for f in m.fields], api)
    arg_enums, arg_models = _classes(arg_types, api)
    _, response_models = _classes(response_types, api)
    webhook_models = sort_names(w.resource_model for w in api.webhooks)
    arg_kinds = _kinds(arg_types)
    abc_imports = [
        name
        for name, used in (
            ("Mapping", bool({"model", "object"} & arg_kinds)),
            ("Sequence", "array" in arg_kinds),
        )
        if used
    ]
    bill_helpers = any(op.unsigned_statuses for op in api.operations)
    exported = [
        *(["BillIntegrityError", "read_bill", "save_bill"] if bill_helpers else []),
        "AsyncWeChatPayClient",
        "WeChatPayClient",
        "build_authorization",
        "APIResponse",
        "Notification",
        "__version__",
        *ir.RUNTIME_ERRORS,
        *(m.name for m in api.models),
        *(e.name for e in api.enums),
    ]
    clients = [
        {
            "name": name,
            "raw_name": f"{name}WithRawResponse",
            "raw_doc": (
                f"``{name}.with_raw_response``: each method returns the verified response "
                "(``APIResponse``: status_code, headers, request_id, content, parse())."
            ),
            "base": base,
            "def_": Code(def_),
            "await_": Code(await_),
            "doc": f"{_CLIENT_DOCS[name]}\n\n{_CLIENT_DOC_TAIL}",
        }
        for name, base, def_, await_ in (
            ("WeChatPayClient", "SyncAPIClient", "def", ""),
            ("AsyncWeChatPayClient", "AsyncAPIClient", "async def", "await "),
        )
    ]
    return {
        "api": api,
        "info": info,
        "package": info.package,
        "clients": clients,
        "errors": sort_names(ir.RUNTIME_ERRORS),
        "exports": sort_all(exported),
        "model_names": sort_names(m.name for m in api.models),
        "enum_names": sort_names(e.name for e in api.enums),
        "model_all": sort_all(m.name for m in api.models),
        "enum_all": sort_all(e.name for e in api.enums),
        "models_enums": models_enums,
        "models_use_datetime": "datetime" in _kinds(model_types),
        "request_models": request_models,
        "validator_enums": validator_enums,
        "validator_names": sort_names(v for op in api.operations if (v := op.body_validator)),
        "arg_enums": arg_enums,
        "arg_models": arg_models,
        "client_models": sort_names([*arg_models, *response_models, *webhook_models]),
        "args_use_datetime": "datetime" in arg_kinds,
        "abc_imports": abc_imports,
        "client_abc_imports": sort_names(
            ["Mapping", *abc_imports, *(["Callable"] if api.webhooks else [])]
        ),
        "client_typing_imports": sort_names(
            [
                "ClassVar",
                *(["Any"] if {"model", "object", "any"} & arg_kinds or api.webhooks else []),
            ]
        ),
        "ops_need_any": any(op.body_model and not op.upload for op in api.operations)
        or "any" in arg_kinds,
        "ops_need_serde": any(op.body_model for op in api.operations),
        "ops_need_v": any(op.path_params or op.query_params for op in api.operations),
        "ops_need_upload": any(op.upload for op in api.operations),
        "bill_helpers": bill_helpers,
    }


# (template path relative to templates/package, output path; "{package}" is replaced)
_FILES: tuple[tuple[str, str], ...] = (
    ("README.md.j2", "README.md"),
    ("pyproject.toml.j2", "pyproject.toml"),
    ("package/__init__.py.j2", "{package}/__init__.py"),
    ("package/_client.py.j2", "{package}/_client.py"),
    ("package/_operations.py.j2", "{package}/_operations.py"),
    ("package/_validators.py.j2", "{package}/_validators.py"),
    ("package/_version.py.j2", "{package}/_version.py"),
    ("package/enums.py.j2", "{package}/enums.py"),
    ("package/models.py.j2", "{package}/models.py"),
    ("package/py.typed.j2", "{package}/py.typed"),
)


def _render_text(env: jinja2.Environment, template: str, context: Mapping[str, Any]) -> str:
    import jinja2

    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {template}: {exc}") from exc


def render_file(
    env: jinja2.Environment,
    template: str,
    output: str,
    context: Mapping[str, Any],
    cache: Cache | None = None,
) -> bytes:
    """One file: render the template, black-format Python."""
    text = _render_text(env, template, context)
    if output.endswith(".py"):
        text = _format_python({output: text}, cache)[output]
    return text.encode("utf-8")


def runtime_files(root: Path) -> dict[str, bytes]:
    """``templates/runtime/*.py`` by file name, bytes as they are."""
    folder = root / _RUNTIME_TEMPLATES
    if not folder.is_dir():
        raise RenderError(f"runtime templates folder {folder} is missing")
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.py"))}


def _package_environment(
    api: ir.API, info: PackageInfo, root: Path, cache: Cache | None
) -> tuple[jinja2.Environment, dict[str, Any]]:
    """The environment with the IR-bound filters, and the template context."""
    if not is_identifier(info.package):
        raise RenderError(f"package name {info.package!r} is not a Python identifier")
    env = _environment(root, cache)
    validators = {m.name: m.validator for m in api.models if m.in_request}
    env.filters["check"] = lambda t: checker(t, validators)
    env.filters["method_doc"] = lambda op: method_doc(op, api)
    env.filters["example_call"] = lambda op: example_call(op, cache=cache)
    env.filters["prepare_returns"] = prepare_returns
    env.filters["py_set"] = lambda values: Code("{" + ", ".join(map(str, values)) + "}")
    return env, _context(api, info)


def prepare_returns(op: ir.Operation) -> Code:
    """The return annotation of ``prepare_<op>``: (path params, body[, query])."""
    if op.upload is not None:
        body = "_upload.Upload"
    elif op.body_model is not None:
        body = "dict[str, Any]"
    else:
        body = "None"
    query = ", list[tuple[str, object]]" if op.query_params else ""
    return Code(f"tuple[dict[str, str], {body}{query}]")


def python_sources(api: ir.API, info: PackageInfo, *, root: Path | None = None) -> dict[str, str]:
    """The Python modules as the templates render them, before black (for tests of formatting)."""
    env, context = _package_environment(api, info, root or templates_dir(), None)
    return {
        output.replace("{package}", info.package): _render_text(env, template, context)
        for template, output in _FILES
        if output.endswith(".py")
    }


def render_package(
    api: ir.API,
    info: PackageInfo,
    manifest: Mapping[str, Any],
    *,
    root: Path | None = None,
    cache: Cache | None = None,
) -> dict[str, bytes]:
    """Every file of the distribution: relative POSIX path -> bytes (sorted by path).

    ``cache``: where black's output of earlier runs is kept (None: format everything now).
    """
    root = root if root is not None else templates_dir()
    env, context = _package_environment(api, info, root, cache)
    files: dict[str, bytes] = {}
    for template, output in _FILES:
        path = output.replace("{package}", info.package)
        files[path] = render_file(env, template, path, context, cache)
    for name, content in runtime_files(root).items():
        files[f"{info.package}/_runtime/{name}"] = content
    files[".codegen-manifest.json"] = (
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode("utf-8")
    return dict(sorted(files.items()))
