"""The pricing rules: which entry prices an offer on a day, what each kind of entry computes, and
that no float ever appears (Hypothesis over random costs, rules and overrides)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudbroker.catalog.choices import BillingPlan, PriceKind, TermDuration
from cloudbroker.catalog.pricing import PriceBook, apply_kind, margin_percent
from cloudbroker.core.money import Money
from tests.factories import OfferFactory, OrganizationFactory, PriceEntryFactory, VendorPriceFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)


@pytest.fixture
def offer(broker):
    # One year billed monthly: the term's cost 96.00 is 8.00 a month, its ERP 120.00 is 10.00.
    offer = OfferFactory(product__broker=broker)
    VendorPriceFactory(offer=offer)
    return offer


def price(offer, organization=None, day=DAY):
    return PriceBook(offer.broker, organization=organization, day=day).price(offer)


def test_without_an_entry_the_price_is_microsofts_retail_price(offer):
    p = price(offer)
    assert (p.sales, p.cost, p.erp) == (Money("10.00", "EUR"), Money("8", "EUR"), Money("10", "EUR"))
    assert p.level == "retail"
    assert p.source == "Microsoft's retail price (no price list entry)"
    assert p.margin_percent == Decimal(20)
    assert p.margin_amount == Money("2", "EUR")


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (PriceKind.MARGIN, "20", "10.00"),  # 8 / 0.8
        (PriceKind.MARKUP, "20", "9.60"),  # 8 × 1.2
        (PriceKind.ERP_DISCOUNT, "5", "9.50"),  # 10 × 0.95
        (PriceKind.AMOUNT, "12.34", "12.34"),
        (PriceKind.MARGIN, "33.3333", "12.00"),  # 8 / 0.666667 = 11.99999… → 12.00, rounded once
    ],
)
def test_each_kind_of_entry(offer, kind, value, expected):
    target = {"offer": offer} if kind == PriceKind.AMOUNT else {}
    PriceEntryFactory(broker=offer.broker, kind=kind, value=Decimal(value), **target)
    assert price(offer).sales == Money(expected, "EUR")


def test_charges_per_term_divide_the_term_price(broker):
    annual = OfferFactory(product__broker=broker, term=TermDuration.P1Y, billing_plan=BillingPlan.ANNUAL)
    triennial_yearly = OfferFactory(product=annual.product, term=TermDuration.P3Y, billing_plan=BillingPlan.ANNUAL)
    VendorPriceFactory(offer=annual, cost=Decimal("96"), erp=Decimal("120"))
    VendorPriceFactory(offer=triennial_yearly, cost=Decimal("270"), erp=Decimal("330"))
    assert price(annual).cost == Money("96", "EUR")
    assert price(triennial_yearly).cost == Money("90", "EUR")
    assert price(triennial_yearly).sales == Money("110.00", "EUR")


def test_the_most_specific_slot_wins_and_the_customer_before_the_global_list(offer):
    broker, product = offer.broker, offer.product
    org = OrganizationFactory(broker=broker)
    PriceEntryFactory(broker=broker, kind=PriceKind.MARGIN, value=Decimal(10))  # every product
    assert price(offer).source.startswith("Global price list: Margin 10 % on cost (every product")
    PriceEntryFactory(broker=broker, category=product.category, kind=PriceKind.MARGIN, value=Decimal(15))
    PriceEntryFactory(broker=broker, group=product.group, kind=PriceKind.MARGIN, value=Decimal(20))
    assert price(offer).sales == Money("10.00", "EUR")
    assert f"product group {product.group.name}" in price(offer).source
    PriceEntryFactory(broker=broker, product=product, kind=PriceKind.MARKUP, value=Decimal(50))
    PriceEntryFactory(broker=broker, offer=offer, kind=PriceKind.AMOUNT, value=Decimal("11.11"))
    assert price(offer).sales == Money("11.11", "EUR")
    # The organization sees the global list until it has an entry of its own, even a broad one.
    assert price(offer, org).sales == Money("11.11", "EUR")
    assert price(offer, org).level == "global"
    PriceEntryFactory(broker=broker, organization=org, kind=PriceKind.ERP_DISCOUNT, value=Decimal(10))
    customer = price(offer, org)
    assert (customer.sales, customer.level) == (Money("9.00", "EUR"), "customer")
    assert customer.source.startswith("Customer price: Discount 10 % off Microsoft's retail price")
    # Another organization is not affected.
    assert price(offer, OrganizationFactory(broker=broker)).sales == Money("11.11", "EUR")
    # Reading only the entries that can price this offer gives the same answer.
    other = OfferFactory(product__broker=broker)
    PriceEntryFactory(broker=broker, organization=org, offer=other, kind=PriceKind.AMOUNT, value=Decimal(1))
    narrow = PriceBook(broker, organization=org, day=DAY, for_offers=[offer])
    assert (narrow.price(offer).sales, narrow.price(offer).source) == (customer.sales, customer.source)
    full = PriceBook(broker, organization=org, day=DAY)
    full._load(None)
    assert narrow._slot_count < full._slot_count
    # Asked for another offer later, the narrow book reads what prices that one too.
    assert narrow.price(other).sales == Money("1.00", "EUR")


def test_the_price_on_a_day_follows_the_dates_and_inherit_clears_a_slot(offer):
    broker = offer.broker
    PriceEntryFactory(broker=broker, offer=offer, kind=PriceKind.AMOUNT, value=Decimal("9"), effective_from=DAY)
    PriceEntryFactory(
        broker=broker, offer=offer, kind=PriceKind.AMOUNT, value=Decimal("9.5"), effective_from=dt.date(2026, 8, 1)
    )
    PriceEntryFactory(
        broker=broker, offer=offer, kind=PriceKind.INHERIT, value=None, effective_from=dt.date(2026, 10, 1)
    )
    assert price(offer, day=DAY - dt.timedelta(days=1)).level == "retail"
    assert price(offer, day=DAY).sales == Money("9.00", "EUR")
    assert price(offer, day=dt.date(2026, 7, 31)).sales == Money("9.00", "EUR")
    assert price(offer, day=dt.date(2026, 8, 1)).sales == Money("9.50", "EUR")
    assert price(offer, day=dt.date(2026, 10, 1)).level == "retail"


def test_vendor_prices_follow_their_dates(offer):
    VendorPriceFactory(offer=offer, cost=Decimal("120"), erp=Decimal("150"), effective_from=dt.date(2026, 7, 1))
    assert price(offer, day=dt.date(2026, 6, 30)).cost == Money("8", "EUR")
    assert price(offer, day=dt.date(2026, 7, 1)).cost == Money("10", "EUR")
    assert price(offer, day=dt.date(2025, 12, 31)).cost is None  # before the catalog knew it
    assert price(offer, day=dt.date(2025, 12, 31)).sales is None


def test_a_vendor_price_in_another_currency_is_not_used(offer):
    offer.vendor_prices.update(currency="USD")
    p = price(offer)
    assert (p.cost, p.erp, p.sales) == (None, None, None)


def test_below_cost(offer):
    PriceEntryFactory(broker=offer.broker, offer=offer, kind=PriceKind.AMOUNT, value=Decimal("7.99"))
    p = price(offer)
    assert p.below_cost
    assert p.margin_percent < 0


def test_the_price_book_reads_a_constant_number_of_queries(broker, django_assert_max_num_queries):
    offers = [OfferFactory(product__broker=broker) for _ in range(3)]
    for o in offers:
        VendorPriceFactory(offer=o)
    org = OrganizationFactory(broker=broker)

    def all_prices():
        from cloudbroker.catalog.models import Offer

        rows = Offer.objects.filter(broker=broker).select_related("product__group", "product__category")
        return PriceBook(broker, organization=org, day=DAY).prices(rows)

    with django_assert_max_num_queries(3):
        assert len(all_prices()) == 3
    more = [OfferFactory(product__broker=broker) for _ in range(10)]
    for o in more:
        VendorPriceFactory(offer=o)
        PriceEntryFactory(broker=broker, organization=org, offer=o, kind=PriceKind.AMOUNT, value=Decimal(5))
    with django_assert_max_num_queries(3):
        assert len(all_prices()) == 13


# -- properties over random numbers ----------------------------------------------------------------

costs = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=6, allow_nan=False)
percent = st.decimals(min_value=Decimal("-99.9999"), max_value=Decimal("99.9999"), places=4, allow_nan=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cost=costs,
    erp_extra=costs,
    kind=st.sampled_from([PriceKind.MARGIN, PriceKind.MARKUP, PriceKind.ERP_DISCOUNT]),
    value=percent,
)
def test_a_rule_computes_what_it_says_and_rounds_once(cost, erp_extra, kind, value):
    c, e = Money(cost, "EUR"), Money(cost + erp_extra, "EUR")
    sales = apply_kind(kind, value, cost=c, erp=e, currency="EUR")
    assert isinstance(sales.amount, Decimal)
    assert sales.amount == sales.amount.quantize(Decimal("0.01"))
    exact = {
        PriceKind.MARGIN: cost / (1 - value / 100),
        PriceKind.MARKUP: cost * (1 + value / 100),
        PriceKind.ERP_DISCOUNT: (cost + erp_extra) * (1 - value / 100),
    }[kind]
    assert abs(sales.amount - exact) <= Decimal("0.005")
    if sales.amount:
        m = margin_percent(sales, c)
        assert isinstance(m, Decimal)
        # The margin of the rounded price agrees with the amounts it is made of.
        assert m == (sales.amount - cost) / sales.amount * 100
        if kind == PriceKind.MARGIN and sales.amount >= 1:
            # A margin rule gives (almost exactly, the price being rounded to the cent) that margin.
            assert abs(m - value) <= Decimal("0.5") / sales.amount * 100 + Decimal("0.0001")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cost=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2),
    broad=percent,
    own=st.one_of(st.none(), st.decimals(min_value=Decimal("0"), max_value=Decimal("9999"), places=2)),
    customer=st.one_of(st.none(), percent),
)
def test_overrides_pick_the_rule_they_should(offer, cost, broad, own, customer):
    from cloudbroker.catalog.models import PriceEntry

    PriceEntry.objects.filter(broker=offer.broker).delete()
    offer.vendor_prices.update(cost=cost * 12, erp=cost * 15)
    org = OrganizationFactory(broker=offer.broker)
    PriceEntryFactory(broker=offer.broker, kind=PriceKind.MARGIN, value=broad)
    if own is not None:
        PriceEntryFactory(broker=offer.broker, offer=offer, kind=PriceKind.AMOUNT, value=own)
    if customer is not None:
        PriceEntryFactory(broker=offer.broker, organization=org, kind=PriceKind.MARKUP, value=customer)
    c = Money(cost, "EUR")
    p = price(offer, org)
    if customer is not None:
        expected = apply_kind(PriceKind.MARKUP, customer, cost=c, erp=None, currency="EUR")
    elif own is not None:
        expected = Money(own, "EUR")
    else:
        expected = apply_kind(PriceKind.MARGIN, broad, cost=c, erp=None, currency="EUR")
    assert p.sales == expected
    assert p.cost == c
    for amount in (p.sales, p.cost, p.erp, p.margin_amount):
        assert not isinstance(amount.amount, float)
    assert p.below_cost == (p.sales < p.cost)


def test_the_price_list_of_plain_rows_prices_as_the_objects_do(broker):
    from cloudbroker.catalog.models import Offer
    from cloudbroker.catalog.services import offered_offers

    org = OrganizationFactory(broker=broker)
    offers = [
        OfferFactory(product__broker=broker, term=term, billing_plan=plan)
        for term, plan in (("P1M", "monthly"), ("P1Y", "monthly"), ("P1Y", "annual"), ("P3Y", "annual"))
    ]
    for o in offers:
        VendorPriceFactory(offer=o, cost=Decimal("360"), erp=Decimal("450"))
    PriceEntryFactory(broker=broker, group=offers[0].product.group, kind=PriceKind.MARKUP, value=Decimal("12.5"))
    PriceEntryFactory(broker=broker, organization=org, offer=offers[1], kind=PriceKind.AMOUNT, value=Decimal("31"))
    book = PriceBook(broker, organization=org, day=DAY)
    rows = book.price_list(offered_offers(broker, organization=org, day=DAY))
    objects = Offer.objects.filter(broker=broker).select_related("product__group", "product__category")
    expected = PriceBook(broker, organization=org, day=DAY).prices(objects)
    assert len(rows) == 4
    for row, p in rows:
        e = expected[row.id]
        assert (p.sales, p.cost, p.erp, p.level, p.source) == (e.sales, e.cost, e.erp, e.level, e.source)
    by_code = {row.item_code: p for row, p in rows}
    assert by_code[offers[1].item_code].sales == Money("31.00", "EUR")
    assert by_code[offers[3].item_code].cost == Money("120", "EUR")  # three charges in a 3-year term
    assert f"product group {offers[0].product.group.name}" in by_code[offers[0].item_code].source


def test_without_cost_a_rule_on_cost_hides_its_percentage(offer):
    PriceEntryFactory(broker=offer.broker, kind=PriceKind.MARGIN, value=Decimal(20))
    p = price(offer)
    assert "Margin 20 % on cost" in p.source
    hidden = p.source_for(with_cost=False)
    assert hidden.startswith("Global price list: a rule on cost (every product")
    assert "20" not in hidden.split("(")[0]
    PriceEntryFactory(broker=offer.broker, offer=offer, kind=PriceKind.ERP_DISCOUNT, value=Decimal(5))
    # A discount off the public retail price tells nothing of the cost: shown as it is.
    assert "Discount 5 % off" in price(offer).source_for(with_cost=False)


def test_the_price_list_follows_scheduled_prices_day_by_day_as_the_objects_do(broker):
    """Scheduled entries, "no own price" and a vendor price change: on each day around them the
    plain-row list gives what pricing each offer object gives, entry and all."""
    from cloudbroker.catalog.models import Offer, PriceEntry
    from cloudbroker.catalog.services import offered_offers

    org = OrganizationFactory(broker=broker)
    first, second = (OfferFactory(product__broker=broker) for _ in range(2))
    for o in (first, second):
        VendorPriceFactory(offer=o, cost=Decimal("96"), erp=Decimal("120"), effective_to=dt.date(2026, 6, 30))
        VendorPriceFactory(offer=o, cost=Decimal("120"), erp=Decimal("150"), effective_from=dt.date(2026, 7, 1))
    PriceEntryFactory(broker=broker, kind=PriceKind.MARGIN, value=Decimal(20))
    PriceEntryFactory(broker=broker, organization=org, offer=first, kind=PriceKind.AMOUNT, value=Decimal("9.99"))
    PriceEntryFactory(
        broker=broker, organization=org, offer=first, kind=PriceKind.INHERIT, value=None, effective_from=DAY
    )
    PriceEntryFactory(
        broker=broker,
        organization=org,
        product=second.product,
        kind=PriceKind.MARKUP,
        value=Decimal(10),
        effective_from=dt.date(2026, 7, 1),
    )
    objects = list(Offer.objects.filter(broker=broker).select_related("product__group", "product__category"))
    seen = set()
    for day in (DAY - dt.timedelta(days=1), DAY, dt.date(2026, 6, 30), dt.date(2026, 7, 1)):
        rows = PriceBook(broker, organization=org, day=day).price_list(
            offered_offers(broker, organization=org, day=day)
        )
        expected = PriceBook(broker, organization=org, day=day).prices(objects)
        assert len(rows) == 2
        for row, p in rows:
            e = expected[row.id]
            assert (p.sales, p.cost, p.erp, p.level, p.slot, p.source) == (
                e.sales, e.cost, e.erp, e.level, e.slot, e.source
            )  # fmt: skip
            assert (p.entry is None) == (e.entry is None)
            if p.entry is not None:
                stored = PriceEntry.objects.get(pk=p.entry.pk)
                assert (p.entry.scope_key, p.entry.target_key, p.entry.organization_id) == (
                    stored.scope_key, stored.target_key, stored.organization_id
                )  # fmt: skip
            seen.add((row.item_code, day, p.sales))
    by_day = {(code, day): sales for code, day, sales in seen}
    # The customer's fixed price until "no own price" from DAY, then the global margin on cost.
    assert by_day[first.item_code, DAY - dt.timedelta(days=1)] == Money("9.99", "EUR")
    assert by_day[first.item_code, DAY] == Money("10.00", "EUR")  # 8 / 0.8
    assert by_day[first.item_code, dt.date(2026, 7, 1)] == Money("12.50", "EUR")  # 10 / 0.8, the new cost
    # The scheduled markup on the product takes over on its date.
    assert by_day[second.item_code, dt.date(2026, 6, 30)] == Money("10.00", "EUR")
    assert by_day[second.item_code, dt.date(2026, 7, 1)] == Money("11.00", "EUR")  # 10 × 1.1
