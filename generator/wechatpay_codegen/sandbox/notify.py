"""Callbacks as WeChat Pay sends them: built from the specs' webhooks, signed, encrypted, POSTed.

``wechatpay-codegen sandbox notify --url URL --event TYPE`` lets an integrator test their callback
handler end to end: the body is the envelope of the spec's example with a fresh ``id`` and
``create_time``, its ``resource`` the spec's decrypted-resource example encrypted with
AEAD_AES_256_GCM under the sandbox's APIv3 key (``--brand``: the brand API key), and the
``Wechatpay-*`` headers sign ``TIMESTAMP\\nNONCE\\nBODY\\n`` with the sandbox's WeChat Pay key, the
one its client configuration verifies responses with. ``--fault`` sends a callback the handler
must refuse instead (see :data:`FAULTS`).

Like :mod:`.crypto`, this is the sandbox's own implementation of the protocol, written apart from
the client runtime, so a test of one against the other means something.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import ssl
import string
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..loader import SpecLoadError, SpecSet, load_specs
from ..protocol import BRAND_SCHEME, MERCHANT_SCHEME
from ..validate import validate_specs
from ..webhooks import WebhookSpec, read_webhooks
from .crypto import new_nonce, response_message, sign
from .keys import KeysError, SandboxKeys, load_or_create_keys
from .platform_state import load_signing_certificate

__all__ = [
    "FAULTS",
    "SIGN_WITH",
    "Callback",
    "NotifyError",
    "NotifyResult",
    "build_callback",
    "encrypt_resource",
    "run_notify",
    "send_callback",
]

#: What ``--fault`` can break, and what a correct handler does with it (it must not answer 2xx).
FAULTS: dict[str, str] = {
    "bad-signature": "a real RSA signature over other bytes",
    "stale-timestamp": "correctly signed, Wechatpay-Timestamp 10 minutes old",
    "wrong-serial": "correctly signed, Wechatpay-Serial of an unknown key",
    "tamper-body": "signs the body, then changes one byte of it",
    "signtest": "a WECHATPAY/SIGNTEST/ probe signature",
    "wrong-key": "correctly signed, resource encrypted with another APIv3 key",
}
STALE_SECONDS = 600
_WRONG_KEY_ID = "PUB_KEY_ID_0000000000000000000000000000000000"
_NONCE_ALPHABET = string.ascii_letters + string.digits
_CHINA = timezone(timedelta(hours=8))
_MAX_ANSWER_BYTES = 64 * 1024


class NotifyError(Exception):
    """The callback could not be built or sent; the message is safe to print."""


@dataclass(frozen=True)
class Callback:
    """One callback: its headers and the exact body bytes they sign."""

    event_type: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)  # a signature: not for logs
    body: bytes = field(repr=False)  # holds the encrypted resource only, but it is not for logs

    def header_dict(self) -> dict[str, str]:
        return dict(self.headers)


def encrypt_resource(
    key: str | bytes,
    plaintext: bytes,
    *,
    associated_data: str = "",
    original_type: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """``resource`` as WeChat Pay sends it: AEAD_AES_256_GCM under the 32-byte ``key``, with the
    UTF-8 bytes of ``nonce`` (12 characters) and ``associated_data``; Base64 ciphertext + tag."""
    raw_key = key.encode("ascii") if isinstance(key, str) else key
    if len(raw_key) != 32:
        raise NotifyError("the APIv3 key must be 32 bytes")
    nonce = (
        nonce if nonce is not None else "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(12))
    )
    sealed = AESGCM(raw_key).encrypt(
        nonce.encode("utf-8"), plaintext, associated_data.encode("utf-8")
    )
    resource = {"original_type": original_type} if original_type is not None else {}
    return {
        **resource,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode("ascii"),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _text(mapping: Mapping[str, Any], key: str, default: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else default


def _find(specs: SpecSet, event_type: str) -> WebhookSpec:
    webhooks = read_webhooks(specs)
    for webhook in webhooks:
        if webhook.event_type == event_type:
            return webhook
    known = ", ".join(w.event_type for w in webhooks) or "none"
    raise NotifyError(f"the specs describe no callback {event_type!r} (described: {known})")


def build_callback(
    specs: SpecSet,
    keys: SandboxKeys,
    event_type: str,
    *,
    brand: bool = False,
    fault: str | None = None,
    resource: Any = None,
    now: float | None = None,
    signer: tuple[rsa.RSAPrivateKey, str] | None = None,
) -> Callback:
    """A signed, encrypted callback of ``event_type`` from the spec's examples.

    ``resource`` replaces the spec's decrypted-resource example (any JSON value). ``brand``
    encrypts with the brand API key and says ``WECHATPAY-BRAND-SHA256-RSA2048``; ``fault`` is one
    of :data:`FAULTS`. ``signer`` is ``(private key, serial)`` to sign with instead of the WeChat
    Pay public key pair (a platform certificate's key and its serial number).
    """
    if fault is not None and fault not in FAULTS:
        raise NotifyError(f"unknown fault {fault!r}; one of: {', '.join(FAULTS)}")
    webhook = _find(specs, event_type)
    example = webhook.envelope_example
    example_resource = example.get("resource")
    example_resource = example_resource if isinstance(example_resource, dict) else {}
    plaintext = _json(webhook.resource_example if resource is None else resource)
    key = keys.brand_api_key if brand else keys.api_v3_key
    if fault == "wrong-key":
        key = secrets.token_hex(16)
    sealed = encrypt_resource(
        key,
        plaintext,
        associated_data=_text(example_resource, "associated_data", ""),
        original_type=_text(example_resource, "original_type", "") or None,
    )
    moment = time.time() if now is None else now
    envelope = {
        "id": str(uuid.uuid4()),
        "create_time": datetime.fromtimestamp(int(moment), _CHINA).isoformat(),
        "resource_type": _text(example, "resource_type", "encrypt-resource"),
        "event_type": event_type,
        "summary": _text(example, "summary", webhook.summary),
        "resource": sealed,
    }
    body = _json(envelope)
    timestamp = int(moment) - (STALE_SECONDS if fault == "stale-timestamp" else 0)
    nonce = new_nonce()
    signed_body = body + b" " if fault == "bad-signature" else body
    signing_key, serial = signer or (keys.wechatpay_private_key, keys.wechatpay_public_key_id)
    signature = sign(signing_key, response_message(str(timestamp), nonce, signed_body))
    if fault == "signtest":
        signature = "WECHATPAY/SIGNTEST/" + signature
    if fault == "tamper-body":
        body = body.replace(b'"event_type":"', b'"event_type":" ', 1)
    headers = (
        ("Content-Type", "application/json"),
        ("Wechatpay-Timestamp", str(timestamp)),
        ("Wechatpay-Nonce", nonce),
        ("Wechatpay-Signature", signature),
        (
            "Wechatpay-Serial",
            _WRONG_KEY_ID if fault == "wrong-serial" else serial,
        ),
        ("Wechatpay-Signature-Type", BRAND_SCHEME if brand else MERCHANT_SCHEME),
    )
    return Callback(event_type, headers, body)


@dataclass(frozen=True)
class NotifyResult:
    """What the endpoint answered."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed_ms: float

    @property
    def accepted(self) -> bool:
        """WeChat Pay takes any 2xx as received (200 or 204 by the docs)."""
        return 200 <= self.status < 300


def send_callback(url: str, callback: Callback, *, timeout: float = 10.0) -> NotifyResult:
    """POST ``callback`` to ``url`` (http or https, no redirects) and read the answer."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotifyError(f"--url must be an http:// or https:// URL, got {url!r}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request("POST", target, body=callback.body, headers=callback.header_dict())
        response = connection.getresponse()
        body = response.read(_MAX_ANSWER_BYTES)
        headers = tuple(response.getheaders())
        status, reason = response.status, response.reason
    except (OSError, http.client.HTTPException) as exc:
        raise NotifyError(
            f"could not deliver the callback to {url}: {exc or type(exc).__name__}"
        ) from None
    finally:
        connection.close()
    return NotifyResult(status, reason, headers, body, (time.perf_counter() - started) * 1000)


def _load(specs: Path) -> SpecSet:
    try:
        spec_set = load_specs([specs])
    except SpecLoadError as exc:
        raise NotifyError("\n".join(map(str, exc.problems))) from None
    problems = validate_specs(spec_set)
    if problems:
        raise NotifyError("\n".join(map(str, problems)))
    return spec_set


def _shown(body: bytes) -> str:
    text = body[:400].decode("utf-8", "replace")
    cleaned = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return cleaned + (" ..." if len(body) > 400 else "")


#: What ``sandbox notify --sign-with`` accepts.
SIGN_WITH = ("auto", "public-key", "certificate")


def _signer(
    keys: SandboxKeys, keys_dir: Path, sign_with: str, brand: bool
) -> tuple[tuple[rsa.RSAPrivateKey, str] | None, str]:
    """``(signer for build_callback, what to print)``: the platform certificate the sandbox
    signs with (``auto``: when its key folder says it is in certificate mode), else the WeChat
    Pay public key pair."""
    if sign_with not in SIGN_WITH:
        raise NotifyError(f"--sign-with must be one of {', '.join(SIGN_WITH)}, got {sign_with!r}")
    public = f"the WeChat Pay public key {keys.wechatpay_public_key_id}"
    if brand:
        if sign_with == "certificate":
            raise NotifyError(
                "brand callbacks are signed with the WeChat Pay public key: brand APIs have no "
                "platform certificates (leave out --sign-with, or drop --brand)"
            )
        return None, public
    if sign_with == "public-key":
        return None, public
    state = load_signing_certificate(keys_dir)
    if state is None:
        if sign_with == "certificate":
            raise NotifyError(
                f"no platform certificate in {keys_dir}: start the sandbox with this key folder "
                "and --verification certificate (or migration) first"
            )
        return None, public
    if sign_with == "auto" and state.sign_with != "certificate":
        return None, public  # migration mode: the sandbox still signs with the public key
    return (state.private_key, state.serial_no), f"platform certificate {state.serial_no}"


def run_notify(
    specs: Path,
    url: str,
    event_type: str,
    keys_dir: Path,
    *,
    brand: bool = False,
    fault: str | None = None,
    timeout: float = 10.0,
    sign_with: str = "auto",
) -> int:
    """The CLI command. Exit 0 when the answer is what WeChat Pay needs (2xx for a real callback;
    for ``--fault``, anything but 2xx), 1 otherwise or when nothing could be sent.

    ``sign_with``: ``auto`` signs as the sandbox using ``keys_dir`` signs its answers (its newest
    platform certificate in certificate mode, else the public key), or ``public-key`` /
    ``certificate`` (which needs a sandbox in certificate or migration mode on that folder)."""
    try:
        spec_set = _load(specs)
        keys, _ = load_or_create_keys(keys_dir)
        signer, signed_by = _signer(keys, keys_dir, sign_with, brand)
        callback = build_callback(
            spec_set, keys, event_type, brand=brand, fault=fault, signer=signer
        )
        result = send_callback(url, callback, timeout=timeout)
    except (NotifyError, KeysError) as exc:
        print(f"sandbox notify: {exc}", file=sys.stderr)
        return 1
    what = f"{event_type} ({fault})" if fault else event_type
    print(f"POST {url} {what}: {result.status} {result.reason} in {result.elapsed_ms:.0f} ms")
    print(f"signed with {signed_by}")
    if result.body:
        print(f"answer body: {_shown(result.body)}")
    if fault is None:
        if result.accepted:
            print("accepted: WeChat Pay would consider this callback received")
            return 0
        print(
            "not accepted: WeChat Pay retries a callback that gets no 2xx within 5 seconds",
            file=sys.stderr,
        )
        return 1
    if result.accepted:
        print(
            f"the handler accepted a forged callback ({FAULTS[fault]}); it must verify the "
            "signature over the raw body (and decrypt) before answering 2xx",
            file=sys.stderr,
        )
        return 1
    print("refused, as it should be")
    return 0
