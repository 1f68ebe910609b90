"""Catalog services: who may set which price, the checks on a price, scheduling, cancelling, the
below-cost confirmation, the audit trail, what is offered and e-store curation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from cloudbroker.catalog import services
from cloudbroker.catalog.choices import BillingPlan, PriceKind, TermDuration
from cloudbroker.catalog.models import PriceEntry
from cloudbroker.catalog.pricing import PriceBook
from cloudbroker.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.money import Money
from cloudbroker.core.permissions import StaffRole
from tests.factories import (
    GroupFactory,
    OfferFactory,
    OrganizationFactory,
    OrganizationProductSettingFactory,
    PriceEntryFactory,
    ProductFactory,
    VendorPriceFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def offer(broker):
    offer = OfferFactory(product__broker=broker)  # cost 8.00, ERP 10.00 a month
    VendorPriceFactory(offer=offer)
    return offer


def today_price(offer, organization=None, day=None):
    return PriceBook(offer.broker, organization=organization, day=day or TODAY).price(offer)


def test_a_global_admin_sets_and_schedules_global_prices(as_actor, make_staff, offer):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    services.set_price(actor=actor, target=offer, kind=PriceKind.AMOUNT, value="11.50")
    services.set_price(actor=actor, target=offer, kind=PriceKind.AMOUNT, value="12", effective_from=dt.date(2026, 7, 1))
    assert today_price(offer).sales == Money("11.50", "EUR")
    assert today_price(offer, day=dt.date(2026, 7, 1)).sales == Money("12.00", "EUR")
    actions = list(AuditEvent.objects.filter(object_type__endswith="priceentry").values_list("action", flat=True))
    assert sorted(actions) == ["price.scheduled", "price.set"]
    scheduled = AuditEvent.objects.get(action="price.scheduled")
    # What the slot had before (the price in effect then) and after.
    assert scheduled.before["value"] == "11.5"
    assert scheduled.after == {
        "kind": "amount",
        "value": "12",
        "currency": "EUR",
        "effective_from": "2026-07-01",
        "target": f"offer:{offer.pk}",
        "scope": "global",
    }


def test_setting_the_same_slot_and_day_again_replaces_it(as_actor, super_admin, offer):
    actor = as_actor(super_admin)
    services.set_price(actor=actor, target=offer, kind=PriceKind.AMOUNT, value="11")
    services.set_price(actor=actor, target=offer, kind=PriceKind.MARGIN, value="25")
    [entry] = PriceEntry.objects.filter(offer=offer)
    assert (entry.kind, entry.value) == (PriceKind.MARGIN, Decimal("25"))
    [second] = [e for e in AuditEvent.objects.filter(action="price.set") if e.after["kind"] == "margin"]
    assert second.before["kind"] == "amount"


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"kind": PriceKind.AMOUNT, "value": "-1"}, "value", "negative"),
        ({"kind": PriceKind.AMOUNT, "value": "1.005"}, "value", "at most 2 decimals"),
        ({"kind": PriceKind.AMOUNT, "value": "ten"}, "value", "not a number"),
        ({"kind": PriceKind.AMOUNT, "value": 10.5}, "value", "not a float"),
        ({"kind": PriceKind.AMOUNT, "value": "NaN"}, "value", "finite"),
        ({"kind": PriceKind.MARGIN, "value": "100"}, "value", "below 100"),
        ({"kind": PriceKind.MARKUP, "value": "-100"}, "value", "above −100"),
        ({"kind": PriceKind.MARGIN, "value": ""}, "value", "Enter the %"),
        ({"kind": "cheap", "value": "1"}, "kind", "Choose one of"),
        ({"kind": PriceKind.AMOUNT, "value": "5", "effective_from": dt.date(2026, 6, 14)}, "effective_from", "past"),
    ],
)
def test_bad_values_name_their_field(as_actor, super_admin, offer, kwargs, field, words):
    with pytest.raises(ValidationFailed) as exc:
        services.set_price(actor=as_actor(super_admin), target=offer, **kwargs)
    [error] = exc.value.errors
    assert error.field == field
    assert words in error.message
    assert not PriceEntry.objects.exists()


def test_a_fixed_price_is_per_item_code(as_actor, super_admin, offer):
    with pytest.raises(ValidationFailed) as exc:
        services.set_price(actor=as_actor(super_admin), target=offer.product, kind=PriceKind.AMOUNT, value="5")
    assert exc.value.errors[0].field == "kind"


def test_a_sale_below_cost_needs_a_confirmation(as_actor, super_admin, offer, broker):
    actor = as_actor(super_admin)
    other = OfferFactory(product__broker=broker, product__group=offer.product.group)
    VendorPriceFactory(offer=other, cost=Decimal("6"))  # 0.50 a month: a 95 % discount off 10.00 is not below it
    with pytest.raises(services.BelowCost) as exc:
        services.set_price(actor=actor, target=offer.product.group, kind=PriceKind.ERP_DISCOUNT, value="95")
    assert exc.value.status == 409
    assert exc.value.details["item_codes"] == [offer.item_code]
    assert offer.item_code in exc.value.message
    assert not PriceEntry.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="price.").exists()

    services.set_price(
        actor=actor, target=offer.product.group, kind=PriceKind.ERP_DISCOUNT, value="95", confirm_below_cost=True
    )
    assert today_price(offer).below_cost


def test_an_offer_with_its_own_price_is_not_warned_about_a_broader_rule(as_actor, super_admin, offer):
    actor = as_actor(super_admin)
    services.set_price(actor=actor, target=offer, kind=PriceKind.AMOUNT, value="11")
    services.set_price(actor=actor, target=offer.product.group, kind=PriceKind.ERP_DISCOUNT, value="95")
    assert today_price(offer).sales == Money("11.00", "EUR")


def test_bulk_applies_one_rule_to_every_selected_row_or_none(as_actor, super_admin, offer, broker):
    second = OfferFactory(product__broker=broker)
    VendorPriceFactory(offer=second)
    actor = as_actor(super_admin)
    entries = services.bulk_set_price(actor=actor, targets=[offer, second], kind=PriceKind.MARGIN, value="20")
    assert len(entries) == 2
    assert {today_price(o).sales for o in (offer, second)} == {Money("10.00", "EUR")}
    assert AuditEvent.objects.filter(action="price.set").count() == 2
    with pytest.raises(ValidationFailed):
        services.bulk_set_price(actor=actor, targets=[], kind=PriceKind.MARGIN, value="20")


def test_cancel_a_scheduled_price_but_never_one_in_effect(as_actor, super_admin, offer):
    actor = as_actor(super_admin)
    now = services.set_price(actor=actor, target=offer, kind=PriceKind.AMOUNT, value="11")
    later = services.set_price(
        actor=actor, target=offer, kind=PriceKind.AMOUNT, value="13", effective_from=dt.date(2026, 9, 1)
    )
    services.cancel_price(actor=actor, entry=later)
    assert list(PriceEntry.objects.all()) == [now]
    assert AuditEvent.objects.get(action="price.cancelled").before["value"] == "13"
    with pytest.raises(Conflict):
        services.cancel_price(actor=actor, entry=now)
    with pytest.raises(NotFound):
        services.cancel_price(actor=actor, entry=later)


# -- who may price what ------------------------------------------------------------------------------


@pytest.fixture
def kam_world(broker, make_staff):
    mine, theirs = GroupFactory(broker=broker), GroupFactory(broker=broker)
    return {
        "kam": make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine]),
        "limited": make_staff(StaffRole.LIMITED_KEY_ACCOUNT_MANAGER, groups=[mine]),
        "sales": make_staff(StaffRole.SALES_AGENT, groups=[mine]),
        "mine": OrganizationFactory(broker=broker, groups=[mine]),
        "theirs": OrganizationFactory(broker=broker, groups=[theirs]),
    }


def test_a_kam_prices_only_organizations_in_their_groups(as_actor, kam_world, offer):
    for who in ("kam", "limited"):
        actor = as_actor(kam_world[who])
        services.set_price(
            actor=actor, target=offer, organization=kam_world["mine"], kind=PriceKind.AMOUNT, value="9.99"
        )
        with pytest.raises(NotFound):
            services.set_price(
                actor=actor, target=offer, organization=kam_world["theirs"], kind=PriceKind.AMOUNT, value="1"
            )
        with pytest.raises(PermissionDenied):
            services.set_price(actor=actor, target=offer, kind=PriceKind.AMOUNT, value="1")
    assert today_price(offer, kam_world["mine"]).sales == Money("9.99", "EUR")
    assert today_price(offer, kam_world["theirs"]).level == "retail"


def test_a_sales_agent_sees_prices_but_sets_none(as_actor, kam_world, offer):
    actor = as_actor(kam_world["sales"])
    book = services.price_book(actor, organization=kam_world["mine"], day=TODAY)
    assert book.price(offer).sales == Money("10.00", "EUR")
    with pytest.raises(NotFound):
        services.price_book(actor, organization=kam_world["theirs"])
    with pytest.raises(PermissionDenied):
        services.set_price(actor=actor, target=offer, organization=kam_world["mine"], kind="amount", value="1")
    # Out of scope is "not found" before it is "not allowed" (ADR 0002).
    with pytest.raises(NotFound):
        services.set_price(actor=actor, target=offer, organization=kam_world["theirs"], kind="amount", value="1")
    assert not services.may_change_prices(actor, kam_world["mine"])
    assert services.may_change_prices(as_actor(kam_world["kam"]), kam_world["mine"])
    assert not services.may_change_prices(as_actor(kam_world["kam"]))


def test_support_admins_see_no_prices(as_actor, make_staff):
    with pytest.raises(PermissionDenied):
        services.price_book(as_actor(make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN)))


def test_another_brokers_offer_or_entry_cannot_be_touched(as_actor, super_admin, other_broker):
    foreign = OfferFactory(product__broker=other_broker)
    actor = as_actor(super_admin)
    with pytest.raises(ValidationFailed):
        services.set_price(actor=actor, target=foreign, kind=PriceKind.AMOUNT, value="1")
    entry = PriceEntryFactory(broker=other_broker, effective_from=dt.date(2026, 12, 1))
    with pytest.raises(NotFound):
        services.cancel_price(actor=actor, entry=entry)
    assert PriceEntry.objects.filter(pk=entry.pk).exists()
    with pytest.raises(NotFound):
        services.set_product_hidden(actor=actor, product=foreign.product, hidden=True)


# -- what is offered ---------------------------------------------------------------------------------


def test_offered_follows_the_billing_cycle_setting_and_withdrawals(broker):
    product = ProductFactory(broker=broker)
    monthly = OfferFactory(product=product, term=TermDuration.P1Y, billing_plan=BillingPlan.MONTHLY)
    annual = OfferFactory(product=product, term=TermDuration.P1Y, billing_plan=BillingPlan.ANNUAL)
    one_month = OfferFactory(product=product, term=TermDuration.P1M, billing_plan=BillingPlan.MONTHLY)
    assert set(services.offered_offers(broker)) == {monthly, annual, one_month}
    broker.offer_monthly_billing = False
    assert set(services.offered_offers(broker)) == {annual}
    broker.offer_monthly_billing, broker.offer_term_p1y = True, False
    assert set(services.offered_offers(broker)) == {one_month}
    broker.offer_term_p1y = True
    one_month.withdrawn_on = TODAY
    one_month.save()
    assert set(services.offered_offers(broker)) == {monthly, annual}
    assert one_month in services.offered_offers(broker, day=TODAY - dt.timedelta(days=1))
    product.withdrawn_on = dt.date(2026, 7, 1)
    product.save()
    assert set(services.offered_offers(broker)) == {monthly, annual}
    assert not services.offered_offers(broker, day=dt.date(2026, 7, 1)).exists()


def test_curation_broker_wide_and_per_organization(as_actor, super_admin, broker):
    actor = as_actor(super_admin)
    shown, hidden = OfferFactory(product__broker=broker), OfferFactory(product__broker=broker)
    org = OrganizationFactory(broker=broker)
    services.set_product_hidden(actor=actor, product=hidden.product, hidden=True)
    assert set(services.offered_offers(broker)) == {shown}
    assert set(services.offered_offers(broker, include_hidden=True)) == {shown, hidden}
    assert AuditEvent.objects.filter(action="catalog.product_hidden").count() == 1
    # For one organization: shown although hidden broker-wide, and the other hidden.
    services.set_product_hidden(actor=actor, product=hidden.product, hidden=False, organization=org)
    services.set_product_hidden(actor=actor, product=shown.product, hidden=True, organization=org)
    assert set(services.offered_offers(broker, organization=org)) == {hidden}
    assert set(services.offered_offers(broker, organization=OrganizationFactory(broker=broker))) == {shown}
    services.set_product_hidden(actor=actor, product=hidden.product, hidden=None, organization=org)
    assert set(services.offered_offers(broker, organization=org)) == set()


def test_curation_permissions(as_actor, kam_world, broker):
    product = ProductFactory(broker=broker)
    kam = as_actor(kam_world["kam"])
    with pytest.raises(PermissionDenied):
        services.set_product_hidden(actor=kam, product=product, hidden=True)
    services.set_product_hidden(actor=kam, product=product, hidden=True, organization=kam_world["mine"])
    with pytest.raises(NotFound):
        services.set_product_hidden(actor=kam, product=product, hidden=True, organization=kam_world["theirs"])
    assert OrganizationProductSettingFactory._meta.model.objects.filter(product=product).count() == 1
