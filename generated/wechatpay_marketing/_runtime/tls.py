"""The one verifying TLS context this package creates (shared by every client and transport)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

__all__ = ["default_ssl_context"]


@lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """Verifying context with the same trust store httpx uses by default.

    ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when set, else certifi's bundle. Built on first use
    (loading the CA bundle costs ~30 ms) and shared: ``SSLContext`` is safe across connections
    and threads.
    """
    import ssl

    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
