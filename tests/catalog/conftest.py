"""A small catalog for the page and API tests: a product and an add-on for it, each on a one-year
term billed monthly and annually, Microsoft's prices, and a 25 % margin on cost for every product.

Figures chosen so that each is found only where it belongs: the one-year monthly cost is 7.29
(87.48 ÷ 12), ERP 9.11 (109.32 ÷ 12), and the sales price at 25 % margin 9.72."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from cloudbroker.catalog.choices import BillingPlan, PriceKind, TermDuration
from cloudbroker.core.permissions import StaffRole
from tests.factories import (
    CategoryFactory,
    OfferFactory,
    PriceEntryFactory,
    ProductFactory,
    ProductGroupFactory,
    VendorPriceFactory,
)

COST_MONTHLY, ERP_MONTHLY, SALES_MONTHLY = "7.29", "9.11", "9.72"


@dataclass
class Shop:
    broker: Any
    category: Any
    group: Any
    product: Any
    addon: Any
    monthly: Any  # the product, one year billed monthly
    annual: Any  # the product, one year paid yearly
    addon_monthly: Any
    rule: Any  # the global 25 % margin


def build_shop(broker) -> Shop:
    category = CategoryFactory(broker=broker, name="Licence-based")
    group = ProductGroupFactory(broker=broker, name="Microsoft 365")
    product = ProductFactory(broker=broker, title="Microsoft 365 Business Basic", category=category, group=group)
    addon = ProductFactory(broker=broker, title="Teams Phone Standard", category=category, group=group, is_addon=True)
    addon.attaches_to.set([product])
    monthly = OfferFactory(product=product, term=TermDuration.P1Y, billing_plan=BillingPlan.MONTHLY)
    annual = OfferFactory(product=product, term=TermDuration.P1Y, billing_plan=BillingPlan.ANNUAL)
    addon_monthly = OfferFactory(product=addon, term=TermDuration.P1Y, billing_plan=BillingPlan.MONTHLY)
    for offer in (monthly, annual, addon_monthly):
        VendorPriceFactory(
            offer=offer, cost=Decimal("87.48"), erp=Decimal("109.32"), effective_from=dt.date(2026, 1, 1)
        )
    rule = PriceEntryFactory(
        broker=broker, kind=PriceKind.MARGIN, value=Decimal("25"), effective_from=dt.date(2026, 1, 1)
    )
    return Shop(broker, category, group, product, addon, monthly, annual, addon_monthly, rule)


@pytest.fixture
def shop(broker) -> Shop:
    return build_shop(broker)


@dataclass
class People:
    super_admin: Any
    global_admin: Any
    kam: Any
    kam_elsewhere: Any
    sales_agent: Any
    support: Any
    org: Any  # in the KAM's and the Sales Agent's group
    other_org: Any  # in no group of theirs


@pytest.fixture
def people(make_staff, group_factory, org_factory) -> People:
    mine, theirs = group_factory(name="Mine"), group_factory(name="Theirs")
    org = org_factory(name="Contoso", groups=[mine])
    other_org = org_factory(name="Fabrikam", groups=[theirs])
    return People(
        super_admin=make_staff(StaffRole.SUPER_ADMIN),
        global_admin=make_staff(StaffRole.GLOBAL_ADMIN),
        kam=make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine]),
        kam_elsewhere=make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[theirs]),
        sales_agent=make_staff(StaffRole.SALES_AGENT, groups=[mine]),
        support=make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN),
        org=org,
        other_org=other_org,
    )
