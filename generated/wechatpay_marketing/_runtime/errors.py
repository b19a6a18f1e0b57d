"""The exception hierarchy, and the mapping of an HTTP error response onto it.

Every exception's ``str()`` and ``repr()`` are built only from non-secret facts: HTTP status, the
server's error code and message, the ``Request-ID``. Keys, signatures and Authorization values are
never passed to these classes, so they cannot leak through them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .diagnosis import SignDiagnosis

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "DecryptionError",
    "InternalServerError",
    "NotFoundError",
    "NotificationError",
    "PermissionDeniedError",
    "PlatformCertificateError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseTooLargeError",
    "SignatureVerificationError",
    "WeChatPayError",
    "make_status_error",
]

# Server-provided text is echoed in str(err); keep a hostile server from making it enormous.
_MAX_TEXT = 500


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _with_request_id(text: str, request_id: str | None) -> str:
    return f"{text} (request id: {request_id})" if request_id else text


class WeChatPayError(Exception):
    """Base class of every error raised by this package."""


class ConfigurationError(WeChatPayError, ValueError):
    """The client was constructed with missing, conflicting or unusable settings or keys."""


class RequestValidationError(WeChatPayError, ValueError):
    """The request broke the spec before anything was sent.

    ``path`` names the offending field (``"plan.budget"``, ``"items[0].name"``, a path parameter
    name), or is ``""`` when the whole request is at fault; ``reason`` says what is wrong.
    """

    def __init__(self, path: str | Sequence[str | int], reason: str) -> None:
        self.path = path if isinstance(path, str) else _join_path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r}, reason={self.reason!r})"


def _join_path(parts: Sequence[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class APIStatusError(WeChatPayError):
    """The server answered with a non-2xx status.

    ``code``, ``message`` and ``detail`` come from the JSON error body when there is one; they are
    ``None`` when the body is empty or not JSON (gateways answer 404/405/502 with HTML or nothing).
    ``body`` keeps the raw bytes (possibly truncated at the client's response-size limit).
    """

    status_code: int

    def __init__(
        self,
        status_code: int,
        *,
        code: str | None = None,
        message: str | None = None,
        detail: Any = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        self.detail = detail
        self.request_id = request_id
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.body = body
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"HTTP {self.status_code}"
        if self.code:
            text += f" {_clip(self.code)}"
        if self.message:
            text += f": {_clip(self.message)}"
        return _with_request_id(text, self.request_id)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, code={self.code!r}, "
            f"message={None if self.message is None else _clip(self.message)!r}, "
            f"request_id={self.request_id!r})"
        )


class BadRequestError(APIStatusError):
    """HTTP 400 (``PARAM_ERROR``, ``INVALID_REQUEST``, ...)."""


class AuthenticationError(APIStatusError):
    """HTTP 401 (``SIGN_ERROR``): the server rejected the request signature.

    For ``SIGN_ERROR`` the client adds ``diagnosis`` (and a summary to the message): what it
    signed, when by the local and the server's clock, and as which identity and serial.
    """

    diagnosis: SignDiagnosis | None = None

    def attach_diagnosis(self, diagnosis: SignDiagnosis) -> None:
        self.diagnosis = diagnosis
        self.args = (f"{self._describe()}\n  {diagnosis.summary()}",)


class PermissionDeniedError(APIStatusError):
    """HTTP 403 (``NO_AUTH``, ``RULE_LIMIT``, ...)."""


class NotFoundError(APIStatusError):
    """HTTP 404 (``RESOURCE_NOT_EXISTS``, ``NOT_FOUND``)."""


class RateLimitError(APIStatusError):
    """HTTP 429: too many requests (``FREQUENCY_LIMITED``, ``RATELIMIT_EXCEEDED``, ...)."""


class InternalServerError(APIStatusError):
    """HTTP 5xx (``SYSTEM_ERROR``, ``SERVICE_UNAVAILABLE``, ...)."""


class APIConnectionError(WeChatPayError):
    """No usable HTTP response: DNS, connect, TLS, reset connection, protocol error."""

    def __init__(self, message: str = "connection error", *, request_id: str | None = None) -> None:
        self.request_id = request_id
        super().__init__(_with_request_id(message, request_id))


class APITimeoutError(APIConnectionError):
    """The request (or reading its response) took longer than the configured timeout."""

    def __init__(
        self, message: str = "request timed out", *, request_id: str | None = None
    ) -> None:
        super().__init__(message, request_id=request_id)


class SignatureVerificationError(WeChatPayError):
    """A 2xx response or a callback failed verification; treat it as forged. Its data is never
    returned.

    ``subject`` is ``"response"`` or ``"callback"``. ``unknown_serial`` is the ``Wechatpay-Serial``
    when no configured key or loaded platform certificate has that id (else ``None``).
    """

    def __init__(
        self,
        reason: str,
        *,
        request_id: str | None = None,
        status_code: int | None = None,
        subject: str = "response",
        unknown_serial: str | None = None,
    ) -> None:
        self.reason = reason
        self.request_id = request_id
        self.status_code = status_code
        self.subject = subject
        self.unknown_serial = unknown_serial
        super().__init__(
            _with_request_id(f"{subject} signature verification failed: {reason}", request_id)
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(reason={self.reason!r}, request_id={self.request_id!r}, "
            f"status_code={self.status_code!r})"
        )


class NotificationError(WeChatPayError):
    """A callback (event notification) that cannot be used: too large, not the documented JSON,
    or a resource of the wrong shape. The message names what is wrong, never the decrypted data.
    """


class DecryptionError(WeChatPayError):
    """An ``AEAD_AES_256_GCM`` ciphertext (callback resource, platform certificate) that does not
    decrypt: a wrong ``api_v3_key`` or tampered data. Never holds the key or any plaintext.
    """


class PlatformCertificateError(WeChatPayError):
    """The platform certificates (``GET /v3/certificates``) could not be obtained or used.

    ``status_code`` and ``request_id`` are those of the download's answer when there was one.
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, request_id: str | None = None
    ) -> None:
        self.status_code = status_code
        self.request_id = request_id
        super().__init__(_with_request_id(message, request_id))


class APIResponseValidationError(WeChatPayError):
    """A verified 2xx response whose body does not parse (not JSON, or not the documented shape)."""

    def __init__(
        self, message: str, *, request_id: str | None = None, status_code: int | None = None
    ) -> None:
        self.request_id = request_id
        self.status_code = status_code
        super().__init__(_with_request_id(message, request_id))


class ResponseTooLargeError(WeChatPayError):
    """A 2xx response body exceeded the client's size limit; it was not read, nor returned."""

    def __init__(self, limit: int, *, request_id: str | None = None, status_code: int) -> None:
        self.limit = limit
        self.request_id = request_id
        self.status_code = status_code
        super().__init__(
            _with_request_id(
                f"HTTP {status_code} response body is larger than the {limit}-byte limit "
                "(max_response_bytes); refused",
                request_id,
            )
        )


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The exception class for an HTTP status (any 5xx → ``InternalServerError``)."""
    if 500 <= status_code <= 599:
        return InternalServerError
    return _STATUS_CLASSES.get(status_code, APIStatusError)


def make_status_error(
    status_code: int,
    body: bytes,
    *,
    request_id: str | None,
    headers: Mapping[str, str] | None = None,
) -> APIStatusError:
    """Build the error for a non-2xx response, parsing its body leniently.

    Classification is by status only; ``code``/``message``/``detail`` are taken from the body when
    it is a JSON object holding them as the documented types, and are ``None`` otherwise.
    """
    code: str | None = None
    message: str | None = None
    detail: Any = None
    if body:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            raw_code, raw_message = data.get("code"), data.get("message")
            code = raw_code if isinstance(raw_code, str) else None
            message = raw_message if isinstance(raw_message, str) else None
            detail = data.get("detail")
    return status_error_class(status_code)(
        status_code,
        code=code,
        message=message,
        detail=detail,
        request_id=request_id,
        headers=headers,
        body=body,
    )
