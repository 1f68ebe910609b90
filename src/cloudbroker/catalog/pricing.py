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
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, Q, QuerySet, UUIDField, Value, When
from django.db.models.functions import Coalesce

from cloudbroker.catalog.choices import BillingPlan, PriceKind, TermDuration
from cloudbroker.catalog.models import Offer, PriceEntry, Product, VendorPrice, slot_scope_key
from cloudbroker.core.money import Money, Rounding, quantize_args, rounded_amount
from cloudbroker.core.perf import gc_paused

__all__ = ["EffectivePrice", "PriceBook", "apply_kind", "margin_percent"]

HUNDRED = Decimal(100)
TARGET_ORDER = ("offer", "product", "group", "category", "all")
# The kinds as plain text: comparing a str with an enum member costs four times as much.
_AMOUNT, _MARGIN, _MARKUP, _ERP_DISCOUNT, _INHERIT = (
    PriceKind.AMOUNT.value,
    PriceKind.MARGIN.value,
    PriceKind.MARKUP.value,
    PriceKind.ERP_DISCOUNT.value,
    PriceKind.INHERIT.value,
)
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
    amount = _sales_amount(kind, value, None if cost is None else cost.amount, None if erp is None else erp.amount)
    return None if amount is None else Money._of(rounded_amount(amount, currency, Rounding.COMMERCIAL), currency)


def _sales_amount(kind: str, value: Decimal | None, cost: Decimal | None, erp: Decimal | None) -> Decimal | None:
    """What an entry of ``kind`` computes from the charge's exact cost and ERP, before the one
    rounding; None when the price it needs is unknown."""
    if kind == _AMOUNT:
        return value if value is not None else Decimal(0)
    if value is None:
        return None
    if kind == _MARGIN:
        return None if cost is None else cost / ((HUNDRED - value) / HUNDRED)
    if kind == _MARKUP:
        return None if cost is None else cost * ((HUNDRED + value) / HUNDRED)
    if kind == _ERP_DISCOUNT:
        return None if erp is None else erp * ((HUNDRED - value) / HUNDRED)
    raise ValueError(f"A price entry of kind {kind!r} gives no price.")


def margin_percent(sales: Money, cost: Money) -> Decimal | None:
    """(sales − cost) ÷ sales × 100, exact; None for a sale at zero."""
    if sales.amount == 0:
        return None
    return (sales.amount - cost.amount) / sales.amount * HUNDRED


def describe(entry: Entry | None, target_name: str, slot: str, *, with_cost: bool = True) -> str:
    """Which rule set a price, in words. Without ``with_cost`` (for roles that do not see cost), a
    margin or markup on cost is "a rule on cost" without its percentage: the percentage and the
    price together would tell the cost."""
    if entry is None:
        return "Microsoft's retail price (no price list entry)"
    where = "Customer price" if entry.organization_id else "Global price list"
    value = entry.value.normalize() if entry.value is not None else Decimal(0)
    if entry.kind == PriceKind.AMOUNT:
        what = "fixed price"
    elif not with_cost and entry.kind in (PriceKind.MARGIN, PriceKind.MARKUP):
        what = "a rule on cost"
    else:
        what = f"{PriceKind(entry.kind).label.replace('%', f'{value:f} %', 1)}"
    on = TARGET_WORDS[slot] if slot in ("offer", "all") else f"{TARGET_WORDS[slot]} {target_name}"
    return f"{where}: {what} ({on}, from {entry.effective_from:%Y-%m-%d})"


class Entry(NamedTuple):
    """The price-list entry that priced an offer: the fields of ``PriceEntry`` pricing reads, with
    its id and its target's id as ints (a tuple of no other objects, cheap by the thousand)."""

    key: int  # the int of the entry's id
    scope_key: str
    kind: str
    value: Decimal | None
    effective_from: dt.date
    slot: str  # what it is set on: one of TARGET_ORDER
    target: int  # the int of that offer's, product's, group's or category's id (0 for every product)

    @property
    def pk(self) -> uuid.UUID:
        return uuid.UUID(int=self.key)

    @property
    def id(self) -> uuid.UUID:
        return self.pk

    @property
    def target_id(self) -> uuid.UUID | None:
        return uuid.UUID(int=self.target) if self.target else None

    @property
    def organization_id(self) -> uuid.UUID | None:
        return None if self.scope_key == slot_scope_key(None) else uuid.UUID(self.scope_key)

    @property
    def target_key(self) -> str:
        return "all" if self.target_id is None else f"{self.slot}:{self.target_id}"

    def get_kind_display(self) -> str:
        return str(PriceKind(self.kind).label)


@dataclass(slots=True)
class EffectivePrice:
    """An offer's price on a day for one organization (or the global list): sales, cost, ERP per
    seat per charge, and what set it. ``sales`` is None when nothing can price it (no cost yet).

    The amounts are kept as Decimals (the sales price rounded, cost and ERP exact) and given as
    ``Money`` when read: a list of thousands of prices makes no Money it does not show."""

    offer_id: Any
    day: dt.date
    sales_amount: Decimal | None
    cost_amount: Decimal | None
    erp_amount: Decimal | None
    currency: str
    entry: Entry | None
    level: str  # "customer", "global" or "retail"
    slot: str = "all"
    target_name: str = ""

    @property
    def sales(self) -> Money | None:
        return None if self.sales_amount is None else Money._of(self.sales_amount, self.currency)

    @property
    def cost(self) -> Money | None:
        return None if self.cost_amount is None else Money._of(self.cost_amount, self.currency)

    @property
    def erp(self) -> Money | None:
        return None if self.erp_amount is None else Money._of(self.erp_amount, self.currency)

    @property
    def source(self) -> str:
        """Which rule produced the price, in words ("Customer price: Margin 20 % on cost (…)")."""
        return describe(self.entry, self.target_name, self.slot)

    def source_for(self, *, with_cost: bool) -> str:
        """``source`` as a role may read it: without cost, a rule on cost hides its percentage."""
        return describe(self.entry, self.target_name, self.slot, with_cost=with_cost)

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

    #: Up to this many offers, the entries read are only those that can price them.
    NARROW = 200

    def __init__(self, broker, *, organization=None, day: dt.date | None = None, for_offers=None) -> None:
        """The entries are read when the first price is asked for: for a few offers (a page, one
        item code, one price being set; ``for_offers`` says which in advance) only the entries that
        can price them, else the whole lists."""
        from django.utils import timezone

        self.broker = broker
        self.currency = broker.currency
        self._rounding = quantize_args(self.currency, Rounding.COMMERCIAL)  # a price is rounded once
        self.organization = organization
        self.day = day or timezone.localdate()
        self._organization_id = getattr(organization, "pk", organization)
        # The scopes in precedence order: the organization's own entries first, then the global list.
        self._scope_keys = ([slot_scope_key(self._organization_id)] if self._organization_id else []) + [
            slot_scope_key(None)
        ]
        # The precedence as data: every (scope, target) slot in order, each with its entries in effect
        # keyed by the int of what they are set on (a UUID's int; 0 for every product), the position
        # of that id in an offer's ids (TARGET_ORDER), the level and the slot's name. Empty slots are
        # left out, so an offer is priced by the first table that has its id.
        self._chain: list[tuple[dict[int, Entry], int, str, str]] = []
        self._slot_count = 0  # slots read (entries in effect, "no own price" included)
        self._covered: set[Any] | None = set()  # the offers the entries read can price; None: all
        self._covered_offers: list = []
        self._vendor: VendorPrices | None = None
        if for_offers is not None:
            self._cover(list(for_offers))

    def _cover(self, offers: list) -> None:
        """Make sure the entries that can price ``offers`` are read (once; all of them for many)."""
        if self._covered is None or all(o.pk in self._covered for o in offers):
            return
        few = offers if len(offers) + len(self._covered) <= self.NARROW else None
        if few is not None:
            few = [*few, *self._covered_offers] if self._covered else few
        self._load(few)

    def _load(self, offers: list | None) -> None:
        wanted = PriceEntry.objects.filter(
            broker_id=self.broker.pk, scope_key__in=self._scope_keys, effective_from__lte=self.day
        )
        if offers is not None:
            wanted = wanted.filter(
                Q(offer_id__in=[o.pk for o in offers])
                | Q(product_id__in={o.product_id for o in offers})
                | Q(group_id__in={o.product.group_id for o in offers})
                | Q(category_id__in={o.product.category_id for o in offers})
                | Q(offer__isnull=True, product__isnull=True, group__isnull=True, category__isnull=True)
            )
        # What each entry is set on, told by the database: whether it is global, its slot's position
        # in TARGET_ORDER (as one digit: Python keeps one object per one-letter text, and Django
        # would convert a number row by row) and that thing's id.
        position_of = Case(
            *(When(**{f"{name}__isnull": False}, then=Value(str(i))) for i, name in enumerate(TARGET_ORDER[:-1])),
            default=Value(str(len(TARGET_ORDER) - 1)),
            output_field=CharField(),
        )
        positions = {str(i): i for i in range(len(TARGET_ORDER))}
        target_of = Coalesce(*(f"{name}_id" for name in TARGET_ORDER[:-1]), output_field=UUIDField())
        is_global = ExpressionWrapper(Q(organization__isnull=True), output_field=BooleanField())
        entries = (
            wanted.annotate(entry_global=is_global, entry_position=position_of, entry_target=target_of)
            .order_by()  # sorting costs the database more than comparing dates here
            .values_list("id", "entry_global", "kind", "value", "effective_from", "entry_position", "entry_target")
        )
        global_key = slot_scope_key(None)
        scope_of = {True: global_key, False: self._scope_keys[0]}
        tables: dict[bool, list[dict[int, Entry]]] = {
            True: [{} for _ in TARGET_ORDER],
            False: [{} for _ in TARGET_ORDER],
        }
        cleared: list[tuple[dict[int, Entry], int]] = []
        new = tuple.__new__
        # The latest entry of each slot on the day wins (a slot has one entry per date: a unique
        # constraint).
        for pk, in_global, kind, value, start, digit, target_id in entries:
            target = 0 if target_id is None else target_id.int
            position = positions[digit]
            table = tables[in_global][position]
            held = table.get(target)
            if held is None or held.effective_from < start:
                entry = (pk.int, scope_of[in_global], kind, value, start, TARGET_ORDER[position], target)
                table[target] = new(Entry, entry)
                if kind == _INHERIT:
                    cleared.append((table, target))
        self._slot_count = sum(len(table) for scope in tables.values() for table in scope)
        # "No own price" leaves its slot empty from its date.
        for table, target in cleared:
            if target in table and table[target].kind == _INHERIT:
                del table[target]
        self._chain = [
            (table, position, "global" if scope == global_key else "customer", slot)
            for scope in self._scope_keys
            for position, slot in enumerate(TARGET_ORDER)
            if (table := tables[scope == global_key][position])
        ]
        if offers is None:
            self._covered, self._covered_offers = None, []
        else:
            self._covered, self._covered_offers = {o.pk for o in offers}, list(offers)

    def _vendor_prices(self, offer_ids: Iterable[Any] | None) -> VendorPrices:
        """The cost and the ERP for the term of each offer on the day (by its id's int), from its
        latest vendor price started by then; None for both when that price is in another currency."""
        qs = (
            VendorPrice.objects.filter(
                broker_id=self.broker.pk, market=self.broker.market, effective_from__lte=self.day
            )
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=self.day))
            .order_by("effective_from")
        )
        if offer_ids is not None:
            qs = qs.filter(offer_id__in=list(offer_ids))
        costs: dict[int, Decimal | None] = {}
        erps: dict[int, Decimal | None] = {}
        in_currency = ExpressionWrapper(Q(currency=self.currency), output_field=BooleanField())
        for offer_id, cost, erp, usable in qs.annotate(usable=in_currency).values_list(
            "offer_id", "cost", "erp", "usable"
        ):
            key = offer_id.int
            if usable:
                costs[key], erps[key] = cost, erp
            else:
                costs[key] = erps[key] = None
        return costs, erps

    def prepare(self, offer_ids: Iterable[Any] | None = None) -> PriceBook:
        """Read the vendor prices of these offers (all of the broker's when None) in one query."""
        self._vendor = self._vendor_prices(offer_ids)
        return self

    def price(self, offer: Offer) -> EffectivePrice:
        """``offer`` needs ``product`` loaded (with ``product.group`` and ``product.category`` for
        the wording); call ``prepare`` first when pricing many."""
        self._cover([offer])
        key = _int(offer.pk)
        costs, erps = self._vendor or ({}, {})
        if key not in costs:
            costs, erps = self._vendor_prices([offer.pk])
        product = offer.product
        # The names for the wording, only from what was loaded with the product (never a query).
        cache = product._state.fields_cache
        names = (
            "",
            product.title,
            cache["group"].name if cache.get("group") is not None else "",
            cache["category"].name if cache.get("category") is not None else "",
            "",
        )
        ids = (key, _int(offer.product_id), _int(product.group_id), _int(product.category_id), 0)
        return self._resolve(offer.pk, ids, offer.charges_per_term, costs.get(key), erps.get(key), names)

    def _resolve(
        self, offer_id, ids: tuple[int, ...], charges: int, cost, erp, names: tuple[str, ...]
    ) -> EffectivePrice:
        """The one place an offer is priced: the first slot with an entry, else the retail price.
        ``ids`` and ``names`` are the offer's, its product's, group's and category's, and 0 / ""
        for every product, in TARGET_ORDER; ``cost`` and ``erp`` the vendor's, for the term."""
        currency = self.currency
        if charges != 1:
            cost = None if cost is None else cost / charges
            erp = None if erp is None else erp / charges
        quantum, rounding = self._rounding
        for table, position, level, slot in self._chain:
            entry = table.get(ids[position])
            if entry is not None:
                sales = _sales_amount(entry.kind, entry.value, cost, erp)
                if sales is not None:
                    sales = sales.quantize(quantum, rounding)
                return EffectivePrice(
                    offer_id, self.day, sales, cost, erp, currency, entry, level, slot, names[position]
                )
        sales = None if erp is None else erp.quantize(quantum, rounding)
        return EffectivePrice(offer_id, self.day, sales, cost, erp, currency, None, "retail")

    def prices(self, offers: Iterable[Offer]) -> dict[Any, EffectivePrice]:
        with gc_paused():
            return self._prices(list(offers))

    def _prices(self, offers: list[Offer]) -> dict[Any, EffectivePrice]:
        self._cover(offers)
        if self._vendor is None:
            # Many offers: every vendor price of the broker on the day, rather than a long IN list.
            self.prepare([o.pk for o in offers] if len(offers) <= self.NARROW else None)
        return {offer.pk: self.price(offer) for offer in offers}

    def price_list(self, offers: QuerySet) -> list[tuple[OfferRow, EffectivePrice]]:
        """Every offer of the queryset with its price, read as plain rows (no model objects): what a
        page of thousands of item codes, the e-store or an export needs, in a constant number of
        queries (the offers read narrow, their products, groups and categories once each)."""
        with gc_paused():
            return self._price_list(offers)

    def _price_list(self, offers: QuerySet) -> list[tuple[OfferRow, EffectivePrice]]:
        if self._covered is not None:
            self._load(None)
        if self._vendor is None:
            self.prepare(None)
        costs, erps = self._vendor or ({}, {})
        # Each product once, keyed by its id's int: the end of its offers' rows, its ids and names
        # in TARGET_ORDER.
        products = {}
        shared: dict[Any, Any] = {}  # one id object per group and category, not one per product
        for pk, title, group_id, category_id, group_name, category_name in (
            Product.objects.filter(broker_id=self.broker.pk)
            .order_by()
            .values_list("id", "title", "group_id", "category_id", "group__name", "category__name")
        ):
            key = _int(pk)
            group_id = shared.setdefault(group_id.int, group_id)
            category_id = shared.setdefault(category_id.int, category_id)
            products[key] = (
                (pk, title, group_id, category_id, group_name, category_name),
                key,
                _int(group_id),
                _int(category_id),
                ("", title, group_name, category_name, ""),
            )
        resolve, new, charges_of, cost_of, erp_of = self._resolve, tuple.__new__, CHARGES.get, costs.get, erps.get
        out: list[tuple[OfferRow, EffectivePrice]] = []
        append = out.append
        for pk, code, term, plan, product_id in offers.values_list(
            "id", "item_code", "term", "billing_plan", "product_id"
        ):
            end, product_key, group_key, category_key, names = products[product_id.int]
            key = pk.int
            charges = charges_of((term, plan)) or _charges(term, plan)
            ids = (key, product_key, group_key, category_key, 0)
            append(
                (
                    new(OfferRow, (pk, code, term, plan, *end)),
                    resolve(pk, ids, charges, cost_of(key), erp_of(key), names),
                )
            )
        return out


#: The vendor's cost and ERP for the term of each offer on a day, by the int of the offer's id.
VendorPrices = tuple[dict[int, Decimal | None], dict[int, Decimal | None]]


class OfferRow(NamedTuple):
    """An offer as ``PriceBook.price_list`` reads it."""

    id: Any
    item_code: str
    term: str
    billing_plan: str
    product_id: Any
    title: str = ""
    group_id: Any = None
    category_id: Any = None
    group_name: str = ""
    category_name: str = ""


#: What ``price_list`` reads of each offer, in OfferRow's order.
OFFER_ROW_FIELDS = (
    "id", "item_code", "term", "billing_plan", "product_id", "product__title", "product__group_id",
    "product__category_id", "product__group__name", "product__category__name",
)  # fmt: skip


def _charges(term: str, billing_plan: str) -> int:
    return TermDuration(term).months // BillingPlan(billing_plan).months


CHARGES = {
    (term.value, plan.value): term.months // plan.months
    for term in TermDuration
    for plan in BillingPlan
    if term.months >= plan.months
}


def _int(value: Any) -> int:
    """A UUID (or its text) as its int, 0 for none: a cheap dictionary key."""
    if value.__class__ is uuid.UUID:
        return value.int
    if not value:
        return 0
    return uuid.UUID(str(value)).int
