"""The catalog and price-list pages as each kind of staff member sees them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.models import OrganizationProductSetting, PriceEntry
from cloudbroker.core.models import AuditEvent
from tests.catalog.conftest import COST_MONTHLY, ERP_MONTHLY, SALES_MONTHLY, build_shop
from tests.factories import BrokerFactory, OfferFactory, PriceEntryFactory, ProductFactory, VendorPriceFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)
COST_WORDS = ("Cost", "Margin", "ERP", "margin", "below cost")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def shown(offer) -> str:
    """An item code as a list writes it (a line may break after each colon)."""
    return offer.item_code.replace(":", ":<wbr>")


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# -- the catalog ---------------------------------------------------------------------------------


def test_a_global_admin_sees_cost_erp_sales_and_margin_side_by_side(portal, shop, people):
    page = html(portal(people.global_admin).get("/catalog/"))
    assert shown(shop.monthly) in page
    assert shown(shop.annual) in page
    assert SALES_MONTHLY in page
    assert COST_MONTHLY in page
    assert ERP_MONTHLY in page
    assert "25.0 %" in page  # margin % (sales − cost) ÷ sales, rounded for the page
    assert "Margin (EUR)" in page
    assert ">2.43<" in page
    assert "Global price list: Margin 25 % on cost (every product, from 2026-01-01)" in page


def test_a_sales_agent_sees_the_sales_price_and_never_cost_or_margin(portal, shop, people):
    for path in ("/catalog/", f"/organizations/{people.org.pk}/prices/", f"/catalog/offers/{shop.monthly.pk}/"):
        page = html(portal(people.sales_agent).get(path))
        assert SALES_MONTHLY in page, path
        assert COST_MONTHLY not in page, path
        assert ERP_MONTHLY not in page, path
        assert "87.48" not in page, path
        assert "2.43" not in page, path
        for word in COST_WORDS:
            assert word not in page, (path, word)
        # Where the price comes from is told, without the percentage that would give the cost away.
        assert "Global price list: a rule on cost (every product, from 2026-01-01)" in page, path


def test_a_sales_agent_exports_no_cost_either(portal, shop, people):
    response = portal(people.sales_agent).get("/catalog/?export=csv&columns=cost&columns=margin_percent")
    body = b"".join(response.streaming_content).decode()
    assert SALES_MONTHLY in body
    assert COST_MONTHLY not in body
    assert "Margin" not in body
    assert "Cost" not in body


def test_a_global_support_admin_browses_the_catalog_without_prices(portal, shop, people):
    page = html(portal(people.support).get("/catalog/"))
    assert shown(shop.monthly) in page
    assert SALES_MONTHLY not in page
    assert COST_MONTHLY not in page
    assert portal(people.support).get(f"/organizations/{people.org.pk}/prices/").status_code == 403


def test_filters_narrow_the_catalog(portal, shop, people):
    client = portal(people.global_admin)
    page = html(client.get("/catalog/?billing_plan=annual"))
    assert shown(shop.annual) in page
    assert shown(shop.monthly) not in page
    page = html(client.get("/catalog/?q=teams"))
    assert shown(shop.addon_monthly) in page
    assert shown(shop.monthly) not in page
    page = html(client.get(f"/catalog/?group={shop.group.pk}&category={shop.category.pk}&term=P1Y"))
    assert shown(shop.monthly) in page
    assert shown(shop.addon_monthly) in page


def test_add_ons_say_what_they_attach_to(portal, shop, people):
    page = html(portal(people.global_admin).get("/catalog/?q=teams"))
    assert "Add-on" in page
    assert "For: Microsoft 365 Business Basic" in page


def test_a_billing_plan_the_broker_turned_off_is_offered_nowhere(portal, api_client_for, shop, people):
    shop.broker.offer_annual_billing = False
    shop.broker.save()
    page = html(portal(people.global_admin).get("/catalog/"))
    assert shown(shop.monthly) in page
    assert shown(shop.annual) not in page
    plans = page.split('name="billing_plan"')[1].split("</select>")[0]
    assert ">Monthly<" in plans
    assert ">Annual<" not in plans
    assert portal(people.global_admin).get(f"/catalog/offers/{shop.annual.pk}/").status_code == 404
    api = api_client_for(people.global_admin)
    codes = [o["item_code"] for o in api.get("/api/v1/catalog/offers").json()["items"]]
    assert shop.monthly.item_code in codes
    assert shop.annual.item_code not in codes
    assert api.get(f"/api/v1/catalog/offers/{shop.annual.pk}").status_code == 404


def test_hidden_products_are_marked_and_a_catalog_manager_hides_and_shows_them(portal, shop, people):
    client = portal(people.global_admin)
    page = html(client.get("/catalog/"))
    assert "Hide from e-store" in page
    url = f"/catalog/products/{shop.product.pk}/visibility/?hidden=1"
    assert "Hide Microsoft 365 Business Basic" in html(client.get(url))
    assert client.post(url.split("?")[0], {"hidden": "1"}).status_code == 302
    shop.product.refresh_from_db()
    assert shop.product.hidden is True
    page = html(client.get("/catalog/"))
    assert "Hidden" in page
    assert "Show in e-store" in page
    # A Sales Agent may look, not hide.
    assert "Hide from e-store" not in html(portal(people.sales_agent).get("/catalog/"))
    assert portal(people.sales_agent).post(url.split("?")[0], {"hidden": "0"}).status_code == 403


def test_an_empty_catalog_says_so_and_offers_the_sync(portal, people):
    page = html(portal(people.global_admin).get("/catalog/"))
    assert "The catalog is empty" in page
    assert 'action="/catalog/sync/"' in page
    assert "Price the selected rows" not in page
    # Only a role that manages the catalog starts a sync.
    assert 'action="/catalog/sync/"' not in html(portal(people.kam).get("/catalog/"))


def test_the_price_list_travels_as_a_file(portal, shop, people):
    page = html(portal(people.global_admin).get("/catalog/"))
    assert "/price-list/export/?format=xlsx" in page
    assert 'href="/price-list/import/"' in page
    page = html(portal(people.kam).get(f"/organizations/{people.org.pk}/prices/"))
    assert f"/price-list/export/?organization={people.org.pk}&amp;format=csv" in page
    assert f"/price-list/import/?organization={people.org.pk}" in page
    # A Key Account Manager does not import the global price list.
    assert "/price-list/import/" not in html(portal(people.kam).get("/catalog/"))


# -- one item code -------------------------------------------------------------------------------


def test_the_offer_page_shows_its_prices_entries_and_add_ons(portal, shop, people):
    page = html(portal(people.global_admin).get(f"/catalog/offers/{shop.monthly.pk}/"))
    assert "Teams Phone Standard" in page  # its add-on
    assert "87.48 EUR" in page  # Microsoft's price for the term
    assert SALES_MONTHLY in page
    assert "In effect" in page


def test_a_scheduled_price_shows_on_its_day_and_can_be_cancelled(portal, shop, people):
    client = portal(people.global_admin)
    url = f"/catalog/offers/{shop.monthly.pk}/"
    response = client.post(url, {"kind": "amount", "value": "11.00", "effective_from": "01/02/2027"})
    assert response.status_code == 302
    entry = PriceEntry.objects.get(offer=shop.monthly)
    page = html(client.get(url))
    assert "Scheduled" in page
    assert SALES_MONTHLY in page
    assert "11.00 EUR" not in page.split('id="price-entries"')[0]
    on_day = html(client.get(url + "?day=2027-02-01"))
    assert "11.00 EUR" in on_day.split('id="price-on-day"')[1]
    assert "Global price list: fixed price (this item code, from 2027-02-01)" in on_day
    # The catalog priced on that day says the same.
    assert "11.00 EUR" in html(client.get("/catalog/?day=2027-02-01"))
    cancel = f"/catalog/prices/{entry.pk}/cancel/"
    assert "Cancel the price" in html(client.get(cancel))
    assert client.post(cancel, {"next": url}).status_code == 302
    assert not PriceEntry.objects.filter(pk=entry.pk).exists()
    assert "11.00 EUR" not in html(client.get(url + "?day=2027-02-01")).split('id="price-history"')[0]
    actions = list(
        AuditEvent.objects.filter(object_id=str(entry.pk)).order_by("occurred_at").values_list("action", flat=True)
    )
    assert actions == ["price.scheduled", "price.cancelled"]
    history = html(client.get(url)).split('id="price-history"')[1]
    assert "Price scheduled" in history
    assert "Scheduled price cancelled" in history


def test_a_price_in_effect_cannot_be_cancelled(portal, shop, people):
    client = portal(people.global_admin)
    response = client.post(f"/catalog/prices/{shop.rule.pk}/cancel/", follow=True)
    assert "stays in the history" in response.content.decode()
    assert PriceEntry.objects.filter(pk=shop.rule.pk).exists()


def test_a_price_below_cost_is_warned_about_then_confirmed(portal, shop, people):
    client = portal(people.global_admin)
    url = f"/catalog/offers/{shop.monthly.pk}/"
    response = client.post(url, {"kind": "amount", "value": "5.00"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "This price sells below cost" in page
    assert shop.monthly.item_code in page
    assert "Sell below cost" in page
    assert not PriceEntry.objects.filter(offer=shop.monthly).exists()
    response = client.post(url, {"kind": "amount", "value": "5.00", "confirm_below_cost": "on"})
    assert response.status_code == 302
    assert PriceEntry.objects.get(offer=shop.monthly).value == Decimal("5.00")
    assert "Below cost" in html(client.get("/catalog/"))


def test_a_bad_value_is_named_on_its_field(portal, shop, people):
    response = portal(people.global_admin).post(
        f"/catalog/offers/{shop.monthly.pk}/", {"kind": "margin", "value": "abc"}
    )
    assert response.status_code == 422
    assert "is not a number" in response.content.decode()


def test_a_key_account_manager_never_changes_the_global_list(portal, shop, people):
    client = portal(people.kam)
    assert client.post(f"/catalog/offers/{shop.monthly.pk}/", {"kind": "amount", "value": "11"}).status_code == 403
    assert client.post("/catalog/rules/", {"target": "all", "kind": "margin", "value": "30"}).status_code == 403
    assert (
        client.post("/catalog/bulk-price/", {"offers": [shop.monthly.pk], "kind": "margin", "value": "30"}).status_code
        == 403
    )
    assert not PriceEntry.objects.exclude(pk=shop.rule.pk).exists()


def test_another_brokers_offer_and_entry_are_not_found(portal, shop, people):
    other = build_shop(BrokerFactory())
    client = portal(people.global_admin)
    assert client.get(f"/catalog/offers/{other.monthly.pk}/").status_code == 404
    assert client.get(f"/catalog/prices/{other.rule.pk}/cancel/").status_code == 404
    assert client.post(f"/catalog/products/{other.product.pk}/visibility/", {"hidden": "1"}).status_code == 404
    # A foreign offer ticked in a bulk form is left out, never priced.
    client.post("/catalog/bulk-price/", {"offers": [other.monthly.pk], "kind": "margin", "value": "30"})
    assert not PriceEntry.objects.filter(offer=other.monthly).exists()


# -- rules and bulk --------------------------------------------------------------------------------


def test_price_rules_at_every_level(portal, shop, people):
    client = portal(people.global_admin)
    response = client.post(
        "/catalog/rules/",
        {"target": f"group:{shop.group.pk}", "kind": "markup", "value": "50", "effective_from": "01/01/2027"},
    )
    assert response.status_code == 302
    page = html(client.get("/catalog/rules/"))
    assert "Product group Microsoft 365" in page
    assert "Markup 50 % on cost" in page
    assert "Scheduled" in page
    assert "Every product" in page
    assert "In effect" in page
    # 7.29 × 1.5 = 10.935 → 10.94 from that day, by the group's rule (more specific than every product).
    assert "10.94 EUR" in html(client.get("/catalog/?day=2027-01-01"))
    response = client.post("/catalog/rules/", {"target": "category:not-an-id", "kind": "markup", "value": "5"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_bulk_apply_a_rule_to_selected_rows_with_the_below_cost_confirmation(portal, shop, people):
    client = portal(people.global_admin)
    offers = [shop.monthly.pk, shop.addon_monthly.pk]
    data = {"offers": offers, "kind": "erp_discount", "value": "30", "next": "/catalog/"}
    # 9.11 × 0.7 = 6.38 < 7.29: below cost.
    response = client.post("/catalog/bulk-price/", data)
    assert response.status_code == 409
    page = response.content.decode()
    assert shop.monthly.item_code in page
    assert shop.addon_monthly.item_code in page
    assert "Sell below cost" in page
    assert not PriceEntry.objects.filter(offer__in=offers).exists()
    response = client.post("/catalog/bulk-price/", {**data, "confirm_below_cost": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/catalog/"
    assert PriceEntry.objects.filter(offer__in=offers, kind=PriceKind.ERP_DISCOUNT).count() == 2


def test_bulk_without_rows_says_so(portal, shop, people):
    response = portal(people.global_admin).post("/catalog/bulk-price/", {"kind": "margin", "value": "30"})
    assert response.status_code == 422
    assert "Select at least one row" in response.content.decode()


# -- a customer's price list -----------------------------------------------------------------------


def test_the_customer_price_list_shows_which_level_set_each_price(portal, shop, people):
    PriceEntryFactory(
        broker=shop.broker, organization=people.org, offer=shop.monthly, kind=PriceKind.AMOUNT, value=Decimal("8.50")
    )
    page = html(portal(people.kam).get(f"/organizations/{people.org.pk}/prices/"))
    assert "8.50 EUR" in page
    assert "Customer price" in page
    assert "Global price list" in page
    assert COST_MONTHLY in page  # a KAM sees cost


def test_a_kam_prices_only_organizations_in_their_groups(portal, shop, people):
    client = portal(people.kam)
    url = f"/organizations/{people.org.pk}/prices/offers/{shop.monthly.pk}/"
    assert client.post(url, {"kind": "amount", "value": "8.75"}).status_code == 302
    assert PriceEntry.objects.get(organization=people.org).value == Decimal("8.75")
    response = client.post(
        f"/organizations/{people.org.pk}/prices/bulk/",
        {"offers": [shop.annual.pk], "kind": "margin", "value": "30"},
    )
    assert response.status_code == 302
    assert PriceEntry.objects.filter(organization=people.org).count() == 2
    for path in ("prices/", f"prices/offers/{shop.monthly.pk}/", "prices/rules/"):
        assert client.get(f"/organizations/{people.other_org.pk}/{path}").status_code == 404
    assert client.post(f"/organizations/{people.other_org.pk}/prices/offers/{shop.monthly.pk}/", {}).status_code == 404
    # A KAM of the other group cannot see Contoso's prices at all.
    assert portal(people.kam_elsewhere).get(f"/organizations/{people.org.pk}/prices/").status_code == 404


def test_a_sales_agent_sets_no_customer_price(portal, shop, people):
    client = portal(people.sales_agent)
    url = f"/organizations/{people.org.pk}/prices/offers/{shop.monthly.pk}/"
    assert client.post(url, {"kind": "amount", "value": "8.75"}).status_code == 403
    assert "Price the selected rows" not in html(client.get(f"/organizations/{people.org.pk}/prices/"))


def test_customer_rules_and_curation(portal, shop, people):
    client = portal(people.kam)
    response = client.post(
        f"/organizations/{people.org.pk}/prices/rules/",
        {"target": f"product:{shop.product.pk}", "kind": "margin", "value": "40"},
    )
    assert response.status_code == 302
    page = html(client.get(f"/organizations/{people.org.pk}/prices/"))
    assert "Customer price: Margin 40 % on cost" in page
    base = f"/organizations/{people.org.pk}/prices/products/{shop.addon.pk}/visibility/"
    assert client.post(base, {"hidden": "1"}).status_code == 302
    assert OrganizationProductSetting.objects.get(organization=people.org, product=shop.addon).hidden is True
    assert "own choice" in html(client.get(f"/organizations/{people.org.pk}/prices/"))
    assert client.post(base, {"hidden": "follow"}).status_code == 302
    assert not OrganizationProductSetting.objects.filter(organization=people.org).exists()
    # Broker-wide "follow" means nothing.
    assert client.get(f"/catalog/products/{shop.addon.pk}/visibility/?hidden=follow").status_code in (403, 404)


def test_the_organization_page_links_to_its_price_list(portal, shop, people):
    page = html(portal(people.kam).get(f"/organizations/{people.org.pk}/"))
    assert f"/organizations/{people.org.pk}/prices/" in page
    assert f"/organizations/{people.org.pk}/prices/" not in html(
        portal(people.support).get(f"/organizations/{people.org.pk}/")
    )


def test_navigation_links_the_catalog(portal, shop, people):
    page = html(portal(people.sales_agent).get("/"))
    assert 'href="/catalog/"' in page
    assert 'href="/catalog/rules/"' in page


def test_the_catalog_page_reads_a_constant_number_of_queries(portal, shop, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = portal(people.global_admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            html(client.get("/catalog/"))
        return len(ctx.captured_queries)

    queries()  # the first request of a session stores it
    before = queries()
    for _ in range(20):
        VendorPriceFactory(offer=OfferFactory(product=ProductFactory(broker=shop.broker, is_addon=True)))
    assert queries() == before
