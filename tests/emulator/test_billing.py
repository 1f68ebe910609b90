"""Charges with the documented daily proration, invoices and reconciliation line items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from partner_center_emulator import catalog, nce
from partner_center_emulator.state import Store

from .conftest import BASIC


def _sub_at(store: Store, when: datetime, price: str = "10.08"):
    offer = catalog.find_offer(BASIC)
    sub = nce.new_subscription(store, customer_id="c", offer=offer, quantity=10, term="P1M", billing_cycle="monthly",
                               currency="EUR", now=when)  # fmt: skip
    sub.unit_price = Decimal(price)
    store.charges[-1].unit_price = store.charges[-1].effective_unit_price = Decimal(price)
    return sub


def test_documented_add_and_remove_examples():
    store = Store()
    sub = _sub_at(store, datetime(2025, 6, 18, 10, tzinfo=UTC))
    assert (store.charges[0].charge_start, store.charges[0].charge_end) == (date(2025, 6, 18), date(2025, 7, 17))
    nce.change_quantity(store, sub, 12, datetime(2025, 6, 20, 10, tzinfo=UTC))
    refund, charge = store.charges[1:3]
    assert refund.charge_type == charge.charge_type == "addQuantity"
    assert refund.reference_id == charge.reference_id
    assert refund.effective_unit_price == Decimal("-9.408")
    assert refund.subtotal == Decimal("-94.08")
    assert charge.subtotal == Decimal("112.89")
    nce.change_quantity(store, sub, 8, datetime(2025, 6, 20, 11, tzinfo=UTC))
    assert [c.subtotal for c in store.charges[3:5]] == [Decimal("-112.89"), Decimal("75.26")]


def test_cancellation_after_24_hours_refunds_the_remaining_days():
    store = Store()
    sub = _sub_at(store, datetime(2025, 7, 15, 8, tzinfo=UTC))
    nce.change_status(store, sub, "deleted", datetime(2025, 7, 17, 9, tzinfo=UTC))
    cancel = store.charges[-1]
    assert cancel.charge_type == "cancelImmediate"
    assert (cancel.charge_start, cancel.charge_end) == (date(2025, 7, 17), date(2025, 8, 14))
    # Microsoft's worked example: 10.08 / 31 x 29 = 9.4297 -> the unit price truncated to 9.42 first,
    # times 10 seats = 94.20 (not 94.297 truncated to 94.29).
    assert cancel.effective_unit_price == Decimal("-9.42")
    assert cancel.subtotal == Decimal("-94.20")


def test_cancellation_within_24_hours_refunds_everything():
    store = Store()
    sub = _sub_at(store, datetime(2025, 7, 15, 8, tzinfo=UTC))
    nce.change_status(store, sub, "deleted", datetime(2025, 7, 16, 7, tzinfo=UTC))
    assert store.charges[-1].subtotal == Decimal("-100.80")


def test_monthly_end_dates_clamp_to_the_month_end():
    assert nce.term_end(date(2025, 1, 31), "P1M") == date(2025, 2, 27)
    assert nce.term_end(date(2025, 5, 31), "P1M") == date(2025, 6, 29)
    assert nce.term_end(date(2021, 1, 31), "P1Y") == date(2022, 1, 30)


def test_invoice_and_line_items_after_the_month_closes(api, pc):
    pc.set_clock(datetime(2025, 6, 18, 9, tzinfo=UTC))
    cid = api.create_customer()["id"]
    sub = api.buy(cid, BASIC, quantity=10, term="P1M")
    unbilled = api.get("/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems"
                       "&currencycode=USD&period=current").json()  # fmt: skip
    assert [line["chargeType"] for line in unbilled["items"]] == ["new"]
    assert api.get("/v1/invoices").json()["items"] == []
    pc.set_clock(datetime(2025, 7, 8, 1, tzinfo=UTC))
    invoices = api.get("/v1/invoices").json()["items"]
    assert [i["id"] for i in invoices] == ["G250600001"]
    price = catalog.unit_price(catalog.find_offer(BASIC), "P1M", "monthly")
    assert invoices[0]["totalCharges"] == float(price * 10)
    lines = api.get("/v1/invoices/G250600001/lineitems?provider=onetime&invoicelineitemtype=billinglineitems"
                    "&size=10").json()  # fmt: skip
    line = lines["items"][0]
    assert line["subscriptionId"] == sub["id"]
    assert line["chargeType"] == "new"
    assert line["chargeStartDate"] == "2025-06-18T00:00:00Z"
    assert line["chargeEndDate"] == "2025-07-17T00:00:00Z"
    assert line["invoiceNumber"] == "G250600001"
    assert line["attributes"]["objectType"] == "OneTimeInvoiceLineItem"


def test_monthly_billing_of_an_annual_term_makes_cycle_charges(api, pc):
    pc.set_clock(datetime(2025, 1, 31, 9, tzinfo=UTC))
    cid = api.create_customer()["id"]
    api.buy(cid, BASIC, quantity=1, term="P1Y", cycle="monthly")
    pc.set_clock(datetime(2025, 4, 1, 9, tzinfo=UTC))
    charges = pc.state()["charges"]
    assert [(c["charge_type"], c["charge_start"]) for c in charges] == [
        ("new", "2025-01-31"),
        ("cycleCharge", "2025-02-28"),
        ("cycleCharge", "2025-03-31"),
    ]
