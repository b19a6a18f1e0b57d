"""The README's callback handlers for Flask, FastAPI and Django, run as written.

Each handler is the README's own code block (executed here, so the README cannot drift from what
is tested), served by that framework's own test client, and fed callbacks the sandbox built from
the specs' webhooks: encrypted with the sandbox's APIv3 key and signed with its WeChat Pay key.
A handler must answer 204 and hand on the parsed event (its model from the specs), and refuse
forged callbacks with 400 without handing anything on. The raw body matters: the same callback
re-serialized by a framework's JSON parsing no longer verifies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.loader import SpecSet
from wechatpay_codegen.sandbox import Sandbox
from wechatpay_codegen.sandbox.notify import FAULTS, Callback
from wechatpay_codegen.webhooks import WebhookSpec, read_webhooks

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"^(\w+)[^\n]*:\n\n```python\n(.*?)```", re.S | re.M)


def readme_handler(framework: str) -> str:
    """The python block the README introduces with ``<framework>...:`` in its Callbacks part."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Callbacks (event notifications)", 1)[1].split("\n## ", 1)[0]
    blocks = {name: code for name, code in _BLOCK.findall(section)}
    assert framework in blocks, f"README has no {framework} handler (found {sorted(blocks)})"
    return blocks[framework]


def run_handler(framework: str, client: Any, handled: list[Any]) -> dict[str, Any]:
    namespace: dict[str, Any] = {
        "__name__": f"readme_{framework.lower()}",
        "client": client,
        "handle_event": handled.append,
    }
    exec(compile(readme_handler(framework), f"README.md ({framework})", "exec"), namespace)
    return namespace


def merchant_client(sandbox: Sandbox, cls: Any = wp.WeChatPayClient) -> Any:
    return cls(**sandbox.merchant_config(), api_v3_key=sandbox.keys.api_v3_key)


@pytest.fixture(scope="module")
def webhooks(specs: SpecSet) -> list[WebhookSpec]:
    found = read_webhooks(specs)
    assert found
    return found


def check_delivered(
    post: Callable[[Callback], tuple[int, bytes]],
    sandbox: Sandbox,
    webhooks: list[WebhookSpec],
    handled: list[Any],
) -> None:
    """Every described event is answered 204 and handed on as its model; forgeries get 400."""
    for webhook in webhooks:
        status, _ = post(sandbox.callback(webhook.event_type))
        assert status == 204
        event = handled.pop()
        assert isinstance(event, wp.Notification)
        assert event.event_type == webhook.event_type
        model = wp.WeChatPayClient._notification_models[webhook.event_type]
        assert event.resource == model(webhook.resource_example)
    for fault in sorted(FAULTS):
        status, body = post(sandbox.callback(webhooks[0].event_type, fault=fault))
        assert status == 400, fault
        assert json.loads(body)["code"] == "FAIL"
    assert handled == []


def reserialized(callback: Callback) -> Callback:
    """What a handler that parsed and re-dumped the JSON would pass on: same data, other bytes."""
    body = json.dumps(json.loads(callback.body), indent=1).encode()
    return Callback(callback.event_type, callback.headers, body)


# ---------------------------------------------------------------------------------- Flask


def test_flask_handler(sandbox: Sandbox, webhooks: list[WebhookSpec]) -> None:
    handled: list[Any] = []
    with merchant_client(sandbox) as client:
        app = run_handler("Flask", client, handled)["app"]
        app.testing = True
        test_client = app.test_client()

        def post(callback: Callback) -> tuple[int, bytes]:
            response = test_client.post(
                "/wechatpay/notify", data=callback.body, headers=callback.header_dict()
            )
            return response.status_code, response.get_data()

        check_delivered(post, sandbox, webhooks, handled)
        assert post(reserialized(sandbox.callback(webhooks[0].event_type)))[0] == 400


# -------------------------------------------------------------------------------- FastAPI


def test_fastapi_handler(sandbox: Sandbox, webhooks: list[WebhookSpec]) -> None:
    from fastapi.testclient import TestClient

    handled: list[Any] = []
    client = merchant_client(sandbox, wp.AsyncWeChatPayClient)
    app = run_handler("FastAPI", client, handled)["app"]
    with TestClient(app) as test_client:

        def post(callback: Callback) -> tuple[int, bytes]:
            response = test_client.post(
                "/wechatpay/notify", content=callback.body, headers=callback.header_dict()
            )
            return response.status_code, response.content

        check_delivered(post, sandbox, webhooks, handled)
        assert post(reserialized(sandbox.callback(webhooks[0].event_type)))[0] == 400


# --------------------------------------------------------------------------------- Django


@pytest.fixture(scope="module")
def django_urls() -> Iterator[list[Any]]:
    """Django configured once for this process: CSRF middleware on, as in a new project."""
    import django
    from django.conf import settings

    patterns: list[Any] = []
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="tests-only",
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=[
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ],
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
    global urlpatterns
    urlpatterns = patterns
    yield patterns
    patterns.clear()


urlpatterns: list[Any] = []


def test_django_handler(
    sandbox: Sandbox, webhooks: list[WebhookSpec], django_urls: list[Any]
) -> None:
    from django.test import Client
    from django.urls import clear_url_caches, path

    handled: list[Any] = []
    with merchant_client(sandbox) as client:
        view = run_handler("Django", client, handled)["wechatpay_notify"]
        django_urls[:] = [path("wechatpay/notify", view)]
        clear_url_caches()
        test_client = Client(enforce_csrf_checks=True)

        def post(callback: Callback) -> tuple[int, bytes]:
            headers = {k: v for k, v in callback.headers if k != "Content-Type"}
            response = test_client.post(
                "/wechatpay/notify",
                data=callback.body,
                content_type="application/json",
                headers=headers,
            )
            return response.status_code, response.content

        check_delivered(post, sandbox, webhooks, handled)
        assert post(reserialized(sandbox.callback(webhooks[0].event_type)))[0] == 400
        assert test_client.get("/wechatpay/notify").status_code == 405
