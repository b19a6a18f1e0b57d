"""Black's style for every generated module, and the one call that formats rendered Python."""

from __future__ import annotations

from collections.abc import Mapping

from .._cache import Cache
from .._format import FormatError, Style, format_modules
from .escaping import LINE_LENGTH, Code, RenderError

#: Black's options for every generated module (``BLACK_MODE`` is black's ``Mode`` of it).
STYLE = Style(line_length=LINE_LENGTH, target_versions=("PY310",))


def split_filter(block: str) -> Code:
    """``{% filter split %}``: one rendered line, split as black splits it when it is too long
    (:func:`.._split.split_block`), so the formatter finds nothing left to do."""
    from .._split import split_block

    return Code(split_block(block, STYLE.line_length))


def format_python(sources: Mapping[str, str], cache: Cache | None) -> dict[str, str]:
    """Black output of each module (name -> text), chunked and memoized (see :mod:`._format`)."""
    try:
        return format_modules(sources, STYLE, cache, trust_settled=True)
    except FormatError as exc:
        raise RenderError(f"rendered {exc.name} is not valid Python: {exc.detail}") from exc
