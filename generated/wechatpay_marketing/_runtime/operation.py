"""What the generated code knows about one endpoint: the :class:`Operation` it hands the client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .sensitive import FieldPath

__all__ = ["Operation"]


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
