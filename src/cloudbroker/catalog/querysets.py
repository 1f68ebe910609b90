"""Querysets the catalog pages and the API share (views never import ``api.py``, nor the reverse).

What is offered is ``services.offered_offers`` (the one definition); this module narrows it with
the list filters, reads the price list entries that apply to an offer and the history of price
changes, all through the actor's scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.models import Offer, OrganizationProductSetting, PriceEntry, Product, slot_scope_key
from cloudbroker.catalog.services import offered_offers
from cloudbroker.core.actors import Actor
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.money import minor_units
from cloudbroker.core.scoping import visible_organization_ids

__all__ = [
    "EntryRow",
    "catalog_offers",
    "entry_rows",
    "filter_offers",
    "offer_targets",
    "organization_settings",
    "price_history",
    "source_for",
]

PRICE_EVENT_TYPE = PriceEntry._meta.label_lower


def catalog_offers(broker, *, organization=None, day: dt.date | None = None) -> QuerySet:
    """The offered item codes as staff see them: hidden products included (they are marked), the
    add-on relations prefetched (one query each, however many rows)."""
    addon_targets = Prefetch("product__attaches_to", queryset=Product.objects.only("id", "title").order_by("title"))
    return (
        offered_offers(broker, organization=organization, day=day, include_hidden=True)
        .prefetch_related(addon_targets)
        .order_by("product__title", "item_code", "id")
    )


def filter_offers(
    qs: QuerySet,
    *,
    q: str = "",
    category: Any = None,
    group: Any = None,
    term: str = "",
    billing_plan: str = "",
    hidden: bool | None = None,
) -> QuerySet:
    """The catalog's filters, the same for the page and the API."""
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(product__title__icontains=q)
            | Q(item_code__icontains=q)
            | Q(product__vendor_product_id__icontains=q)
            | Q(product__description__icontains=q)
        )
    if category:
        qs = qs.filter(product__category_id=getattr(category, "pk", category))
    if group:
        qs = qs.filter(product__group_id=getattr(group, "pk", group))
    if term:
        qs = qs.filter(term=term)
    if billing_plan:
        qs = qs.filter(billing_plan=billing_plan)
    if hidden is not None:
        qs = qs.filter(product__hidden=hidden)
    return qs


def organization_settings(organization) -> dict[Any, bool]:
    """product id → hidden, for the organization's own e-store choices (one query)."""
    return dict(
        OrganizationProductSetting.objects.filter(organization=organization).values_list("product_id", "hidden")
    )


def offer_targets(offer: Offer) -> dict[str, str]:
    """The price-list slots that can price ``offer`` (slot name → target key), most specific first."""
    product = offer.product
    return {
        "offer": f"offer:{offer.pk}",
        "product": f"product:{product.pk}",
        "group": f"group:{product.group_id}",
        "category": f"category:{product.category_id}",
        "all": "all",
    }


@dataclass
class EntryRow:
    """A price list entry and where it stands on ``today``: past (superseded), current or scheduled."""

    entry: PriceEntry
    status: str  # "past", "current", "scheduled"
    target_label: str
    #: For a role that does not see cost: a rule on cost together with the sales price gives the
    #: cost away, so its percentage is not shown (as ``pricing.describe`` words it).
    redacted: bool = False

    @property
    def cancellable(self) -> bool:
        return self.status == "scheduled"

    @property
    def price_text(self) -> str:
        """ "Fixed price 12.50 EUR", "Margin % on cost: 20 %", "No own price (the next rule applies)"."""
        entry = self.entry
        label = entry.get_kind_display()
        if entry.value is None:
            return label
        if self.redacted and entry.kind in ON_COST:
            return "A rule on cost"
        if entry.kind == PriceKind.AMOUNT:
            return f"{label} {entry.value:.{minor_units(entry.currency)}f} {entry.currency}"
        return label.replace("%", f"{entry.value.normalize():f} %", 1)


def entry_rows(
    entries, *, today: dt.date | None = None, labels: dict[str, str] | None = None, redact: bool = False
) -> list[EntryRow]:
    """Each entry with its status: per slot, the latest entry on or before today is current, the ones
    before it are past, the ones after today scheduled. Newest slot dates first."""
    today = today or timezone.localdate()
    entries = sorted(entries, key=lambda e: (e.effective_from, e.created_at))
    current: dict[tuple[str, str], Any] = {}
    for entry in entries:
        if entry.effective_from <= today:
            current[(entry.scope_key, entry.target_key)] = entry.pk
    rows = []
    for entry in entries:
        if entry.effective_from > today:
            status = "scheduled"
        elif current.get((entry.scope_key, entry.target_key)) == entry.pk:
            status = "current"
        else:
            status = "past"
        rows.append(EntryRow(entry, status, (labels or {}).get(entry.target_key, entry.target_key), redact))
    rows.sort(key=lambda r: (r.entry.effective_from, r.entry.created_at), reverse=True)
    return rows


def slot_entries(actor: Actor, *, organization=None, target_keys=None) -> QuerySet:
    """Entries of the global list (or of one organization, already scope-checked) for these slots."""
    qs = PriceEntry.objects.visible_to(actor).filter(scope_key=slot_scope_key(getattr(organization, "pk", None)))
    if target_keys is not None:
        qs = qs.filter(target_key__in=list(target_keys))
    return qs.select_related("category", "group", "product", "offer", "created_by")


def price_history(actor: Actor, *, target_keys, organization=None) -> QuerySet:
    """Audit events of price changes for these slots, newest first: the global list's and — when
    ``organization`` is given — that organization's. Events about organizations the actor does not
    see are never included."""
    keys = list(target_keys)
    scopes = [slot_scope_key(None)]
    if organization is not None:
        scopes.append(slot_scope_key(organization.pk))
    qs = AuditEvent.objects.filter(broker_id=actor.broker_id, object_type=PRICE_EVENT_TYPE).filter(
        Q(after__target__in=keys, after__scope__in=scopes) | Q(before__target__in=keys, before__scope__in=scopes)
    )
    if not actor.scope_is_broker:
        qs = qs.filter(Q(organization_id__isnull=True) | Q(organization_id__in=visible_organization_ids(actor)))
    return qs.order_by("-occurred_at", "-id")


def source_for(actor: Actor, price, offer: Offer | None = None) -> str:
    """Which rule produced ``price``, as ``actor`` may read it (pricing owns the wording: for a role
    that does not see cost, a rule on cost hides its percentage)."""
    from cloudbroker.core.permissions import Perm

    return price.source_for(with_cost=actor.has(Perm.COST_VIEW))


#: Kinds whose percentage, with the sales price, tells the cost.
ON_COST = (PriceKind.MARGIN, PriceKind.MARKUP)
