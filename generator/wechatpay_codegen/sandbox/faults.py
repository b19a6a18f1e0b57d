"""Fault injection: the ``X-Sandbox-Fault`` request header.

Grammar (case-insensitive; blanks around ``;``, ``=`` and ``,`` are ignored)::

    X-Sandbox-Fault:     <fault> *( ";" <modifier> )
    X-Sandbox-Fault-Key: <any text>          optional: what attempts are counted by (see below)

    <fault>    = <status> | "drop" | "delay=" <seconds>
               | "bad-signature" | "stale-timestamp" | "wrong-serial" | "tamper-body"
               | "signtest" | "missing-headers" [ "=" <name> *( "," <name> ) ] | "not-json"
    <status>   = an HTTP status, 400..599
    <modifier> = "times=" <n>                n >= 1
               | "retry-after=" <seconds>    status faults only; whole seconds 0..30
               | "code=" <CODE>              status faults only; [A-Z0-9_]+

Faults:

- ``<status>``: a JSON error ``{code, message}``, unsigned like the real server's. Codes: 400
  PARAM_ERROR, 401 SIGN_ERROR, 403 NO_AUTH, 404 RESOURCE_NOT_EXISTS, 429 FREQUENCY_LIMITED (with
  ``Retry-After: 0`` unless ``retry-after`` says otherwise), 500 SYSTEM_ERROR, 502 and 503
  SERVICE_UNAVAILABLE, other 4xx INVALID_REQUEST, other 5xx SYSTEM_ERROR; ``code=`` overrides.
- ``drop``: the connection is closed without a response.
- ``delay=<s>``: wait ``s`` seconds (fractions allowed; more than 30 is capped to 30), then
  answer normally. ``Sandbox.stop()`` cuts the wait short (the connection is then closed).
- ``bad-signature``: the example, with a Wechatpay-Signature that is valid Base64 of a real RSA
  signature, made with the right key over other bytes.
- ``stale-timestamp``: correctly signed, but Wechatpay-Timestamp is 10 minutes old.
- ``wrong-serial``: correctly signed, but Wechatpay-Serial names a key id the client does not have.
- ``tamper-body``: the example is signed, then one byte of the body changes (the JSON stays
  valid). On a 204 operation the answer becomes a 200 with body ``{}`` and the empty body's
  signature.
- ``signtest``: Wechatpay-Signature starts with ``WECHATPAY/SIGNTEST/`` (WeChat Pay's probes).
- ``missing-headers``: the success answer without Wechatpay-Timestamp, -Nonce, -Signature,
  -Serial and -Signature-Type; ``missing-headers=signature,serial`` drops only those (names:
  timestamp, nonce, signature, serial, signature-type, or the full header names). Request-ID
  stays.
- ``not-json``: a correctly signed 200 whose body is not JSON (an HTML snippet).

Status faults and ``drop`` are how retries are tested; the signature faults are how response
verification is tested: a client must refuse every one of them.

Examples: ``503``, ``503; times=2``, ``429; retry-after=1``, ``delay=2.5``, ``drop; times=1``,
``missing-headers=signature``, ``404; code=NOT_FOUND``.

Where in the pipeline: ``drop`` and ``delay`` act first, before routing and signature
verification, like a network or a slow gateway (a dropped attempt is still recorded, with the
nonce parsed from its Authorization). Every other fault acts only once the request passed every
check (route, Authorization, Wechatpay-Serial, path parameters, body): a retried request is still
verified, and a request failing a check gets that check's error, not the fault, and is not
counted as an attempt.

Counting attempts (``times=n``: only the first n attempts fail, later ones are answered
normally): attempts are counted per key = the header's own value plus either
``X-Sandbox-Fault-Key`` when sent, or else the request's method, raw target and body. Retries of
one call (fresh timestamp and nonce, same body) are therefore counted together, while a different
fault value starts its own count. ``Sandbox.clear()`` resets every count. A malformed header is
answered with 400 ``INVALID_REQUEST`` saying what is wrong.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass

MAX_DELAY = 30.0
MAX_RETRY_AFTER = 30

STATUS_CODES: dict[int, str] = {
    400: "PARAM_ERROR",
    401: "SIGN_ERROR",
    403: "NO_AUTH",
    404: "RESOURCE_NOT_EXISTS",
    429: "FREQUENCY_LIMITED",
    500: "SYSTEM_ERROR",
    502: "SERVICE_UNAVAILABLE",
    503: "SERVICE_UNAVAILABLE",
}

SIGNED_FAULTS = frozenset(
    {
        "bad-signature",
        "stale-timestamp",
        "wrong-serial",
        "tamper-body",
        "signtest",
        "missing-headers",
        "not-json",
    }
)

RESPONSE_HEADER_NAMES: dict[str, str] = {
    "timestamp": "Wechatpay-Timestamp",
    "nonce": "Wechatpay-Nonce",
    "signature": "Wechatpay-Signature",
    "serial": "Wechatpay-Serial",
    "signature-type": "Wechatpay-Signature-Type",
}

_CODE = re.compile(r"[A-Z0-9_]+")


class FaultSyntaxError(ValueError):
    """The X-Sandbox-Fault header does not follow the grammar; the message says how."""


@dataclass(frozen=True)
class Fault:
    """A parsed X-Sandbox-Fault header."""

    kind: str  # "status", "drop", "delay" or one of SIGNED_FAULTS
    spec: str  # the header value, normalized (lower case, no blanks): part of the counting key
    status: int = 0
    delay: float = 0.0
    times: int | None = None
    retry_after: int | None = None
    code: str | None = None
    missing: tuple[str, ...] = ()

    @property
    def early(self) -> bool:
        """``drop`` and ``delay`` act before any check; the rest after all of them."""
        return self.kind in ("drop", "delay")

    def error_code(self) -> str:
        if self.code:
            return self.code
        if self.status in STATUS_CODES:
            return STATUS_CODES[self.status]
        return "INVALID_REQUEST" if self.status < 500 else "SYSTEM_ERROR"


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultSyntaxError(f"{name} must be a number of seconds, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise FaultSyntaxError(f"{name} must be a number of seconds >= 0, got {text!r}")
    return value


def _missing_headers(text: str) -> tuple[str, ...]:
    if not text:
        return tuple(RESPONSE_HEADER_NAMES.values())
    names: list[str] = []
    full_names = {v.lower(): v for v in RESPONSE_HEADER_NAMES.values()}
    for raw in text.split(","):
        name = raw.strip().lower()
        if name in RESPONSE_HEADER_NAMES:
            names.append(RESPONSE_HEADER_NAMES[name])
        elif name in full_names:
            names.append(full_names[name])
        else:
            choices = ", ".join(RESPONSE_HEADER_NAMES)
            raise FaultSyntaxError(
                f"missing-headers: unknown header {raw.strip()!r} (use {choices})"
            )
    return tuple(dict.fromkeys(names))


def _normalized(part: str) -> str:
    """``" Times = 2 "`` -> ``"times=2"``: names lower case, values as given, no blanks."""
    name, eq, arg = part.partition("=")
    return name.strip().lower() + eq + re.sub(r"\s+", "", arg)


def parse_fault(value: str) -> Fault:
    """Parse an X-Sandbox-Fault header value (see the module docstring for the grammar)."""
    parts = [part.strip() for part in value.split(";")]
    if not parts[0]:
        raise FaultSyntaxError("X-Sandbox-Fault is empty; expected e.g. '503' or 'drop; times=1'")
    head_name, has_arg, head_arg = (s.strip() for s in parts[0].partition("="))
    head_name = head_name.lower()
    fields: dict[str, object] = {}
    if head_name.isascii() and head_name.isdigit() and not has_arg:
        status = int(head_name)
        if not 400 <= status <= 599:
            raise FaultSyntaxError(f"status fault must be 400..599, got {status}")
        kind = "status"
        fields["status"] = status
        if status == 429:
            fields["retry_after"] = 0
    elif head_name == "delay":
        if not has_arg:
            raise FaultSyntaxError("delay needs seconds: 'delay=2'")
        kind = "delay"
        fields["delay"] = min(_number("delay", head_arg), MAX_DELAY)
    elif head_name == "missing-headers":
        kind = head_name
        fields["missing"] = _missing_headers(head_arg if has_arg else "")
    elif head_name == "drop" or head_name in SIGNED_FAULTS:
        if has_arg:
            raise FaultSyntaxError(f"{head_name} takes no value")
        kind = head_name
    else:
        raise FaultSyntaxError(
            f"unknown fault {parts[0]!r}; expected a status 400..599, drop, delay=<s>, "
            + ", ".join(sorted(SIGNED_FAULTS))
        )
    seen: set[str] = set()
    for part in parts[1:]:
        name, has_value, arg = (s.strip() for s in part.partition("="))
        name = name.lower()
        if not has_value:
            raise FaultSyntaxError(f"modifier {part!r} must be name=value")
        if name in seen:
            raise FaultSyntaxError(f"modifier {name!r} given twice")
        seen.add(name)
        if name == "times":
            if not (arg.isascii() and arg.isdigit()) or int(arg) < 1:
                raise FaultSyntaxError(f"times must be a whole number >= 1, got {arg!r}")
            fields["times"] = int(arg)
        elif name == "retry-after" and kind == "status":
            seconds = _number("retry-after", arg)
            if seconds != int(seconds) or seconds > MAX_RETRY_AFTER:
                raise FaultSyntaxError(f"retry-after must be whole seconds 0..{MAX_RETRY_AFTER}")
            fields["retry_after"] = int(seconds)
        elif name == "code" and kind == "status":
            if not _CODE.fullmatch(arg):
                raise FaultSyntaxError(f"code must be upper-case letters, digits, '_': {arg!r}")
            fields["code"] = arg
        else:
            allowed = "times, retry-after, code" if kind == "status" else "times"
            raise FaultSyntaxError(
                f"unknown modifier {name!r} for {head_name} (allowed: {allowed})"
            )
    spec = ";".join(_normalized(part) for part in parts)
    return Fault(kind=kind, spec=spec, **fields)  # type: ignore[arg-type]


class AttemptCounter:
    """Counts attempts per fault key so ``times=n`` fails only the first n of them. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, ...], int] = {}

    @staticmethod
    def key(
        fault: Fault, explicit: str | None, method: str, target: str, body: bytes
    ) -> tuple[str, ...]:
        if explicit is not None:
            return (fault.spec, "key", explicit)
        return (fault.spec, "request", method, target, hashlib.sha256(body).hexdigest())

    def applies(self, fault: Fault, key: tuple[str, ...]) -> bool:
        """Count one attempt; True when the fault acts on it."""
        if fault.times is None:
            return True
        with self._lock:
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return count <= fault.times

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
