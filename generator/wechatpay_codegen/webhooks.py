"""Callbacks (OpenAPI 3.1 ``webhooks``): the spec convention, its checks, and one reader.

WeChat Pay POSTs event notifications to the merchant's ``notify_url``. A spec describes them under
``webhooks``, keyed by the event type WeChat Pay sends (``COUPON.SEND``)::

    webhooks:
      COUPON.SEND:
        post:
          summary: ...
          requestBody:            # the envelope as it arrives (the resource still encrypted)
            content:
              application/json:
                schema: {$ref: 'common.yaml#/components/schemas/NotificationEnvelope'}
                example: {...}    # optional; its event_type must be the key
          x-wechatpay-resource:   # the decrypted resource: what parse_notification returns
            schema: {$ref: '#/components/schemas/BusifavorCouponSendResource'}
            example: {...}        # required: the sandbox sends it (``sandbox notify``)

The resource schema becomes a generated model, and the generated clients map the event type to
that model's ``from_dict`` (``_notification_models``). The schemas and examples themselves are
checked by ``validate`` like every other schema site; this module checks the rest: the shape
above, and that no event type is described twice.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .loader import Pointer, Problem, SpecDocument, SpecSet
from .protocol import EXTENSIONS, HTTP_METHODS, JSON_MEDIA

__all__ = [
    "EVENT_TYPE",
    "RESOURCE_EXTENSION",
    "WebhookSpec",
    "check_webhooks",
    "read_webhooks",
    "webhook_operations",
]

#: The extension holding the decrypted resource's ``schema`` and ``example``.
RESOURCE_EXTENSION = "x-wechatpay-resource"
assert RESOURCE_EXTENSION in EXTENSIONS
_RESOURCE_KEYS = ("schema", "example")
#: An event type as WeChat Pay writes it: dot-separated upper-case words (``COUPON.SEND``).
EVENT_TYPE = re.compile(r"[A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)+")
_OUR_EXTENSIONS = (RESOURCE_EXTENSION,)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def webhook_operations(doc: SpecDocument) -> Iterator[tuple[str, Pointer, dict[str, Any]]]:
    """``(event type, pointer of its post operation, the operation)`` for each webhook of ``doc``
    that is written in place as a ``post`` operation (anything else is a :func:`check_webhooks`
    problem)."""
    for event, item in _mapping(doc.data.get("webhooks")).items():
        operation = _mapping(item).get("post")
        if isinstance(operation, dict) and "$ref" not in _mapping(item):
            yield str(event), ("webhooks", event, "post"), operation


def _likely(word: str, choices: tuple[str, ...] | frozenset[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_webhooks(specs: SpecSet, docs: list[SpecDocument]) -> list[Problem]:
    """Problems with the ``webhooks`` of ``docs`` (every one, in one run)."""
    problems: list[Problem] = []
    first: dict[str, tuple[SpecDocument, Pointer]] = {}
    for doc in docs:
        hooks = doc.data.get("webhooks")
        if hooks is None:
            continue
        if not isinstance(hooks, dict):
            problems.append(doc.problem(("webhooks",), "webhooks must be a mapping"))
            continue
        for event, item in hooks.items():
            where: Pointer = ("webhooks", event)
            problems += _check_event(doc, where, str(event), item)
            if not isinstance(event, str) or not EVENT_TYPE.fullmatch(event):
                continue
            earlier = first.setdefault(event, (doc, where))
            if earlier[0] is not doc:
                problems.append(
                    doc.problem(
                        where,
                        f"event type {event!r} is already described at "
                        f"{earlier[0].location(earlier[1])}; describe each event once",
                    )
                )
    return problems


def _check_event(doc: SpecDocument, where: Pointer, event: str, item: Any) -> list[Problem]:
    problems: list[Problem] = []
    if not EVENT_TYPE.fullmatch(event):
        problems.append(
            doc.problem(
                where,
                f"webhook key {event!r} is not an event type; key each webhook by the "
                "event_type WeChat Pay sends, e.g. COUPON.SEND",
            )
        )
    if not isinstance(item, dict):
        return [*problems, doc.problem(where, "a webhook must be a mapping with a post operation")]
    if "$ref" in item:
        return [
            *problems,
            doc.problem((*where, "$ref"), "write the webhook in place, not as a $ref"),
        ]
    for method in HTTP_METHODS:
        if method != "post" and method in item:
            problems.append(
                doc.problem(
                    (*where, method),
                    f"WeChat Pay sends callbacks with POST; write the operation as post, not "
                    f"{method}",
                )
            )
    operation = item.get("post")
    if not isinstance(operation, dict):
        if "post" not in item:
            problems.append(doc.problem(where, "the webhook needs a post operation"))
        return problems
    return problems + _check_operation(doc, (*where, "post"), event, operation)


def _check_operation(
    doc: SpecDocument, at: Pointer, event: str, operation: dict[str, Any]
) -> list[Problem]:
    problems: list[Problem] = []
    for key in operation:
        if not isinstance(key, str):
            continue
        # a key that is no extension of ours anywhere is reported once, by the spelling rule
        if key.startswith("x-wechatpay-") and key in EXTENSIONS and key not in _OUR_EXTENSIONS:
            problems.append(
                doc.problem(
                    (*at, key),
                    f"unknown extension {key!r} on a webhook{_likely(key, _OUR_EXTENSIONS)}",
                )
            )
    body = operation.get("requestBody")
    media = _mapping(_mapping(_mapping(body).get("content")).get(JSON_MEDIA))
    if not isinstance(body, dict) or "$ref" in body:
        problems.append(
            doc.problem(
                (*at, "requestBody") if body is not None else at,
                "the webhook needs a requestBody written in place with application/json "
                "content: the envelope (schema: common.yaml#/components/schemas/"
                "NotificationEnvelope)",
            )
        )
    elif set(_mapping(body.get("content"))) != {JSON_MEDIA} or "schema" not in media:
        problems.append(
            doc.problem(
                (*at, "requestBody", "content"),
                "the webhook's requestBody needs exactly application/json content with a "
                "schema (the envelope)",
            )
        )
    example = media.get("example")
    if isinstance(example, dict) and example.get("event_type") != event:
        problems.append(
            doc.problem(
                (*at, "requestBody", "content", JSON_MEDIA, "example", "event_type"),
                f"the envelope example's event_type must be the webhook key {event!r}",
            )
        )
    problems += _check_resource(doc, at, operation.get(RESOURCE_EXTENSION))
    return problems


def _check_resource(doc: SpecDocument, at: Pointer, resource: Any) -> list[Problem]:
    where = (*at, RESOURCE_EXTENSION)
    if resource is None:
        return [
            doc.problem(
                at,
                f"the webhook needs {RESOURCE_EXTENSION}: {{schema, example}} describing the "
                "decrypted resource (it becomes the model parse_notification returns)",
            )
        ]
    if not isinstance(resource, dict):
        return [doc.problem(where, f"{RESOURCE_EXTENSION} must be a mapping {{schema, example}}")]
    problems: list[Problem] = []
    for key in resource:
        if key not in _RESOURCE_KEYS:
            problems.append(
                doc.problem(
                    (*where, key),
                    f"unknown key {key!r} in {RESOURCE_EXTENSION} (allowed: "
                    f"{', '.join(_RESOURCE_KEYS)}){_likely(str(key), _RESOURCE_KEYS)}",
                )
            )
    if "schema" not in resource:
        problems.append(
            doc.problem(where, f"{RESOURCE_EXTENSION} needs a schema (the decrypted resource)")
        )
    if "example" not in resource:
        problems.append(
            doc.problem(
                where,
                f"{RESOURCE_EXTENSION} needs an example: the sandbox sends it "
                "(wechatpay-codegen sandbox notify)",
            )
        )
    return problems


@dataclass(frozen=True)
class WebhookSpec:
    """One described callback event, as the sandbox needs it (read from valid specs)."""

    event_type: str
    doc: SpecDocument
    pointer: Pointer  # ("webhooks", event, "post")
    summary: str
    envelope_example: dict[str, Any]  # {} when the spec gives none
    resource_example: Any

    @property
    def location(self) -> str:
        return str(self.doc.location(self.pointer))


def read_webhooks(specs: SpecSet) -> list[WebhookSpec]:
    """Every webhook of valid ``specs``, by event type."""
    found: list[WebhookSpec] = []
    for name in sorted(specs.documents):
        doc = specs.documents[name]
        for event, pointer, operation in webhook_operations(doc):
            media = _mapping(
                _mapping(_mapping(operation.get("requestBody")).get("content")).get(JSON_MEDIA)
            )
            summary = operation.get("summary")
            found.append(
                WebhookSpec(
                    event_type=event,
                    doc=doc,
                    pointer=pointer,
                    summary=summary if isinstance(summary, str) else "",
                    envelope_example=_mapping(media.get("example")),
                    resource_example=_mapping(operation.get(RESOURCE_EXTENSION)).get("example"),
                )
            )
    return sorted(found, key=lambda w: w.event_type)
