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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
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


class _Headers(Mapping[str, str]):
    """Case-insensitive lookups in the caller's headers: a dict (any case), or a framework's
    headers object (already case-insensitive). Nothing is copied unless a name is missed."""

    __slots__ = ("_lowered", "_source")

    def __init__(self, headers: object) -> None:
        if not callable(getattr(headers, "get", None)):
            raise NotificationError(
                "headers must be a mapping of header names to values (the request's headers), "
                f"got {type(headers).__name__}"
            )
        self._source: Any = headers
        self._lowered: dict[str, Any] | None = None

    def get(self, name: str, default: Any = None) -> Any:
        value = self._source.get(name)
        if value is None:
            lowered = self._lowered
            if lowered is None:
                try:
                    items = list(self._source.items())
                except (AttributeError, TypeError):
                    items = []
                lowered = self._lowered = {
                    (k.decode("latin-1") if isinstance(k, bytes) else str(k)).lower(): v
                    for k, v in items
                }
            value = lowered.get(name.lower())
            if value is None:
                return default
        if isinstance(value, bytes):  # ASGI-style raw values
            value = value.decode("latin-1")
        if not isinstance(value, str):
            raise NotificationError(f"header {name} must be a str, got {type(value).__name__}")
        return value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return str(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)


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
    view = _Headers(headers)
    request_id = view.get("Request-ID")
    try:
        verifier.verify(view, raw, request_id=request_id, subject="callback")
    except SignatureVerificationError as exc:
        if exc.unknown_serial is None or not verifier.uses_certificates:
            raise
        raise SignatureVerificationError(
            f"{exc.reason}; if WeChat Pay has rotated its platform certificate, call "
            "client.refresh_certificates() and parse again (WeChat Pay also retries the callback)",
            request_id=request_id,
            subject="callback",
            unknown_serial=exc.unknown_serial,
        ) from None

    try:
        envelope = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise NotificationError("callback body is not valid JSON") from None
    if not isinstance(envelope, dict):
        raise NotificationError("callback body is not a JSON object")
    texts: dict[str, str] = {}
    for name in _ENVELOPE_TEXT:
        value = envelope.get(name)
        if not isinstance(value, str) or not value:
            raise NotificationError(f"callback field {name!r} is missing or not a string")
        texts[name] = value
    summary = envelope.get("summary", "")
    if not isinstance(summary, str):
        raise NotificationError("callback field 'summary' is not a string")
    resource = envelope.get("resource")
    if not isinstance(resource, dict):
        raise NotificationError("callback field 'resource' is missing or not an object")

    plaintext = decrypt_resource(api_v3_key, resource)
    try:
        data = _DECODER.decode(plaintext.decode("utf-8"))
    except (ValueError, RecursionError):
        raise NotificationError("the decrypted resource is not valid JSON") from None
    event_type = texts["event_type"]
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
        id=texts["id"],
        create_time=_create_time(texts["create_time"]),
        event_type=event_type,
        resource_type=texts["resource_type"],
        summary=summary,
        resource=parsed,
    )


def _create_time(text: str) -> datetime | str:
    """An aware datetime: the C parser for the usual form, the lenient one for the rest."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return parse_datetime(text, "create_time")
    return value if value.tzinfo is not None else parse_datetime(text, "create_time")
