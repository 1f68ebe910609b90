"""The subscription list of the API: what each role reads of a row (price, cost and margin only for
roles that see them, the keys absent otherwise), the seat lots in the order they were added, the
same row as the single subscription reads, and a query count that does not grow with the rows
(page 1 and a later page; bench/subscription_list.py measures it at 100,000 subscriptions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbroker.core.permissions import StaffRole
from cloudbroker.subscriptions.choices import SubscriptionStatus
from tests.factories import OfferFactory, SeatLotFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

# Pinned counts. If a change moves one of these, look at the queries (pytest -vv prints them)
# and pin the new number only when every query is deliberate.
LIST_QUERIES = {
    # token lookup, count, page (with the item code and product title), seat lots
    StaffRole.SUPER_ADMIN: 4,
    # + the account manager's assigned groups
    StaffRole.KEY_ACCOUNT_MANAGER: 5,
}

JAN = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)


def _fill(org, offer, n):
    for _ in range(n):
        sub = SubscriptionFactory(organization=org, offer=offer)
        SeatLotFactory(subscription=sub, added_at=JAN + dt.timedelta(days=40), quantity=2)
        SeatLotFactory(subscription=sub, added_at=JAN, quantity=5)


def _count(client, path) -> tuple[int, list[str], dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries], response.json()


@pytest.mark.parametrize("role", list(LIST_QUERIES), ids=lambda r: r.value)
@pytest.mark.parametrize("narrow", [False, True], ids=["broker-wide", "one organization"])
def test_list_query_count_is_constant(role, narrow, api_client_for, make_staff, org_factory, group_factory, broker):
    group = group_factory()
    org, other = org_factory(groups=[group]), org_factory(groups=[group])
    offer = OfferFactory(product__broker=broker)
    user = make_staff(role, groups=[group] if role == StaffRole.KEY_ACCOUNT_MANAGER else ())
    client = api_client_for(user)
    path = "/api/v1/subscriptions/?page_size=20" + (f"&organization={org.pk}" if narrow else "")
    client.get(path)  # first use stamps the token's last-used time
    _fill(org, offer, 3)
    _fill(other, offer, 3)
    small, _, body = _count(client, path)
    assert body["count"] == len(body["items"]) == (3 if narrow else 6)
    _fill(org, offer, 47)
    _fill(other, offer, 47)
    large, sql, body = _count(client, path)
    later, later_sql, later_body = _count(client, path + "&page=2")
    assert body["count"] == (50 if narrow else 100)
    assert len(body["items"]) == len(later_body["items"]) == 20
    assert all([lot["quantity"] for lot in s["lots"]] == [5, 2] for s in body["items"] + later_body["items"])
    assert small == large == later == LIST_QUERIES[role], "\n".join([*sql, "-- page 2:", *later_sql])


def test_each_role_reads_what_it_may_see(api_client_for, make_staff, org_factory, group_factory, broker):
    group = group_factory()
    mine, theirs = org_factory(groups=[group]), org_factory()
    offer = OfferFactory(product__broker=broker)
    priced = SubscriptionFactory(
        organization=mine, offer=offer, unit_price=Decimal("8.125"), unit_cost=Decimal("6.5"), po_number="PO-7"
    )
    SeatLotFactory(subscription=priced, added_at=JAN + dt.timedelta(days=40), quantity=2, reducible_until=None)
    SeatLotFactory(subscription=priced, added_at=JAN, quantity=5)
    addon = SubscriptionFactory(
        organization=mine, offer=offer, parent=priced, unit_price=None, unit_cost=Decimal("1.25"), quantity=2
    )
    free = SubscriptionFactory(organization=mine, offer=offer, unit_price=Decimal(0), unit_cost=Decimal(0))
    elsewhere = SubscriptionFactory(organization=theirs, offer=offer, status=SubscriptionStatus.SUSPENDED)

    def listed(role, **kwargs):
        client = api_client_for(make_staff(role, **kwargs))
        items = client.get("/api/v1/subscriptions/").json()["items"]
        for item in items:  # a row of the list reads as the subscription on its own does
            assert client.get(f"/api/v1/subscriptions/{item['id']}").json() == item
        return {item["id"]: item for item in items}

    admin = listed(StaffRole.GLOBAL_ADMIN)
    assert set(admin) == {str(s.pk) for s in (priced, addon, free, elsewhere)}
    row = admin[str(priced.pk)]
    assert row["unit_price"] == {"amount": "8.13", "currency": priced.currency}  # rounded half up, once
    assert Decimal(row["unit_cost"]["amount"]) == Decimal("6.5")
    assert row["margin_percent"] == "20.00"
    assert (row["item_code"], row["product"]) == (offer.item_code, offer.product.title)
    assert (row["po_number"], row["quantity"], row["parent_id"]) == ("PO-7", 5, None)
    assert [(lot["quantity"], lot["reducible_until"] is None) for lot in row["lots"]] == [(5, False), (2, True)]
    assert admin[str(addon.pk)]["parent_id"] == str(priced.pk)
    assert (admin[str(addon.pk)]["unit_price"], admin[str(addon.pk)]["margin_percent"]) == (None, None)
    assert admin[str(free.pk)]["margin_percent"] is None  # no margin of a zero price
    assert admin[str(elsewhere.pk)]["status"] == "suspended"

    agent = listed(StaffRole.SALES_AGENT, groups=[group])
    assert set(agent) == {str(s.pk) for s in (priced, addon, free)}
    assert agent[str(priced.pk)]["unit_price"] == {"amount": "8.13", "currency": priced.currency}
    assert not any({"unit_cost", "margin_percent"} & set(item) for item in agent.values())

    support = listed(StaffRole.GLOBAL_SUPPORT_ADMIN)
    assert len(support) == 4
    assert not any({"unit_price", "unit_cost", "margin_percent"} & set(item) for item in support.values())

    manager = api_client_for(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group]))
    narrowed = manager.get(f"/api/v1/subscriptions/?organization={theirs.pk}").json()
    assert narrowed == {"items": [], "count": 0}  # an organization outside the groups lists nothing
    status = manager.get(f"/api/v1/subscriptions/?organization={mine.pk}&status=active").json()
    assert status["count"] == 3
