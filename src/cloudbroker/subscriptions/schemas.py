"""API schemas of subscriptions. Amounts are ``{"amount": "12.50", "currency": "EUR"}``. Cost and
margin are only in :class:`CostedSubscriptionOut`, used for roles that may see cost; every other
role gets :class:`SubscriptionOut`, whose keys do not include them (absent, not null). The sales
price is only shown to roles that may see prices."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema

__all__ = [
    "CostedSubscriptionOut",
    "EventOut",
    "LotOut",
    "MoneyOut",
    "SalesPriceIn",
    "SalesPriceOut",
    "SubscriptionOut",
    "SubscriptionPageOut",
]


class MoneyOut(Schema):
    amount: str
    currency: str


class LotOut(Schema):
    quantity: int
    added_at: dt.datetime
    reducible_until: dt.datetime | None = Field(description="Seats of this lot can be removed until then.")


class SubscriptionOut(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    item_code: str
    product: str
    friendly_name: str
    po_number: str
    quantity: int
    assigned_quantity: int | None = Field(
        None,
        description="Seats with a licence assigned (consumed), as Partner Center last reported; none: not read yet.",
    )
    status: str
    status_message: str
    change_pending: str
    term: str
    billing_plan: str
    start_date: dt.date | None
    commitment_end: dt.date | None = Field(description="The last day of the term: the end of the price lock.")
    auto_renew: bool
    provision_on: dt.date | None
    parent_id: uuid.UUID | None
    vendor_subscription_id: str
    next_term_quantity: int | None = Field(None, description="Quantity the next term renews with (none: unchanged).")
    next_term_item_code: str | None = Field(None, description="Item code the next term renews to (none: unchanged).")
    unit_price: MoneyOut | None = Field(None, description="Sales price per seat per charge (roles that see prices).")
    lots: list[LotOut] = []


class CostedSubscriptionOut(SubscriptionOut):
    unit_cost: MoneyOut | None = None
    margin_percent: str | None = None


class SubscriptionPageOut(Schema):
    items: list[CostedSubscriptionOut] = Field(
        description="Cost and margin keys only for roles that see cost; the price only for roles that see prices."
    )
    count: int


class EventOut(Schema):
    id: int
    kind: str
    occurred_at: dt.datetime
    quantity_before: int | None
    quantity_after: int | None
    price_before: str | None
    price_after: str | None
    currency: str
    actor: str
    detail: dict[str, Any]


class SalesPriceIn(Schema):
    valid_from: str = Field(description="YYYY-MM-DD; may be in the past (billing uses it from then).")
    unit_price: str = Field(description="Per seat per charge, a decimal string.")


class SalesPriceOut(Schema):
    valid_from: dt.date
    unit_price: MoneyOut
