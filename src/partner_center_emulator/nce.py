"""NCE licence-based rules: terms and charge cycles, the 168-hour windows, seat lots, suspension,
cancellation, renewal and the charges (reconciliation lines) every change produces.

All functions run under the store's lock and take "now" from the emulator clock.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from . import catalog, pricing
from .errors import ApiError
from .state import Charge, Lot, Store, Subscription, iso

WINDOW = timedelta(hours=168)
FULL_REFUND = timedelta(hours=24)
MAX_UPDATES = 1200


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


def add_months(start: date, months: int, anchor_day: int | None = None) -> date:
    """``start`` plus ``months`` calendar months, the day clamped to the month's end."""
    day = anchor_day or start.day
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def term_end(start: date, term: str) -> date:
    """Last day (inclusive) of a term bought on ``start``: start + term − 1 day, month end clamped."""
    return add_months(start, catalog.TERM_MONTHS[term]) - timedelta(days=1)


def cycle_bounds(sub: Subscription, on: date) -> tuple[date, date]:
    """The charge cycle of ``sub`` that contains ``on`` (anchored on the term start's day, or on the
    day a billing-plan change or a partial upgrade re-anchored the cycles)."""
    start = sub.cycle_anchor or sub.term_start.date()
    step = catalog.CYCLE_MONTHS[sub.billing_cycle]
    k = 0
    while True:
        nxt = add_months(start, (k + 1) * step, start.day)
        if on < nxt or nxt > sub.term_end:
            cycle_start = add_months(start, k * step, start.day)
            return cycle_start, min(nxt - timedelta(days=1), sub.term_end)
        k += 1


def cycle_days(sub: Subscription, cycle_start: date, cycle_end: date) -> int:
    """Charge-cycle days: the days of the month the cycle started in (monthly billing), else the cycle's length."""
    if sub.billing_cycle == "monthly":
        return calendar.monthrange(cycle_start.year, cycle_start.month)[1]
    return (cycle_end - cycle_start).days + 1


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Charges
# ---------------------------------------------------------------------------------------------


def _truncate(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


# Charge types whose prorated effective unit price is truncated to cents before it is multiplied by
# the quantity (Microsoft's cancellation and upgrade examples, partner-center.md §7.5); the others
# keep the unit price unrounded and truncate the line total (its seat-change examples).
UNIT_ROUNDED = frozenset({"cancelImmediate", "convert", "moveQuantity"})


def charge(
    store: Store,
    sub: Subscription,
    charge_type: str,
    quantity: int,
    *,
    at: datetime,
    prorate_from: date | None = None,
    negative: bool = False,
    reference_id: str | None = None,
) -> Charge:
    """Add one reconciliation line: the full cycle price, or prorated from ``prorate_from``."""
    day = prorate_from or at.date()
    cycle_start, cycle_end = cycle_bounds(sub, day)
    price = sub.unit_price
    if prorate_from is None:
        effective = price
        start = cycle_start
        nominal_end = add_months(cycle_start, catalog.CYCLE_MONTHS[sub.billing_cycle]) - timedelta(days=1)
        if cycle_end < nominal_end:
            # A cycle cut short by the term's end (a custom term end date, a re-anchored plan) is prorated.
            days = (cycle_end - cycle_start).days + 1
            effective = (price / cycle_days(sub, cycle_start, nominal_end) * days).quantize(Decimal("0.000001"))
    else:
        billing_days = (cycle_end - prorate_from).days + 1
        effective = price / cycle_days(sub, cycle_start, cycle_end) * billing_days
        effective = effective.quantize(Decimal("0.000001"))
        start = prorate_from
    if charge_type in UNIT_ROUNDED and effective != price:
        effective = _truncate(effective)
    if negative:
        effective = -effective
    line = Charge(
        id=uuid.uuid4().hex,
        customer_id=sub.customer_id,
        subscription_id=sub.id,
        order_id=sub.order_id,
        catalog_item_id=sub.catalog_item_id,
        charge_type=charge_type,
        event_at=at,
        charge_start=start,
        charge_end=cycle_end,
        unit_price=price,
        effective_unit_price=effective,
        quantity=quantity,
        subtotal=_truncate(effective * quantity),
        currency=sub.currency,
        reference_id=reference_id or str(uuid.uuid4()),
        term=sub.term,
        billing_cycle=sub.billing_cycle,
        subscription_start=sub.term_start.date(),
        subscription_end=sub.term_end,
    )
    store.charges.append(line)
    return line


def _reprice_seats(store: Store, sub: Subscription, old: int, new: int, charge_type: str, now: datetime) -> None:
    """A seat change: refund the old quantity and charge the new one for the rest of the cycle."""
    ref = str(uuid.uuid4())
    charge(store, sub, charge_type, old, at=now, prorate_from=now.date(), negative=True, reference_id=ref)
    if new:
        charge(store, sub, charge_type, new, at=now, prorate_from=now.date(), reference_id=ref)


# ---------------------------------------------------------------------------------------------
# Creating, renewing
# ---------------------------------------------------------------------------------------------


def new_subscription(
    store: Store,
    *,
    customer_id: str,
    offer: catalog.Offer,
    quantity: int,
    term: str,
    billing_cycle: str,
    currency: str,
    friendly_name: str = "",
    order_id: str = "",
    parent_id: str = "",
    now: datetime,
    custom_term_end: date | None = None,
    bill: bool = True,
    status: str = "active",
    charge_type: str = "new",
) -> Subscription:
    start = now
    sub = Subscription(
        id=str(uuid.uuid4()),
        customer_id=customer_id,
        catalog_item_id=offer.catalog_item_id,
        offer_name=offer.sku_title,
        friendly_name=friendly_name or offer.sku_title,
        quantity=quantity,
        status=status,
        auto_renew=True,
        billing_cycle=billing_cycle,
        term=term,
        created_at=now,
        term_start=start,
        term_end=custom_term_end or term_end(start.date(), term),
        next_charge=start.date(),
        unit_price=pricing.cycle_price(store, offer, term, billing_cycle, currency, now.date()),
        currency=currency,
        order_id=order_id,
        parent_id=parent_id,
        lots=[Lot(quantity, now)] if quantity else [],
    )
    store.add_subscription(sub)
    if bill and quantity:
        charge(store, sub, charge_type, quantity, at=now)
    _schedule_next_charge(sub)
    return sub


def _schedule_next_charge(sub: Subscription) -> None:
    _, cycle_end = cycle_bounds(sub, sub.next_charge)
    sub.next_charge = cycle_end + timedelta(days=1)


def roll(store: Store, sub: Subscription, now: datetime) -> None:
    """Bring ``sub`` up to ``now``: cycle charges, then renewal, expiry or disabling at term end."""
    while sub.status in ("active", "suspended"):
        today = now.date()
        if sub.next_charge <= sub.term_end and sub.next_charge <= today:
            charge_type = "cycleCharge"
            if sub.next_charge_instructions:
                _apply_next_charge(store, sub)
                charge_type = "changeBillingPlan"
            charge(store, sub, charge_type, sub.quantity, at=midnight(sub.next_charge))
            _schedule_next_charge(sub)
            continue
        if today <= sub.term_end:
            return
        renewal_at = midnight(sub.term_end + timedelta(days=1))
        if sub.status == "suspended":
            sub.status = "disabled"
            sub.ended_at = renewal_at
            return
        if not sub.auto_renew:
            sub.status = "expired"
            sub.ended_at = renewal_at
            return
        custom_end = _apply_scheduled(sub)
        sub.term_start = renewal_at
        sub.term_end = custom_end or term_end(renewal_at.date(), sub.term)
        sub.cycle_anchor = None
        sub.window_from = None
        sub.next_charge_instructions = None
        sub.next_charge = renewal_at.date()
        sub.lots = [Lot(sub.quantity, renewal_at)]
        offer = catalog.find_offer(sub.catalog_item_id)
        if offer is not None:
            # The new term takes the price in effect on its first day (the last one, for a withdrawn SKU).
            sub.unit_price = pricing.cycle_price(
                store, offer, sub.term, sub.billing_cycle, sub.currency, renewal_at.date()
            )
        charge(store, sub, "renew", sub.quantity, at=renewal_at)
        _schedule_next_charge(sub)


def _apply_scheduled(sub: Subscription) -> date | None:
    """Apply the scheduled next-term instructions at renewal; answer the new term's custom end date."""
    instructions, sub.scheduled = sub.scheduled, None
    if not instructions:
        return None
    product = instructions.get("product") or {}
    if product:
        offer = catalog.find_offer(f"{product['productId']}:{product['skuId']}:{product['availabilityId']}")
        if offer is not None and offer.catalog_item_id != sub.catalog_item_id:
            if sub.friendly_name == sub.offer_name:
                sub.friendly_name = offer.sku_title
            sub.catalog_item_id = offer.catalog_item_id
            sub.offer_name = offer.sku_title
        sub.term = product.get("termDuration") or sub.term
        sub.billing_cycle = (product.get("billingCycle") or sub.billing_cycle).lower()
    if instructions.get("quantity"):
        sub.quantity = int(instructions["quantity"])
    raw_end = instructions.get("customTermEndDate")
    return parse_day(raw_end) if raw_end else None


def _apply_next_charge(store: Store, sub: Subscription) -> None:
    """A billing-plan change takes effect with the charge cycle that starts now."""
    instructions, sub.next_charge_instructions = sub.next_charge_instructions, None
    cycle = str(((instructions or {}).get("product") or {}).get("billingCycle") or sub.billing_cycle).lower()
    offer = catalog.find_offer(sub.catalog_item_id)
    if offer is None or cycle == sub.billing_cycle or not catalog.supports(offer, sub.term, cycle):
        return
    sub.billing_cycle = cycle
    sub.cycle_anchor = sub.next_charge
    # The price stays locked for the term: the new plan's price on the term's first day.
    sub.unit_price = pricing.cycle_price(store, offer, sub.term, cycle, sub.currency, sub.term_start.date())


def parse_day(raw: str) -> date:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).date()


# ---------------------------------------------------------------------------------------------
# Provisioning (orders complete a while after checkout)
# ---------------------------------------------------------------------------------------------


def provision_due(store: Store, now: datetime) -> None:
    """Complete every pending order whose provisioning time has come: its subscriptions turn active."""
    for order_id in sorted(store.pending_orders):
        order = store.orders.get(order_id)
        if order is None or order.status != "pending":
            store.pending_orders.discard(order_id)
            continue
        if order.provision_at is not None and now < order.provision_at:
            continue
        for line in order.lines:
            sub = store.subscriptions.get(line.get("subscriptionId", ""))
            if sub is not None and sub.status == "pending":
                sub.status = "active"
        order.status = "completed"
        order.completed_at = order.provision_at or now
        store.pending_orders.discard(order_id)
        store.changed()


def roll_all(store: Store) -> None:
    now = store.clock.now()
    provision_due(store, now)
    for sub in store.subscriptions.values():
        roll(store, sub, now)


# ---------------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------------


def refundable_lots(sub: Subscription, now: datetime) -> list[Lot]:
    return [lot for lot in sub.lots if lot.quantity > 0 and now <= lot.added_at + WINDOW]


def refundable_quantity(sub: Subscription, now: datetime) -> dict:
    lots = refundable_lots(sub, now)
    return {
        "totalQuantity": sum(lot.quantity for lot in lots),
        "details": [{"quantity": lot.quantity, "allowedUntilDateTime": iso(lot.added_at + WINDOW)} for lot in lots],
    }


def window_start(sub: Subscription) -> datetime:
    """Where the cancellation window runs from: the term start, unless a term change or an upgrade
    kept the earlier one (a partial upgrade's subscription inherits its source's)."""
    return sub.window_from or sub.term_start


def cancellation_allowed_until(sub: Subscription) -> datetime:
    return window_start(sub) + WINDOW


# ---------------------------------------------------------------------------------------------
# Changes (PATCH)
# ---------------------------------------------------------------------------------------------


def _not_updatable(sub: Subscription) -> ApiError | None:
    if sub.status == "pending":
        return ApiError(409, 800082, "Subscription is not ready to be updated. Try again after sometime.")
    if sub.status == "deleted":
        return ApiError(400, 2011, f"Subscription with ID {sub.id} and deleted status can't be updated.")
    if sub.status in ("expired", "disabled"):
        return ApiError(400, 900279, "Update operations are no longer allowed for this subscription.")
    if sub.update_count >= MAX_UPDATES:
        return ApiError(400, 900311, "This subscription has been updated too many times.")
    return None


def pooled_quantity(store: Store, sub: Subscription) -> int:
    """Seats of the same product SKU the customer holds in other live subscriptions."""
    sku = sub.catalog_item_id.rsplit(":", 1)[0]
    return sum(
        s.quantity
        for s in store.subs_by_customer.get(sub.customer_id, {}).values()
        if s.id != sub.id and s.status in ("active", "suspended") and s.catalog_item_id.startswith(sku + ":")
    )


def change_quantity(store: Store, sub: Subscription, new: int, now: datetime) -> None:
    if new == sub.quantity:
        return
    if sub.status == "suspended":
        raise ApiError(400, 800091, "Can't update a subscription with suspended status.")
    offer = catalog.find_offer(sub.catalog_item_id)
    minimum = offer.minimum_quantity if offer else 1
    maximum = offer.maximum_quantity if offer else 10_000
    if new < minimum:
        raise ApiError(400, 2002, "Subscription quantity isn't within minimum and maximum allowed quantity.")
    if new > sub.quantity:
        remaining = maximum - pooled_quantity(store, sub)
        if new > remaining:
            raise ApiError(
                403,
                800088,
                f"The requested number of {new} seat/s exceeded the remaining limit of {remaining} seats "
                f"allowed per subscription for the CatalogID - {sub.catalog_item_id}",
            )
        old = sub.quantity
        sub.lots.append(Lot(new - old, now))
        sub.quantity = new
        sub.scheduled = None
        if sub.next_charge_instructions:
            sub.next_charge_instructions["quantity"] = new
        _reprice_seats(store, sub, old, new, "addQuantity", now)
        return
    reduce_by = sub.quantity - new
    lots = refundable_lots(sub, now)
    refundable = sum(lot.quantity for lot in lots)
    if reduce_by > refundable:
        raise ApiError(
            400,
            800090,
            "Subscription quantity cannot be decreased.",
            [f"Only {refundable} seat(s) are still within their 168-hour window for reducing seats."],
        )
    left = reduce_by
    for lot in reversed(lots):
        take = min(lot.quantity, left)
        lot.quantity -= take
        left -= take
        if not left:
            break
    sub.lots = [lot for lot in sub.lots if lot.quantity > 0]
    old = sub.quantity
    sub.quantity = new
    sub.scheduled = None
    _reprice_seats(store, sub, old, new, "removeQuantity", now)
    if sub.next_charge_instructions:
        sub.next_charge_instructions["quantity"] = new


def change_status(store: Store, sub: Subscription, status: str, now: datetime) -> None:
    if status == sub.status:
        return
    if status == "suspended":
        if sub.status != "active":
            raise ApiError(400, 3000, f"Invalid property status: a {sub.status} subscription can't be suspended.")
        sub.status = "suspended"
        sub.suspended_at = now
        sub.auto_renew = False
        sub.scheduled = None  # the next charge instructions stay
        return
    if status == "active":
        if sub.status != "suspended":
            raise ApiError(400, 3000, f"Invalid property status: a {sub.status} subscription can't be reactivated.")
        sub.status = "active"
        sub.suspended_at = None
        return
    if status == "deleted":
        if now > cancellation_allowed_until(sub):
            raise ApiError(
                400,
                900213,
                "You have passed your 168-hour cancellation window. We are unable to cancel your purchase.",
            )
        if now <= window_start(sub) + FULL_REFUND:
            # Inside the first 24 hours: the whole current charge is refunded.
            charge(store, sub, "cancelImmediate", sub.quantity, at=now, negative=True)
        else:
            charge(store, sub, "cancelImmediate", sub.quantity, at=now, prorate_from=now.date(), negative=True)
        sub.status = "deleted"
        sub.auto_renew = False
        sub.ended_at = now
        sub.lots = []
        sub.scheduled = None
        sub.next_charge_instructions = None
        for addon in store.subs_by_customer.get(sub.customer_id, {}).values():
            if addon.parent_id == sub.id and addon.status in ("active", "suspended"):
                charge(store, addon, "cancelImmediate", addon.quantity, at=now, prorate_from=now.date(), negative=True)
                addon.status = "deleted"
                addon.auto_renew = False
                addon.ended_at = now
        return
    raise ApiError(400, 3000, f"Invalid property status: {status!r} is not a status a partner can set.")


def change_auto_renew(sub: Subscription, enabled: bool) -> None:
    if enabled and not sub.auto_renew and sub.status != "active":
        raise ApiError(400, 800093, "The subscription isn't eligible to be auto-renewed.")
    if not enabled:
        sub.scheduled = None
    sub.auto_renew = enabled


def check_updatable(sub: Subscription) -> None:
    error = _not_updatable(sub)
    if error:
        raise error


# ---------------------------------------------------------------------------------------------
# Term and billing-plan changes mid-term (partner-center.md §5.4)
# ---------------------------------------------------------------------------------------------

# Billing-plan-only changes allowed mid-term, from (term, plan) to plan; they take effect with the
# next charge cycle. Upfront plans (annual on P1Y, triennial on P3Y) and P1Y monthly have none.
BILLING_CHANGES: dict[tuple[str, str], tuple[str, ...]] = {
    ("P3Y", "monthly"): ("annual",),
    ("P3Y", "annual"): ("monthly",),
}


def _offer_of(sub: Subscription) -> catalog.Offer:
    offer = catalog.find_offer(sub.catalog_item_id)
    if offer is None:
        raise ApiError(400, 800004, f"Invalid offer ID {sub.catalog_item_id}.")
    return offer


def check_term_and_cycle(offer: catalog.Offer, term: str, cycle: str) -> None:
    """Refuse a term or billing plan the offer is not sold with, as Partner Center does."""
    if term not in catalog.TERM_MONTHS or all(t != term for t, _ in offer.terms):
        raise ApiError(400, 800121, f"Term duration '{term}' is not valid for {offer.catalog_item_id}.")
    if cycle in catalog.CYCLE_MONTHS and catalog.CYCLE_MONTHS[cycle] > catalog.TERM_MONTHS[term]:
        raise ApiError(400, 900270, f"Billing cycle '{cycle}' can't be longer than the term {term}.")
    if not catalog.supports(offer, term, cycle):
        raise ApiError(400, 900269, f"Billing cycle '{cycle}' is not valid for term {term} of {offer.catalog_item_id}.")


def change_term(store: Store, sub: Subscription, term: str, cycle: str, now: datetime) -> None:
    """An immediate, upward term change (P1M -> P1Y/P3Y, P1Y -> P3Y), the billing plan with it.

    The new term starts today at the price of the day; what is left of the current charge cycle is
    credited (``convert`` lines). The cancellation window stays where it was.
    """
    if term not in catalog.TERM_MONTHS:
        raise ApiError(400, 800121, f"Term duration '{term}' is not valid.")
    if sub.status != "active":
        raise ApiError(400, 900280, f"Update operations are currently not allowed: the subscription is {sub.status}.")
    if catalog.TERM_MONTHS[term] < catalog.TERM_MONTHS[sub.term]:
        raise ApiError(400, 800122, f"The target term {term} can't be shorter than the current term {sub.term}.")
    if term == sub.term:
        return
    offer = _offer_of(sub)
    check_term_and_cycle(offer, term, cycle)
    ref = str(uuid.uuid4())
    charge(store, sub, "convert", sub.quantity, at=now, prorate_from=now.date(), negative=True, reference_id=ref)
    sub.window_from = window_start(sub)
    sub.term = term
    sub.billing_cycle = cycle
    sub.term_start = now
    sub.term_end = term_end(now.date(), term)
    sub.cycle_anchor = None
    sub.next_charge = now.date()
    sub.unit_price = pricing.cycle_price(store, offer, term, cycle, sub.currency, now.date())
    sub.scheduled = None
    sub.next_charge_instructions = None
    charge(store, sub, "convert", sub.quantity, at=now, reference_id=ref)
    _schedule_next_charge(sub)


def schedule_billing_change(sub: Subscription, cycle: str) -> None:
    """A billing-plan-only change: recorded as ``nextChargeInstructions``, applied with the next cycle."""
    if cycle == sub.billing_cycle:
        sub.next_charge_instructions = None
        return
    offer = _offer_of(sub)
    if cycle not in catalog.CYCLE_MONTHS:
        raise ApiError(400, 900269, f"Billing cycle '{cycle}' is not valid.")
    if sub.status != "active":
        raise ApiError(400, 900280, f"Update operations are currently not allowed: the subscription is {sub.status}.")
    if cycle not in BILLING_CHANGES.get((sub.term, sub.billing_cycle), ()):
        raise ApiError(
            400,
            2054,
            f"Billing cycle for an existing subscription can't be updated: a {sub.term} subscription billed "
            f"{sub.billing_cycle} can't move to {cycle} billing mid-term (change it at renewal with "
            "scheduledNextTermInstructions).",
        )
    check_term_and_cycle(offer, sub.term, cycle)
    sub.next_charge_instructions = {
        "product": {
            "productId": offer.product_id,
            "skuId": offer.sku_id,
            "availabilityId": offer.availability_id,
            "billingCycle": cycle,
            "termDuration": sub.term,
        },
        "quantity": sub.quantity,
    }


# ---------------------------------------------------------------------------------------------
# Scheduled next-term instructions (partner-center.md §5.6)
# ---------------------------------------------------------------------------------------------


def allowed_end_dates(store: Store, customer_id: str, start: date, term: str) -> list[date]:
    """Custom term end dates a term of ``term`` starting ``start`` may take: calendar-month ends
    within its first term, or the end dates of the customer's active subscriptions (an annual or
    triennial term never aligns with a monthly one)."""
    last = term_end(start, term)
    ends: set[date] = set()
    month = date(start.year, start.month, 1)
    while month <= last:
        end = add_months(month, 1) - timedelta(days=1)
        if start <= end <= last:
            ends.add(end)
        month = add_months(month, 1)
    for sub in store.subs_by_customer.get(customer_id, {}).values():
        if sub.status == "active" and start <= sub.term_end <= last and not (term != "P1M" and sub.term == "P1M"):
            ends.add(sub.term_end)
    return sorted(ends)


def _get(raw: dict, *names: str) -> object:
    for name in names:
        if name.lower() in raw and raw[name.lower()] not in (None, ""):
            return raw[name.lower()]
    return None


def scheduled_instructions(store: Store, sub: Subscription, raw: object) -> dict:
    """Validate ``scheduledNextTermInstructions`` (keys lower-cased) and answer its stored shape."""
    if not isinstance(raw, dict):
        raise ApiError(400, 3000, "Invalid property ScheduledNextTermInstructions: must be an object.", [])
    if sub.status != "active":
        raise ApiError(400, 900280, f"Scheduled changes are currently not allowed: the subscription is {sub.status}.")
    if not sub.auto_renew:
        raise ApiError(
            400, 800093, "The subscription isn't eligible to be auto-renewed: scheduled changes need autoRenewEnabled."
        )
    current = _offer_of(sub)
    out: dict = {}
    product = raw.get("product")
    offer = current
    term, cycle = sub.term, sub.billing_cycle
    if product is not None:
        if not isinstance(product, dict):
            raise ApiError(400, 3000, "Invalid property ScheduledNextTermInstructions.Product: must be an object.")
        pid = str(_get(product, "productId") or current.product_id).upper()
        sku = str(_get(product, "skuId") or current.sku_id).upper()
        aid = str(_get(product, "availabilityId") or "").upper()
        target = catalog.BY_PRODUCT_SKU.get(f"{pid}:{sku}")
        if target is None or (aid and aid != target.availability_id):
            raise ApiError(400, 800004, f"Invalid offer ID {pid}:{sku}:{aid}.")
        if target.product_sku != current.product_sku and target.product_sku not in catalog.upgrade_targets(
            current.product_sku
        ):
            raise ApiError(
                400,
                800004,
                f"Invalid offer ID {target.catalog_item_id}: it is not an upgrade of {current.product_sku} "
                "(see transitionEligibilities?eligibilityType=scheduled); downgrades are not supported.",
            )
        offer = target
        term = str(_get(product, "termDuration") or term).upper()
        cycle = str(_get(product, "billingCycle") or cycle).lower()
        check_term_and_cycle(offer, term, cycle)
        out["product"] = {
            "productId": offer.product_id,
            "skuId": offer.sku_id,
            "availabilityId": offer.availability_id,
            "billingCycle": cycle,
            "termDuration": term,
        }
        promotion = _get(product, "promotionId")
        if promotion:
            out["product"]["promotionId"] = str(promotion)
    quantity = raw.get("quantity")
    if quantity is not None:
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise ApiError(400, 3000, "Invalid property ScheduledNextTermInstructions.Quantity: a whole number.")
        if not offer.minimum_quantity <= quantity <= offer.maximum_quantity:
            raise ApiError(400, 2002, "Subscription quantity isn't within minimum and maximum allowed quantity.")
        out["quantity"] = quantity
    raw_end = _get(raw, "customTermEndDate")
    if raw_end:
        try:
            end = parse_day(str(raw_end))
        except ValueError as exc:
            raise ApiError(400, 900244, f"customTermEndDate '{raw_end}' is not a date.") from exc
        start = sub.term_end + timedelta(days=1)
        if not start <= end <= term_end(start, term):
            raise ApiError(400, 900245, "The custom term end date must be within the first term of the renewal.")
        if end not in allowed_end_dates(store, sub.customer_id, start, term):
            raise ApiError(
                400,
                900246,
                "The custom term end date must match an active subscription's end date or the end of a calendar "
                "month (a monthly term can't align to the 28th, 29th or 30th unless it is the month end).",
            )
        out["customTermEndDate"] = f"{end.isoformat()}T00:00:00Z"
    if not out:
        raise ApiError(400, 3000, "Invalid property ScheduledNextTermInstructions: it changes nothing.")
    return out


def same_instructions(stored: dict | None, raw: object) -> bool:
    """Whether a PATCH body's instructions are the stored ones sent back (GET-modify-PATCH)."""
    if stored is None or not isinstance(raw, dict):
        return False

    def norm(value: object) -> object:
        if isinstance(value, dict):
            return {str(k).lower(): norm(v) for k, v in value.items() if v not in (None, "")}
        if isinstance(value, str):
            return value.lower()
        return value

    return norm(stored) == norm(raw)
