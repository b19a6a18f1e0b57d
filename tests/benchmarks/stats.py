"""Small statistics and the one result table every section adds rows to."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return math.nan
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


@dataclass(frozen=True)
class Row:
    """One line of the table. ``ok`` is None for a measurement that has no target."""

    section: str
    what: str
    value: str
    ratio: str = ""
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("met" if self.ok else "NOT MET")


def ratio_row(
    section: str,
    what: str,
    ratio: float,
    *,
    at_most: float | None = None,
    at_least: float | None = None,
    value: str = "",
    unit: str = "x",
) -> Row:
    """A ratio with its target (``at_most`` or ``at_least``)."""
    text = f"{ratio:.2f}{unit}" if unit == "x" else f"{ratio:.1f}{unit}"
    if at_most is not None:
        return Row(section, what, value, text, f"<= {at_most:g}{unit}", ratio <= at_most)
    if at_least is not None:
        return Row(section, what, value, text, f">= {at_least:g}{unit}", ratio >= at_least)
    return Row(section, what, value, text)


_HEADERS = ("section", "measurement", "value", "ratio", "target", "")


def format_table(rows: Sequence[Row], markdown: bool = False) -> str:
    cells = [(r.section, r.what, r.value, r.ratio, r.target, r.verdict) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(_HEADERS[:-1]) + " | verdict |", "|---" * 6 + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(_HEADERS)]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    out = [line(_HEADERS), line(["-" * w for w in widths])]
    previous = None
    for row in cells:
        if previous is not None and row[0] != previous:
            out.append("")
        out.append(line(row))
        previous = row[0]
    return "\n".join(out)
