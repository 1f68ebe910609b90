"""The sales price of an offer on a day, and the rule that produced it: the one owner of pricing.

Prices are per seat per charge (what one seat costs each month on monthly billing, each year on
annual billing, once on three-yearly billing). The vendor's cost and retail price (ERP) are per
term in the price sheet; the charge's share is the term price ÷ charges per term, kept exact.

Which entry prices an offer (the first slot that has one, on that day):

1. the organization's own entries, most specific first: the offer, its product, its product
   group, its category, every product;
2. then the global price list in the same order;
3. else Microsoft's retail price (ERP).

A slot's entry on day D is its entry with the latest ``effective_from`` ≤ D; an ``INHERIT`` entry
leaves the slot empty from its date. The result is rounded once, commercially, to the currency's
minor units (docs/billing.md); margin is (sales − cost) ÷ sales.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.models import Offer, PriceEntry, VendorPrice, slot_scope_key
from cloudbroker.core.money import Money, Rounding

__all__ = ["EffectivePrice", "PriceBook", "apply_kind", "margin_percent"]

HUNDRED = Decimal(100)
TARGET_ORDER = ("offer", "product", "group", "category", "all")
TARGET_WORDS = {
    "offer": "this item code",
    "product": "product",
    "group": "product group",
    "category": "category",
    "all": "every product",
}


def apply_kind(
    kind: str, value: Decimal | None, *, cost: Money | None, erp: Money | None, currency: str
) -> Money | None:
    """The sales price an entry of ``kind`` gives (rounded commercially, once), or None when the
    price it needs is unknown (no cost, no ERP)."""
    if kind == PriceKind.AMOUNT:
        return Money(value if value is not None else Decimal(0), currency).rounded(Rounding.COMMERCIAL)
    if value is None:
        return None
    if kind == PriceKind.MARGIN:
        if cost is None:
            return None
        return (cost / ((HUNDRED - value) / HUNDRED)).rounded(Rounding.COMMERCIAL)
    if kind == PriceKind.MARKUP:
        if cost is None:
            return None
        return (cost * ((HUNDRED + value) / HUNDRED)).rounded(Rounding.COMMERCIAL)
    if kind == PriceKind.ERP_DISCOUNT:
        if erp is None:
            return None
        return (erp * ((HUNDRED - value) / HUNDRED)).rounded(Rounding.COMMERCIAL)
    raise ValueError(f"A price entry of kind {kind!r} gives no price.")


def margin_percent(sales: Money, cost: Money) -> Decimal | None:
    """(sales − cost) ÷ sales × 100, exact; None for a sale at zero."""
    if sales.amount == 0:
        return None
    return (sales.amount - cost.amount) / sales.amount * HUNDRED


def describe(entry: PriceEntry | None, target_name: str, slot: str) -> str:
    if entry is None:
        return "Microsoft's retail price (no price list entry)"
    where = "Customer price" if entry.organization_id else "Global price list"
    value = entry.value.normalize() if entry.value is not None else Decimal(0)
    if entry.kind == PriceKind.AMOUNT:
        what = "fixed price"
    else:
        what = f"{PriceKind(entry.kind).label.replace('%', f'{value:f} %', 1)}"
    on = TARGET_WORDS[slot] if slot in ("offer", "all") else f"{TARGET_WORDS[slot]} {target_name}"
    return f"{where}: {what} ({on}, from {entry.effective_from:%Y-%m-%d})"


@dataclass(frozen=True)
class EffectivePrice:
    """An offer's price on a day for one organization (or the global list): sales, cost, ERP per
    seat per charge, and what set it. ``sales`` is None when nothing can price it (no cost yet)."""

    offer_id: Any
    day: dt.date
    sales: Money | None
    cost: Money | None
    erp: Money | None
    entry: PriceEntry | None
    source: str
    level: str  # "customer", "global" or "retail"

    @property
    def margin_amount(self) -> Money | None:
        if self.sales is None or self.cost is None:
            return None
        return self.sales - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        if self.sales is None or self.cost is None:
            return None
        return margin_percent(self.sales, self.cost)

    @property
    def below_cost(self) -> bool:
        return self.sales is not None and self.cost is not None and self.sales < self.cost

    def total(self, quantity: int) -> Money | None:
        """The sales price of ``quantity`` seats for one charge."""
        return None if self.sales is None else self.sales * quantity


class PriceBook:
    """Every price of one organization (or the global list) on one day, in a constant number of
    queries whatever the number of offers: the price list entries of both levels and the vendor
    prices in effect are read once, then each offer is priced in memory."""

    def __init__(self, broker, *, organization=None, day: dt.date | None = None) -> None:
        from django.utils import timezone

        self.broker = broker
        self.currency = broker.currency
        self.organization = organization
        self.day = day or timezone.localdate()
        organization_id = getattr(organization, "pk", organization)
        scopes = [slot_scope_key(None)] + ([slot_scope_key(organization_id)] if organization_id else [])
        entries = (
            PriceEntry.objects.filter(broker_id=broker.pk, scope_key__in=scopes, effective_from__lte=self.day)
            .order_by("effective_from", "created_at")
            .only("id", "organization_id", "kind", "value", "effective_from", "scope_key", "target_key", "currency")
        )
        # The latest entry of each slot on the day wins (the query is in date order).
        self._slots: dict[tuple[str, str], PriceEntry] = {}
        for entry in entries:
            self._slots[(entry.scope_key, entry.target_key)] = entry
        self._scopes = list(reversed(scopes))  # the organization's own first
        self._vendor: dict[Any, VendorPrice] | None = None

    def _vendor_prices(self, offer_ids: Iterable[Any] | None) -> dict[Any, VendorPrice]:
        qs = VendorPrice.objects.filter(
            broker_id=self.broker.pk, market=self.broker.market, effective_from__lte=self.day
        ).order_by("offer_id", "effective_from")
        if offer_ids is not None:
            qs = qs.filter(offer_id__in=list(offer_ids))
        latest: dict[Any, VendorPrice] = {}
        for price in qs.only("offer_id", "cost", "erp", "currency", "effective_from", "effective_to"):
            if price.effective_to is None or price.effective_to >= self.day:
                latest[price.offer_id] = price
        return latest

    def prepare(self, offer_ids: Iterable[Any] | None = None) -> PriceBook:
        """Read the vendor prices of these offers (all of the broker's when None) in one query."""
        self._vendor = self._vendor_prices(offer_ids)
        return self

    def price(self, offer: Offer) -> EffectivePrice:
        """``offer`` needs ``product`` loaded (with ``product.group`` and ``product.category`` for
        the wording); call ``prepare`` first when pricing many."""
        if self._vendor is None or offer.pk not in self._vendor:
            vendor = self._vendor_prices([offer.pk]).get(offer.pk)
        else:
            vendor = self._vendor[offer.pk]
        cost = erp = None
        if vendor is not None and vendor.currency == self.currency:
            charges = offer.charges_per_term
            cost = Money(vendor.cost, self.currency) / charges
            if vendor.erp is not None:
                erp = Money(vendor.erp, self.currency) / charges
        product = offer.product
        targets = {
            "offer": f"offer:{offer.pk}",
            "product": f"product:{offer.product_id}",
            "group": f"group:{product.group_id}",
            "category": f"category:{product.category_id}",
            "all": "all",
        }
        names = {"product": product.title, "group": _name(product, "group"), "category": _name(product, "category")}
        for scope in self._scopes:
            for slot in TARGET_ORDER:
                entry = self._slots.get((scope, targets[slot]))
                if entry is None or entry.kind == PriceKind.INHERIT:
                    continue
                sales = apply_kind(entry.kind, entry.value, cost=cost, erp=erp, currency=self.currency)
                return EffectivePrice(
                    offer_id=offer.pk,
                    day=self.day,
                    sales=sales,
                    cost=cost,
                    erp=erp,
                    entry=entry,
                    source=describe(entry, names.get(slot, ""), slot),
                    level="customer" if entry.organization_id else "global",
                )
        return EffectivePrice(
            offer_id=offer.pk,
            day=self.day,
            sales=erp.rounded(Rounding.COMMERCIAL) if erp is not None else None,
            cost=cost,
            erp=erp,
            entry=None,
            source=describe(None, "", "all"),
            level="retail",
        )

    def prices(self, offers: Iterable[Offer]) -> dict[Any, EffectivePrice]:
        offers = list(offers)
        if self._vendor is None:
            self.prepare([o.pk for o in offers])
        return {offer.pk: self.price(offer) for offer in offers}


def _name(product, relation: str) -> str:
    # Only read what was loaded with the product; never a query per offer for the wording.
    cached = product._state.fields_cache.get(relation)
    return cached.name if cached is not None else ""
