"""What the generator itself refuses, reported in the same run as validate's own problems.

``build_ir`` reads the same documents as the checks and meets the same mistakes again, in its own
words; it also refuses what only it knows: Python names (two spec names, one Python name) and
constructs it does not generate that no check covers (a query parameter of type array, a 204
answer with content, ...). :func:`merge_problems` keeps, besides validate's problems:

- every problem of the generator in a file where validate found none;
- its naming problems (``BuildError.naming``), always: no check reports them;
- its refusals (``BuildError.refusals``), unless validate found a problem at or inside the
  refused node (in the same file): the refusal is then a consequence of that problem (a schema
  whose ``$ref`` is broken is not "an object with properties" either).

Places are compared as JSON pointers, recovered from a problem's ``line:col`` through the
document's positions.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

from ..loader import Pointer, Problem, SpecLoadError, SpecSet

__all__ = ["build_ir_problems", "merge_problems"]


def build_ir_problems(specs: SpecSet, *, tolerant: bool = False) -> SpecLoadError | None:
    """What the generator refuses (``build_ir``'s ``SpecLoadError``), or None.

    ``tolerant``: validate found problems, so the generator reads specs it was never meant to
    see; should it fail on them, its problems are left out (validate's are the ones to fix)."""
    if importlib.util.find_spec(f"{__package__.rpartition('.')[0]}.build_ir") is None:
        return None
    from .. import build_ir as build_ir_module  # type: ignore[attr-defined,unused-ignore]

    try:
        build_ir_module.build_ir(specs)
    except SpecLoadError as exc:
        return exc
    except Exception:
        if tolerant:
            return None
        raise
    return None


def merge_problems(
    specs: SpecSet, checked: list[Problem], built: SpecLoadError | None
) -> list[Problem]:
    """validate's problems plus the generator's, once each (see the module doc)."""
    if built is None:
        return sorted(set(checked))
    files = {p.location.file for p in checked}
    naming = set(getattr(built, "naming", ()))
    refusals = set(getattr(built, "refusals", ()))
    places = _Places(specs, checked)
    extra = (
        p
        for p in built.problems
        if p in naming
        or p.location.file not in files
        or (p in refusals and not places.any_inside(p))
    )
    return sorted({*checked, *extra})


class _Places:
    """The JSON pointers of validate's problems, by file, to tell whether one lies in a node."""

    def __init__(self, specs: SpecSet, checked: Iterable[Problem]) -> None:
        self._specs = specs
        self._checked: dict[str, list[Problem]] = {}
        for problem in checked:
            self._checked.setdefault(problem.location.file, []).append(problem)
        self._at: dict[str, dict[tuple[int, int], list[Pointer]]] = {}

    def _pointers(self, problem: Problem) -> list[Pointer]:
        """Every pointer written at the problem's ``line:col`` (the root when none is)."""
        file = problem.location.file
        at = self._at.get(file)
        if at is None:
            at = self._at[file] = {}
            doc = self._specs.documents.get(file)
            for pointer, position in (doc.positions.items() if doc is not None else ()):
                at.setdefault(position, []).append(pointer)
        return at.get((problem.location.line, problem.location.col), [()])

    def any_inside(self, refusal: Problem) -> bool:
        """Whether validate found a problem at or inside the node ``refusal`` is about."""
        others = self._checked.get(refusal.location.file, [])
        if not others:
            return False
        nodes = self._pointers(refusal)
        return any(
            found[: len(node)] == node
            for other in others
            for found in self._pointers(other)
            for node in nodes
        )
