"""When to retry, and how long to wait.

Retried: connection errors, timeouts, HTTP 429 and 500-504 (WeChat Pay's guidance: these may be
retried with the same request number). Never any other 4xx. Backoff is exponential
(``base_delay * 2**n``, capped) with jitter; a ``Retry-After`` header is honoured, up to a cap.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Final

__all__ = ["RETRY_STATUSES", "RetryPolicy", "parse_retry_after"]

RETRY_STATUSES: Final = frozenset({429, 500, 501, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Timing of retries. ``retry`` counts from 0 (the wait before the second attempt)."""

    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def backoff(self, retry: int) -> float:
        """``min(max_delay, base_delay * 2**retry)``, jittered into its upper half."""
        ceiling: float = min(self.max_delay, self.base_delay * 2.0 ** min(retry, 32))
        return ceiling * (0.5 + 0.5 * random.random())  # noqa: S311 - jitter, not crypto

    def delay(self, retry: int, retry_after: str | None) -> tuple[float, bool]:
        """Seconds to wait, and whether they came from ``Retry-After``."""
        seconds = parse_retry_after(retry_after)
        if seconds is None:
            return self.backoff(retry), False
        return min(seconds, self.max_retry_after), True


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or HTTP-date); ``None`` if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            import email.utils  # only for an HTTP-date Retry-After

            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(0.0, seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
