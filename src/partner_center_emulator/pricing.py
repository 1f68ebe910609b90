"""Prices in effect on a date, in a market's currency, and the price sheet's rows.

The catalog (``catalog.py``) gives each offer a base price in US dollars, in effect from
``CATALOG_START``. Dated changes (``Store.price_changes``, made through ``/_emulator/prices``)
replace the partner cost (``UnitPrice``) and/or the retail price (``ERP Price``) of one
price-sheet row — product SKU, term, billing plan — from a day on (00:00 UTC). Changes are stated
in US dollars for the whole term, as the price sheet states prices.

A market's prices are the dollar prices times a fixed exchange factor (``EXCHANGE``): the price of
one charge cycle is converted and rounded half-up to cents, and the price of a term is that cycle
price times the cycles in the term. So the price sheet's ``UnitPrice`` is always exactly what the
cart, the order, the subscription and its charges make of it, in every currency.

A withdrawn product SKU (``Store.withdrawals``, end of sale) is left out of the catalog lists and
of the price sheet from its withdrawal day; its prices still apply to the subscriptions that
exist (renewals take the last price in effect).

Subscriptions keep the price of the day they were bought (or last renewed) for their whole term:
Partner Center's price lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from . import catalog
from .state import PriceChange, Store

CATALOG_START = date(2022, 1, 1)
CENT = Decimal("0.01")

# Fixed, illustrative exchange factors: the price in a currency = the US dollar price times this.
EXCHANGE: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "NOK": Decimal("10.80"),
    "SEK": Decimal("10.50"),
    "DKK": Decimal("6.85"),
}

SHEET_HEADER = [
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
    "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
    "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price",
]  # fmt: skip
TIMELINES = ("current", "history", "future")


def factor(currency: str) -> Decimal:
    return EXCHANGE.get(currency.upper(), Decimal("1"))


def cycles(term: str, plan: str) -> int:
    """Charge cycles in a term (12 for a one-year term billed monthly)."""
    return catalog.TERM_MONTHS[term] // catalog.CYCLE_MONTHS[plan]


@dataclass(frozen=True)
class Period:
    """One price of a row: from ``start`` (inclusive) to ``end`` (exclusive; None = open), USD per term."""

    start: date
    end: date | None
    unit_price: Decimal
    erp_price: Decimal

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def _matches(change: PriceChange, offer: catalog.Offer, term: str, plan: str) -> bool:
    return (change.product_id, change.sku_id, change.term, change.billing_plan) == (
        offer.product_id,
        offer.sku_id,
        term,
        plan,
    )


def periods(store: Store, offer: catalog.Offer, term: str, plan: str) -> list[Period]:
    """Every price the row has had or will have, oldest first."""
    cost = catalog.term_price(offer, term, plan)
    erp = catalog.term_price(offer, term, plan, erp=True)
    out: list[Period] = []
    start = CATALOG_START
    for change in sorted((c for c in store.price_changes if _matches(c, offer, term, plan)), key=lambda c: c.effective):
        if change.effective > start:
            out.append(Period(start, change.effective, cost, erp))
            start = change.effective
        cost = change.unit_price if change.unit_price is not None else cost
        erp = change.erp_price if change.erp_price is not None else erp
    out.append(Period(start, None, cost, erp))
    return out


def usd_term_prices(store: Store, offer: catalog.Offer, term: str, plan: str, on: date) -> tuple[Decimal, Decimal]:
    """(partner cost, ERP) in US dollars for the whole term, in effect on ``on``."""
    rows = periods(store, offer, term, plan)
    chosen = rows[0]
    for row in rows:
        if row.start <= on:
            chosen = row
    return chosen.unit_price, chosen.erp_price


def to_currency(usd_term: Decimal, term: str, plan: str, currency: str) -> tuple[Decimal, Decimal]:
    """(price of one charge cycle, price of the term) in ``currency`` for a dollar term price."""
    n = cycles(term, plan)
    per_cycle = (usd_term / n * factor(currency)).quantize(CENT, ROUND_HALF_UP)
    return per_cycle, per_cycle * n


def cycle_price(
    store: Store, offer: catalog.Offer, term: str, plan: str, currency: str, on: date, *, erp: bool = False
) -> Decimal:
    """The partner's price (or ERP) of one seat for one charge cycle, on ``on``, in ``currency``."""
    cost, retail = usd_term_prices(store, offer, term, plan, on)
    return to_currency(retail if erp else cost, term, plan, currency)[0]


def schedule(store: Store, change: PriceChange) -> PriceChange:
    """Add a change; one for the same row and day is merged into it (the prices given win)."""
    for known in store.price_changes:
        same_row = (known.product_id, known.sku_id, known.term, known.billing_plan) == (
            change.product_id,
            change.sku_id,
            change.term,
            change.billing_plan,
        )
        if same_row and known.effective == change.effective:
            if change.unit_price is not None:
                known.unit_price = change.unit_price
            if change.erp_price is not None:
                known.erp_price = change.erp_price
            return known
    store.price_changes.append(change)
    store.price_changes.sort(key=lambda c: (c.effective, c.product_id, c.sku_id, c.term, c.billing_plan))
    return change


# -- withdrawals ------------------------------------------------------------------------------------


def withdrawal_date(store: Store, offer: catalog.Offer) -> date | None:
    withdrawal = store.withdrawals.get(offer.product_sku)
    return withdrawal.effective if withdrawal else None


def withdrawn(store: Store, offer: catalog.Offer, on: date) -> bool:
    until = withdrawal_date(store, offer)
    return until is not None and on >= until


def on_sale(store: Store, offers: list[catalog.Offer], on: date) -> list[catalog.Offer]:
    return [o for o in offers if not withdrawn(store, o, on)]


def listed_periods(store: Store, offer: catalog.Offer, term: str, plan: str) -> list[Period]:
    """The row's prices as the price sheet lists them: none from the SKU's withdrawal day on."""
    until = withdrawal_date(store, offer)
    rows = periods(store, offer, term, plan)
    if until is None:
        return rows
    kept = []
    for row in rows:
        if row.start >= until:
            break
        kept.append(Period(row.start, until if row.end is None or row.end > until else row.end, row.unit_price,
                           row.erp_price))  # fmt: skip
    return kept


# -- the price sheet ----------------------------------------------------------------------------------


def _start_text(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year} 12:00:00 AM"


def _end_text(end: date | None) -> str:
    if end is None:
        return ""
    last = end - timedelta(days=1)
    return f"{last.month}/{last.day}/{last.year} 11:59:59 PM"


def _select(rows: list[Period], timeline: str, today: date, month: tuple[date, date] | None) -> list[Period]:
    if timeline == "current":
        if not rows:
            return []
        current = [r for r in rows if r.covers(today)]
        if current:
            return current
        return [rows[0]] if today < rows[0].start else []
    if timeline == "future":
        return [r for r in rows if r.start > today]
    assert month is not None
    first, after = month
    return [r for r in rows if r.start < after and (r.end is None or r.end > first) and r.start <= today]


def sheet_rows(
    store: Store, market: str, timeline: str, today: date, month: tuple[date, date] | None = None
) -> list[list[str]]:
    """The price sheet's rows (without the header) for a market and timeline."""
    currency, _ = catalog.currency_for(market)
    out = []
    for offer in catalog.OFFERS:
        for term, plan in offer.terms:
            for row in _select(listed_periods(store, offer, term, plan), timeline, today, month):
                unit = to_currency(row.unit_price, term, plan, currency)[1]
                erp = to_currency(row.erp_price, term, plan, currency)[1]
                out.append(
                    [
                        offer.title, offer.product_id, offer.sku_id, offer.sku_title, "Microsoft Corporation",
                        offer.description, "1 License", term, plan.capitalize(), market, currency, str(unit), "", "",
                        _start_text(row.start), _end_text(row.end), "License", str(erp),
                    ]
                )  # fmt: skip
    return out
