"""Microsoft's NCE rules, at the edges of each window (the research notes, §5.4 and §5.7)."""

from __future__ import annotations

import datetime as dt

import pytest

from cloudbroker.microsoft365 import nce
from cloudbroker.microsoft365.nce import NceRefused, SeatLot

UTC = dt.UTC
BOUGHT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 15)),
        (dt.date(2026, 3, 31), 12, dt.date(2027, 3, 31)),
        (dt.date(2026, 5, 31), -3, dt.date(2026, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(start, months, expected):
    assert nce.add_months(start, months) == expected


def test_the_commitment_end_is_inclusive_and_renewal_is_the_day_after():
    # Microsoft's example: a one-year term from 14 January 2021 ends on 13 January 2022.
    assert nce.commitment_end(dt.date(2021, 1, 14), "P1Y") == dt.date(2022, 1, 13)
    assert nce.commitment_end(dt.date(2026, 1, 31), "P1M") == dt.date(2026, 2, 27)
    assert nce.commitment_end(dt.date(2026, 3, 1), "P3Y") == dt.date(2029, 2, 28)
    assert nce.renewal_day(dt.date(2022, 1, 13)) == dt.date(2022, 1, 14)
    with pytest.raises(NceRefused, match="P2Y"):
        nce.commitment_end(dt.date(2026, 1, 1), "P2Y")


@pytest.mark.parametrize(
    ("start", "term", "expected"),
    [
        (dt.date(2022, 7, 15), "P1Y", dt.date(2023, 6, 30)),  # Microsoft's example
        (dt.date(2022, 7, 15), "P1M", dt.date(2022, 7, 31)),  # Microsoft's example
        (dt.date(2022, 7, 1), "P1M", dt.date(2022, 7, 31)),  # a whole month
        (dt.date(2026, 1, 31), "P1M", dt.date(2026, 1, 31)),  # the last day: a one-day first term
        (dt.date(2026, 2, 10), "P3Y", dt.date(2029, 1, 31)),
    ],
)
def test_calendar_aligned_end(start, term, expected):
    assert nce.calendar_aligned_end(start, term) == expected


def test_refund_kind_at_the_edges_of_24_hours_and_7_days():
    assert nce.refund_kind(BOUGHT, BOUGHT) == "full"
    assert nce.refund_kind(BOUGHT, BOUGHT + dt.timedelta(hours=24)) == "full"
    assert nce.refund_kind(BOUGHT, BOUGHT + dt.timedelta(hours=24, seconds=1)) == "prorated"
    assert nce.refund_kind(BOUGHT, BOUGHT + dt.timedelta(days=7)) == "prorated"
    assert nce.refund_kind(BOUGHT, BOUGHT + dt.timedelta(days=7, seconds=1)) is None
    with pytest.raises(NceRefused):
        nce.refund_kind(BOUGHT, BOUGHT - dt.timedelta(seconds=1))


LOTS = [
    SeatLot(10, BOUGHT),  # the purchase
    SeatLot(5, BOUGHT + dt.timedelta(days=5)),  # added five days later
]


def test_each_lot_has_its_own_window():
    assert nce.reducible_quantity(LOTS, BOUGHT + dt.timedelta(days=7)) == 15
    assert nce.reducible_quantity(LOTS, BOUGHT + dt.timedelta(days=7, seconds=1)) == 5
    assert nce.reducible_quantity(LOTS, BOUGHT + dt.timedelta(days=12)) == 5
    assert nce.reducible_quantity(LOTS, BOUGHT + dt.timedelta(days=12, seconds=1)) == 0
    assert LOTS[1].reducible_until == BOUGHT + dt.timedelta(days=12)


def test_a_decrease_only_by_the_seats_still_in_a_window():
    later = BOUGHT + dt.timedelta(days=8)
    nce.check_quantity_change(current=15, new=10, lots=LOTS, now=later)  # the 5 added on day 5
    with pytest.raises(NceRefused) as exc:
        nce.check_quantity_change(current=15, new=9, lots=LOTS, now=later)
    assert exc.value.code == 800090
    assert "Only 5 seats can be removed now (until 2026-03-14 09:30 UTC): the lowest quantity is 10." in str(exc.value)
    with pytest.raises(NceRefused, match="none of these are"):
        nce.check_quantity_change(current=15, new=14, lots=LOTS, now=BOUGHT + dt.timedelta(days=13))


def test_an_increase_is_always_allowed_within_the_limits():
    much_later = BOUGHT + dt.timedelta(days=200)
    nce.check_quantity_change(current=15, new=40, lots=LOTS, now=much_later)
    with pytest.raises(NceRefused) as exc:
        nce.check_quantity_change(current=15, new=301, lots=LOTS, now=much_later, maximum=300)
    assert exc.value.code == 800088
    with pytest.raises(NceRefused, match="at least 1"):
        nce.check_quantity_change(current=15, new=0, lots=LOTS, now=BOUGHT)


def test_suspended_and_trial_subscriptions_keep_their_quantity():
    with pytest.raises(NceRefused, match="reactivate") as exc:
        nce.check_quantity_change(current=15, new=16, lots=LOTS, now=BOUGHT, suspended=True)
    assert exc.value.code == 800091
    with pytest.raises(NceRefused, match="trial"):
        nce.check_quantity_change(current=25, new=26, lots=LOTS, now=BOUGHT, trial=True)
    nce.check_quantity_change(current=15, new=15, lots=LOTS, now=BOUGHT, suspended=True)  # no change


def test_seats_are_given_back_from_the_newest_lot_first():
    now = BOUGHT + dt.timedelta(days=6)
    assert nce.reduce_lots(LOTS, 3, now) == [SeatLot(10, BOUGHT), SeatLot(2, LOTS[1].added_at)]
    assert nce.reduce_lots(LOTS, 7, now) == [SeatLot(8, BOUGHT)]
    later = BOUGHT + dt.timedelta(days=8)
    assert nce.reduce_lots(LOTS, 5, later) == [SeatLot(10, BOUGHT)]
    with pytest.raises(NceRefused, match="1 of these seats"):
        nce.reduce_lots(LOTS, 6, later)
    # Seats moved by an upgrade leave the newest lots whatever their window.
    assert nce.reduce_lots(LOTS, 6, later, any_window=True) == [SeatLot(9, BOUGHT)]


def test_terms_only_grow_mid_term_and_billing_changes_wait_for_the_next_charge():
    assert nce.immediate_term_changes("P1M") == {
        ("P1Y", "monthly"),
        ("P1Y", "annual"),
        ("P3Y", "monthly"),
        ("P3Y", "annual"),
        ("P3Y", "triennial"),
    }
    assert nce.immediate_term_changes("P1Y") == {("P3Y", "monthly"), ("P3Y", "annual"), ("P3Y", "triennial")}
    assert nce.immediate_term_changes("P3Y") == set()
    assert nce.scheduled_billing_changes("P3Y", "monthly") == {"annual"}
    assert nce.scheduled_billing_changes("P3Y", "annual") == {"monthly"}
    assert nce.scheduled_billing_changes("P3Y", "triennial") == set()
    assert nce.scheduled_billing_changes("P1Y", "monthly") == set()
    with pytest.raises(NceRefused):
        nce.scheduled_billing_changes("P1Y", "weekly")
