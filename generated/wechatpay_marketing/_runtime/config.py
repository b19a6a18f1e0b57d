"""The clients' settings: their defaults, and the checks of the constructor's arguments.

Each check turns a bad value into a :class:`ConfigurationError` naming the argument, when the
client is created (never at the first call).
"""

from __future__ import annotations

import math
import platform
import sys
from typing import Final
from urllib.parse import quote, urlsplit

from .errors import ConfigurationError, RequestValidationError
from .signing import check_token
from .transport import DEFAULT_PORTS, Endpoint, environment_proxies

__all__ = [
    "DEFAULT_BACKUP_BASE_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "config_token",
    "is_httpx",
    "parse_base_url",
    "positive_int",
    "positive_number",
    "proxies_configured",
    "retry_count",
    "user_agent",
]

DEFAULT_BASE_URL: Final = "https://api.mch.weixin.qq.com"
DEFAULT_BACKUP_BASE_URL: Final = "https://api2.mch.weixin.qq.com"
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_MAX_RESPONSE_BYTES: Final = 10 * 1024 * 1024

# Characters kept as they are in a base URL's path prefix (RFC 3986 pchar, "/" and "%").
_PATH_SAFE: Final = "/%:@!$&'()*+,;=-._~"


def parse_base_url(value: object, what: str) -> Endpoint:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{what} must be a URL string such as {DEFAULT_BASE_URL!r}")
    if any(c <= " " or c == "\x7f" for c in value):
        raise ConfigurationError(f"{what} is not a valid URL: it contains spaces or controls")
    try:
        parts = urlsplit(value)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise ConfigurationError(f"{what} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise ConfigurationError(f"{what} must be an http:// or https:// URL with a host")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigurationError(f"{what} must not contain a query, fragment or credentials")
    if not host.isascii():
        import idna  # IDNA 2008, as httpx encodes hosts (the codec "idna" is IDNA 2003)

        try:
            host = idna.encode(host).decode("ascii")
        except UnicodeError:
            raise ConfigurationError(f"{what} has an invalid host name: {host!r}") from None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    prefix = quote(parts.path, safe=_PATH_SAFE).rstrip("/")
    return Endpoint(f"{scheme}://{netloc}", prefix)


def proxies_configured() -> bool:
    """Whether httpx would route requests through a proxy (then httpx carries them)."""
    proxies = environment_proxies()
    if any(proxies.get(scheme) for scheme in ("https", "http", "all")):
        return True
    if sys.platform in ("darwin", "win32"):  # system proxy settings, as httpx reads them
        from urllib.request import getproxies

        return any(getproxies().get(scheme) for scheme in ("http", "https", "all"))
    return False


def user_agent(package: str, version: str) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = platform.system() or "unknown"
    return f"{package}/{version} Python/{python} {system}"


def config_token(value: object, what: str) -> str:
    try:
        return check_token(value, what)
    except RequestValidationError as exc:
        raise ConfigurationError(f"{what} {exc.reason}") from None


def positive_number(value: object, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(f"{what} must be a positive number of seconds, got {value!r}")
    return float(value)


def positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"{what} must be a positive int, got {value!r}")
    return value


def retry_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{what} must be an int >= 0, got {value!r}")
    return value


def is_httpx(value: object, name: str) -> bool:
    """``isinstance(value, httpx.<name>)`` without importing httpx (not loaded: not an instance)."""
    module = sys.modules.get("httpx")
    return module is not None and isinstance(value, getattr(module, name))
