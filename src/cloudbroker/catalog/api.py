"""The catalog and price lists over the API (/api/v1/catalog/).

Offers are listed with the page's filters and priced for the global list or one organization on a
day. Cost, ERP and margin are answered only to roles holding ``COST_VIEW``: the others get a price
schema without those keys (see ``schemas.py``).
"""

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from ninja import Field as NinjaField
from ninja import Query, Router, Schema, Status

from cloudbroker.catalog import services
from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.models import Category, Offer, PriceEntry, Product, ProductGroup
from cloudbroker.catalog.pricing import EffectivePrice
from cloudbroker.catalog.querysets import catalog_offers, entry_rows, filter_offers, slot_entries, source_for
from cloudbroker.catalog.schemas import (
    BulkPriceIn,
    CategoryOut,
    CostedPriceOut,
    MoneyOut,
    OfferDetailOut,
    OfferPage,
    OrganizationVisibilityIn,
    OrganizationVisibilityOut,
    PriceEntryOut,
    PriceIn,
    PriceOut,
    ProductGroupOut,
    ProductOut,
    ProductVisibilityIn,
)
from cloudbroker.core.actors import Actor
from cloudbroker.core.api import actor_of, requires
from cloudbroker.core.errors import FieldError, ValidationFailed
from cloudbroker.core.money import Money, Rounding
from cloudbroker.core.pagination import MAX_PAGE, MAX_PAGE_SIZE
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.organizations.models import Organization

__all__ = ["router"]

router = Router(tags=["catalog and price lists"])

TARGETS: dict[str, Any] = {"offer": Offer, "product": Product, "group": ProductGroup, "category": Category}


def _broker(actor: Actor):
    return services.broker_of(actor)


def _money(value: Money | None) -> MoneyOut | None:
    if value is None:
        return None
    rounded = value.rounded(Rounding.COMMERCIAL)
    return MoneyOut(amount=str(rounded.amount), currency=rounded.currency)


def price_out(actor: Actor, price: EffectivePrice, offer: Offer) -> PriceOut | CostedPriceOut:
    """The price as ``actor`` may read it: cost, ERP and margin only with ``COST_VIEW``."""
    common: dict[str, Any] = {
        "day": price.day,
        "sales": _money(price.sales),
        "source": source_for(actor, price, offer),
        "level": price.level,
    }
    if not actor.has(Perm.COST_VIEW):
        return PriceOut(**common)
    percent = price.margin_percent
    return CostedPriceOut(
        **common,
        cost=_money(price.cost),
        erp=_money(price.erp),
        margin_amount=_money(price.margin_amount),
        margin_percent=None if percent is None else str(percent.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        below_cost=price.below_cost,
    )


def offer_out(actor: Actor, offer: Offer, price: EffectivePrice | None, **extra) -> dict[str, Any]:
    """An offer for ``OfferOut`` (the product is read by its schema)."""
    return {
        "id": offer.pk,
        "item_code": offer.item_code,
        "term": offer.term,
        "billing_plan": offer.billing_plan,
        "charges_per_term": offer.charges_per_term,
        "product": offer.product,
        "withdrawn_on": offer.withdrawn_on,
        "price": None if price is None else price_out(actor, price, offer),
        **extra,
    }


def _organization(actor: Actor, organization_id: uuid.UUID | None):
    """The organization whose prices are asked for: out of scope is a 404 before any permission."""
    if organization_id is None:
        return None
    return get_visible_or_404(Organization.objects, actor, organization_id)


def _products(actor: Actor):
    return (
        Product.objects.visible_to(actor)
        .select_related("category", "group")
        .prefetch_related(Prefetch("attaches_to", queryset=Product.objects.only("id", "title").order_by("title")))
    )


class OfferFilters(Schema):
    q: str = ""
    category: uuid.UUID | None = None
    group: uuid.UUID | None = None
    term: str = ""
    billing_plan: str = ""
    hidden: bool | None = NinjaField(None, description="Only products hidden (true) or shown (false) broker-wide.")
    organization: uuid.UUID | None = NinjaField(None, description="Price for this organization (customer prices).")
    day: dt.date | None = NinjaField(None, description="Prices on this day (YYYY-MM-DD); today by default.")
    page: int = NinjaField(1, ge=1, le=MAX_PAGE)
    page_size: int = NinjaField(50, ge=1, le=MAX_PAGE_SIZE)


@router.get("/offers", response=OfferPage, summary="List the offered item codes with their prices")
@requires(Perm.CATALOG_VIEW)
def list_offers(request, filters: Query[OfferFilters]):
    actor = actor_of(request)
    organization = _organization(actor, filters.organization)
    qs = filter_offers(
        catalog_offers(_broker(actor), organization=organization, day=filters.day),
        q=filters.q,
        category=filters.category,
        group=filters.group,
        term=filters.term,
        billing_plan=filters.billing_plan,
        hidden=filters.hidden,
    )
    count = qs.count()
    start = (filters.page - 1) * filters.page_size
    offers = list(qs[start : start + filters.page_size])
    prices: dict = {}
    if organization is not None or actor.has(Perm.PRICE_VIEW):
        prices = services.prices_for(actor, offers, organization=organization, day=filters.day)
    return {"items": [offer_out(actor, o, prices.get(o.pk)) for o in offers], "count": count}


@router.get("/offers/{offer_id}", response=OfferDetailOut, summary="Get an offered item code with its price")
@requires(Perm.CATALOG_VIEW)
def get_offer(request, offer_id: uuid.UUID, organization: uuid.UUID | None = None, day: dt.date | None = None):
    actor = actor_of(request)
    org = _organization(actor, organization)
    offer = catalog_offers(_broker(actor), organization=org, day=day).filter(pk=offer_id).first()
    if offer is None:
        raise Http404("Not found.")
    price = None
    if org is not None or actor.has(Perm.PRICE_VIEW):
        price = services.prices_for(actor, [offer], organization=org, day=day)[offer.pk]
    addons = list(offer.product.addons.order_by("title"))
    return offer_out(actor, offer, price, addons=addons)


@router.get("/categories", response=list[CategoryOut], summary="List categories")
@requires(Perm.CATALOG_VIEW)
def list_categories(request):
    return Category.objects.visible_to(actor_of(request))


@router.get("/product-groups", response=list[ProductGroupOut], summary="List product groups")
@requires(Perm.CATALOG_VIEW)
def list_product_groups(request):
    return ProductGroup.objects.visible_to(actor_of(request))


@router.get("/products", response=list[ProductOut], summary="List products (with the products add-ons attach to)")
@requires(Perm.CATALOG_VIEW)
def list_products(
    request, q: str = "", category: uuid.UUID | None = None, group: uuid.UUID | None = None, addon: bool | None = None
):
    qs = _products(actor_of(request))
    if q:
        qs = qs.filter(title__icontains=q)
    if category:
        qs = qs.filter(category_id=category)
    if group:
        qs = qs.filter(group_id=group)
    if addon is not None:
        qs = qs.filter(is_addon=addon)
    return qs


@router.put("/products/{product_id}/visibility", response=ProductOut, summary="Hide or show a product broker-wide")
@requires(Perm.CATALOG_MANAGE, lookup=(Product.objects, "product_id"))
def set_product_visibility(request, product_id: uuid.UUID, payload: ProductVisibilityIn):
    actor = actor_of(request)
    product = get_visible_or_404(Product.objects, actor, product_id)
    services.set_product_hidden(actor=actor, product=product, hidden=payload.hidden)
    return _products(actor).get(pk=product.pk)


@router.put(
    "/organizations/{organization_id}/products/{product_id}/visibility",
    response=OrganizationVisibilityOut,
    summary="Hide, show or follow the broker for one organization's e-store",
)
@requires(Perm.CUSTOMER_PRICE_CHANGE, lookup=(Organization.objects, "organization_id"))
def set_organization_visibility(
    request, organization_id: uuid.UUID, product_id: uuid.UUID, payload: OrganizationVisibilityIn
):
    actor = actor_of(request)
    org = get_visible_or_404(Organization.objects, actor, organization_id)
    product = get_visible_or_404(Product.objects, actor, product_id)
    services.set_product_hidden(actor=actor, product=product, hidden=payload.hidden, organization=org)
    own = org.product_settings.filter(product=product).values_list("hidden", flat=True).first()
    shown = not (product.hidden if own is None else own)
    return OrganizationVisibilityOut(organization=org.pk, product=product.pk, hidden=own, shown=shown)


# --- price list entries ---------------------------------------------------------------------------


def entry_out(row) -> PriceEntryOut:
    """An entry; for a role that does not see cost, a rule on cost has no value (null): with the
    sales price it would give the cost away."""
    entry = row.entry
    hide_value = row.redacted and entry.kind in (PriceKind.MARGIN, PriceKind.MARKUP)
    target_type = entry.target_key.split(":")[0]
    target = entry.target
    return PriceEntryOut(
        id=entry.pk,
        organization=entry.organization_id,
        target_type=target_type,
        target_id=None if target is None else target.pk,
        target_name="every product"
        if target is None
        else (target.item_code if isinstance(target, Offer) else str(target)),
        kind=entry.kind,
        value=None if entry.value is None or hide_value else f"{entry.value.normalize():f}",
        currency=entry.currency,
        effective_from=entry.effective_from,
        status=row.status,
        created_at=entry.created_at,
    )


def _entries(actor: Actor, organization, target_type: str | None, status: str | None) -> list[PriceEntryOut]:
    qs = slot_entries(actor, organization=organization)
    if target_type == "all":
        qs = qs.filter(target_key="all")
    elif target_type:
        qs = qs.filter(target_key__startswith=f"{target_type}:")
    rows = entry_rows(qs, today=timezone.localdate(), redact=not actor.has(Perm.COST_VIEW))
    return [entry_out(r) for r in rows if status is None or r.status == status]


def _target(actor: Actor, target_type: str, target_id: uuid.UUID | None, *, row: int | None = None):
    if target_type == "all":
        return None
    if target_id is None:
        raise ValidationFailed([FieldError("target_id", f"Give the id of the {target_type}.", row=row)])
    qs = TARGETS[target_type].objects
    obj = qs.visible_to(actor).filter(pk=target_id).first()
    if obj is None:
        raise ValidationFailed([FieldError("target_id", f"No {target_type} {target_id} here.", row=row)])
    return obj


def _price_kwargs(payload) -> dict:
    return {
        "kind": payload.kind,
        "value": payload.value,
        "effective_from": payload.effective_from,
        "confirm_below_cost": payload.confirm_below_cost,
    }


def _entry_row(actor: Actor, entry: PriceEntry):
    org = entry.organization if entry.organization_id else None
    qs = slot_entries(actor, organization=org).filter(target_key=entry.target_key)
    rows = entry_rows(qs, redact=not actor.has(Perm.COST_VIEW))
    return next(r for r in rows if r.entry.pk == entry.pk)


def _create(actor: Actor, organization, payload: PriceIn) -> PriceEntryOut:
    target = _target(actor, payload.target_type, payload.target_id)
    entry = services.set_price(actor=actor, target=target, organization=organization, **_price_kwargs(payload))
    return entry_out(_entry_row(actor, entry))


def _bulk(actor: Actor, organization, payload: BulkPriceIn) -> list[PriceEntryOut]:
    offers = {o.pk: o for o in Offer.objects.visible_to(actor).filter(pk__in=payload.offers)}
    errors = [
        FieldError("offers", f"No item code {pk} here.", row=i)
        for i, pk in enumerate(payload.offers, start=1)
        if pk not in offers
    ]
    targets: list = [offers[pk] for pk in payload.offers if pk in offers]
    for i, t in enumerate(payload.targets, start=1):
        try:
            targets.append(_target(actor, t.target_type, t.target_id, row=i))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    entries = services.bulk_set_price(actor=actor, targets=targets, organization=organization, **_price_kwargs(payload))
    return [entry_out(_entry_row(actor, e)) for e in entries]


@router.get("/prices", response=list[PriceEntryOut], summary="The global price list's entries")
@requires(Perm.PRICE_VIEW)
def list_prices(request, target_type: str | None = None, status: str | None = None):
    return _entries(actor_of(request), None, target_type, status)


@router.post("/prices", response={201: PriceEntryOut}, summary="Set or schedule a global price or rule")
@requires(Perm.PRICE_LIST_CHANGE)
def create_price(request, payload: PriceIn):
    return Status(201, _create(actor_of(request), None, payload))


@router.post("/prices/bulk", response={201: list[PriceEntryOut]}, summary="One global price for many targets")
@requires(Perm.PRICE_LIST_CHANGE)
def bulk_prices(request, payload: BulkPriceIn):
    return Status(201, _bulk(actor_of(request), None, payload))


@router.delete("/prices/{entry_id}", response={204: None}, summary="Cancel a scheduled price (global or customer)")
@requires(Perm.PRICE_VIEW, lookup=(PriceEntry.objects, "entry_id"))
def cancel_price(request, entry_id: uuid.UUID):
    actor = actor_of(request)
    entry = get_visible_or_404(PriceEntry.objects, actor, entry_id)
    services.cancel_price(actor=actor, entry=entry)
    return Status(204, None)


@router.get(
    "/organizations/{organization_id}/prices",
    response=list[PriceEntryOut],
    summary="An organization's own price entries",
)
@requires(Perm.PRICE_VIEW, lookup=(Organization.objects, "organization_id"))
def list_customer_prices(
    request, organization_id: uuid.UUID, target_type: str | None = None, status: str | None = None
):
    actor = actor_of(request)
    org = get_visible_or_404(Organization.objects, actor, organization_id)
    return _entries(actor, org, target_type, status)


@router.post(
    "/organizations/{organization_id}/prices",
    response={201: PriceEntryOut},
    summary="Set or schedule an organization's price or rule",
)
@requires(Perm.CUSTOMER_PRICE_CHANGE, lookup=(Organization.objects, "organization_id"))
def create_customer_price(request, organization_id: uuid.UUID, payload: PriceIn):
    actor = actor_of(request)
    org = get_visible_or_404(Organization.objects, actor, organization_id)
    return Status(201, _create(actor, org, payload))


@router.post(
    "/organizations/{organization_id}/prices/bulk",
    response={201: list[PriceEntryOut]},
    summary="One customer price for many targets",
)
@requires(Perm.CUSTOMER_PRICE_CHANGE, lookup=(Organization.objects, "organization_id"))
def bulk_customer_prices(request, organization_id: uuid.UUID, payload: BulkPriceIn):
    actor = actor_of(request)
    org = get_visible_or_404(Organization.objects, actor, organization_id)
    return Status(201, _bulk(actor, org, payload))
