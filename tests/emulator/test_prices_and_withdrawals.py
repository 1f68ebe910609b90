"""Dated price changes and withdrawals: the control calls, their validation and persistence, and the
price sheet's timelines and errors as the emulator answers them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from partner_center_emulator.testing import running_emulator

from .conftest import BASIC

SHEET = "/v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value"
BASIC_SKU = "CFQ7TTC0LH18:0001"


def sheet(api, market: str = "US", view: str = "updatedlicensebased", **query: str) -> httpx.Response:
    return api.get(SHEET.format(market=market, view=view), params=query)


def change(**fields):
    body = {"productId": "CFQ7TTC0LH18", "skuId": "0001", "termDuration": "P1Y", "billingPlan": "Annual",
            "unitPrice": "60.00", "effectiveDate": "2025-07-01"}  # fmt: skip
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"productId": None}, "productId", "required"),
        ({"productId": "CFQ7TTC0ZZZZ"}, "productId", "not a product"),
        ({"skuId": "0009"}, "skuId", "not a SKU"),
        ({"termDuration": "P2Y"}, "termDuration", "not a term"),
        ({"termDuration": "P3Y"}, "termDuration", "not a term"),  # E1 is not sold for three years
        ({"billingPlan": None}, "billingPlan", "required"),
        ({"billingPlan": "triennial"}, "billingPlan", "not a billing plan"),
        ({"unitPrice": 60.0}, "unitPrice", "decimal string"),
        ({"unitPrice": "sixty"}, "unitPrice", "not a decimal"),
        ({"unitPrice": "-1.00"}, "unitPrice", "positive"),
        ({"unitPrice": "60.001"}, "unitPrice", "two decimals"),
        ({"unitPrice": None}, "unitPrice", "erpPrice"),
        ({"erpPrice": "NaN"}, "erpPrice", "positive"),
        ({"billingPlan": "monthly", "unitPrice": "70.00"}, "unitPrice", "12 equal charges"),
        ({"effectiveDate": None}, "effectiveDate", "required"),
        ({"effectiveDate": "1/7/2025"}, "effectiveDate", "YYYY-MM-DD"),
        ({"effectiveDate": "2025-02-30"}, "effectiveDate", "YYYY-MM-DD"),
        ({"effectiveDate": "2021-12-01"}, "effectiveDate", "catalog"),
    ],
)
def test_a_bad_price_change_is_refused_naming_the_field(pc, fields, field, words):
    body = change(**fields)
    if fields.get("termDuration") == "P3Y":
        body["productId"] = "CFQ7TTC0LF8Q"
    response = pc.http.post("/_emulator/prices", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert words in response.json()["error"]
    assert pc.price_changes() == []


def test_price_changes_are_listed_and_one_per_row_and_day(pc):
    pc.change_price(BASIC_SKU, "P1Y", "annual", unit_price="60.00", effective=date(2025, 7, 1))
    pc.change_price(BASIC_SKU, "P1Y", "annual", erp_price=Decimal("75.5"), effective="2025-07-01")
    pc.change_price(BASIC_SKU, "P1M", "monthly", unit_price="6.00", effective=date(2025, 5, 1))
    assert pc.price_changes() == [
        {"productId": "CFQ7TTC0LH18", "skuId": "0001", "termDuration": "P1M", "billingPlan": "monthly",
         "unitPrice": "6.00", "erpPrice": None, "effectiveDate": "2025-05-01", "currency": "USD"},
        {"productId": "CFQ7TTC0LH18", "skuId": "0001", "termDuration": "P1Y", "billingPlan": "annual",
         "unitPrice": "60.00", "erpPrice": "75.50", "effectiveDate": "2025-07-01", "currency": "USD"},
    ]  # fmt: skip
    with pytest.raises(TypeError):
        pc.change_price(BASIC_SKU, "P1Y", "annual", unit_price=60.0, effective=date(2025, 7, 1))
    pc.reset()
    assert pc.price_changes() == []
    assert pc.withdrawals() == []


def test_a_bad_withdrawal_is_refused_naming_the_field(pc):
    bad = pc.http.post("/_emulator/withdrawals", json={"productId": "CFQ7TTC0LH18", "effectiveDate": "2025-07-01"})
    assert (bad.status_code, bad.json()["field"]) == (400, "skuId")
    bad = pc.http.post("/_emulator/withdrawals", json={"productId": "CFQ7TTC0LH18", "skuId": "0001"})
    assert (bad.status_code, bad.json()["field"]) == (400, "effectiveDate")
    assert pc.withdrawals() == []


def test_the_price_sheet_refuses_what_partner_center_refuses(api, pc):
    assert sheet(api, timeline="CURRENT").status_code == 200
    bad = sheet(api, timeline="past")
    assert (bad.status_code, bad.json()["code"], bad.json()["data"]) == (400, 800002, ["timeline"])
    for month in ("", "2025-06", "202500", "25061"):
        bad = sheet(api, timeline="history", month=month)
        assert (bad.status_code, bad.json()["data"]) == (400, ["month"]), month
    assert sheet(api, market="XX").status_code == 400
    assert sheet(api, view="azure_consumption").status_code == 404
    future = sheet(api, timeline="future")
    assert (future.status_code, future.json()["code"]) == (404, 1000)


def test_cart_prices_follow_the_change_on_its_day(api, pc):
    pc.set_clock(datetime(2025, 6, 30, 23, tzinfo=UTC))
    pc.change_price(BASIC_SKU, "P1Y", "annual", unit_price="60.00", effective=date(2025, 7, 1))
    cid = api.create_customer()["id"]
    body = {"lineItems": [{"catalogItemId": BASIC, "quantity": 2, "termDuration": "P1Y", "billingCycle": "annual"}]}
    cart = api.post(f"/v1/customers/{cid}/carts", body).json()
    assert cart["lineItems"][0]["pricing"]["price"] == 57.6
    pc.advance(seconds=3600)
    again = api.post(f"/v1/customers/{cid}/carts", body).json()
    assert (again["lineItems"][0]["pricing"]["price"], again["lineItems"][0]["pricing"]["extendedPrice"]) == (60, 120)
    checkout = api.post(f"/v1/customers/{cid}/carts/{cart['id']}/checkout")  # priced again at checkout
    assert checkout.json()["orders"][0]["lineItems"][0]["pricing"]["price"] == 60
    assert [c["unit_price"] for c in pc.state()["charges"]] == ["60.00"]


def test_a_withdrawn_skus_subscription_renews_at_its_last_price(api, pc):
    pc.set_clock(datetime(2025, 6, 10, tzinfo=UTC))
    customer = pc.create_customer_directly(company_name="Fjord", country="NO")
    sub = pc.create_subscription_directly(customer["id"], BASIC, quantity=1, term_duration="P1M")
    pc.change_price(BASIC_SKU, "P1M", "monthly", unit_price="7.00", effective=date(2025, 6, 20))
    pc.withdraw(BASIC_SKU, effective=date(2025, 7, 1))
    pc.set_clock(datetime(2025, 7, 11, tzinfo=UTC))  # renewed on 7/10, after the end of sale
    got = api.get(f"/v1/customers/{customer['id']}/subscriptions/{sub['id']}").json()
    assert (got["status"], got["commitmentEndDate"]) == ("active", "2025-08-09T00:00:00Z")
    charges = [(c["charge_type"], c["currency"], c["unit_price"]) for c in pc.state()["charges"]]
    assert charges == [("new", "NOK", "62.21"), ("renew", "NOK", "75.60")]  # 5.76 and 7.00 × 10.80


def test_price_changes_and_withdrawals_survive_a_restart(tmp_path):
    state_file = tmp_path / "pc.json"
    with running_emulator(state_file=str(state_file)) as pc:
        pc.change_price(BASIC_SKU, "P1Y", "annual", unit_price="60.00", erp_price="75.00", effective=date(2025, 7, 1))
        pc.withdraw("CFQ7TTC0LCHC:0002", effective=date(2025, 8, 1))
        changes, withdrawals = pc.price_changes(), pc.withdrawals()
    with running_emulator(state_file=str(state_file)) as again:
        assert again.price_changes() == changes
        assert (
            again.withdrawals()
            == withdrawals
            == [{"productId": "CFQ7TTC0LCHC", "skuId": "0002", "effectiveDate": "2025-08-01"}]
        )
        again.set_clock(datetime(2025, 7, 2, tzinfo=UTC))
        headers = {"Authorization": f"Bearer {again.token()}"}
        url = again.base_url + SHEET.format(market="US", view="updatedlicensebased")
        found = csv.DictReader(io.StringIO(httpx.get(url, headers=headers).text))
        key = ("CFQ7TTC0LH18", "P1Y", "Annual")
        (row,) = [r for r in found if (r["ProductId"], r["TermDuration"], r["BillingPlan"]) == key]
        assert (row["UnitPrice"], row["ERP Price"]) == ("60.00", "75.00")
        assert row["EffectiveStartDate"] == "7/1/2025 12:00:00 AM"
