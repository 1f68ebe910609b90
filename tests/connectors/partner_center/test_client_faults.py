"""Throttling, outages, timeouts and lost answers, made by the emulator over HTTP.

The clients' clock and sleep are fake (see conftest): a 7-second Retry-After is checked on the
recorded waits, not waited for.
"""

from __future__ import annotations

import uuid

import pytest

from cloudbroker.connectors.partner_center import (
    MemoryPauseStore,
    PartnerCenterClient,
    PartnerCenterThrottled,
    PartnerCenterTimeout,
    PartnerCenterTransportError,
    PartnerCenterUnavailable,
    RetryPolicy,
    TokenBucket,
)
from cloudbroker.connectors.partner_center.auth import TokenProvider
from partner_center_emulator.testing import running_emulator

from .conftest import FakeTime, customer_body, emulator_requests

pytestmark = pytest.mark.emulator


def sends_of(pc, method: str, path: str) -> list[dict]:
    return [r for r in emulator_requests(pc) if r["method"] == method and r["path"] == path]


def customers_with_domain(pc, domain: str) -> list[dict]:
    return [c for c in pc.state()["customers"] if c["domain"] == domain]


# -- throttling --------------------------------------------------------------------------------------


def test_a_429_is_retried_no_sooner_than_retry_after(make_client, pc, fake_time, attempts):
    customer = pc.create_customer_directly(company_name="Throttled")
    pc.inject_fault("GET", "/v1/customers/*", "429", retry_after=7)
    sent_at: list[float] = []

    def record(attempt):
        attempts.append(attempt)
        sent_at.append(fake_time.now)  # the fake clock only moves when the client sleeps

    client = make_client(on_attempt=record)

    assert client.get_customer(customer["id"]).id == customer["id"]

    assert [a.status for a in attempts] == [429, 200]
    assert attempts[0].wait >= 7
    assert sent_at[1] - sent_at[0] >= 7  # the clock moved 7 s or more before the second send
    assert sum(fake_time.sleeps) >= 7
    assert client.stats.throttled == 1
    assert client.stats.retries == 1
    assert pc.stats()["faultsServed"] == 1


def test_a_429_pauses_every_client_of_the_partner(make_client, pc, fake_time):
    customer = pc.create_customer_directly(company_name="Shared")
    store = MemoryPauseStore()
    first = make_client(pause_store=store, retry=RetryPolicy.never())
    second = make_client(pause_store=store)  # another worker of the same partner
    pc.inject_fault("GET", "/v1/customers/*", "429", retry_after=7)

    with pytest.raises(PartnerCenterThrottled) as caught:
        first.get_customer(customer["id"])
    assert caught.value.retry_after == 7
    assert caught.value.code == "partner_center_throttled"
    assert caught.value.retryable
    paused_until = store.get_paused_until(first.partner_key)
    assert paused_until == pytest.approx(fake_time.now + 7)

    assert fake_time.sleeps == []
    assert second.domain_available("free.onmicrosoft.com") is True
    assert sum(fake_time.sleeps) >= 7  # it waited for the pause before sending anything
    assert fake_time.now >= paused_until
    assert second.stats.paused_seconds >= 7
    assert second.stats.throttled == 0  # and was not throttled itself


def test_a_pause_of_another_partner_does_not_hold_a_client(make_client, pc, fake_time):
    store = MemoryPauseStore()
    store.pause("someone-else", fake_time.now + 60)
    client = make_client(pause_store=store)
    assert client.domain_available("free.onmicrosoft.com") is True
    assert fake_time.sleeps == []


def test_the_emulators_own_rate_limit_throttles_and_the_client_gives_up_within_its_time(make_client, pc):
    pc.set_rate_limit(3)
    client = make_client(retry=RetryPolicy(attempts=3, total_time=30, jitter=False))
    for _ in range(3):
        client.domain_available("free.onmicrosoft.com")
    with pytest.raises(PartnerCenterThrottled) as caught:
        client.domain_available("free.onmicrosoft.com")
    # Partner Center asked for up to a minute; that is more than this call may wait, so the
    # caller gets the error and the wait it must respect, and the partner is paused meanwhile.
    assert 0 < caught.value.retry_after <= 60
    assert client.pause_store.get_paused_until(client.partner_key) > client.clock()
    assert client.stats.sends == 4


# -- outages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors_on_reads_are_retried_until_they_pass(make_client, pc, fake_time, attempts, kind):
    customer = pc.create_customer_directly(company_name="Flaky")
    pc.inject_fault("GET", "/v1/customers/*", kind, count=2, retry_after=3)
    client = make_client(on_attempt=attempts.append)

    assert client.get_customer(customer["id"]).id == customer["id"]
    assert [a.status for a in attempts] == [int(kind), int(kind), 200]
    assert client.stats.retries == 2
    assert len(fake_time.sleeps) == 2
    assert fake_time.sleeps == sorted(fake_time.sleeps)  # back-off grows
    if kind == "503":
        assert min(fake_time.sleeps) >= 3  # its Retry-After is respected too
    assert len({a.correlation_id for a in attempts}) == 3  # a new correlation id per send
    assert len({a.request_id for a in attempts}) == 1


def test_server_errors_that_outlast_the_attempts_raise_unavailable(make_client, pc):
    pc.inject_fault("GET", "/v1/customers/*", "503", count=10)
    client = make_client(retry=RetryPolicy(attempts=3, jitter=False))
    with pytest.raises(PartnerCenterUnavailable) as caught:
        client.get_customer("00000000-0000-0000-0000-000000000001")
    assert caught.value.code == "partner_center_unavailable"
    assert caught.value.details["attempts"] == 3
    assert caught.value.details["http_status"] == 503
    assert caught.value.retryable
    assert client.stats.sends == 3


def test_a_write_with_the_callers_request_id_is_retried_with_that_same_id(make_client, pc, attempts):
    pc.inject_fault("POST", "/v1/customers", "503", count=2)
    client = make_client(on_attempt=attempts.append)
    request_id = uuid.uuid4()
    customer = client.create_customer(customer_body("retried"), request_id=request_id)
    assert customer.domain == "retried.onmicrosoft.com"
    assert [a.status for a in attempts] == [503, 503, 201]
    assert {a.request_id for a in attempts} == {str(request_id)}
    assert pc.stats()["faultsServed"] == 2
    assert [s["requestId"] for s in sends_of(pc, "POST", "/v1/customers")] == [str(request_id)]
    assert len(customers_with_domain(pc, "retried.onmicrosoft.com")) == 1


def test_a_write_without_a_request_id_is_not_retried(make_client, pc):
    pc.inject_fault("POST", "/v1/customers", "500")
    client = make_client()
    with pytest.raises(PartnerCenterUnavailable) as caught:
        client.create_customer(customer_body("once"))
    assert client.stats.sends == 1
    assert pc.stats()["faultsServed"] == 1
    assert caught.value.outcome_unknown  # a 500 on a write: it may have happened
    assert caught.value.details["request_id"]  # the id to send it again with


# -- lost answers and timeouts -------------------------------------------------------------------------


def test_a_lost_answer_to_create_customer_is_retried_and_leaves_one_customer(make_client, pc, attempts):
    pc.inject_fault("POST", "/v1/customers", "lost_response")
    client = make_client(on_attempt=attempts.append)
    request_id = uuid.uuid4()

    customer = client.create_customer(customer_body("lost"), request_id=request_id)

    assert isinstance(attempts[0].error, PartnerCenterTransportError)
    assert attempts[0].error.outcome_unknown
    assert attempts[1].status == 201
    (made,) = customers_with_domain(pc, "lost.onmicrosoft.com")
    assert made["id"] == customer.id
    assert {s["requestId"] for s in sends_of(pc, "POST", "/v1/customers")} == {str(request_id)}


def test_a_lost_answer_the_caller_retries_later_with_the_same_id_leaves_one_customer(make_client, pc):
    pc.inject_fault("POST", "/v1/customers", "lost_response")
    client = make_client(retry=RetryPolicy.never())
    request_id = uuid.uuid4()
    with pytest.raises(PartnerCenterTransportError) as caught:
        client.create_customer(customer_body("later"), request_id=request_id)
    assert caught.value.code == "partner_center_transport_error"
    assert caught.value.outcome_unknown
    assert not caught.value.final
    assert caught.value.details["request_id"] == str(request_id)

    # The outbox sends the message again with the request id it stored.
    customer = make_client().create_customer(customer_body("later"), request_id=request_id)
    (made,) = customers_with_domain(pc, "later.onmicrosoft.com")
    assert made["id"] == customer.id


def test_a_write_that_times_out_has_an_unknown_outcome(make_client, pc):
    pc.inject_fault("POST", "/v1/customers", "delay", delay=1.5)
    client = make_client(read_timeout=0.3, retry=RetryPolicy.never())
    request_id = uuid.uuid4()
    with pytest.raises(PartnerCenterTimeout) as caught:
        client.create_customer(customer_body("slow"), request_id=request_id)
    error = caught.value
    assert error.code == "partner_center_timeout"
    assert error.outcome_unknown
    assert error.retryable
    assert "same request id" in error.message

    # Whether or not the slow call has finished by now, the same request id makes one customer.
    customer = make_client().create_customer(customer_body("slow"), request_id=request_id)
    (made,) = customers_with_domain(pc, "slow.onmicrosoft.com")
    assert made["id"] == customer.id


def test_a_read_that_times_out_is_retried(make_client, pc, attempts):
    customer = pc.create_customer_directly(company_name="Slow read")
    pc.inject_fault("GET", "/v1/customers/*", "delay", delay=1.0)
    client = make_client(read_timeout=0.3, on_attempt=attempts.append)
    assert client.get_customer(customer["id"]).id == customer["id"]
    assert isinstance(attempts[0].error, PartnerCenterTimeout)
    assert not attempts[0].error.outcome_unknown  # a read changes nothing
    assert attempts[-1].status == 200


def test_emulator_down_gives_a_clear_unavailable_error_and_calls_work_once_it_is_back(emulator, make_client, pc):
    client = make_client(retry=RetryPolicy(attempts=2, jitter=False))
    assert client.domain_available("free.onmicrosoft.com") is True  # token in hand
    emulator.stop()
    try:
        with pytest.raises(PartnerCenterUnavailable) as caught:
            client.domain_available("free.onmicrosoft.com")
        assert type(caught.value) is PartnerCenterUnavailable
        assert caught.value.code == "partner_center_unavailable"
        assert "cannot be reached" in caught.value.message
        assert emulator.base_url in caught.value.message
        assert not caught.value.outcome_unknown  # nothing was sent
        assert client.stats.retries == 1

        fresh = make_client()  # a new worker cannot even get a token
        with pytest.raises(PartnerCenterUnavailable) as caught:
            fresh.domain_available("free.onmicrosoft.com")
        assert "token service" in caught.value.message
    finally:
        emulator.start()
    assert client.domain_available("free.onmicrosoft.com") is True
    assert fresh.domain_available("free.onmicrosoft.com") is True


# -- tokens ------------------------------------------------------------------------------------------


def test_the_token_is_renewed_before_it_expires():
    fake_time = FakeTime()
    # Tokens of 250 s: MSAL's own cache (5 minutes of margin) never keeps them, so every renewal
    # this client decides on reaches the token endpoint.
    with running_emulator(token_lifetime=250, rate_limit=0) as pc:
        tokens = TokenProvider(
            client_id=pc.client_id,
            client_secret=pc.client_secret,
            authority=pc.authority,
            scope=pc.scope,
            refresh_margin=60,
            clock=fake_time,
        )
        with PartnerCenterClient(
            base_url=pc.base_url,
            authority=pc.authority,
            client_id=pc.client_id,
            client_secret=pc.client_secret,
            token_provider=tokens,
            clock=fake_time,
            sleep=fake_time.sleep,
        ) as client:

            def token_calls() -> int:
                return sum(n for k, n in pc.stats()["calls"].items() if "oauth2" in k)

            client.domain_available("a.onmicrosoft.com")
            client.domain_available("b.onmicrosoft.com")
            assert token_calls() == 1
            fake_time.now += 150  # 100 s left: more than the margin
            client.domain_available("c.onmicrosoft.com")
            assert token_calls() == 1
            fake_time.now += 50  # 50 s left: renew first
            client.domain_available("d.onmicrosoft.com")
            assert token_calls() == 2
            assert tokens.acquired == 2


def test_a_refused_token_is_replaced_once(make_client, pc, attempts):
    class RevokedFirst(TokenProvider):
        """Hands out a token Partner Center no longer accepts, until told to forget it."""

        revoked = True

        def get_token(self) -> str:
            return "revoked.token.value" if self.revoked else super().get_token()

        def invalidate(self) -> None:
            self.revoked = False
            super().invalidate()

    tokens = RevokedFirst(client_id=pc.client_id, client_secret=pc.client_secret, authority=pc.authority)
    client = make_client(token_provider=tokens, on_attempt=attempts.append)
    assert client.domain_available("free.onmicrosoft.com") is True
    assert [a.status for a in attempts] == [401, 404]


# -- rate limiter ------------------------------------------------------------------------------------


def test_the_rate_limiter_spaces_calls_out(make_client, fake_time):
    client = make_client(rate_limiter=TokenBucket(per_minute=6, burst=2, clock=fake_time))
    for i in range(5):
        client.domain_available(f"free{i}.onmicrosoft.com")
    # Two at once, then one every 10 s.
    assert sum(fake_time.sleeps) == pytest.approx(30)
    assert client.stats.paused_seconds == pytest.approx(30)
    assert client.stats.sends == 5
