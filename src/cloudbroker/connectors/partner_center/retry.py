"""When to try a Partner Center call again, and how long to wait first.

A retry never comes before the ``Retry-After`` Partner Center asked for; otherwise the wait grows
exponentially with jitter. Attempts and the total time of one call are bounded: what is left over
is for the caller (the outbox reschedules the message).
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["RETRY_STATUSES", "RetryPolicy", "parse_retry_after"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date (RFC 9110).

    ``now`` is the current POSIX time (for the date form). Returns None when the header is
    missing or unreadable; never a negative number.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT
        return None
    return max(0.0, moment.timestamp() - now)


@dataclass(frozen=True)
class RetryPolicy:
    """How one call is retried.

    * ``attempts``: the most sends of one call, the first included (1 = never retry).
    * ``total_time``: seconds from the first send beyond which no retry starts: a retry whose wait
      would end later is not made, and the last error is raised (it carries ``retry_after``).
    * ``backoff_base`` / ``backoff_max``: the n-th retry waits ``base × 2^(n-1)`` capped at ``max``,
      then jittered to between half and all of it (``jitter=False``: exactly that).
    * ``throttle_wait``: the wait after a 429 that has no ``Retry-After``.
    """

    attempts: int = 4
    total_time: float = 90.0
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    jitter: bool = True
    throttle_wait: float = 30.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def backoff(self, retry: int) -> float:
        """The wait before the ``retry``-th retry (1 = the first retry), without Retry-After."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** max(0, retry - 1))
        if not self.jitter:
            return ceiling
        return ceiling / 2 + self.random() * ceiling / 2

    def delay(self, retry: int, retry_after: float | None) -> float:
        """The wait before the ``retry``-th retry: the back-off, never less than ``retry_after``."""
        return max(self.backoff(retry), retry_after or 0.0)

    @classmethod
    def never(cls) -> RetryPolicy:
        return cls(attempts=1)
