"""The shared client core, and the sync and async base classes the generated clients extend.

One implementation of a call: build the request once (target, body bytes, headers), then per attempt
sign afresh, send, verify every 2xx, map errors, and decide on retries and failover. It is
written as a generator (:meth:`_ClientBase._flow`) yielding "sign this" / "send this" / "sleep
this long" steps, so the sync and async clients differ only in how they carry out those steps.
"""

from __future__ import annotations

import logging
import math
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, Literal, Protocol, TypeVar, cast
from urllib.parse import quote, urlsplit

from .aead import ApiV3Key, load_api_v3_key
from .certificates import (
    CERTIFICATES_PATH,
    CertificateStore,
    certificate_store_for,
    download_failure,
    parse_certificates,
)
from .diagnosis import diagnose_sign_error
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    RequestValidationError,
    ResponseTooLargeError,
    SignatureVerificationError,
    WeChatPayError,
    make_status_error,
)
from .keys import KeyInput, PublicKey, load_private_key, load_public_key
from .log import configure_from_env, logger
from .notification import DEFAULT_MAX_NOTIFICATION_BYTES, Notification
from .notification import parse_notification as _parse_notification
from .request import check_extra_headers, encode_query, render_path, serialize_body
from .response import Response
from .retries import RETRY_STATUSES, RetryPolicy
from .sensitive import FieldPath, decrypt_fields, encrypt_fields
from .signing import SCHEMES, Signer, check_token, generate_nonce
from .transport import (
    DEFAULT_PORTS,
    Endpoint,
    RawResponse,
    SendAction,
    SignAction,
    SleepAction,
    TransportFailure,
    environment_proxies,
)
from .upload import Upload
from .verification import DEFAULT_MAX_CLOCK_SKEW, ResponseVerifier

if TYPE_CHECKING:  # httpx is imported only when an httpx client is in use
    import asyncio

    import httpx

    from .sign_workers import SignWorkers

__all__ = [
    "DEFAULT_BACKUP_BASE_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_NOTIFICATION_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncAPIClient",
    "Operation",
    "Response",
    "SyncAPIClient",
]

DEFAULT_BASE_URL: Final = "https://api.mch.weixin.qq.com"
DEFAULT_BACKUP_BASE_URL: Final = "https://api2.mch.weixin.qq.com"
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_MAX_RESPONSE_BYTES: Final = 10 * 1024 * 1024

_HttpT = TypeVar("_HttpT", "httpx.Client", "httpx.AsyncClient")
_TransportT = TypeVar("_TransportT", "_SyncTransport", "_AsyncTransport")
_SyncT = TypeVar("_SyncT", bound="SyncAPIClient")
_AsyncT = TypeVar("_AsyncT", bound="AsyncAPIClient")


@dataclass(frozen=True, slots=True)
class CertificatesAction:
    """A step of :meth:`_ClientBase._flow`: download the platform certificates, unless another
    call did since ``generation``. ``unknown_serial``: the serial an answer named (else a first
    or scheduled download)."""

    generation: int
    unknown_serial: str | None


_Step = SignAction | SendAction | SleepAction | CertificatesAction
_Outcome = RawResponse | TransportFailure | str | None


@dataclass(frozen=True, slots=True)
class Operation:
    """What the generated code knows about one endpoint."""

    operation_id: str
    method: str
    path: str  # template, e.g. "/v3/marketing/busifavor/stocks/{stock_id}/budget"
    auth_scheme: Literal["merchant", "brand"]
    has_body: bool
    #: The body is ``multipart/form-data`` with a signed ``meta`` part (an :class:`Upload`).
    multipart: bool = False
    #: 2xx statuses whose answer WeChat Pay does not sign (files such as bills); a JSON answer
    #: is verified all the same.
    unsigned_statuses: frozenset[int] = frozenset()
    #: Request fields encrypted with the WeChat Pay public key (paths of wire names, ``None``:
    #: every array item), and response fields decrypted with the caller's private key.
    sensitive_request: tuple[FieldPath, ...] = ()
    sensitive_response: tuple[FieldPath, ...] = ()


# Characters kept as they are in a base URL's path prefix (RFC 3986 pchar, "/" and "%").
_PATH_SAFE: Final = "/%:@!$&'()*+,;=-._~"


def _parse_base_url(value: object, what: str) -> Endpoint:
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


def _proxies_configured() -> bool:
    """Whether httpx would route requests through a proxy (then httpx carries them)."""
    proxies = environment_proxies()
    if any(proxies.get(scheme) for scheme in ("https", "http", "all")):
        return True
    if sys.platform in ("darwin", "win32"):  # system proxy settings, as httpx reads them
        from urllib.request import getproxies

        return any(getproxies().get(scheme) for scheme in ("http", "https", "all"))
    return False


def _user_agent(package: str, version: str) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = platform.system() or "unknown"
    return f"{package}/{version} Python/{python} {system}"


def _config_token(value: object, what: str) -> str:
    try:
        return check_token(value, what)
    except RequestValidationError as exc:
        raise ConfigurationError(f"{what} {exc.reason}") from None


def _positive_number(value: object, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(f"{what} must be a positive number of seconds, got {value!r}")
    return float(value)


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"{what} must be a positive int, got {value!r}")
    return value


def _retry_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{what} must be an int >= 0, got {value!r}")
    return value


class _SyncTransport(Protocol):
    @property
    def is_closed(self) -> bool: ...

    def send(self, action: SendAction) -> RawResponse | TransportFailure: ...

    def close(self) -> None: ...


class _AsyncTransport(Protocol):
    @property
    def is_closed(self) -> bool: ...

    def send(self, action: SendAction) -> Awaitable[RawResponse | TransportFailure]: ...

    async def close(self) -> None: ...


def _is_httpx(value: object, name: str) -> bool:
    """``isinstance(value, httpx.<name>)`` without importing httpx (not loaded: not an instance)."""
    module = sys.modules.get("httpx")
    return module is not None and isinstance(value, getattr(module, name))


class _ClientBase(Generic[_HttpT, _TransportT]):
    """Configuration, request building and the attempt loop shared by both clients.

    ``_HttpT`` is ``httpx.Client`` for the sync client and ``httpx.AsyncClient`` for the async
    one; ``_TransportT`` is what carries the requests (see :mod:`.transport`).
    """

    #: The generated client classes set these to their distribution's name and version.
    _package_name: ClassVar[str] = "wechatpay-client"
    _package_version: ClassVar[str] = "0"
    #: Backoff timing; a class attribute so tests (and users) can shorten it.
    _retry_policy: ClassVar[RetryPolicy] = RetryPolicy()
    #: Platform certificates: download again at least this often, and never more often than the
    #: minimum interval (unknown serials included); class attributes so tests can shorten them.
    _certificate_refresh_interval: ClassVar[float] = 12 * 3600.0
    _certificate_min_interval: ClassVar[float] = 60.0
    #: Callback event type -> the generated model's ``from_dict`` (set by the generated class);
    #: a callback of any other event type gives its decrypted resource as a ``dict``.
    _notification_models: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    def __init__(
        self,
        *,
        mchid: str | None = None,
        brand_id: str | None = None,
        serial_no: str,
        private_key: KeyInput,
        wechatpay_public_key_id: str | None = None,
        wechatpay_public_key: KeyInput | None = None,
        base_url: str = DEFAULT_BASE_URL,
        backup_base_url: str | None = DEFAULT_BACKUP_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: _HttpT | None = None,
        max_clock_skew: int = DEFAULT_MAX_CLOCK_SKEW,
        wechatpay_public_keys: Mapping[str, KeyInput] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        api_v3_key: str | bytes | None = None,
        max_notification_bytes: int = DEFAULT_MAX_NOTIFICATION_BYTES,
        platform_certificates: bool | None = None,
    ) -> None:
        configure_from_env()
        if http_client is not None:
            self._check_http_client(http_client)  # before anything else: a clear error first
        if (mchid is None) == (brand_id is None):
            raise ConfigurationError(
                "pass exactly one of mchid= (merchant and service-provider APIs, /v3/...) or "
                "brand_id= (brand APIs, /brand/...)" + ("; got both" if mchid is not None else "")
            )
        scheme: Literal["merchant", "brand"] = "merchant" if mchid is not None else "brand"
        identity = _config_token(mchid if mchid is not None else brand_id, SCHEMES[scheme][1])
        serial = _config_token(serial_no, "serial_no")
        self._api_v3_key: ApiV3Key | None = (
            None if api_v3_key is None else load_api_v3_key(api_v3_key)
        )
        if (wechatpay_public_key_id is None) != (wechatpay_public_key is None):
            raise ConfigurationError(
                "pass both wechatpay_public_key_id= and wechatpay_public_key= (the WeChat Pay "
                "public key), or neither (platform-certificate mode, with api_v3_key=)"
            )
        #: Platform certificates (certificate and migration modes), else None.
        self._certificates = certificate_store_for(
            scheme=scheme,
            have_public_key=wechatpay_public_key is not None,
            have_api_v3_key=self._api_v3_key is not None,
            wanted=platform_certificates,
            refresh_interval=self._certificate_refresh_interval,
            min_interval=self._certificate_min_interval,
        )
        self._private_key = load_private_key(private_key)
        self._signer = Signer(scheme, identity, serial, self._private_key)

        public_keys: dict[str, PublicKey] = {}
        key_id: str | None = None
        if wechatpay_public_key_id is not None and wechatpay_public_key is not None:
            key_id = _config_token(wechatpay_public_key_id, "wechatpay_public_key_id")
            public_keys[key_id] = load_public_key(wechatpay_public_key)
        for extra_id, extra_key in (wechatpay_public_keys or {}).items():
            extra_id = _config_token(extra_id, "wechatpay_public_keys key")
            loaded = load_public_key(extra_key, what=f"wechatpay_public_keys[{extra_id!r}]")
            known = public_keys.get(extra_id)
            if known is not None and not known.same_key(loaded):
                raise ConfigurationError(
                    f"wechatpay_public_keys[{extra_id!r}] differs from wechatpay_public_key "
                    "for the same id"
                )
            public_keys[extra_id] = loaded
        #: The key sensitive request fields are encrypted with, and its id (Wechatpay-Serial).
        self._encryption_key: tuple[str, PublicKey] | None = (
            None if key_id is None else (key_id, public_keys[key_id])
        )
        self._verifier = ResponseVerifier(
            public_keys,
            max_clock_skew=_positive_int(max_clock_skew, "max_clock_skew"),
            certificates=self._certificates,
        )

        self._bases = [_parse_base_url(base_url, "base_url")]
        if backup_base_url is not None:
            self._bases.append(_parse_base_url(backup_base_url, "backup_base_url"))
        self.timeout = _positive_number(timeout, "timeout")
        self.max_retries = _retry_count(max_retries, "max_retries")
        self.max_response_bytes = _positive_int(max_response_bytes, "max_response_bytes")
        self.max_notification_bytes = _positive_int(
            max_notification_bytes, "max_notification_bytes"
        )

        self._headers: dict[str, str] = {
            "Accept": "application/json",
            "User-Agent": _user_agent(self._package_name, self._package_version),
            # Bodies are small JSON; identity keeps the size limit meaningful (no zip bombs).
            "Accept-Encoding": "identity",
        }
        if key_id is not None:  # certificate mode has no public key id to name
            self._headers["Wechatpay-Serial"] = key_id
        self._headers_with_body = {**self._headers, "Content-Type": "application/json"}

        #: What carries the requests: the built-in keep-alive transport by default; httpx for a
        #: caller's ``http_client=`` (kept open on close) or when proxy variables are set.
        self._http: _TransportT = self._new_transport(http_client)

    def _check_http_client(self, http_client: object) -> None:
        raise NotImplementedError

    def _new_transport(self, http_client: _HttpT | None) -> _TransportT:
        raise NotImplementedError

    # -- introspection -------------------------------------------------------------------------

    @property
    def auth_scheme(self) -> Literal["merchant", "brand"]:
        return self._signer.scheme

    @property
    def base_url(self) -> str:
        return self._bases[0].display

    @property
    def backup_base_url(self) -> str | None:
        return self._bases[1].display if len(self._bases) > 1 else None

    @property
    def verification_mode(self) -> Literal["public-key", "certificate", "migration"]:
        """``public-key``, ``certificate`` (platform certificates only) or ``migration`` (both)."""
        store = self._certificates
        if store is None:
            return "public-key"
        return "certificate" if store.required else "migration"

    @property
    def platform_certificate_serials(self) -> list[str]:
        """The serial numbers of the platform certificates loaded so far (sorted)."""
        store = self._certificates
        return sorted(store.keys) if store is not None else []

    def __repr__(self) -> str:
        field = SCHEMES[self._signer.scheme][1]
        return (
            f"{type(self).__name__}({field}={self._signer.identity!r}, "
            f"serial_no={self._signer.serial_no!r}, base_url={self.base_url!r})"
        )

    # -- callbacks -----------------------------------------------------------------------------

    def parse_notification(self, *, headers: Mapping[str, str], body: bytes) -> Notification:
        """Verify, decrypt and parse a callback (event notification) WeChat Pay POSTed to you.

        ``headers`` are the request's headers (any mapping; names are matched case-insensitively)
        and ``body`` the raw request body bytes exactly as received: never parsed and
        re-serialized JSON. No I/O: it runs the same in sync and async code.

        Returns a :class:`Notification` whose ``resource`` is the generated model of the event
        type when the specs describe it, else a ``dict``. Raises
        :class:`SignatureVerificationError` for a bad, stale or probe signature,
        :class:`DecryptionError` when the resource does not decrypt with ``api_v3_key``, and
        :class:`NotificationError` for a body over ``max_notification_bytes`` (checked before any
        cryptography) or not of the documented shape.
        """
        return _parse_notification(
            headers=headers,
            body=body,
            verifier=self._verifier,
            api_v3_key=self._api_v3_key,
            models=self._notification_models,
            max_bytes=self.max_notification_bytes,
        )

    # -- one call ------------------------------------------------------------------------------

    def _sensitive_key(self, op: Operation) -> tuple[str, PublicKey]:
        key = self._encryption_key
        if key is None:
            raise ConfigurationError(
                f"{op.operation_id} sends sensitive fields, which are encrypted with the WeChat "
                "Pay public key: create the client with wechatpay_public_key_id= and "
                "wechatpay_public_key="
            )
        return key

    def _content(
        self, op: Operation, body: Mapping[str, Any] | None, upload: Upload | None
    ) -> tuple[bytes | None, bytes, Mapping[str, str]]:
        """The body bytes to send, the bytes to sign, and the headers, built once per call."""
        if op.multipart:
            if upload is None or body is not None:
                raise RequestValidationError("file", f"{op.operation_id} uploads a file")
            content, content_type = upload.encode()
            return content, upload.meta, {**self._headers, "Content-Type": content_type}
        if upload is not None:
            raise RequestValidationError("file", f"{op.operation_id} takes no file")
        if not op.has_body:
            if body is not None:
                raise RequestValidationError("", f"{op.operation_id} takes no request body")
            return None, b"", self._headers
        data: Any = body if body is not None else {}
        headers = self._headers_with_body
        if op.sensitive_request:
            key_id, key = self._sensitive_key(op)
            data = encrypt_fields(data, op.sensitive_request, key)
            headers = {**headers, "Wechatpay-Serial": key_id}
        content = serialize_body(data)
        return content, content, headers

    def _flow(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        body: Mapping[str, Any] | None,
        extra_headers: Mapping[str, str] | None,
        max_retries: int | None,
        timeout: float | None,
        query: Sequence[tuple[str, object]] | None = None,
        upload: Upload | None = None,
        max_response_bytes: int | None = None,
        certificates_call: bool = False,
    ) -> Generator[_Step, _Outcome, Response]:
        """Every attempt of one call. Raises before the first yield if the call is invalid.

        ``certificates_call``: the download of the platform certificates itself (verified with a
        certificate it carries; it never asks for another download).
        """
        signer = self._signer
        if op.auth_scheme != signer.scheme:
            needed = SCHEMES[op.auth_scheme][1]
            have = SCHEMES[signer.scheme][1]
            raise WeChatPayError(
                f"{op.operation_id} is a {op.auth_scheme} API and needs a client created with "
                f"{needed}=; this client was created with {have}="
            )
        target = render_path(op.path, path_params)
        if query:
            encoded = encode_query(query)
            if encoded:
                target = f"{target}?{encoded}"
        content, signed_body, headers = self._content(op, body, upload)
        size_limit = (
            self.max_response_bytes
            if max_response_bytes is None
            else _positive_int(max_response_bytes, "max_response_bytes")
        )
        if extra_headers:
            headers = _merge_headers(headers, check_extra_headers(extra_headers))
        retries = (
            self.max_retries if max_retries is None else _retry_count(max_retries, "max_retries")
        )
        seconds = self.timeout if timeout is None else _positive_number(timeout, "timeout")

        method = op.method.upper()
        store = None if certificates_call else self._certificates
        if store is not None and store.due():
            loaded = store.loaded
            try:
                yield CertificatesAction(store.generation, None)
            except WeChatPayError as exc:
                if not loaded:
                    raise  # certificate mode: nothing could verify the answer
                logger.warning("platform certificate refresh failed, keeping the loaded: %s", exc)
        attempts = retries + 1
        base_index = 0
        attempt = 0
        while attempt < attempts:
            attempt += 1
            base = self._bases[base_index]
            canonical = base.prefix + target
            send_headers = dict(headers)
            # Timestamp and nonce fixed here, so a SIGN_ERROR can say exactly what was signed.
            timestamp, nonce = int(time.time()), generate_nonce()
            authorization = yield SignAction(
                partial(signer.authorization, method, canonical, signed_body, timestamp, nonce)
            )
            if not isinstance(authorization, str):  # a driver bug: never send it unsigned
                raise AssertionError("a SignAction was answered with no Authorization value")
            send_headers["Authorization"] = authorization
            started = time.perf_counter()
            outcome = yield SendAction(
                method, base, canonical, send_headers, content, seconds, size_limit
            )
            elapsed_ms = (time.perf_counter() - started) * 1000.0
            last = attempt == attempts

            if isinstance(outcome, TransportFailure):
                reason = _describe_failure(outcome)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "%s %s failed: %s (attempt %d, %.1f ms)",
                        method,
                        canonical,
                        reason,
                        attempt,
                        elapsed_ms,
                    )
                fail_over = outcome.failover and base_index + 1 < len(self._bases)
                # No connection to the primary at all: the request cannot have been received,
                # so the backup gets a try even when the retries are used up (max_retries=0
                # included). After a timeout waiting for an answer it might have been: then
                # only a retry left may go to the backup, so "max_retries=0" still means "sent
                # at most once".
                extra_try = fail_over and last and outcome.unsent
                if not outcome.retryable or (last and not extra_try):
                    raise _connection_error(outcome, method, canonical, base, seconds)
                if fail_over:
                    # The backup is another access point: try it at once, no backoff.
                    base_index += 1
                    delay = 0.0
                    if extra_try:
                        attempts += 1
                    logger.info(
                        "failing over from %s to the backup %s after %s",
                        base.display,
                        self._bases[base_index].display,
                        reason,
                    )
                else:
                    delay, _ = self._retry_policy.delay(attempt - 1, None)
                logger.info(
                    "retrying %s %s (attempt %d of %d) after %s, in %.2f s",
                    method,
                    canonical,
                    attempt + 1,
                    attempts,
                    reason,
                    delay,
                )
                if delay > 0:
                    yield SleepAction(delay)
                continue

            assert isinstance(outcome, RawResponse)
            status = outcome.status_code
            request_id = outcome.headers.get("Request-ID")
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s -> %d request_id=%s (attempt %d, %.1f ms)",
                    method,
                    canonical,
                    status,
                    request_id,
                    attempt,
                    elapsed_ms,
                    # The same facts as fields, for structured log handlers.
                    extra={
                        "wechatpay_status_code": status,
                        "wechatpay_request_id": request_id,
                        "wechatpay_attempt": attempt,
                        "wechatpay_elapsed_ms": elapsed_ms,
                    },
                )
            if 200 <= status < 300:
                if outcome.too_large:
                    raise ResponseTooLargeError(
                        size_limit, request_id=request_id, status_code=status
                    )
                if status not in op.unsigned_statuses or _is_json(outcome):
                    carried = self._carried_keys(outcome, request_id) if certificates_call else None
                    try:
                        self._verifier.verify(
                            outcome.headers,
                            outcome.content,
                            request_id=request_id,
                            status_code=status,
                            extra_keys=carried,
                        )
                    except SignatureVerificationError as exc:
                        serial = exc.unknown_serial
                        if store is None or serial is None or not store.may_refresh_for(serial):
                            raise
                        try:  # a rotated certificate: look for it once
                            yield CertificatesAction(store.generation, serial)
                        except WeChatPayError as failure:
                            raise SignatureVerificationError(
                                f"{exc.reason}; downloading the platform certificates to look "
                                f"for it failed: {failure}",
                                request_id=request_id,
                                status_code=status,
                                unknown_serial=serial,
                            ) from failure
                        self._verifier.verify(
                            outcome.headers,
                            outcome.content,
                            request_id=request_id,
                            status_code=status,
                        )
                response = Response(status, outcome.headers, outcome.content, request_id)
                if op.sensitive_response and outcome.content:
                    response.set_json(
                        decrypt_fields(
                            response.json(),
                            op.sensitive_response,
                            self._private_key,
                            request_id=request_id,
                            status_code=status,
                        )
                    )
                return response

            error = make_status_error(
                status, outcome.content, request_id=request_id, headers=outcome.headers
            )
            if isinstance(error, AuthenticationError) and error.code == "SIGN_ERROR":
                scheme_word, identity_field = SCHEMES[signer.scheme]
                error.attach_diagnosis(
                    diagnose_sign_error(
                        scheme=scheme_word,
                        identity_field=identity_field,
                        identity=signer.identity,
                        serial_no=signer.serial_no,
                        method=method,
                        url=canonical,
                        timestamp=timestamp,
                        nonce=nonce,
                        body=signed_body,
                        date_header=outcome.headers.get("Date"),
                    )
                )
            if status not in RETRY_STATUSES or last:
                raise error
            delay, from_header = self._retry_policy.delay(
                attempt - 1, outcome.headers.get("Retry-After")
            )
            logger.info(
                "retrying %s %s (attempt %d of %d) after HTTP %d request_id=%s, in %.2f s%s",
                method,
                canonical,
                attempt + 1,
                attempts,
                status,
                request_id,
                delay,
                " (Retry-After)" if from_header else "",
            )
            yield SleepAction(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # -- platform certificates ----------------------------------------------------------------

    def _carried_keys(self, outcome: RawResponse, request_id: str | None) -> dict[str, PublicKey]:
        """The keys of the certificates a download carries (it must be signed by one of them)."""
        assert self._api_v3_key is not None  # a certificate store implies the key
        found = parse_certificates(
            outcome.content, self._api_v3_key, now=time.time(), request_id=request_id
        )
        return {serial: cert.key for serial, cert in found.items()}

    def _certificates_flow(self) -> Generator[_Step, _Outcome, Response]:
        return self._flow(_CERTIFICATES, {}, None, None, None, None, certificates_call=True)

    def _install_certificates(self, response: Response) -> None:
        store = self._certificates
        assert store is not None and self._api_v3_key is not None
        found = parse_certificates(
            response.content, self._api_v3_key, now=time.time(), request_id=response.request_id
        )
        store.install(found)
        logger.info("loaded platform certificates %s", ", ".join(sorted(found)))

    def _store_or_fail(self) -> CertificateStore:
        store = self._certificates
        if store is None:
            raise ConfigurationError(
                "this client verifies with the WeChat Pay public key only; platform certificates "
                "need api_v3_key= (and platform_certificates not False)"
            )
        return store


def _is_json(response: RawResponse) -> bool:
    """Whether an answer is JSON (by its Content-Type, or by its first byte when that is
    missing): an answer the spec marks unsigned is verified all the same when it is JSON."""
    media = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return True
    return response.content[:256].lstrip()[:1] in (b"{", b"[")  # no copy of a file


_CERTIFICATES = Operation(
    operation_id="download_certificates",
    method="GET",
    path=CERTIFICATES_PATH,
    auth_scheme="merchant",
    has_body=False,
)


def _merge_headers(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    lowered = {name.lower() for name in extra}
    merged = {name: value for name, value in base.items() if name.lower() not in lowered}
    merged.update(extra)
    return merged


def _describe_failure(failure: TransportFailure) -> str:
    kind = type(failure.error).__name__
    text = str(failure.error)
    return f"{kind}: {text}" if text else kind


def _connection_error(
    failure: TransportFailure, method: str, target: str, base: Endpoint, timeout: float
) -> APIConnectionError:
    where = f"{method} {base.display}{target[len(base.prefix):]}"
    if failure.timed_out:
        error: APIConnectionError = APITimeoutError(
            f"{where} timed out (timeout {timeout:g} s): {_describe_failure(failure)}"
        )
    else:
        error = APIConnectionError(f"{where} failed: {_describe_failure(failure)}")
    error.__cause__ = failure.error
    return error


class SyncAPIClient(_ClientBase["httpx.Client", _SyncTransport]):
    """Base of the generated ``WeChatPayClient`` (blocking).

    Requests go over the built-in keep-alive transport, or over ``http_client=`` (an
    ``httpx.Client``) when one is given.
    """

    def _check_http_client(self, http_client: object) -> None:
        if not _is_httpx(http_client, "Client"):
            hint = " (the async client takes it)" if _is_httpx(http_client, "AsyncClient") else ""
            raise ConfigurationError(
                f"http_client must be an httpx.Client, got {type(http_client).__name__}{hint}"
            )

    def _new_transport(self, http_client: httpx.Client | None) -> _SyncTransport:
        if http_client is None and not _proxies_configured():
            from .sync_pool import SyncPool

            return SyncPool()
        from .httpx_transport import HttpxSyncTransport, new_sync_client

        if http_client is not None:
            return HttpxSyncTransport(http_client, owned=False)
        return HttpxSyncTransport(new_sync_client(self.timeout), owned=True, timeout=self.timeout)

    def _request(
        self,
        op: Operation,
        *,
        path_params: Mapping[str, str],
        body: Mapping[str, Any] | None,
        extra_headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        query: Sequence[tuple[str, object]] | None = None,
        upload: Upload | None = None,
        max_response_bytes: int | None = None,
    ) -> Response:
        flow = self._flow(
            op,
            path_params,
            body,
            extra_headers,
            max_retries,
            timeout,
            query,
            upload,
            max_response_bytes,
        )
        return self._run(flow)

    def _run(self, flow: Generator[_Step, _Outcome, Response]) -> Response:
        transport = self._http
        if transport.is_closed:
            raise WeChatPayError("this client is closed")
        step = next(flow)
        while True:
            outcome: _Outcome = None
            try:
                if isinstance(step, SignAction):
                    outcome = step.sign()
                elif isinstance(step, SleepAction):
                    time.sleep(step.seconds)
                elif isinstance(step, CertificatesAction):
                    try:
                        self._download_certificates(step.generation)
                    except WeChatPayError as exc:
                        step = flow.throw(exc)
                        continue
                else:
                    outcome = transport.send(step)
                step = flow.send(outcome)
            except StopIteration as done:
                return cast(Response, done.value)

    def _download_certificates(self, generation: int | None) -> None:
        """One download at a time; none when another thread's finished since ``generation``."""
        store = self._store_or_fail()
        with store.lock:
            if generation is not None and store.generation != generation:
                return
            store.attempted()
            try:
                response = self._run(self._certificates_flow())
            except APIStatusError as exc:
                raise download_failure(exc) from exc
            self._install_certificates(response)

    def refresh_certificates(self) -> list[str]:
        """Download the platform certificates now; returns the serial numbers loaded.

        API calls do not need it (they download when needed); callbacks do, in certificate mode:
        call it at start-up, and when a callback names a serial the client does not know.
        """
        self._download_certificates(None)
        return self.platform_certificate_serials

    def close(self) -> None:
        """Close the connections (never a caller's ``http_client``, which stays open)."""
        self._http.close()

    def __enter__(self: _SyncT) -> _SyncT:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncAPIClient(_ClientBase["httpx.AsyncClient", _AsyncTransport]):
    """Base of the generated ``AsyncWeChatPayClient`` (asyncio).

    Requests go over the built-in keep-alive transport, or over ``http_client=`` (an
    ``httpx.AsyncClient``) when one is given. While more than one call is in flight, their
    signatures are computed in worker threads.
    """

    #: Threads that sign requests; created when first needed, shut down by ``close()``.
    _sign_pool: SignWorkers | None = None
    #: Calls of this client under way (past validation, not yet returned or raised).
    _in_flight: int = 0
    #: The platform-certificate download under way (shared by the calls that need it).
    _certificate_task: asyncio.Future[None] | None = None

    def _check_http_client(self, http_client: object) -> None:
        if not _is_httpx(http_client, "AsyncClient"):
            hint = " (the sync client takes it)" if _is_httpx(http_client, "Client") else ""
            raise ConfigurationError(
                f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}{hint}"
            )

    def _new_transport(self, http_client: httpx.AsyncClient | None) -> _AsyncTransport:
        if http_client is None and not _proxies_configured():
            from .async_pool import AsyncPool

            return AsyncPool()
        from .httpx_transport import HttpxAsyncTransport, new_async_client

        if http_client is not None:
            return HttpxAsyncTransport(http_client, owned=False)
        return HttpxAsyncTransport(new_async_client(self.timeout), owned=True, timeout=self.timeout)

    async def _request(
        self,
        op: Operation,
        *,
        path_params: Mapping[str, str],
        body: Mapping[str, Any] | None,
        extra_headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        query: Sequence[tuple[str, object]] | None = None,
        upload: Upload | None = None,
        max_response_bytes: int | None = None,
    ) -> Response:
        flow = self._flow(
            op,
            path_params,
            body,
            extra_headers,
            max_retries,
            timeout,
            query,
            upload,
            max_response_bytes,
        )
        return await self._run(flow)

    async def _run(self, flow: Generator[_Step, _Outcome, Response]) -> Response:
        transport = self._http
        if transport.is_closed:
            raise WeChatPayError("this client is closed")
        step = next(flow)
        self._in_flight += 1
        try:
            while True:
                outcome: _Outcome = None
                try:
                    if isinstance(step, SignAction):
                        # A lone call signs here: handing one signature to a thread costs more
                        # than it saves. With more in flight, threads sign in parallel.
                        outcome = (
                            step.sign() if self._in_flight == 1 else await self._sign_off_loop(step)
                        )
                    elif isinstance(step, SleepAction):
                        import asyncio  # the blocking client never imports asyncio

                        await asyncio.sleep(step.seconds)
                    elif isinstance(step, CertificatesAction):
                        try:
                            await self._download_certificates(step.generation)
                        except WeChatPayError as exc:
                            step = flow.throw(exc)
                            continue
                    else:
                        outcome = await transport.send(step)
                    step = flow.send(outcome)
                except StopIteration as done:
                    return cast(Response, done.value)
        finally:
            self._in_flight -= 1

    async def _download_certificates(self, generation: int | None) -> None:
        """Single flight: concurrent calls that need the certificates share one download."""
        import asyncio

        store = self._store_or_fail()
        task = self._certificate_task
        if task is None or task.done():
            if generation is not None and store.generation != generation:
                return  # another call's download finished meanwhile
            task = self._certificate_task = asyncio.ensure_future(self._download_once(store))
        await asyncio.shield(task)

    async def _download_once(self, store: CertificateStore) -> None:
        store.attempted()
        try:
            response = await self._run(self._certificates_flow())
        except APIStatusError as exc:
            raise download_failure(exc) from exc
        self._install_certificates(response)

    async def refresh_certificates(self) -> list[str]:
        """Download the platform certificates now; returns the serial numbers loaded.

        API calls do not need it (they download when needed); callbacks do, in certificate mode:
        call it at start-up, and when a callback names a serial the client does not know.
        """
        await self._download_certificates(None)
        return self.platform_certificate_serials

    async def _sign_off_loop(self, step: SignAction) -> str:
        """Sign in a worker thread, not on the event loop.

        An RSA-2048 signature takes 0.25-0.7 ms of CPU, during which the loop would serve no other
        call. cryptography releases the GIL while it signs, so with calls in flight the threads
        sign in parallel on other cores while the loop sends and verifies (one thread per core, up
        to 4): at 64 in flight this raised throughput ~1.5x on two cores (BENCHMARKS.md). The
        threads are :class:`.sign_workers.SignWorkers` (leaner than ``run_in_executor``).
        """
        if self._http.is_closed:  # a call still under way after close(): no new threads
            return step.sign()
        pool = self._sign_pool
        if pool is None:
            from .sign_workers import SignWorkers

            pool = self._sign_pool = SignWorkers(max(1, min(4, os.cpu_count() or 1)))
        return await pool.sign(step.sign)

    async def close(self) -> None:
        """Close the connections (never a caller's ``http_client``, which stays open)."""
        pool, self._sign_pool = self._sign_pool, None
        if pool is not None:
            pool.close()
        await self._http.close()

    aclose = close

    async def __aenter__(self: _AsyncT) -> _AsyncT:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
