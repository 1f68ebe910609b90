"""Changing an NCE subscription (seed 001 §5): quantity, auto-renew, suspend, activate, cancel, name.

Each change is checked against Microsoft's rules here first (``nce``), with what it costs or
refunds shown before it is confirmed; then it is sent to Partner Center through the outbox and
written to the subscription's history when Partner Center confirms it. While one change is on its
way, the subscription takes no other. Partner Center's refusals come back as plain messages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from cloudbroker.core import outbox
from cloudbroker.core.actors import Actor
from cloudbroker.core.errors import Conflict, FieldError, ValidationFailed
from cloudbroker.core.models import OutboxMessage
from cloudbroker.core.money import Money, Rounding
from cloudbroker.core.permissions import Perm
from cloudbroker.core.validation import plain_text, whole_number
from cloudbroker.microsoft365 import nce
from cloudbroker.microsoft365.models import MicrosoftTenant, TenantSubscription
from cloudbroker.microsoft365.partner_center import WORKER_RETRY, client_for
from cloudbroker.microsoft365.subscription_sync import mirror
from cloudbroker.subscriptions import services as records
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription

__all__ = [
    "ChangePreview",
    "activate",
    "cancel",
    "cancellation_preview",
    "change_quantity",
    "quantity_preview",
    "rename",
    "set_auto_renew",
    "suspend",
]

CHANGE_SUBSCRIPTION = "partner_center.change_subscription"

#: Partner Center's error codes for subscription changes, in words a broker can act on.
MICROSOFT_MESSAGES = {
    "800090": "Partner Center refused to remove seats: they are past their 7-day window.",
    "900117": "The 7-day cancellation window has passed; the subscription can no longer be cancelled.",
    "900213": "The 7-day cancellation window has passed; the subscription can no longer be cancelled.",
    "800091": "A suspended subscription's quantity cannot change: activate it first.",
    "2001": "A suspended subscription's quantity cannot change: activate it first.",
    "800088": "Partner Center allows no more seats on this subscription.",
    "900311": "This subscription has reached Partner Center's limit of updates.",
}


class _Requester(NamedTuple):
    """Who asked for a change, for the history written when Partner Center confirms it."""

    broker_id: Any
    user_id: Any
    label: str


@dataclass
class ChangePreview:
    """What a change would do, before it is confirmed: allowed or why not, and the money."""

    allowed: bool
    message: str = ""
    new_total: Money | None = None  # per charge, after the change
    prorated: Money | None = None  # charged now (positive) or refunded (negative), to the cycle end
    cycle_end: dt.date | None = None
    deadlines: list[tuple[int, dt.datetime]] = field(default_factory=list)  # seats, removable until
    refund_kind: str | None = None
    can_schedule: bool = False


def _lots(sub: Subscription) -> list[nce.SeatLot]:
    return [nce.SeatLot(lot.quantity, lot.added_at) for lot in sub.lots.all()]


def _require_changeable(sub: Subscription) -> None:
    if sub.change_pending:
        raise Conflict(f"{sub}: Partner Center is still working on “{sub.change_pending}”. Try again in a minute.")
    if not sub.vendor_subscription_id or sub.status not in SubscriptionStatus.live():
        raise Conflict(f"{sub} is {sub.get_status_display().lower()}: it cannot be changed.")


def _prorate(sub: Subscription, quantity: int, day: dt.date) -> tuple[Money | None, dt.date | None]:
    """``quantity`` seats (negative: taken back) from ``day`` to the end of the current charge cycle,
    at the subscription's sales price (Microsoft's formula, §7.5; rounded once, commercially)."""
    if sub.unit_price is None or sub.start_date is None or day < sub.start_date:
        return None, None
    start, end = nce.charge_cycle(sub.start_date, sub.billing_plan, day)
    days = nce.charge_cycle_days(start, sub.billing_plan)
    unit = Money(sub.unit_price, sub.currency)
    amount = unit * quantity * Decimal(nce.billing_days(day, end)) / Decimal(days)
    return amount.rounded(Rounding.COMMERCIAL), end


def quantity_preview(
    actor: Actor, *, subscription: Subscription, quantity: Any, now: dt.datetime | None = None
) -> ChangePreview:
    actor.require(Perm.SUBSCRIPTION_VIEW)
    sub = records.get_subscription(actor, subscription.pk)
    now = now or timezone.now()
    new = _clean_quantity(quantity, sub)
    lots = _lots(sub)
    deadlines = [(lot.quantity, lot.reducible_until) for lot in lots if lot.reducible_on(now)]
    total = Money(sub.unit_price, sub.currency) * new if sub.unit_price is not None else None
    try:
        nce.check_quantity_change(
            current=sub.quantity,
            new=new,
            lots=lots,
            now=now,
            suspended=sub.status == SubscriptionStatus.SUSPENDED,
            trial=sub.offer.product.is_trial,
            minimum=sub.offer.product.minimum_quantity,
            maximum=sub.offer.product.maximum_quantity,
        )
    except nce.NceRefused as exc:
        message = exc.message
        if exc.code == 800090 and sub.commitment_end:
            each = "; ".join(
                f"{lot.quantity} seat{'s' if lot.quantity != 1 else ''} added {lot.added_at:%Y-%m-%d}: "
                f"{'removable until' if lot.reducible_on(now) else 'window ended'} "
                f"{lot.reducible_until:%Y-%m-%d %H:%M} UTC"
                for lot in lots
            )
            message += (
                f" Lots: {each}. The quantity can be lowered for the next term instead "
                f"(from {nce.renewal_day(sub.commitment_end):%Y-%m-%d})."
            )
        return ChangePreview(False, message, total, None, None, deadlines, can_schedule=exc.code == 800090)
    # Seats added are charged, seats removed refunded, by the day to the end of the charge cycle
    # (Microsoft's proration; the full-refund rule of the first 24 hours is a cancellation's).
    prorated, end = _prorate(sub, new - sub.quantity, now.date())
    return ChangePreview(True, "", total, prorated, end, deadlines)


def cancellation_preview(actor: Actor, *, subscription: Subscription, now: dt.datetime | None = None) -> ChangePreview:
    """Whether the subscription can be cancelled now and what comes back: everything within 24 hours
    of the purchase or renewal, the unused days within 7 days, nothing after (not allowed)."""
    actor.require(Perm.SUBSCRIPTION_VIEW)
    sub = records.get_subscription(actor, subscription.pk)
    now = now or timezone.now()
    lots = _lots(sub)
    if not lots:
        return ChangePreview(False, "Nothing to cancel: no seats are recorded for this subscription.")
    started = min(lot.added_at for lot in lots)
    kind = nce.refund_kind(started, now) if now >= started else None
    until = started + nce.CHANGE_WINDOW
    if kind is None:
        return ChangePreview(
            False,
            f"The 7-day cancellation window ended on {until:%Y-%m-%d %H:%M} UTC. Turn auto-renew off to end the "
            f"subscription on {sub.commitment_end:%Y-%m-%d}."
            if sub.commitment_end
            else "The cancellation window has passed.",
        )
    if kind == "full" or sub.unit_price is None or sub.start_date is None:
        charged = Money(sub.unit_price, sub.currency) * sub.quantity if sub.unit_price is not None else None
        refund = -charged.rounded(Rounding.COMMERCIAL) if charged is not None else None
        return ChangePreview(
            True,
            f"Cancelling now refunds the whole charge (until {started + nce.FULL_REFUND_WINDOW:%Y-%m-%d %H:%M} UTC).",
            Money(Decimal(0), sub.currency),
            refund,
            None,
            refund_kind=kind,
        )
    refund, end = _prorate(sub, -sub.quantity, now.date())
    return ChangePreview(
        True,
        f"Cancelling now refunds the unused days to {end:%Y-%m-%d} (allowed until {until:%Y-%m-%d %H:%M} UTC).",
        Money(Decimal(0), sub.currency),
        refund,
        end,
        refund_kind=kind,
    )


def _clean_quantity(raw: Any, sub: Subscription) -> int:
    errors: list[FieldError] = []
    new = whole_number(raw, "quantity", errors, what="the new number of seats")
    if new is None:
        raise ValidationFailed(errors)
    if new < 1:
        raise ValidationFailed(
            [FieldError("quantity", "At least 1 seat stays; cancel the subscription to end it.", "min_value")]
        )
    if new == sub.quantity:
        raise ValidationFailed([FieldError("quantity", f"The subscription already has {new} seats.", "unchanged")])
    return new


def _send(actor: Actor, sub: Subscription, change: dict[str, Any], label: str) -> Subscription:
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=sub.pk)
        _require_changeable(locked)
        tenant = MicrosoftTenant.objects.filter(organization_id=locked.organization_id).exclude(customer_id="").first()
        if tenant is None:
            raise Conflict(f"{locked.organization} has no Microsoft 365 tenant to change the subscription in.")
        locked.change_pending = label
        locked.save(update_fields=["change_pending", "updated_at"])
        outbox.enqueue(
            kind=CHANGE_SUBSCRIPTION,
            broker_id=locked.broker_id,
            payload={
                "subscription": str(locked.pk),
                "customer_id": tenant.customer_id,
                "change": change,
                "actor": [str(actor.user_id) if actor.user_id else None, actor.label],
            },
        )
    return locked


def change_quantity(
    actor: Actor, *, subscription: Subscription, quantity: Any, now: dt.datetime | None = None
) -> Subscription:
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    preview = quantity_preview(actor, subscription=subscription, quantity=quantity, now=now)
    sub = records.get_subscription(actor, subscription.pk)
    _require_changeable(sub)
    if not preview.allowed:
        raise Conflict(preview.message)
    new = _clean_quantity(quantity, sub)
    return _send(actor, sub, {"quantity": new}, f"quantity {sub.quantity} → {new}")


def set_auto_renew(actor: Actor, *, subscription: Subscription, enabled: bool) -> Subscription:
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    sub = records.get_subscription(actor, subscription.pk)
    _require_changeable(sub)
    if sub.auto_renew == bool(enabled):
        raise Conflict(f"Auto-renew is already {'on' if enabled else 'off'} for {sub}.")
    if enabled and sub.status != SubscriptionStatus.ACTIVE:
        raise Conflict("Auto-renew can be turned on for active subscriptions only: activate it first.")
    return _send(actor, sub, {"auto_renew": bool(enabled)}, f"auto-renew {'on' if enabled else 'off'}")


def suspend(actor: Actor, *, subscription: Subscription) -> Subscription:
    """Suspend an active subscription (the service stops; Microsoft keeps billing, and turns
    auto-renew off). A purchase scheduled for a later date is withdrawn instead (seed 001 §4)."""
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    sub = records.get_subscription(actor, subscription.pk)
    if sub.status == SubscriptionStatus.SCHEDULED:
        from cloudbroker.microsoft365.ordering import cancel_scheduled

        return cancel_scheduled(actor, subscription=sub)
    _require_changeable(sub)
    if sub.status != SubscriptionStatus.ACTIVE:
        raise Conflict(f"{sub} is {sub.get_status_display().lower()}, not active.")
    return _send(actor, sub, {"status": "suspended"}, "suspend")


def activate(actor: Actor, *, subscription: Subscription) -> Subscription:
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    sub = records.get_subscription(actor, subscription.pk)
    _require_changeable(sub)
    if sub.status != SubscriptionStatus.SUSPENDED:
        raise Conflict(f"{sub} is {sub.get_status_display().lower()}, not suspended.")
    if sub.commitment_end and timezone.localdate() > sub.commitment_end:
        raise Conflict(f"{sub}'s term ended on {sub.commitment_end:%Y-%m-%d}: it can no longer be activated.")
    return _send(actor, sub, {"status": "active"}, "activate")


def cancel(actor: Actor, *, subscription: Subscription, now: dt.datetime | None = None) -> Subscription:
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    sub = records.get_subscription(actor, subscription.pk)
    _require_changeable(sub)
    preview = cancellation_preview(actor, subscription=sub, now=now)
    if not preview.allowed:
        raise Conflict(preview.message)
    return _send(actor, sub, {"status": "deleted"}, "cancel")


def rename(actor: Actor, *, subscription: Subscription, data: dict[str, Any]) -> Subscription:
    """Change the friendly name (also in Partner Center) and the PO number (ours only)."""
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    sub = records.get_subscription(actor, subscription.pk)
    errors: list[FieldError] = []
    name = plain_text(data.get("friendly_name", sub.friendly_name), "friendly_name", errors, limit=200)
    po = plain_text(data.get("po_number", sub.po_number), "po_number", errors, limit=100)
    if errors:
        raise ValidationFailed(errors)
    if po != sub.po_number:
        with transaction.atomic():
            locked = Subscription.objects.select_for_update().get(pk=sub.pk)
            before = locked.po_number
            locked.po_number = po
            locked.save(update_fields=["po_number", "updated_at"])
            records.record(locked, EventKind.RENAMED, actor=actor, detail={"po_number": [before, po]})
        sub.po_number = po
    if name != sub.friendly_name:
        if sub.vendor_subscription_id and sub.status in SubscriptionStatus.live():
            return _send(actor, sub, {"friendly_name": name}, "rename")
        with transaction.atomic():
            locked = Subscription.objects.select_for_update().get(pk=sub.pk)
            before = locked.friendly_name
            locked.friendly_name = name
            locked.save(update_fields=["friendly_name", "updated_at"])
            records.record(locked, EventKind.RENAMED, actor=actor, detail={"friendly_name": [before, name]})
        return locked
    return sub


def schedule_next_term(actor: Actor, *, subscription: Subscription, data: dict[str, Any]) -> Subscription:
    """Changes for the next term, applied by Partner Center at renewal (``scheduledNextTermInstructions``):
    ``quantity`` and/or ``offer`` (an item code: the same or another product, on any term and billing
    plan it is sold on). The subscription must be active and renew automatically."""
    from cloudbroker.catalog.services import broker_of, offered_offers

    actor.require(Perm.SUBSCRIPTION_MANAGE)
    sub = records.get_subscription(actor, subscription.pk)
    _require_changeable(sub)
    if sub.status != SubscriptionStatus.ACTIVE or not sub.auto_renew:
        raise Conflict(
            "Changes for the next term need an active subscription that renews automatically: turn auto-renew on first."
        )
    errors: list[FieldError] = []
    quantity = None
    if data.get("quantity") not in (None, ""):
        quantity = whole_number(data["quantity"], "quantity", errors)
        if quantity is not None:
            product = sub.offer.product
            if quantity < product.minimum_quantity:
                errors.append(
                    FieldError("quantity", f"At least {product.minimum_quantity} seat is needed.", "min_value")
                )
            elif quantity > product.maximum_quantity:
                errors.append(FieldError("quantity", f"At most {product.maximum_quantity} seats.", "max_value"))
    offer = None
    code = str(data.get("offer") or "").strip()
    renewal = nce.renewal_day(sub.commitment_end) if sub.commitment_end else timezone.localdate()
    if code:
        broker = broker_of(actor)
        offer = offered_offers(broker, organization=sub.organization, day=renewal).filter(item_code=code).first()
        if offer is None:
            errors.append(
                FieldError("offer", f"{code} is not sold to this organization on {renewal:%Y-%m-%d}.", "invalid")
            )
        elif offer.product.is_addon != sub.offer.product.is_addon:
            errors.append(
                FieldError("offer", "A base product renews to a base product, an add-on to an add-on.", "invalid")
            )
    if not errors and quantity is None and offer is None:
        errors.append(FieldError("quantity", "Give the next term's quantity, item code or both.", "required"))
    if errors:
        raise ValidationFailed(errors)
    change = {"next_term": {"quantity": quantity, "offer": str(offer.pk) if offer else None}}
    what = ", ".join(p for p in ((f"{quantity} seats" if quantity else ""), (offer.item_code if offer else "")) if p)
    return _send(actor, sub, change, f"next term: {what}")


def clear_next_term(actor: Actor, *, subscription: Subscription) -> Subscription:
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    sub = records.get_subscription(actor, subscription.pk)
    _require_changeable(sub)
    if not sub.renews_with_changes:
        raise Conflict(f"{sub} renews without changes: nothing to clear.")
    return _send(actor, sub, {"next_term": None}, "next term: unchanged")


def _instructions(sub: Subscription, next_term: dict[str, Any]):
    from cloudbroker.catalog.models import Offer
    from cloudbroker.connectors.partner_center.schemas import ScheduledNextTermInstructions, ScheduledProduct

    offer = Offer.objects.select_related("product").get(pk=next_term["offer"]) if next_term.get("offer") else sub.offer
    return ScheduledNextTermInstructions(
        product=ScheduledProduct(
            product_id=offer.product.vendor_product_id,
            sku_id=offer.product.vendor_sku_id,
            availability_id=offer.availability_id,
            billing_cycle=offer.billing_plan,
            term_duration=offer.term,
        ),
        quantity=next_term.get("quantity") or sub.quantity,
    )


# -- upgrades (transitions) -----------------------------------------------------------------------


@dataclass
class UpgradeOption:
    """A product the subscription can be upgraded to now, as Partner Center says."""

    offer: Any  # our item code of it (same term and billing plan), or None when not in our catalog
    catalog_item_id: str
    title: str
    eligible: bool
    reasons: list[str] = field(default_factory=list)


def upgrade_options(actor: Actor, *, subscription: Subscription) -> list[UpgradeOption]:
    """Partner Center's eligible upgrades of the subscription (``transitionEligibilities``), each
    matched to the item code of our catalog on the same term and billing plan."""
    from cloudbroker.catalog.models import Offer
    from cloudbroker.connectors.partner_center.retry import RetryPolicy
    from cloudbroker.core.errors import ExternalServiceError

    actor.require(Perm.SUBSCRIPTION_VIEW)
    sub = records.get_subscription(actor, subscription.pk)
    _require_changeable(sub)
    tenant = MicrosoftTenant.objects.filter(organization_id=sub.organization_id).exclude(customer_id="").first()
    if tenant is None:
        return []
    try:
        with client_for(actor.broker_id, timeout=10.0, retry=RetryPolicy(attempts=2, total_time=5.0)) as client:
            found = client.list_transition_eligibilities(tenant.customer_id, sub.vendor_subscription_id, "immediate")
    except ExternalServiceError as exc:
        raise ExternalServiceError(f"Partner Center could not list the upgrades now: {exc.message}") from exc
    options = []
    for item in found:
        parts = (item.catalog_item_id or "").split(":")
        offer = None
        if len(parts) >= 2:
            offer = (
                Offer.objects.select_related("product")
                .filter(
                    broker_id=sub.broker_id,
                    product__vendor_product_id=parts[0],
                    product__vendor_sku_id=parts[1],
                    term=sub.term,
                    billing_plan=sub.billing_plan,
                )
                .first()
            )
        reasons = [str(e.description) for x in item.eligibilities for e in (getattr(x, "errors", None) or [])]
        options.append(
            UpgradeOption(
                offer,
                item.catalog_item_id or "",
                item.title or "",
                item.is_eligible() and offer is not None,
                reasons or ([] if offer is not None else ["Not in the catalog here: run a catalog sync."]),
            )
        )
    return options


def upgrade(actor: Actor, *, subscription: Subscription, data: dict[str, Any]) -> Subscription:
    """Upgrade all seats (the same subscription, its product changes) or some (a new subscription of
    the target product ending with this one) to ``offer``. Upgrades cannot be undone."""
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    sub = records.get_subscription(actor, subscription.pk)
    _require_changeable(sub)
    if sub.status != SubscriptionStatus.ACTIVE:
        raise Conflict(f"{sub} is {sub.get_status_display().lower()}: only active subscriptions are upgraded.")
    code = str(data.get("offer") or "").strip()
    quantity: Any = data.get("quantity")
    errors: list[FieldError] = []
    if quantity in (None, ""):
        quantity = sub.quantity
    else:
        quantity = whole_number(quantity, "quantity", errors, what="the number of seats to upgrade")
        if quantity is not None:
            if not 1 <= quantity <= sub.quantity:
                errors.append(FieldError("quantity", f"Upgrade between 1 and {sub.quantity} seats.", "invalid"))
    if not code:
        errors.append(FieldError("offer", "Choose the product to upgrade to.", "required"))
    if errors:
        raise ValidationFailed(errors)
    options = {o.offer.item_code: o for o in upgrade_options(actor, subscription=sub) if o.offer is not None}
    option = options.get(code)
    if option is None or not option.eligible:
        why = "; ".join(option.reasons) if option else "Partner Center does not offer it as an upgrade"
        raise ValidationFailed([FieldError("offer", f"{code} is not an upgrade of {sub} now: {why}.", "invalid")])
    change = {"upgrade": {"offer": str(option.offer.pk), "quantity": quantity, "full": quantity == sub.quantity}}
    return _send(actor, sub, change, f"upgrade {quantity} seats to {option.offer.product.title}")


def _transition(client, message: OutboxMessage, sub: Subscription, upgrade: dict[str, Any]) -> dict[str, Any]:
    from cloudbroker.catalog.models import Offer
    from cloudbroker.connectors.partner_center.schemas import Transition

    payload = message.payload
    target = Offer.objects.select_related("product").get(pk=upgrade["offer"])
    transition = client.create_transition(
        payload["customer_id"],
        sub.vendor_subscription_id,
        Transition(
            from_catalog_item_id=sub.offer.catalog_item_id,
            from_subscription_id=sub.vendor_subscription_id,
            to_catalog_item_id=target.catalog_item_id,
            quantity=upgrade["quantity"],
            term_duration=sub.term,
            billing_cycle=sub.billing_plan,
            transition_type="transition_only",
        ),
        request_id=message.request_id,
    )
    target_pc = (
        client.get_subscription(payload["customer_id"], transition.to_subscription_id)
        if transition.to_subscription_id
        else None
    )
    requester = _Requester(message.broker_id, payload["actor"][0], payload["actor"][1])
    _upgraded(sub.pk, upgrade, transition, target_pc, requester)
    return {"transition": transition.id, "to": transition.to_subscription_id}


def _upgraded(sub_pk, change: dict[str, Any], transition, target_pc, requester: _Requester) -> None:
    """Record a transition Partner Center made: the product changes (all seats) or the seats move
    to a new subscription that ends with this one."""
    from cloudbroker.brokers.models import Broker
    from cloudbroker.catalog.models import Offer
    from cloudbroker.catalog.pricing import PriceBook

    now = timezone.now()
    actor: Any = requester
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().select_related("offer", "organization").get(pk=sub_pk)
        offer = Offer.objects.select_related("product").get(pk=change["offer"])
        broker = Broker.objects.get(pk=sub.broker_id)
        price = PriceBook(broker, organization=sub.organization, for_offers=[offer]).price(offer)
        unit_price = price.sales.amount if price.sales else sub.unit_price
        moved = int(change["quantity"])
        sub.change_pending = ""
        sub.status_message = ""
        sub.next_term_offer = None
        sub.next_term_quantity = None
        if change["full"] or transition.to_subscription_id == sub.vendor_subscription_id:
            before_code, before_price = sub.offer.item_code, sub.unit_price
            sub.offer = offer
            sub.unit_cost = price.cost.amount if price.cost else None
            if unit_price is not None:
                records.start_price(sub, now.date(), unit_price)
            sub.save()
            records.record(
                sub,
                EventKind.UPGRADED,
                actor=actor,
                occurred_at=now,
                quantity_before=sub.quantity,
                quantity_after=sub.quantity,
                price_before=before_price,
                price_after=sub.unit_price,
                detail={"item_code": [before_code, offer.item_code], "kind": "full"},
            )
            return
        before = sub.quantity
        left = before - moved
        # The newest seats move first; upgraded seats are not refundable.
        lots = nce.reduce_lots(_lots(sub), moved, now, any_window=True)
        sub.quantity = left
        sub.save()
        records.replace_lots(sub, [(lot.quantity, lot.added_at) for lot in lots], nce.CHANGE_WINDOW)
        child = Subscription.objects.create(
            broker_id=sub.broker_id,
            organization=sub.organization,
            offer=offer,
            quantity=moved,
            status=SubscriptionStatus.ACTIVE,
            term=offer.term,
            billing_plan=offer.billing_plan,
            currency=sub.currency,
            unit_price=unit_price,
            unit_cost=price.cost.amount if price.cost else None,
            start_date=now.date(),
            commitment_end=sub.commitment_end,
            auto_renew=sub.auto_renew,
            po_number=sub.po_number,
            vendor_subscription_id=transition.to_subscription_id,
            ordered_by_id=requester.user_id,
        )
        if unit_price is not None:
            records.start_price(child, now.date(), unit_price)
        # The new subscription keeps the source's cancellation window (no fresh seven days): its
        # seats count from when the source's were bought.
        first = min((lot.added_at for lot in _lots(sub)), default=now)
        records.add_lot(child, moved, first, first + nce.CHANGE_WINDOW)
        tenant = MicrosoftTenant.objects.filter(organization_id=sub.organization_id).exclude(customer_id="").first()
        if tenant is not None and target_pc is not None:
            mirror(tenant, target_pc, child)
        records.record(
            sub,
            EventKind.UPGRADED,
            actor=actor,
            occurred_at=now,
            quantity_before=before,
            quantity_after=left,
            detail={"kind": "partial", "moved_to": str(child.pk), "item_code": offer.item_code},
        )
        records.record(
            child,
            EventKind.UPGRADED,
            actor=actor,
            occurred_at=now,
            quantity_after=moved,
            price_after=child.unit_price,
            detail={"kind": "partial", "moved_from": str(sub.pk), "item_code": [sub.offer.item_code, offer.item_code]},
        )


# -- the outbox ----------------------------------------------------------------------------------


def _plain(message: OutboxMessage) -> str:
    """Why Partner Center refused (the handler has already put Microsoft's codes into words)."""
    return message.last_error or "Partner Center did not make the change."


def _refused(message: OutboxMessage) -> None:
    payload = message.payload
    requester = _Requester(message.broker_id, payload["actor"][0], payload["actor"][1])
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().filter(pk=payload["subscription"]).first()
        if sub is None:
            return
        reason = _plain(message)
        sub.change_pending = ""
        sub.status_message = f"Partner Center refused the change: {reason}"
        sub.save(update_fields=["change_pending", "status_message", "updated_at"])
        records.record(
            sub,
            EventKind.CHANGE_REFUSED,
            actor=requester,  # type: ignore[arg-type]
            detail={"change": payload["change"], "reason": reason},
        )


@outbox.outbox_handler(CHANGE_SUBSCRIPTION, on_failure=_refused)
def _change_subscription(message: OutboxMessage) -> dict[str, Any]:
    payload = message.payload
    sub = Subscription.objects.select_related("offer").get(pk=payload["subscription"])
    change = payload["change"]
    if not sub.change_pending:
        return {"already": True}
    keywords = {
        "quantity": change.get("quantity"),
        "status": change.get("status"),
        "auto_renew_enabled": change.get("auto_renew"),
        "friendly_name": change.get("friendly_name"),
    }
    try:
        with client_for(message.broker_id, retry=WORKER_RETRY) as client:
            if "upgrade" in change:
                return _transition(client, message, sub, change["upgrade"])
            if change.get("next_term"):
                pc = client.set_scheduled_next_term_instructions(
                    payload["customer_id"],
                    sub.vendor_subscription_id,
                    _instructions(sub, change["next_term"]),
                    request_id=message.request_id,
                )
            elif "next_term" in change:
                pc = client.clear_scheduled_next_term_instructions(
                    payload["customer_id"], sub.vendor_subscription_id, request_id=message.request_id
                )
            else:
                pc = client.update_subscription(
                    payload["customer_id"], sub.vendor_subscription_id, request_id=message.request_id, **keywords
                )
    except Exception as exc:
        if getattr(exc, "retryable", False) or getattr(exc, "outcome_unknown", False):
            raise outbox.RetryLater(
                str(getattr(exc, "message", exc)),
                after=getattr(exc, "retry_after", None),
                code=getattr(exc, "code", ""),
            ) from exc
        code = getattr(exc, "microsoft_code", None)
        if code in MICROSOFT_MESSAGES:
            raise Conflict(f"{MICROSOFT_MESSAGES[code]} ({code})") from exc
        raise
    requester = _Requester(message.broker_id, payload["actor"][0], payload["actor"][1])
    _apply(sub.pk, change, pc, requester)
    return {"status": pc.status, "quantity": pc.quantity}


def _apply(pk, change: dict[str, Any], pc, requester: _Requester) -> None:
    now = timezone.now()
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=pk)
        actor: Any = requester
        sub.change_pending = ""
        sub.status_message = ""
        removes_next_term = (
            "quantity" in change
            or change.get("status") in ("suspended", "deleted")
            or (change.get("auto_renew") is False)
        )
        if removes_next_term and sub.renews_with_changes:
            # Microsoft deletes scheduled next-term changes on any mid-term change (research notes §5.6).
            sub.next_term_offer_id = None
            sub.next_term_quantity = None
        if "quantity" in change:
            before, new = sub.quantity, int(pc.quantity or change["quantity"])
            if new > before:
                records.add_lot(sub, new - before, now, now + nce.CHANGE_WINDOW)
            elif new < before:
                try:
                    lots = nce.reduce_lots(_lots(sub), before - new, now)
                except nce.NceRefused:
                    # Partner Center took them back though our lots say otherwise.
                    lots = nce.reduce_lots(_lots(sub), before - new, now, any_window=True)
                records.replace_lots(sub, [(lot.quantity, lot.added_at) for lot in lots], nce.CHANGE_WINDOW)
            sub.quantity = new
            sub.save()
            records.record(
                sub,
                EventKind.QUANTITY_CHANGED,
                actor=actor,
                occurred_at=now,
                quantity_before=before,
                quantity_after=new,
                price_after=sub.unit_price,
            )
        elif "status" in change:
            target = change["status"]
            kind = {"suspended": EventKind.SUSPENDED, "active": EventKind.ACTIVATED, "deleted": EventKind.CANCELLED}[
                target
            ]
            sub.status = {
                "suspended": SubscriptionStatus.SUSPENDED,
                "active": SubscriptionStatus.ACTIVE,
                "deleted": SubscriptionStatus.CANCELLED,
            }[target]
            before_quantity = sub.quantity
            if pc.auto_renew_enabled is not None:
                sub.auto_renew = pc.auto_renew_enabled
            sub.save()
            records.record(
                sub,
                kind,
                actor=actor,
                occurred_at=now,
                quantity_before=before_quantity,
                quantity_after=0 if target == "deleted" else before_quantity,
                detail={"auto_renew": sub.auto_renew},
            )
        elif "auto_renew" in change:
            sub.auto_renew = bool(pc.auto_renew_enabled if pc.auto_renew_enabled is not None else change["auto_renew"])
            sub.save()
            records.record(
                sub, EventKind.AUTO_RENEW_CHANGED, actor=actor, occurred_at=now, detail={"auto_renew": sub.auto_renew}
            )
        elif "next_term" in change:
            from cloudbroker.catalog.models import Offer

            next_term = change["next_term"] or {}
            sub.next_term_offer_id = next_term.get("offer")
            sub.next_term_quantity = next_term.get("quantity")
            sub.save()
            detail: dict[str, Any] = {
                "renews_on": nce.renewal_day(sub.commitment_end).isoformat() if sub.commitment_end else None
            }
            if not next_term:
                detail["renews"] = "without changes"
            if sub.next_term_quantity:
                detail["quantity_at_renewal"] = sub.next_term_quantity
            if sub.next_term_offer_id:
                detail["item_code_at_renewal"] = Offer.objects.get(pk=sub.next_term_offer_id).item_code
            records.record(sub, EventKind.NEXT_TERM_SCHEDULED, actor=actor, occurred_at=now, detail=detail)
        elif "friendly_name" in change:
            before_name = sub.friendly_name
            sub.friendly_name = change["friendly_name"]
            sub.save()
            records.record(
                sub,
                EventKind.RENAMED,
                actor=actor,
                occurred_at=now,
                detail={"friendly_name": [before_name, sub.friendly_name]},
            )
        TenantSubscription.objects.filter(record=sub).update(
            quantity=pc.quantity or 0,
            status=str(pc.status or ""),
            auto_renew=pc.auto_renew_enabled,
            friendly_name=pc.friendly_name or "",
            updated_at=now,
        )
