"""Platform certificates: the legacy verification keys, downloaded from ``GET /v3/certificates``.

Merchants who have not moved to a WeChat Pay public key verify responses and callbacks with
platform certificates, named by their serial number in ``Wechatpay-Serial``. The answer of
``/v3/certificates`` is ``{"data": [{"serial_no", "effective_time", "expire_time",
"encrypt_certificate": {AEAD_AES_256_GCM resource}}]}``; each ciphertext decrypts (APIv3 key) to a
PEM certificate, and the answer itself is signed by one of the certificates it carries.

:class:`CertificateStore` holds what was downloaded and decides when to download again: lazily when
first needed, before the certificates expire (and at least every ``refresh_interval``), and on an
unknown serial at most once per ``min_interval``. Only the client performs the download; the store
is thread-safe, and its ``keys`` mapping is replaced in one assignment (readers never lock).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from .aead import ApiV3Key, decrypt_resource
from .errors import APIStatusError, ConfigurationError, DecryptionError, PlatformCertificateError
from .keys import PublicKey

__all__ = [
    "CERTIFICATES_PATH",
    "CertificateStore",
    "PlatformCertificate",
    "certificate_store_for",
    "download_failure",
    "parse_certificates",
    "public_key_hint",
]

CERTIFICATES_PATH: Final = "/v3/certificates"
#: Download again at least this often (WeChat Pay publishes a new certificate well ahead of
#: the old one's expiry).
DEFAULT_REFRESH_INTERVAL: Final = 12 * 3600.0
#: ... and more often once the newest certificate is this close to expiring.
EXPIRY_MARGIN: Final = 24 * 3600.0
#: Never download more often than this, whatever the responses say (unknown serials, failures).
DEFAULT_MIN_INTERVAL: Final = 60.0


def public_key_hint() -> str:
    return (
        "this merchant has no platform certificates: it verifies with a WeChat Pay public key. "
        "Create the client with wechatpay_public_key_id= (the PUB_KEY_ID_... shown in the "
        "merchant platform, Account Center > API Security > WeChat Pay public key) and "
        "wechatpay_public_key= (the downloaded pub_key.pem)"
    )


@dataclass(frozen=True)
class PlatformCertificate:
    """One decrypted platform certificate (its public key and validity, in Unix seconds)."""

    serial_no: str
    key: PublicKey
    not_before: float
    not_after: float


def _fail(reason: str, request_id: str | None) -> PlatformCertificateError:
    return PlatformCertificateError(
        f"GET {CERTIFICATES_PATH}: {reason}", status_code=200, request_id=request_id
    )


def parse_certificates(
    body: bytes, api_v3_key: ApiV3Key, *, now: float, request_id: str | None = None
) -> dict[str, PlatformCertificate]:
    """The usable (decryptable, consistent, unexpired) certificates of a download, by serial.

    Raises :class:`PlatformCertificateError` when the answer is malformed or holds none.
    """
    from cryptography import x509  # only certificate mode pays for importing x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    from .keys import load_public_key

    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise _fail("the answer is not JSON", request_id) from None
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise _fail("the answer has no 'data' list", request_id)
    found: dict[str, PlatformCertificate] = {}
    for index, entry in enumerate(entries):
        where = f"data[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("serial_no"), str):
            raise _fail(f"{where} has no serial_no", request_id)
        serial = entry["serial_no"].upper()
        try:
            pem = decrypt_resource(
                api_v3_key, entry.get("encrypt_certificate"), f"{where}.encrypt_certificate"
            )
        except DecryptionError as exc:
            raise _fail(f"{exc} (is api_v3_key the merchant's APIv3 key?)", request_id) from None
        try:
            certificate = x509.load_pem_x509_certificate(pem)
        except ValueError:
            raise _fail(f"{where} does not decrypt to a PEM certificate", request_id) from None
        if f"{certificate.serial_number:X}".rjust(len(serial), "0") != serial:
            raise _fail(f"{where}: serial_no does not match its certificate", request_id)
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise _fail(f"{where} is not an RSA certificate", request_id)
        try:
            key = load_public_key(public_key, what=f"{where} (serial {serial})")
        except ConfigurationError as exc:  # e.g. a key under 2048 bits
            raise _fail(str(exc), request_id) from None
        not_before = certificate.not_valid_before_utc.timestamp()
        not_after = certificate.not_valid_after_utc.timestamp()
        if not_after <= now:
            continue  # expired: useless, and never trusted
        found[serial] = PlatformCertificate(serial, key, not_before, not_after)
    if not found:
        raise _fail("the answer holds no unexpired certificate", request_id)
    return found


class CertificateStore:
    """The downloaded platform certificates and the refresh schedule (see the module docstring)."""

    def __init__(
        self,
        *,
        required: bool,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        #: True in certificate mode (nothing verifies without them); False while migrating.
        self.required = required
        self.refresh_interval = refresh_interval
        self.min_interval = min_interval
        self.clock = clock
        self._keys: Mapping[str, PublicKey] = {}
        self._certificates: dict[str, PlatformCertificate] = {}
        self._refresh_at = 0.0
        self._last_attempt: float | None = None
        #: Completed downloads; a caller that waited for another's download compares it.
        self.generation = 0
        #: Serialises downloads of the blocking client (the async client single-flights a task).
        self.lock = threading.Lock()

    @property
    def keys(self) -> Mapping[str, PublicKey]:
        return self._keys

    @property
    def loaded(self) -> bool:
        return self.generation > 0

    @property
    def certificates(self) -> Mapping[str, PlatformCertificate]:
        return dict(self._certificates)

    def newest_serial(self) -> str | None:
        """The serial of the certificate that expires last (what to name in Wechatpay-Serial)."""
        if not self._certificates:
            return None
        return max(self._certificates.values(), key=lambda c: (c.not_after, c.serial_no)).serial_no

    def due(self) -> bool:
        """Whether a call should download first: never loaded (certificate mode: every call
        tries, and reports the failure), or time is up (at most once per ``min_interval``)."""
        if not self.loaded:
            return self.required
        return self.clock() >= self._refresh_at and self._may_try()

    def may_refresh_for(self, serial: str) -> bool:
        """Whether an unknown serial may trigger a download now (at most once per interval)."""
        return serial not in self._keys and self._may_try()

    def _may_try(self) -> bool:
        last = self._last_attempt
        return last is None or self.clock() - last >= self.min_interval

    def attempted(self) -> None:
        self._last_attempt = self.clock()

    def install(self, certificates: Mapping[str, PlatformCertificate]) -> None:
        now = self.clock()
        self._certificates = dict(certificates)
        self._keys = {serial: cert.key for serial, cert in certificates.items()}
        latest = max(cert.not_after for cert in certificates.values())
        self._refresh_at = max(
            now + self.min_interval,
            min(now + self.refresh_interval, latest - EXPIRY_MARGIN),
        )
        self.generation += 1

    def __repr__(self) -> str:
        return f"<CertificateStore {sorted(self._keys)} generation={self.generation}>"


def certificate_store_for(
    *,
    scheme: str,
    have_public_key: bool,
    have_api_v3_key: bool,
    wanted: object,
    refresh_interval: float,
    min_interval: float,
) -> CertificateStore | None:
    """Which keys verify a client's answers: the public key only (``None``), platform
    certificates only (a required store), or both, while migrating (an optional store)."""
    if wanted is not None and not isinstance(wanted, bool):
        raise ConfigurationError("platform_certificates must be True, False or None")
    if scheme == "brand":
        if wanted or not have_public_key:
            raise ConfigurationError(
                "brand APIs verify with the WeChat Pay public key only (WeChat Pay has no platform "
                "certificates for brands): pass wechatpay_public_key_id= and "
                "wechatpay_public_key= from the brand platform"
            )
        return None
    if wanted is None:  # auto: certificates without a public key, and alongside it while moving
        wanted = have_api_v3_key
    if not wanted:
        if not have_public_key:
            raise ConfigurationError(
                "pass wechatpay_public_key_id= and wechatpay_public_key= (the WeChat Pay public "
                "key), or api_v3_key= to verify with platform certificates"
            )
        return None
    if not have_api_v3_key:
        raise ConfigurationError(
            "platform certificates are downloaded encrypted: pass api_v3_key= (the APIv3 key)"
        )
    return CertificateStore(
        required=not have_public_key, refresh_interval=refresh_interval, min_interval=min_interval
    )


def download_failure(exc: APIStatusError) -> PlatformCertificateError:
    """The error of a download answered with an error status (404: the merchant has a key)."""
    if exc.status_code == 404:
        reason = public_key_hint()
    else:
        reason = f"the download failed ({exc}); if {public_key_hint()}"
    error = PlatformCertificateError(
        f"GET {CERTIFICATES_PATH} answered HTTP {exc.status_code}: {reason}",
        status_code=exc.status_code,
        request_id=exc.request_id,
    )
    error.__cause__ = exc
    return error
