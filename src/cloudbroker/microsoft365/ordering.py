"""Buying NCE subscriptions through Partner Center ("Add subscription", seed 001 §3–§4).

``quote`` prices a purchase from the organization's price list (customer-specific, else global)
on the day it is bought. ``buy`` checks the request against the catalog and Microsoft's rules,
then writes the subscriptions (pending, or scheduled for a later date) and one outbox message in
one transaction. The outbox creates the cart and checks it out with fixed request ids, so retries
after a timeout, a lost answer or a killed worker buy it once. Partner Center provisions orders
asynchronously: a second message reads the order until it is completed, then the subscriptions
become active with their Partner Center id and dates. A scheduled purchase is provisioned by a
periodic task on its date, at the price list of that day, exactly once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from django.db import DatabaseError, transaction
from django.utils import timezone

from cloudbroker.catalog.models import Offer
from cloudbroker.catalog.pricing import EffectivePrice, PriceBook
from cloudbroker.catalog.services import broker_of, offered_offers
from cloudbroker.connectors.partner_center.schemas import CartLineItem
from cloudbroker.connectors.partner_center.schemas import Subscription as PcSubscription
from cloudbroker.core import outbox
from cloudbroker.core.actors import Actor
from cloudbroker.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from cloudbroker.core.models import OutboxMessage
from cloudbroker.core.money import Money, Rounding
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.validation import iso_date, plain_text, whole_number
from cloudbroker.microsoft365 import nce
from cloudbroker.microsoft365.choices import TenantStatus
from cloudbroker.microsoft365.models import MicrosoftTenant
from cloudbroker.microsoft365.partner_center import WORKER_RETRY, client_for
from cloudbroker.microsoft365.subscription_sync import mirror
from cloudbroker.organizations.models import Organization
from cloudbroker.subscriptions import services as records
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription

__all__ = ["Quote", "buy", "cancel_scheduled", "provision_due", "quote"]

log = structlog.get_logger(__name__)

PLACE_ORDER = "partner_center.place_order"
AWAIT_ORDER = "partner_center.await_order"
#: How far ahead a purchase can be scheduled.
MAX_SCHEDULE_AHEAD = dt.timedelta(days=365)


@dataclass(frozen=True)
class Quote:
    """What a purchase costs: per seat and for the quantity, per charge (a month on monthly
    billing, a year on annual, the term when paid up front), and the subscription period."""

    offer: Offer
    quantity: int
    price: EffectivePrice
    start: dt.date
    end: dt.date

    @property
    def unit_price(self) -> Money | None:
        return self.price.sales

    @property
    def total(self) -> Money | None:
        return self.price.total(self.quantity)

    @property
    def total_cost(self) -> Money | None:
        return None if self.price.cost is None else (self.price.cost * self.quantity).rounded(Rounding.COMMERCIAL)

    @property
    def margin_percent(self):
        return self.price.margin_percent


# -- reading the request ------------------------------------------------------------------------


def _organization(actor: Actor, organization: Any) -> Organization:
    from django.http import Http404

    try:
        return get_visible_or_404(Organization.objects, actor, getattr(organization, "pk", organization))
    except Http404:
        raise NotFound("Organization not found.") from None


def buying_tenant(organization: Organization) -> MicrosoftTenant | None:
    """The tenant subscriptions of the organization are bought in: active, known to Partner Center."""
    return (
        MicrosoftTenant.objects.filter(organization=organization, status=TenantStatus.ACTIVE)
        .exclude(customer_id="")
        .first()
    )


def no_tenant_reason(organization: Organization) -> str:
    return (
        f"{organization.name} has no active Microsoft 365 tenant: add the Microsoft 365 service (or link the "
        "customer's tenant) before buying subscriptions."
    )


def _tenant(organization: Organization) -> MicrosoftTenant:
    tenant = buying_tenant(organization)
    if tenant is None:
        raise Conflict(no_tenant_reason(organization))
    return tenant


def _offer(broker, organization, raw: Any, day: dt.date, field: str, errors: list[FieldError]) -> Offer | None:
    """The offer named by item code (or id) if it is for sale to the organization on ``day``."""
    text = str(raw or "").strip()
    if not text:
        errors.append(FieldError(field, "Choose the product to buy.", "required"))
        return None
    offers = offered_offers(broker, organization=organization, day=day)
    offer = offers.filter(item_code=text).first()
    if offer is None:
        from cloudbroker.core.scoping import parse_uuid

        pk = parse_uuid(text)
        offer = offers.filter(pk=pk).first() if pk else None
    if offer is None:
        errors.append(
            FieldError(field, f"{text} is not an item code this organization can buy on {day:%Y-%m-%d}.", "invalid")
        )
    return offer


def _quantity(raw: Any, offer: Offer | None, field: str, errors: list[FieldError]) -> int:
    quantity = whole_number(raw, field, errors)
    if quantity is None:
        return 0
    low = offer.product.minimum_quantity if offer else 1
    high = offer.product.maximum_quantity if offer else None
    if quantity < low:
        errors.append(FieldError(field, f"Buy at least {low} seat{'s' if low != 1 else ''}.", "min_value"))
    elif high is not None and quantity > high:
        errors.append(FieldError(field, f"At most {high} seats can be bought per subscription.", "max_value"))
    return quantity


def quote(actor: Actor, *, organization: Any, offer: Offer, quantity: int, day: dt.date | None = None) -> Quote:
    """The price of ``quantity`` seats of ``offer`` for the organization on ``day``."""
    actor.require(Perm.SUBSCRIPTION_VIEW)
    org = _organization(actor, organization)
    day = day or timezone.localdate()
    broker = broker_of(actor)
    return _quote(broker, org, offer, quantity, day, None)


def _quote(broker, org, offer: Offer, quantity: int, day: dt.date, end: dt.date | None) -> Quote:
    price = PriceBook(broker, organization=org, day=day, for_offers=[offer]).price(offer)
    return Quote(offer, quantity, price, day, end or nce.commitment_end(day, offer.term))


def _aligned_end(
    actor: Actor, org: Organization, raw: Any, term: str, start: dt.date, errors: list[FieldError]
) -> dt.date | None:
    """``align_end``: "" (a full term), "calendar" (the end of a calendar month) or the id of a live
    subscription of the organization whose end date the new one shares (co-termination)."""
    text = str(raw or "").strip()
    if not text:
        return None
    if text == "calendar":
        end = nce.calendar_aligned_end(start, term)
        return end if end >= start else None
    from cloudbroker.core.scoping import parse_uuid

    pk = parse_uuid(text)
    other = (
        Subscription.objects.visible_to(actor)
        .filter(pk=pk, organization=org, status__in=SubscriptionStatus.live())
        .first()
        if pk
        else None
    )
    if other is None or other.commitment_end is None:
        errors.append(
            FieldError("align_end", "Choose a live subscription of this organization to align with.", "invalid")
        )
        return None
    if term != "P1M" and other.term == "P1M":
        errors.append(
            FieldError("align_end", "A yearly or three-year term cannot end with a monthly subscription.", "invalid")
        )
        return None
    if not start <= other.commitment_end <= nce.commitment_end(start, term):
        errors.append(
            FieldError(
                "align_end",
                f"{other} ends on {other.commitment_end:%Y-%m-%d}, outside the first term of the new subscription "
                f"({start:%Y-%m-%d} to {nce.commitment_end(start, term):%Y-%m-%d}).",
                "invalid",
            )
        )
        return None
    return other.commitment_end


# -- buying ----------------------------------------------------------------------------------------


def buy(actor: Actor, *, organization: Any, data: dict[str, Any]) -> list[Subscription]:
    """Buy a subscription (and add-ons for it) for the organization: ``offer`` (item code),
    ``quantity``, optional ``friendly_name``, ``po_number``, ``provision_on`` (a later date),
    ``align_end`` and ``addons`` ([{offer, quantity}]). Returns the subscriptions made, base first."""
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    org = _organization(actor, organization)
    broker = broker_of(actor)
    tenant = _tenant(org)
    today = timezone.localdate()
    errors: list[FieldError] = []
    provision_on = iso_date(data.get("provision_on"), "provision_on", errors)
    if provision_on is not None:
        if provision_on < today:
            errors.append(FieldError("provision_on", "Choose a date after today, or leave it empty.", "min_value"))
        if provision_on <= today:
            provision_on = None  # today is "now"
        elif provision_on > today + MAX_SCHEDULE_AHEAD:
            errors.append(FieldError("provision_on", "A purchase can be scheduled up to a year ahead.", "max_value"))
    day = provision_on or today
    offer = _offer(broker, org, data.get("offer"), day, "offer", errors)
    if offer is not None and offer.product.is_addon:
        errors.append(FieldError("offer", f"{offer.product.title} is an add-on: buy it for a subscription.", "invalid"))
    quantity = _quantity(data.get("quantity"), offer, "quantity", errors)
    friendly_name = plain_text(data.get("friendly_name"), "friendly_name", errors, limit=200)
    po_number = plain_text(data.get("po_number"), "po_number", errors, limit=100)
    end = _aligned_end(actor, org, data.get("align_end"), offer.term, day, errors) if offer else None
    addons: list[tuple[Offer, int]] = []
    raw_addons = data.get("addons") or []
    if not isinstance(raw_addons, list):
        errors.append(FieldError("addons", "List the add-ons as objects with offer and quantity.", "invalid"))
        raw_addons = []
    for index, raw in enumerate(raw_addons):
        raw = raw if isinstance(raw, dict) else {}
        addon = _offer(broker, org, raw.get("offer"), day, f"addons[{index}].offer", errors)
        count = _quantity(raw.get("quantity"), addon, f"addons[{index}].quantity", errors)
        if addon is not None and offer is not None:
            _check_addon(addon, offer, f"addons[{index}].offer", errors)
        if addon is not None:
            addons.append((addon, count))
    if errors:
        raise ValidationFailed(errors)
    assert offer is not None
    return _place(
        actor,
        broker,
        org,
        tenant,
        [(offer, quantity, friendly_name)] + [(a, q, "") for a, q in addons],
        parent=None,
        po_number=po_number,
        provision_on=provision_on,
        end=end,
    )


def buy_addon(actor: Actor, *, subscription: Subscription, data: dict[str, Any]) -> Subscription:
    """Buy an add-on for a live subscription (``offer``, ``quantity``); it follows the base's term
    and ends with it."""
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    base = records.get_subscription(actor, subscription.pk)
    broker = broker_of(actor)
    org = base.organization
    tenant = _tenant(org)
    errors: list[FieldError] = []
    if base.status != SubscriptionStatus.ACTIVE:
        raise Conflict(f"{base} is {base.get_status_display().lower()}: add-ons are bought for active subscriptions.")
    today = timezone.localdate()
    addon = _offer(broker, org, data.get("offer"), today, "offer", errors)
    quantity = _quantity(data.get("quantity"), addon, "quantity", errors)
    if addon is not None:
        _check_addon(addon, base.offer, "offer", errors)
        if addon.term != base.term:
            errors.append(
                FieldError("offer", f"Choose the add-on on the base's term ({base.get_term_display()}).", "invalid")
            )
    if errors:
        raise ValidationFailed(errors)
    assert addon is not None
    end = base.commitment_end if base.commitment_end and base.commitment_end >= today else None
    return _place(
        actor,
        broker,
        org,
        tenant,
        [(addon, quantity, "")],
        parent=base,
        po_number=base.po_number,
        provision_on=None,
        end=end,
    )[0]


def _check_addon(addon: Offer, base: Offer, field: str, errors: list[FieldError]) -> None:
    if not addon.product.is_addon:
        errors.append(FieldError(field, f"{addon.product.title} is not an add-on.", "invalid"))
    elif not addon.product.attaches_to.filter(pk=base.product_id).exists():
        errors.append(FieldError(field, f"{addon.product.title} is not an add-on for {base.product.title}.", "invalid"))


def _place(
    actor: Actor,
    broker,
    org: Organization,
    tenant: MicrosoftTenant,
    lines: list[tuple[Offer, int, str]],
    *,
    parent: Subscription | None,
    po_number: str,
    provision_on: dt.date | None,
    end: dt.date | None,
) -> list[Subscription]:
    today = timezone.localdate()
    quotes = [_quote(broker, org, offer, quantity, provision_on or today, end) for offer, quantity, _ in lines]
    if provision_on is None:
        unpriced = [q.offer.item_code for q in quotes if q.unit_price is None]
        if unpriced:
            raise Conflict(f"No sales price for {', '.join(unpriced)}: set one in the price list first.")
    made: list[Subscription] = []
    with transaction.atomic():
        base: Subscription | None = parent
        for (offer, quantity, friendly_name), q in zip(lines, quotes, strict=True):
            sub = Subscription(
                broker_id=broker.pk,
                organization=org,
                offer=offer,
                parent=base if offer.product.is_addon else None,
                friendly_name=friendly_name,
                po_number=po_number,
                quantity=quantity,
                term=offer.term,
                billing_plan=offer.billing_plan,
                currency=broker.currency,
                auto_renew=True,
                requested_end=end,
                provision_on=provision_on,
                ordered_by_id=actor.user_id,
                status=SubscriptionStatus.SCHEDULED if provision_on else SubscriptionStatus.PENDING,
                status_message=(
                    f"To be bought on {provision_on:%Y-%m-%d} at that day's price."
                    if provision_on
                    else "Waiting for Partner Center."
                ),
            )
            if provision_on is None:
                sub.unit_price = q.unit_price.amount if q.unit_price else None
                sub.unit_cost = q.price.cost.amount if q.price.cost else None
            sub.save()
            made.append(sub)
            if not offer.product.is_addon:
                base = sub
            detail = {"item_code": offer.item_code, "po_number": po_number, "friendly_name": friendly_name}
            if provision_on:
                records.record(
                    sub,
                    EventKind.SCHEDULED,
                    actor=actor,
                    quantity_after=quantity,
                    detail={**detail, "provision_on": provision_on.isoformat()},
                )
            else:
                records.record(
                    sub,
                    EventKind.ORDERED,
                    actor=actor,
                    quantity_after=quantity,
                    price_after=sub.unit_price,
                    detail=detail,
                )
        if provision_on is None:
            _send_order(broker.pk, tenant, made)
    return made


def _send_order(broker_id, tenant: MicrosoftTenant, subs: list[Subscription]) -> OutboxMessage:
    return outbox.enqueue(
        kind=PLACE_ORDER,
        broker_id=broker_id,
        payload={"customer_id": tenant.customer_id, "subscriptions": [str(s.pk) for s in subs]},
    )


def cancel_scheduled(actor: Actor, *, subscription: Subscription) -> Subscription:
    """Withdraw a purchase scheduled for a later date (seed 001 §4: "Suspend" on a scheduled line)."""
    actor.require(Perm.SUBSCRIPTION_MANAGE)
    records.get_subscription(actor, subscription.pk)
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if sub.status != SubscriptionStatus.SCHEDULED:
            raise Conflict(f"{sub} is {sub.get_status_display().lower()}, not scheduled: nothing to withdraw.")
        sub.status = SubscriptionStatus.CANCELLED
        sub.status_message = "The scheduled purchase was withdrawn; nothing was bought."
        sub.save(update_fields=["status", "status_message", "updated_at"])
        records.record(sub, EventKind.REQUEST_CANCELLED, actor=actor)
    return sub


def provision_due(today: dt.date | None = None) -> list[str]:
    """Send every scheduled purchase whose date has come, at the price list of that day. Each row is
    claimed under a lock and leaves ``SCHEDULED`` in the same transaction as its outbox message, so
    two workers running this at once buy it once."""
    today = today or timezone.localdate()
    sent: list[str] = []
    due = list(
        Subscription.objects.filter(
            status=SubscriptionStatus.SCHEDULED, provision_on__lte=today, parent__isnull=True
        ).values_list("pk", flat=True)
    )
    for pk in due:
        with transaction.atomic():
            sub = (
                Subscription.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("offer", "offer__product", "organization")
                .filter(pk=pk, status=SubscriptionStatus.SCHEDULED)
                .first()
            )
            if sub is None:
                continue
            addons = Subscription.objects.select_for_update(of=("self",)).select_related("offer", "offer__product")
            group = [sub, *addons.filter(parent=sub, status=SubscriptionStatus.SCHEDULED)]
            _provision_scheduled(group, today)
            sent.append(str(sub.pk))
    return sent


def _provision_scheduled(group: list[Subscription], today: dt.date) -> None:
    from cloudbroker.brokers.models import Broker

    base = group[0]
    system = Actor.system(base.broker_id)
    broker = Broker.objects.get(pk=base.broker_id)
    tenant = (
        MicrosoftTenant.objects.filter(organization_id=base.organization_id, status=TenantStatus.ACTIVE)
        .exclude(customer_id="")
        .first()
    )
    problem = ""
    if tenant is None:
        problem = "the organization has no active Microsoft 365 tenant any more"
    for sub in group:
        if problem:
            break
        if not offered_offers(broker, organization=base.organization, day=today).filter(pk=sub.offer_id).exists():
            problem = f"{sub.offer.item_code} is no longer for sale"
        price = PriceBook(broker, organization=base.organization, day=today, for_offers=[sub.offer]).price(sub.offer)
        if price.sales is None:
            problem = problem or f"{sub.offer.item_code} has no sales price on {today:%Y-%m-%d}"
        else:
            sub.unit_price = price.sales.amount
            sub.unit_cost = price.cost.amount if price.cost else None
    for sub in group:
        if problem:
            sub.status = SubscriptionStatus.FAILED
            sub.status_message = f"The scheduled purchase could not be made on {today:%Y-%m-%d}: {problem}."
            sub.save(update_fields=["status", "status_message", "updated_at"])
            records.record(sub, EventKind.FAILED, actor=system, detail={"reason": problem})
            continue
        sub.status = SubscriptionStatus.PENDING
        sub.status_message = "Waiting for Partner Center."
        if sub.requested_end and sub.requested_end < today:
            sub.requested_end = None
        sub.save(update_fields=["status", "status_message", "unit_price", "unit_cost", "requested_end", "updated_at"])
        records.record(
            sub,
            EventKind.ORDERED,
            actor=system,
            quantity_after=sub.quantity,
            price_after=sub.unit_price,
            detail={"item_code": sub.offer.item_code, "scheduled_for": today.isoformat()},
        )
    if not problem:
        assert tenant is not None
        _send_order(base.broker_id, tenant, group)


# -- the outbox: cart, checkout, provisioning ----------------------------------------------------------


def _retryable(exc: Exception) -> bool:
    return bool(getattr(exc, "retryable", False) or getattr(exc, "outcome_unknown", False))


def _checkout_request_id(message: OutboxMessage) -> uuid.UUID:
    return uuid.uuid5(message.request_id, "checkout")


def _fail_order(message: OutboxMessage) -> None:
    reason = message.last_error or "Partner Center did not complete the order."
    system = Actor.system(message.broker_id)
    with transaction.atomic():
        for sub in Subscription.objects.select_for_update().filter(
            pk__in=message.payload["subscriptions"], status=SubscriptionStatus.PENDING
        ):
            sub.status = SubscriptionStatus.FAILED
            sub.status_message = f"Partner Center did not create the subscription: {reason}"
            sub.save(update_fields=["status", "status_message", "updated_at"])
            records.record(sub, EventKind.FAILED, actor=system, detail={"reason": reason})


@outbox.outbox_handler(PLACE_ORDER, on_failure=_fail_order)
def _place_order(message: OutboxMessage) -> dict[str, Any]:
    payload = message.payload
    subs = list(Subscription.objects.select_related("offer", "offer__product").filter(pk__in=payload["subscriptions"]))
    subs.sort(key=lambda s: payload["subscriptions"].index(str(s.pk)))
    if all(s.vendor_order_id for s in subs):
        return {"orders": sorted({s.vendor_order_id for s in subs})}
    lines = [
        CartLineItem(
            id=index,
            catalog_item_id=sub.offer.catalog_item_id,
            quantity=sub.quantity,
            billing_cycle=sub.billing_plan,
            term_duration=sub.term,
            friendly_name=sub.friendly_name or sub.offer.product.title,
            custom_term_end_date=(
                dt.datetime.combine(sub.requested_end, dt.time.min, tzinfo=dt.UTC) if sub.requested_end else None
            ),
        )
        for index, sub in enumerate(subs)
    ]
    customer_id = payload["customer_id"]
    try:
        with client_for(message.broker_id, retry=WORKER_RETRY) as client:
            cart = client.create_cart(customer_id, lines, request_id=message.request_id)
            problems = [f"{line.catalog_item_id}: {error.error_description}" for line, error in cart.line_errors]
            if problems:
                raise Conflict("Partner Center cannot sell this: " + "; ".join(problems))
            assert cart.id is not None
            result = client.checkout_cart(customer_id, cart.id, request_id=_checkout_request_id(message))
    except Conflict:
        raise
    except Exception as exc:
        if _retryable(exc):
            Subscription.objects.filter(pk__in=[s.pk for s in subs]).update(
                status_message=f"Waiting for Partner Center: {getattr(exc, 'message', exc)}", updated_at=timezone.now()
            )
            raise outbox.RetryLater(
                str(getattr(exc, "message", exc)),
                after=getattr(exc, "retry_after", None),
                code=getattr(exc, "code", ""),
            ) from exc
        raise
    if result.order_errors and not result.orders:
        raise Conflict(
            "Partner Center refused the order: " + "; ".join(str(e.description) for e in result.order_errors)
        )
    assigned: dict[str, str] = {}
    by_offer: dict[str, list[Subscription]] = {}
    for sub in subs:
        by_offer.setdefault(sub.offer.catalog_item_id.lower(), []).append(sub)
    for order in result.orders:
        for line in order.line_items:
            queue = by_offer.get((line.offer_id or "").lower()) or []
            if queue:
                assigned[str(queue.pop(0).pk)] = order.id
    try:
        with transaction.atomic():
            for sub in subs:
                order_id = assigned.get(str(sub.pk), "")
                Subscription.objects.filter(pk=sub.pk).update(
                    vendor_order_id=order_id,
                    status_message=f"Ordered in Partner Center (order {order_id}); waiting for provisioning.",
                    updated_at=timezone.now(),
                )
            outbox.enqueue(
                kind=AWAIT_ORDER,
                broker_id=message.broker_id,
                payload={"customer_id": customer_id, "subscriptions": payload["subscriptions"]},
            )
    except DatabaseError as exc:
        # Bought; only saving the answer failed. The same request ids bring the same answer back.
        raise outbox.RetryLater(
            f"Partner Center took the order, but saving it failed: {exc}", code="database_error"
        ) from exc
    return {"orders": sorted(set(assigned.values()))}


@outbox.outbox_handler(AWAIT_ORDER, on_failure=_fail_order)
def _await_order(message: OutboxMessage) -> dict[str, Any]:
    """Read the orders until Partner Center has provisioned them, then record the subscriptions."""
    payload = message.payload
    subs = list(Subscription.objects.select_related("offer", "offer__product").filter(pk__in=payload["subscriptions"]))
    waiting = [s for s in subs if s.status == SubscriptionStatus.PENDING]
    if not waiting:
        return {"provisioned": [s.vendor_subscription_id for s in subs]}
    customer_id = payload["customer_id"]
    found: dict[str, tuple[str, PcSubscription]] = {}
    try:
        with client_for(message.broker_id, retry=WORKER_RETRY) as client:
            for order_id in sorted({s.vendor_order_id for s in waiting if s.vendor_order_id}):
                order = client.get_order(customer_id, order_id)
                if (order.status or "").lower() != "completed":
                    raise outbox.RetryLater(
                        f"Partner Center is still provisioning order {order_id} ({order.status}).", after=10
                    )
                for pc in client.list_subscriptions(customer_id, order_id=order_id):
                    found[pc.id] = (order_id, pc)
    except outbox.RetryLater:
        raise
    except Exception as exc:
        if _retryable(exc):
            raise outbox.RetryLater(
                str(getattr(exc, "message", exc)),
                after=getattr(exc, "retry_after", None),
                code=getattr(exc, "code", ""),
            ) from exc
        raise
    by_offer: dict[tuple[str, str], list[PcSubscription]] = {}
    for order_id, pc in sorted(found.values(), key=lambda item: item[1].id):
        by_offer.setdefault((order_id, (pc.offer_id or "").lower()), []).append(pc)
    tenant = MicrosoftTenant.objects.get(broker_id=message.broker_id, customer_id=customer_id)
    system = Actor.system(message.broker_id)
    with transaction.atomic():
        taken = set(
            Subscription.objects.filter(
                broker_id=message.broker_id, vendor_subscription_id__in=list(found)
            ).values_list("vendor_subscription_id", flat=True)
        )
        for sub in waiting:
            queue = by_offer.get((sub.vendor_order_id, sub.offer.catalog_item_id.lower())) or []
            queue = [pc for pc in queue if pc.id not in taken]
            if not queue:
                continue
            pc = queue[0]
            taken.add(pc.id)
            activate_from_partner_center(sub, pc, tenant, actor=system)
    return {"provisioned": sorted(taken)}


def activate_from_partner_center(
    sub: Subscription, pc: PcSubscription, tenant: MicrosoftTenant, *, actor: Actor
) -> None:
    """The pending subscription is Partner Center's ``pc``: active, with its id, dates and first lot."""
    sub = Subscription.objects.select_for_update().get(pk=sub.pk)
    if sub.status != SubscriptionStatus.PENDING:
        return
    started = pc.creation_date or timezone.now()
    sub.vendor_subscription_id = pc.id
    sub.status = SubscriptionStatus.ACTIVE
    sub.status_message = ""
    sub.start_date = (pc.effective_start_date or started).date()
    sub.commitment_end = (
        pc.commitment_end_date.date() if pc.commitment_end_date else nce.commitment_end(sub.start_date, sub.term)
    )
    if pc.auto_renew_enabled is not None:
        sub.auto_renew = pc.auto_renew_enabled
    if pc.quantity:
        sub.quantity = pc.quantity
    sub.save()
    if sub.parent_id is None and pc.parent_subscription_id:
        parent = Subscription.objects.filter(
            broker_id=sub.broker_id, vendor_subscription_id=pc.parent_subscription_id
        ).first()
        if parent is not None:
            Subscription.objects.filter(pk=sub.pk).update(parent=parent)
    if sub.unit_price is not None:
        records.start_price(sub, sub.start_date, sub.unit_price)
    records.add_lot(sub, sub.quantity, started, started + nce.CHANGE_WINDOW)
    mirror(tenant, pc, sub)
    records.record(
        sub,
        EventKind.PROVISIONED,
        actor=actor,
        occurred_at=started,
        quantity_after=sub.quantity,
        price_after=sub.unit_price,
        detail={
            "subscription_id": pc.id,
            "order_id": sub.vendor_order_id,
            "start_date": sub.start_date.isoformat(),
            "commitment_end": sub.commitment_end.isoformat(),
        },
    )
