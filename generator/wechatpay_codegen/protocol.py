"""Protocol facts the generator, ``validate``, the sandbox and the demo share: one place for each.

What is here is a fact about WeChat Pay APIv3 or about the spec conventions of this project (see
CONTRIBUTING), not a decision of one reader: the HTTP methods an OpenAPI path item may hold, the
two Authorization schemes and the identity field each names, every ``x-wechatpay-*`` extension this
project defines (and where it may be written), the path-placeholder pattern, and the lenient RFC
3339 date-time grammar the spec examples are checked with.

The runtime (``templates/runtime``) is copied verbatim into the generated package and cannot
import this module; its own copies of the schemes and the date-time grammar are its contract with
the server, and are tested against these (``tests/unit/test_protocol.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

__all__ = [
    "AUTH_SCHEMES",
    "BRAND_SCHEME",
    "EXTENSIONS",
    "HTTP_METHODS",
    "JSON_MEDIA",
    "MERCHANT_SCHEME",
    "PATH_PLACEHOLDER",
    "PLACE_NAMES",
    "AuthScheme",
    "Extension",
    "ExtensionPlace",
    "RuntimeScheme",
    "auth_scheme",
    "is_date",
    "is_lenient_date_time",
    "placeholders",
]

# The operations an OpenAPI 3.1 path item may hold, in the order the specification lists them.
HTTP_METHODS: tuple[str, ...] = (
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
)

JSON_MEDIA = "application/json"

RuntimeScheme = Literal["merchant", "brand"]

MERCHANT_SCHEME = "WECHATPAY2-SHA256-RSA2048"
BRAND_SCHEME = "WECHATPAY-BRAND-SHA256-RSA2048"


@dataclass(frozen=True)
class AuthScheme:
    """One Authorization scheme: the header's scheme word, the runtime's name for it, and the
    identity field its header carries (``x-wechatpay-identity`` in the spec)."""

    word: str  # x-wechatpay-auth-scheme, and the first word of the Authorization header
    runtime: RuntimeScheme  # build_authorization(scheme=...), Operation.auth_scheme
    identity: str  # mchid="..." or brand_id="..."


# x-wechatpay-auth-scheme value -> the scheme (the order is the order messages list them in)
AUTH_SCHEMES: dict[str, AuthScheme] = {
    MERCHANT_SCHEME: AuthScheme(MERCHANT_SCHEME, "merchant", "mchid"),
    BRAND_SCHEME: AuthScheme(BRAND_SCHEME, "brand", "brand_id"),
}


def auth_scheme(word: object) -> AuthScheme | None:
    """The scheme an ``x-wechatpay-auth-scheme`` value names, or None."""
    return AUTH_SCHEMES.get(word) if isinstance(word, str) else None


# ------------------------------------------------------------------------------ extensions

ExtensionPlace = Literal[
    "security-scheme",
    "operation",
    "webhook",
    "parameter",
    "media-type",
    "response",
    "schema",
    "document",
]


# How messages name each place (``validate`` says where a misplaced extension belongs).
PLACE_NAMES: dict[ExtensionPlace, str] = {
    "security-scheme": "a security scheme under components/securitySchemes",
    "operation": "an operation",
    "webhook": "a webhook's post operation",
    "parameter": "a parameter",
    "media-type": "a media type under content",
    "response": "a response",
    "schema": "a schema",
    "document": "the document's top level",
}


@dataclass(frozen=True)
class Extension:
    """An ``x-*`` key this project defines: its name, where it may be written, what it means."""

    name: str
    places: tuple[ExtensionPlace, ...]
    meaning: str


# Every extension of ours. ``validate`` refuses any other ``x-wechatpay-*`` key (with the likely
# intended name), and these on any other kind of object than their ``places`` (saying where they
# belong). Some are read by code other issues add; their names are listed here so a spec using
# them is not refused (ARCHITECTURE.md, "Every shape").
EXTENSIONS: dict[str, Extension] = {
    e.name: e
    for e in (
        Extension(
            "x-wechatpay-auth-scheme",
            ("security-scheme",),
            f"the Authorization scheme: {MERCHANT_SCHEME} or {BRAND_SCHEME}",
        ),
        Extension(
            "x-wechatpay-identity",
            ("security-scheme",),
            "the identity field of the Authorization header: mchid or brand_id",
        ),
        Extension(
            "x-wechatpay-supplied-by",
            ("parameter",),
            "runtime: a header the runtime sets (the generator skips the parameter)",
        ),
        Extension(
            "x-wechatpay-error-codes",
            ("response",),
            "the page's error-code rows for this status: [{code, description, solution}]",
        ),
        Extension(
            "x-wechatpay-unsigned",
            ("response",),
            "true: WeChat Pay does not sign this (non-JSON) answer",
        ),
        Extension(
            "x-wechatpay-signed-part",
            ("media-type",),
            "the multipart part whose JSON is signed (e.g. meta)",
        ),
        Extension(
            "x-wechatpay-sensitive",
            ("schema",),
            "true: the string is encrypted with the WeChat Pay public key on the wire",
        ),
        Extension(
            "x-rate-limit",
            ("operation",),
            "the page's rate limit: {limit, per, scope}",
        ),
        Extension(
            "x-enum-descriptions",
            ("schema",),
            "enum value -> its description from the page",
        ),
        Extension(
            "x-wechatpay-doc-differs",
            ("operation", "parameter", "media-type", "response", "schema"),
            "[{difference, subject, reason}]: on-purpose differences from the saved doc page, "
            "one per entry (doc-check)",
        ),
        Extension(
            "x-wechatpay-resource",
            ("webhook",),
            "{schema, example} of the decrypted resource",
        ),
    )
}

# The keys of our own objects (extension values that are mappings).
RATE_LIMIT_KEYS: tuple[str, ...] = ("limit", "per", "scope")
ERROR_CODE_KEYS: tuple[str, ...] = ("code", "description", "solution")

# ----------------------------------------------------------------------------------- paths

# A ``{name}`` placeholder in a path template. Anything but braces between them: a name the
# segment grammar refuses is reported there, not silently taken as literal text.
PATH_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders(template: str) -> list[str]:
    """The placeholder names of a path template, in order."""
    return PATH_PLACEHOLDER.findall(template)


# ------------------------------------------------------------------------------- date-time

# RFC 3339 date-time whose seconds may be omitted: the docs' own examples are written that way.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,  # \d is 0-9 only; fullmatch, so no trailing newline slips through as "$" would let it
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


def is_lenient_date_time(value: object) -> bool:
    """RFC 3339 date-time whose seconds may be omitted (``2025-01-01T00:00+08:00``)."""
    if not isinstance(value, str):
        return True  # format applies to strings only
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    try:
        offset = timedelta(0)
        if match.group(9):
            offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        datetime(year, month, day, hour, minute, min(second, 59), tzinfo=timezone(offset))
    except ValueError:
        return False
    return second <= 60  # a leap second is valid RFC 3339


def is_date(value: object) -> bool:
    """RFC 3339 full-date (``2025-01-31``)."""
    if not isinstance(value, str):
        return True
    match = _DATE.fullmatch(value)
    if match is None:
        return False
    try:
        datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True
