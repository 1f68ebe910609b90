"""The subscriptions API against the emulator over HTTP: buy now and on a later date, read with
price and — only for roles that see cost — cost and margin (the keys absent otherwise), preview a
quantity change, be told why one is refused, and set a historic sales price."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import flush_jobs
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription
from tests.microsoft365.subscription_helpers import BASIC_P1Y_MONTHLY, customer_with_tenant, settle, synced_catalog

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_queue():
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def shop(broker, pc_connection, pc, org_factory, group_factory):
    synced_catalog(broker)
    group = group_factory()
    org, _tenant = customer_with_tenant(pc, broker, org_factory)
    org.groups.add(group)
    return org, group


def test_buy_and_read_back_with_cost_only_for_roles_that_see_it(api_client_for, make_staff, shop, pc):
    org, group = shop
    admin = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
    response = admin.post(
        f"/api/v1/organizations/{org.pk}/subscriptions",
        {"offer": BASIC_P1Y_MONTHLY, "quantity": 5, "friendly_name": "Sales", "po_number": "PO-1"},
    )
    assert response.status_code == 202, response.content
    [made] = response.json()
    assert (made["status"], made["quantity"], made["friendly_name"]) == ("pending", 5, "Sales")
    assert {"unit_price", "unit_cost", "margin_percent"} <= set(made)
    settle(pc)

    read = admin.get(f"/api/v1/subscriptions/{made['id']}").json()
    assert read["status"] == "active"
    assert read["vendor_subscription_id"]
    assert Decimal(read["unit_price"]["amount"]) > Decimal(read["unit_cost"]["amount"])
    assert [lot["quantity"] for lot in read["lots"]] == [5]

    agent = api_client_for(make_staff(StaffRole.SALES_AGENT, groups=[group]))
    seen = agent.get(f"/api/v1/subscriptions/{made['id']}").json()
    assert "unit_price" in seen
    assert "unit_cost" not in seen
    assert "margin_percent" not in seen
    listed = agent.get(f"/api/v1/subscriptions/?organization={org.pk}").json()
    assert [s["id"] for s in listed["items"]] == [made["id"]]
    assert all("unit_cost" not in s and "margin_percent" not in s for s in listed["items"])
    assert "cost" not in agent.get(f"/api/v1/subscriptions/{made['id']}/events").content.decode()

    support = api_client_for(make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN))
    assert "unit_price" not in support.get(f"/api/v1/subscriptions/{made['id']}").json()

    outsider = api_client_for(make_staff(StaffRole.KEY_ACCOUNT_MANAGER))  # no groups
    assert outsider.get(f"/api/v1/subscriptions/{made['id']}").status_code == 404
    assert (
        outsider.post(
            f"/api/v1/organizations/{org.pk}/subscriptions", {"offer": BASIC_P1Y_MONTHLY, "quantity": 1}
        ).status_code
        == 404
    )


def test_a_purchase_scheduled_through_the_api_has_no_price_until_its_date(api_client_for, make_staff, shop):
    org, _ = shop
    admin = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
    later = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = admin.post(
        f"/api/v1/organizations/{org.pk}/subscriptions",
        {"offer": BASIC_P1Y_MONTHLY, "quantity": 2, "provision_on": later},
    )
    assert response.status_code == 202, response.content
    [made] = response.json()
    assert (made["status"], made["provision_on"], made["unit_price"]) == ("scheduled", later, None)

    withdrawn = admin.post(f"/api/v1/subscriptions/{made['id']}/suspend")
    assert withdrawn.status_code == 202
    assert withdrawn.json()["status"] == "cancelled"


def test_bad_input_is_a_422_naming_the_field(api_client_for, make_staff, shop):
    org, _ = shop
    admin = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
    response = admin.post(f"/api/v1/organizations/{org.pk}/subscriptions", {"offer": BASIC_P1Y_MONTHLY, "quantity": -3})
    assert response.status_code == 422
    assert "quantity" in [e["field"] for e in response.json()["errors"]]
    assert not Subscription.objects.exists()


def test_quantity_preview_and_refusal_and_historic_price(api_client_for, make_staff, shop, pc):
    org, _ = shop
    admin = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
    [made] = admin.post(
        f"/api/v1/organizations/{org.pk}/subscriptions", {"offer": BASIC_P1Y_MONTHLY, "quantity": 5}
    ).json()
    settle(pc)
    sub = Subscription.objects.get(pk=made["id"])

    preview = admin.post(f"/api/v1/subscriptions/{sub.pk}/quantity/preview", {"quantity": 7}).json()
    assert preview["allowed"] is True
    assert Decimal(preview["new_total"]["amount"]) == (sub.unit_price * 7).quantize(Decimal("0.01"))

    sub.lots.update(
        added_at=timezone.now() - dt.timedelta(days=8), reducible_until=timezone.now() - dt.timedelta(days=1)
    )
    refused = admin.post(f"/api/v1/subscriptions/{sub.pk}/quantity", {"quantity": 4})
    assert refused.status_code == 409
    assert "7 days" in refused.json()["message"]

    start = sub.start_date.isoformat()
    price = admin.post(f"/api/v1/subscriptions/{sub.pk}/prices", {"valid_from": start, "unit_price": "3.21"})
    assert price.status_code == 201, price.content
    sub.refresh_from_db()
    assert sub.unit_price == Decimal("3.21")
    assert sub.events.filter(kind=EventKind.PRICE_CHANGED).count() == 1
    bad = admin.post(f"/api/v1/subscriptions/{sub.pk}/prices", {"valid_from": "1999-01-01", "unit_price": "x"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"valid_from", "unit_price"}
    huge = admin.post(f"/api/v1/subscriptions/{sub.pk}/prices", {"valid_from": start, "unit_price": "1e15"})
    assert huge.status_code == 422
    assert huge.json()["errors"][0]["field"] == "unit_price"
    assert sub.status == SubscriptionStatus.ACTIVE


def test_a_quote_shows_margin_only_to_roles_that_see_cost(api_client_for, make_staff, shop):
    org, group = shop
    path = f"/api/v1/organizations/{org.pk}/subscriptions/quote?offer={BASIC_P1Y_MONTHLY}&quantity=4"
    admin = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN)).get(path)
    assert admin.status_code == 200, admin.content
    quote = admin.json()
    assert Decimal(quote["total"]["amount"]) == Decimal(quote["unit_price"]["amount"]) * 4
    assert Decimal(quote["margin_percent"]) > 0
    assert quote["end"] > quote["start"]
    agent = api_client_for(make_staff(StaffRole.SALES_AGENT, groups=[group])).get(path).json()
    assert "unit_price" in agent
    assert "margin_percent" not in agent
    assert "unit_cost" not in agent
    assert "cost" not in json.dumps(agent).lower()
