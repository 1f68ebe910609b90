"""The catalog sync: Partner Center's NCE licence-based catalog and the market's price sheet become
the broker's categories, product groups, products, offers and vendor prices (``cloudbroker.catalog``).

What is read (everything before anything is written):

* the NCE products (``productType.id == "OnlineServicesNCE"``) of the broker's market, their SKUs
  and the availabilities of each SKU (commercial segment); every term of an availability is one
  offer (term duration × billing cycle, named by its item code);
* the market's price sheet now and its scheduled changes (``timeline=future``; none is a 404).

What is written, in one transaction and only where something differs, so that a second sync in a
row changes nothing:

* categories and product groups are derived (``CATEGORIES``, ``GROUP_RULES``); existing ones are the
  broker's to rename and reorder, the sync only adds those missing;
* products and offers; one no longer listed gets ``withdrawn_on`` (never deleted), one listed again
  is cleared;
* vendor prices per offer from their effective date: a new price adds a row and closes the one
  before it (``effective_to`` = the day before); new numbers for the same date change that row; the
  same numbers again (the sheet re-dates unchanged prices each month) add nothing.

A price sheet in another currency than the broker's is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from cloudbroker.brokers.models import Broker
from cloudbroker.catalog.choices import BillingPlan, TermDuration
from cloudbroker.catalog.models import (
    DECIMAL_PLACES,
    MAX_DIGITS,
    Category,
    Offer,
    Product,
    ProductGroup,
    VendorPrice,
    item_code,
)
from cloudbroker.connectors.partner_center.errors import PartnerCenterUnavailable
from cloudbroker.connectors.partner_center.schemas import Availability, PriceSheetRow, Sku
from cloudbroker.connectors.partner_center.schemas import Product as PartnerCenterProduct
from cloudbroker.core.errors import Conflict, ExternalServiceError
from cloudbroker.core.jobs import JobContext, job_runner
from cloudbroker.microsoft365.choices import JobKind
from cloudbroker.microsoft365.partner_center import client_for
from cloudbroker.microsoft365.sync import SyncResult

__all__ = ["CATEGORIES", "CHANGES", "GROUP_RULES", "group_rule_for", "sync_catalog"]

log = structlog.get_logger(__name__)

NCE = "OnlineServicesNCE"
TARGET_VIEW = "OnlineServices"
SEGMENT = "commercial"
FETCH_THREADS = 8

# The job's patience with a Partner Center that cannot be reached (yet): `make run` starts the
# worker and the emulator together, and an outage of a minute should not fail the nightly sync.
CONNECT_ATTEMPTS = 5
CONNECT_RETRY_DELAY = 3.0  # seconds, times the attempt number

_sleep = time.sleep

#: What a sync counts as changes: all zero when the catalog was already as Partner Center has it.
CHANGES = (
    "categories_created",
    "groups_created",
    "products_created",
    "products_changed",
    "products_withdrawn",
    "products_returned",
    "attachments_added",
    "attachments_removed",
    "offers_created",
    "offers_changed",
    "offers_withdrawn",
    "offers_returned",
    "prices_created",
    "prices_changed",
)


# -- what is derived -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    """A category or product group the sync makes: its slug, name and place in the list."""

    slug: str
    name: str
    position: int


LICENCE_BASED = Derived("licence-based", "Licence-based", 10)
ADDONS = Derived("add-ons", "Add-ons", 20)
TRIALS = Derived("trials", "Trials", 30)
CATEGORIES = (LICENCE_BASED, ADDONS, TRIALS)


@dataclass(frozen=True)
class GroupRule:
    group: Derived
    pattern: str | None  # searched in the title, case-insensitively; None: the fallback

    def matches(self, title: str) -> bool:
        return self.pattern is None or re.search(self.pattern, title, re.IGNORECASE) is not None


#: The one table of product groups. Tried in this order, the first match wins (Copilot before
#: Microsoft 365, Defender for Office 365 before Office 365...); listed in the order of position.
GROUP_RULES = (
    GroupRule(Derived("microsoft-copilot", "Microsoft Copilot", 60), r"\bcopilot\b"),
    GroupRule(Derived("microsoft-defender", "Microsoft Defender", 50), r"^(microsoft )?defender\b"),
    GroupRule(
        Derived("microsoft-entra", "Microsoft Entra", 70), r"^(microsoft )?entra\b|^azure (active directory|ad)\b"
    ),
    GroupRule(Derived("power-bi", "Power BI", 80), r"^(microsoft )?power bi\b"),
    GroupRule(Derived("microsoft-teams", "Microsoft Teams", 30), r"^(microsoft )?teams\b"),
    GroupRule(Derived("exchange-online", "Exchange Online", 40), r"^(microsoft )?exchange online\b"),
    GroupRule(Derived("office-365", "Office 365", 20), r"^office 365\b"),
    GroupRule(Derived("microsoft-365", "Microsoft 365", 10), r"^microsoft 365\b"),
    GroupRule(Derived("other", "Other", 90), None),
)


def group_rule_for(title: str) -> Derived:
    title = " ".join((title or "").split())
    return next(rule.group for rule in GROUP_RULES if rule.matches(title))


def category_for(sku: Sku) -> Derived:
    if sku.is_trial:
        return TRIALS
    if sku.is_addon:
        return ADDONS
    return LICENCE_BASED


# -- reading the price sheet ---------------------------------------------------------------------

_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
_MAX_AMOUNT = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)


def _amount(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value >= _MAX_AMOUNT:
        raise ValueError(str(value))
    try:
        return value.quantize(_QUANTUM)
    except InvalidOperation as exc:
        raise ValueError(str(value)) from exc


@dataclass(frozen=True)
class SheetPrice:
    effective_from: dt.date
    cost: Decimal
    erp: Decimal | None


def _offer_key(product_id: str, sku_id: str, term: str, plan: str) -> tuple[str, str, str, str]:
    return (product_id.strip().upper(), sku_id.strip().upper(), term.strip().upper(), plan.strip().lower())


def _prices_by_offer(rows: list[PriceSheetRow], result: SyncResult) -> dict[tuple, dict[dt.date, SheetPrice]]:
    """The sheet's prices per (product, SKU, term, billing plan) and date. A row that cannot be
    read is named in the failures and left out; of two rows for one date the lowest tier wins."""
    prices: dict[tuple, dict[dt.date, tuple[Decimal, SheetPrice]]] = {}
    for number, row in enumerate(rows, start=1):
        where = f"price sheet row {number} ({row.product_id}:{row.sku_id} {row.term_duration} {row.billing_plan})"
        if not (row.product_id and row.sku_id and row.term_duration and row.billing_plan):
            result.setdefault("failures", []).append(f"{where}: ProductId, SkuId, TermDuration or BillingPlan empty")
            continue
        try:
            start = row.effective_start
        except ValueError as exc:
            result.setdefault("failures", []).append(f"{where}: {exc}")
            continue
        if start is None:
            result.setdefault("failures", []).append(f"{where}: EffectiveStartDate is empty")
            continue
        try:
            cost = _amount(row.unit_price)
            erp = _amount(row.erp_price)
        except ValueError as exc:
            result.setdefault("failures", []).append(f"{where}: the price {exc} cannot be used")
            continue
        if cost is None:
            result.setdefault("failures", []).append(f"{where}: UnitPrice is empty")
            continue
        tier = row.pricing_tier_range_min or Decimal(0)
        slot = prices.setdefault(_offer_key(row.product_id, row.sku_id, row.term_duration, row.billing_plan), {})
        if start not in slot or tier < slot[start][0]:
            slot[start] = (tier, SheetPrice(start, cost, erp))
    return {key: {day: price for day, (_, price) in dates.items()} for key, dates in prices.items()}


# -- reading the catalog -------------------------------------------------------------------------


@dataclass
class ListedSku:
    product: PartnerCenterProduct
    sku: Sku
    availabilities: list[Availability] | None  # None: they could not be read this time

    @property
    def product_sku(self) -> str:
        return _product_sku(self.product.id, self.sku.id)


@dataclass
class Listing:
    skus: list[ListedSku] = field(default_factory=list)
    unread_products: set[str] = field(default_factory=set)  # product ids whose SKUs could not be read
    price_rows: list[PriceSheetRow] = field(default_factory=list)


def _read(client, market: str, threads: int, progress: Callable[[int, int], None] | None, result: SyncResult):
    products: dict[str, PartnerCenterProduct] = {}
    for product in client.list_products(market, target_view=TARGET_VIEW, target_segment=SEGMENT):
        if product.product_type is not None and product.product_type.id == NCE:
            products.setdefault(product.id.upper(), product)
    if not products:
        # An empty answer would withdraw the whole catalog: more likely a fault than the truth.
        raise ExternalServiceError(
            f"Partner Center listed no NCE licence-based products for market {market}; the catalog was left as it is."
        )
    total = len(products) + 1
    listing = Listing()

    def fetch(product: PartnerCenterProduct):
        try:
            skus = client.list_skus(product.id, market, target_segment=SEGMENT)
        except ExternalServiceError as exc:
            return product, exc
        listed = []
        for sku in skus:
            try:
                availabilities = client.list_availabilities(product.id, sku.id, market, target_segment=SEGMENT)
            except ExternalServiceError as exc:
                result.setdefault("failures", []).append(f"{product.id}:{sku.id} availabilities: {exc.message}")
                availabilities = None
            listed.append(ListedSku(product, sku, availabilities))
        return product, listed

    done = 0
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for product, answer in pool.map(fetch, products.values()):
            if isinstance(answer, ExternalServiceError):
                log.warning("partner_center.catalog_product_failed", product_id=product.id, error=str(answer))
                listing.unread_products.add(product.id.upper())
                result.setdefault("failures", []).append(f"{product.id} SKUs: {answer.message}")
            else:
                listing.skus.extend(answer)
            done += 1
            if progress is not None:
                progress(done, total)
    # The prices in effect now, and the changes already scheduled (none: no rows).
    listing.price_rows = [*client.get_price_sheet(market), *client.get_price_sheet(market, timeline="future")]
    if progress is not None:
        progress(total, total)
    return listing


# -- writing -------------------------------------------------------------------------------------


def _apply(obj, fields: dict[str, Any]) -> bool:
    changed = False
    for key, value in fields.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _save(model, new: list, changed: list, update_fields: list[str]) -> None:
    if new:
        model.objects.bulk_create(new, batch_size=500)
    if changed:
        now = timezone.now()
        for obj in changed:
            obj.updated_at = now
        model.objects.bulk_update(changed, [*update_fields, "updated_at"], batch_size=500)


def _derived(model, broker_id, wanted: list[Derived], result: SyncResult, label: str) -> dict[str, Any]:
    """The rows for the slugs in use; missing ones are made (existing ones are the broker's)."""
    existing = {row.slug: row for row in model.objects.filter(broker_id=broker_id)}
    new = [
        model(broker_id=broker_id, slug=d.slug, name=d.name, position=d.position)
        for d in {d.slug: d for d in wanted}.values()
        if d.slug not in existing
    ]
    _save(model, new, [], [])
    result.bump(f"{label}_created", len(new))
    existing.update({row.slug: row for row in new})
    return existing


def _title(listed: ListedSku) -> str:
    return " ".join((listed.sku.title or listed.product.title or listed.product_sku).split())[:200]


def _product_sku(product_id: str, sku_id: str) -> str:
    return f"{product_id.upper()}:{sku_id.upper()}"


def _offer_terms(listed: ListedSku) -> dict[tuple[str, str], str]:
    """(term, billing plan) → availability id of a SKU's purchasable commercial availabilities."""
    terms: dict[tuple[str, str], str] = {}
    for availability in listed.availabilities or []:
        if availability.is_purchasable is False or (availability.segment or SEGMENT).lower() != SEGMENT:
            continue
        for term in availability.terms:
            duration = (term.duration or "").upper()
            plan = (term.billing_cycle or "").lower()
            if duration in TermDuration.values and plan in BillingPlan.values:
                terms.setdefault((duration, plan), availability.id)
    return terms


def _write(broker: Broker, listing: Listing, today: dt.date, result: SyncResult) -> None:
    broker_id = broker.pk
    by_sku: dict[str, ListedSku] = {}
    for s in listing.skus:
        if len(s.product.id) > 32 or len(s.sku.id) > 16:
            result.setdefault("failures", []).append(
                f"{s.product.id}:{s.sku.id}: the id is longer than Partner Center's"
            )
        else:
            by_sku.setdefault(s.product_sku, s)
    listed = list(by_sku.values())
    categories = _derived(Category, broker_id, [category_for(s.sku) for s in listed], result, "categories")
    groups = _derived(ProductGroup, broker_id, [group_rule_for(_title(s)) for s in listed], result, "groups")

    # Products.
    products = {p.product_sku.upper(): p for p in Product.objects.filter(broker_id=broker_id)}
    new, changed = [], []
    now = timezone.now()
    for key, s in by_sku.items():
        title = _title(s)
        fields = {
            "title": title,
            "description": (s.sku.description or s.product.description or "").strip(),
            "category_id": categories[category_for(s.sku).slug].pk,
            "group_id": groups[group_rule_for(title).slug].pk,
            "is_addon": s.sku.is_addon,
            "is_trial": bool(s.sku.is_trial),
            "licence_sku_id": s.sku.provisioning_id.lower(),
            "minimum_quantity": max(0, s.sku.minimum_quantity) if s.sku.minimum_quantity is not None else 1,
            "maximum_quantity": max(0, s.sku.maximum_quantity) if s.sku.maximum_quantity is not None else 300,
            "withdrawn_on": None,
        }
        product = products.get(key)
        if product is None:
            product = Product(
                broker_id=broker_id,
                vendor_product_id=s.product.id.upper(),
                vendor_sku_id=s.sku.id.upper(),
                synced_at=now,
                **fields,
            )
            products[key] = product
            new.append(product)
        else:
            returned = product.withdrawn_on is not None
            if _apply(product, fields):
                product.synced_at = now
                changed.append(product)
                result.bump("products_returned" if returned else "products_changed")
    gone = [
        p
        for key, p in products.items()
        if key not in by_sku and p.withdrawn_on is None and p.vendor_product_id.upper() not in listing.unread_products
    ]
    for product in gone:
        product.withdrawn_on = today
    _save(Product, new, changed + gone, PRODUCT_FIELDS)
    result.bump("products_created", len(new))
    result.bump("products_withdrawn", len(gone))

    _write_attachments(products, by_sku, result)
    offers = _write_offers(broker_id, products, by_sku, listing, today, result)
    _write_prices(broker, offers, listing, result)


PRODUCT_FIELDS = [
    "title",
    "description",
    "category_id",
    "group_id",
    "is_addon",
    "is_trial",
    "licence_sku_id",
    "minimum_quantity",
    "maximum_quantity",
    "withdrawn_on",
    "synced_at",
]


def _write_attachments(products: dict[str, Product], by_sku: dict[str, ListedSku], result: SyncResult) -> None:
    """``attaches_to`` of each listed product: its prerequisite SKUs that are products here."""
    through = Product.attaches_to.through
    ids = [products[key].pk for key in by_sku]
    have = set(through.objects.filter(from_product_id__in=ids).values_list("from_product_id", "to_product_id"))
    want = set()
    for key, s in by_sku.items():
        for prerequisite in s.sku.prerequisite_skus:
            target = products.get(str(prerequisite).strip().upper())
            if target is not None and target.pk != products[key].pk:
                want.add((products[key].pk, target.pk))
    add, remove = want - have, have - want
    if add:
        through.objects.bulk_create([through(from_product_id=a, to_product_id=b) for a, b in sorted(add)])
    for from_id in {a for a, _ in remove}:
        through.objects.filter(
            from_product_id=from_id, to_product_id__in=[b for a, b in remove if a == from_id]
        ).delete()
    result.bump("attachments_added", len(add))
    result.bump("attachments_removed", len(remove))


def _write_offers(broker_id, products, by_sku, listing: Listing, today: dt.date, result: SyncResult) -> dict:
    offers = {o.item_code.upper(): o for o in Offer.objects.filter(broker_id=broker_id).select_related("product")}
    seen: set[str] = set()
    unread: set[str] = set()  # offers of SKUs whose availabilities could not be read are left as they are
    new, changed = [], []
    for key, s in by_sku.items():
        if s.availabilities is None:
            unread.add(key)
            continue
        product = products[key]
        for (term, plan), availability_id in _offer_terms(s).items():
            code = item_code(key, term, plan)
            seen.add(code.upper())
            fields = {"availability_id": availability_id[:32], "withdrawn_on": None}
            offer = offers.get(code.upper())
            if offer is None:
                offer = Offer(
                    broker_id=broker_id, product=product, item_code=code, term=term, billing_plan=plan, **fields
                )
                offers[code.upper()] = offer
                new.append(offer)
            else:
                returned = offer.withdrawn_on is not None
                if _apply(offer, fields):
                    changed.append(offer)
                    result.bump("offers_returned" if returned else "offers_changed")
    gone = []
    for code, offer in offers.items():
        if code in seen or offer.withdrawn_on is not None:
            continue
        product_key = code.rsplit(":", 2)[0]
        if product_key in unread or product_key.split(":")[0] in listing.unread_products:
            continue
        offer.withdrawn_on = today
        gone.append(offer)
    _save(Offer, new, changed + gone, ["availability_id", "withdrawn_on"])
    result.bump("offers_created", len(new))
    result.bump("offers_withdrawn", len(gone))
    result["offers"] = len(seen)
    return {code: offers[code] for code in seen}


def _write_prices(broker: Broker, offers: dict[str, Offer], listing: Listing, result: SyncResult) -> None:
    market, currency = broker.market.upper(), broker.currency.upper()
    sheet = _prices_by_offer(listing.price_rows, result)
    existing: dict[Any, list[VendorPrice]] = {}
    for row in VendorPrice.objects.filter(broker_id=broker.pk, market=market).order_by("effective_from"):
        existing.setdefault(row.offer_id, []).append(row)
    new: list[VendorPrice] = []
    changed: list[VendorPrice] = []
    unpriced = 0
    for offer in offers.values():
        product = offer.product
        prices = sheet.get(_offer_key(product.vendor_product_id, product.vendor_sku_id, offer.term, offer.billing_plan))
        if not prices:
            unpriced += 1
            continue
        rows = existing.get(offer.pk, [])
        by_date = {row.effective_from: row for row in rows}
        touched: set[int] = set()
        added: set[int] = set()
        for day in sorted(prices):
            price = prices[day]
            same_day = by_date.get(day)
            if same_day is not None:
                if _apply(same_day, {"cost": price.cost, "erp": price.erp, "currency": currency}):
                    touched.add(id(same_day))
                continue
            in_effect = max((r for r in rows if r.effective_from < day), key=lambda r: r.effective_from, default=None)
            if in_effect is not None and (in_effect.cost, in_effect.erp, in_effect.currency) == (
                price.cost,
                price.erp,
                currency,
            ):
                continue  # the same price, dated again
            row = VendorPrice(
                broker_id=broker.pk,
                offer=offer,
                market=market,
                currency=currency,
                cost=price.cost,
                erp=price.erp,
                effective_from=day,
            )
            rows.append(row)
            by_date[day] = row
            new.append(row)
            added.add(id(row))
        # Each row runs until the day before the next one; the last is open.
        rows.sort(key=lambda r: r.effective_from)
        for row, following in zip(rows, [*rows[1:], None], strict=True):
            effective_to = following.effective_from - dt.timedelta(days=1) if following else None
            if row.effective_to != effective_to:
                row.effective_to = effective_to
                touched.add(id(row))
        changed.extend(r for r in rows if id(r) in touched and id(r) not in added)
    _save(VendorPrice, new, changed, ["cost", "erp", "currency", "effective_to"])
    result.bump("prices_created", len(new))
    result.bump("prices_changed", len(changed))
    result["offers_unpriced"] = unpriced


def _check_currency(broker: Broker, rows: list[PriceSheetRow]) -> None:
    market, currency = broker.market.upper(), broker.currency.upper()
    found = sorted({(r.currency or "").strip().upper() for r in rows} - {""})
    wrong = [c for c in found if c != currency]
    if wrong:
        raise Conflict(
            f"The price sheet of market {market} is in {', '.join(found)}; the broker sells in {currency}. "
            f"Nothing was synced: choose a Partner Center market priced in {currency}, or change the broker's "
            "currency.",
            field="market",
            market=market,
            price_sheet_currency=", ".join(found),
            broker_currency=currency,
        )


def sync_catalog(
    broker_id,
    *,
    progress: Callable[[int, int], None] | None = None,
    client=None,
    today: dt.date | None = None,
    threads: int = FETCH_THREADS,
) -> SyncResult:
    """Bring the broker's catalog and vendor prices in line with Partner Center (see the module)."""
    if client is None:
        with client_for(broker_id) as own:
            return sync_catalog(broker_id, progress=progress, client=own, today=today, threads=threads)
    broker = Broker.objects.get(pk=broker_id)
    result = SyncResult(dict.fromkeys(CHANGES, 0))
    listing = _read(client, broker.market.upper(), threads, progress, result)
    _check_currency(broker, listing.price_rows)
    result["products"] = len(listing.skus)
    result["price_rows"] = len(listing.price_rows)
    with transaction.atomic():
        # One catalog sync of a broker at a time (the job, the command, the nightly run).
        broker = Broker.objects.select_for_update().get(pk=broker_id)
        _write(broker, listing, today or timezone.localdate(), result)
    return result


@job_runner(JobKind.CATALOG_SYNC)
def _catalog_sync_job(ctx: JobContext) -> dict[str, Any]:
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            result = sync_catalog(ctx.job.broker_id, progress=lambda done, total: ctx.progress(done, total))
            break
        except PartnerCenterUnavailable as exc:
            if attempt == CONNECT_ATTEMPTS:
                raise
            delay = CONNECT_RETRY_DELAY * attempt
            ctx.log(
                f"Partner Center cannot be reached ({exc.message}); trying again in {delay:g} s "
                f"(attempt {attempt} of {CONNECT_ATTEMPTS})."
            )
            ctx.progress(0)  # a heartbeat: the job is alive while it waits
            _sleep(delay)
    ctx.log("Catalog sync finished: " + result.summary())
    for failure in result.get("failures", []):
        ctx.log(f"Not synced this time: {failure}")
    return dict(result)
