"""Subscriptions made or changed directly in Partner Center reach the organization through the
sync (seed 001 intro): in the same model, priced by the broker's price list, with an event saying
where they came from; changes and renewals recorded; a purchase of ours never recorded twice."""

from __future__ import annotations

import datetime as dt

import pytest

from cloudbroker.catalog.models import Offer
from cloudbroker.catalog.pricing import PriceBook
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import flush_jobs
from cloudbroker.microsoft365 import ordering
from cloudbroker.microsoft365.sync import sync_broker
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription
from tests.microsoft365.subscription_helpers import BASIC_P1Y_MONTHLY, customer_with_tenant, settle, synced_catalog

pytestmark = pytest.mark.django_db(transaction=True)

BASIC_ITEM = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"  # Partner Center's catalog item id of Business Basic


@pytest.fixture(autouse=True)
def _empty_queue():
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def linked(broker, pc_connection, pc, org_factory):
    synced_catalog(broker)
    return customer_with_tenant(pc, broker, org_factory)


def test_a_subscription_made_in_partner_center_appears_priced_by_the_price_list(broker, linked, pc):
    org, tenant = linked
    remote = pc.create_subscription_directly(tenant.customer_id, BASIC_ITEM, quantity=7, term_duration="P1Y")

    result = sync_broker(broker.pk)

    assert result.get("subscriptions_found") == 1
    sub = Subscription.objects.get(vendor_subscription_id=remote["id"])
    offer = Offer.objects.get(broker=broker, item_code=BASIC_P1Y_MONTHLY)
    assert (sub.organization_id, sub.offer_id, sub.quantity, sub.status) == (
        org.pk,
        offer.pk,
        7,
        SubscriptionStatus.ACTIVE,
    )
    assert sub.unit_price == PriceBook(broker, organization=org).price(offer).sales.amount
    assert sub.commitment_end == dt.date.fromisoformat(remote["commitmentEndDate"][:10])
    assert sum(lot.quantity for lot in sub.lots.all()) == 7
    assert list(sub.events.values_list("kind", flat=True)) == [EventKind.FOUND_AT_VENDOR]
    assert sub.partner_center.subscription_id == remote["id"]

    assert sync_broker(broker.pk).get("subscriptions_updated") is None  # nothing changed: nothing written
    assert sub.events.count() == 1


def test_changes_made_in_partner_center_are_recorded(broker, linked, pc):
    _org, tenant = linked
    remote = pc.create_subscription_directly(tenant.customer_id, BASIC_ITEM, quantity=7, term_duration="P1Y")
    sync_broker(broker.pk)
    pc.update_subscription_directly(remote["id"], quantity=9, auto_renew_enabled=False)

    assert sync_broker(broker.pk).get("subscriptions_updated") == 1

    sub = Subscription.objects.get(vendor_subscription_id=remote["id"])
    assert (sub.quantity, sub.auto_renew) == (9, False)
    event = sub.events.get(kind=EventKind.CHANGED_AT_VENDOR)
    assert (event.quantity_before, event.quantity_after) == (7, 9)
    assert event.detail["changes"]["auto_renew"] == [True, False]
    assert sum(lot.quantity for lot in sub.lots.all()) == 9


def test_a_renewal_in_partner_center_is_recorded_as_one(broker, linked, pc):
    _org, tenant = linked
    remote = pc.create_subscription_directly(tenant.customer_id, BASIC_ITEM, quantity=3, term_duration="P1M")
    sync_broker(broker.pk)
    sub = Subscription.objects.get(vendor_subscription_id=remote["id"])
    first_end = sub.commitment_end

    pc.advance(days=40)
    sync_broker(broker.pk)

    sub.refresh_from_db()
    assert sub.commitment_end > first_end
    renewed = sub.events.get(kind=EventKind.RENEWED)
    assert renewed.detail["commitment_end"] == sub.commitment_end.isoformat()


def test_our_own_purchase_is_not_recorded_twice_when_a_sync_runs_meanwhile(as_actor, make_staff, broker, linked, pc):
    org, _tenant = linked
    admin = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    [sub] = ordering.buy(admin, organization=org, data={"offer": BASIC_P1Y_MONTHLY, "quantity": 2})
    from cloudbroker.core import outbox
    from cloudbroker.core.models import OutboxMessage

    outbox.deliver(OutboxMessage.objects.get(kind=ordering.PLACE_ORDER).pk)  # ordered, not yet awaited
    pc.advance(seconds=120)
    sync_broker(broker.pk)  # the sync sees the new subscription first
    settle(pc)

    assert Subscription.objects.filter(organization=org).count() == 1
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE
    assert sub.events.filter(kind=EventKind.PROVISIONED).count() == 1
    assert not sub.events.filter(kind=EventKind.FOUND_AT_VENDOR).exists()


def test_licences_assigned_in_partner_center_show_as_consumed_oldest_subscription_first(broker, linked, pc):
    from partner_center_emulator import catalog as emulator_catalog

    org, tenant = linked
    first = pc.create_subscription_directly(tenant.customer_id, BASIC_ITEM, quantity=3, term_duration="P1Y")
    pc.advance(seconds=60)
    second = pc.create_subscription_directly(tenant.customer_id, BASIC_ITEM, quantity=5, term_duration="P1Y")
    basic_sku = emulator_catalog.BY_PRODUCT_SKU["CFQ7TTC0LH18:0001"].entra_sku_id
    for n in range(4):
        pc.create_user_directly(
            tenant.customer_id,
            user_principal_name=f"user{n}@fjord.onmicrosoft.com",
            licenses=[basic_sku],
            usage_location="DE",
        )
    sync_broker(broker.pk)

    consumed = {s.vendor_subscription_id: s.assigned_quantity for s in Subscription.objects.filter(organization=org)}
    assert consumed == {first["id"]: 3, second["id"]: 1}
    assert sync_broker(broker.pk).get("subscriptions_consumed_changed") is None  # a second sync writes nothing


def test_a_sync_of_unchanged_subscriptions_costs_the_same_queries_for_two_as_for_six(broker, linked, pc):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org, tenant = linked

    def queries_of_a_quiet_sync() -> int:
        sync_broker(broker.pk)  # takes in what is new
        with CaptureQueriesContext(connection) as captured:
            sync_broker(broker.pk)  # nothing changed since
        return len(captured)

    for _ in range(2):
        pc.create_subscription_directly(tenant.customer_id, BASIC_ITEM, quantity=2, term_duration="P1Y")
    two = queries_of_a_quiet_sync()
    for _ in range(4):
        pc.create_subscription_directly(tenant.customer_id, BASIC_ITEM, quantity=2, term_duration="P1Y")
    six = queries_of_a_quiet_sync()
    assert Subscription.objects.filter(organization=org).count() == 6
    assert six == two
