"""Explaining a 401 ``SIGN_ERROR``: what exactly was signed, when, and as whom.

The common causes show at a glance: a clock off by minutes (the server rejects timestamps more than
5 minutes away; its ``Date`` header says what time it thinks it is), a ``serial_no`` that is not
the certificate of the configured private key, the wrong ``mchid``/``brand_id``, or a body or query
that changed after signing (compare ``string_to_sign`` with what your proxy forwarded). Never the
signature, the key or the Authorization header.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Final

__all__ = ["SignDiagnosis", "diagnose_sign_error"]

_SKEW_LIMIT: Final = 300


@dataclass(frozen=True)
class SignDiagnosis:
    """What the client signed for the rejected attempt (``string_to_sign`` holds the full body)."""

    scheme: str
    identity_field: str
    identity: str
    serial_no: str
    method: str
    url: str
    timestamp: int
    nonce: str
    body_length: int
    body_sha256: str
    string_to_sign: str = field(repr=False)
    local_time: int
    server_time: int | None

    def summary(self) -> str:
        body = (
            f"+ body ({self.body_length} bytes, sha256 {self.body_sha256[:16]}…)"
            if self.body_length
            else "+ empty body"
        )
        head = f"{self.method}\\n{self.url}\\n{self.timestamp}\\n{self.nonce}\\n"
        lines = [
            f"signed as {self.identity_field}={self.identity} with serial_no={self.serial_no} "
            f"({self.scheme}): check that this is the serial number of the API certificate "
            "whose private key the client uses, and that the id is right",
            f"string to sign: '{head}' {body} + '\\n' (full text: error.diagnosis.string_to_sign)",
        ]
        clock = f"timestamp {self.timestamp}; local clock now {self.local_time}"
        if self.server_time is not None:
            skew = self.timestamp - self.server_time
            clock += f"; server Date {self.server_time} (signed {skew:+d} s from the server's time)"
            if abs(skew) >= _SKEW_LIMIT:
                clock += ": CLOCK SKEW, the server refuses timestamps 5 minutes away; fix the clock"
        lines.append(clock)
        return "\n  ".join(["SIGN_ERROR diagnosis:", *lines])


def _server_time(date_header: str | None) -> int | None:
    if not date_header:
        return None
    try:
        return int(parsedate_to_datetime(date_header).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def diagnose_sign_error(
    *,
    scheme: str,
    identity_field: str,
    identity: str,
    serial_no: str,
    method: str,
    url: str,
    timestamp: int,
    nonce: str,
    body: bytes,
    date_header: str | None,
) -> SignDiagnosis:
    text_body = body.decode("utf-8", "replace")
    return SignDiagnosis(
        scheme=scheme,
        identity_field=identity_field,
        identity=identity,
        serial_no=serial_no,
        method=method,
        url=url,
        timestamp=timestamp,
        nonce=nonce,
        body_length=len(body),
        body_sha256=hashlib.sha256(body).hexdigest(),
        string_to_sign=f"{method}\n{url}\n{timestamp}\n{nonce}\n{text_body}\n",
        local_time=int(time.time()),
        server_time=_server_time(date_header),
    )
