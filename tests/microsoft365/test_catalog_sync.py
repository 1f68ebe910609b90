"""The catalog sync against the Partner Center emulator over HTTP: the emulator's NCE catalog and price
sheet become categories, product groups, products (add-ons attached to their bases), offers and
vendor prices with the sheet's numbers; a second sync changes nothing; a price sheet in another
currency is refused before anything is written; a product Partner Center stops listing is
withdrawn, never deleted, and comes back when listed again; a new price on a later date closes the
one before it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cloudbroker.catalog.models import Category, Offer, Product, ProductGroup, VendorPrice, item_code
from cloudbroker.connectors.partner_center.schemas import PriceSheetRow
from cloudbroker.core.errors import Conflict
from cloudbroker.microsoft365.catalog_sync import CHANGES, _prices_by_offer, group_rule_for, sync_catalog
from cloudbroker.microsoft365.sync import SyncResult
from partner_center_emulator import catalog as emulator_catalog
from partner_center_emulator import pricing as emulator_pricing

pytestmark = pytest.mark.django_db

BASIC = "CFQ7TTC0LH18:0001"
PHONE = "CFQ7TTC0LH1G:0001"  # Teams Phone Standard, an add-on
POWER_BI = "CFQ7TTC0L3PB"
CATALOG_MODELS = (Category, ProductGroup, Product, Offer, VendorPrice)


def first_of_month(moment: dt.datetime) -> dt.date:
    return moment.date().replace(day=1)


def sheet_price(offer, term: str, plan: str, *, erp: bool = False, currency: str = "EUR") -> Decimal:
    """The emulator's price sheet's UnitPrice (or ERP Price) of a row at its base price, in a currency."""
    usd = emulator_catalog.term_price(offer, term, plan, erp=erp)
    return emulator_pricing.to_currency(usd, term, plan, currency)[1]


def stamps() -> dict:
    """Every catalog row's updated_at, by model and id."""
    return {model.__name__: dict(model.objects.values_list("pk", "updated_at")) for model in CATALOG_MODELS}


def test_a_first_sync_writes_the_catalog_with_the_price_sheets_numbers(broker, pc_connection, pc):
    result = sync_catalog(broker.pk)

    offers = emulator_catalog.OFFERS
    assert result["products_created"] == len(offers)
    assert result["offers_created"] == sum(len(o.terms) for o in offers)
    assert result["prices_created"] == result["offers_created"]
    assert result["offers_unpriced"] == 0
    assert not result.get("failures")

    categories = {c.slug: c for c in Category.objects.filter(broker=broker)}
    assert set(categories) == {"licence-based", "add-ons"}  # the emulator sells no trials
    assert categories["licence-based"].position < categories["add-ons"].position
    groups = list(ProductGroup.objects.filter(broker=broker).values_list("name", flat=True))  # by position
    assert groups == [
        "Microsoft 365",
        "Office 365",
        "Microsoft Teams",
        "Exchange Online",
        "Microsoft Defender",
        "Microsoft Entra",
        "Power BI",
    ]

    products = {p.product_sku: p for p in Product.objects.filter(broker=broker).select_related("category", "group")}
    assert set(products) == {o.product_sku for o in offers}
    basic = products[BASIC]
    assert (basic.title, basic.category.slug, basic.group.name) == (
        "Microsoft 365 Business Basic",
        "licence-based",
        "Microsoft 365",
    )
    assert (basic.is_addon, basic.is_trial, basic.minimum_quantity, basic.maximum_quantity) == (False, False, 1, 300)
    assert basic.description == emulator_catalog.BY_PRODUCT_SKU[BASIC].description
    defender_o365 = products["CFQ7TTC0LCHG:0001"]
    assert (defender_o365.group.name, defender_o365.category.slug) == ("Microsoft Defender", "add-ons")
    assert products["CFQ7TTC0LH2H:0001"].group.name == "Exchange Online"  # the archiving add-on

    # Add-ons attach to their prerequisite SKUs, matched to products here.
    for offer in offers:
        product = products[offer.product_sku]
        assert product.is_addon == offer.is_addon
        attached = {p.product_sku for p in product.attaches_to.all()}
        assert attached == set(offer.prerequisite_skus), offer.product_sku
    assert products[BASIC] in products[PHONE].attaches_to.all()
    assert products[PHONE] in products[BASIC].addons.all()

    # An offer per term and billing plan of the availability, with Partner Center's prices.
    sheet_date = emulator_pricing.CATALOG_START  # the base prices' EffectiveStartDate
    for offer in offers:
        for term, plan in offer.terms:
            code = item_code(offer.product_sku, term, plan)
            row = Offer.objects.get(broker=broker, item_code=code)
            assert (row.product_id, row.term, row.billing_plan) == (products[offer.product_sku].pk, term, plan)
            assert row.availability_id == offer.availability_id
            assert row.withdrawn_on is None
            [price] = row.vendor_prices.all()
            assert (price.market, price.currency) == ("DE", "EUR")
            assert price.cost == sheet_price(offer, term, plan)
            assert price.erp == sheet_price(offer, term, plan, erp=True)
            assert (price.effective_from, price.effective_to) == (sheet_date, None)
    basic_year_monthly = VendorPrice.objects.get(offer__item_code=f"{BASIC}:P1Y:monthly")
    assert isinstance(basic_year_monthly.cost, Decimal)
    # ERP $6.00 a month, cost 80 %, monthly billing of a year 5 % more: 12 × $5.04, × 0.92 in EUR
    # per monthly charge (4.64) for the term.
    assert basic_year_monthly.cost == Decimal("55.68")
    assert basic_year_monthly.erp == Decimal("69.60")


def test_a_second_sync_changes_nothing(broker, pc_connection, django_assert_max_num_queries):
    sync_catalog(broker.pk)
    before = stamps()

    with django_assert_max_num_queries(15):  # loads and a lock; nothing per product or offer
        again = sync_catalog(broker.pk)

    assert {key: again[key] for key in CHANGES} == dict.fromkeys(CHANGES, 0)
    assert again["products"] == len(emulator_catalog.OFFERS)
    assert stamps() == before


def test_the_first_sync_takes_a_bounded_number_of_queries(broker, pc_connection, django_assert_max_num_queries):
    with django_assert_max_num_queries(25):
        result = sync_catalog(broker.pk)
    assert result["prices_created"] > 50


def test_a_price_sheet_in_another_currency_is_refused_before_anything_is_written(broker, pc_connection):
    broker.market = "NO"
    broker.save()

    with pytest.raises(Conflict) as refused:
        sync_catalog(broker.pk)

    message = refused.value.message
    assert "The price sheet of market NO is in NOK; the broker sells in EUR" in message
    assert refused.value.details["price_sheet_currency"] == "NOK"
    assert all(not model.objects.exists() for model in CATALOG_MODELS)


def test_a_product_no_longer_listed_is_withdrawn_not_deleted_and_returns_when_listed_again(broker, pc_connection, pc):
    sync_catalog(broker.pk)
    power_bi = Product.objects.get(broker=broker, vendor_product_id=POWER_BI)
    prices = VendorPrice.objects.filter(offer__product=power_bi).count()
    assert prices == 3

    pc.withdraw(f"{POWER_BI}:0001", effective=pc.now().date())  # end of sale from today
    result = sync_catalog(broker.pk)

    today = timezone.localdate()
    power_bi.refresh_from_db()
    assert power_bi.withdrawn_on == today
    assert (result["products_withdrawn"], result["offers_withdrawn"]) == (1, 3)
    assert set(Offer.objects.filter(product=power_bi).values_list("withdrawn_on", flat=True)) == {today}
    assert VendorPrice.objects.filter(offer__product=power_bi).count() == prices
    assert Product.objects.filter(broker=broker, withdrawn_on__isnull=True).count() == len(emulator_catalog.OFFERS) - 1
    # Withdrawn once is enough: the next sync leaves it as it is.
    assert sync_catalog(broker.pk)["products_withdrawn"] == 0

    # Microsoft moves the end of sale to next year: it is on sale again.
    pc.withdraw(f"{POWER_BI}:0001", effective=pc.now().date() + dt.timedelta(days=365))
    back = sync_catalog(broker.pk)
    power_bi.refresh_from_db()
    assert power_bi.withdrawn_on is None
    assert (back["products_returned"], back["offers_returned"]) == (1, 3)
    assert not Offer.objects.filter(product=power_bi, withdrawn_on__isnull=False).exists()


def test_a_new_price_on_a_later_date_closes_the_one_before_and_the_same_date_is_corrected(broker, pc_connection, pc):
    sync_catalog(broker.pk)
    next_month = (first_of_month(pc.now()) + dt.timedelta(days=32)).replace(day=1)
    code = f"{BASIC}:P1Y:annual"
    offer = Offer.objects.get(item_code=code)
    basic = emulator_catalog.BY_PRODUCT_SKU[BASIC]
    old_cost, old_erp = sheet_price(basic, "P1Y", "annual"), sheet_price(basic, "P1Y", "annual", erp=True)

    # Scheduled for the first of next month (the future price sheet lists it).
    pc.change_price(BASIC, "P1Y", "annual", unit_price="66.00", effective=next_month)
    result = sync_catalog(broker.pk)

    assert (result["prices_created"], result["prices_changed"]) == (1, 1)  # the new row; the one before, closed
    earlier, later = VendorPrice.objects.filter(offer=offer).order_by("effective_from")
    assert (earlier.effective_from, earlier.effective_to, earlier.cost, earlier.erp) == (
        emulator_pricing.CATALOG_START,
        next_month - dt.timedelta(days=1),
        old_cost,
        old_erp,
    )
    assert (later.effective_from, later.effective_to, later.cost, later.erp) == (
        next_month,
        None,
        Decimal("60.72"),  # $66.00 × 0.92
        old_erp,
    )
    assert sync_catalog(broker.pk)["prices_created"] == 0

    # Other numbers for the same date correct that date's row; no row is added.
    pc.change_price(BASIC, "P1Y", "annual", unit_price="70.00", erp_price="90.00", effective=next_month)
    corrected = sync_catalog(broker.pk)
    assert (corrected["prices_created"], corrected["prices_changed"]) == (0, 1)
    later.refresh_from_db()
    assert (later.cost, later.erp) == (Decimal("64.40"), Decimal("82.80"))
    assert VendorPrice.objects.filter(offer=offer).count() == 2


@pytest.mark.parametrize(
    ("title", "group"),
    [
        ("Microsoft 365 Business Premium", "Microsoft 365"),
        ("Microsoft 365 Copilot", "Microsoft Copilot"),
        ("Office 365 E3", "Office 365"),
        ("Office 365 E5 (no Teams)", "Office 365"),
        ("Microsoft Teams Phone Standard", "Microsoft Teams"),
        ("Exchange Online Archiving for Exchange Online", "Exchange Online"),
        ("Microsoft Defender for Office 365 (Plan 1)", "Microsoft Defender"),
        ("Microsoft Entra ID P1", "Microsoft Entra"),
        ("Azure Active Directory Premium P2", "Microsoft Entra"),
        ("Power BI Pro", "Power BI"),
        ("Microsoft Intune Suite", "Other"),
    ],
)
def test_product_groups_follow_the_title(title, group):
    assert group_rule_for(title).name == group


def test_a_price_sheet_row_that_cannot_be_read_is_named_and_left_out():
    def row(**fields):
        base = {"product_id": "CFQ7TTC0LH18", "sku_id": "0001", "term_duration": "P1Y", "billing_plan": "Annual"}
        return PriceSheetRow.model_validate({**base, **fields})

    result = SyncResult()
    prices = _prices_by_offer(
        [
            row(unit_price="72", erp_price="90", effective_start_date="2/1/2026 12:00:00 AM"),
            row(unit_price="72", effective_start_date="soon"),
            row(unit_price="-1", effective_start_date="3/1/2026"),
            row(effective_start_date="4/1/2026"),
        ],
        result,
    )
    [(key, by_date)] = prices.items()
    assert key == ("CFQ7TTC0LH18", "0001", "P1Y", "annual")  # billing plans are matched case-insensitively
    assert {day: (p.cost, p.erp) for day, p in by_date.items()} == {dt.date(2026, 2, 1): (Decimal("72"), Decimal("90"))}
    assert result["failures"] == [
        "price sheet row 2 (CFQ7TTC0LH18:0001 P1Y Annual): EffectiveStartDate 'soon' is not a date "
        "(expected e.g. '2/1/2019 12:00:00 AM').",
        "price sheet row 3 (CFQ7TTC0LH18:0001 P1Y Annual): the price -1 cannot be used",
        "price sheet row 4 (CFQ7TTC0LH18:0001 P1Y Annual): UnitPrice is empty",
    ]
