"""The one-line report of a bug of ours, shown instead of a traceback."""

from __future__ import annotations

_MAX_DETAIL = 300
ASK_WITH_SPECS = "please report it with the spec files that caused it"


def internal_error(program: str, exc: BaseException, ask: str = "please report it") -> str:
    """``<program>: internal error: <Type>: <message on one line, cut>; <ask>``."""
    detail = " ".join(str(exc).split())[:_MAX_DETAIL]
    return f"{program}: internal error: {type(exc).__name__}: {detail}; {ask}"
