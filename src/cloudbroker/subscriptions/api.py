"""The subscriptions API (vendor-neutral reading, and the historic sales price). Buying and
changing go through the vendor's app (``/api/v1/organizations/{id}/subscriptions``, ``…/quantity``)."""

import uuid
from decimal import Decimal
from typing import Any

from ninja import Router, Status
from ninja.pagination import paginate

from cloudbroker.core.actors import Actor
from cloudbroker.core.api import actor_of, requires
from cloudbroker.core.pagination import Pagination
from cloudbroker.core.permissions import Perm
from cloudbroker.subscriptions import services
from cloudbroker.subscriptions.choices import SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription, SubscriptionEvent
from cloudbroker.subscriptions.schemas import CostedSubscriptionOut, EventOut, SalesPriceIn, SalesPriceOut

router = Router(tags=["Subscriptions"])

HUNDRED = Decimal(100)


def _money(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    if amount is None:
        return None
    return {
        "amount": str(amount.quantize(Decimal("0.01")) if amount == amount.quantize(Decimal("0.01")) else amount),
        "currency": currency,
    }


def subscription_out(sub: Subscription, actor: Actor) -> dict[str, Any]:
    """A subscription as ``actor`` may read it: no price without PRICE_VIEW, no cost or margin
    without COST_VIEW (the keys are left out)."""
    from cloudbroker.core.money import Money, Rounding

    data: dict[str, Any] = {
        "id": sub.pk,
        "organization_id": sub.organization_id,
        "item_code": sub.offer.item_code,
        "product": sub.offer.product.title,
        "friendly_name": sub.friendly_name,
        "po_number": sub.po_number,
        "quantity": sub.quantity,
        "status": sub.status,
        "status_message": sub.status_message,
        "change_pending": sub.change_pending,
        "term": sub.term,
        "billing_plan": sub.billing_plan,
        "start_date": sub.start_date,
        "commitment_end": sub.commitment_end,
        "auto_renew": sub.auto_renew,
        "provision_on": sub.provision_on,
        "parent_id": sub.parent_id,
        "vendor_subscription_id": sub.vendor_subscription_id,
        "next_term_quantity": sub.next_term_quantity,
        "next_term_item_code": sub.next_term_offer.item_code if sub.next_term_offer else None,
        "lots": [
            {"quantity": lot.quantity, "added_at": lot.added_at, "reducible_until": lot.reducible_until}
            for lot in sub.lots.all()
        ],
    }
    if actor.has(Perm.PRICE_VIEW):
        price = Money(sub.unit_price, sub.currency).rounded(Rounding.COMMERCIAL) if sub.unit_price is not None else None
        data["unit_price"] = {"amount": str(price.amount), "currency": price.currency} if price else None
    if actor.has(Perm.COST_VIEW):
        cost = Money(sub.unit_cost, sub.currency) if sub.unit_cost is not None else None
        data["unit_cost"] = {"amount": str(cost.amount), "currency": cost.currency} if cost else None
        margin = None
        if sub.unit_price and sub.unit_cost is not None:
            margin = str(((sub.unit_price - sub.unit_cost) / sub.unit_price * HUNDRED).quantize(Decimal("0.01")))
        data["margin_percent"] = margin
    return data


def _list(actor: Actor):
    return (
        Subscription.objects.visible_to(actor)
        .select_related("offer", "offer__product", "next_term_offer")
        .prefetch_related("lots")
        .order_by("organization_id", "created_at", "id")
    )


@router.get("/", response=list[CostedSubscriptionOut], exclude_unset=True, summary="Subscriptions")
@paginate(Pagination, page_size=100)
@requires(Perm.SUBSCRIPTION_VIEW)
def list_subscriptions(request, organization: uuid.UUID | None = None, status: SubscriptionStatus | None = None):
    """Every subscription the caller sees (``organization`` narrows to one, ``status`` to a status)."""
    actor = actor_of(request)
    qs = _list(actor)
    if organization is not None:
        qs = qs.filter(organization_id=organization)
    if status is not None:
        qs = qs.filter(status=status)
    return _Page(qs, actor)


class _Page:
    """The queryset, turned into what the actor may read as the paginator slices it."""

    def __init__(self, qs, actor: Actor) -> None:
        self.qs, self.actor = qs, actor

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        rows = self.qs[index]
        if isinstance(index, slice):
            return [subscription_out(s, self.actor) for s in rows]
        return subscription_out(rows, self.actor)


@router.get("/{subscription_id}", response=CostedSubscriptionOut, exclude_unset=True, summary="A subscription")
@requires(Perm.SUBSCRIPTION_VIEW, lookup=(Subscription.objects, "subscription_id"))
def get_subscription(request, subscription_id: uuid.UUID):
    actor = actor_of(request)
    return subscription_out(services.get_subscription(actor, subscription_id), actor)


@router.get("/{subscription_id}/events", response=list[EventOut], summary="A subscription's history")
@paginate(Pagination, page_size=100)
@requires(Perm.SUBSCRIPTION_VIEW, lookup=(Subscription.objects, "subscription_id"))
def list_events(request, subscription_id: uuid.UUID):
    """Every event, oldest first: the record billing is computed from. Prices only for roles that see prices."""
    actor = actor_of(request)
    sub = services.get_subscription(actor, subscription_id)
    prices = actor.has(Perm.PRICE_VIEW)
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "occurred_at": e.occurred_at,
            "quantity_before": e.quantity_before,
            "quantity_after": e.quantity_after,
            "price_before": str(e.price_before) if prices and e.price_before is not None else None,
            "price_after": str(e.price_after) if prices and e.price_after is not None else None,
            "currency": e.currency,
            "actor": e.actor_label,
            "detail": e.detail if prices else {k: v for k, v in e.detail.items() if "price" not in k},
        }
        for e in SubscriptionEvent.objects.filter(subscription=sub).order_by("occurred_at", "id")
    ]


@router.post(
    "/{subscription_id}/prices", response={201: SalesPriceOut}, summary="Set the sales price from a date (also past)"
)
@requires(Perm.CUSTOMER_PRICE_CHANGE, lookup=(Subscription.objects, "subscription_id"))
def set_price(request, subscription_id: uuid.UUID, payload: SalesPriceIn):
    actor = actor_of(request)
    sub = services.get_subscription(actor, subscription_id)
    row = services.set_sales_price(
        actor=actor, subscription=sub, valid_from=payload.valid_from, unit_price=payload.unit_price
    )
    return Status(
        201, {"valid_from": row.valid_from, "unit_price": {"amount": str(row.unit_price), "currency": row.currency}}
    )
