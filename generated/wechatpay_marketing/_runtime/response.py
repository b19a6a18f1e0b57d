"""A verified response: what ``_request`` returns once the signature checked out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import APIResponseValidationError

__all__ = ["Response"]

_UNSET: Any = object()


class Response:
    """A 2xx response whose signature was verified. ``content`` is the raw body bytes.

    ``headers`` looks names up case-insensitively (an ``httpx.Headers`` when an httpx client
    carried the call). ``streamed``: a file the spec marks unsigned, written to the call's file
    sink (``with_streaming_response``) instead of ``content``, which is then empty.
    """

    __slots__ = ("_json", "content", "headers", "request_id", "status_code", "streamed")

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        content: bytes,
        request_id: str | None,
        streamed: bool = False,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.request_id = request_id
        self.streamed = streamed
        self._json: Any = _UNSET

    def set_json(self, data: Any) -> None:
        """Fix what :meth:`json` returns (the body with its sensitive fields decrypted)."""
        self._json = data

    def json(self) -> Any:
        """The parsed JSON body; ``None`` for an empty 204.

        Raises :class:`APIResponseValidationError` (with the request id) if the body is not JSON.
        """
        if self._json is not _UNSET:
            return self._json
        if not self.content and self.status_code == 204:
            return None
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError) as exc:
            reason = "too deeply nested" if isinstance(exc, RecursionError) else "not valid JSON"
            raise APIResponseValidationError(
                f"HTTP {self.status_code} response body is {reason}",
                request_id=self.request_id,
                status_code=self.status_code,
            ) from None

    def __repr__(self) -> str:
        return (
            f"<Response {self.status_code} request_id={self.request_id!r} "
            f"{len(self.content)} bytes>"
        )
