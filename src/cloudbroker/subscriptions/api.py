"""The subscriptions API (vendor-neutral reading, and the historic sales price). Buying and
changing go through the vendor's app (``/api/v1/organizations/{id}/subscriptions``, ``…/quantity``)."""

import json
import uuid
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.http import HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate
from ninja.responses import NinjaJSONEncoder

from cloudbroker.core.actors import Actor
from cloudbroker.core.api import actor_of, requires
from cloudbroker.core.pagination import MAX_PAGE, MAX_PAGE_SIZE, Pagination
from cloudbroker.core.permissions import Perm
from cloudbroker.subscriptions import services
from cloudbroker.subscriptions.choices import SubscriptionStatus
from cloudbroker.subscriptions.models import SeatLot, Subscription, SubscriptionEvent
from cloudbroker.subscriptions.schemas import (
    CostedSubscriptionOut,
    EventOut,
    SalesPriceIn,
    SalesPriceOut,
    SubscriptionPageOut,
)

router = Router(tags=["Subscriptions"])

PAGE_SIZE = 100

HUNDRED = Decimal(100)


#: The columns a subscription is read with (besides its currency, price and cost, and the item
#: code and product title of its offer).
_COLUMNS = (
    "id",
    "organization_id",
    "friendly_name",
    "po_number",
    "quantity",
    "assigned_quantity",
    "status",
    "status_message",
    "change_pending",
    "term",
    "billing_plan",
    "start_date",
    "commitment_end",
    "auto_renew",
    "provision_on",
    "parent_id",
    "vendor_subscription_id",
    "next_term_quantity",
)


def _as_read(row: dict[str, Any], lots: list[dict[str, Any]], *, prices: bool, costs: bool) -> dict[str, Any]:
    """``row`` (the columns above with ``item_code``, ``product``, ``currency``, ``unit_price`` and
    ``unit_cost``) as it is read: no price without ``prices``, no cost or margin without ``costs``
    (the keys are left out)."""
    from cloudbroker.core.money import Money, Rounding

    currency, unit_price, unit_cost = row.pop("currency"), row.pop("unit_price"), row.pop("unit_cost")
    row["lots"] = lots
    if prices:
        price = Money(unit_price, currency).rounded(Rounding.COMMERCIAL) if unit_price is not None else None
        row["unit_price"] = {"amount": str(price.amount), "currency": price.currency} if price else None
    if costs:
        cost = Money(unit_cost, currency) if unit_cost is not None else None
        row["unit_cost"] = {"amount": str(cost.amount), "currency": cost.currency} if cost else None
        margin = None
        if unit_price and unit_cost is not None:
            margin = str(((unit_price - unit_cost) / unit_price * HUNDRED).quantize(Decimal("0.01")))
        row["margin_percent"] = margin
    return row


def subscription_out(sub: Subscription, actor: Actor) -> dict[str, Any]:
    """A subscription as ``actor`` may read it: no price without PRICE_VIEW, no cost or margin
    without COST_VIEW (the keys are left out)."""
    row = {name: getattr(sub, name) for name in _COLUMNS}
    row.update(
        item_code=sub.offer.item_code,
        product=sub.offer.product.title,
        next_term_item_code=sub.next_term_offer.item_code if sub.next_term_offer else None,
        currency=sub.currency,
        unit_price=sub.unit_price,
        unit_cost=sub.unit_cost,
    )
    lots = [
        {"quantity": lot.quantity, "added_at": lot.added_at, "reducible_until": lot.reducible_until}
        for lot in sub.lots.all()
    ]
    return _as_read(row, lots, prices=actor.has(Perm.PRICE_VIEW), costs=actor.has(Perm.COST_VIEW))


def _list(actor: Actor):
    return Subscription.objects.visible_to(actor).order_by("organization_id", "created_at", "id")


@router.get("/", response=SubscriptionPageOut, summary="Subscriptions")
@requires(Perm.SUBSCRIPTION_VIEW)
def list_subscriptions(
    request,
    organization: uuid.UUID | None = None,
    status: SubscriptionStatus | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
):
    """Every subscription the caller sees (``organization`` narrows to one, ``status`` to a status),
    ``{"items": [...], "count": total}``, ``page_size`` (default 100) a page.

    The rows are built here in the documented shape (tests compare each with the subscription's own
    endpoint) and sent as they are: at 100 rows, checking them again against the schema would
    cost as much as reading them."""
    actor = actor_of(request)
    qs = _list(actor)
    if organization is not None:
        qs = qs.filter(organization_id=organization)
    if status is not None:
        qs = qs.filter(status=status)
    start = (page - 1) * page_size
    body = {"items": _Page(qs, actor)[start : start + page_size], "count": qs.count()}
    return HttpResponse(json.dumps(body, cls=NinjaJSONEncoder), content_type="application/json")


class _Page:
    """The queryset, turned into what the actor may read as the paginator slices it: the page's
    columns as plain rows (no model objects), and the seat lots of those rows by one more query."""

    def __init__(self, qs, actor: Actor) -> None:
        self.qs, self.actor = qs, actor

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        rows = list(
            self.qs.values(
                *_COLUMNS,
                "currency",
                "unit_price",
                "unit_cost",
                item_code=F("offer__item_code"),
                product=F("offer__product__title"),
                next_term_item_code=F("next_term_offer__item_code"),
            )[index]
        )
        lots: dict[uuid.UUID, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
        if rows:
            # The lots of the page's subscriptions, which were read through visible_to.
            seats = SeatLot.objects.filter(subscription_id__in=list(lots)).order_by("added_at", "id")
            for sub_id, quantity, added_at, until in seats.values_list(
                "subscription_id", "quantity", "added_at", "reducible_until"
            ):
                lots[sub_id].append({"quantity": quantity, "added_at": added_at, "reducible_until": until})
        prices, costs = self.actor.has(Perm.PRICE_VIEW), self.actor.has(Perm.COST_VIEW)
        return [_as_read(row, lots[row["id"]], prices=prices, costs=costs) for row in rows]


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
        for e in SubscriptionEvent.objects.visible_to(actor).filter(subscription=sub).order_by("occurred_at", "id")
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
