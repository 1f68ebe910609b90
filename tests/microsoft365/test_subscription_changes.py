"""Changing NCE subscriptions against the emulator over HTTP, with both clocks moved together (the
emulator's and ours): seats added any time; removed only from lots inside their 7-day window —
the minute before 168 hours and not the minute after, per lot; suspend and activate; cancel within
the window with the refund shown first; and Partner Center's refusals as plain messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from cloudbroker.core.errors import Conflict, ValidationFailed
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import flush_jobs
from cloudbroker.microsoft365 import changes, ordering
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus
from tests.microsoft365.subscription_helpers import customer_with_tenant, settle, synced_catalog

pytestmark = pytest.mark.django_db(transaction=True)

T0 = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _empty_queue():
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def admin(as_actor, make_staff):
    return as_actor(make_staff(StaffRole.GLOBAL_ADMIN))


class Clocks:
    """Ours and the emulator's, frozen at the same moment and moved together."""

    def __init__(self, pc) -> None:
        self.pc = pc
        self.traveller = None

    def at(self, moment: dt.datetime) -> None:
        if self.traveller is not None:
            self.traveller.stop()
        self.pc.set_clock(moment, frozen=True)
        self.traveller = time_machine.travel(moment, tick=False)
        self.traveller.start()

    def stop(self) -> None:
        if self.traveller is not None:
            self.traveller.stop()


@pytest.fixture
def clocks(pc):
    c = Clocks(pc)
    yield c
    c.stop()


def settle_at(clocks: Clocks, pc, moment: dt.datetime) -> None:
    """Let the outbox finish, then come back to ``moment``."""
    settle(pc)
    clocks.at(moment)


@pytest.fixture
def bought(admin, broker, pc_connection, pc, org_factory, clocks):
    """Ten seats of Business Basic (one year, monthly) bought at T0."""
    clocks.at(T0)
    synced_catalog(broker)
    org, tenant = customer_with_tenant(pc, broker, org_factory)
    [sub] = ordering.buy(admin, organization=org, data={"offer": "CFQ7TTC0LH18:0001:P1Y:monthly", "quantity": 10})
    settle_at(clocks, pc, T0)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE, sub.status_message
    return sub, tenant


def remote(pc, sub) -> dict:
    return next(s for s in pc.state()["subscriptions"] if s["id"] == sub.vendor_subscription_id)


def test_adding_seats_is_prorated_to_the_cycle_end_and_opens_a_new_lot(admin, bought, pc, clocks):
    sub, _ = bought
    later = T0 + dt.timedelta(days=10)
    clocks.at(later)
    preview = changes.quantity_preview(admin, subscription=sub, quantity=12)
    assert preview.allowed
    start, end = dt.date(2027, 3, 10), dt.date(2027, 4, 9)
    assert preview.cycle_end == end
    # 2 seats × unit price × (days from the 20th through 9 April) / days of March
    expected = (sub.unit_price * 2 * Decimal((end - later.date()).days + 1) / Decimal(31)).quantize(Decimal("0.01"))
    assert preview.prorated.amount == expected
    assert preview.new_total.amount == sub.unit_price * 12
    assert start == sub.start_date

    changes.change_quantity(admin, subscription=sub, quantity=12)
    sub.refresh_from_db()
    assert sub.change_pending  # on its way
    with pytest.raises(Conflict, match="still working"):
        changes.change_quantity(admin, subscription=sub, quantity=13)
    settle_at(clocks, pc, later)

    sub.refresh_from_db()
    assert (sub.quantity, sub.change_pending) == (12, "")
    assert remote(pc, sub)["quantity"] == 12
    assert [(lot.quantity, lot.added_at) for lot in sub.lots.all()] == [(10, T0), (2, later)]
    event = sub.events.get(kind=EventKind.QUANTITY_CHANGED)
    assert (event.quantity_before, event.quantity_after, event.occurred_at) == (10, 12, later)


def test_seats_come_off_the_minute_before_168_hours_and_not_the_minute_after(admin, bought, pc, clocks):
    sub, _ = bought
    clocks.at(T0 + dt.timedelta(hours=168) - dt.timedelta(minutes=1))
    assert changes.quantity_preview(admin, subscription=sub, quantity=9).allowed
    changes.change_quantity(admin, subscription=sub, quantity=9)
    settle_at(clocks, pc, T0 + dt.timedelta(hours=168, minutes=1))
    sub.refresh_from_db()
    assert sub.quantity == 9
    assert remote(pc, sub)["quantity"] == 9

    preview = changes.quantity_preview(admin, subscription=sub, quantity=8)
    assert not preview.allowed
    assert preview.can_schedule
    assert "7 days" in preview.message
    assert "next term" in preview.message
    with pytest.raises(Conflict, match="7 days"):
        changes.change_quantity(admin, subscription=sub, quantity=8)
    assert remote(pc, sub)["quantity"] == 9


def test_each_lot_has_its_own_window(admin, bought, pc, clocks):
    sub, _ = bought
    day5 = T0 + dt.timedelta(days=5)
    clocks.at(day5)
    changes.change_quantity(admin, subscription=sub, quantity=15)
    settle_at(clocks, pc, T0 + dt.timedelta(days=8))
    sub.refresh_from_db()
    # The purchase's window is over; the 5 seats added on day 5 can still come off, no more.
    preview = changes.quantity_preview(admin, subscription=sub, quantity=9)
    assert not preview.allowed
    assert "Only 5 seats" in preview.message
    assert [q for q, _ in preview.deadlines] == [5]
    changes.change_quantity(admin, subscription=sub, quantity=10)
    settle_at(clocks, pc, T0 + dt.timedelta(days=8))
    sub.refresh_from_db()
    assert sub.quantity == 10
    assert remote(pc, sub)["quantity"] == 10
    assert [lot.quantity for lot in sub.lots.all()] == [10]


def test_suspend_and_activate(admin, bought, pc, clocks):
    sub, _ = bought
    moment = T0 + dt.timedelta(days=20)
    clocks.at(moment)
    changes.suspend(admin, subscription=sub)
    settle_at(clocks, pc, moment)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.SUSPENDED
    assert remote(pc, sub)["status"] == "suspended"
    assert sub.auto_renew is False  # Microsoft turns it off on suspension
    with pytest.raises(Conflict, match="suspended"):
        changes.change_quantity(admin, subscription=sub, quantity=11)

    changes.activate(admin, subscription=sub)
    settle_at(clocks, pc, moment)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE
    assert remote(pc, sub)["status"] == "active"
    assert list(sub.events.values_list("kind", flat=True))[-2:] == [EventKind.SUSPENDED, EventKind.ACTIVATED]


def test_cancel_within_24_hours_refunds_everything(admin, bought, pc, clocks):
    sub, _ = bought
    clocks.at(T0 + dt.timedelta(hours=23))
    preview = changes.cancellation_preview(admin, subscription=sub)
    assert preview.allowed
    assert preview.refund_kind == "full"
    assert preview.prorated.amount == -(sub.unit_price * 10).quantize(Decimal("0.01"))
    changes.cancel(admin, subscription=sub)
    settle_at(clocks, pc, T0 + dt.timedelta(hours=23))
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.CANCELLED
    assert remote(pc, sub)["status"] == "deleted"
    event = sub.events.get(kind=EventKind.CANCELLED)
    assert (event.quantity_before, event.quantity_after) == (10, 0)


def test_cancel_after_a_day_refunds_the_unused_days_and_after_a_week_not_at_all(admin, bought, pc, clocks):
    sub, _ = bought
    clocks.at(T0 + dt.timedelta(days=3))
    preview = changes.cancellation_preview(admin, subscription=sub)
    assert preview.allowed
    assert preview.refund_kind == "prorated"
    assert preview.prorated.amount < 0
    assert abs(preview.prorated.amount) < sub.unit_price * 10

    clocks.at(T0 + dt.timedelta(days=7, minutes=1))
    late = changes.cancellation_preview(admin, subscription=sub)
    assert not late.allowed
    assert "auto-renew off" in late.message
    with pytest.raises(Conflict, match="window ended"):
        changes.cancel(admin, subscription=sub)


def test_partner_centers_refusal_comes_back_as_a_plain_message(admin, bought, pc, clocks):
    """Our lot says the seats can still come off; Partner Center's (seven days old) says no: the
    change is refused with its reason in words, and nothing is half-written."""
    sub, _ = bought
    sub.lots.update(added_at=T0 + dt.timedelta(days=2))
    moment = T0 + dt.timedelta(days=7, hours=1)
    clocks.at(moment)
    changes.change_quantity(admin, subscription=sub, quantity=8)
    settle_at(clocks, pc, moment)
    sub.refresh_from_db()
    assert (sub.quantity, sub.change_pending) == (10, "")
    assert "7-day window" in sub.status_message
    assert remote(pc, sub)["quantity"] == 10
    assert sub.events.filter(kind=EventKind.CHANGE_REFUSED).count() == 1


def test_auto_renew_off_and_rename(admin, bought, pc, clocks):
    sub, _ = bought
    changes.set_auto_renew(admin, subscription=sub, enabled=False)
    settle_at(clocks, pc, T0)
    sub.refresh_from_db()
    assert sub.auto_renew is False
    assert remote(pc, sub)["auto_renew"] is False

    changes.rename(admin, subscription=sub, data={"friendly_name": "Sales team", "po_number": "PO-9"})
    settle_at(clocks, pc, T0)
    sub.refresh_from_db()
    assert (sub.friendly_name, sub.po_number) == ("Sales team", "PO-9")
    assert remote(pc, sub)["friendly_name"] == "Sales team"
    with pytest.raises(ValidationFailed) as caught:
        changes.rename(admin, subscription=sub, data={"po_number": "x" * 101})
    assert caught.value.errors[0].field == "po_number"


def test_a_quantity_that_is_no_number_is_refused_with_the_field_named(admin, bought):
    sub, _ = bought
    for bad in ("", "abc", "0", True):
        with pytest.raises(ValidationFailed) as caught:
            changes.quantity_preview(admin, subscription=sub, quantity=bad)
        assert caught.value.errors[0].field == "quantity"


class TestNextTerm:
    def test_changes_for_the_next_term_apply_at_renewal_at_that_days_price(self, admin, broker, bought, pc, clocks):
        from cloudbroker.catalog import services as catalog
        from cloudbroker.catalog.models import Offer
        from cloudbroker.microsoft365 import nce
        from cloudbroker.microsoft365.sync import sync_broker

        sub, _ = bought
        annual = Offer.objects.get(broker=broker, item_code="CFQ7TTC0LH18:0001:P1Y:annual")
        changes.schedule_next_term(admin, subscription=sub, data={"quantity": 7, "offer": annual.item_code})
        settle_at(clocks, pc, T0)
        sub.refresh_from_db()
        assert (sub.next_term_quantity, sub.next_term_offer_id, sub.change_pending) == (7, annual.pk, "")
        assert remote(pc, sub)["scheduled"]["quantity"] == 7
        scheduled = sub.events.get(kind=EventKind.NEXT_TERM_SCHEDULED)
        assert scheduled.detail["renews_on"] == nce.renewal_day(sub.commitment_end).isoformat()

        renewal_day = nce.renewal_day(sub.commitment_end)
        catalog.set_price(
            actor=admin,
            target=annual,
            organization=sub.organization,
            kind="amount",
            value="44.00",
            effective_from=renewal_day,
            confirm_below_cost=True,
        )
        first_end = sub.commitment_end
        clocks.at(dt.datetime.combine(renewal_day, dt.time(12), tzinfo=dt.UTC))
        sync_broker(broker.pk)

        sub.refresh_from_db()
        assert sub.commitment_end > first_end
        assert (sub.quantity, sub.offer_id, sub.billing_plan) == (7, annual.pk, "annual")
        assert sub.unit_price == Decimal("44.00")
        assert (sub.next_term_quantity, sub.next_term_offer_id) == (None, None)
        renewed = sub.events.get(kind=EventKind.RENEWED)
        assert (renewed.quantity_before, renewed.quantity_after, renewed.price_after) == (10, 7, Decimal("44.00"))
        assert renewed.detail["item_code"] == ["CFQ7TTC0LH18:0001:P1Y:monthly", annual.item_code]
        assert list(sub.prices.values_list("valid_from", flat=True)) == [T0.date(), renewal_day]
        assert [lot.quantity for lot in sub.lots.all()] == [7]  # the renewal's seats, a fresh window

    def test_a_mid_term_change_removes_the_scheduled_one(self, admin, bought, pc, clocks):
        sub, _ = bought
        changes.schedule_next_term(admin, subscription=sub, data={"quantity": 4})
        settle_at(clocks, pc, T0)
        changes.change_quantity(admin, subscription=sub, quantity=11)
        settle_at(clocks, pc, T0)
        sub.refresh_from_db()
        assert (sub.quantity, sub.next_term_quantity) == (11, None)
        assert remote(pc, sub)["scheduled"] is None

    def test_next_term_changes_need_auto_renew_and_valid_values(self, admin, bought, pc, clocks):
        sub, _ = bought
        for data, field in (({}, "quantity"), ({"quantity": 0}, "quantity"), ({"offer": "NOPE"}, "offer")):
            with pytest.raises(ValidationFailed) as caught:
                changes.schedule_next_term(admin, subscription=sub, data=data)
            assert caught.value.errors[0].field == field
        changes.set_auto_renew(admin, subscription=sub, enabled=False)
        settle_at(clocks, pc, T0)
        sub.refresh_from_db()
        with pytest.raises(Conflict, match="auto-renew"):
            changes.schedule_next_term(admin, subscription=sub, data={"quantity": 4})


STANDARD_P1Y_MONTHLY = "CFQ7TTC0LDPB:0001:P1Y:monthly"  # Business Standard: an upgrade of Business Basic


class TestUpgrades:
    def test_the_upgrades_partner_center_offers_are_listed_with_our_item_codes(self, admin, bought):
        sub, _ = bought
        options = {o.offer.item_code: o for o in changes.upgrade_options(admin, subscription=sub) if o.offer}
        assert STANDARD_P1Y_MONTHLY in options
        assert options[STANDARD_P1Y_MONTHLY].eligible

    def test_a_full_upgrade_changes_the_product_of_the_same_subscription(self, admin, bought, pc, clocks):
        sub, _ = bought
        moment = T0 + dt.timedelta(days=10)
        clocks.at(moment)
        vendor_id = sub.vendor_subscription_id
        changes.upgrade(admin, subscription=sub, data={"offer": STANDARD_P1Y_MONTHLY})
        settle_at(clocks, pc, moment)
        sub.refresh_from_db()
        assert (sub.offer.item_code, sub.vendor_subscription_id, sub.quantity) == (STANDARD_P1Y_MONTHLY, vendor_id, 10)
        assert remote(pc, sub)["catalog_item_id"].startswith("CFQ7TTC0LDPB:0001")
        event = sub.events.get(kind=EventKind.UPGRADED)
        assert event.detail["item_code"] == ["CFQ7TTC0LH18:0001:P1Y:monthly", STANDARD_P1Y_MONTHLY]
        assert sub.prices.order_by("valid_from").last().valid_from == moment.date()

    def test_a_partial_upgrade_makes_a_coterminous_subscription(self, admin, bought, pc, clocks):
        from cloudbroker.subscriptions.models import Subscription

        sub, _ = bought
        moment = T0 + dt.timedelta(days=10)
        clocks.at(moment)
        changes.upgrade(admin, subscription=sub, data={"offer": STANDARD_P1Y_MONTHLY, "quantity": 3})
        settle_at(clocks, pc, moment)
        sub.refresh_from_db()
        child = Subscription.objects.exclude(pk=sub.pk).get(organization=sub.organization)
        assert (sub.quantity, child.quantity) == (7, 3)
        assert child.offer.item_code == STANDARD_P1Y_MONTHLY
        assert child.commitment_end == sub.commitment_end
        assert remote(pc, child)["quantity"] == 3
        assert remote(pc, sub)["quantity"] == 7
        assert child.events.get().kind == EventKind.UPGRADED
        # it inherits the source's window (bought at T0, ten days ago): no seats can come off
        assert [(lot.added_at, lot.reducible_until) for lot in child.lots.all()] == [(T0, T0 + dt.timedelta(days=7))]
        assert not changes.quantity_preview(admin, subscription=child, quantity=2).allowed

    def test_no_downgrade_and_no_upgrade_to_something_partner_center_does_not_offer(self, admin, bought):
        sub, _ = bought
        with pytest.raises(ValidationFailed) as caught:
            changes.upgrade(admin, subscription=sub, data={"offer": "CFQ7TTC0LH18:0001:P1Y:annual"})
        assert caught.value.errors[0].field == "offer"
        with pytest.raises(ValidationFailed):
            changes.upgrade(admin, subscription=sub, data={"offer": STANDARD_P1Y_MONTHLY, "quantity": 11})


class TestTermEnds:
    def test_a_renewal_without_changes_keeps_quantity_and_product_at_the_renewal_days_price(
        self, admin, broker, bought, pc, clocks
    ):
        from cloudbroker.catalog.pricing import PriceBook
        from cloudbroker.microsoft365 import nce
        from cloudbroker.microsoft365.sync import sync_broker

        sub, _ = bought
        renewal_day = nce.renewal_day(sub.commitment_end)
        clocks.at(dt.datetime.combine(renewal_day, dt.time(8), tzinfo=dt.UTC))
        sync_broker(broker.pk)
        sub.refresh_from_db()
        assert sub.commitment_end == nce.commitment_end(renewal_day, "P1Y")
        assert (sub.quantity, sub.offer.item_code) == (10, "CFQ7TTC0LH18:0001:P1Y:monthly")
        expected = PriceBook(broker, organization=sub.organization, day=renewal_day).price(sub.offer)
        assert sub.unit_price == expected.sales.amount
        assert sub.events.filter(kind=EventKind.RENEWED).count() == 1
        assert not sub.events.filter(kind=EventKind.CHANGED_AT_VENDOR).exists()

    @pytest.mark.parametrize("how", ["suspended", "auto-renew off"])
    def test_a_subscription_that_does_not_renew_ends_with_its_term(self, admin, broker, bought, pc, clocks, how):
        from cloudbroker.microsoft365 import nce
        from cloudbroker.microsoft365.sync import sync_broker

        sub, _ = bought
        if how == "suspended":
            changes.suspend(admin, subscription=sub)
        else:
            changes.set_auto_renew(admin, subscription=sub, enabled=False)
        settle_at(clocks, pc, T0)
        sub.refresh_from_db()
        end = sub.commitment_end
        clocks.at(dt.datetime.combine(nce.renewal_day(end), dt.time(8), tzinfo=dt.UTC))
        sync_broker(broker.pk)
        sub.refresh_from_db()
        assert sub.status == SubscriptionStatus.EXPIRED
        assert sub.commitment_end == end
        assert not sub.events.filter(kind=EventKind.RENEWED).exists()
        change = sub.events.get(kind=EventKind.CHANGED_AT_VENDOR)
        assert change.detail["changes"]["status"][1] == SubscriptionStatus.EXPIRED
        with pytest.raises(Conflict):
            changes.activate(admin, subscription=sub)


def test_co_termination_with_another_subscription_and_month_end_clamping(
    admin, broker, pc_connection, pc, org_factory, clocks
):
    """A month bought on 31 January ends on 27 February (one month less a day, clamped to the shorter
    month); a year bought later aligned with a first subscription ends the same day as it."""
    start = dt.datetime(2027, 1, 31, 10, 0, tzinfo=dt.UTC)
    clocks.at(start)
    synced_catalog(broker)
    org, _tenant = customer_with_tenant(pc, broker, org_factory)
    [monthly] = ordering.buy(admin, organization=org, data={"offer": "CFQ7TTC0LH18:0001:P1M:monthly", "quantity": 1})
    [yearly] = ordering.buy(admin, organization=org, data={"offer": "CFQ7TTC0LH18:0001:P1Y:monthly", "quantity": 2})
    settle_at(clocks, pc, start + dt.timedelta(days=5))
    monthly.refresh_from_db()
    yearly.refresh_from_db()
    assert monthly.commitment_end == dt.date(2027, 2, 27)
    assert remote(pc, monthly)["term_end"] == "2027-02-27"
    assert yearly.commitment_end == dt.date(2028, 1, 30)

    [aligned] = ordering.buy(
        admin,
        organization=org,
        data={"offer": "CFQ7TTC0LDPB:0001:P1Y:monthly", "quantity": 1, "align_end": str(yearly.pk)},
    )
    assert aligned.requested_end == yearly.commitment_end
    with pytest.raises(ValidationFailed) as caught:
        ordering.buy(
            admin,
            organization=org,
            data={"offer": "CFQ7TTC0LDPB:0001:P1Y:monthly", "quantity": 1, "align_end": str(monthly.pk)},
        )
    assert caught.value.errors[0].field == "align_end"  # a year cannot end with a monthly subscription
    settle_at(clocks, pc, start + dt.timedelta(days=5))
    aligned.refresh_from_db()
    assert aligned.status == SubscriptionStatus.ACTIVE, aligned.status_message
    assert aligned.commitment_end == yearly.commitment_end
    assert remote(pc, aligned)["term_end"] == yearly.commitment_end.isoformat()
