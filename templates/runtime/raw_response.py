"""``client.with_raw_response.<method>(...)``: the verified response, with its success metadata.

What the plain method returns is one :meth:`APIResponse.parse` away; ``status_code``, ``headers``,
``request_id`` (quote it in support tickets) and the raw ``content`` are there as received.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from .response import Response
from .serde import parse_response

__all__ = ["APIResponse"]

T = TypeVar("T")
_UNSET: Any = object()


class APIResponse(Generic[T]):
    """A 2xx response whose signature was verified; :meth:`parse` gives the method's result.

    ``parse`` is ``None`` for operations that answer 204 without a body (``parse()`` is ``None``)
    and for file answers (``returns_bytes``: ``parse()`` is the content).
    """

    __slots__ = ("_parse", "_parsed", "_response", "_returns_bytes")

    def __init__(
        self,
        response: Response,
        parse: Callable[[Any], T] | None,
        *,
        returns_bytes: bool = False,
    ) -> None:
        self._response = response
        self._parse = parse
        self._returns_bytes = returns_bytes
        self._parsed: Any = _UNSET

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers; names are matched case-insensitively."""
        return self._response.headers

    @property
    def request_id(self) -> str | None:
        """The ``Request-ID`` header: what WeChat Pay support asks for."""
        return self._response.request_id

    @property
    def content(self) -> bytes:
        """The raw body bytes, exactly as received and verified."""
        return self._response.content

    def json(self) -> Any:
        """The body as parsed JSON (``None`` for an empty 204)."""
        return self._response.json()

    def parse(self) -> T:
        """What the plain method returns: the response model (``None`` for 204); parsed once.

        Raises :class:`APIResponseValidationError` when the body is not the documented shape.
        """
        if self._parsed is _UNSET:
            parse = self._parse
            if self._returns_bytes:
                self._parsed = self._response.content
            else:
                self._parsed = None if parse is None else parse_response(parse, self._response)
        result: T = self._parsed
        return result

    def __repr__(self) -> str:
        return (
            f"<APIResponse {self.status_code} request_id={self.request_id!r} "
            f"{len(self.content)} bytes>"
        )
