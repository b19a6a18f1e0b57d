"""The runtime under test, as a package: ``rt.errors``, ``rt.client``, ... (``rt.package``: its
``__init__``).

It is the copy the generator wrote into ``generated/`` (installed in the venv), so these tests see
exactly what ships and mypy checks them against it. ``templates/runtime`` stays the one source:
``conftest.py`` fails every runtime test, naming the command to run, while that copy differs from
it.
"""

from __future__ import annotations

from wechatpay_marketing import _runtime as package
from wechatpay_marketing._runtime import (
    aead,
    async_pool,
    bills,
    body,
    certificates,
    client,
    errors,
    http11,
    httpx_transport,
    keys,
    log,
    notification,
    request,
    response,
    retries,
    sensitive,
    serde,
    sign_workers,
    signing,
    streaming,
    sync_pool,
    tls,
    transport,
    upload,
    validation,
    verification,
)

__all__ = [
    "aead",
    "async_pool",
    "bills",
    "body",
    "certificates",
    "client",
    "errors",
    "http11",
    "httpx_transport",
    "keys",
    "log",
    "notification",
    "package",
    "request",
    "response",
    "retries",
    "sensitive",
    "serde",
    "sign_workers",
    "signing",
    "streaming",
    "sync_pool",
    "tls",
    "transport",
    "upload",
    "validation",
    "verification",
]
