"""API schemas of the catalog and price lists.

Amounts are ``{"amount": "12.50", "currency": "EUR"}`` (a decimal string, never a number). Cost,
ERP and margin live only in :class:`CostedPriceOut`, which the API uses for roles that may see
cost; every other role gets :class:`PriceOut`, whose keys do not include them at all (absent, not
null). A price's ``value`` is sent as a decimal string: a JSON number with a fraction is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

__all__ = [
    "BulkPriceIn",
    "CategoryOut",
    "CostedPriceOut",
    "MoneyOut",
    "OfferDetailOut",
    "OfferOut",
    "OfferPage",
    "OrganizationVisibilityIn",
    "OrganizationVisibilityOut",
    "PriceEntryOut",
    "PriceIn",
    "PriceOut",
    "ProductGroupOut",
    "ProductOut",
    "ProductVisibilityIn",
]

TargetType = Literal["all", "category", "group", "product", "offer"]


class MoneyOut(Schema):
    amount: str = Field(description="A decimal string, rounded commercially to the currency's minor units.")
    currency: str


class Ref(Schema):
    id: uuid.UUID
    name: str


class ProductRef(Schema):
    id: uuid.UUID
    title: str


class CategoryOut(Schema):
    id: uuid.UUID
    name: str
    slug: str
    position: int


class ProductGroupOut(Schema):
    id: uuid.UUID
    name: str
    slug: str
    position: int


class ProductOut(Schema):
    id: uuid.UUID
    product_id: str = Field(description="Partner Center's product id.")
    sku_id: str
    product_sku: str
    title: str
    description: str
    category: Ref
    group: Ref
    is_addon: bool
    is_trial: bool
    minimum_quantity: int
    maximum_quantity: int
    attaches_to: list[ProductRef] = Field(description="The products this add-on is for.")
    hidden: bool = Field(description="Hidden from the e-store broker-wide.")
    withdrawn_on: dt.date | None

    @staticmethod
    def resolve_product_id(obj) -> str:
        return obj.vendor_product_id

    @staticmethod
    def resolve_sku_id(obj) -> str:
        return obj.vendor_sku_id

    @staticmethod
    def resolve_attaches_to(obj) -> list:
        return list(obj.attaches_to.all())


class PriceOut(Schema):
    """A price as every role that sees prices reads it: no cost, no margin."""

    day: dt.date
    sales: MoneyOut | None = Field(description="Per seat per charge; null when nothing can price it yet.")
    source: str = Field(description="Which rule produced the price.")
    level: Literal["customer", "global", "retail"]


class CostedPriceOut(Schema):
    """A price with cost, ERP and margin: only for roles that may see cost."""

    day: dt.date
    sales: MoneyOut | None
    source: str
    level: Literal["customer", "global", "retail"]
    cost: MoneyOut | None = Field(description="The partner's cost per seat per charge.")
    erp: MoneyOut | None = Field(description="Microsoft's retail price per seat per charge.")
    margin_amount: MoneyOut | None
    margin_percent: str | None = Field(description="(sales − cost) ÷ sales × 100, two decimals.")
    below_cost: bool


class OfferOut(Schema):
    id: uuid.UUID
    item_code: str
    term: str
    billing_plan: str
    charges_per_term: int
    product: ProductOut
    withdrawn_on: dt.date | None
    price: CostedPriceOut | PriceOut | None = Field(
        union_mode="left_to_right",
        description="Null for a role that does not see prices; cost and margin only for roles that see cost.",
    )


class OfferDetailOut(OfferOut):
    addons: list[ProductRef] = Field(description="Add-ons that attach to this offer's product.")


class OfferPage(Schema):
    items: list[OfferOut]
    count: int


class PriceEntryOut(Schema):
    id: uuid.UUID
    organization: uuid.UUID | None
    target_type: TargetType
    target_id: uuid.UUID | None
    target_name: str
    kind: str
    value: str | None = Field(
        description="The amount or percentage; null for a margin or markup on cost when the caller does not see cost."
    )
    currency: str
    effective_from: dt.date
    status: Literal["past", "current", "scheduled"]
    created_at: dt.datetime


def _refuse_floats(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('Send the value as a decimal string such as "12.50", not a number.')
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class PriceFields(Schema):
    kind: Literal["amount", "margin", "markup", "erp_discount", "inherit"]
    value: str | None = Field(
        None, description='The amount or percentage as a decimal string ("12.50", "20"); floats are refused.'
    )
    effective_from: dt.date | None = Field(None, description="Today when absent; a later day schedules the price.")
    confirm_below_cost: bool = Field(False, description="Set it even though it sells below cost.")

    @field_validator("value", mode="before")
    @classmethod
    def no_floats(cls, value):
        return _refuse_floats(value)


class PriceIn(PriceFields):
    target_type: TargetType = "offer"
    target_id: uuid.UUID | None = Field(None, description="The offer, product, group or category (not for 'all').")


class BulkTarget(Schema):
    target_type: TargetType = "offer"
    target_id: uuid.UUID | None = None


class BulkPriceIn(PriceFields):
    offers: list[uuid.UUID] = Field(default_factory=list, max_length=5000, description="Item codes (offer ids).")
    targets: list[BulkTarget] = Field(default_factory=list, max_length=5000, description="Other targets.")


class ProductVisibilityIn(Schema):
    hidden: bool


class OrganizationVisibilityIn(Schema):
    hidden: bool | None = Field(description="true hides, false shows, null follows the broker-wide choice.")


class OrganizationVisibilityOut(Schema):
    organization: uuid.UUID
    product: uuid.UUID
    hidden: bool | None = Field(description="The organization's own choice (null: follows the broker).")
    shown: bool = Field(description="Whether the organization's e-store shows the product.")
