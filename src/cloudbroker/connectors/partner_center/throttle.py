"""Staying under Partner Center's limits, together with every other worker of the same partner.

Partner Center throttles per partner tenant. When one call gets a 429, every worker calling for
that partner should wait: a :class:`PauseStore` keeps "paused until" per partner. The client looks
at it before each call and writes to it after a 429. :class:`MemoryPauseStore` serves one process;
:class:`CachePauseStore` keeps the pause in a Django-style cache (Redis in production), so every
worker process sees it.

A :class:`RateLimiter` spaces calls out so that a long run (a full sync) stays just under the
partner's limit instead of running into it: :class:`TokenBucket` in one process,
:class:`CacheRateLimiter` across processes, :class:`NoRateLimit` to switch it off.

Times are POSIX timestamps (seconds) from an injectable clock, so tests can move time.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "CachePauseStore",
    "CacheRateLimiter",
    "MemoryPauseStore",
    "NoRateLimit",
    "PauseStore",
    "RateLimiter",
    "TokenBucket",
]

Clock = Callable[[], float]


@runtime_checkable
class PauseStore(Protocol):
    """Where the "paused until" moment of each partner is kept."""

    def get_paused_until(self, partner_key: str) -> float | None:
        """The timestamp until which calls for the partner must wait, or None when not paused."""

    def pause(self, partner_key: str, until: float) -> None:
        """Pause the partner until ``until``; a pause already lasting longer is kept."""


class MemoryPauseStore:
    """Pauses shared by the clients of one process (thread-safe)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def get_paused_until(self, partner_key: str) -> float | None:
        with self._lock:
            return self._until.get(partner_key)

    def pause(self, partner_key: str, until: float) -> None:
        with self._lock:
            if until > self._until.get(partner_key, float("-inf")):
                self._until[partner_key] = until


class CachePauseStore:
    """Pauses kept in a cache with Django's ``get(key)`` / ``set(key, value, timeout)``.

    With Django's Redis cache every worker process shares them. Django is not imported here: pass
    ``django.core.cache.cache`` (or any object with the same two methods).
    """

    def __init__(self, cache: Any, *, prefix: str = "partner-center:paused-until:", clock: Clock = time.time) -> None:
        self.cache = cache
        self.prefix = prefix
        self.clock = clock

    def _key(self, partner_key: str) -> str:
        return f"{self.prefix}{partner_key}"

    def get_paused_until(self, partner_key: str) -> float | None:
        value = self.cache.get(self._key(partner_key))
        return None if value is None else float(value)

    def pause(self, partner_key: str, until: float) -> None:
        # Read-then-write: two workers pausing at once both write a pause of about the same length,
        # and the longer one wins on the next 429 anyway; no lock is worth more than that.
        current = self.get_paused_until(partner_key)
        if current is not None and current >= until:
            return
        lifetime = max(1, math.ceil(until - self.clock()) + 1)
        self.cache.set(self._key(partner_key), until, timeout=lifetime)


@runtime_checkable
class RateLimiter(Protocol):
    """Grants the right to send one call for a partner."""

    def acquire(self, partner_key: str) -> float:
        """0 when the call may go now (its slot is taken); else the seconds to wait before asking again."""


class NoRateLimit:
    def acquire(self, partner_key: str) -> float:
        return 0.0


class TokenBucket:
    """At most ``per_minute`` calls a minute per partner, in bursts of up to ``burst`` (one process)."""

    def __init__(self, per_minute: float, *, burst: int | None = None, clock: Clock = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, int(per_minute // 10)))
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # partner -> (tokens, when counted)
        self._lock = threading.Lock()

    def acquire(self, partner_key: str) -> float:
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(partner_key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[partner_key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[partner_key] = (tokens, now)
            return (1.0 - tokens) / self.rate


class CacheRateLimiter:
    """At most ``per_minute`` calls per partner in each clock minute, counted in a shared cache.

    Uses Django's cache ``add`` and ``incr`` (atomic on Redis), so every worker process counts in
    the same place. Windows are fixed minutes: a burst at a minute's edge can reach twice the limit
    within 60 s, so set ``per_minute`` comfortably under Partner Center's own figure.
    """

    def __init__(
        self, cache: Any, per_minute: int, *, prefix: str = "partner-center:calls:", clock: Clock = time.time
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.cache = cache
        self.per_minute = per_minute
        self.prefix = prefix
        self.clock = clock

    def acquire(self, partner_key: str) -> float:
        now = self.clock()
        minute = int(now // 60)
        key = f"{self.prefix}{partner_key}:{minute}"
        self.cache.add(key, 0, timeout=120)
        try:
            count = self.cache.incr(key)
        except ValueError:  # the key expired between add and incr
            self.cache.add(key, 1, timeout=120)
            count = 1
        if count <= self.per_minute:
            return 0.0
        return max(0.001, (minute + 1) * 60.0 - now)
