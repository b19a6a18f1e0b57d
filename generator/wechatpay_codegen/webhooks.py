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
from dataclasses import dataclass
from typing import Any

from .loader import Pointer, Problem, SpecDocument, SpecSet
from .protocol import EXTENSIONS, HTTP_METHODS, JSON_MEDIA
from .spec_model import Node, SpecModel
from .spec_places import RESOURCE_EXTENSION, webhook_operations

__all__ = [
    "EVENT_TYPE",
    "RESOURCE_EXTENSION",
    "WebhookSpec",
    "check_webhooks",
    "read_webhooks",
]

assert RESOURCE_EXTENSION in EXTENSIONS
_RESOURCE_KEYS = ("schema", "example")
#: An event type as WeChat Pay writes it: dot-separated upper-case words (``COUPON.SEND``).
EVENT_TYPE = re.compile(r"[A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)+")


def _likely(word: str, choices: tuple[str, ...] | frozenset[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_webhooks(model: SpecModel, docs: list[SpecDocument]) -> list[Problem]:
    """Problems with the ``webhooks`` of ``docs`` (every one, in one run)."""
    problems: list[Problem] = []
    first: dict[str, Node] = {}
    for doc in docs:
        hooks = model.root(doc).child("webhooks")
        if hooks.raw is None:
            continue
        if not hooks.is_mapping:
            problems.append(hooks.problem("webhooks must be a mapping"))
            continue
        for event, item in hooks.items():
            problems += _check_event(event, item)
            if not EVENT_TYPE.fullmatch(event):
                continue
            earlier = first.setdefault(event, item)
            if earlier.doc is not doc:
                problems.append(
                    item.problem(
                        f"event type {event!r} is already described at "
                        f"{earlier.location}; describe each event once",
                    )
                )
    return problems


def _check_event(event: str, item: Node) -> list[Problem]:
    problems: list[Problem] = []
    if not EVENT_TYPE.fullmatch(event):
        problems.append(
            item.problem(
                f"webhook key {event!r} is not an event type; key each webhook by the "
                "event_type WeChat Pay sends, e.g. COUPON.SEND",
            )
        )
    if not item.is_mapping:
        return [*problems, item.problem("a webhook must be a mapping with a post operation")]
    if item.has("$ref"):
        return [*problems, item.child("$ref").problem("write the webhook in place, not as a $ref")]
    for method in HTTP_METHODS:
        if method != "post" and item.has(method):
            problems.append(
                item.child(method).problem(
                    f"WeChat Pay sends callbacks with POST; write the operation as post, not "
                    f"{method}",
                )
            )
    operation = item.child("post")
    if not operation.is_mapping:
        if not item.has("post"):
            problems.append(item.problem("the webhook needs a post operation"))
        return problems
    return problems + _check_operation(event, operation)


def _check_operation(event: str, operation: Node) -> list[Problem]:
    problems: list[Problem] = []
    # its extensions: validate's placement rule (protocol.EXTENSIONS, place "webhook")
    body = operation.child("requestBody")
    content = body.child("content")
    media = content.child(JSON_MEDIA)
    if not body.is_mapping or body.has("$ref"):
        problems.append(
            (body if body.raw is not None else operation).problem(
                "the webhook needs a requestBody written in place with application/json "
                "content: the envelope (schema: common.yaml#/components/schemas/"
                "NotificationEnvelope)",
            )
        )
    elif [key for key, _ in content.items()] != [JSON_MEDIA] or not media.has("schema"):
        problems.append(
            content.problem(
                "the webhook's requestBody needs exactly application/json content with a "
                "schema (the envelope)",
            )
        )
    example = media.child("example")
    if example.is_mapping and example.get("event_type") != event:
        problems.append(
            example.child("event_type").problem(
                f"the envelope example's event_type must be the webhook key {event!r}",
            )
        )
    problems += _check_resource(operation)
    return problems


def _check_resource(operation: Node) -> list[Problem]:
    resource = operation.child(RESOURCE_EXTENSION)
    if resource.raw is None:
        return [
            operation.problem(
                f"the webhook needs {RESOURCE_EXTENSION}: {{schema, example}} describing the "
                "decrypted resource (it becomes the model parse_notification returns)",
            )
        ]
    if not resource.is_mapping:
        return [resource.problem(f"{RESOURCE_EXTENSION} must be a mapping {{schema, example}}")]
    problems: list[Problem] = []
    for key, value in resource.items():
        if key not in _RESOURCE_KEYS:
            problems.append(
                value.problem(
                    f"unknown key {key!r} in {RESOURCE_EXTENSION} (allowed: "
                    f"{', '.join(_RESOURCE_KEYS)}){_likely(key, _RESOURCE_KEYS)}",
                )
            )
    if not resource.has("schema"):
        problems.append(
            resource.problem(f"{RESOURCE_EXTENSION} needs a schema (the decrypted resource)")
        )
    if not resource.has("example"):
        problems.append(
            resource.problem(
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
    model = specs.model()
    found: list[WebhookSpec] = []
    for doc in model.documents():
        for event, operation in webhook_operations(model, doc):
            example = operation.child("requestBody").child("content").child(JSON_MEDIA)
            example = example.child("example")
            summary = operation.get("summary")
            found.append(
                WebhookSpec(
                    event_type=event,
                    doc=doc,
                    pointer=operation.pointer,
                    summary=summary if isinstance(summary, str) else "",
                    envelope_example=example.raw if example.is_mapping else {},
                    resource_example=operation.child(RESOURCE_EXTENSION).get("example"),
                )
            )
    return sorted(found, key=lambda w: w.event_type)
