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
    """The charge cycle of ``sub`` that contains ``on`` (anchored on the term start's day)."""
    start = sub.term_start.date()
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
    else:
        billing_days = (cycle_end - prorate_from).days + 1
        effective = price / cycle_days(sub, cycle_start, cycle_end) * billing_days
        effective = effective.quantize(Decimal("0.000001"))
        start = prorate_from
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
) -> Subscription:
    start = now
    sub = Subscription(
        id=str(uuid.uuid4()),
        customer_id=customer_id,
        catalog_item_id=offer.catalog_item_id,
        offer_name=offer.sku_title,
        friendly_name=friendly_name or offer.sku_title,
        quantity=quantity,
        status="active",
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
        charge(store, sub, "new", quantity, at=now)
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
            charge(store, sub, "cycleCharge", sub.quantity, at=midnight(sub.next_charge))
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
        sub.term_start = renewal_at
        sub.term_end = term_end(renewal_at.date(), sub.term)
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


def roll_all(store: Store) -> None:
    now = store.clock.now()
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


def cancellation_allowed_until(sub: Subscription) -> datetime:
    return sub.term_start + WINDOW


# ---------------------------------------------------------------------------------------------
# Changes (PATCH)
# ---------------------------------------------------------------------------------------------


def _not_updatable(sub: Subscription) -> ApiError | None:
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
    _reprice_seats(store, sub, old, new, "removeQuantity", now)


def change_status(store: Store, sub: Subscription, status: str, now: datetime) -> None:
    if status == sub.status:
        return
    if status == "suspended":
        if sub.status != "active":
            raise ApiError(400, 3000, f"Invalid property status: a {sub.status} subscription can't be suspended.")
        sub.status = "suspended"
        sub.suspended_at = now
        sub.auto_renew = False
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
        if now <= sub.term_start + FULL_REFUND:
            # Inside the first 24 hours: the whole current charge is refunded.
            charge(store, sub, "cancelImmediate", sub.quantity, at=now, negative=True)
        else:
            charge(store, sub, "cancelImmediate", sub.quantity, at=now, prorate_from=now.date(), negative=True)
        sub.status = "deleted"
        sub.auto_renew = False
        sub.ended_at = now
        sub.lots = []
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
    sub.auto_renew = enabled


def check_updatable(sub: Subscription) -> None:
    error = _not_updatable(sub)
    if error:
        raise error
