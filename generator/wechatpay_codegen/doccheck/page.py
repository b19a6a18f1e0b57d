"""A saved WeChat Pay APIv3 doc page (its text form) → ``Page``: what the page says, line by line.

The text form is what a browser's "save as text" gives of a pay.weixin.qq.com doc page: the
title, ``支持商户:【…】``, ``请求方式:【METHOD】/path``, then sections (``path 路径参数``,
``body 包体参数``, ``应答参数`` …) whose fields are written ``name 必填|选填 type`` followed by a
``【gist】 …`` line, an optional ``可选取值`` line with the enum values, and for objects a
``属性 |`` block listing the children (several to a line: the page's nested table,
flattened). Examples are the page's numbered code listings (``1{ 2 "a" : 1 3}``); error codes
are ``状态码 | 错误码 | 描述 | 解决方案 |`` tables.

Only what the page shows is recorded: a child object whose fields the page does not expand has
``children is None`` (unknown), not an empty table. A text that is not in this form raises
``PageFormatError`` naming the page and the line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ErrorCode", "Page", "PageField", "PageFormatError", "parse_page", "read_page"]

# The label after 支持商户 → the Authorization scheme the page's API is called with.
AUTH_LABELS = {
    "普通商户": "merchant",
    "普通服务商": "merchant",
    "服务商": "merchant",
    "商户": "merchant",
    "品牌商户": "brand",
    "品牌": "brand",
}
# Request headers every APIv3 call carries, written by the runtime: not compared field by field.
PROTOCOL_HEADERS = frozenset({"authorization", "accept", "content-type", "user-agent"})

_METHOD_LINE = re.compile(r"^请求方式[:：]\s*【([A-Z]+)】\s*(\S+)\s*$")
_AUTH_LINE = re.compile(r"^支持商户[:：]\s*(.*)$")
_SECTIONS = {
    "Header HTTP头参数": "header",
    "path 路径参数": "path",
    "query 查询参数": "query",
    "body 包体参数": "body",
}
_TYPE = (
    r"(?:string|integer|number|boolean|object|array\[(?:string|integer|number|boolean|object)\])"
)
_FIELD_LINE = re.compile(rf"^([A-Za-z_][A-Za-z0-9_-]*) (必填|选填) ({_TYPE})(?:\((\d+)\))?\s*$")
_INLINE_FIELD = re.compile(
    rf"(?:^|(?<=\s))([A-Za-z_][A-Za-z0-9_]*) (必填|选填) ({_TYPE})(?:\((\d+)\))?(?=\s|$)"
)
_STATUS_LINE = re.compile(r"^([1-5]\d\d) [A-Za-z][A-Za-z ]*$")
_ERROR_ROW = re.compile(r"^([1-5]\d\d) \| ([A-Z][A-Z0-9_]*) \| (.*?) \| (.*?) \|\s*$")
_ENUM_VALUE = re.compile(r"(?<![A-Za-z0-9_])([A-Z][A-Z0-9_]*):\s")
_GIST = re.compile(r"【([^】]*)】")
_LENGTH_RANGE = re.compile(r"长度(?:在|为)?\s*(\d+)\s*[-~至到]\s*(\d+)\s*个?字符")
_VALUE_RANGE = re.compile(r"取值范围[:：]?\s*[\[(（]?\s*(-?\d+)\s*[-~,，至到]\s*(-?\d+)")


class PageFormatError(Exception):
    """The text is not a saved doc page in the expected form; the message names page and line."""


@dataclass
class PageField:
    """One row of a page's field table."""

    name: str
    required: bool
    type: str  # string, integer, number, boolean, object or array
    items: str | None  # for arrays: the item type
    line: int
    gist: str | None = None  # the 【…】 name
    description: str = ""
    max_length: int | None = None  # string(N), or 长度在A-B个字符之间
    min_length: int | None = None
    minimum: int | None = None  # 取值范围
    maximum: int | None = None
    enum: list[str] | None = None  # None: the page lists no values here
    children: dict[str, PageField] | None = None  # None: the page does not expand the object

    @property
    def type_text(self) -> str:
        return f"array[{self.items}]" if self.type == "array" else self.type


@dataclass(frozen=True)
class ErrorCode:
    status: int
    code: str
    description: str
    line: int


@dataclass
class Example:
    value: Any
    line: int


@dataclass
class Page:
    path: Path
    display: str
    title: str
    method: str
    url_path: str
    method_line: int
    auth: str | None  # merchant / brand; None when the label is unknown
    auth_label: str
    auth_line: int
    params: dict[str, dict[str, PageField]] = field(default_factory=dict)  # in → name → field
    body: dict[str, PageField] = field(default_factory=dict)
    request_example: Example | None = None
    response_status: int | None = None
    response_status_line: int = 0
    response: dict[str, PageField] | None = None  # None: no response body
    response_example: Example | None = None
    error_codes: list[ErrorCode] = field(default_factory=list)
    errors_line: int = 0  # the 错误码 heading (0: the page has none)


def read_page(path: Path, display: str | None = None) -> Page:
    """Read and parse one page file; ``PageFormatError`` when it cannot be read or parsed."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PageFormatError(f"{shown}: not UTF-8 text; save the doc page as text") from None
    except OSError as exc:
        raise PageFormatError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    return parse_page(text, path=path, display=shown)


def parse_page(text: str, *, path: Path, display: str) -> Page:
    return _Parser(text.splitlines(), path, display).parse()


class _Parser:
    def __init__(self, lines: list[str], path: Path, display: str) -> None:
        self.lines = [line.rstrip() for line in lines]
        self.path = path
        self.display = display

    def fail(self, line: int, message: str) -> PageFormatError:
        return PageFormatError(
            f"{self.display}:{line}: {message}; expected a WeChat Pay APIv3 doc page saved as "
            "text (title, '支持商户:【…】', '请求方式:【METHOD】/path', field tables, examples, "
            "error codes)"
        )

    def parse(self) -> Page:
        lines = self.lines
        if not any(line.strip() for line in lines):
            raise self.fail(1, "the page is empty")
        method_at = next((i for i, t in enumerate(lines) if _METHOD_LINE.match(t)), None)
        if method_at is None:
            raise self.fail(1, "no '请求方式:【METHOD】/path' line")
        found = _METHOD_LINE.match(lines[method_at])
        assert found is not None
        auth_at = next((i for i, t in enumerate(lines) if _AUTH_LINE.match(t)), None)
        if auth_at is None:
            raise self.fail(method_at + 1, "no '支持商户:【…】' line")
        auth_match = _AUTH_LINE.match(lines[auth_at])
        assert auth_match is not None
        labels = _GIST.findall(auth_match.group(1))
        label = labels[0] if labels else auth_match.group(1).strip()
        page = Page(
            path=self.path,
            display=self.display,
            title=lines[0].strip(),
            method=found.group(1),
            url_path=found.group(2),
            method_line=method_at + 1,
            auth=AUTH_LABELS.get(label),
            auth_label=label,
            auth_line=auth_at + 1,
        )
        self._sections(page, method_at + 1)
        return page

    # ------------------------------------------------------------------ sections
    def _sections(self, page: Page, start: int) -> None:
        lines = self.lines
        i = start
        where: str | None = None  # header/path/query/body/response or None
        table: dict[str, PageField] | None = None
        seen_response = False
        while i < len(lines):
            text = lines[i].strip()
            if text in _SECTIONS:
                where = _SECTIONS[text]
                table = page.body if where == "body" else page.params.setdefault(where, {})
                i += 1
            elif text == "请求示例":
                where, table = None, None
                i = self._request_example(page, i + 1)
            elif text == "应答参数":
                seen_response = True
                where, table = "response", None
                i += 1
            elif text == "应答示例":
                where, table = None, None
                i = self._response_example(page, i + 1)
            elif text.startswith("错误码") or text.startswith("以下是本接口返回的错误码"):
                where, table = "errors", None
                page.errors_line = page.errors_line or i + 1
                i += 1
            elif where == "response" and _STATUS_LINE.match(text):
                if page.response_status is None:
                    page.response_status = int(text[:3])
                    page.response_status_line = i + 1
                    page.response = {}
                table = page.response
                i += 1
            elif where == "response" and text == "无应答包体":
                page.response = None
                table = None
                i += 1
            elif where == "errors":
                row = _ERROR_ROW.match(text)
                if row:
                    page.error_codes.append(
                        ErrorCode(int(row.group(1)), row.group(2), row.group(3).strip(), i + 1)
                    )
                i += 1
            elif table is not None and _FIELD_LINE.match(text):
                i = self._field(table, i)
            else:
                i += 1
        if not seen_response:
            raise self.fail(len(lines), "no '应答参数' section")

    def _field(self, table: dict[str, PageField], i: int) -> int:
        match = _FIELD_LINE.match(self.lines[i].strip())
        assert match is not None
        item = _new_field(match, i + 1)
        table[item.name] = item
        i += 1
        description: list[str] = []
        lines = self.lines
        while i < len(lines):
            text = lines[i].strip()
            if _FIELD_LINE.match(text) or text in _SECTIONS or _is_section_end(text):
                break
            if _is_children_start(text):
                i = self._children(item, i + 1)
                continue
            if text == "可选取值":
                values_line = lines[i + 1].strip() if i + 1 < len(lines) else ""
                item.enum = _ENUM_VALUE.findall(values_line + " ")
                i += 2
                continue
            description.append(text)
            i += 1
        _describe(item, " ".join(description))
        return i

    def _children(self, parent: PageField, i: int) -> int:
        """The ``属性 |`` block after an object field: children, several to a line, up to '|'."""
        lines = self.lines
        pieces: list[tuple[int, str]] = []
        while i < len(lines):
            text = lines[i].strip()
            end = text == "|" or text.endswith(" |")
            if text and text != "|":
                pieces.append((i + 1, text[:-2] if text.endswith(" |") else text))
            i += 1
            if end:
                break
        children: dict[str, PageField] = {}
        for line_no, text in pieces:
            matches = list(_INLINE_FIELD.finditer(text))
            for k, match in enumerate(matches):
                child = _new_field(match, line_no)
                stop = matches[k + 1].start() if k + 1 < len(matches) else len(text)
                rest = text[match.end() : stop].strip()
                if rest.endswith("可选取值"):
                    rest = rest[: -len("可选取值")].strip()  # the values are not listed here
                _describe(child, rest)
                children[child.name] = child
        parent.children = children
        return i

    # ------------------------------------------------------------------ examples
    def _request_example(self, page: Page, i: int) -> int:
        lines = self.lines
        while i < len(lines) and not lines[i].strip().startswith("1"):
            if lines[i].strip() in ("应答参数", "应答示例"):
                return i
            i += 1
        if i >= len(lines):
            return i
        source = "\n".join(unnumber(lines[i].strip()))
        body = re.search(r"-d\s+'(.*)'", source, re.DOTALL)
        if body is not None:
            page.request_example = Example(self._json(body.group(1), i + 1), i + 1)
        return i + 1

    def _response_example(self, page: Page, i: int) -> int:
        lines = self.lines
        while i < len(lines) and _STATUS_LINE.match(lines[i].strip()):
            if page.response_status is None:
                page.response_status = int(lines[i].strip()[:3])
                page.response_status_line = i + 1
            i += 1
        if i < len(lines) and lines[i].strip().startswith("1"):
            source = "\n".join(unnumber(lines[i].strip())).strip()
            if source.startswith(("{", "[")):
                page.response_example = Example(self._json(source, i + 1), i + 1)
            return i + 1
        return i

    def _json(self, source: str, line: int) -> Any:
        try:
            return json.loads(source)
        except json.JSONDecodeError as exc:
            raise self.fail(
                line, f"the example is not JSON ({exc.msg} at character {exc.pos})"
            ) from None


def _is_children_start(text: str) -> bool:
    return bool(re.match(r"^\|?\s*属性\s*\|", text))


def _is_section_end(text: str) -> bool:
    return (
        text in ("请求示例", "应答参数", "应答示例", "请求参数")
        or text.startswith("错误码")
        or bool(_STATUS_LINE.match(text))
    )


def _new_field(match: re.Match[str], line: int) -> PageField:
    name, need, type_text, length = match.group(1, 2, 3, 4)
    items = None
    kind = type_text
    if type_text.startswith("array["):
        kind, items = "array", type_text[len("array[") : -1]
    item = PageField(name=name, required=need == "必填", type=kind, items=items, line=line)
    if length is not None and kind == "string":
        item.max_length = int(length)
    return item


def _describe(item: PageField, description: str) -> None:
    item.description = description
    gist = _GIST.match(description)
    if gist:
        item.gist = gist.group(1)
    length = _LENGTH_RANGE.search(description)
    if length and item.type == "string":
        item.min_length = int(length.group(1))
        if item.max_length is None:
            item.max_length = int(length.group(2))
    bounds = _VALUE_RANGE.search(description)
    if bounds and item.type in ("integer", "number"):
        item.minimum, item.maximum = int(bounds.group(1)), int(bounds.group(2))


def unnumber(text: str) -> list[str]:
    """A numbered listing flattened to one line (``1{ 2 "a" : 1 3}``) → its lines.

    Each line number follows a space (the line break) and is immediately followed by the line's
    text (its indentation collapsed to one space). Numbers are found in sequence, each the first
    `` n`` not followed by another digit after the previous one.
    """
    if not text.startswith("1"):
        return [text]
    out: list[str] = []
    pos = 1
    n = 2
    while True:
        marker = re.compile(rf" {n}(?!\d)")
        found = marker.search(text, pos)
        if found is None:
            out.append(text[pos:])
            break
        out.append(text[pos : found.start()])
        pos = found.end()
        n += 1
    return [line[1:] if line.startswith(" ") else line for line in out]
