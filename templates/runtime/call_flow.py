"""One call, every attempt: the request built once, then sign, send, verify, retry, fail over.

Written once, as a generator (:meth:`CallFlow._flow`) yielding "sign this" / "send this" / "sleep
this long" / "download the platform certificates" steps: the sync and async clients
(:mod:`.client`) differ only in how they carry out those steps. Per attempt the request is signed
afresh; every 2xx answer is verified before anything of it is returned; a non-2xx answer becomes
the matching :class:`APIStatusError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from .aead import ApiV3Key
from .body import FileSink, is_json_type
from .certificates import CERTIFICATES_PATH, CertificateStore, parse_certificates
from .config import positive_int, positive_number, retry_count
from .diagnosis import diagnose_sign_error
from .errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    RequestValidationError,
    ResponseTooLargeError,
    SignatureVerificationError,
    WeChatPayError,
    make_status_error,
)
from .keys import PrivateKey, PublicKey
from .log import logger
from .operation import Operation
from .request import check_extra_headers, encode_query, render_path, serialize_body
from .response import Response
from .retries import RETRY_STATUSES, RetryPolicy
from .sensitive import decrypt_fields, encrypt_fields
from .signing import SCHEMES, Signer, generate_nonce
from .transport import (
    Endpoint,
    RawResponse,
    SendAction,
    SignAction,
    SleepAction,
    TransportFailure,
)
from .upload import Upload
from .verification import ResponseVerifier

__all__ = ["CallFlow", "CertificatesAction", "Outcome", "Step"]


@dataclass(frozen=True, slots=True)
class CertificatesAction:
    """A step of :meth:`CallFlow._flow`: download the platform certificates, unless another
    call did since ``generation``. ``unknown_serial``: the serial an answer named (else a first
    or scheduled download)."""

    generation: int
    unknown_serial: str | None


Step = SignAction | SendAction | SleepAction | CertificatesAction
Outcome = RawResponse | TransportFailure | str | None


class CallFlow:
    """The steps of one call, for the client classes (:class:`.client_base.ClientBase` sets the
    state declared here when the client is created)."""

    _signer: Signer
    _private_key: PrivateKey
    _api_v3_key: ApiV3Key | None
    #: The key sensitive request fields are encrypted with, and its id (Wechatpay-Serial).
    _encryption_key: tuple[str, PublicKey] | None
    _verifier: ResponseVerifier
    #: Platform certificates (certificate and migration modes), else None.
    _certificates: CertificateStore | None
    #: The base URL, then the backup's if any.
    _bases: list[Endpoint]
    _headers: dict[str, str]
    _headers_with_body: dict[str, str]
    _retry_policy: RetryPolicy
    timeout: float
    max_retries: int
    max_response_bytes: int

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
        sink: FileSink | None = None,
    ) -> Generator[Step, Outcome, Response]:
        """Every attempt of one call. Raises before the first yield if the call is invalid.

        ``certificates_call``: the download of the platform certificates itself (verified with a
        certificate it carries; it never asks for another download). ``sink``: where a 2xx file
        the spec marks unsigned is written (``with_streaming_response``).
        """
        if sink is not None and not sink.statuses <= op.unsigned_statuses:
            raise AssertionError(f"{op.operation_id}: only an unsigned file answer is streamed")
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
            else positive_int(max_response_bytes, "max_response_bytes")
        )
        if extra_headers:
            headers = _merge_headers(headers, check_extra_headers(extra_headers))
        retries = (
            self.max_retries if max_retries is None else retry_count(max_retries, "max_retries")
        )
        seconds = self.timeout if timeout is None else positive_number(timeout, "timeout")

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
                method, base, canonical, send_headers, content, seconds, size_limit, sink
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
                    limit = sink.max_bytes if outcome.streamed and sink is not None else None
                    raise ResponseTooLargeError(
                        size_limit if limit is None else limit,
                        request_id=request_id,
                        status_code=status,
                    )
                if outcome.streamed:
                    # Only a status the spec marks unsigned, with a Content-Type that is not
                    # JSON, is written to the sink (FileSink.wants): nothing here to verify.
                    if status not in op.unsigned_statuses or sink is None:
                        raise AssertionError("a transport streamed an answer it was not asked to")
                    return Response(status, outcome.headers, b"", request_id, streamed=True)
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

    def _certificates_flow(self) -> Generator[Step, Outcome, Response]:
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
    if is_json_type(response.headers.get("Content-Type")):
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
