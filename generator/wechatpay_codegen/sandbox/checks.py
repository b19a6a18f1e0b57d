"""Path parameter and body checks: pure functions of (operation, input), so their results cache.

A benchmark sends the same body again and again, and JSON Schema validation of a large body costs
far more than the rest of a request; :class:`ResultCache` remembers the outcome per
(operation, input bytes), so a repeated request is checked once. The outcome is the same either way.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from .operations import Operation
from .schemas import first_violation

_MISSING: Any = object()
_T = TypeVar("_T")


@dataclass(frozen=True)
class Problem400:
    """A 400 PARAM_ERROR: its message and its ``detail``."""

    message: str
    field: str
    issue: str
    location: str
    value: Any = _MISSING

    def detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"field": self.field}
        if self.value is not _MISSING:
            detail["value"] = self.value
        detail["issue"] = self.issue
        detail["location"] = self.location
        return detail


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def path_params_problem(op: Operation, raw_params: dict[str, str]) -> Problem400 | None:
    """Percent-decode each path parameter and check it against its schema."""
    for param in op.params:
        name = param.name
        try:
            value = unquote(raw_params.get(name, ""), errors="strict")
        except UnicodeDecodeError:
            issue = "is not percent-encoded UTF-8"
            return Problem400(f"path parameter {name} {issue}", name, issue, "path")
        if param.validator is None:
            continue
        instance: Any = value
        if param.number_type is not None:
            try:
                instance = int(value) if param.number_type == "integer" else float(value)
            except ValueError:
                issue = f"must be of type {param.number_type}"
                return Problem400(f"path parameter {name} {issue}", name, issue, "path", value)
        violation = first_violation(param.validator, instance)
        if violation is not None:
            issue = violation.issue
            return Problem400(f"path parameter {name} {issue}", name, issue, "path", value)
    return None


def body_problem(op: Operation, body: bytes) -> Problem400 | None:
    """Parse a non-empty JSON body (UTF-8, no duplicate keys, no NaN) and check its schema."""
    try:
        instance = json.loads(
            body.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except UnicodeDecodeError:
        return Problem400("request body is not UTF-8", "", "is not UTF-8", "body")
    except ValueError as exc:
        issue = f"is not valid JSON ({_short(str(exc))})"
        return Problem400(f"request body {issue}", "", issue, "body")
    if op.body_validator is None:
        return None
    violation = first_violation(op.body_validator, instance)
    if violation is None:
        return None
    where = f"field {violation.pointer}" if violation.pointer else "request body"
    value = violation.value if violation.has_value else _MISSING
    return Problem400(
        f"{where} {violation.issue}", violation.pointer, violation.issue, "body", value
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {_short(key, 80)!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class ResultCache:
    """A small thread-safe memo (oldest entries go first once full)."""

    def __init__(self, size: int = 512, max_key_bytes: int = 64 * 1024) -> None:
        self._size = size
        self._max_key_bytes = max_key_bytes
        self._lock = threading.Lock()
        self._items: dict[Hashable, Any] = {}

    def get(self, key: Hashable, weight: int, compute: Callable[[], _T]) -> _T:
        """``compute()``, remembered under ``key`` when ``weight`` (input bytes) is small."""
        if weight > self._max_key_bytes:
            return compute()
        with self._lock:
            if key in self._items:
                found: _T = self._items[key]
                return found
        result = compute()
        with self._lock:
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = result
        return result
