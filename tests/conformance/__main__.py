"""``python -m tests.conformance``: run every scenario and print the README's table (Markdown)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from .scenarios import SCENARIOS, Context
from .sides import MODES, SIDES, load_runtime


def _material(folder: Path) -> tuple[Any, Any, dict[str, Any]]:
    from .conftest import make_certificate, make_client_kwargs

    certificate = make_certificate(folder, "localhost", ["localhost", "127.0.0.1"])
    other = make_certificate(folder, "other", ["example.invalid"])
    return certificate, other, make_client_kwargs()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tr = load_runtime(folder / "runtime")
        certificate, other, kwargs = _material(folder)
        context = Context(tr, certificate, other, kwargs)
        print("| area | scenario | built-in (sync / async) | httpx (sync / async) |")
        print("| --- | --- | --- | --- |")
        worse = 0
        for scenario in SCENARIOS:
            cells = {}
            for side in SIDES:
                marks = []
                for mode in MODES:
                    if mode not in scenario.modes:
                        marks.append("n/a")
                        continue
                    verdict = scenario.run(context, side, mode)
                    marks.append("yes" if verdict.ok else "**no**")
                cells[side] = " / ".join(marks)
            if "no" in cells["built-in"] and "no" not in cells["httpx"]:
                worse += 1
            title = scenario.title + (" (RFC gap, both)" if scenario.gap else "")
            print(f"| {scenario.area} | {title} | {cells['built-in']} | {cells['httpx']} |")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
