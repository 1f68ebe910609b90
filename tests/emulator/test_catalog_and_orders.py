"""Catalog, price sheet, carts, checkout, orders and add-ons."""

from __future__ import annotations

import csv
import io

from .conftest import BASIC, TEAMS_PHONE


def test_products_skus_and_availabilities(api):
    products = api.get("/v1/products?country=US&targetView=OnlineServices").json()
    ids = {p["id"] for p in products["items"]}
    assert {"CFQ7TTC0LH18", "CFQ7TTC0LCHC", "CFQ7TTC0LFLZ"} <= ids
    assert all(p["productType"]["id"] == "OnlineServicesNCE" for p in products["items"])
    sku = api.get("/v1/products/CFQ7TTC0LH1G/skus/0001?country=US").json()
    assert sku["dynamicAttributes"]["isAddon"] is True
    assert "CFQ7TTC0LH18:0001" in sku["dynamicAttributes"]["prerequisiteSkus"]
    avail = api.get("/v1/products/CFQ7TTC0LH18/skus/0001/availabilities?country=US").json()["items"][0]
    assert avail["catalogItemId"] == BASIC
    terms = {(t["duration"], t["billingCycle"]) for t in avail["terms"]}
    assert {("P1M", "monthly"), ("P1Y", "annual"), ("P3Y", "triennial")} <= terms
    assert api.get("/v1/products?country=US").status_code == 400
    assert api.get("/v1/products/NOPE00000000?country=US").status_code == 404


def test_price_sheet_has_cost_and_erp(api):
    url = "/v1.0/sales/pricesheets(Market='US',PricesheetView='updatedlicensebased')/$value"
    response = api.get(url)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    row = next(r for r in rows if r["ProductId"] == "CFQ7TTC0LH18" and r["TermDuration"] == "P1Y"
               and r["BillingPlan"] == "Annual")  # fmt: skip
    assert row["ERP Price"] == "72.00"
    assert row["UnitPrice"] == "57.60"


def test_cart_checkout_order_and_subscriptions_by_order(api):
    customer = api.create_customer()
    cid = customer["id"]
    line = {"catalogItemId": BASIC, "quantity": 3, "termDuration": "P1Y", "billingCycle": "Annual"}
    cart = api.post(f"/v1/customers/{cid}/carts", {"lineItems": [line]}).json()
    assert cart["status"] == "Active"
    assert cart["lineItems"][0]["pricing"]["extendedPrice"] == 172.8
    result = api.post(f"/v1/customers/{cid}/carts/{cart['id']}/checkout")
    assert result.status_code == 201
    order = result.json()["orders"][0]
    assert len(order["id"]) == 12
    assert order["billingCycle"] == "annual"
    assert api.get(f"/v1/customers/{cid}/orders/{order['id']}").json()["lineItems"][0]["quantity"] == 3
    subs = api.get(f"/v1/customers/{cid}/subscriptions?order_id={order['id']}").json()["items"]
    assert [s["id"] for s in subs] == [order["lineItems"][0]["subscriptionId"]]
    again = api.post(f"/v1/customers/{cid}/carts/{cart['id']}/checkout")
    assert (again.status_code, again.json()["code"]) == (400, 800065)
    assert api.get(f"/v1/customers/{cid}/orders").json()["totalCount"] == 1


def test_cart_line_errors_and_checkout_refusal(api):
    cid = api.create_customer()["id"]
    lines = [
        {"catalogItemId": "CFQ7TTC0LH18:0001:WRONG", "quantity": 1, "termDuration": "P1Y", "billingCycle": "monthly"},
        {"catalogItemId": BASIC, "quantity": 1, "billingCycle": "monthly"},
        {"catalogItemId": BASIC, "quantity": 301, "termDuration": "P1Y", "billingCycle": "monthly"},
        {"catalogItemId": TEAMS_PHONE, "quantity": 1, "termDuration": "P1Y", "billingCycle": "monthly"},
    ]
    cart = api.post(f"/v1/customers/{cid}/carts", {"lineItems": lines})
    assert cart.status_code == 201
    codes = [line["error"]["errorCode"] for line in cart.json()["lineItems"]]
    assert codes == [10001, 400039, 10015, 400041]
    checkout = api.post(f"/v1/customers/{cid}/carts/{cart.json()['id']}/checkout")
    assert (checkout.status_code, checkout.json()["code"]) == (400, 800009)
    assert api.get(f"/v1/customers/{cid}/subscriptions").json()["totalCount"] == 0


def test_add_on_is_linked_to_its_base_subscription(api):
    cid = api.create_customer()["id"]
    base = api.buy(cid, BASIC, quantity=5)
    addon = api.buy(cid, TEAMS_PHONE, quantity=2)
    assert addon["parentSubscriptionId"] == base["id"]
    addons = api.get(f"/v1/customers/{cid}/subscriptions/{base['id']}/addons").json()["items"]
    assert [a["id"] for a in addons] == [addon["id"]]
    assert base["hasPurchasableAddons"] is True
