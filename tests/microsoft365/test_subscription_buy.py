"""Buying NCE subscriptions against the emulator over HTTP (seed 001 §3–§4): priced from the price
list, pending until Partner Center has provisioned the order, then active with Partner Center's
id and dates; once only, whatever faults the call meets; scheduled purchases bought on their date
at that day's price, exactly once; and every bad request refused with the field named."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from cloudbroker.catalog.models import Offer
from cloudbroker.catalog.pricing import PriceBook
from cloudbroker.core.errors import Conflict, NotFound, ValidationFailed
from cloudbroker.core.models import AuditEvent, OutboxMessage
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.microsoft365 import ordering
from cloudbroker.microsoft365.models import TenantSubscription
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription
from tests.microsoft365.subscription_helpers import (
    BASIC_P1M_MONTHLY,
    BASIC_P1Y_MONTHLY,
    PHONE_P1Y_MONTHLY,
    customer_with_tenant,
    settle,
    synced_catalog,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_queue():
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def admin(as_actor, make_staff):
    return as_actor(make_staff(StaffRole.GLOBAL_ADMIN))


@pytest.fixture
def shop(broker, pc_connection, pc, org_factory):
    synced_catalog(broker)
    org, tenant = customer_with_tenant(pc, broker, org_factory)
    return org, tenant


def emulator_subscriptions(pc, customer_id: str) -> list[dict]:
    return [s for s in pc.state()["subscriptions"] if s["customer_id"] == customer_id]


def kinds(sub: Subscription) -> list[str]:
    return list(sub.events.order_by("occurred_at", "id").values_list("kind", flat=True))


def test_a_purchase_is_pending_then_active_with_partner_centers_id_dates_and_price(admin, broker, shop, pc):
    org, tenant = shop
    offer = Offer.objects.get(broker=broker, item_code=BASIC_P1Y_MONTHLY)
    expected = PriceBook(broker, organization=org).price(offer)
    assert expected.sales is not None

    [sub] = ordering.buy(
        admin,
        organization=org,
        data={"offer": BASIC_P1Y_MONTHLY, "quantity": 10, "friendly_name": "Office staff", "po_number": "PO-77"},
    )
    assert (sub.status, sub.quantity, sub.unit_price) == (SubscriptionStatus.PENDING, 10, expected.sales.amount)
    assert sub.unit_cost == expected.cost.amount
    assert kinds(sub) == [EventKind.ORDERED]

    settle(pc)

    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE, sub.status_message
    [remote] = emulator_subscriptions(pc, tenant.customer_id)
    assert sub.vendor_subscription_id == remote["id"]
    assert (remote["quantity"], remote["friendly_name"]) == (10, "Office staff")
    assert sub.commitment_end == dt.date.fromisoformat(remote["term_end"][:10])
    assert sub.start_date is not None
    assert sub.commitment_end > sub.start_date
    assert [(lot.quantity) for lot in sub.lots.all()] == [10]
    assert kinds(sub) == [EventKind.ORDERED, EventKind.PROVISIONED]
    assert sub.prices.get().unit_price == expected.sales.amount
    mirror = TenantSubscription.objects.get(subscription_id=remote["id"])
    assert mirror.record_id == sub.pk
    assert AuditEvent.objects.filter(action="subscription.provisioned", object_id=str(sub.pk)).count() == 1


@pytest.mark.parametrize(
    ("fault", "count"),
    [("503", 1), ("500", 1), ("lost_response", 1), ("lost_response", 3), ("429", 2)],
)
def test_faults_on_checkout_still_buy_exactly_one_subscription(admin, broker, shop, pc, fault, count):
    org, tenant = shop
    pc.inject_fault("POST", "/v1/customers/*/carts/*/checkout", fault, count=count, retry_after=1)

    [sub] = ordering.buy(admin, organization=org, data={"offer": BASIC_P1M_MONTHLY, "quantity": 3})
    settle(pc)

    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE, sub.status_message
    assert len(emulator_subscriptions(pc, tenant.customer_id)) == 1
    assert OutboxMessage.objects.filter(kind=ordering.PLACE_ORDER, status="delivered").count() == 1


def test_a_refused_line_fails_the_subscription_with_partner_centers_reason(admin, broker, shop, pc):
    org, tenant = shop
    pc.withdraw("CFQ7TTC0LH18:0001", effective=pc.now().date())  # gone in Partner Center meanwhile

    [sub] = ordering.buy(admin, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 1})
    settle(pc)

    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.FAILED
    assert "Partner Center" in sub.status_message
    assert "no longer available" in sub.status_message
    assert kinds(sub) == [EventKind.ORDERED, EventKind.FAILED]
    assert emulator_subscriptions(pc, tenant.customer_id) == []


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"quantity": 1}, "offer", "required"),
        ({"offer": "NOPE:0001:P1Y:monthly", "quantity": 1}, "offer", "invalid"),
        ({"offer": BASIC_P1Y_MONTHLY, "quantity": 0}, "quantity", "min_value"),
        ({"offer": BASIC_P1Y_MONTHLY, "quantity": 301}, "quantity", "max_value"),
        ({"offer": BASIC_P1Y_MONTHLY, "quantity": "ten"}, "quantity", "invalid"),
        ({"offer": BASIC_P1Y_MONTHLY, "quantity": 2.5}, "quantity", "invalid"),
        ({"offer": PHONE_P1Y_MONTHLY, "quantity": 1}, "offer", "invalid"),
        ({"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "friendly_name": "x" * 201}, "friendly_name", "max_length"),
        ({"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "po_number": "a\x00b"}, "po_number", "invalid"),
        ({"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "provision_on": "2020-01-01"}, "provision_on", "min_value"),
        ({"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "provision_on": "tomorrow"}, "provision_on", "invalid"),
        ({"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "align_end": "not-a-subscription"}, "align_end", "invalid"),
        (
            {"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "addons": [{"offer": BASIC_P1M_MONTHLY, "quantity": 1}]},
            "addons[0].offer",
            "invalid",
        ),
        (
            {"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "addons": [{"offer": PHONE_P1Y_MONTHLY, "quantity": 0}]},
            "addons[0].quantity",
            "min_value",
        ),
    ],
)
def test_bad_requests_name_the_field_and_write_nothing(admin, shop, data, field, code):
    org, _ = shop
    with pytest.raises(ValidationFailed) as caught:
        ordering.buy(admin, organization=org, data=data)
    assert (field, code) in [(e.field, e.code) for e in caught.value.errors]
    assert not Subscription.objects.exists()
    assert not OutboxMessage.objects.filter(kind=ordering.PLACE_ORDER).exists()


def test_no_purchase_without_an_active_tenant(admin, broker, pc_connection, org_factory):
    synced_catalog(broker)
    org = org_factory(name="No Tenant Ltd")
    with pytest.raises(Conflict, match="no active Microsoft 365 tenant"):
        ordering.buy(admin, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 1})
    assert not Subscription.objects.exists()


def test_an_account_manager_cannot_buy_outside_their_groups(as_actor, make_staff, shop, group_factory):
    org, _ = shop
    kam = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group_factory()]))
    with pytest.raises(NotFound):
        ordering.buy(kam, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 1})
    viewer = as_actor(make_staff(StaffRole.GLOBAL_VIEW_ONLY_ADMIN))
    from cloudbroker.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        ordering.buy(viewer, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 1})
    assert not Subscription.objects.exists()


def test_calendar_aligned_end_is_sent_to_partner_center(admin, broker, shop, pc):
    org, _tenant = shop
    today = timezone.localdate()
    pc.set_clock(timezone.now(), frozen=False)
    [sub] = ordering.buy(
        admin, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 2, "align_end": "calendar"}
    )
    from cloudbroker.microsoft365 import nce

    assert sub.requested_end == nce.calendar_aligned_end(today, "P1Y")
    settle(pc)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE, sub.status_message
    assert sub.commitment_end == sub.requested_end


class TestScheduledPurchases:
    def test_a_scheduled_purchase_has_no_price_and_is_bought_on_its_date_at_that_days_price(
        self, admin, broker, shop, pc
    ):
        org, tenant = shop
        today = timezone.localdate()
        tomorrow = today + dt.timedelta(days=1)
        [sub] = ordering.buy(
            admin,
            organization=org,
            data={"offer": BASIC_P1Y_MONTHLY, "quantity": 4, "provision_on": tomorrow.isoformat()},
        )
        assert (sub.status, sub.unit_price, sub.provision_on) == (SubscriptionStatus.SCHEDULED, None, tomorrow)
        assert kinds(sub) == [EventKind.SCHEDULED]
        assert ordering.provision_due(today) == []
        drain_jobs()
        assert emulator_subscriptions(pc, tenant.customer_id) == []

        from cloudbroker.catalog import services as catalog

        offer = Offer.objects.get(broker=broker, item_code=BASIC_P1Y_MONTHLY)
        catalog.set_price(
            actor=admin,
            target=offer,
            organization=org,
            kind="amount",
            value="5.55",
            effective_from=tomorrow,
        )

        with time_machine.travel(dt.datetime.combine(tomorrow, dt.time(6), tzinfo=dt.UTC), tick=True):
            assert ordering.provision_due() == [str(sub.pk)]
            assert ordering.provision_due() == []  # once
            pc.set_clock(timezone.now(), frozen=False)
            settle(pc)
            sub.refresh_from_db()
        assert sub.status == SubscriptionStatus.ACTIVE, sub.status_message
        assert sub.unit_price == Decimal("5.55")
        assert len(emulator_subscriptions(pc, tenant.customer_id)) == 1
        assert kinds(sub) == [EventKind.SCHEDULED, EventKind.ORDERED, EventKind.PROVISIONED]

    def test_two_workers_provision_a_scheduled_purchase_once(self, admin, broker, shop, pc):
        if connection.vendor == "sqlite":
            pytest.skip("SQLite has one writer at a time: the race needs row locks (run on PostgreSQL)")
        org, _tenant = shop
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        ordering.buy(
            admin, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "provision_on": tomorrow}
        )
        results: list[list[str]] = []
        barrier = threading.Barrier(2)

        def worker() -> None:
            from django.db import connections

            barrier.wait()
            results.append(ordering.provision_due(tomorrow))
            connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(len(r) for r in results) == [0, 1]
        assert OutboxMessage.objects.filter(kind=ordering.PLACE_ORDER).count() == 1

    def test_suspending_a_scheduled_purchase_withdraws_it(self, admin, broker, shop, pc):
        from cloudbroker.microsoft365 import changes

        org, tenant = shop
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        [sub] = ordering.buy(
            admin, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "provision_on": tomorrow}
        )
        changes.suspend(admin, subscription=sub)
        sub.refresh_from_db()
        assert sub.status == SubscriptionStatus.CANCELLED
        assert ordering.provision_due(tomorrow) == []
        assert kinds(sub) == [EventKind.SCHEDULED, EventKind.REQUEST_CANCELLED]
        assert emulator_subscriptions(pc, tenant.customer_id) == []

    def test_a_scheduled_purchase_whose_product_is_gone_fails_with_the_reason(self, admin, broker, shop, pc):
        org, _ = shop
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        [sub] = ordering.buy(
            admin, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 1, "provision_on": tomorrow}
        )
        Offer.objects.filter(pk=sub.offer_id).update(withdrawn_on=tomorrow)
        assert ordering.provision_due(tomorrow) == [str(sub.pk)]
        sub.refresh_from_db()
        assert sub.status == SubscriptionStatus.FAILED
        assert "no longer for sale" in sub.status_message
        assert not OutboxMessage.objects.filter(kind=ordering.PLACE_ORDER).exists()


def test_a_base_and_its_add_on_are_bought_in_one_cart_and_wait_for_provisioning(admin, broker, shop, pc):
    org, tenant = shop
    made = ordering.buy(
        admin,
        organization=org,
        data={"offer": BASIC_P1Y_MONTHLY, "quantity": 5, "addons": [{"offer": PHONE_P1Y_MONTHLY, "quantity": 2}]},
    )
    base, addon = made
    assert addon.parent_id == base.pk
    drain_jobs()  # the cart is checked out; Partner Center provisions it after a while
    base.refresh_from_db()
    assert base.status == SubscriptionStatus.PENDING
    assert base.vendor_order_id
    assert "waiting for provisioning" in base.status_message

    settle(pc)

    base.refresh_from_db()
    addon.refresh_from_db()
    assert (base.status, addon.status) == (SubscriptionStatus.ACTIVE, SubscriptionStatus.ACTIVE)
    remote = {s["id"]: s for s in emulator_subscriptions(pc, tenant.customer_id)}
    assert remote[addon.vendor_subscription_id]["parent_id"] == base.vendor_subscription_id
    assert OutboxMessage.objects.filter(kind=ordering.PLACE_ORDER).count() == 1


class WorkerKilled(BaseException):
    """A worker process dying mid-task: nothing in the task catches it."""


def test_a_worker_killed_after_checkout_leaves_one_subscription(admin, broker, shop, pc, monkeypatch):
    """The worker dies after Partner Center took the order and before the answer was saved. The
    message stays leased; when the lease runs out the sweeper sends it again with the same request
    ids, Partner Center answers as the first time, and one subscription exists."""
    org, tenant = shop
    [sub] = ordering.buy(admin, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 3})
    real_enqueue = ordering.outbox.enqueue

    def die(**kwargs):
        raise WorkerKilled

    monkeypatch.setattr(ordering.outbox, "enqueue", die)
    message = OutboxMessage.objects.get(kind=ordering.PLACE_ORDER)
    with pytest.raises(WorkerKilled):
        ordering.outbox.deliver(message.pk)
    monkeypatch.setattr(ordering.outbox, "enqueue", real_enqueue)
    message.refresh_from_db()
    assert message.status == "sending"
    assert len(emulator_subscriptions(pc, tenant.customer_id)) == 1

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=True):
        flush_jobs()
        settle(pc)

    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE, sub.status_message
    assert len(emulator_subscriptions(pc, tenant.customer_id)) == 1
    assert Subscription.objects.count() == 1
