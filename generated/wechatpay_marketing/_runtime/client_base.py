"""What the sync and async clients share: the constructor (settings and keys read and checked
once), introspection, and callbacks.

The calls themselves are :class:`.call_flow.CallFlow`; how requests are carried is
:mod:`.transport` (the two :class:`typing.Protocol` classes here are what a client needs of it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Protocol, TypeVar

from .aead import ApiV3Key, load_api_v3_key
from .call_flow import CallFlow
from .certificates import certificate_store_for
from .config import (
    DEFAULT_BACKUP_BASE_URL,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    config_token,
    parse_base_url,
    positive_int,
    positive_number,
    retry_count,
    user_agent,
)
from .errors import ConfigurationError
from .keys import KeyInput, PublicKey, load_private_key, load_public_key
from .log import configure_from_env
from .notification import DEFAULT_MAX_NOTIFICATION_BYTES, Notification
from .notification import parse_notification as _parse_notification
from .retries import RetryPolicy
from .signing import SCHEMES, Signer
from .transport import RawResponse, SendAction, TransportFailure
from .verification import DEFAULT_MAX_CLOCK_SKEW, ResponseVerifier

if TYPE_CHECKING:  # httpx is imported only when an httpx client is in use
    import httpx

__all__ = ["AsyncTransport", "ClientBase", "SyncTransport"]

_HttpT = TypeVar("_HttpT", "httpx.Client", "httpx.AsyncClient")
_TransportT = TypeVar("_TransportT", "SyncTransport", "AsyncTransport")


class SyncTransport(Protocol):
    @property
    def is_closed(self) -> bool: ...

    def send(self, action: SendAction) -> RawResponse | TransportFailure: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    @property
    def is_closed(self) -> bool: ...

    def send(self, action: SendAction) -> Awaitable[RawResponse | TransportFailure]: ...

    async def close(self) -> None: ...


class ClientBase(CallFlow, Generic[_HttpT, _TransportT]):
    """Configuration, introspection and callbacks shared by both clients (the calls: CallFlow).

    ``_HttpT`` is ``httpx.Client`` for the sync client and ``httpx.AsyncClient`` for the async
    one; ``_TransportT`` is what carries the requests (see :mod:`.transport`).
    """

    #: The generated client classes set these to their distribution's name and version.
    _package_name: ClassVar[str] = "wechatpay-client"
    _package_version: ClassVar[str] = "0"
    #: Backoff timing; a class attribute, so tests (and users) can shorten it for a class or for
    #: one client.
    _retry_policy: RetryPolicy = RetryPolicy()
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
        identity = config_token(mchid if mchid is not None else brand_id, SCHEMES[scheme][1])
        serial = config_token(serial_no, "serial_no")
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
            key_id = config_token(wechatpay_public_key_id, "wechatpay_public_key_id")
            public_keys[key_id] = load_public_key(wechatpay_public_key)
        for extra_id, extra_key in (wechatpay_public_keys or {}).items():
            extra_id = config_token(extra_id, "wechatpay_public_keys key")
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
            max_clock_skew=positive_int(max_clock_skew, "max_clock_skew"),
            certificates=self._certificates,
        )

        self._bases = [parse_base_url(base_url, "base_url")]
        if backup_base_url is not None:
            self._bases.append(parse_base_url(backup_base_url, "backup_base_url"))
        self.timeout = positive_number(timeout, "timeout")
        self.max_retries = retry_count(max_retries, "max_retries")
        self.max_response_bytes = positive_int(max_response_bytes, "max_response_bytes")
        self.max_notification_bytes = positive_int(max_notification_bytes, "max_notification_bytes")

        self._headers: dict[str, str] = {
            "Accept": "application/json",
            "User-Agent": user_agent(self._package_name, self._package_version),
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
