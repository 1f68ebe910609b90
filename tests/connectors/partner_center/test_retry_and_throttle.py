"""Retry-After parsing, the back-off schedule, pause stores and rate limiters (no network)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from cloudbroker.connectors.partner_center.retry import RetryPolicy, parse_retry_after
from cloudbroker.connectors.partner_center.throttle import (
    CachePauseStore,
    CacheRateLimiter,
    MemoryPauseStore,
    NoRateLimit,
    TokenBucket,
)

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC).timestamp()


class FakeCache:
    """The part of Django's cache API the stores use: get, set (with timeout), add, incr."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}
        self.timeouts: dict[str, int] = {}

    def get(self, key, default=None):
        return self.data.get(key, default)

    def set(self, key, value, timeout=None):
        self.data[key] = value
        self.timeouts[key] = timeout

    def add(self, key, value, timeout=None):
        if key in self.data:
            return False
        self.set(key, value, timeout)
        return True

    def incr(self, key, delta=1):
        if key not in self.data:
            raise ValueError(key)
        self.data[key] += delta
        return self.data[key]


# -- Retry-After -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), (" 57 ", 57.0), ("0", 0.0), ("1.5", 1.5), ("-3", 0.0)],
)
def test_retry_after_in_seconds(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def test_retry_after_as_an_http_date_counts_from_now():
    moment = datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=90)
    assert parse_retry_after(format_datetime(moment, usegmt=True), now=NOW) == pytest.approx(90)
    assert parse_retry_after("Mon, 02 Mar 2026 12:00:30 GMT", now=NOW) == pytest.approx(30)


def test_retry_after_in_the_past_means_no_wait():
    assert parse_retry_after("Mon, 02 Mar 2026 11:00:00 GMT", now=NOW) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "Mon, 99 Foo 2026", "inf", "nan"])
def test_unreadable_retry_after_is_none(header):
    assert parse_retry_after(header, now=NOW) is None


# -- back-off ----------------------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap_without_jitter():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=10.0, jitter=False)
    assert [policy.backoff(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_jitter_keeps_each_wait_between_half_and_all_of_the_step():
    low = RetryPolicy(backoff_base=2.0, random=lambda: 0.0)
    high = RetryPolicy(backoff_base=2.0, random=lambda: 0.999999)
    for n in range(1, 6):
        step = min(30.0, 2.0 * 2 ** (n - 1))
        assert low.backoff(n) == pytest.approx(step / 2)
        assert step / 2 <= high.backoff(n) <= step


def test_a_retry_never_comes_before_retry_after():
    policy = RetryPolicy(backoff_base=1.0, jitter=False)
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(4, retry_after=2.0) == 8.0  # the back-off is longer here
    assert policy.delay(1, retry_after=None) == 1.0


def test_a_policy_needs_one_attempt_at_least():
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    assert RetryPolicy.never().attempts == 1


# -- pause stores ------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [MemoryPauseStore, lambda: CachePauseStore(FakeCache(), clock=lambda: NOW)])
def test_pause_store_keeps_the_longest_pause_per_partner(make):
    store = make()
    assert store.get_paused_until("partner-a") is None
    store.pause("partner-a", NOW + 10)
    store.pause("partner-a", NOW + 5)  # shorter: the longer pause stays
    assert store.get_paused_until("partner-a") == NOW + 10
    store.pause("partner-a", NOW + 20)
    assert store.get_paused_until("partner-a") == NOW + 20
    assert store.get_paused_until("partner-b") is None


def test_cache_pause_store_lets_the_cache_forget_the_pause_after_it_ends():
    cache = FakeCache()
    store = CachePauseStore(cache, clock=lambda: NOW)
    store.pause("p", NOW + 57.2)
    (key,) = cache.data
    assert key == "partner-center:paused-until:p"
    assert cache.timeouts[key] == 59  # ceil(57.2) + 1: outlives the pause, never shorter


def test_two_cache_pause_stores_on_one_cache_share_pauses():
    cache = FakeCache()
    CachePauseStore(cache, clock=lambda: NOW).pause("p", NOW + 7)
    assert CachePauseStore(cache, clock=lambda: NOW).get_paused_until("p") == NOW + 7


def test_memory_pause_store_is_safe_across_threads():
    store = MemoryPauseStore()
    threads = [threading.Thread(target=store.pause, args=("p", NOW + i)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_paused_until("p") == NOW + 49


# -- rate limiters -----------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_one_call_per_interval():
    clock = Clock(1000.0)
    bucket = TokenBucket(per_minute=60, burst=3, clock=clock)
    assert [bucket.acquire("p") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.acquire("p")
    assert wait == pytest.approx(1.0)  # 60 a minute: one a second
    clock.now += wait
    assert bucket.acquire("p") == 0.0
    assert bucket.acquire("other") == 0.0  # partners have buckets of their own


def test_token_bucket_stays_under_its_rate_over_a_long_run():
    clock = Clock(0.0)
    bucket = TokenBucket(per_minute=120, burst=10, clock=clock)
    sent = 0
    while clock.now < 600:
        wait = bucket.acquire("p")
        if wait:
            clock.now += wait
        else:
            sent += 1
    assert sent <= 10 + 120 * 10 + 1
    assert sent >= 120 * 10  # and close to it


def test_cache_rate_limiter_counts_per_minute_in_the_shared_cache():
    cache = FakeCache()
    clock = Clock(600.0 + 15)  # 15 s into a minute
    first = CacheRateLimiter(cache, per_minute=2, clock=clock)
    second = CacheRateLimiter(cache, per_minute=2, clock=clock)  # another worker, same cache
    assert first.acquire("p") == 0.0
    assert second.acquire("p") == 0.0
    assert first.acquire("p") == pytest.approx(45.0)  # the third call waits for the next minute
    clock.now += 45.0
    assert second.acquire("p") == 0.0


def test_no_rate_limit_never_waits():
    assert NoRateLimit().acquire("p") == 0.0
