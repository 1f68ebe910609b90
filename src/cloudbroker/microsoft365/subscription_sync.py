"""What the Partner Center sync does to the organizations' subscriptions (seed 001 intro): one made
directly in Partner Center (a migration, a transfer) becomes a subscription of the organization,
priced by the broker's price list, with an event saying where it came from; one changed there
(quantity, status, auto-renew, name, a renewal) is changed here with the change recorded. A
subscription with a change of ours on its way is left to that change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from cloudbroker.catalog.models import Offer, item_code
from cloudbroker.catalog.pricing import PriceBook
from cloudbroker.connectors.partner_center.schemas import Subscription as PcSubscription
from cloudbroker.core.actors import Actor
from cloudbroker.microsoft365 import nce
from cloudbroker.microsoft365.models import MicrosoftTenant, TenantSubscription
from cloudbroker.subscriptions import services as records
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription

__all__ = [
    "STATUS_FROM_PARTNER_CENTER",
    "mirror",
    "reconcile_licences",
    "reconcile_subscriptions",
    "subscription_mirror_fields",
]

STATUS_FROM_PARTNER_CENTER = {
    "active": SubscriptionStatus.ACTIVE,
    "pending": SubscriptionStatus.PENDING,
    "suspended": SubscriptionStatus.SUSPENDED,
    "expired": SubscriptionStatus.EXPIRED,
    "disabled": SubscriptionStatus.EXPIRED,
    "deleted": SubscriptionStatus.CANCELLED,
}


def subscription_mirror_fields(sub: PcSubscription) -> dict[str, Any]:
    """The columns kept of a Partner Center subscription, read from the DTO by attribute."""
    return {
        "offer_id": sub.offer_id or "",
        "offer_name": sub.offer_name or "",
        "friendly_name": sub.friendly_name or "",
        "quantity": sub.quantity or 0,
        "status": sub.status or "",
        "billing_cycle": sub.billing_cycle or "",
        "term_duration": sub.term_duration or "",
        "auto_renew": sub.auto_renew_enabled,
        "commitment_end_date": sub.commitment_end_date.date() if sub.commitment_end_date else None,
        "removed": False,
    }


def mirror(tenant: MicrosoftTenant, pc: PcSubscription, record: Subscription) -> None:
    """Partner Center's report of a subscription (the sync's row), pointing to the organization's."""
    TenantSubscription.objects.update_or_create(
        tenant=tenant, subscription_id=pc.id, defaults={"record": record, **subscription_mirror_fields(pc)}
    )


def _item_code_of(pc: PcSubscription) -> str | None:
    """Our item code of what Partner Center reports (its offer's product and SKU, term and plan)."""
    parts = (pc.offer_id or "").split(":")
    if len(parts) < 2 or not pc.term_duration or not pc.billing_cycle:
        return None
    return item_code(f"{parts[0]}:{parts[1]}", pc.term_duration, str(pc.billing_cycle).lower())


def _offer_for(broker_id, pc: PcSubscription) -> Offer | None:
    code = _item_code_of(pc)
    if code is None:
        return None
    return Offer.objects.select_related("product").filter(broker_id=broker_id, item_code__iexact=code).first()


def _status_of(pc: PcSubscription, default: str) -> str:
    return STATUS_FROM_PARTNER_CENTER.get(str(pc.status or "").lower(), default)


def _differs(sub: Subscription, pc: PcSubscription) -> bool:
    """Whether Partner Center reports anything the record does not say (read in memory, so a sync
    of unchanged subscriptions locks and writes nothing)."""
    end = pc.commitment_end_date.date() if pc.commitment_end_date else sub.commitment_end
    code = _item_code_of(pc)
    return (
        (pc.quantity is not None and pc.quantity != sub.quantity)
        or _status_of(pc, sub.status) != sub.status
        or (pc.auto_renew_enabled is not None and bool(pc.auto_renew_enabled) != sub.auto_renew)
        or end != sub.commitment_end
        or (code is not None and code.lower() != sub.offer.item_code.lower())
        or (sub.renews_with_changes and pc.scheduled_next_term_instructions is None)
    )


def _lots_of(pc: PcSubscription) -> list[tuple[int, dt.datetime]]:
    """Partner Center's lots: those still reducible carry their deadline (7 days after they were
    added); the rest of the seats count as added when the term started."""
    started = pc.effective_start_date or pc.creation_date or timezone.now()
    lots: list[tuple[int, dt.datetime]] = []
    refundable = 0
    for detail in (pc.refundable_quantity.details if pc.refundable_quantity else []) or []:
        if detail.allowed_until_date_time is not None and detail.quantity:
            lots.append((detail.quantity, detail.allowed_until_date_time - nce.CHANGE_WINDOW))
            refundable += detail.quantity
    rest = (pc.quantity or 0) - refundable
    if rest > 0:
        lots.insert(0, (rest, min([started, *[at for _, at in lots]])))
    return sorted(lots, key=lambda lot: lot[1])


def reconcile_subscriptions(tenant: MicrosoftTenant, items: list[PcSubscription], result: Any) -> None:
    """Bring the organization's subscriptions in line with what Partner Center reported."""
    if tenant.organization_id is None:
        return
    system = Actor.system(tenant.broker_id)
    known = {
        s.vendor_subscription_id: s
        for s in Subscription.objects.filter(
            broker_id=tenant.broker_id, vendor_subscription_id__in=[i.id for i in items]
        ).select_related("offer")
    }
    _link_mirrors(tenant, known)
    book: PriceBook | None = None
    for pc in items:
        sub = known.get(pc.id)
        if sub is not None and not _differs(sub, pc):
            continue
        with transaction.atomic():
            if sub is None:
                if book is None:
                    from cloudbroker.brokers.models import Broker

                    book = PriceBook(Broker.objects.get(pk=tenant.broker_id), organization=tenant.organization_id)
                made = _found(tenant, pc, book, system)
                if made is not None:
                    result.bump("subscriptions_found")
                elif pc.status not in ("deleted", "expired"):
                    result.bump("subscriptions_not_in_catalog")
            elif _changed(sub, pc, system):
                result.bump("subscriptions_updated")


def _link_mirrors(tenant: MicrosoftTenant, known: dict[str, Subscription]) -> None:
    """Partner Center's rows of the tenant that do not point to their subscription yet (made by the
    sync before the subscription was recorded) are pointed to it."""
    unlinked = list(
        TenantSubscription.objects.filter(tenant=tenant, record__isnull=True, subscription_id__in=list(known))
    )
    for row in unlinked:
        row.record = known[row.subscription_id]
    if unlinked:
        TenantSubscription.objects.bulk_update(unlinked, ["record"])


def _found(tenant: MicrosoftTenant, pc: PcSubscription, book: PriceBook, system: Actor) -> Subscription | None:
    # A purchase of ours still waiting for provisioning is this one: finish it instead.
    pending = (
        Subscription.objects.select_for_update()
        .filter(
            organization_id=tenant.organization_id,
            status=SubscriptionStatus.PENDING,
            vendor_order_id=pc.order_id or "-",
        )
        .select_related("offer")
    )
    for candidate in pending:
        if candidate.offer.catalog_item_id.lower() == (pc.offer_id or "").lower():
            from cloudbroker.microsoft365.ordering import activate_from_partner_center

            activate_from_partner_center(candidate, pc, tenant, actor=system)
            return candidate
    offer = _offer_for(tenant.broker_id, pc)
    if offer is None:
        return None
    status = _status_of(pc, SubscriptionStatus.ACTIVE)
    price = book.price(offer)
    started = pc.effective_start_date or pc.creation_date or timezone.now()
    parent = None
    if pc.parent_subscription_id:
        parent = Subscription.objects.filter(
            broker_id=tenant.broker_id, vendor_subscription_id=pc.parent_subscription_id
        ).first()
    sub = Subscription.objects.create(
        broker_id=tenant.broker_id,
        organization_id=tenant.organization_id,
        offer=offer,
        parent=parent,
        friendly_name=pc.friendly_name if pc.friendly_name and pc.friendly_name != pc.offer_name else "",
        quantity=pc.quantity or 0,
        status=status,
        term=offer.term,
        billing_plan=offer.billing_plan,
        start_date=started.date(),
        commitment_end=pc.commitment_end_date.date() if pc.commitment_end_date else None,
        auto_renew=bool(pc.auto_renew_enabled),
        currency=book.currency,
        unit_price=price.sales.amount if price.sales else None,
        unit_cost=price.cost.amount if price.cost else None,
        vendor_subscription_id=pc.id,
        vendor_order_id=pc.order_id or "",
    )
    if sub.unit_price is not None:
        records.start_price(sub, sub.start_date or timezone.localdate(), sub.unit_price)
    records.replace_lots(sub, _lots_of(pc), nce.CHANGE_WINDOW)
    TenantSubscription.objects.filter(tenant=tenant, subscription_id=pc.id).update(record=sub)
    records.record(
        sub,
        EventKind.FOUND_AT_VENDOR,
        actor=system,
        occurred_at=started,
        quantity_after=sub.quantity,
        price_after=sub.unit_price,
        detail={"subscription_id": pc.id, "status": str(pc.status or ""), "item_code": offer.item_code},
    )
    return sub


def _changed(sub: Subscription, pc: PcSubscription, system: Actor) -> bool:
    sub = Subscription.objects.select_for_update().select_related("offer", "organization").get(pk=sub.pk)
    if sub.change_pending or sub.status in (SubscriptionStatus.PENDING, SubscriptionStatus.SCHEDULED):
        return False  # our own change or purchase is on its way; it records the outcome
    status = _status_of(pc, sub.status)
    end = pc.commitment_end_date.date() if pc.commitment_end_date else sub.commitment_end
    code = _item_code_of(pc)
    offer = sub.offer
    if code is not None and code.lower() != sub.offer.item_code.lower():
        offer = _offer_for(sub.broker_id, pc) or sub.offer
    next_term_gone = sub.renews_with_changes and pc.scheduled_next_term_instructions is None
    before = {
        "quantity": sub.quantity,
        "status": sub.status,
        "auto_renew": sub.auto_renew,
        "commitment_end": sub.commitment_end.isoformat() if sub.commitment_end else None,
        "item_code": sub.offer.item_code,
    }
    after = {
        "quantity": pc.quantity if pc.quantity is not None else sub.quantity,
        "status": status,
        "auto_renew": bool(pc.auto_renew_enabled) if pc.auto_renew_enabled is not None else sub.auto_renew,
        "commitment_end": end.isoformat() if end else None,
        "item_code": offer.item_code,
    }
    if before == after and not next_term_gone:
        return False
    renewed = sub.commitment_end is not None and end is not None and end > sub.commitment_end
    old_end = sub.commitment_end
    quantity_before, price_before = sub.quantity, sub.unit_price
    sub.quantity = after["quantity"]
    sub.status = status
    sub.auto_renew = after["auto_renew"]
    sub.commitment_end = end
    sub.offer = offer
    sub.term, sub.billing_plan = offer.term, offer.billing_plan
    if next_term_gone or renewed:
        sub.next_term_offer = None
        sub.next_term_quantity = None
    now = timezone.now()
    if renewed:
        assert old_end is not None
        assert end is not None
        renewal_day = nce.renewal_day(old_end)
        # A new term locks a new price: the price list's on the renewal day.
        from cloudbroker.brokers.models import Broker

        broker = Broker.objects.get(pk=sub.broker_id)
        price = PriceBook(broker, organization=sub.organization, day=renewal_day, for_offers=[offer]).price(offer)
        if price.sales is not None:
            records.start_price(sub, renewal_day, price.sales.amount)
            sub.unit_cost = price.cost.amount if price.cost else None
    sub.save()
    if sub.quantity != quantity_before or renewed:
        records.replace_lots(sub, _lots_of(pc), nce.CHANGE_WINDOW)
    if renewed:
        assert old_end is not None
        renewal = dt.datetime.combine(nce.renewal_day(old_end), dt.time.min, tzinfo=dt.UTC)
        records.record(
            sub,
            EventKind.RENEWED,
            actor=system,
            occurred_at=min(renewal, now),
            quantity_before=quantity_before,
            quantity_after=sub.quantity,
            price_before=price_before,
            price_after=sub.unit_price,
            detail={
                "commitment_end": sub.commitment_end.isoformat() if sub.commitment_end else None,
                "item_code": [before["item_code"], after["item_code"]],
            },
        )
    renewal_keys = {"commitment_end", "quantity", "item_code"} if renewed else set()
    changes: dict[str, Any] = {
        k: [before[k], after[k]] for k in before if before[k] != after[k] and k not in renewal_keys
    }
    if next_term_gone and not renewed:
        changes["next_term"] = ["scheduled", "removed"]
    if changes:
        records.record(
            sub,
            EventKind.CHANGED_AT_VENDOR,
            actor=system,
            occurred_at=now,
            quantity_before=quantity_before,
            quantity_after=sub.quantity,
            detail={"changes": changes, "subscription_id": pc.id},
        )
    return True


def reconcile_licences(tenant: MicrosoftTenant, skus: list[Any], result: Any) -> None:
    """How many seats of each subscription have a licence assigned (quantity consumed). Partner
    Center counts licences per directory SKU for the whole tenant; they are given to the
    organization's live subscriptions of that product oldest first, each up to its quantity."""
    if tenant.organization_id is None:
        return
    consumed = {str(s.product_sku.id).lower(): int(s.consumed_units or 0) for s in skus if s.product_sku}
    live = (
        Subscription.objects.filter(organization_id=tenant.organization_id, status__in=SubscriptionStatus.live())
        .select_related("offer__product")
        .order_by("start_date", "created_at", "id")
    )
    changed = []
    for sub in live:
        key = sub.offer.product.licence_sku_id
        if not key:
            continue
        left = consumed.get(key, 0)
        assigned = min(sub.quantity, left)
        consumed[key] = left - assigned
        if sub.assigned_quantity != assigned:
            sub.assigned_quantity = assigned
            changed.append(sub)
    if changed:
        Subscription.objects.bulk_update(changed, ["assigned_quantity"])
        result.bump("subscriptions_consumed_changed", len(changed))
