"""What the sandbox received: one :class:`RecordedRequest` per request, for tests to inspect."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive headers that keep the received spelling and order.

    A repeated header reads as its values joined by ``", "``; :meth:`items_list` keeps them apart.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = tuple(items)
        merged: dict[str, tuple[str, str]] = {}
        for name, value in self._items:
            lower = name.lower()
            if lower in merged:
                first, previous = merged[lower]
                merged[lower] = (first, f"{previous}, {value}")
            else:
                merged[lower] = (name, value)
        self._merged = merged

    def __getitem__(self, name: str) -> str:
        return self._merged[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._merged

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._merged.values())

    def __len__(self) -> int:
        return len(self._merged)

    def items_list(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received, and what the sandbox did with it.

    ``headers`` has the Authorization signature replaced by ``[redacted]``; the Authorization
    fields a test may want are parsed out (``auth_scheme``, ``identity``, ``serial_no``, ``nonce``,
    ``timestamp``; None when absent or unparseable). ``status`` is None when the connection was
    dropped. ``fault`` is the X-Sandbox-Fault value that acted on this request (None when there was
    none, or ``times=n`` was used up).
    """

    time: float
    method: str
    target: str
    headers: Headers
    body: bytes
    operation_id: str | None = None
    auth_scheme: str | None = None
    identity: str | None = None
    serial_no: str | None = None
    nonce: str | None = None
    timestamp: str | None = None
    status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    fault: str | None = None
    response_headers: Headers = field(default_factory=Headers)
    response_body: bytes = b""

    @property
    def path(self) -> str:
        """The raw (still percent-encoded) path, without the query."""
        return self.target.partition("?")[0]


class Recorder:
    """A thread-safe, append-only list of requests.

    :meth:`clear` starts a new generation: a request that arrived before it (say, one still
    sleeping in a ``delay`` fault) is not recorded when it finishes after it, so one test's slow
    request never shows up in the next test's list.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []
        self._generation = 0

    @property
    def generation(self) -> int:
        with self._lock:
            return self._generation

    def append(self, item: RecordedRequest, generation: int | None = None) -> None:
        with self._lock:
            if generation is None or generation == self._generation:
                self._items.append(item)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._generation += 1
