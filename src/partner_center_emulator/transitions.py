"""NCE transitions (upgrades) of a subscription (partner-center.md §5.8).

* A full upgrade (every seat, no target subscription) keeps the subscription's id: its offer changes.
* A partial upgrade (some seats) makes a new subscription of the target offer, coterminous with
  the source, which inherits the source's cancellation window.
* An upgrade into an existing subscription of the target offer moves the seats (``moveQuantity``).
* Only from an active subscription, only along ``catalog.UPGRADE_PATHS`` (no downgrades).

Charges: the source's rest of the current charge cycle is credited and the target's charged,
both prorated with the unit price truncated to cents first (``convert``, or ``moveQuantity`` for
seats moved into an existing subscription), one ``referenceId`` per transition.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from . import catalog, nce, pricing
from .errors import ApiError
from .state import Store, Subscription, Transition, iso

TRANSITION_TYPES = ("transition_only", "transition_with_license_transfer")
ELIGIBILITY_TYPES = ("immediate", "scheduled")


def _target_error(source: Subscription, target: Subscription, now: datetime) -> list[dict[str, Any]]:
    """Why an existing subscription can't take the seats (Partner Center's codes 1-4)."""
    errors = []
    if target.status != "active":
        errors.append({"code": 1, "description": "The target subscription is not active."})
    if now <= nce.cancellation_allowed_until(target):
        errors.append({"code": 2, "description": "The target subscription is still within its cancellation window."})
    if catalog.TERM_MONTHS[target.term] < catalog.TERM_MONTHS[source.term]:
        errors.append({"code": 3, "description": "The target subscription's term is shorter than the source's."})
    if target.term_end < source.term_end:
        errors.append({"code": 4, "description": "The target subscription ends before the source subscription."})
    return errors


def _source_errors(sub: Subscription) -> list[dict[str, Any]]:
    if sub.status != "active":
        return [{"code": "SubscriptionNotActive", "description": f"The subscription is {sub.status}."}]
    return []


def eligibilities(store: Store, sub: Subscription, eligibility_type: str, now: datetime) -> list[dict[str, Any]]:
    if eligibility_type not in ELIGIBILITY_TYPES:
        raise ApiError(
            400,
            800002,
            f"Invalid request input: eligibilityType must be immediate or scheduled, not {eligibility_type!r}.",
        )
    source = catalog.find_offer(sub.catalog_item_id)
    if source is None:
        return []
    errors = _source_errors(sub)
    if eligibility_type == "scheduled" and not errors and not sub.auto_renew:
        errors = [{"code": "AutoRenewDisabled", "description": "Scheduled upgrades need autoRenewEnabled."}]
    items = []
    for product_sku in catalog.upgrade_targets(source.product_sku):
        offer = catalog.BY_PRODUCT_SKU[product_sku]
        if pricing.withdrawn(store, offer, now.date()):
            continue
        targets = []
        if eligibility_type == "immediate":
            for other in store.subs_by_customer.get(sub.customer_id, {}).values():
                if other.catalog_item_id.startswith(product_sku + ":") and other.status in ("active", "suspended"):
                    problems = _target_error(sub, other, now)
                    targets.append(
                        {
                            "isEligible": not problems,
                            "subscriptionId": other.id,
                            "subscriptionFriendlyName": other.friendly_name,
                            "subscriptionTermDuration": other.term,
                            "subscriptionBillingCycle": other.billing_cycle,
                            "errors": problems,
                        }
                    )
        items.append(
            {
                "operationId": str(uuid.uuid4()),
                "catalogItemId": offer.catalog_item_id,
                "title": offer.sku_title,
                "description": offer.description,
                "quantity": sub.quantity,
                "subscriptionEligibilities": targets,
                "eligibilities": [
                    {"isEligible": not errors, "transitionType": kind, "errors": errors} for kind in TRANSITION_TYPES
                ]
                if eligibility_type == "immediate"
                else [{"isEligible": not errors, "transitionType": "transition_only", "errors": errors}],
                "attributes": {"objectType": "TransitionEligibility"},
            }
        )
    return items


def upgrades(store: Store, sub: Subscription, country: str, now: datetime) -> list[dict[str, Any]]:
    """``GET .../upgrades``: the offers the subscription may be upgraded to."""
    items = []
    source = catalog.find_offer(sub.catalog_item_id)
    if source is None:
        return items
    errors = _source_errors(sub)
    for product_sku in catalog.upgrade_targets(source.product_sku):
        offer = catalog.BY_PRODUCT_SKU[product_sku]
        items.append(
            {
                "targetOffer": {
                    "id": offer.catalog_item_id,
                    "name": offer.sku_title,
                    "description": offer.description,
                    "minimumQuantity": offer.minimum_quantity,
                    "maximumQuantity": offer.maximum_quantity,
                    "productType": {"id": catalog.NCE, "displayName": catalog.NCE},
                    "attributes": {"objectType": "Offer"},
                },
                "upgradeType": "upgrade_only",
                "isEligible": not errors,
                "quantity": sub.quantity,
                "eligibilityErrors": errors,
                "attributes": {"objectType": "Upgrade"},
            }
        )
    return items


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name.lower())
    return "" if value is None else str(value)


def _transfer_licences(
    store: Store, customer_id: str, source: catalog.Offer, target: catalog.Offer, seats: int
) -> None:
    for user in store.users_by_customer.get(customer_id, {}).values():
        if seats <= 0:
            return
        if source.entra_sku_id in user.licenses:
            user.licenses = [target.entra_sku_id if s == source.entra_sku_id else s for s in user.licenses]
            if user.licenses.count(target.entra_sku_id) > 1:
                user.licenses = list(dict.fromkeys(user.licenses))
            seats -= 1


def create(store: Store, sub: Subscription, body: Any, now: datetime) -> Transition:
    if not isinstance(body, dict):
        raise ApiError(400, 800002, "Invalid request input: the body must be a JSON object (a Transition).")
    from_id = _field(body, "fromSubscriptionId").lower()
    if from_id and from_id != sub.id:
        raise ApiError(400, 3000, "Invalid property FromSubscriptionId: it must be the subscription of the path.")
    source_offer = catalog.find_offer(sub.catalog_item_id)
    if source_offer is None:
        raise ApiError(400, 800004, f"Invalid offer ID {sub.catalog_item_id}.")
    from_item = _field(body, "fromCatalogItemId")
    if from_item and from_item.upper() != sub.catalog_item_id.upper():
        raise ApiError(400, 3000, "Invalid property FromCatalogItemId: it is not the subscription's offer.")
    if sub.status != "active":
        raise ApiError(400, 900280, f"Update operations are currently not allowed: the subscription is {sub.status}.")
    nce.check_updatable(sub)
    to_item = _field(body, "toCatalogItemId")
    target_offer = catalog.find_offer(to_item)
    if target_offer is None:
        raise ApiError(400, 800004, f"Invalid offer ID {to_item}.")
    if target_offer.product_sku not in catalog.upgrade_targets(source_offer.product_sku):
        raise ApiError(
            400,
            800004,
            f"Invalid offer ID {target_offer.catalog_item_id}: it is not an upgrade of {source_offer.product_sku}; "
            "downgrades are not supported.",
        )
    if pricing.withdrawn(store, target_offer, now.date()):
        raise ApiError(404, 400019, f"Availability {target_offer.availability_id} was not found.")
    kind = (_field(body, "transitionType") or "transition_only").lower()
    if kind not in TRANSITION_TYPES:
        raise ApiError(400, 3000, f"Invalid property TransitionType: {kind!r} (transition_only or "
                       "transition_with_license_transfer).")  # fmt: skip
    quantity = body.get("quantity")
    if quantity is None:
        quantity = sub.quantity
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= sub.quantity:
        raise ApiError(400, 2002, f"The quantity to upgrade must be between 1 and {sub.quantity}.")
    term = (_field(body, "termDuration") or sub.term).upper()
    cycle = (_field(body, "billingCycle") or sub.billing_cycle).lower()
    to_id = _field(body, "toSubscriptionId").lower()
    ref = str(uuid.uuid4())
    if to_id:
        target = store.subs_by_customer.get(sub.customer_id, {}).get(to_id)
        if target is None:
            raise ApiError(404, 20003, f"Subscription with ID {to_id} not found.")
        if not target.catalog_item_id.startswith(target_offer.product_sku + ":"):
            raise ApiError(
                400, 3000, "Invalid property ToSubscriptionId: it is not a subscription of the target offer."
            )
        problems = _target_error(sub, target, now)
        if problems:
            raise ApiError(400, 3000, f"Invalid property ToSubscriptionId: {problems[0]['description']}", problems)
        _move(store, sub, target, quantity, now, ref)
    else:
        if catalog.TERM_MONTHS.get(term, 0) < catalog.TERM_MONTHS[sub.term]:
            raise ApiError(400, 800122, f"The target term {term} can't be shorter than the current term {sub.term}.")
        if term != sub.term:
            # The upgraded seats stay coterminous with the source: lengthen the term separately.
            raise ApiError(
                400, 800121, f"Term duration '{term}' is not valid here: an upgrade keeps the term {sub.term}."
            )
        nce.check_term_and_cycle(target_offer, term, cycle)
        if quantity == sub.quantity:
            target = _convert(store, sub, target_offer, cycle, now, ref)
        else:
            target = _split(store, sub, target_offer, quantity, cycle, now, ref)
    if kind == "transition_with_license_transfer":
        _transfer_licences(store, sub.customer_id, source_offer, target_offer, quantity)
    transition = Transition(
        id=str(uuid.uuid4()),
        customer_id=sub.customer_id,
        from_subscription_id=sub.id,
        from_catalog_item_id=source_offer.catalog_item_id,
        to_subscription_id=target.id,
        to_catalog_item_id=target_offer.catalog_item_id,
        quantity=quantity,
        term=target.term,
        billing_cycle=target.billing_cycle,
        transition_type=kind,
        created_at=now,
    )
    store.transitions.append(transition)
    return transition


def _credit(store: Store, sub: Subscription, kind: str, quantity: int, now: datetime, ref: str) -> None:
    nce.charge(store, sub, kind, quantity, at=now, prorate_from=now.date(), negative=True, reference_id=ref)


def _bill(store: Store, sub: Subscription, kind: str, quantity: int, now: datetime, ref: str) -> None:
    if quantity:
        nce.charge(store, sub, kind, quantity, at=now, prorate_from=now.date(), reference_id=ref)


def _convert(
    store: Store, sub: Subscription, offer: catalog.Offer, cycle: str, now: datetime, ref: str
) -> Subscription:
    """A full upgrade: the same subscription (same id, term and end date) on the target offer."""
    _credit(store, sub, "convert", sub.quantity, now, ref)
    if sub.friendly_name == sub.offer_name:
        sub.friendly_name = offer.sku_title
    sub.catalog_item_id = offer.catalog_item_id
    sub.offer_name = offer.sku_title
    if cycle != sub.billing_cycle:
        sub.billing_cycle = cycle
        sub.cycle_anchor = now.date()
        sub.next_charge = now.date()
    sub.unit_price = pricing.cycle_price(store, offer, sub.term, sub.billing_cycle, sub.currency, now.date())
    sub.scheduled = None
    sub.next_charge_instructions = None
    sub.window_from = nce.window_start(sub)
    sub.lots = []  # upgraded seats can't be taken back
    _bill(store, sub, "convert", sub.quantity, now, ref)
    if sub.next_charge <= now.date():
        _, cycle_end = nce.cycle_bounds(sub, now.date())
        sub.next_charge = cycle_end + timedelta(days=1)
    sub.update_count += 1
    sub.etag += 1
    return sub


def _reduce(store: Store, sub: Subscription, quantity: int, kind: str, now: datetime, ref: str) -> None:
    old = sub.quantity
    _credit(store, sub, kind, old, now, ref)
    sub.quantity = old - quantity
    _bill(store, sub, kind, sub.quantity, now, ref)
    left = quantity
    for lot in reversed(sub.lots):
        take = min(lot.quantity, left)
        lot.quantity -= take
        left -= take
    sub.lots = [lot for lot in sub.lots if lot.quantity > 0]
    sub.scheduled = None
    sub.update_count += 1
    sub.etag += 1


def _split(
    store: Store, sub: Subscription, offer: catalog.Offer, quantity: int, cycle: str, now: datetime, ref: str
) -> Subscription:
    """A partial upgrade: the seats leave the source for a new, coterminous subscription."""
    _reduce(store, sub, quantity, "convert", now, ref)
    new = nce.new_subscription(
        store,
        customer_id=sub.customer_id,
        offer=offer,
        quantity=quantity,
        term=sub.term,
        billing_cycle=cycle,
        currency=sub.currency,
        order_id=sub.order_id,
        now=now,
        custom_term_end=sub.term_end,
        bill=False,
    )
    new.cycle_anchor = nce.cycle_bounds(sub, now.date())[0] if cycle == sub.billing_cycle else now.date()
    new.window_from = nce.window_start(sub)
    new.lots = []  # upgraded seats can't be taken back
    new.next_charge = now.date()
    _, cycle_end = nce.cycle_bounds(new, now.date())
    nce.charge(store, new, "convert", quantity, at=now, prorate_from=now.date(), reference_id=ref)
    new.next_charge = cycle_end + timedelta(days=1)
    return new


def _move(store: Store, sub: Subscription, target: Subscription, quantity: int, now: datetime, ref: str) -> None:
    """Seats moved into an existing subscription of the target offer (``moveQuantity``)."""
    full = quantity == sub.quantity
    _reduce(store, sub, quantity, "moveQuantity", now, ref)
    old = target.quantity
    _credit(store, target, "moveQuantity", old, now, ref)
    target.quantity = old + quantity
    _bill(store, target, "moveQuantity", target.quantity, now, ref)
    target.scheduled = None
    target.update_count += 1
    target.etag += 1
    if full:
        sub.status = "deleted"
        sub.auto_renew = False
        sub.ended_at = now
        sub.next_charge_instructions = None


def render(t: Transition) -> dict[str, Any]:
    return {
        "id": t.id,
        "fromCatalogItemId": t.from_catalog_item_id,
        "fromSubscriptionId": t.from_subscription_id,
        "toCatalogItemId": t.to_catalog_item_id,
        "toSubscriptionId": t.to_subscription_id,
        "quantity": t.quantity,
        "termDuration": t.term,
        "billingCycle": t.billing_cycle,
        "transitionType": t.transition_type,
        "status": t.status,
        "creationDate": iso(t.created_at),
        "events": [
            {"name": "Conversion", "status": "Started", "timestamp": iso(t.created_at)},
            {"name": "Conversion", "status": "Completed", "timestamp": iso(t.created_at)},
        ],
        "attributes": {"objectType": "Transition"},
    }
