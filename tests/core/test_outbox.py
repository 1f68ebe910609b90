"""The outbox delivers each side effect once, retries what may be retried, and survives dead workers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cloudbroker.core import outbox
from cloudbroker.core.choices import OutboxStatus
from cloudbroker.core.crypto import decrypt, encrypt
from cloudbroker.core.models import OutboxMessage
from cloudbroker.core.testing import drain_jobs, flush_jobs

pytestmark = [pytest.mark.django_db, pytest.mark.jobs]

CALLS: list[tuple[str, str]] = []
BEHAVIOUR: dict[str, object] = {}


def _handler(message):
    CALLS.append((message.payload["n"], str(message.request_id)))
    action = BEHAVIOUR.get(message.payload["n"])
    if isinstance(action, list) and action:
        action = action.pop(0)
    if action == "busy":
        raise outbox.RetryLater("busy", after=7, code="throttled")
    if action == "broken":
        raise ValueError("the request is invalid")
    return {"ok": message.payload["n"]}


FAILED: list[str] = []
outbox.outbox_handler("test.call", on_failure=lambda m: FAILED.append(m.payload["n"]))(_handler)


@pytest.fixture(autouse=True)
def _clean():
    flush_jobs()
    CALLS.clear()
    BEHAVIOUR.clear()
    FAILED.clear()
    yield
    flush_jobs()


def test_delivered_once_after_commit(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue(kind="test.call", broker_id=broker.pk, payload={"n": "a"})
        assert CALLS == []
    drain_jobs()
    outbox.deliver(message.pk)  # a second delivery of a delivered message does nothing
    message.refresh_from_db()
    assert (message.status, message.result, message.attempts) == (OutboxStatus.DELIVERED, {"ok": "a"}, 1)
    assert len(CALLS) == 1


def test_retry_later_keeps_the_request_id_and_respects_the_floor(broker):
    BEHAVIOUR["b"] = ["busy", None]
    start = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        message = outbox.enqueue(kind="test.call", broker_id=broker.pk, payload={"n": "b"})
        outbox.deliver(message.pk)
        message.refresh_from_db()
        assert message.status == OutboxStatus.PENDING
        assert message.next_attempt_at >= start + dt.timedelta(seconds=7)
        assert message.last_error_code == "throttled"
        outbox.deliver(message.pk)  # too early: nothing happens
        assert len(CALLS) == 1
    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        assert str(message.pk) in outbox.resend_due()
        drain_jobs()
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
    assert [rid for _, rid in CALLS] == [str(message.request_id)] * 2


def test_a_final_error_fails_the_message_and_tells_its_owner(broker):
    BEHAVIOUR["c"] = "broken"
    message = outbox.enqueue(kind="test.call", broker_id=broker.pk, payload={"n": "c"})
    outbox.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert "invalid" in message.last_error
    assert FAILED == ["c"]


def test_a_dead_worker_lease_expires_and_the_sweeper_sends_again(broker):
    start = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        message = outbox.enqueue(kind="test.call", broker_id=broker.pk, payload={"n": "d"})
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.SENDING, lease_until=start + outbox.LEASE, attempts=1
        )
        outbox.deliver(message.pk)  # leased by a live worker: left alone
        assert CALLS == []
        assert outbox.resend_due() == []
    with time_machine.travel(start + outbox.LEASE + dt.timedelta(seconds=1), tick=False):
        assert outbox.resend_due() == [str(message.pk)]
        drain_jobs()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 2)


def test_secrets_round_trip_and_are_not_stored_in_clear():
    token = encrypt("s3cret-value")
    assert "s3cret" not in token
    assert decrypt(token) == "s3cret-value"
