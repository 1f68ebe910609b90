"""Microsoft's New Commerce (NCE) rules for licence-based subscriptions, as pure functions over
dates, times and quantities (no database, no Partner Center call): the subscription services ask
these before they send anything, so that a change Microsoft would refuse is refused here first,
with the reason and the date in words.

The numbers are Microsoft's (the research notes, §5.4): a change can be undone within 7 days
(168 hours) of a purchase, a renewal or an added lot of seats — in full within the first 24 hours,
prorated after; seats can be removed only from lots still in their window; a suspended or trial
subscription's quantity does not change; a term only grows mid-term; the commitment end date is
inclusive and the renewal runs the day after it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CHANGE_WINDOW",
    "FULL_REFUND_WINDOW",
    "NceRefused",
    "SeatLot",
    "add_months",
    "calendar_aligned_end",
    "check_quantity_change",
    "commitment_end",
    "immediate_term_changes",
    "reduce_lots",
    "reducible_quantity",
    "refund_kind",
    "renewal_day",
    "scheduled_billing_changes",
]

#: A purchase, a renewal or an added lot can be cancelled or reduced for this long after it.
CHANGE_WINDOW = dt.timedelta(days=7)
#: Within this first part of the window the refund is full; after it, prorated by the day.
FULL_REFUND_WINDOW = dt.timedelta(hours=24)

TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}
PLAN_MONTHS = {"monthly": 1, "annual": 12, "triennial": 36}


class NceRefused(ValueError):
    """A change Microsoft's rules do not allow; ``code`` is Partner Center's error for it."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# -- dates -------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, on the same day of the month or the month's last day when it is
    shorter (31 January + 1 month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def commitment_end(start: dt.date, term: str) -> dt.date:
    """The last day of a term that starts on ``start`` (inclusive: a one-year term from 14 January
    2021 ends on 13 January 2022)."""
    return add_months(start, _months(term)) - dt.timedelta(days=1)


def renewal_day(end: dt.date) -> dt.date:
    """Microsoft renews on the day after the commitment end date (from 00:00 UTC, within 24 hours)."""
    return end + dt.timedelta(days=1)


def calendar_aligned_end(start: dt.date, term: str) -> dt.date:
    """The end of the first term when it is aligned to calendar months: the last day of the month
    before the one the full term would end in (a year from 15 July 2022 ends 30 June 2023; a month
    from 15 July 2022 ends 31 July 2022; a month from 1 July ends 31 July)."""
    full = add_months(start, _months(term))
    return full.replace(day=1) - dt.timedelta(days=1)


def _months(term: str) -> int:
    try:
        return TERM_MONTHS[term]
    except KeyError:
        raise NceRefused(f"{term!r} is not a term Microsoft sells (P1M, P1Y or P3Y).") from None


# -- the 7-day window --------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatLot:
    """Seats added at one moment (the purchase, a renewal, or seats added mid-term): each lot has
    its own 7-day window (Partner Center's ``refundableQuantity.details``)."""

    quantity: int
    added_at: dt.datetime

    @property
    def reducible_until(self) -> dt.datetime:
        return self.added_at + CHANGE_WINDOW

    def reducible_on(self, now: dt.datetime) -> bool:
        return now <= self.reducible_until


def refund_kind(started_at: dt.datetime, now: dt.datetime) -> str | None:
    """What cancelling (or removing seats) at ``now`` refunds, for a purchase, renewal or lot of
    ``started_at``: ``"full"`` within 24 hours, ``"prorated"`` until 7 days, else None (not allowed)."""
    if now < started_at:
        raise NceRefused("The change would be before the purchase it undoes.")
    if now <= started_at + FULL_REFUND_WINDOW:
        return "full"
    if now <= started_at + CHANGE_WINDOW:
        return "prorated"
    return None


def reducible_quantity(lots: Iterable[SeatLot], now: dt.datetime) -> int:
    """How many seats can still be removed at ``now``: those of lots still in their window."""
    return sum(lot.quantity for lot in lots if lot.reducible_on(now))


def check_quantity_change(
    *,
    current: int,
    new: int,
    lots: Sequence[SeatLot],
    now: dt.datetime,
    suspended: bool = False,
    trial: bool = False,
    minimum: int = 1,
    maximum: int | None = None,
) -> None:
    """Refuse, with Microsoft's reason, a quantity change it would refuse. An increase is allowed
    any time (it is prorated to the term end); a decrease only by the seats still in a lot's window."""
    if new == current:
        return
    if suspended:
        raise NceRefused("A suspended subscription's quantity cannot change: reactivate it first.", code=800091)
    if trial:
        raise NceRefused("A trial's quantity cannot change: convert it to a paid subscription first.")
    if new < minimum:
        raise NceRefused(f"The quantity must be at least {minimum}.")
    if maximum is not None and new > maximum:
        raise NceRefused(f"The quantity can be at most {maximum}.", code=800088)
    if new > current:
        return
    removable = reducible_quantity(lots, now)
    if current - new <= removable:
        return
    if removable == 0:
        raise NceRefused("Seats can only be removed within 7 days of being bought; none of these are.", code=800090)
    last = max(lot.reducible_until for lot in lots if lot.reducible_on(now))
    raise NceRefused(
        f"Only {removable} seat{'s' if removable != 1 else ''} can be removed now (until "
        f"{last:%Y-%m-%d %H:%M} UTC): the lowest quantity is {current - removable}.",
        code=800090,
    )


def reduce_lots(lots: Sequence[SeatLot], by: int, now: dt.datetime, *, any_window: bool = False) -> list[SeatLot]:
    """The lots after removing ``by`` seats: taken from the newest lot still in its window first
    (the seats bought last are the ones given back). ``check_quantity_change`` first.

    ``any_window``: seats that leave without a refund (moved by an upgrade, or taken back by
    Partner Center itself) come off the newest lots whatever their window."""
    if by < 0:
        raise NceRefused("Removing a negative number of seats is adding them.")
    remaining = by
    result = list(lots)
    for index in sorted(range(len(result)), key=lambda i: result[i].added_at, reverse=True):
        lot = result[index]
        if remaining == 0:
            break
        if not (any_window or lot.reducible_on(now)):
            continue
        taken = min(lot.quantity, remaining)
        result[index] = SeatLot(lot.quantity - taken, lot.added_at)
        remaining -= taken
    if remaining:
        raise NceRefused(f"{remaining} of these seats are past their 7-day window.", code=800090)
    return [lot for lot in result if lot.quantity > 0]


# -- term and billing changes ------------------------------------------------------------------

_IMMEDIATE_TERMS = {
    # A term only grows mid-term, at once; a three-year term changes to nothing.
    "P1M": {("P1Y", "monthly"), ("P1Y", "annual"), ("P3Y", "monthly"), ("P3Y", "annual"), ("P3Y", "triennial")},
    "P1Y": {("P3Y", "monthly"), ("P3Y", "annual"), ("P3Y", "triennial")},
    "P3Y": set(),
}
_SCHEDULED_BILLING = {
    # Only the billing plan changing, from the next charge: three-year terms only.
    ("P3Y", "monthly"): {"annual"},
    ("P3Y", "annual"): {"monthly"},
}


def immediate_term_changes(term: str) -> frozenset[tuple[str, str]]:
    """The (term, billing plan) a subscription of ``term`` can move to mid-term, at once."""
    _months(term)
    return frozenset(_IMMEDIATE_TERMS[term])


def scheduled_billing_changes(term: str, billing_plan: str) -> frozenset[str]:
    """The billing plans a subscription can switch to from its next charge, its term unchanged."""
    if billing_plan not in PLAN_MONTHS:
        raise NceRefused(f"{billing_plan!r} is not a billing plan (monthly, annual or triennial).")
    return frozenset(_SCHEDULED_BILLING.get((term, billing_plan), set()))


# -- charge cycles and proration (the research notes, §7.5) -------------------------------------


def charge_cycle(start: dt.date, billing_plan: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The charge cycle of a subscription started on ``start`` that contains ``day``: cycles follow
    one another from the start day every month (or year, or three years), each ending the day
    before the next begins."""
    if billing_plan not in PLAN_MONTHS:
        raise NceRefused(f"{billing_plan!r} is not a billing plan (monthly, annual or triennial).")
    step = PLAN_MONTHS[billing_plan]
    if day < start:
        raise NceRefused("The day is before the subscription started.")
    index = ((day.year - start.year) * 12 + day.month - start.month) // step
    while True:
        cycle_start = add_months(start, index * step)
        if cycle_start > day:
            index -= 1
            continue
        cycle_end = add_months(start, (index + 1) * step) - dt.timedelta(days=1)
        if cycle_end < day:
            index += 1
            continue
        return cycle_start, cycle_end


def charge_cycle_days(cycle_start: dt.date, billing_plan: str) -> int:
    """Microsoft's divisor: the days of the calendar month the cycle started in for monthly cycles,
    else the days of the year (365 or 366) from the cycle start."""
    if billing_plan == "monthly":
        return calendar.monthrange(cycle_start.year, cycle_start.month)[1]
    return (add_months(cycle_start, 12) - cycle_start).days


def billing_days(day: dt.date, cycle_end: dt.date) -> int:
    """Days from ``day`` through the cycle's last day, both counted."""
    return (cycle_end - day).days + 1
