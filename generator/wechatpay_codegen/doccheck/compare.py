"""One page against its spec operation → the differences, each with the page line and spec place.

Kinds (the ``difference:`` an annotation names): ``operation`` (no spec operation for the page),
``method``, ``path``, ``auth``, ``field-added`` (on the page, not in the spec), ``field-removed``
(in the spec, not on the page), ``type``, ``required``, ``max-length``, ``min-length``,
``minimum``, ``maximum``, ``enum-added``, ``enum-removed``, ``gist`` (the 【】 name), ``status``,
``response-body``, ``example``, ``error-code-added``, ``error-code-removed``. The subject
(field path, enum value or error-code row) makes an annotation acknowledge exactly one difference.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..loader import Location
from .page import PROTOCOL_HEADERS, Page, PageField
from .spec_view import Anchor, Place, SpecField, SpecOperation

__all__ = ["Difference", "compare_page", "match_operation"]

_GIST = re.compile(r"【([^】]*)】")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Difference:
    page: str
    page_line: int
    spec: Location
    kind: str
    subject: str | None
    message: str
    anchors: tuple[Anchor, ...]

    def __str__(self) -> str:
        subject = f", subject: {self.subject}" if self.subject is not None else ""
        return (
            f"{self.page}:{self.page_line}: {self.message}; spec {self.spec} "
            f"(difference: {self.kind}{subject})"
        )


def _shape(path: str) -> str:
    return _PLACEHOLDER.sub("{}", path)


def match_operation(page: Page, operations: Iterable[SpecOperation]) -> SpecOperation | None:
    """The spec operation a page documents: by method and path; failing that (a page whose path or
    method changed), by path shape, by title, or by path alone."""
    ops = list(operations)
    shape = _shape(page.url_path)
    tries: tuple[Callable[[SpecOperation], bool], ...] = (
        lambda op: op.method == page.method and op.path == page.url_path,
        lambda op: op.method == page.method and _shape(op.path) == shape,
        lambda op: bool(op.summary) and op.summary == page.title,
        lambda op: _shape(op.path) == shape,
    )
    for test in tries:
        found = [op for op in ops if test(op)]
        if len(found) == 1:
            return found[0]
    return None


class _Comparer:
    def __init__(self, page: Page, op: SpecOperation) -> None:
        self.page = page
        self.op = op
        self.out: list[Difference] = []

    def add(
        self,
        line: int,
        spec: Location,
        kind: str,
        subject: str | None,
        message: str,
        *anchors: Place | None,
    ) -> None:
        self.out.append(
            Difference(
                self.page.display,
                line,
                spec,
                kind,
                subject,
                message,
                tuple(a.anchor for a in anchors if a is not None),
            )
        )

    def run(self) -> list[Difference]:
        page, op = self.page, self.op
        if page.method != op.method:
            self.add(
                page.method_line,
                op.place.at(),
                "method",
                None,
                f"method: page {page.method}, spec {op.method}",
                op.place,
            )
        if page.url_path != op.path:
            self.add(
                page.method_line,
                op.path_place.at(),
                "path",
                None,
                f"path: page {page.url_path}, spec {op.path}",
                op.place,
            )
        if page.auth != op.auth:
            self.add(
                page.auth_line,
                op.auth_place.at(),
                "auth",
                None,
                f"auth: page 支持商户【{page.auth_label}】 ({page.auth or 'unknown'}), "
                f"spec {op.auth or 'none'}",
                op.place,
            )
        for where in sorted(set(page.params) | set(op.params)):
            page_table = {
                k: v
                for k, v in page.params.get(where, {}).items()
                if where != "header" or k.lower() not in PROTOCOL_HEADERS
            }
            spec_table = op.params.get(where, {})
            self.fields(where, page_table, spec_table, page.method_line, op.place, op.place)
        if page.body or op.body:
            self.fields("body", page.body, op.body or {}, page.method_line, op.body_place, op.place)
        self.response()
        self.examples()
        self.error_codes()
        return self.out

    # --------------------------------------------------------------------- fields
    def fields(
        self,
        prefix: str,
        page_table: dict[str, PageField],
        spec_table: dict[str, SpecField],
        parent_line: int,
        spec_owner: Place | None,
        fallback: Place,
    ) -> None:
        owner = spec_owner or fallback
        for name, item in page_table.items():
            if name not in spec_table:
                self.add(
                    item.line,
                    owner.at("properties") if spec_owner else owner.at(),
                    "field-added",
                    f"{prefix}.{name}",
                    f"{prefix}.{name} ({'必填' if item.required else '选填'} {item.type_text}) "
                    "is on the page, not in the spec",
                    spec_owner,
                    fallback,
                )
        for name, spec in spec_table.items():
            if name not in page_table:
                self.add(
                    parent_line,
                    spec.place.at(),
                    "field-removed",
                    f"{prefix}.{name}",
                    f"{prefix}.{name} is in the spec, not on the page",
                    spec.place,
                    spec.schema,
                )
        for name, item in page_table.items():
            if name in spec_table:
                self.field(f"{prefix}.{name}", item, spec_table[name])

    def field(self, path: str, item: PageField, spec: SpecField) -> None:
        here = (spec.place, spec.schema)
        if item.required != spec.required:
            where = spec.required_place.at() if spec.required_place else spec.place.at()
            self.add(
                item.line,
                where,
                "required",
                path,
                f"{path} required: page {'必填' if item.required else '选填'}, spec "
                f"{'required' if spec.required else 'optional'}",
                *here,
            )
        if item.type_text != spec.type_text:
            self.add(
                item.line,
                spec.schema.at("type"),
                "type",
                path,
                f"{path} type: page {item.type_text}, spec {spec.type_text}",
                *here,
            )
        for kind, page_value, spec_value, key in (
            ("max-length", item.max_length, spec.max_length, "maxLength"),
            ("min-length", item.min_length, spec.min_length, "minLength"),
            ("minimum", item.minimum, spec.minimum, "minimum"),
            ("maximum", item.maximum, spec.maximum, "maximum"),
        ):
            if page_value != spec_value:
                self.add(
                    item.line,
                    spec.schema.at(key),
                    kind,
                    path,
                    f"{path} {key}: page {_show(page_value)}, spec {_show(spec_value)}",
                    *here,
                )
        if item.enum is not None:
            spec_enum = spec.enum or []
            enum_at = spec.enum_place.at("enum") if spec.enum_place else spec.place.at()
            for value in item.enum:
                if value not in spec_enum:
                    self.add(
                        item.line,
                        enum_at,
                        "enum-added",
                        f"{path}={value}",
                        f"{path}: enum value {value} is on the page, not in the spec",
                        *here,
                        spec.enum_place,
                    )
            for value in spec_enum:
                if value not in item.enum:
                    self.add(
                        item.line,
                        enum_at,
                        "enum-removed",
                        f"{path}={value}",
                        f"{path}: enum value {value} is in the spec, not on the page",
                        *here,
                        spec.enum_place,
                    )
        spec_gist = _GIST.match(spec.description.strip())
        if item.gist is not None and spec_gist and spec_gist.group(1) != item.gist:
            self.add(
                item.line,
                spec.place.at("description"),
                "gist",
                path,
                f"{path} name: page 【{item.gist}】, spec 【{spec_gist.group(1)}】",
                *here,
            )
        if item.children is not None and spec.children is not None:
            self.fields(
                path, item.children, spec.children, item.line, spec.children_place, spec.place
            )

    # ------------------------------------------------------------------- response
    def response(self) -> None:
        page, op = self.page, self.op
        line = page.response_status_line or page.method_line
        if page.response_status is not None and op.response_status is not None:
            if page.response_status != op.response_status:
                self.add(
                    line,
                    (op.response_place or op.place).at(),
                    "status",
                    None,
                    f"success status: page {page.response_status}, spec {op.response_status}",
                    op.response_place,
                    op.place,
                )
        if (page.response is None) != (op.response is None):
            self.add(
                line,
                (op.response_place or op.place).at(),
                "response-body",
                None,
                "response body: page "
                + ("none" if page.response is None else "has fields")
                + ", spec "
                + ("none" if op.response is None else "has fields"),
                op.response_place,
                op.place,
            )
        elif page.response is not None and op.response is not None:
            self.fields(
                "response",
                page.response,
                op.response,
                line,
                op.response_body_place,
                op.response_place or op.place,
            )

    def examples(self) -> None:
        page, op = self.page, self.op
        for which, example, spec_value, spec_place, owner in (
            (
                "request",
                page.request_example,
                op.request_example,
                op.request_example_place,
                op.place,
            ),
            (
                "response",
                page.response_example,
                op.response_example,
                op.response_example_place,
                op.response_place,
            ),
        ):
            if example is None:
                continue
            if spec_place is None:
                self.add(
                    example.line,
                    (owner or op.place).at(),
                    "example",
                    which,
                    f"{which} example: the page has one, the spec none",
                    owner,
                    op.place,
                )
                continue
            where = _first_difference(example.value, spec_value, "")
            if where is not None:
                self.add(
                    example.line,
                    spec_place.at(),
                    "example",
                    which,
                    f"{which} example differs at {where[0] or '/'}: page {where[1]}, "
                    f"spec {where[2]}",
                    Place(spec_place.doc, spec_place.pointer[:-1]),
                    owner,
                    op.place,
                )

    def error_codes(self) -> None:
        page, op = self.page, self.op
        page_rows = Counter((e.status, e.code, e.description) for e in page.error_codes)
        spec_rows = Counter((e.status, e.code, e.description) for e in op.error_codes)
        line_of = {(e.status, e.code, e.description): e.line for e in page.error_codes}
        responses = {e.status: e.response for e in op.error_codes}
        heading = page.errors_line or page.method_line
        for row, count in sorted((page_rows - spec_rows).items()):
            response = responses.get(row[0])
            where = response.at("x-wechatpay-error-codes") if response else op.place.at("responses")
            for _ in range(count):
                self.add(
                    line_of[row],
                    where,
                    "error-code-added",
                    _row(row),
                    f"error code {_row(row)} is on the page, not in the spec",
                    response,
                    op.place,
                )
        for spec_row in op.error_codes:
            row = (spec_row.status, spec_row.code, spec_row.description)
            if spec_rows[row] > page_rows[row]:
                spec_rows[row] -= 1
                self.add(
                    heading,
                    spec_row.place.at(),
                    "error-code-removed",
                    _row(row),
                    f"error code {_row(row)} is in the spec, not on the page",
                    spec_row.response,
                    op.place,
                )


def compare_page(page: Page, op: SpecOperation) -> list[Difference]:
    return _Comparer(page, op).run()


def _row(row: tuple[int, str, str]) -> str:
    return f"{row[0]} {row[1]}: {row[2]}"


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _first_difference(page: Any, spec: Any, at: str) -> tuple[str, str, str] | None:
    """The first JSON pointer where two examples differ, with both values (cut), or None."""
    if isinstance(page, dict) and isinstance(spec, dict):
        for key in [*page, *(k for k in spec if k not in page)]:
            if key not in spec:
                return f"{at}/{key}", _cut(page[key]), "absent"
            if key not in page:
                return f"{at}/{key}", "absent", _cut(spec[key])
            found = _first_difference(page[key], spec[key], f"{at}/{key}")
            if found:
                return found
        return None
    if isinstance(page, list) and isinstance(spec, list):
        for i, (a, b) in enumerate(zip(page, spec, strict=False)):
            found = _first_difference(a, b, f"{at}/{i}")
            if found:
                return found
        if len(page) != len(spec):
            return at, f"{len(page)} items", f"{len(spec)} items"
        return None
    if type(page) is type(spec) and page == spec:
        return None
    return at, _cut(page), _cut(spec)


def _cut(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
