"""The price sheet and catalog as a catalog sync reads them, through the client, from the emulator
over HTTP: dated price changes, the three timelines, market currencies and end of sale."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cloudbroker.connectors.partner_center import PartnerCenterInvalidRequest, PartnerCenterNotFound
from cloudbroker.connectors.partner_center.schemas import CartLineItem, PriceSheetRow

from .conftest import BASIC, emulator_requests

pytestmark = pytest.mark.emulator


@pytest.fixture(autouse=True)
def _provisioned_during_checkout(pc):
    """These tests buy and go on at once: no provisioning delay (the pending-order tests set one)."""
    pc.set_provisioning_delay(0)


BASIC_SKU = "CFQ7TTC0LH18:0001"
PREMIUM = "CFQ7TTC0LCHC:0002:CFQ7TTC0KFFN"
JUNE = datetime(2025, 6, 15, 9, tzinfo=UTC)


def row_of(rows: list[PriceSheetRow], key: str = BASIC_SKU, term: str = "P1Y", plan: str = "Annual"):
    return [r for r in rows if r.catalog_key == key and r.term_duration == term and r.billing_plan == plan]


def line(catalog_item_id: str = BASIC, quantity: int = 2, term: str = "P1Y", cycle: str = "monthly") -> CartLineItem:
    return CartLineItem(catalog_item_id=catalog_item_id, quantity=quantity, term_duration=term, billing_cycle=cycle)


def bought(client, customer_id: str, cart_id: str) -> str:
    result = client.checkout_cart(customer_id, cart_id, request_id=uuid.uuid4())
    return result.orders[0].line_items[0].subscription_id


def test_the_current_sheet_is_the_same_on_every_read(client, pc):
    pc.set_clock(JUNE)
    first = client.get_price_sheet("US")
    pc.advance(days=40)  # another month: nothing changed, so nothing differs
    second = client.get_price_sheet("US")
    assert [r.model_dump() for r in first] == [r.model_dump() for r in second]
    (annual,) = row_of(first)
    assert (annual.unit_price, annual.erp_price) == (Decimal("57.60"), Decimal("72.00"))
    assert isinstance(annual.unit_price, Decimal)
    assert isinstance(annual.erp_price, Decimal)
    assert annual.effective_start_date == "1/1/2022 12:00:00 AM"
    assert annual.effective_start == date(2022, 1, 1)
    assert annual.effective_end is None
    assert (annual.market, annual.currency) == ("US", "USD")


def test_a_price_change_shows_in_the_sheet_only_from_its_date(client, pc):
    pc.set_clock(JUNE)
    pc.change_price(BASIC_SKU, "P1Y", "annual", unit_price="60.00", erp_price="75.00", effective=date(2025, 7, 1))

    (before,) = row_of(client.get_price_sheet("US"))
    assert before.unit_price == Decimal("57.60")
    assert before.effective_end == date(2025, 6, 30)  # the next price is known
    assert before.effective_end_date == "6/30/2025 11:59:59 PM"
    (coming,) = client.get_price_sheet("US", timeline="future")  # the only scheduled change
    assert (coming.catalog_key, coming.unit_price, coming.erp_price) == (BASIC_SKU, Decimal("60.00"), Decimal("75.00"))
    assert (coming.effective_start, coming.effective_end) == (date(2025, 7, 1), None)
    (monthly,) = row_of(client.get_price_sheet("US"), plan="Monthly")
    assert (monthly.unit_price, monthly.effective_end) == (Decimal("60.48"), None)  # another row: unchanged

    pc.set_clock(datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC))
    assert row_of(client.get_price_sheet("US"))[0].unit_price == Decimal("57.60")

    pc.set_clock(datetime(2025, 7, 1, tzinfo=UTC))
    (after,) = row_of(client.get_price_sheet("US"))
    assert (after.unit_price, after.erp_price) == (Decimal("60.00"), Decimal("75.00"))
    assert (after.effective_start, after.effective_end) == (date(2025, 7, 1), None)
    assert after.in_effect_on(date(2025, 7, 1))
    assert not after.in_effect_on(date(2025, 6, 30))
    assert client.get_price_sheet("US", timeline="future") == []


def test_history_lists_every_price_in_effect_during_the_month(client, pc):
    pc.set_clock(JUNE)
    pc.change_price(BASIC_SKU, "P1Y", "annual", unit_price="60.00", effective=date(2025, 7, 15))
    pc.set_clock(datetime(2025, 8, 3, tzinfo=UTC))

    july = row_of(client.get_price_sheet("US", timeline="history", month="202507"))
    assert [(r.unit_price, r.effective_start, r.effective_end) for r in july] == [
        (Decimal("57.60"), date(2022, 1, 1), date(2025, 7, 14)),
        (Decimal("60.00"), date(2025, 7, 15), None),
    ]
    assert july[1].erp_price == Decimal("72.00")  # only the cost was changed
    june = row_of(client.get_price_sheet("US", timeline="history", month="202506"))
    assert [(r.unit_price, r.effective_end) for r in june] == [(Decimal("57.60"), date(2025, 7, 14))]
    august = row_of(client.get_price_sheet("US", timeline="history", month="202508"))
    assert [r.unit_price for r in august] == [Decimal("60.00")]
    assert client.get_price_sheet("US", timeline="history", month="202112") == []  # before the catalog

    with pytest.raises(PartnerCenterInvalidRequest) as future_month:
        client.get_price_sheet("US", timeline="history", month="202509")
    assert future_month.value.http_status == 400
    sent = len(emulator_requests(pc))
    with pytest.raises(PartnerCenterInvalidRequest):
        client.get_price_sheet("US", timeline="history")  # refused before sending: no month
    with pytest.raises(PartnerCenterInvalidRequest):
        client.get_price_sheet("US", timeline="yesterday")
    assert len(emulator_requests(pc)) == sent


def test_no_future_changes_is_a_404_read_as_no_rows(client, pc):
    pc.set_clock(JUNE)
    assert client.get_price_sheet("US", timeline="future") == []
    assert emulator_requests(pc)[-1]["status"] == 404
    pc.change_price(BASIC_SKU, "P1M", "monthly", unit_price="8.00", effective=date(2025, 5, 1))  # already in effect
    assert client.get_price_sheet("US", timeline="future") == []
    assert row_of(client.get_price_sheet("US"), term="P1M", plan="Monthly")[0].unit_price == Decimal("8.00")


def test_each_market_has_its_currency_and_prices(client, pc):
    pc.set_clock(JUNE)
    us = {(r.catalog_key, r.term_duration, r.billing_plan): r for r in client.get_price_sheet("US")}
    no = {(r.catalog_key, r.term_duration, r.billing_plan): r for r in client.get_price_sheet("NO")}
    de = {(r.catalog_key, r.term_duration, r.billing_plan): r for r in client.get_price_sheet("DE")}
    assert us.keys() == no.keys() == de.keys()
    assert {r.currency for r in no.values()} == {"NOK"}
    assert {r.currency for r in de.values()} == {"EUR"}
    key = (BASIC_SKU, "P1Y", "Monthly")
    assert us[key].unit_price == Decimal("60.48")  # 5.04 a month
    assert no[key].unit_price == Decimal("653.16")  # 5.04 × 10.80 = 54.43 a month
    assert de[key].unit_price == Decimal("55.68")  # 5.04 × 0.92 = 4.64 a month
    assert no[key].erp_price == Decimal("816.48")  # 6.30 × 10.80 = 68.04 a month
    assert (client.list_availabilities("CFQ7TTC0LH18", "0001", "NO")[0].default_currency.code) == "NOK"

    # A Norwegian customer is sold at the NOK sheet's price: the cart, the order and the charges agree.
    customer = pc.create_customer_directly(company_name="Nordlys", country="NO")
    cart = client.create_cart(customer["id"], [line(quantity=2)], request_id=uuid.uuid4())
    (cart_line,) = cart.line_items
    assert cart_line.currency_code == "NOK"
    assert cart_line.pricing.price == Decimal("54.43")
    assert cart_line.pricing.extended_price == no[key].unit_price * 2
    result = client.checkout_cart(customer["id"], cart.id, request_id=uuid.uuid4())
    assert result.orders[0].currency_code == "NOK"
    assert result.orders[0].total_price == Decimal("1306.32")
    (charge,) = client.list_unbilled_reconciliation_line_items("NOK")
    assert (charge.currency, charge.unit_price, charge.subtotal) == ("NOK", Decimal("54.43"), Decimal("108.86"))


def test_a_changed_price_is_converted_like_the_others(client, pc):
    pc.set_clock(datetime(2025, 7, 2, tzinfo=UTC))
    pc.change_price(BASIC_SKU, "P1Y", "monthly", unit_price="72.00", effective=date(2025, 7, 1))
    assert row_of(client.get_price_sheet("US"), plan="Monthly")[0].unit_price == Decimal("72.00")
    assert row_of(client.get_price_sheet("SE"), plan="Monthly")[0].unit_price == Decimal("756.00")  # 6 × 10.50 × 12
    customer = pc.create_customer_directly(company_name="Svensk", country="SE")
    cart = client.create_cart(customer["id"], [line(quantity=1)], request_id=uuid.uuid4())
    assert (cart.line_items[0].currency_code, cart.line_items[0].pricing.price) == ("SEK", Decimal("63.00"))


def test_a_subscription_keeps_its_price_until_it_renews(client, pc):
    pc.set_clock(JUNE)
    customer = pc.create_customer_directly(company_name="Locked")
    cart = client.create_cart(customer["id"], [line(quantity=3, term="P1M")], request_id=uuid.uuid4())
    sub_id = bought(client, customer["id"], cart.id)
    pc.change_price(BASIC_SKU, "P1M", "monthly", unit_price="9.00", effective=date(2025, 7, 1))

    pc.set_clock(datetime(2025, 7, 2, tzinfo=UTC))  # new price in effect, the term bought in June runs on
    client.update_subscription(customer["id"], sub_id, quantity=4, request_id=uuid.uuid4())
    pc.set_clock(datetime(2025, 7, 16, tzinfo=UTC))  # renewed on 7/15
    charges = [(c["charge_type"], c["unit_price"]) for c in pc.state()["charges"]]
    assert charges == [("new", "5.76"), ("addQuantity", "5.76"), ("addQuantity", "5.76"), ("renew", "9.00")]


def test_a_withdrawn_sku_leaves_the_catalog_but_its_subscriptions_go_on(client, pc):
    pc.set_clock(JUNE)
    customer = pc.create_customer_directly(company_name="Early")
    cart = client.create_cart(customer["id"], [line(quantity=2)], request_id=uuid.uuid4())
    sub_id = bought(client, customer["id"], cart.id)
    pc.withdraw(BASIC_SKU, effective=date(2025, 7, 1))
    pc.set_clock(datetime(2025, 6, 30, 12, tzinfo=UTC))
    late_cart = client.create_cart(customer["id"], [line(quantity=1)], request_id=uuid.uuid4())
    assert late_cart.line_errors == []  # still on sale today
    assert pc.withdrawals() == [{"productId": "CFQ7TTC0LH18", "skuId": "0001", "effectiveDate": "2025-07-01"}]

    # Until then it is on sale; its sheet rows end the day before.
    assert "CFQ7TTC0LH18" in {p.id for p in client.list_products("US")}
    assert {r.effective_end for r in client.get_price_sheet("US") if r.catalog_key == BASIC_SKU} == {date(2025, 6, 30)}

    pc.set_clock(datetime(2025, 7, 1, tzinfo=UTC))
    products = {p.id for p in client.list_products("US")}
    assert "CFQ7TTC0LH18" not in products
    assert "CFQ7TTC0LCHC" in products
    with pytest.raises(PartnerCenterNotFound) as product:
        client.get_product("CFQ7TTC0LH18", "US")
    assert (product.value.http_status, product.value.microsoft_code) == (404, "400013")
    for read in (
        lambda: client.list_skus("CFQ7TTC0LH18", "US"),
        lambda: client.get_sku("CFQ7TTC0LH18", "0001", "US"),
        lambda: client.list_availabilities("CFQ7TTC0LH18", "0001", "US"),
        lambda: client.get_availability("CFQ7TTC0LH18", "0001", "CFQ7TTC0K971", "US"),
    ):
        with pytest.raises(PartnerCenterNotFound):
            read()
    assert not [r for r in client.get_price_sheet("US") if r.catalog_key == BASIC_SKU]
    june = [r for r in client.get_price_sheet("US", timeline="history", month="202506") if r.catalog_key == BASIC_SKU]
    assert june
    assert {r.effective_end for r in june} == {date(2025, 6, 30)}

    # Buying it fails as Partner Center does: a line error in a new cart, 404 400019 at checkout.
    refused = client.create_cart(customer["id"], [line(quantity=1)], request_id=uuid.uuid4())
    ((_, error),) = refused.line_errors
    assert error.error_code == 400019
    with pytest.raises(PartnerCenterNotFound) as checkout:
        client.checkout_cart(customer["id"], late_cart.id, request_id=uuid.uuid4())
    assert checkout.value.microsoft_code == "400019"

    # The subscription bought before the end of sale keeps working.
    sub = client.update_subscription(customer["id"], sub_id, quantity=5, request_id=uuid.uuid4())
    assert (sub.quantity, sub.status) == (5, "active")
    assert [s.id for s in client.list_subscriptions(customer["id"])] == [sub_id]
    other = client.create_cart(customer["id"], [line(PREMIUM, quantity=1)], request_id=uuid.uuid4())
    assert other.line_errors == []


def test_sheet_dates_are_read_in_microsofts_format_and_iso():
    def row(start: str, end: str = "") -> PriceSheetRow:
        return PriceSheetRow(product_id="P", sku_id="S", effective_start_date=start, effective_end_date=end)

    assert row("2/1/2019 12:00:00 AM").effective_start == date(2019, 2, 1)
    assert row("2/1/2019 12:00:00 AM", "2/4/2021 8:35:31 PM").effective_end_at == datetime(
        2021, 2, 4, 20, 35, 31, tzinfo=UTC
    )
    assert row("12/31/2024").effective_start == date(2024, 12, 31)
    assert row("2019-02-01").effective_start == date(2019, 2, 1)
    assert row("2019-02-01T23:30:00Z", "2019-03-01T00:00:00+01:00").effective_end_at == datetime(
        2019, 2, 28, 23, tzinfo=UTC
    )
    assert row("", "").effective_start is None
    assert row("1/1/2022 12:00:00 AM").effective_end is None
    with pytest.raises(ValueError, match="EffectiveEndDate"):
        _ = row("1/1/2022", "soon").effective_end
    (parsed,) = PriceSheetRow.parse_csv(
        '"ProductId","SkuId","UnitPrice","ERP Price","EffectiveStartDate","EndofSaleDate"\r\n'
        '"CFQ7TTC0LH18","0001","57.60","72.00","1/1/2022 12:00:00 AM","7/1/2025 12:00:00 AM"\r\n'
    )
    assert parsed.unit_price == Decimal("57.60")
    assert type(parsed.erp_price) is Decimal
    assert parsed.end_of_sale == date(2025, 7, 1)
