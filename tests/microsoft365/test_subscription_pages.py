"""The subscription pages of the staff portal (seed 001 §3–§5), through Django's test client against
the Partner Center emulator over HTTP: the organization's subscriptions, Add subscription with the
price before confirming (the margin only for roles that see cost), field errors by field, the
subscription's page and each change; out of a Key Account Manager's groups everything is a 404."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbroker.catalog.models import Offer
from cloudbroker.catalog.pricing import PriceBook
from cloudbroker.core.money import Money, Rounding
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.templatetags.money import format_amount
from cloudbroker.core.testing import flush_jobs
from cloudbroker.microsoft365 import nce, ordering
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription
from tests.factories import VendorPriceFactory
from tests.microsoft365.subscription_helpers import (
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
def group(group_factory):
    return group_factory(name="Nordics")


@pytest.fixture
def shop(broker, pc_connection, pc, org_factory, group):
    synced_catalog(broker)
    org, _ = customer_with_tenant(pc, broker, org_factory)
    org.groups.add(group)
    return org


@pytest.fixture
def admin_user(make_staff):
    return make_staff(StaffRole.GLOBAL_ADMIN)


@pytest.fixture
def admin(portal, admin_user):
    return portal(admin_user)


def choice_of(offer: Offer) -> dict:
    """The form's choices that lead to ``offer``."""
    return {
        "category": str(offer.product.category_id),
        "billing_plan": offer.billing_plan,
        "group": str(offer.product.group_id),
        "product": str(offer.product_id),
        "term": offer.term,
    }


def active(as_actor, admin_user, org, pc, *, quantity=10, name="Office staff") -> Subscription:
    [sub] = ordering.buy(
        as_actor(admin_user),
        organization=org,
        data={"offer": BASIC_P1Y_MONTHLY, "quantity": quantity, "friendly_name": name},
    )
    settle(pc)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE, sub.status_message
    return sub


def field_errors(html: str, name: str) -> list[str]:
    """The error messages shown under the field ``name`` (portal/_field.html)."""
    match = re.search(
        rf'<div class="field[^"]*">\s*<label for="id_{name}".*?</div>\s*(?=<div class="field|</div>)', html, re.S
    )
    assert match, f"no field {name}"
    return re.findall(r'<div class="error" role="alert">(.*?)</div>', match.group(0), re.S)


# -- the list ------------------------------------------------------------------------------------------


def test_the_list_shows_price_quantity_status_renewal_and_the_reduction_deadline(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    response = admin.get(f"/organizations/{shop.pk}/subscriptions/")
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(rf'<tr[^>]*data-id="{sub.pk}".*?</tr>', html, re.S).group(0)
    assert "Office staff" in row
    assert "Microsoft 365 Business Basic" in row
    assert "CFQ7TTC0LH18:<wbr>0001:<wbr>P1Y:<wbr>monthly" in row
    assert format_amount(Money(sub.unit_price, sub.currency)) in row
    assert ">10<" in row
    assert 'data-status="active"' in row
    assert sub.commitment_end.strftime("%d/%m/%Y") in row
    lot = sub.lots.get()
    until = timezone.localtime(lot.added_at + dt.timedelta(days=7)).strftime("%d/%m/%Y %H:%M")
    assert f"10 seats until {until}" in row
    for action in ("quantity", "add-on", "suspend", "auto-renew", "cancel", "edit", "price"):
        assert f"/subscriptions/{sub.pk}/{action}/" in row, action
    assert f"/subscriptions/{sub.pk}/activate/" not in row  # only for a suspended one

    export = admin.get(f"/organizations/{shop.pk}/subscriptions/?export=csv")
    assert export.status_code == 200
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["Friendly name", "Product", "Item code / offer ID"]
    price = Money(sub.unit_price, sub.currency).rounded(Rounding.COMMERCIAL).amount
    # quantity 10, consumed not read yet (no sync since the purchase)
    assert lines[1].startswith(f"Office staff,Microsoft 365 Business Basic,{BASIC_P1Y_MONTHLY},{price} EUR,10,,Active,")
    assert ",Yes," in lines[1]


def test_a_role_without_prices_sees_no_price_column_and_no_price_when_buying(
    portal, make_staff, admin_user, as_actor, broker, shop, pc
):
    sub = active(as_actor, admin_user, shop, pc)
    support = portal(make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN))
    html = support.get(f"/organizations/{shop.pk}/subscriptions/").content.decode()
    assert f'data-id="{sub.pk}"' in html
    assert "Sales price" not in html
    assert format_amount(Money(sub.unit_price, sub.currency)) not in html
    offer = Offer.objects.select_related("product").get(broker=broker, item_code=BASIC_P1Y_MONTHLY)
    quoted = support.post(
        f"/organizations/{shop.pk}/subscriptions/add/", {**choice_of(offer), "quantity": "4", "refresh": "1"}
    ).content.decode()
    assert 'id="quote-details"' in quoted  # the item code and period, without prices
    assert 'id="quote-total"' not in quoted
    assert "EUR" not in quoted


def test_a_scheduled_purchase_shows_its_date_and_no_price_and_suspend_withdraws_it(
    admin, admin_user, as_actor, shop, pc
):
    day = timezone.localdate() + dt.timedelta(days=20)
    [sub] = ordering.buy(
        as_actor(admin_user),
        organization=shop,
        data={"offer": BASIC_P1Y_MONTHLY, "quantity": 3, "friendly_name": "Later", "provision_on": day.isoformat()},
    )
    html = admin.get(f"/organizations/{shop.pk}/subscriptions/").content.decode()
    row = re.search(rf'<tr[^>]*data-id="{sub.pk}".*?</tr>', html, re.S).group(0)
    assert f"Scheduled for {day:%d/%m/%Y}" in row
    price_cell = re.findall(r'<td class="number">(.*?)</td>', row, re.S)[0]
    assert price_cell == "—"

    question = admin.get(f"/subscriptions/{sub.pk}/suspend/")
    assert "Withdraw the purchase" in question.content.decode()
    response = admin.post(f"/subscriptions/{sub.pk}/suspend/")
    assert response.status_code == 302
    assert response["Location"] == f"/organizations/{shop.pk}/subscriptions/"
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.CANCELLED
    html = admin.get(f"/organizations/{shop.pk}/subscriptions/").content.decode()
    assert f'data-id="{sub.pk}"' not in html
    assert f'data-id="{sub.pk}"' in admin.get(f"/organizations/{shop.pk}/subscriptions/?ended=1").content.decode()


# -- Add subscription ----------------------------------------------------------------------------------


def test_the_choices_narrow_each_other_and_the_price_and_margin_are_shown_before_buying(admin, broker, shop):
    offer = Offer.objects.select_related("product").get(broker=broker, item_code=BASIC_P1Y_MONTHLY)
    first = admin.get(f"/organizations/{shop.pk}/subscriptions/add/").content.decode()
    assert f'value="{offer.product.category_id}"' in first
    assert "Choose the product and its term to see the price." in first

    response = admin.post(
        f"/organizations/{shop.pk}/subscriptions/add/", {**choice_of(offer), "quantity": "4", "refresh": "1"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    # the product's description is its title on hover
    option = re.search(rf'<option value="{offer.product_id}"[^>]*>', html).group(0)
    assert " selected" in option
    assert f'title="{offer.product.description}"' in option
    price = PriceBook(broker, organization=shop).price(offer)
    assert format_amount(price.sales * 4) in html
    margin = re.search(r'id="quote-margin">Margin: <strong>(.*?)</strong>', html).group(1)
    assert margin == f"{price.margin_percent.quantize(Decimal('0.1')):,.1f} %"
    details = re.search(r'<details id="quote-details">.*?</details>', html, re.S).group(0)
    assert offer.item_code in details
    start = timezone.localdate()
    assert f"{start:%d/%m/%Y} – {nce.commitment_end(start, 'P1Y'):%d/%m/%Y}" in details
    assert not Subscription.objects.exists()  # showing the price bought nothing


def test_a_sales_agent_sees_the_price_but_never_cost_or_margin(portal, make_staff, broker, shop, group):
    offer = Offer.objects.select_related("product").get(broker=broker, item_code=BASIC_P1Y_MONTHLY)
    agent = portal(make_staff(StaffRole.SALES_AGENT, groups=[group]))
    price = PriceBook(broker, organization=shop).price(offer)
    html = agent.post(
        f"/organizations/{shop.pk}/subscriptions/add/", {**choice_of(offer), "quantity": "4", "refresh": "1"}
    ).content.decode()
    assert format_amount(price.sales * 4) in html
    assert "Margin" not in html
    assert "margin" not in html.lower().replace("margin-", "")
    assert format_amount(price.cost * 4) not in html
    assert format_amount(price.cost) not in html


def test_field_errors_are_shown_on_their_fields(admin, broker, shop):
    offer = Offer.objects.select_related("product").get(broker=broker, item_code=BASIC_P1Y_MONTHLY)
    url = f"/organizations/{shop.pk}/subscriptions/add/"
    response = admin.post(url, {**choice_of(offer), "quantity": "many", "provision_on": "tomorrow-ish"})
    assert response.status_code == 422
    html = response.content.decode()
    assert field_errors(html, "quantity") == ["Enter the number of seats as a whole number."]
    assert field_errors(html, "provision_on") == ["Enter a date as YYYY-MM-DD."]
    assert field_errors(html, "friendly_name") == []

    response = admin.post(url, {"quantity": "2"})  # no product chosen
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "product") == ["Choose the product to buy."]
    assert not Subscription.objects.exists()


def test_create_subscription_is_pending_then_active_in_the_list(admin, broker, shop, pc):
    offer = Offer.objects.select_related("product").get(broker=broker, item_code=BASIC_P1Y_MONTHLY)
    response = admin.post(
        f"/organizations/{shop.pk}/subscriptions/add/",
        {**choice_of(offer), "quantity": "6", "friendly_name": "Sales team", "po_number": "PO-9"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/organizations/{shop.pk}/subscriptions/"
    sub = Subscription.objects.get()
    assert (sub.status, sub.quantity, sub.friendly_name, sub.po_number) == (
        SubscriptionStatus.PENDING,
        6,
        "Sales team",
        "PO-9",
    )
    settle(pc)
    html = admin.get(f"/organizations/{shop.pk}/subscriptions/").content.decode()
    assert re.search(rf'data-status="active" data-id="{sub.pk}"', html)


# -- the subscription and its changes ------------------------------------------------------------------


def test_change_quantity_shows_the_new_cost_first_then_updates(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    preview = admin.get(f"/subscriptions/{sub.pk}/quantity/?quantity=12")
    html = preview.content.decode()
    assert preview.status_code == 200
    assert format_amount(Money(sub.unit_price * 12, sub.currency)) in re.search(r'id="new-total">(.*?)<', html).group(1)
    assert "Charged now" in html
    assert 'id="update"' in html
    assert sub.quantity == Subscription.objects.get(pk=sub.pk).quantity == 10  # nothing sent yet

    fewer = admin.get(f"/subscriptions/{sub.pk}/quantity/?quantity=8").content.decode()
    refunded = re.search(r"<dt>Refunded</dt><dd id=\"prorated\">(.*?) EUR", fewer).group(1)
    assert not refunded.startswith("-")
    assert "In full" not in fewer  # seats removed are refunded by the day, not as a cancellation is

    same = admin.get(f"/subscriptions/{sub.pk}/quantity/?quantity=10").content.decode()
    assert field_errors(same, "quantity") == ["The subscription already has 10 seats."]

    response = admin.post(f"/subscriptions/{sub.pk}/quantity/", {"quantity": "12"})
    assert response.status_code == 302
    assert response["Location"] == f"/subscriptions/{sub.pk}/"
    assert "Partner Center is working on" in admin.get(response["Location"]).content.decode()
    settle(pc)
    sub.refresh_from_db()
    assert sub.quantity == 12
    html = admin.get(f"/subscriptions/{sub.pk}/").content.decode()
    row = re.search(r'<tr data-kind="quantity_changed">.*?</tr>', html, re.S).group(0)
    assert "10 → 12" in row
    assert sub.events.get(kind=EventKind.QUANTITY_CHANGED).actor_label in row


def test_suspend_and_activate(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    assert "Microsoft keeps billing" in admin.get(f"/subscriptions/{sub.pk}/suspend/").content.decode()
    assert admin.post(f"/subscriptions/{sub.pk}/suspend/").status_code == 302
    settle(pc)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.SUSPENDED
    html = admin.get(f"/organizations/{shop.pk}/subscriptions/").content.decode()
    assert f"/subscriptions/{sub.pk}/activate/" in html
    assert admin.post(f"/subscriptions/{sub.pk}/activate/").status_code == 302
    settle(pc)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE
    kinds = list(sub.events.values_list("kind", flat=True))
    assert EventKind.SUSPENDED in kinds
    assert EventKind.ACTIVATED in kinds


def test_a_refused_change_comes_back_as_a_message(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    response = admin.post(f"/subscriptions/{sub.pk}/activate/", follow=True)  # it is not suspended
    assert "not suspended" in response.content.decode()
    sub.refresh_from_db()
    assert not sub.change_pending


def test_cancel_shows_the_refund_before_confirming(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    html = admin.get(f"/subscriptions/{sub.pk}/cancel/").content.decode()
    refund = format_amount(Money(sub.unit_price * 10, sub.currency))
    assert "refunds the whole charge" in html
    assert f"Refund: <strong>{refund} EUR</strong>" in html
    assert admin.post(f"/subscriptions/{sub.pk}/cancel/").status_code == 302
    settle(pc)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.CANCELLED


def test_auto_renew_rename_and_the_historic_sales_price(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    assert admin.post(f"/subscriptions/{sub.pk}/auto-renew/", {"enabled": "0"}).status_code == 302
    settle(pc)
    sub.refresh_from_db()
    assert sub.auto_renew is False

    response = admin.post(f"/subscriptions/{sub.pk}/edit/", {"friendly_name": "Board", "po_number": "PO-2"})
    assert response.status_code == 302
    settle(pc)
    sub.refresh_from_db()
    assert (sub.friendly_name, sub.po_number) == ("Board", "PO-2")

    bad = admin.post(f"/subscriptions/{sub.pk}/price/", {"valid_from": "someday", "unit_price": "-1"})
    assert bad.status_code == 422
    assert field_errors(bad.content.decode(), "valid_from") == ["Enter the date the price applies from (YYYY-MM-DD)."]
    assert field_errors(bad.content.decode(), "unit_price") == ["The price cannot be negative."]
    response = admin.post(
        f"/subscriptions/{sub.pk}/price/", {"valid_from": sub.start_date.isoformat(), "unit_price": "4.25"}
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.unit_price == Decimal("4.25")
    html = admin.get(f"/subscriptions/{sub.pk}/").content.decode()
    assert re.search(r'<tr data-kind="price_changed">.*?4\.25 EUR', html, re.S)
    assert re.search(r'<tr data-kind="auto_renew_changed">', html)


def test_an_add_on_for_an_active_subscription(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    html = admin.get(f"/subscriptions/{sub.pk}/add-on/").content.decode()
    assert f'value="{PHONE_P1Y_MONTHLY}"' in html
    bad = admin.post(f"/subscriptions/{sub.pk}/add-on/", {"offer": PHONE_P1Y_MONTHLY, "quantity": "0"})
    assert bad.status_code == 422
    assert field_errors(bad.content.decode(), "quantity") == ["Buy at least 1 seat."]
    response = admin.post(f"/subscriptions/{sub.pk}/add-on/", {"offer": PHONE_P1Y_MONTHLY, "quantity": "2"})
    assert response.status_code == 302
    addon = Subscription.objects.get(parent=sub)
    assert addon.quantity == 2
    settle(pc)
    assert "Teams Phone" in admin.get(f"/subscriptions/{sub.pk}/").content.decode()


def test_a_sales_agent_sees_no_cost_or_margin_on_the_subscription(
    portal, make_staff, admin_user, as_actor, shop, pc, group
):
    sub = active(as_actor, admin_user, shop, pc)
    agent = portal(make_staff(StaffRole.SALES_AGENT, groups=[group]))
    html = agent.get(f"/subscriptions/{sub.pk}/").content.decode()
    assert format_amount(Money(sub.unit_price, sub.currency)) in html
    assert 'id="unit-cost"' not in html
    assert 'id="margin"' not in html
    assert format_amount(Money(sub.unit_cost, sub.currency)) not in html
    assert f"/subscriptions/{sub.pk}/price/" not in html  # nor may it set prices
    admin_html = portal(admin_user).get(f"/subscriptions/{sub.pk}/").content.decode()
    assert format_amount(Money(sub.unit_cost, sub.currency)) in admin_html


def test_a_key_account_manager_outside_the_groups_gets_404(
    portal, make_staff, admin_user, as_actor, shop, pc, group_factory
):
    sub = active(as_actor, admin_user, shop, pc)
    kam = portal(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group_factory(name="Elsewhere")]))
    for path in (
        f"/organizations/{shop.pk}/subscriptions/",
        f"/organizations/{shop.pk}/subscriptions/add/",
        f"/subscriptions/{sub.pk}/",
        f"/subscriptions/{sub.pk}/quantity/",
        f"/subscriptions/{sub.pk}/suspend/",
    ):
        assert kam.get(path).status_code == 404, path
    assert kam.post(f"/subscriptions/{sub.pk}/suspend/").status_code == 404
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE
    assert not sub.change_pending


def _subscriptions(org, n: int) -> None:
    for _ in range(n):
        offer = VendorPriceFactory(offer__product__broker=org.broker).offer
        sub = Subscription.objects.create(
            broker=org.broker,
            organization=org,
            offer=offer,
            quantity=3,
            term=offer.term,
            billing_plan=offer.billing_plan,
            currency=org.broker.currency,
            status=SubscriptionStatus.ACTIVE,
            unit_price=Decimal("5.00"),
        )
        sub.lots.create(quantity=3, added_at=timezone.now())


def test_the_list_costs_the_same_queries_for_3_rows_as_for_30(portal, make_staff, org_factory, group):
    org = org_factory(groups=[group])
    client = portal(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group]))
    url = f"/organizations/{org.pk}/subscriptions/"
    _subscriptions(org, 3)
    client.get(url)  # the first visit of a session writes it
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _subscriptions(org, 27)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.content.decode().count('data-status="active"') == 30
    sql = "\n".join(q["sql"] for q in large.captured_queries)
    assert len(small.captured_queries) == len(large.captured_queries), sql


def test_without_a_tenant_the_form_says_so_and_buys_nothing(admin, org_factory):
    org = org_factory()
    page = admin.get(f"/organizations/{org.pk}/subscriptions/add/").content.decode()
    assert 'id="no-tenant"' in page
    response = admin.post(f"/organizations/{org.pk}/subscriptions/add/", {"quantity": "2"})
    assert response.status_code == 422
    assert "has no active Microsoft 365 tenant" in re.search(
        r'<div class="message error" role="alert">(.*?)</div>', response.content.decode(), re.S
    ).group(1)
    assert not Subscription.objects.exists()
    # the list says the same, also while a tenant is only requested (pending: nothing can be bought yet)
    from cloudbroker.microsoft365.choices import TenantStatus
    from tests.factories import MicrosoftTenantFactory

    MicrosoftTenantFactory(organization=org, status=TenantStatus.PENDING, customer_id="")
    listed = admin.get(f"/organizations/{org.pk}/subscriptions/").content.decode()
    assert "has no active Microsoft 365 tenant" in listed


def test_next_term_changes_are_scheduled_and_cleared_on_their_page(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    page = admin.get(f"/subscriptions/{sub.pk}/next-term/")
    assert page.status_code == 200
    html = page.content.decode()
    assert ">1 year · billed Annual</option>" in html  # choices in words
    response = admin.post(
        f"/subscriptions/{sub.pk}/next-term/", {"quantity": "7", "offer": "CFQ7TTC0LH18:0001:P1Y:annual"}
    )
    assert response.status_code == 302
    settle(pc)
    sub.refresh_from_db()
    assert (sub.next_term_quantity, sub.next_term_offer.item_code) == (7, "CFQ7TTC0LH18:0001:P1Y:annual")
    detail = admin.get(f"/subscriptions/{sub.pk}/").content.decode()
    assert "7 seats, 1 year · billed Annual" in detail

    bad = admin.post(f"/subscriptions/{sub.pk}/next-term/", {"quantity": "0"})
    assert bad.status_code == 422
    assert field_errors(bad.content.decode(), "quantity")

    cleared = admin.post(f"/subscriptions/{sub.pk}/next-term/", {"clear": "1"})
    assert cleared.status_code == 302
    settle(pc)
    sub.refresh_from_db()
    assert (sub.next_term_quantity, sub.next_term_offer_id) == (None, None)
    assert "Renews without changes" in admin.get(f"/subscriptions/{sub.pk}/").content.decode()


def test_a_refused_decrease_offers_to_schedule_it_for_the_renewal(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    sub.lots.update(added_at=timezone.now() - dt.timedelta(days=8))
    html = admin.get(f"/subscriptions/{sub.pk}/quantity/?quantity=6").content.decode()
    assert f'href="/subscriptions/{sub.pk}/next-term/?quantity=6"' in html
    form = admin.get(f"/subscriptions/{sub.pk}/next-term/?quantity=6").content.decode()
    assert 'value="6"' in form


def test_upgrade_page_lists_partner_centers_upgrades_and_upgrades_some_seats(admin, admin_user, as_actor, shop, pc):
    sub = active(as_actor, admin_user, shop, pc)
    html = admin.get(f"/subscriptions/{sub.pk}/upgrade/").content.decode()
    assert "Microsoft 365 Business Standard" in html
    assert "cannot be undone" in html
    response = admin.post(
        f"/subscriptions/{sub.pk}/upgrade/", {"offer": "CFQ7TTC0LDPB:0001:P1Y:monthly", "quantity": "4"}
    )
    assert response.status_code == 302
    settle(pc)
    sub.refresh_from_db()
    assert sub.quantity == 6
    moved = Subscription.objects.exclude(pk=sub.pk).get(organization=shop)
    assert (moved.quantity, moved.offer.item_code) == (4, "CFQ7TTC0LDPB:0001:P1Y:monthly")
    bad = admin.post(f"/subscriptions/{sub.pk}/upgrade/", {"offer": "CFQ7TTC0LDPB:0001:P1Y:monthly", "quantity": "99"})
    assert bad.status_code == 422
