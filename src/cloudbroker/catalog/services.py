"""Catalog and price-list services: what is offered, setting and scheduling prices, curation.

Every change is checked here (permission, scope, the value's range, a sale below cost) and
writes one audit event; the pricing arithmetic itself is ``cloudbroker.catalog.pricing``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.models import (
    Category,
    Offer,
    OrganizationProductSetting,
    PriceEntry,
    Product,
    ProductGroup,
    slot_scope_key,
    slot_target_key,
)
from cloudbroker.catalog.pricing import EffectivePrice, PriceBook
from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import record_event
from cloudbroker.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from cloudbroker.core.money import minor_units
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404

__all__ = [
    "BelowCost",
    "PriceTarget",
    "broker_of",
    "bulk_set_price",
    "cancel_price",
    "clean_price_value",
    "is_offered",
    "may_change_prices",
    "offered_offers",
    "price_book",
    "prices_for",
    "require_price_change",
    "set_price",
    "set_product_hidden",
]

PriceTarget = Offer | Product | ProductGroup | Category | None

#: The range each kind's value may take (percentages; an amount only needs to be ≥ 0).
PERCENT_LIMITS = {
    PriceKind.MARGIN: (Decimal(-1000), Decimal(100), "below 100 (a margin of 100 % would need an infinite price)"),
    PriceKind.MARKUP: (Decimal(-100), Decimal(100000), "above −100"),
    PriceKind.ERP_DISCOUNT: (Decimal(-1000), Decimal(100), "below 100"),
}


_TIMESTAMPS = [
    f"{prefix}{name}"
    for prefix in ("", "product__", "product__group__", "product__category__")
    for name in ("created_at", "updated_at")
] + ["product__synced_at"]


class BelowCost(Conflict):
    """The price would sell below the partner's cost: confirm it (``confirm_below_cost``) or change it."""

    code = "below_cost"
    status = 409


# -- what is offered ----------------------------------------------------------------------------------


def offered_offers(broker, *, organization=None, day: dt.date | None = None, include_hidden: bool = False) -> QuerySet:
    """The item codes the broker sells on ``day``: not withdrawn, on a billing plan and a term the
    broker offers (its "Billing cycle" setting), and — unless ``include_hidden`` — not hidden from the
    e-store broker-wide or for ``organization``. The one definition every page, API and order uses."""
    day = day or timezone.localdate()
    qs = (
        Offer.objects.filter(
            broker_id=broker.pk,
            term__in=sorted(broker.offered_terms),
            billing_plan__in=sorted(broker.offered_billing_plans),
        )
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
        .filter(Q(product__withdrawn_on__isnull=True) | Q(product__withdrawn_on__gt=day))
        .select_related("product", "product__group", "product__category")
        # Timestamps are not shown; not reading them matters at thousands of item codes.
        .defer(*_TIMESTAMPS)
    )
    if include_hidden:
        return qs
    if organization is None:
        return qs.filter(product__hidden=False)
    settings = OrganizationProductSetting.objects.filter(organization_id=getattr(organization, "pk", organization))
    shown = settings.filter(hidden=False).values("product_id")
    hidden = settings.filter(hidden=True).values("product_id")
    return qs.filter(Q(product__hidden=False) | Q(product_id__in=shown)).exclude(product_id__in=hidden)


def is_offered(broker, offer: Offer, *, organization=None, day: dt.date | None = None) -> bool:
    return offered_offers(broker, organization=organization, day=day).filter(pk=offer.pk).exists()


# -- reading prices -----------------------------------------------------------------------------------


def broker_of(actor: Actor):
    """The actor's broker, read through its scope like every other row."""
    from cloudbroker.brokers.models import Broker

    return Broker.objects.visible_to(actor).get()


def price_book(actor: Actor, *, organization=None, day: dt.date | None = None, for_offers=None) -> PriceBook:
    """The prices ``actor`` may read: the global list, or an organization's (which must be visible);
    ``for_offers`` reads only what prices those few offers."""
    actor.require(Perm.PRICE_VIEW)
    broker = broker_of(actor)
    if organization is not None:
        organization = _visible_organization(actor, organization)
    return PriceBook(broker, organization=organization, day=day, for_offers=for_offers)


# -- setting prices -----------------------------------------------------------------------------------


def _visible_organization(actor: Actor, organization) -> Any:
    """The organization if ``actor`` sees it, else NotFound (404, as every out-of-scope object)."""
    from django.http import Http404

    from cloudbroker.organizations.models import Organization

    try:
        return get_visible_or_404(Organization.objects, actor, getattr(organization, "pk", organization))
    except Http404:
        raise NotFound("Organization not found.") from None


def may_change_prices(actor: Actor, organization=None) -> bool:
    """Whether ``actor`` may change the global price list (``organization`` None) or the prices of
    an organization it sees: the one rule pages, tables and the import ask."""
    if organization is None:
        return actor.has(Perm.PRICE_LIST_CHANGE) and actor.scope_is_broker
    return actor.has(Perm.CUSTOMER_PRICE_CHANGE)


def require_price_change(actor: Actor, organization) -> Any:
    """``may_change_prices`` or an error: an organization out of scope is 404 first (ADR 0002),
    then a missing permission 403. Returns the organization (None for the global list)."""
    if organization is not None:
        organization = _visible_organization(actor, organization)
    if not may_change_prices(actor, organization):
        if organization is None and actor.has(Perm.PRICE_LIST_CHANGE):
            raise PermissionDenied("Only roles that work across the whole broker change the global price list.")
        actor.require(Perm.CUSTOMER_PRICE_CHANGE if organization is not None else Perm.PRICE_LIST_CHANGE)
    return organization


def clean_price_value(kind: str, value: Any, currency: str) -> Decimal | None:
    try:
        kind = PriceKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in PriceKind)
        raise ValidationFailed([FieldError("kind", f"Choose one of {choices}.")]) from None
    if kind == PriceKind.INHERIT:
        return None
    if value is None or value == "":
        raise ValidationFailed([FieldError("value", f"Enter the {'price' if kind == PriceKind.AMOUNT else '%'}.")])
    if isinstance(value, float):
        raise ValidationFailed([FieldError("value", "Send the value as a decimal string, not a float.")])
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationFailed([FieldError("value", f"{value!r} is not a number.")]) from None
    if not number.is_finite():
        raise ValidationFailed([FieldError("value", "Enter a finite number.")])
    if kind == PriceKind.AMOUNT:
        places = minor_units(currency)
        if number < 0:
            raise ValidationFailed([FieldError("value", "A price cannot be negative.")])
        if number != number.quantize(Decimal(1).scaleb(-places)):
            raise ValidationFailed([FieldError("value", f"A price in {currency} has at most {places} decimals.")])
        if number >= Decimal(10) ** 12:
            raise ValidationFailed([FieldError("value", "This price is too large.")])
        return number
    low, high, words = PERCENT_LIMITS[kind]
    if not (low < number < high):
        raise ValidationFailed([FieldError("value", f"The percentage must be {words}.")])
    if number != number.quantize(Decimal("0.0001")):
        raise ValidationFailed([FieldError("value", "A percentage has at most four decimals.")])
    return number


def _target_fields(target: PriceTarget, broker_id) -> dict[str, Any]:
    if target is None:
        return {}
    if getattr(target, "broker_id", None) != broker_id:
        raise ValidationFailed([FieldError("target", "Not found.")])
    for model, name in ((Offer, "offer"), (Product, "product"), (ProductGroup, "group"), (Category, "category")):
        if isinstance(target, model):
            return {name: target}
    raise ValidationFailed([FieldError("target", "Prices are set for an offer, a product, a group or a category.")])


def _affected_offers(broker, target: PriceTarget) -> QuerySet:
    qs = Offer.objects.filter(broker_id=broker.pk).select_related("product", "product__group", "product__category")
    if isinstance(target, Offer):
        return qs.filter(pk=target.pk)
    if isinstance(target, Product):
        return qs.filter(product=target)
    if isinstance(target, ProductGroup):
        return qs.filter(product__group=target)
    if isinstance(target, Category):
        return qs.filter(product__category=target)
    return qs


def _snapshot(entry: PriceEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "kind": entry.kind,
        "value": None if entry.value is None else f"{entry.value.normalize():f}",
        "currency": entry.currency,
        "effective_from": entry.effective_from.isoformat(),
        "target": entry.target_key,
        "scope": entry.scope_key,
    }


def _target_label(target: PriceTarget) -> str:
    if target is None:
        return "every product"
    if isinstance(target, Offer):
        return target.item_code
    return str(target)


def set_price(
    *,
    actor: Actor,
    target: PriceTarget = None,
    organization=None,
    kind: str,
    value: Any = None,
    effective_from: dt.date | None = None,
    confirm_below_cost: bool = False,
) -> PriceEntry:
    """Set (or schedule) the price of a slot: the global price list when ``organization`` is None,
    else that organization's; ``target`` is an offer, a product, a product group, a category or
    None for every product. From ``effective_from`` (today by default; never in the past)."""
    [entry] = bulk_set_price(
        actor=actor,
        targets=[target],
        organization=organization,
        kind=kind,
        value=value,
        effective_from=effective_from,
        confirm_below_cost=confirm_below_cost,
    )
    return entry


def bulk_set_price(
    *,
    actor: Actor,
    targets: Sequence[PriceTarget],
    organization=None,
    kind: str,
    value: Any = None,
    effective_from: dt.date | None = None,
    confirm_below_cost: bool = False,
) -> list[PriceEntry]:
    """The same price rule for every selected target ("select rows → apply a rule"), all or none."""
    organization = require_price_change(actor, organization)
    broker = broker_of(actor)
    today = timezone.localdate()
    effective_from = effective_from or today
    if effective_from < today:
        raise ValidationFailed(
            [FieldError("effective_from", "A price takes effect today or later; the past is not changed.")]
        )
    if kind == PriceKind.AMOUNT and any(not isinstance(t, Offer) for t in targets):
        raise ValidationFailed(
            [FieldError("kind", "A fixed price is set per item code; for a product, group or category use a rule.")]
        )
    if not targets:
        raise ValidationFailed([FieldError("targets", "Select at least one row.")])
    number = clean_price_value(kind, value, broker.currency)

    entries: list[PriceEntry] = []
    with transaction.atomic():
        for target in targets:
            fields = _target_fields(target, broker.pk)
            entry = PriceEntry(
                broker_id=broker.pk,
                organization=organization,
                kind=kind,
                value=number,
                currency=broker.currency,
                effective_from=effective_from,
                created_by_id=actor.user_id,
                **fields,
            )
            scope_key, target_key = slot_scope_key(entry.organization_id), slot_target_key(entry)
            existing = (
                PriceEntry.objects.select_for_update()
                .filter(broker_id=broker.pk, scope_key=scope_key, target_key=target_key, effective_from=effective_from)
                .first()
            )
            current = (
                PriceEntry.objects.filter(
                    broker_id=broker.pk, scope_key=scope_key, target_key=target_key, effective_from__lte=effective_from
                )
                .order_by("-effective_from")
                .first()
            )
            if existing is not None:
                before = _snapshot(existing)
                existing.kind, existing.value, existing.currency = kind, number, broker.currency
                existing.created_by_id = actor.user_id
                entry = existing
            else:
                before = _snapshot(current)
            entry.save()
            action = "price.scheduled" if effective_from > today else "price.set"
            record_event(
                actor=actor,
                action=action,
                obj=entry,
                organization_id=entry.organization_id,
                object_repr=f"{'Customer price' if organization else 'Global price list'}: {_target_label(target)}",
                before=before,
                after=_snapshot(entry),
            )
            entries.append(entry)
        below = [] if kind == PriceKind.INHERIT else _below_cost(broker, organization, targets, entries, effective_from)
        if below and not confirm_below_cost:
            shown = ", ".join(below[:10]) + (f" and {len(below) - 10} more" if len(below) > 10 else "")
            raise BelowCost(
                f"This price sells below cost: {shown}. Confirm to set it anyway.",
                field="value",
                item_codes=below,
            )
    return entries


def _below_cost(broker, organization, targets, entries: list[PriceEntry], day: dt.date) -> list[str]:
    """The item codes that the new entries price below their cost on ``day`` (an offer priced by a
    more specific entry is not affected by a rule on its group, so it is not listed)."""
    new = {e.pk for e in entries}
    offers: dict[Any, Offer] = {}
    for target in targets:
        offers.update({o.pk: o for o in _affected_offers(broker, target)})
    few = list(offers.values()) if len(offers) <= 200 else None
    book = PriceBook(broker, organization=organization, day=day, for_offers=few).prepare(list(offers))
    below = []
    for offer in offers.values():
        price = book.price(offer)
        if price.entry is not None and price.entry.pk in new and price.below_cost:
            below.append(offer.item_code)
    return sorted(below)


def cancel_price(*, actor: Actor, entry: PriceEntry) -> None:
    """Cancel a scheduled price that has not taken effect; one in effect stays part of history
    (set a new price, or 'no own price', instead)."""
    organization = require_price_change(actor, entry.organization_id)
    with transaction.atomic():
        locked = PriceEntry.objects.select_for_update().filter(pk=entry.pk, broker_id=actor.broker_id).first()
        if locked is None:
            raise NotFound("This price no longer exists.")
        entry = locked
        if entry.effective_from <= timezone.localdate():
            raise Conflict(
                "This price is in effect: it stays in the history. Set a new price (or 'no own price') instead.",
                field="effective_from",
            )
        before = _snapshot(entry)
        record_event(
            actor=actor,
            action="price.cancelled",
            obj=entry,
            organization_id=getattr(organization, "pk", None),
            object_repr=f"{'Customer price' if organization else 'Global price list'}: {_target_label(entry.target)}",
            before=before,
        )
        entry.delete()


# -- curation ------------------------------------------------------------------------------------------


def set_product_hidden(*, actor: Actor, product: Product, hidden: bool | None, organization=None) -> None:
    """Hide a product from the e-store (or show it again): broker-wide, or for one organization
    (``hidden=None`` there goes back to the broker-wide choice)."""
    if product.broker_id != actor.broker_id:
        raise NotFound("Not found.")
    with transaction.atomic():
        if organization is None:
            actor.require(Perm.CATALOG_MANAGE)
            if hidden is None:
                raise ValidationFailed([FieldError("hidden", "Choose hidden or shown.")])
            locked = Product.objects.select_for_update().get(pk=product.pk)
            if locked.hidden != hidden:
                record_event(
                    actor=actor,
                    action="catalog.product_hidden" if hidden else "catalog.product_shown",
                    obj=locked,
                    before={"hidden": locked.hidden},
                    after={"hidden": hidden},
                )
                locked.hidden = hidden
                locked.save(update_fields=["hidden", "updated_at"])
            return
        actor.require(Perm.CUSTOMER_PRICE_CHANGE)
        organization = _visible_organization(actor, organization)
        setting = (
            OrganizationProductSetting.objects.select_for_update()
            .filter(organization=organization, product=product)
            .first()
        )
        before = None if setting is None else setting.hidden
        if before == hidden:
            return
        if hidden is None:
            assert setting is not None
            setting.delete()
        elif setting is None:
            OrganizationProductSetting.objects.create(organization=organization, product=product, hidden=hidden)
        else:
            setting.hidden = hidden
            setting.save(update_fields=["hidden", "updated_at"])
        record_event(
            actor=actor,
            action="catalog.organization_product_setting",
            obj=product,
            organization_id=organization.pk,
            before={"hidden": before},
            after={"hidden": hidden},
        )


def prices_for(actor: Actor, offers: Iterable[Offer], *, organization=None, day=None) -> dict[Any, EffectivePrice]:
    """Convenience for pages and the API: every offer's price for the organization (or global)."""
    offers = list(offers)
    few = offers if len(offers) <= 200 else None
    return price_book(actor, organization=organization, day=day, for_offers=few).prices(offers)
