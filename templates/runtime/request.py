"""Turning an operation call into wire bytes: the request target, the body, extra headers.

Everything here runs once per call (not per attempt): the target and body built here are signed and
sent unchanged by every attempt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from .errors import RequestValidationError

__all__ = ["check_extra_headers", "encode_query", "render_path", "serialize_body"]

# One encoder for every call: json.dumps() with non-default options builds a new one each time.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
# RFC 9110 token characters for header names.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Visible ASCII, spaces and tabs only: no CR/LF (header injection), no other controls, and
# nothing the wire encoding (ASCII) would refuse later with a raw UnicodeEncodeError.
_BAD_VALUE = re.compile(r"[^\t\x20-\x7e]")
# Headers the runtime must control: the signature and the framing depend on them.
_RESERVED = frozenset({"authorization", "content-length", "host", "transfer-encoding"})


@lru_cache(maxsize=256)
def _parse_template(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split ``/a/{x}/b`` into literals ``("/a/", "/b")`` and names ``("x",)``."""
    pieces = _PLACEHOLDER.split(template)
    return tuple(pieces[0::2]), tuple(pieces[1::2])


def render_path(template: str, params: Mapping[str, str]) -> str:
    """Fill a path template, percent-encoding every value with ``quote(v, safe="")``.

    Empty values, ``.``/``..`` (which would change the path), missing and unknown names are
    rejected with :class:`RequestValidationError` naming the parameter.
    """
    literals, names = _parse_template(template)
    if len(params) != len(names) or not all(name in params for name in names):
        for name in params:
            if name not in names:
                raise RequestValidationError(name, "is not a path parameter of this operation")
    out = [literals[0]]
    for name, literal in zip(names, literals[1:], strict=True):
        if name not in params:
            raise RequestValidationError(name, "path parameter is required")
        value = params[name]
        if not isinstance(value, str):
            raise RequestValidationError(
                name, f"path parameter must be a string, got {type(value).__name__}"
            )
        if not value:
            raise RequestValidationError(name, "path parameter must not be empty")
        if value in (".", ".."):
            raise RequestValidationError(name, f"path parameter must not be {value!r}")
        try:
            out.append(quote(value, safe=""))
        except UnicodeEncodeError:
            raise RequestValidationError(name, "path parameter is not valid text") from None
        out.append(literal)
    return "".join(out)


def _query_value(name: str, value: object) -> str:
    if isinstance(value, bool):  # before int: True is an int
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):  # RFC 3339, as the body's date-times are sent
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    raise RequestValidationError(
        name, f"query parameter must be a string, integer or boolean, got {type(value).__name__}"
    )


def encode_query(params: Sequence[tuple[str, object]]) -> str:
    """``a=1&b=x`` in the given (declared) order; ``None`` values are left out.

    Names and values are percent-encoded as UTF-8, keeping only the RFC 3986 unreserved
    characters (``A-Z a-z 0-9 - . _ ~``); booleans are ``true``/``false``. The result is
    signed and sent as it is.
    """
    parts: list[str] = []
    for name, value in params:
        if value is None:
            continue
        text = _query_value(name, value)
        try:
            parts.append(f"{quote(name, safe='')}={quote(text, safe='')}")
        except UnicodeEncodeError:
            raise RequestValidationError(name, "query parameter is not valid text") from None
    return "&".join(parts)


def serialize_body(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, serialized once; these exact bytes are signed and sent."""
    data = body if isinstance(body, dict) else dict(body)
    try:
        return _ENCODER.encode(data).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        # UnicodeEncodeError (a lone surrogate) is a ValueError too.
        reason = type(exc).__name__ if isinstance(exc, RecursionError) else str(exc)
        raise RequestValidationError("", f"body is not serializable as JSON: {reason}") from None


def check_extra_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Validate caller-supplied headers: token names, visible-ASCII values, no reserved names."""
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise RequestValidationError(f"extra_headers[{name!r}]", "is not a valid header name")
        if not isinstance(value, str):
            raise RequestValidationError(
                f"extra_headers[{name!r}]", f"value must be a string, got {type(value).__name__}"
            )
        if _BAD_VALUE.search(value):
            raise RequestValidationError(
                f"extra_headers[{name!r}]",
                "value must be visible ASCII (no CR, LF or other control characters)",
            )
        if name.lower() in _RESERVED:
            raise RequestValidationError(
                f"extra_headers[{name!r}]", "is set by the client and cannot be overridden"
            )
        checked[name] = value
    return checked
