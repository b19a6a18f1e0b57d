"""Callbacks described as OpenAPI ``webhooks``: validated, modelled, mapped by event type.

Expectations come from the specs themselves (read with the loader, not through the IR): every
webhook of ``specs/`` and of a fixture spec this file writes must reach the generated clients'
``_notification_models``, and parse its own resource example into the model its schema names.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from wechatpay_codegen.build_ir import build_ir
from wechatpay_codegen.generate import generate_files
from wechatpay_codegen.loader import SpecLoadError, load_specs
from wechatpay_codegen.validate import validate_specs
from wechatpay_codegen.webhooks import EVENT_TYPE, RESOURCE_EXTENSION, read_webhooks
from wechatpay_codegen.writer import write_tree

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"


def _spec_webhooks(folder: Path) -> dict[str, tuple[str | None, Any]]:
    """event type -> (the named schema its resource $refs, or None when inline; its example)."""
    specs = load_specs([folder])
    found: dict[str, tuple[str | None, Any]] = {}
    for doc in specs.documents.values():
        for event, item in (doc.data.get("webhooks") or {}).items():
            resource = item["post"][RESOURCE_EXTENSION]
            ref = resource["schema"].get("$ref")
            found[event] = (ref.rsplit("/", 1)[-1] if ref else None, resource["example"])
    return found


@pytest.fixture(scope="module")
def spec_webhooks() -> dict[str, tuple[str | None, Any]]:
    return _spec_webhooks(SPECS)


def test_the_seed_products_have_their_events(
    spec_webhooks: dict[str, tuple[str | None, Any]],
) -> None:
    assert spec_webhooks, "specs/ describes no callback"
    for event in spec_webhooks:
        assert EVENT_TYPE.fullmatch(event), event


@pytest.mark.parametrize("client_name", ["WeChatPayClient", "AsyncWeChatPayClient"])
def test_generated_clients_map_every_event_to_its_model(
    spec_webhooks: dict[str, tuple[str | None, Any]], client_name: str
) -> None:
    package = importlib.import_module("wechatpay_marketing")
    mapping = getattr(package, client_name)._notification_models
    assert sorted(mapping) == sorted(spec_webhooks)
    for event, (schema_name, example) in spec_webhooks.items():
        parsed = mapping[event](example)
        if schema_name is not None:
            assert type(parsed).__name__ == schema_name
        assert parsed.to_dict() == example
        assert getattr(package, type(parsed).__name__) is type(parsed)  # exported


def test_read_webhooks_gives_what_the_sandbox_sends(
    spec_webhooks: dict[str, tuple[str | None, Any]],
) -> None:
    read = read_webhooks(load_specs([SPECS]))
    assert [w.event_type for w in read] == sorted(spec_webhooks)
    for webhook in read:
        assert webhook.resource_example == spec_webhooks[webhook.event_type][1]
        if webhook.envelope_example:
            assert webhook.envelope_example["event_type"] == webhook.event_type


def test_generated_readme_lists_every_event(
    spec_webhooks: dict[str, tuple[str | None, Any]],
) -> None:
    readme = (REPO / "generated" / "README.md").read_text(encoding="utf-8")
    assert "## Callbacks" in readme
    for event in spec_webhooks:
        assert f"| `{event}` |" in readme


FIXTURE = """\
openapi: 3.1.0
info:
  title: fixture callbacks
  version: 1.0.0
webhooks:
  WIDGET.READY:
    post:
      summary: A widget is ready
      requestBody:
        content:
          application/json:
            schema:
              type: object
      x-wechatpay-resource:
        schema:
          $ref: '#/components/schemas/WidgetReadyResource'
        example:
          widget_id: w-1
          ready_at: '2025-01-01T00:00:00+08:00'
          parts:
            - name: bolt
              count: 2
  WIDGET.GONE:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
      x-wechatpay-resource:
        schema:
          type: object
          properties:
            widget_id:
              type: string
        example:
          widget_id: w-2
components:
  schemas:
    WidgetReadyResource:
      type: object
      required: [widget_id]
      properties:
        widget_id:
          type: string
        ready_at:
          type: string
          format: date-time
        parts:
          type: array
          items:
            type: object
            properties:
              name:
                type: string
              count:
                type: integer
"""


def test_a_webhooks_only_spec_generates_a_working_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "events.yaml").write_text(FIXTURE, encoding="utf-8")
    loaded = load_specs([specs])
    assert validate_specs(loaded) == []
    api = build_ir(loaded)
    assert [(w.event_type, w.resource_model) for w in api.webhooks] == [
        ("WIDGET.GONE", "WidgetGoneResource"),  # an inline schema is named after the event
        ("WIDGET.READY", "WidgetReadyResource"),
    ]
    out = tmp_path / "out"
    write_tree(generate_files(specs, "webhook_fixture", use_cache=False), out)
    monkeypatch.syspath_prepend(str(out))
    try:
        client = importlib.import_module("webhook_fixture._client")
        expected = _spec_webhooks(specs)
        mapping = client.WeChatPayClient._notification_models
        assert mapping is client.AsyncWeChatPayClient._notification_models
        for event, (_, example) in expected.items():
            model = mapping[event](example)
            assert model.to_dict() == example
        ready = mapping["WIDGET.READY"](expected["WIDGET.READY"][1])
        assert ready.ready_at.utcoffset() is not None  # a date-time, timezone-aware
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "webhook_fixture"]:
            del sys.modules[name]


def test_a_spec_without_webhooks_keeps_the_runtime_default(tmp_path: Path) -> None:
    files = generate_files(REPO / "tests" / "fixtures" / "mini-specs", "no_hooks", use_cache=False)
    client = files["no_hooks/_client.py"].decode()
    assert "_notification_models" not in client
    assert "## Callbacks" not in files["README.md"].decode()


def test_resource_schema_must_be_a_model(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    broken = FIXTURE.replace(
        "          $ref: '#/components/schemas/WidgetReadyResource'\n",
        "          type: array\n          items: {type: string}\n",
    ).replace(
        "        example:\n          widget_id: w-1\n"
        "          ready_at: '2025-01-01T00:00:00+08:00'\n"
        "          parts:\n            - name: bolt\n              count: 2\n",
        "        example: [a]\n",
    )
    (specs / "events.yaml").write_text(broken, encoding="utf-8")
    loaded = load_specs([specs])
    assert validate_specs(loaded) == []
    with pytest.raises(SpecLoadError) as caught:
        build_ir(loaded)
    [problem] = caught.value.problems
    assert "object with properties" in problem.message
    assert problem.location.line == broken.splitlines().index("        schema:") + 1
