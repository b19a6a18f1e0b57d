"""``wechatpay-codegen doc-check``: do the specs still say what the saved doc pages say?

``page`` reads a page's text form, ``spec_view`` reads the specs, ``compare`` lists the differences
of one page and its operation; this module matches pages to operations, lets the specs'
``x-wechatpay-doc-differs`` annotations acknowledge on-purpose differences, and reports the rest.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from .._report import ASK_WITH_SPECS, internal_error
from ..loader import Location, SpecLoadError, load_specs
from .compare import Difference, compare_page, match_operation
from .page import Page, PageFormatError, read_page
from .spec_view import ANNOTATION, Annotation, SpecView, read_specs

__all__ = ["ANNOTATION", "DocCheckResult", "check_docs", "run_doc_check"]

PAGE_SUFFIX = ".txt"


@dataclass
class DocCheckResult:
    pages: int = 0
    differences: list[Difference] = field(default_factory=list)
    acknowledged: int = 0
    problems: list[str] = field(default_factory=list)  # unusable input: pages, annotations
    without_page: list[str] = field(default_factory=list)  # operationIds no page documents

    @property
    def ok(self) -> bool:
        return not self.differences and not self.problems

    def lines(self) -> list[str]:
        return [*self.problems, *(str(d) for d in self.differences)]


def check_docs(docs: Path, specs: Path) -> DocCheckResult:
    """Compare every page in ``docs`` with the specs in ``specs``.

    Raises ``SpecLoadError`` when the specs cannot be read; pages that cannot be read are
    ``problems`` of the result (every one is reported, not just the first).
    """
    result = DocCheckResult()
    view = read_specs(load_specs([specs]))
    result.problems.extend(f"{loc}: {message}" for loc, message in view.malformed)
    pages: list[Page] = []
    for path in _page_files(docs, result):
        try:
            pages.append(read_page(path, _display(path)))
        except PageFormatError as exc:
            result.problems.append(str(exc))
    result.pages = len(pages)
    checked_files: set[str] = set()
    matched: set[int] = set()
    found: list[Difference] = []
    for page in pages:
        op = match_operation(page, view.operations)
        if op is None:
            result.problems.append(
                f"{page.display}:{page.method_line}: no operation in {_display(specs)} has "
                f"{page.method} {page.url_path} (nor the page's title {page.title!r} as summary); "
                "write its spec, or fix the page's 请求方式 line"
            )
            continue
        checked_files.add(op.place.doc.display)
        matched.add(id(op))
        found.extend(compare_page(page, op))
    result.differences, result.acknowledged = _acknowledge(found, view, checked_files, result)
    result.without_page = sorted(
        op.operation_id or f"{op.method} {op.path}"
        for op in view.operations
        if id(op) not in matched
    )
    return result


def _acknowledge(
    found: list[Difference], view: SpecView, files: set[str], result: DocCheckResult
) -> tuple[list[Difference], int]:
    """Drop each difference an annotation acknowledges (one annotation, one difference); an
    annotation in a checked file that acknowledges nothing is a problem (the page changed)."""
    unused: list[Annotation] = list(view.annotations)
    left: list[Difference] = []
    for difference in found:
        match = next(
            (
                a
                for a in unused
                if a.place.anchor in difference.anchors
                and a.difference == difference.kind
                and a.subject == difference.subject
            ),
            None,
        )
        if match is None:
            left.append(difference)
        else:
            unused.remove(match)
    for stale in unused:
        if stale.place.doc.display in files:
            subject = f" {stale.subject}" if stale.subject is not None else ""
            result.problems.append(
                f"{stale.location}: {ANNOTATION} acknowledges a {stale.difference}{subject} "
                "difference that the pages no longer show here; remove the entry"
            )
    return left, len(found) - len(left)


def _page_files(docs: Path, result: DocCheckResult) -> list[Path]:
    if docs.is_file():
        return [docs]
    if not docs.is_dir():
        result.problems.append(f"{docs}: no such folder; name the folder of saved doc pages")
        return []
    files = sorted(p for p in docs.iterdir() if p.is_file() and p.suffix == PAGE_SUFFIX)
    if not files:
        result.problems.append(f"{_display(docs)}: no saved doc pages (*{PAGE_SUFFIX}) in it")
    return files


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run_doc_check(docs: Path, specs: Path) -> int:
    """Print each difference (stdout) and problem (stderr); exit 0 when pages and specs agree."""
    try:
        result = check_docs(docs, specs)
    except SpecLoadError as exc:
        for load_problem in exc.problems:
            print(load_problem, file=sys.stderr)
        return 1
    except Exception as exc:  # a bug of ours must not show the user a traceback
        print(internal_error("wechatpay-codegen doc-check", exc, ASK_WITH_SPECS), file=sys.stderr)
        return 2
    for problem in result.problems:
        print(problem, file=sys.stderr)
    for difference in result.differences:
        print(difference)
    acknowledged = f" ({result.acknowledged} acknowledged in the specs)"
    count = len(result.differences)
    unchecked = ""
    if result.without_page:  # not an error: a spec may be written before its page is saved
        unchecked = f"; no saved page for {', '.join(result.without_page)}"
    print(
        f"doc-check: {result.pages} page(s), {count} difference(s){acknowledged}{unchecked}",
        file=sys.stdout if result.ok else sys.stderr,
    )
    return 0 if result.ok else 1


__all__ += ["Location"]
