"""Callbacks (event notifications): verify like a response, decrypt the resource, parse it.

WeChat Pay POSTs ``{"id", "create_time", "event_type", "resource_type", "summary", "resource"}``
with the ``Wechatpay-*`` headers. The signature covers ``TIMESTAMP\\nNONCE\\nRAW_BODY\\n`` over the
body bytes exactly as received (a web framework that re-serializes the JSON breaks it); the
``resource`` is ``AEAD_AES_256_GCM``-encrypted with the APIv3 key (see :mod:`.aead`). Order of
work: size limit, verification, JSON, decryption, model: nothing unverified is ever parsed past
the envelope, and no error message holds the key or the decrypted data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from json.scanner import make_scanner
from typing import Any, Final

from .aead import ApiV3Key, decrypt_resource
from .errors import APIResponseValidationError, NotificationError, SignatureVerificationError
from .serde import parse_datetime
from .verification import ResponseVerifier

__all__ = ["DEFAULT_MAX_NOTIFICATION_BYTES", "Notification", "parse_notification"]

#: Callbacks are a few kilobytes; anything near this is not WeChat Pay's.
DEFAULT_MAX_NOTIFICATION_BYTES: Final = 256 * 1024
_ENVELOPE_TEXT: Final = ("id", "event_type", "resource_type", "create_time")
_DECODER: Final = json.JSONDecoder()
# The C scanner: one value from an index, without the decoder's whitespace pass.
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = make_scanner(_DECODER)  # type: ignore[arg-type]
_JSON_SPACE: Final = " \t\n\r"


@dataclass(frozen=True, slots=True)
class Notification:
    """A verified, decrypted callback.

    ``resource`` is the decrypted JSON: the generated model when the specs describe
    ``event_type``, else a ``dict``. It is left out of ``repr()`` (it is the secret part).
    ``create_time`` is an aware ``datetime`` (the raw string if it does not parse).
    """

    id: str
    create_time: datetime | str
    event_type: str
    resource_type: str
    summary: str
    resource: Any = field(repr=False)


_HEADER_NAMES: Final = (
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Signature",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


def _header_values(headers: object) -> list[str | None]:
    """The five ``Wechatpay-*`` values (``None`` when absent), looked up case-insensitively in
    the caller's headers: a dict (any case), or a framework's headers object (already
    case-insensitive). Nothing is copied unless a name is missed."""
    get = getattr(headers, "get", None)
    if not callable(get):
        raise NotificationError(
            "headers must be a mapping of header names to values (the request's headers), "
            f"got {type(headers).__name__}"
        )
    values: list[Any] = [get(name) for name in _HEADER_NAMES]
    if None in values:
        lowered = _lowered(headers)
        values = [
            lowered.get(name.lower()) if value is None else value
            for name, value in zip(_HEADER_NAMES, values, strict=True)
        ]
    for index, value in enumerate(values):
        if type(value) is not str and value is not None:
            values[index] = _text(_HEADER_NAMES[index], value)
    return values


def _header(headers: Any, name: str) -> str | None:
    """One header, case-insensitively (the ``Request-ID`` an error names)."""
    try:
        value = headers.get(name)
        if value is None:
            value = _lowered(headers).get(name.lower())
        return None if value is None else _text(name, value)
    except (AttributeError, TypeError, NotificationError):
        return None


def _lowered(headers: Any) -> dict[str, Any]:
    try:
        items = list(headers.items())
    except (AttributeError, TypeError):
        return {}
    return {(k.decode("latin-1") if isinstance(k, bytes) else str(k)).lower(): v for k, v in items}


def _text(name: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):  # ASGI-style raw values
        return value.decode("latin-1")
    raise NotificationError(f"header {name} must be a str, got {type(value).__name__}")


def _body_bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        # Only safe when the framework decoded the raw bytes as UTF-8 and changed nothing else.
        return body.encode("utf-8")
    raise NotificationError(
        f"body must be the raw request body bytes, got {type(body).__name__}: pass "
        "request.get_data() (Flask), await request.body() (Starlette/FastAPI) or request.body "
        "(Django), never parsed or re-serialized JSON (that breaks the signature)"
    )


def parse_notification(
    *,
    headers: object,
    body: object,
    verifier: ResponseVerifier,
    api_v3_key: ApiV3Key | None,
    models: Mapping[str, Callable[[Any], Any]],
    max_bytes: int = DEFAULT_MAX_NOTIFICATION_BYTES,
) -> Notification:
    """Verify, decrypt and parse one callback (see the module docstring for the order)."""
    if api_v3_key is None:
        raise NotificationError(
            "parse_notification needs the APIv3 key: create the client with api_v3_key= "
            "(brands: the brand API key)"
        )
    raw = _body_bytes(body)
    if len(raw) > max_bytes:
        raise NotificationError(
            f"callback body is {len(raw)} bytes, over the {max_bytes}-byte limit; refused "
            "before verification"
        )
    timestamp, nonce, signature, serial, signature_type = _header_values(headers)
    try:
        verifier.verify_values(
            timestamp, nonce, signature, serial, signature_type, raw, subject="callback"
        )
    except SignatureVerificationError as exc:
        # The Request-ID is looked up only now: a callback that verifies never needs it.
        reason = exc.reason
        if exc.unknown_serial is not None and verifier.uses_certificates:
            reason = (
                f"{reason}; if WeChat Pay has rotated its platform certificate, call "
                "client.refresh_certificates() and parse again (WeChat Pay also retries the "
                "callback)"
            )
        raise SignatureVerificationError(
            reason,
            request_id=_header(headers, "Request-ID"),
            subject="callback",
            unknown_serial=exc.unknown_serial,
        ) from None

    envelope = _json(raw, "callback body")
    if type(envelope) is not dict:
        raise NotificationError("callback body is not a JSON object")
    get: Any = envelope.get
    notification_id: str = get("id")
    event_type: str = get("event_type")
    resource_type: str = get("resource_type")
    create_time: str = get("create_time")
    if not (
        type(notification_id) is str
        and notification_id
        and type(event_type) is str
        and event_type
        and type(resource_type) is str
        and resource_type
        and type(create_time) is str
        and create_time
    ):
        for name in _ENVELOPE_TEXT:
            value = get(name)
            if not isinstance(value, str) or not value:
                raise NotificationError(f"callback field {name!r} is missing or not a string")
    summary = get("summary", "")
    if type(summary) is not str:
        raise NotificationError("callback field 'summary' is not a string")
    resource = get("resource")
    if type(resource) is not dict:
        raise NotificationError("callback field 'resource' is missing or not an object")

    data = _json(decrypt_resource(api_v3_key, resource), "the decrypted resource")
    parse = models.get(event_type)
    parsed: Any = data
    if parse is not None:
        try:
            parsed = parse(data)
        except APIResponseValidationError as exc:
            # The message names JSON paths and types only, never values.
            raise NotificationError(
                f"the decrypted resource of a {event_type} callback does not match the "
                f"documented shape: {exc}"
            ) from None
    return Notification(
        id=notification_id,
        create_time=_create_time(create_time),
        event_type=event_type,
        resource_type=resource_type,
        summary=summary,
        resource=parsed,
    )


def _json(raw: bytes, what: str) -> Any:
    """Parse JSON text; the C scanner straight away (no whitespace pass) when it starts with a
    value, the full decoder otherwise. Errors name ``what``, never the content."""
    try:
        text = raw.decode("utf-8")
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:  # leading whitespace, or not JSON: the decoder says which
            return _DECODER.decode(text)
        if end != len(text) and text[end:].strip(_JSON_SPACE):
            raise ValueError("extra data")
        return value
    except (ValueError, RecursionError):
        raise NotificationError(f"{what} is not valid JSON") from None


def _create_time(text: str) -> datetime | str:
    """An aware datetime: the C parser for the usual form, the lenient one for the rest."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return parse_datetime(text, "create_time")
    return value if value.tzinfo is not None else parse_datetime(text, "create_time")
