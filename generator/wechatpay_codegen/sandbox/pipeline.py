"""One request in, one :class:`~.responses.Reply` out: the sandbox's checks in order.

1. ``X-Sandbox-Fault`` is parsed (malformed: 400 ``INVALID_REQUEST``); ``drop``/``delay`` act now.
2. Routing: unknown path 404 ``NOT_FOUND``; known path, other method 405 ``INVALID_REQUEST``
   with ``Allow``.
3. Authorization (401 ``SIGN_ERROR``): scheme, identity, serial_no, timestamp skew, the RSA
   signature over ``METHOD\\nRAW_TARGET\\nTIMESTAMP\\nNONCE\\nBODY\\n``.
4. ``Wechatpay-Serial`` (400 ``PARAM_ERROR``): required on brand operations; when sent it must
   be the sandbox's WeChat Pay public key id.
5. Path parameters, then Content-Type, JSON and the body schema (400, ``detail`` names the field).
6. Any other fault acts now; otherwise the signed example answer.

Every request is recorded, whatever its outcome, before the reply is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from cryptography.hazmat.primitives.asymmetric import rsa

from ..protocol import MERCHANT_SCHEME
from .certificates import PlatformCertificates
from .checks import Problem400, ResultCache, body_problem, path_params_problem
from .crypto import (
    Authorization,
    AuthorizationSyntaxError,
    is_base64,
    new_nonce,
    parse_authorization,
    redact_authorization,
    request_message,
    response_message,
    sign,
    verify,
)
from .faults import AttemptCounter, Fault, FaultSyntaxError, parse_fault
from .keys import SandboxKeys
from .operations import AuthRequirement, Operation, RouteTable, certificates_operation
from .recording import Headers, RecordedRequest, Recorder
from .responses import (
    DROP,
    JSON_TYPE,
    Header,
    Reply,
    RequestIds,
    ResponseSigner,
    Signed,
    error_reply,
)
from .shapes import decrypt_fields, encrypt_fields, query_problem, split_multipart, upload_problem

STALE_SECONDS = 600
CERTIFICATES_PATH = "/v3/certificates"
# What WeChat Pay answers a merchant that has only a WeChat Pay public key.
_NO_CERTIFICATES = "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥"
_WRONG_KEY_ID = "PUB_KEY_ID_0199999999999999999999999999"
_NOT_JSON = b"<html><body>this is not JSON</body></html>"


@dataclass(frozen=True)
class Incoming:
    """A request as read off the wire (``target`` exactly as received)."""

    method: str
    target: str
    headers: Headers
    body: bytes
    received: float = field(default_factory=time.time)


@dataclass
class _Trace:
    """What gets recorded about one request besides the request itself."""

    operation_id: str | None = None
    auth: Authorization | None = None
    fault: str | None = None


class _Rejected(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Processor:
    """The request pipeline, shared by all connection threads (thread-safe)."""

    def __init__(
        self,
        routes: RouteTable,
        keys: SandboxKeys,
        *,
        clock_skew: int = 300,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        self.routes = routes
        self.keys = keys
        self.clock_skew = clock_skew
        self.sleep = sleep or _plain_sleep
        self.recorder = Recorder()
        self.attempts = AttemptCounter()
        self.cache = ResultCache()
        self.ids = RequestIds()
        self.public_key_signer = ResponseSigner(
            keys.wechatpay_private_key, keys.wechatpay_public_key_id
        )
        #: Platform certificates (off: a merchant with a WeChat Pay public key).
        self.platform = PlatformCertificates(keys.api_v3_key)
        self._certificate_signers: dict[str, ResponseSigner] = {}
        self._certificates_op = certificates_operation()
        #: operationId -> the file answered instead of the spec's example (Sandbox.serve_file).
        self.files: dict[str, bytes] = {}
        self._parties = {
            False: ("merchant", keys.mchid, keys.merchant_serial_no, keys.merchant_public_key),
            True: ("brand", keys.brand_id, keys.brand_serial_no, keys.brand_public_key),
        }

    def signer(self, *, brand: bool = False) -> ResponseSigner:
        """Who signs answers: the newest platform certificate in certificate mode, else the
        WeChat Pay public key. Brand APIs have no platform certificates (WeChat Pay's brand API
        overview: public-key mode only), so brand answers are always signed with the key."""
        platform = self.platform
        current = platform.current
        if brand or not platform.enabled or platform.sign_with != "certificate" or current is None:
            return self.public_key_signer
        signer = self._certificate_signers.get(current.serial_no)
        if signer is None:
            signer = ResponseSigner(current.private_key, current.serial_no)
            self._certificate_signers[current.serial_no] = signer
        return signer

    # -- entry point -----------------------------------------------------------------------

    def handle(self, request: Incoming) -> Reply:
        generation = self.recorder.generation
        trace = _Trace()
        try:
            reply = self._process(request, trace)
        except _Rejected as rejected:
            reply = rejected.reply
        self.recorder.append(self._record(request, trace, reply), generation)
        return reply

    def reject(self, request: Incoming, status: int, code: str, message: str) -> Reply:
        """Record and answer a request refused before the pipeline (framing, size limits)."""
        reply = self._error(status, code, message)
        self.recorder.append(self._record(request, _Trace(), reply))
        return reply

    def clear(self) -> None:
        self.recorder.clear()
        self.attempts.clear()

    # -- the steps -------------------------------------------------------------------------

    def _process(self, request: Incoming, trace: _Trace) -> Reply:
        path = request.target.partition("?")[0]
        match = self.routes.match(request.method, path)
        op = match.operation
        if op is None and path == CERTIFICATES_PATH and request.method == "GET":
            op = self._certificates_op  # built in: every merchant account has the endpoint
        trace.operation_id = op.operation_id if op else None
        trace.auth = _try_parse(request.headers.get("Authorization"))
        fault, fault_key = self._fault(request)
        if fault is not None and fault.early and self.attempts.applies(fault, fault_key):
            trace.fault = fault.spec
            if fault.kind == "drop" or not self.sleep(fault.delay):
                return DROP
        if op is None:
            if match.allowed:
                allow = ", ".join(match.allowed)
                message = f"{request.method} is not allowed on this path (allowed: {allow})"
                return self._error(405, "INVALID_REQUEST", message, headers=(("Allow", allow),))
            return self._error(404, "NOT_FOUND", "no API at this path; check the URL")
        signed_body = request.body
        parts: dict[str, bytes] | None = None
        if op.upload is not None:
            found = split_multipart(request.headers.get("Content-Type", ""), request.body)
            if isinstance(found, Problem400):
                self._reject_400(found, code="INVALID_REQUEST")
            parts = found
            # WeChat Pay signs the meta part only: the string to sign's body line is its JSON.
            signed_body = parts.get(op.upload.signed_part, b"")
        self._check_authorization(op, request, signed_body)
        self._check_serial(op, request)
        self._check_path_params(op, match.raw_params)
        self._check_query(op, request.target.partition("?")[2])
        if parts is not None and op.upload is not None:
            problem = upload_problem(op.upload, parts)
            if problem is not None:
                self._reject_400(problem)
        else:
            self._check_body(op, request)
        if fault is not None and not fault.early and self.attempts.applies(fault, fault_key):
            trace.fault = fault.spec
            return self._fault_reply(op, fault)
        return self._success(op)

    def _fault(self, request: Incoming) -> tuple[Fault | None, tuple[str, ...]]:
        text = request.headers.get("X-Sandbox-Fault")
        if text is None:
            return None, ()
        try:
            fault = parse_fault(text)
        except FaultSyntaxError as exc:
            message = f"X-Sandbox-Fault: {exc}"
            raise _Rejected(self._error(400, "INVALID_REQUEST", message)) from None
        key = AttemptCounter.key(
            fault,
            request.headers.get("X-Sandbox-Fault-Key"),
            request.method,
            request.target,
            request.body,
        )
        return fault, key

    def _check_query(self, op: Operation, raw_query: str) -> None:
        problem = self.cache.get(
            ("query", op.operation_id, raw_query),
            len(raw_query),
            lambda: query_problem(op.query, raw_query),
        )
        if problem is not None:
            self._reject_400(problem)

    def _check_authorization(self, op: Operation, request: Incoming, signed_body: bytes) -> None:
        if not op.auth:
            return
        expected = " or ".join(a.scheme for a in op.auth)
        value = request.headers.get("Authorization")
        if value is None:
            self._sign_error(f"Authorization header is missing; this API takes {expected}")
        try:
            auth = parse_authorization(value)
        except AuthorizationSyntaxError as exc:
            self._sign_error(str(exc))
        requirement = next((a for a in op.auth if a.scheme == auth.scheme), None)
        if requirement is None:
            self._sign_error(
                f"Authorization scheme {_short(auth.scheme)!r} is not accepted here: "
                f"{op.operation_id} takes {expected}"
            )
        party, identity, serial, public_key = self._party(requirement)
        needed = (requirement.identity_field, "nonce_str", "timestamp", "serial_no", "signature")
        for name in needed:
            if not auth.params.get(name):
                self._sign_error(f"Authorization lacks {name} (or it is empty)")
        given = auth.params[requirement.identity_field]
        if given != identity:
            self._sign_error(
                f"{requirement.identity_field} {_short(given)!r} is not the sandbox's "
                f"{party} ({identity})"
            )
        if auth.params["serial_no"] != serial:
            self._sign_error(
                f"serial_no {_short(auth.params['serial_no'])!r} is not the certificate serial "
                f"number of the sandbox's {party} key ({serial})"
            )
        timestamp = auth.params["timestamp"]
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            self._sign_error(f"timestamp {_short(timestamp)!r} is not Unix time in seconds")
        skew = abs(int(time.time()) - int(timestamp))
        if skew > self.clock_skew:
            self._sign_error(
                f"timestamp {timestamp} is {skew} s away from the sandbox clock "
                f"(allowed: {self.clock_skew} s); sign with the current time"
            )
        if not is_base64(auth.signature):
            self._sign_error("signature is not valid Base64")
        message = request_message(
            request.method, request.target, timestamp, auth.params["nonce_str"], signed_body
        )
        if not verify(public_key, message, auth.signature):
            self._sign_error(
                f"signature does not verify with the {party} key (serial_no {serial}); the string "
                "to sign is METHOD\\nTARGET\\nTIMESTAMP\\nNONCE\\nBODY\\n, here for "
                f"{request.method} {_short(request.target, 200)!r} and a "
                f"{len(signed_body)}-byte body"
            )

    def _party(self, requirement: AuthRequirement) -> tuple[str, str, str, rsa.RSAPublicKey]:
        """(who, identity, certificate serial number, public key) for a requirement's scheme."""
        return self._parties[requirement.is_brand]

    def _check_serial(self, op: Operation, request: Incoming) -> None:
        serial = request.headers.get("Wechatpay-Serial")
        expected = self.keys.wechatpay_public_key_id
        field = "Wechatpay-Serial"
        if serial is None:
            if op.serial_required:
                issue = f"is required on this API: send the WeChat Pay public key id ({expected})"
                self._reject_400(Problem400(f"{field} {issue}", field, issue, "header"))
            return
        # a platform certificate serial is fine from a merchant; brands have the key only
        if serial != expected and (op.is_brand or not self.platform.knows(serial)):
            whose = "brand" if op.is_brand else "merchant"
            issue = f"is not the WeChat Pay public key id of this {whose} ({expected})"
            message = f"{field} {_short(serial)!r} {issue}"
            self._reject_400(Problem400(message, field, issue, "header", serial))

    def _check_path_params(self, op: Operation, raw_params: dict[str, str]) -> None:
        values = tuple(raw_params.get(p.name, "") for p in op.params)
        weight = sum(len(v) for v in values)
        problem = self.cache.get(
            ("path", op.operation_id, values), weight, lambda: path_params_problem(op, raw_params)
        )
        if problem is not None:
            self._reject_400(problem)

    def _check_body(self, op: Operation, request: Incoming) -> None:
        body = request.body
        if not op.takes_body:
            if body:
                issue = "must be empty: this API takes no request body"
                self._reject_400(Problem400(f"request body {issue}", "", issue, "body"))
            return
        if not body:
            if op.body_required:
                issue = "is required: send the JSON request body"
                self._reject_400(Problem400(f"request body {issue}", "", issue, "body"))
            return
        content_type = request.headers.get("Content-Type", "")
        mime, _, params = content_type.partition(";")
        charset = params.strip().lower()
        if mime.strip().lower() != "application/json" or charset not in ("", "charset=utf-8"):
            issue = "must be application/json (optionally with charset=utf-8)"
            self._reject_400(
                Problem400(f"Content-Type {issue}", "Content-Type", issue, "header", content_type),
                code="INVALID_REQUEST",
            )
        if op.sensitive_request:
            body = self._decrypted(op, body)
        problem = self.cache.get(
            ("body", op.operation_id, body), len(body), lambda: body_problem(op, body)
        )
        if problem is not None:
            self._reject_400(problem)

    def _decrypted(self, op: Operation, body: bytes) -> bytes:
        """The body with its sensitive fields decrypted with the sandbox's WeChat Pay key (the
        schema's rules apply to the plaintext); a field that is not encrypted is a 400."""
        try:
            instance = json.loads(body)
        except ValueError:
            return body  # body_problem names it
        plain, problem = decrypt_fields(
            instance, op.sensitive_request, self.keys.wechatpay_private_key
        )
        if problem is not None:
            self._reject_400(problem)
        return json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    # -- replies ---------------------------------------------------------------------------

    def _success(self, op: Operation) -> Reply:
        if op is self._certificates_op or (
            self.platform.enabled and op.template == CERTIFICATES_PATH and op.method == "GET"
        ):  # a spec's own /v3/certificates answers its example while certificates are off
            return self._certificates()
        body = self.files.get(op.operation_id, op.example) if op.answer_type else op.example
        if op.answer_type and op.unsigned:
            # A file WeChat Pay does not sign (bills): no Wechatpay-* headers at all.
            headers = [("Request-ID", self.ids.next(op.status)), ("Content-Type", op.answer_type)]
            return Reply(op.status, tuple(headers), body)
        if op.sensitive_response and body:
            caller_key = self._parties[op.is_brand][3]  # the caller decrypts with its own key
            data = encrypt_fields(json.loads(body), op.sensitive_response, caller_key)
            body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        signer = self.signer(brand=op.is_brand)
        signed = signer.sign(body)
        headers = signer.headers(signed, op.signature_type)
        reply = self._signed_reply(op.status, headers, body)
        if op.answer_type:
            fixed = tuple(
                (k, op.answer_type if k == "Content-Type" else v) for k, v in reply.headers
            )
            reply = Reply(reply.status, fixed, reply.body)
        return reply

    def _certificates(self) -> Reply:
        """``GET /v3/certificates``: the encrypted certificates; 404 for a public-key merchant."""
        if not self.platform.enabled:
            return self._error(404, "RESOURCE_NOT_EXISTS", _NO_CERTIFICATES)
        body = self.platform.listing()
        signer = self.signer()
        headers = signer.headers(signer.sign_fresh(body, int(time.time())), MERCHANT_SCHEME)
        return self._signed_reply(200, headers, body)

    def _signed_reply(self, status: int, headers: list[Header], body: bytes) -> Reply:
        headers.append(("Request-ID", self.ids.next(status)))
        if body:
            headers.append(("Content-Type", JSON_TYPE))
        return Reply(status, tuple(headers), body)

    def _fault_reply(self, op: Operation, fault: Fault) -> Reply:
        if fault.kind == "status":
            extra: tuple[Header, ...] = ()
            if fault.retry_after is not None:
                extra = (("Retry-After", str(fault.retry_after)),)
            message = f"injected by X-Sandbox-Fault: {fault.spec}"
            return self._error(fault.status, fault.error_code(), message, headers=extra)
        body, status = op.example, op.status
        if fault.kind == "not-json":
            body, status = _NOT_JSON, 200  # correctly signed below, like any answer
        now = int(time.time())
        signer = self.signer(brand=op.is_brand)
        if fault.kind == "stale-timestamp":
            signed = signer.sign_fresh(body, now - STALE_SECONDS)
        elif fault.kind == "bad-signature":
            nonce = new_nonce()
            wrong = sign(signer.key, response_message(str(now), nonce, body + b" "))
            signed = Signed(str(now), nonce, wrong)
        elif fault.kind == "signtest":
            signed = signer.sign(body)
            probe = "WECHATPAY/SIGNTEST/" + signed.signature
            signed = Signed(signed.timestamp, signed.nonce, probe)
        else:
            signed = signer.sign(body)
        headers = signer.headers(signed, op.signature_type)
        if fault.kind == "wrong-serial":
            headers = [(k, _WRONG_KEY_ID if k == "Wechatpay-Serial" else v) for k, v in headers]
        elif fault.kind == "missing-headers":
            headers = [(k, v) for k, v in headers if k not in fault.missing]
        elif fault.kind == "tamper-body":
            body, status = (_tamper(body), status) if body else (b"{}", 200)
        return self._signed_reply(status, headers, body)

    def _error(
        self,
        status: int,
        code: str,
        message: str,
        detail: dict[str, Any] | None = None,
        headers: tuple[Header, ...] = (),
    ) -> Reply:
        return error_reply(status, code, message, self.ids.next(status), detail, headers)

    def _sign_error(self, message: str) -> NoReturn:
        raise _Rejected(self._error(401, "SIGN_ERROR", message))

    def _reject_400(self, problem: Problem400, code: str = "PARAM_ERROR") -> NoReturn:
        raise _Rejected(self._error(400, code, problem.message, problem.detail()))

    # -- recording -------------------------------------------------------------------------

    def _record(self, request: Incoming, trace: _Trace, reply: Reply) -> RecordedRequest:
        headers = Headers(
            (name, redact_authorization(value) if name.lower() == "authorization" else value)
            for name, value in request.headers.items_list()
        )
        params = trace.auth.params if trace.auth else {}
        identity = params.get("mchid", params.get("brand_id"))
        return RecordedRequest(
            time=request.received,
            method=request.method,
            target=request.target,
            headers=headers,
            body=request.body,
            operation_id=trace.operation_id,
            auth_scheme=trace.auth.scheme if trace.auth else None,
            identity=identity,
            serial_no=params.get("serial_no"),
            nonce=params.get("nonce_str"),
            timestamp=params.get("timestamp"),
            status=None if reply.drop else reply.status,
            error_code=reply.error_code,
            error_message=reply.error_message,
            fault=trace.fault,
            response_headers=Headers(reply.headers),
            response_body=reply.body,
        )


def _plain_sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return True


def _try_parse(value: str | None) -> Authorization | None:
    if value is None:
        return None
    try:
        return parse_authorization(value)
    except AuthorizationSyntaxError:
        return None


def _tamper(body: bytes) -> bytes:
    """Change one byte and keep the JSON valid: the last digit of a number, or the last ASCII
    letter or digit inside a string (not an escape), moves to another one of its kind."""
    data = bytearray(body)
    in_string = escaped = False
    chosen = -1
    for index, char in enumerate(data):
        if in_string:
            if escaped:
                escaped = False
            elif char == 0x5C:  # backslash
                escaped = True
            elif char == 0x22:  # closing quote
                in_string = False
            elif chr(char).isascii() and chr(char).isalnum():
                chosen = index
        elif char == 0x22:
            in_string = True
        elif 0x30 <= char <= 0x39:
            chosen = index
    if chosen < 0:
        return bytes(data) + b" "
    char = data[chosen]
    data[chosen] = 0x30 + (char - 0x30 + 1) % 10 if 0x30 <= char <= 0x39 else char ^ 0x20
    return bytes(data)
