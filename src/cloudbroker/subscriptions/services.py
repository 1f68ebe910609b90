"""Keeping the subscription record: events, seat lots and the sales price per period.

The vendor's app decides *whether* a change may happen and sends it to the vendor; once the
vendor confirms it, it is written here, in one transaction with its event (and one audit event).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import record_event
from cloudbroker.core.errors import FieldError, NotFound, ValidationFailed
from cloudbroker.core.money import Money
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.validation import iso_date
from cloudbroker.subscriptions.choices import EventKind
from cloudbroker.subscriptions.models import SeatLot, Subscription, SubscriptionEvent, SubscriptionPrice

__all__ = [
    "add_lot",
    "get_subscription",
    "price_on",
    "record",
    "replace_lots",
    "set_sales_price",
    "start_price",
]


def get_subscription(actor: Actor, pk: Any) -> Subscription:
    """The subscription if ``actor`` sees it (else 404)."""
    from django.http import Http404

    actor.require(Perm.SUBSCRIPTION_VIEW)
    try:
        return get_visible_or_404(
            Subscription.objects.select_related("offer", "offer__product", "organization", "parent", "next_term_offer"),
            actor,
            pk,
        )
    except Http404:
        raise NotFound("Subscription not found.") from None


def record(
    subscription: Subscription,
    kind: EventKind,
    *,
    actor: Actor,
    occurred_at: dt.datetime | None = None,
    quantity_before: int | None = None,
    quantity_after: int | None = None,
    price_before: Decimal | None = None,
    price_after: Decimal | None = None,
    detail: dict[str, Any] | None = None,
) -> SubscriptionEvent:
    """Write one event of the subscription's history, and the same change to the audit log."""
    event = SubscriptionEvent.objects.create(
        broker_id=subscription.broker_id,
        organization_id=subscription.organization_id,
        subscription=subscription,
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        quantity_before=quantity_before,
        quantity_after=quantity_after,
        price_before=price_before,
        price_after=price_after,
        currency=subscription.currency,
        detail=detail or {},
        actor_id=actor.user_id,
        actor_label=actor.label,
    )
    before: dict[str, Any] = {}
    after: dict[str, Any] = dict(detail or {})
    if quantity_before is not None:
        before["quantity"] = quantity_before
    if quantity_after is not None:
        after["quantity"] = quantity_after
    if price_before is not None:
        before["unit_price"] = str(price_before)
    if price_after is not None:
        after["unit_price"] = str(price_after)
    record_event(
        actor=actor,
        action=f"subscription.{kind}",
        obj=subscription,
        organization_id=subscription.organization_id,
        before=before or None,
        after=after or None,
    )
    return event


def add_lot(
    subscription: Subscription, quantity: int, added_at: dt.datetime, reducible_until: dt.datetime | None
) -> SeatLot:
    return SeatLot.objects.create(
        subscription=subscription, quantity=quantity, added_at=added_at, reducible_until=reducible_until
    )


def replace_lots(
    subscription: Subscription, lots: Iterable[tuple[int, dt.datetime]], window: dt.timedelta | None
) -> None:
    """The subscription's lots become ``lots`` (quantity, added at), each reducible for the vendor's
    ``window``: after seats were taken back, or when the vendor reports its own."""
    SeatLot.objects.filter(subscription=subscription).delete()
    SeatLot.objects.bulk_create(
        [
            SeatLot(subscription=subscription, quantity=q, added_at=at, reducible_until=at + window if window else None)
            for q, at in lots
            if q > 0
        ]
    )


def start_price(subscription: Subscription, valid_from: dt.date, unit_price: Decimal) -> None:
    """The first sales price of a subscription (from its start)."""
    SubscriptionPrice.objects.update_or_create(
        subscription=subscription,
        valid_from=valid_from,
        defaults={"unit_price": unit_price, "currency": subscription.currency},
    )
    subscription.unit_price = unit_price


def price_on(subscription: Subscription, day: dt.date) -> Money | None:
    """The sales price per seat per charge on ``day`` (None before the first price)."""
    row = (
        SubscriptionPrice.objects.filter(subscription=subscription, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("unit_price", "currency")
        .first()
    )
    return Money(row[0], row[1]) if row else None


def set_sales_price(*, actor: Actor, subscription: Subscription, valid_from: Any, unit_price: Any) -> SubscriptionPrice:
    """Edit the sales price from a date on (also a date in the past: billing uses it for the periods
    from then). The price list is not changed; this subscription keeps its own price."""
    actor.require(Perm.CUSTOMER_PRICE_CHANGE)
    errors: list[FieldError] = []
    words = "Enter the date the price applies from (YYYY-MM-DD)."
    day = iso_date(valid_from, "valid_from", errors, message=words)
    if day is None and not errors:
        errors.append(FieldError("valid_from", words, "required"))
    amount = _amount(unit_price)
    if amount is None:
        errors.append(FieldError("unit_price", "Enter the price per seat as a number, e.g. 12.50.", "invalid"))
    elif amount < 0:
        errors.append(FieldError("unit_price", "The price cannot be negative.", "min_value"))
    elif amount != amount.quantize(Decimal("0.000001")):
        errors.append(FieldError("unit_price", "Use at most six decimals.", "max_decimal_places"))
    elif amount >= Decimal(10) ** 12:
        errors.append(FieldError("unit_price", "This price is too large.", "max_value"))
    if day is not None and subscription.start_date and day < subscription.start_date:
        errors.append(
            FieldError("valid_from", f"The subscription started on {subscription.start_date:%Y-%m-%d}.", "min_value")
        )
    if errors:
        raise ValidationFailed(errors)
    assert day is not None
    assert amount is not None
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
        before = price_on(sub, day)
        row, _ = SubscriptionPrice.objects.update_or_create(
            subscription=sub, valid_from=day, defaults={"unit_price": amount, "currency": sub.currency}
        )
        current = price_on(sub, timezone.localdate())
        sub.unit_price = current.amount if current else None
        sub.save(update_fields=["unit_price", "updated_at"])
        record(
            sub,
            EventKind.PRICE_CHANGED,
            actor=actor,
            occurred_at=dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC),
            price_before=before.amount if before else None,
            price_after=amount,
            detail={"valid_from": day.isoformat()},
        )
    return row


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (ArithmeticError, ValueError):
        return None
    return amount if amount.is_finite() else None


def subscriptions_block_deletion(organization: Any) -> str | None:
    """An organization with subscriptions keeps them (and their history, which billing needs)."""
    if Subscription.objects.filter(organization=organization).exists():
        return (
            "The organization has subscriptions: their history is kept for billing. Offboard it instead of deleting it."
        )
    return None
