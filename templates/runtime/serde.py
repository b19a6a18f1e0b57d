"""Wire JSON <-> model values: the helpers the generated ``from_dict``/``to_dict`` call.

Parsing is strict about types (a string where an integer is documented is an error, reported as
:class:`APIResponseValidationError` naming the JSON path) and lenient about what servers really
send: an unknown enum value is kept as a plain ``str``, and a date-time that does not parse (or has
no UTC offset) is kept as the raw string rather than failing the whole response.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, NoReturn, Protocol, TypeVar, cast, runtime_checkable

from .errors import APIResponseValidationError
from .response import Response

__all__ = [
    "Parser",
    "SupportsToDict",
    "compact",
    "enum_parser",
    "enum_value",
    "expect_object",
    "format_datetime",
    "join",
    "json_type",
    "list_parser",
    "optional",
    "optional_bool",
    "optional_int",
    "optional_str",
    "parse_any",
    "parse_bool",
    "parse_datetime",
    "parse_float",
    "parse_int",
    "parse_object",
    "parse_response",
    "parse_str",
    "required",
    "required_bool",
    "required_int",
    "required_str",
    "to_wire",
    "unknown_fields",
    "with_extra",
]

T = TypeVar("T")
E = TypeVar("E", bound=Enum)

#: Turns one wire value at a JSON path into a model value, or raises.
Parser = Callable[[Any, str], T]

# RFC 3339, leniently: seconds optional, "T"/"t"/" " between date and time, "Z"/"z" or an offset
# with or without a colon.
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))",
    re.ASCII,  # \d is 0-9 only (int() would take other scripts' digits)
)
_CANONICAL_LENGTH = len("2015-05-20T13:29:35+08:00")
_ENUM_PARSERS: dict[type[Enum], Parser[Any]] = {}


@runtime_checkable
class SupportsToDict(Protocol):
    """A generated model (anything with ``to_dict()``)."""

    def to_dict(self) -> dict[str, Any]: ...


def join(path: str, key: str) -> str:
    """The JSON path of ``key`` inside the object at ``path`` (``"plan.plan_id"``)."""
    return f"{path}.{key}" if path else key


def _fail(path: str, reason: str) -> NoReturn:
    raise APIResponseValidationError(f"{path}: {reason}" if path else reason)


def json_type(value: object) -> str:
    """The JSON name of a value's type, for error messages ("string", "array", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


# -- parsing (wire -> model) --------------------------------------------------------------------


def expect_object(value: object, path: str) -> Mapping[str, Any]:
    if type(value) is dict:  # what JSON gives: no ABC check
        return value
    if not isinstance(value, Mapping):
        _fail(path, f"expected an object, got {json_type(value)}")
    return value


def required(obj: Mapping[str, Any], key: str, path: str, parse: Parser[T]) -> T:
    """A documented-required field: missing or ``null`` is an error."""
    value = obj.get(key)
    if value is None:
        _fail(join(path, key), "is required but missing")
    return parse(value, join(path, key))


def optional(obj: Mapping[str, Any], key: str, path: str, parse: Parser[T]) -> T | None:
    """An optional field: missing or ``null`` gives ``None``."""
    value = obj.get(key)
    return None if value is None else parse(value, join(path, key))


# Typed readers for scalar fields: a value of exactly the JSON type is taken as it is (one type
# check, no parser call, no JSON path built); anything else goes the general way, which raises
# the same errors. ``type(...) is int`` leaves booleans to ``parse_int``, which refuses them.


def required_str(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    return value if type(value) is str else required(obj, key, path, parse_str)


def optional_str(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    return parse_str(value, join(path, key))


def required_int(obj: Mapping[str, Any], key: str, path: str) -> int:
    value = obj.get(key)
    return value if type(value) is int else required(obj, key, path, parse_int)


def optional_int(obj: Mapping[str, Any], key: str, path: str) -> int | None:
    value = obj.get(key)
    if value is None or type(value) is int:
        return value
    return parse_int(value, join(path, key))


def required_bool(obj: Mapping[str, Any], key: str, path: str) -> bool:
    value = obj.get(key)
    return value if type(value) is bool else required(obj, key, path, parse_bool)


def optional_bool(obj: Mapping[str, Any], key: str, path: str) -> bool | None:
    value = obj.get(key)
    if value is None or type(value) is bool:
        return value
    return parse_bool(value, join(path, key))


def parse_str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        _fail(path, f"expected a string, got {json_type(value)}")
    return value


def parse_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"expected an integer, got {json_type(value)}")
    return value


def parse_float(value: Any, path: str) -> float:
    """A JSON number; an integer stays an ``int`` so it is written back unchanged."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, f"expected a number, got {json_type(value)}")
    return value


def parse_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, f"expected a boolean, got {json_type(value)}")
    return value


def parse_any(value: Any, path: str) -> Any:
    del path
    return value


def parse_object(value: Any, path: str) -> dict[str, Any]:
    """A free-form JSON object, kept as a ``dict``."""
    return dict(expect_object(value, path))


def parse_datetime(value: Any, path: str) -> datetime | str:
    """An aware ``datetime`` when the string is an RFC 3339 time with an offset; else the string.

    Lenient on purpose: the docs' own examples omit seconds (``2025-01-01T00:00+08:00``), and a
    server's odd timestamp should not make the rest of a response unreadable.
    """
    text = parse_str(value, path)
    stripped = text.strip()
    match = _DATETIME.fullmatch(stripped)
    if match is None:
        return text
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if (
        len(stripped) == _CANONICAL_LENGTH
        and second
        and fraction is None
        and not zulu
        and hour != "24"  # newer Pythons read 24:00:00 as the next midnight; we do not
    ):
        # YYYY-MM-DDTHH:MM:SS+HH:MM, the form WeChat Pay sends: the C parser reads it the same
        # way on every supported Python; anything it refuses takes the general path below.
        try:
            return datetime.fromisoformat(stripped)
        except ValueError:
            pass
    try:
        offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
        zone = timezone.utc if zulu else timezone(-offset if sign == "-" else offset)
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError:  # 2025-02-30, 25:00, an offset of a day or more, ...
        return text


def enum_parser(enum_cls: type[E]) -> Parser[E | str]:
    """A parser giving the enum member, or the plain string for a value this version lacks
    (one parser per enum class, made once)."""
    made = _ENUM_PARSERS.get(enum_cls)
    if made is not None:
        return cast("Parser[E | str]", made)
    members: Mapping[str, E] = enum_cls._value2member_map_  # type: ignore[assignment]

    def parse(value: Any, path: str) -> E | str:
        text = parse_str(value, path)
        member = members.get(text)
        if member is not None:
            return member
        try:
            return enum_cls(text)
        except ValueError:
            return text

    _ENUM_PARSERS[enum_cls] = parse
    return parse


def list_parser(item: Parser[T]) -> Parser[list[T]]:
    def parse(value: Any, path: str) -> list[T]:
        if not isinstance(value, list):
            _fail(path, f"expected an array, got {json_type(value)}")
        return [item(element, f"{path}[{index}]") for index, element in enumerate(value)]

    return parse


def unknown_fields(obj: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The fields this version of the model does not know, kept so ``to_dict()`` re-emits them."""
    if known.issuperset(obj):  # the usual case, checked in C
        return {}
    return {key: value for key, value in obj.items() if key not in known}


def parse_response(parse: Callable[[Any], T], response: Response) -> T:
    """Parse a verified response body; a body of the wrong shape names the request id."""
    data = response.json()
    try:
        return parse(data)
    except APIResponseValidationError as exc:
        raise APIResponseValidationError(
            f"HTTP {response.status_code} response body does not match the documented shape: {exc}",
            request_id=response.request_id,
            status_code=response.status_code,
        ) from None


# -- serializing (model -> wire) ----------------------------------------------------------------


def format_datetime(value: datetime | str) -> str:
    """RFC 3339 with seconds (``2025-01-01T00:00:00+08:00``); a string is passed through."""
    if isinstance(value, str):
        return value
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def enum_value(value: Enum | str) -> str:
    return str(value.value) if isinstance(value, Enum) else value


def with_extra(data: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` plus the unknown fields a parsed model carried (known fields win)."""
    for key, value in extra.items():
        data.setdefault(key, value)
    return data


def to_wire(value: object) -> Any:
    """A method argument in wire form: models via ``to_dict()``; dicts, lists, enums, datetimes.

    ``None`` inside a plain dict means "not set" and is dropped, like an unset keyword argument.
    """
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (str, int, float)) or value is None:
        return value
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, SupportsToDict):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {key: to_wire(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [to_wire(item) for item in value]
    return value  # left for request validation to reject with the field's path


def compact(fields: Mapping[str, object]) -> dict[str, Any]:
    """A request body from keyword arguments: unset (``None``) ones left out, the rest as wire."""
    return {key: to_wire(value) for key, value in fields.items() if value is not None}
