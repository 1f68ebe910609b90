"""The catalog and price lists over the API, for each kind of staff member."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine

from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.models import OrganizationProductSetting, PriceEntry
from tests.catalog.conftest import COST_MONTHLY, ERP_MONTHLY, SALES_MONTHLY, build_shop
from tests.factories import BrokerFactory, PriceEntryFactory

pytestmark = pytest.mark.django_db

COST_KEYS = {"cost", "erp", "margin_amount", "margin_percent", "below_cost"}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def offers(api, **params) -> list[dict]:
    response = api.get("/api/v1/catalog/offers", **params)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def by_code(items, offer) -> dict:
    return next(i for i in items if i["item_code"] == offer.item_code)


def test_a_global_admin_reads_cost_erp_and_margin_as_strings_with_currency(api_client_for, shop, people):
    item = by_code(offers(api_client_for(people.global_admin)), shop.monthly)
    price = item["price"]
    assert price["sales"] == {"amount": SALES_MONTHLY, "currency": "EUR"}
    assert price["cost"] == {"amount": COST_MONTHLY, "currency": "EUR"}
    assert price["erp"] == {"amount": ERP_MONTHLY, "currency": "EUR"}
    assert price["margin_amount"] == {"amount": "2.43", "currency": "EUR"}
    assert price["margin_percent"] == "25.00"
    assert price["below_cost"] is False
    assert price["level"] == "global"
    assert "Margin 25 % on cost" in price["source"]
    assert item["product"]["title"] == "Microsoft 365 Business Basic"


def test_a_sales_agent_reads_prices_without_cost_or_margin_keys(api_client_for, shop, people):
    api = api_client_for(people.sales_agent)
    for params in ({}, {"organization": str(people.org.pk)}):
        response = api.get("/api/v1/catalog/offers", **params)
        body = response.content.decode()
        assert response.status_code == 200
        assert SALES_MONTHLY in body
        assert COST_MONTHLY not in body
        assert ERP_MONTHLY not in body
        assert "87.48" not in body
        for key in COST_KEYS:
            assert f'"{key}"' not in body
        assert "margin" not in body.lower()  # "a rule on cost" says where the price comes from, not the margin
        assert "25 %" not in body
        for item in response.json()["items"]:
            assert COST_KEYS.isdisjoint(item["price"])
    one = api.get(f"/api/v1/catalog/offers/{shop.monthly.pk}").json()
    assert one["price"]["sales"]["amount"] == SALES_MONTHLY
    assert COST_KEYS.isdisjoint(one["price"])
    # A rule's percentage, with the sales price, would give the cost away.
    entries = api.get("/api/v1/catalog/prices").json()
    assert entries[0]["kind"] == "margin"
    assert entries[0]["value"] is None


def test_a_global_support_admin_reads_the_catalog_without_prices(api_client_for, shop, people):
    api = api_client_for(people.support)
    assert all(item["price"] is None for item in offers(api))
    assert api.get("/api/v1/catalog/offers", organization=str(people.org.pk)).status_code == 403
    assert api.get("/api/v1/catalog/prices").status_code == 403


def test_filters_and_the_catalog_lists(api_client_for, shop, people):
    api = api_client_for(people.kam)
    assert [i["item_code"] for i in offers(api, billing_plan="annual")] == [shop.annual.item_code]
    assert [i["item_code"] for i in offers(api, q="Teams")] == [shop.addon_monthly.item_code]
    assert len(offers(api, group=str(shop.group.pk), category=str(shop.category.pk), term="P1Y")) == 3
    products = api.get("/api/v1/catalog/products", addon="true").json()
    assert [(p["title"], [a["title"] for a in p["attaches_to"]]) for p in products] == [
        ("Teams Phone Standard", ["Microsoft 365 Business Basic"])
    ]
    assert [c["name"] for c in api.get("/api/v1/catalog/categories").json()] == ["Licence-based"]
    assert [g["name"] for g in api.get("/api/v1/catalog/product-groups").json()] == ["Microsoft 365"]
    detail = api.get(f"/api/v1/catalog/offers/{shop.monthly.pk}").json()
    assert [a["title"] for a in detail["addons"]] == ["Teams Phone Standard"]


def test_customer_prices_and_their_level(api_client_for, shop, people):
    PriceEntryFactory(
        broker=shop.broker, organization=people.org, offer=shop.monthly, kind=PriceKind.AMOUNT, value=Decimal("8.50")
    )
    api = api_client_for(people.kam)
    items = offers(api, organization=str(people.org.pk))
    assert by_code(items, shop.monthly)["price"]["level"] == "customer"
    assert by_code(items, shop.monthly)["price"]["sales"]["amount"] == "8.50"
    assert by_code(items, shop.annual)["price"]["level"] == "global"
    assert api.get("/api/v1/catalog/offers", organization=str(people.other_org.pk)).status_code == 404


def test_floats_are_refused_with_a_field_error(api_client_for, shop, people):
    api = api_client_for(people.global_admin)
    response = api.post(
        "/api/v1/catalog/prices",
        {"target_type": "offer", "target_id": str(shop.monthly.pk), "kind": "amount", "value": 9.9},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "value"
    assert "decimal string" in body["message"]
    assert not PriceEntry.objects.filter(offer=shop.monthly).exists()


def test_a_scheduled_price_shows_on_its_day_and_can_be_cancelled(api_client_for, shop, people):
    api = api_client_for(people.global_admin)
    response = api.post(
        "/api/v1/catalog/prices",
        {
            "target_type": "offer",
            "target_id": str(shop.monthly.pk),
            "kind": "amount",
            "value": "11.00",
            "effective_from": "2027-02-01",
        },
    )
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["status"] == "scheduled"
    assert entry["value"] == "11"
    today = by_code(offers(api), shop.monthly)["price"]
    on_day = by_code(offers(api, day="2027-02-01"), shop.monthly)["price"]
    assert today["sales"]["amount"] == SALES_MONTHLY
    assert on_day["sales"]["amount"] == "11.00"
    assert on_day["day"] == "2027-02-01"
    assert [e["id"] for e in api.get("/api/v1/catalog/prices", status="scheduled").json()] == [entry["id"]]
    assert api.delete(f"/api/v1/catalog/prices/{entry['id']}").status_code == 204
    assert by_code(offers(api, day="2027-02-01"), shop.monthly)["price"]["sales"]["amount"] == SALES_MONTHLY
    # The rule in effect stays part of the history.
    response = api.delete(f"/api/v1/catalog/prices/{shop.rule.pk}")
    assert response.status_code == 409


def test_below_cost_needs_a_confirmation(api_client_for, shop, people):
    api = api_client_for(people.global_admin)
    body = {"offers": [str(shop.monthly.pk), str(shop.annual.pk)], "kind": "margin", "value": "-5"}
    response = api.post("/api/v1/catalog/prices/bulk", body)
    assert response.status_code == 409
    assert response.json()["code"] == "below_cost"
    assert sorted(response.json()["details"]["item_codes"]) == sorted([shop.monthly.item_code, shop.annual.item_code])
    assert PriceEntry.objects.count() == 1
    response = api.post("/api/v1/catalog/prices/bulk", {**body, "confirm_below_cost": True})
    assert response.status_code == 201
    assert {e["target_id"] for e in response.json()} == {str(shop.monthly.pk), str(shop.annual.pk)}


def test_a_rule_for_a_product_group(api_client_for, shop, people):
    api = api_client_for(people.global_admin)
    response = api.post(
        "/api/v1/catalog/prices",
        {"target_type": "group", "target_id": str(shop.group.pk), "kind": "markup", "value": "50"},
    )
    assert response.status_code == 201
    price = by_code(offers(api), shop.monthly)["price"]
    assert price["sales"]["amount"] == "10.94"
    assert "product group Microsoft 365" in price["source"]
    response = api.post("/api/v1/catalog/prices", {"target_type": "group", "kind": "markup", "value": "50"})
    assert response.status_code == 422
    assert response.json()["field"] == "target_id"


def test_a_kam_prices_only_organizations_in_their_groups_and_never_the_global_list(api_client_for, shop, people):
    api = api_client_for(people.kam)
    body = {"target_type": "offer", "target_id": str(shop.monthly.pk), "kind": "amount", "value": "8.75"}
    assert api.post("/api/v1/catalog/prices", body).status_code == 403
    assert (
        api.post(
            "/api/v1/catalog/prices/bulk", {"offers": [str(shop.monthly.pk)], "kind": "margin", "value": "30"}
        ).status_code
        == 403
    )
    assert api.post(f"/api/v1/catalog/organizations/{people.other_org.pk}/prices", body).status_code == 404
    response = api.post(f"/api/v1/catalog/organizations/{people.org.pk}/prices", body)
    assert response.status_code == 201
    assert response.json()["organization"] == str(people.org.pk)
    listed = api.get(f"/api/v1/catalog/organizations/{people.org.pk}/prices").json()
    assert [e["value"] for e in listed] == ["8.75"]
    assert api.get(f"/api/v1/catalog/organizations/{people.other_org.pk}/prices").status_code == 404
    # Cancelling the global rule is not theirs either.
    assert api.delete(f"/api/v1/catalog/prices/{shop.rule.pk}").status_code == 403


def test_a_sales_agent_sets_no_price(api_client_for, shop, people):
    api = api_client_for(people.sales_agent)
    body = {"target_type": "offer", "target_id": str(shop.monthly.pk), "kind": "amount", "value": "8.75"}
    assert api.post(f"/api/v1/catalog/organizations/{people.org.pk}/prices", body).status_code == 403
    assert api.post(f"/api/v1/catalog/organizations/{people.other_org.pk}/prices", body).status_code == 404


def test_another_brokers_catalog_is_not_found(api_client_for, shop, people):
    other = build_shop(BrokerFactory())
    api = api_client_for(people.global_admin)
    assert api.get(f"/api/v1/catalog/offers/{other.monthly.pk}").status_code == 404
    assert api.delete(f"/api/v1/catalog/prices/{other.rule.pk}").status_code == 404
    assert api.put(f"/api/v1/catalog/products/{other.product.pk}/visibility", {"hidden": True}).status_code == 404
    response = api.post(
        "/api/v1/catalog/prices",
        {"target_type": "offer", "target_id": str(other.monthly.pk), "kind": "amount", "value": "1"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "target_id"
    assert other.monthly.item_code not in json.dumps(offers(api))


def test_visibility_broker_wide_and_per_organization(api_client_for, shop, people):
    admin = api_client_for(people.global_admin)
    response = admin.put(f"/api/v1/catalog/products/{shop.addon.pk}/visibility", {"hidden": True})
    assert response.status_code == 200
    assert response.json()["hidden"] is True
    assert (
        api_client_for(people.kam)
        .put(f"/api/v1/catalog/products/{shop.addon.pk}/visibility", {"hidden": False})
        .status_code
        == 403
    )
    kam = api_client_for(people.kam)
    url = f"/api/v1/catalog/organizations/{people.org.pk}/products/{shop.addon.pk}/visibility"
    response = kam.put(url, {"hidden": False})
    assert response.json() == {
        "organization": str(people.org.pk),
        "product": str(shop.addon.pk),
        "hidden": False,
        "shown": True,
    }
    assert OrganizationProductSetting.objects.get(organization=people.org).hidden is False
    response = kam.put(url, {"hidden": None})
    assert response.json()["hidden"] is None
    assert response.json()["shown"] is False
    other = f"/api/v1/catalog/organizations/{people.other_org.pk}/products/{shop.addon.pk}/visibility"
    assert kam.put(other, {"hidden": True}).status_code == 404
