"""The transactional outbox: side effects on outside services, exactly once.

A service calls :func:`enqueue` inside its transaction. After commit a job delivers the message
by calling the handler registered for its kind. A handler either returns a result (delivered),
raises :class:`RetryLater` (the outside service is busy or down, or the outcome is unknown: the
message is tried again later with the same request id), or raises any other exception (failed
for good, with the reason kept). A worker that dies mid-delivery leaves the message leased; the
sweeper sends it again when the lease runs out.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from cloudbroker.core.choices import OutboxStatus
from cloudbroker.core.models import OutboxMessage

__all__ = ["RetryLater", "deliver", "enqueue", "outbox_handler", "resend_due"]

log = structlog.get_logger(__name__)

Handler = Callable[[OutboxMessage], dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}
_FAILURE_HOOKS: dict[str, Callable[[OutboxMessage], None]] = {}

LEASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 50
BACKOFF_CAP = dt.timedelta(minutes=15)


class RetryLater(Exception):
    """Try the message again later; ``after`` (seconds) is a floor, e.g. a Retry-After value."""

    def __init__(self, reason: str, *, after: float | None = None, code: str = "") -> None:
        super().__init__(reason)
        self.after = after
        self.code = code


def outbox_handler(kind: str, *, on_failure: Callable[[OutboxMessage], None] | None = None):
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        if on_failure is not None:
            _FAILURE_HOOKS[kind] = on_failure
        return fn

    return register


def enqueue(*, kind: str, broker_id, payload: dict[str, Any], request_id: uuid.UUID | None = None) -> OutboxMessage:
    if kind not in _HANDLERS:
        raise KeyError(f"No outbox handler for {kind!r}")
    message = OutboxMessage.objects.create(
        kind=kind,
        broker_id=broker_id,
        payload=payload,
        request_id=request_id or uuid.uuid4(),
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: _send(message.pk))
    return message


def _send(message_id) -> None:
    deliver_outbox_task(str(message_id))


def _backoff(attempts: int, floor: float | None) -> dt.timedelta:
    delay = min(dt.timedelta(seconds=5 * 2 ** min(attempts, 12)), BACKOFF_CAP)
    if floor is not None:
        delay = max(delay, dt.timedelta(seconds=floor))
    return delay


def deliver(message_id) -> OutboxMessage | None:
    """Deliver one message if it is due and nobody else holds it. Safe to call any number of times."""
    now = timezone.now()
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        if message is None or message.status in (OutboxStatus.DELIVERED, OutboxStatus.FAILED):
            return message
        if message.status == OutboxStatus.SENDING and message.lease_until and message.lease_until > now:
            return message  # another worker is on it
        if message.next_attempt_at and message.next_attempt_at > now:
            return message  # not yet: a back-off is running
        message.status = OutboxStatus.SENDING
        message.attempts += 1
        message.lease_until = now + LEASE
        message.save(update_fields=["status", "attempts", "lease_until", "updated_at"])

    handler = _HANDLERS[message.kind]
    try:
        result = handler(message) or {}
    except RetryLater as exc:
        if message.attempts >= MAX_ATTEMPTS:
            _fail(message, f"Gave up after {message.attempts} attempts: {exc}", exc.code)
        else:
            delay = _backoff(message.attempts, exc.after)
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=OutboxStatus.PENDING,
                next_attempt_at=timezone.now() + delay,
                lease_until=None,
                last_error=str(exc),
                last_error_code=exc.code,
                updated_at=timezone.now(),
            )
            log.info(
                "outbox.retry_later",
                kind=message.kind,
                message_id=str(message.pk),
                delay=delay.total_seconds(),
                reason=str(exc),
            )
            _schedule(message.pk, delay)
    except Exception as exc:
        log.exception("outbox.failed", kind=message.kind, message_id=str(message.pk))
        _fail(message, str(exc) or type(exc).__name__, getattr(exc, "code", ""))
    else:
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.DELIVERED,
            result=result,
            delivered_at=timezone.now(),
            lease_until=None,
            last_error="",
            last_error_code="",
            updated_at=timezone.now(),
        )
    message.refresh_from_db()
    return message


def _fail(message: OutboxMessage, reason: str, code: str) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.FAILED,
        last_error=reason,
        last_error_code=code or "",
        lease_until=None,
        updated_at=timezone.now(),
    )
    hook = _FAILURE_HOOKS.get(message.kind)
    if hook is not None:
        message.refresh_from_db()
        hook(message)


def _schedule(message_id, delay: dt.timedelta) -> None:
    deliver_outbox_task.schedule(args=(str(message_id),), delay=max(1, int(delay.total_seconds())))


@db_task(name="core.deliver_outbox")
def deliver_outbox_task(message_id: str) -> None:
    deliver(message_id)


def resend_due(now: dt.datetime | None = None) -> list[str]:
    """Send again every message that is due: pending past its back-off, or leased by a dead worker."""
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    stale = OutboxMessage.objects.filter(status=OutboxStatus.SENDING, lease_until__lt=now)
    ids = [str(pk) for pk in due.values_list("pk", flat=True)] + [str(pk) for pk in stale.values_list("pk", flat=True)]
    for message_id in ids:
        _send(message_id)
    return ids
