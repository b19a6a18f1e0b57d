"""Runtime of the generated WeChat Pay client: signing, verification, transport, retries, errors.

Copied verbatim from the generator's ``templates/runtime``; do not edit the generated copy.
Depends only on the standard library, ``httpx`` and ``cryptography``.
"""

from .client import (
    DEFAULT_BACKUP_BASE_URL,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncAPIClient,
    Operation,
    SyncAPIClient,
)
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DecryptionError,
    InternalServerError,
    NotFoundError,
    NotificationError,
    PermissionDeniedError,
    PlatformCertificateError,
    RateLimitError,
    RequestValidationError,
    ResponseTooLargeError,
    SignatureVerificationError,
    WeChatPayError,
)
from .keys import KeyInput
from .notification import Notification
from .raw_response import APIResponse
from .response import Response
from .signing import build_authorization

__all__ = [
    "DEFAULT_BACKUP_BASE_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIClient",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "DecryptionError",
    "InternalServerError",
    "KeyInput",
    "NotFoundError",
    "Notification",
    "NotificationError",
    "Operation",
    "PermissionDeniedError",
    "PlatformCertificateError",
    "RateLimitError",
    "RequestValidationError",
    "Response",
    "ResponseTooLargeError",
    "SignatureVerificationError",
    "SyncAPIClient",
    "WeChatPayError",
    "build_authorization",
]
