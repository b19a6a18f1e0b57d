"""Schema names are scoped to their file: which spec name each ``components/schemas`` entry gets.

Two pages may each define ``NotifyConfig``; the doc's Go structs reuse names with different fields.
The rule (CONTRIBUTING, "Schema names"):

- Definitions of one name that are identical (``$ref``s compared by what they name) are one
  schema: one class.
- When they differ, the definition in the file whose name sorts **last** keeps the plain name
  (so adding a page that sorts before an existing one never renames the existing class), and
  every other one is named after its file: the file stem in PascalCase, then the name
  (``create_busifavor_stock.yaml``'s ``NotifyConfig`` is ``CreateBusifavorStockNotifyConfig``).
  A variant defined identically in several files takes the first of them.

:func:`scoped_names` gives the name to use for each entry; ``build_ir`` turns it into the class
name (and reports a qualified name that is itself taken, with both places).
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from .loader import Pointer
from .spec_model import Node, SpecModel

__all__ = ["scoped_names"]

_MAX_DEPTH = 64


def scoped_names(model: SpecModel) -> dict[tuple[str, Pointer], str]:
    """(document display name, pointer) of each ``components/schemas`` entry -> its spec name."""
    by_name: dict[str, list[tuple[str, Node]]] = {}
    for schema in model.named_schemas():
        name = schema.name
        if name is None:
            continue
        by_name.setdefault(name, []).append((schema.doc.display, schema))
    out: dict[tuple[str, Pointer], str] = {}
    for name, entries in by_name.items():
        variants: dict[str, list[tuple[str, Node]]] = {}
        for display, node in entries:
            canonical = _canonical(model, node, 0, frozenset())
            key = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=repr)
            variants.setdefault(key, []).append((display, node))
        if len(variants) == 1:
            for _, node in entries:
                out[node.key] = name
            continue
        ordered = sorted(variants.values(), key=lambda group: max(d for d, _ in group))
        for index, group in enumerate(ordered):
            plain = index == len(ordered) - 1
            first_file = min(d for d, _ in group)
            scoped = name if plain else f"{_pascal(PurePosixPath(first_file).stem)}{name}"
            for _, node in group:
                out[node.key] = scoped
    return out


def _pascal(stem: str) -> str:
    parts = [p for p in "".join(c if c.isalnum() else "_" for c in stem).split("_") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def _canonical(model: SpecModel, node: Node, depth: int, seen: frozenset[Any]) -> Any:
    """The value with ``$ref``s replaced by what they name (independent of the file)."""
    if depth > _MAX_DEPTH:
        return "<deep>"
    raw = node.raw
    if isinstance(raw, dict) and "$ref" in raw:
        if node.key in seen:
            return "<cycle>"
        target, _ = model.deref(node)
        if target is None:
            return {"$ref": raw.get("$ref")}
        return _canonical(model, target, depth + 1, seen | {node.key})
    if isinstance(raw, dict):
        return {k: _canonical(model, node.child(k), depth + 1, seen) for k, _ in node.items()}
    if isinstance(raw, list):
        return [_canonical(model, child, depth + 1, seen) for child in node.elements()]
    return raw
