"""The one verifying TLS context this package creates (shared by every client and transport)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from .errors import ConfigurationError

if TYPE_CHECKING:
    import ssl

__all__ = ["check_trust_environment", "default_ssl_context"]


def _trust_environment() -> tuple[str, str]:
    return os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", "")


def check_trust_environment() -> None:
    """Refuse, when a client is created, an ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` that names
    nothing usable (rather than failing at the first https call without naming the path)."""
    cert_file, cert_dir = _trust_environment()
    if cert_file:
        if not os.path.isfile(cert_file):
            raise ConfigurationError(
                f"SSL_CERT_FILE is set to {cert_file!r}, which is not a file: point it at a PEM "
                "bundle of trusted CA certificates, or unset it"
            )
    elif cert_dir and not os.path.isdir(cert_dir):
        raise ConfigurationError(
            f"SSL_CERT_DIR is set to {cert_dir!r}, which is not a directory: point it at a "
            "directory of trusted CA certificates, or unset it"
        )


def default_ssl_context() -> ssl.SSLContext:
    """Verifying context with the same trust store httpx uses by default.

    ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when set, else certifi's bundle, read when a context is
    needed (so a changed variable counts). Built once per setting (loading the CA bundle costs
    ~30 ms) and shared: ``SSLContext`` is safe across connections and threads.
    """
    return _context(*_trust_environment())


@lru_cache(maxsize=8)
def _context(cert_file: str, cert_dir: str) -> ssl.SSLContext:
    import ssl

    try:
        if cert_file:
            return ssl.create_default_context(cafile=cert_file)
        if cert_dir:
            return ssl.create_default_context(capath=cert_dir)
    except (OSError, ssl.SSLError) as exc:
        name, value = ("SSL_CERT_FILE", cert_file) if cert_file else ("SSL_CERT_DIR", cert_dir)
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConfigurationError(
            f"{name} is set to {value!r}, which cannot be loaded as CA certificates: {reason}"
        ) from None
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
