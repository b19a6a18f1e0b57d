"""Request checks the generated validators call, on the wire form of a request body.

Each generated ``validate_<model>(value, path)`` checks one JSON object field by field with these
helpers; a failure raises :class:`RequestValidationError` naming the JSON path
(``modify_content.plan_name: at most 30 characters``) before anything is sent. Lengths count
characters (code points), as JSON Schema does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any, NoReturn

from .errors import RequestValidationError
from .serde import join, json_type

__all__ = [
    "Checker",
    "any_value",
    "array",
    "boolean",
    "date_time",
    "dependent_required",
    "enum",
    "expect_object",
    "free_object",
    "integer",
    "mutually_exclusive",
    "no_unknown_fields",
    "number",
    "optional",
    "parameter",
    "property_count",
    "required",
    "string",
]

#: Checks one wire value at a JSON path; raises :class:`RequestValidationError`.
Checker = Callable[[Any, str], None]

# RFC 3339 date-time, strictly (what the server accepts): seconds and an offset are required.
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))",
    re.ASCII,  # \d is 0-9 only: the server takes no other digits
)
_DATETIME_HINT = (
    "an RFC 3339 date-time with seconds and a UTC offset, e.g. 2025-01-01T00:00:00+08:00"
)


def _fail(path: str, reason: str) -> NoReturn:
    raise RequestValidationError(path, reason)


def _plural(count: int | float, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# -- objects ------------------------------------------------------------------------------------


def expect_object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        _fail(path, f"expected an object, got {json_type(value)}")
    return value


def required(obj: Mapping[str, Any], key: str, path: str, check: Checker) -> None:
    if obj.get(key) is None:
        _fail(join(path, key), "is required")
    check(obj[key], join(path, key))


def optional(obj: Mapping[str, Any], key: str, path: str, check: Checker) -> None:
    if key not in obj:
        return
    if obj[key] is None:
        _fail(join(path, key), "must not be null; leave it out instead")
    check(obj[key], join(path, key))


def mutually_exclusive(obj: Mapping[str, Any], path: str, keys: Sequence[str]) -> None:
    """``not: {required: keys}``: the fields must not all be set together."""
    if all(key in obj for key in keys):
        others = ", ".join(keys[:-1])
        _fail(join(path, keys[-1]), f"cannot be set together with {others}")


def dependent_required(
    obj: Mapping[str, Any], path: str, trigger: str, needed: Sequence[str]
) -> None:
    """``dependentRequired``: when ``trigger`` is set, every one of ``needed`` must be too."""
    if trigger not in obj:
        return
    for key in needed:
        if key not in obj:
            _fail(join(path, key), f"is required when {trigger} is set")


def property_count(
    obj: Mapping[str, Any], path: str, minimum: int | None, maximum: int | None
) -> None:
    if minimum is not None and len(obj) < minimum:
        _fail(path, f"set at least {_plural(minimum, 'field')}")
    if maximum is not None and len(obj) > maximum:
        _fail(path, f"set at most {_plural(maximum, 'field')}")


def no_unknown_fields(obj: Mapping[str, Any], path: str, known: Iterable[str]) -> None:
    allowed = set(known)
    for key in obj:
        if key not in allowed:
            _fail(join(path, str(key)), "is not a field of this object")


def parameter(value: object, name: str, check: Checker) -> None:
    """A path parameter: required, then checked like a body value."""
    if value is None:
        _fail(name, "is required")
    check(value, name)


def optional_parameter(value: object, name: str, check: Checker) -> None:
    """An optional query parameter: ``None`` leaves it out, any other value is checked."""
    if value is not None:
        check(value, name)


# -- values -------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def string(
    *,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
) -> Checker:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            _fail(path, f"expected a string, got {json_type(value)}")
        if min_length is not None and len(value) < min_length:
            _fail(path, f"at least {_plural(min_length, 'character')}")
        if max_length is not None and len(value) > max_length:
            _fail(path, f"at most {_plural(max_length, 'character')}")
        if pattern is not None and _compiled(pattern).search(value) is None:
            _fail(path, f"must match the pattern {pattern}")

    return check


def date_time(value: Any, path: str) -> None:
    if not isinstance(value, str):
        _fail(path, f"expected a string, got {json_type(value)}")
    match = _DATETIME.fullmatch(value)
    if match is None:
        _fail(path, f"must be {_DATETIME_HINT}")
    year, month, day, hour, minute, second, off_h, off_m = match.groups()
    if int(second) > 60:  # 60: a leap second, which RFC 3339 allows
        _fail(path, f"must be {_DATETIME_HINT}")
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), min(int(second), 59))
    except ValueError:
        _fail(path, f"must be {_DATETIME_HINT}")
    if off_h is not None and (int(off_h) > 23 or int(off_m) > 59):
        _fail(path, f"must be {_DATETIME_HINT}")


def _numeric(
    integral: bool,
    minimum: int | float | None,
    maximum: int | float | None,
    exclusive_minimum: int | float | None,
    exclusive_maximum: int | float | None,
) -> Checker:
    expected = "an integer" if integral else "a number"

    def check(value: Any, path: str) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (integral and not isinstance(value, int))
        ):
            _fail(path, f"expected {expected}, got {json_type(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            _fail(path, "must be a finite number")
        if minimum is not None and value < minimum:
            _fail(path, f"must be >= {minimum}")
        if maximum is not None and value > maximum:
            _fail(path, f"must be <= {maximum}")
        if exclusive_minimum is not None and value <= exclusive_minimum:
            _fail(path, f"must be > {exclusive_minimum}")
        if exclusive_maximum is not None and value >= exclusive_maximum:
            _fail(path, f"must be < {exclusive_maximum}")

    return check


def integer(
    *,
    minimum: int | float | None = None,
    maximum: int | float | None = None,
    exclusive_minimum: int | float | None = None,
    exclusive_maximum: int | float | None = None,
) -> Checker:
    return _numeric(True, minimum, maximum, exclusive_minimum, exclusive_maximum)


def number(
    *,
    minimum: int | float | None = None,
    maximum: int | float | None = None,
    exclusive_minimum: int | float | None = None,
    exclusive_maximum: int | float | None = None,
) -> Checker:
    return _numeric(False, minimum, maximum, exclusive_minimum, exclusive_maximum)


def boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        _fail(path, f"expected a boolean, got {json_type(value)}")


def free_object(value: Any, path: str) -> None:
    """A free-form JSON object (``type: object`` without properties)."""
    expect_object(value, path)


def any_value(value: Any, path: str) -> None:
    """No constraint (a schema without a type)."""
    del value, path


def enum(enum_cls: type[Enum]) -> Checker:
    allowed = tuple(str(member.value) for member in enum_cls)

    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            _fail(path, f"expected a string, got {json_type(value)}")
        if value not in allowed:
            _fail(path, f"must be one of {', '.join(allowed)}")

    return check


def array(
    item: Checker,
    *,
    min_items: int | None = None,
    max_items: int | None = None,
    unique_items: bool = False,
) -> Checker:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, (list, tuple)):
            _fail(path, f"expected an array, got {json_type(value)}")
        if min_items is not None and len(value) < min_items:
            _fail(path, f"at least {_plural(min_items, 'item')}")
        if max_items is not None and len(value) > max_items:
            _fail(path, f"at most {_plural(max_items, 'item')}")
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]")
        if unique_items:
            seen: list[Any] = []
            for index, element in enumerate(value):
                if element in seen:
                    _fail(f"{path}[{index}]", "repeats an earlier item; items must be unique")
                seen.append(element)

    return check
