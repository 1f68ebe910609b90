"""Seed 001 §3–§5 in a real browser, against the Partner Center emulator over HTTP: an organization →
its subscriptions → Add subscription → the price before confirming → create → active in the list →
change the quantity (the new cost first) → suspend → activate."""

from __future__ import annotations

import re

import pytest

from cloudbroker.catalog.models import Offer
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import flush_jobs
from cloudbroker.subscriptions.choices import SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription
from tests.microsoft365.subscription_helpers import BASIC_P1Y_MONTHLY, customer_with_tenant, settle, synced_catalog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def row_of(page, sub):
    return page.locator(f'#subscriptions tr[data-id="{sub.pk}"]')


def test_add_and_manage_a_subscription(login, make_staff, broker, org_factory, pc, pc_connection):
    flush_jobs()
    synced_catalog(broker)
    org, _ = customer_with_tenant(pc, broker, org_factory)
    offer = Offer.objects.select_related("product").get(broker=broker, item_code=BASIC_P1Y_MONTHLY)
    page = login(make_staff(StaffRole.GLOBAL_ADMIN))

    page.goto(f"/organizations/{org.pk}/")
    page.click("#microsoft-365 >> text=Subscriptions")
    page.wait_for_selector("text=No subscriptions yet.")
    page.click("text=Add subscription")

    # Each choice narrows the next; htmx re-renders the form as they change. The server marks what
    # was chosen, so waiting for that mark waits for the new form.
    def choose(field: str, value: str) -> None:
        chosen = f"#id_{field} option[value='{value}'][selected]"
        page.wait_for_selector(f"#id_{field} option[value='{value}']", state="attached")
        if page.locator(chosen).count():
            return  # the only choice, chosen already
        page.select_option(f"#id_{field}", value)
        page.wait_for_selector(chosen, state="attached")

    choose("category", str(offer.product.category_id))
    choose("billing_plan", offer.billing_plan)
    choose("group", str(offer.product.group_id))
    choose("product", str(offer.product_id))
    choose("term", offer.term)
    assert page.get_attribute(f"#id_product option[value='{offer.product_id}']", "title")
    page.fill("#id_friendly_name", "Office staff")  # typing a name re-renders nothing
    page.fill("#id_quantity", "5")
    page.locator("#id_quantity").dispatch_event("change")
    page.wait_for_selector("#quote-total")
    assert re.match(r"[\d,.]+ EUR", page.inner_text("#quote-total"))
    assert "%" in page.inner_text("#quote-margin")
    page.click("#quote-details summary")
    assert offer.item_code in page.inner_text("#quote-details")
    assert not Subscription.objects.exists()  # seeing the price bought nothing

    page.click("#create")
    page.wait_for_selector("text=is being created in Partner Center")
    sub = Subscription.objects.get()
    assert row_of(page, sub).get_attribute("data-status") == SubscriptionStatus.PENDING

    settle(pc)
    page.reload()
    row = row_of(page, sub)
    assert row.get_attribute("data-status") == SubscriptionStatus.ACTIVE
    assert "Office staff" in row.inner_text()
    assert "5 seats until" in row.inner_text()

    # Actions → Change quantity: the new cost first, then Update.
    row.locator("details.menu summary").click()
    row.locator("text=Change quantity").click()
    page.fill("#id_quantity", "8")
    page.click("text=Show the new cost")
    page.wait_for_selector("#new-total")
    assert "EUR" in page.inner_text("#new-total")
    page.click("#update")
    page.wait_for_selector("text=was sent to Partner Center")
    settle(pc)
    page.reload()
    assert page.inner_text("#quantity") == "8"

    # Suspend (a confirmation), then Activate.
    page.click("#subscription-actions >> text=Suspend")
    assert "Microsoft keeps billing" in page.inner_text("main")
    page.click("button:has-text('Suspend')")
    page.wait_for_selector("text=The suspension was sent to Partner Center.")
    settle(pc)
    page.reload()
    assert page.get_attribute("#status", "data-status") == SubscriptionStatus.SUSPENDED
    page.click("#subscription-actions >> text=Activate")
    page.click("button:has-text('Activate')")
    page.wait_for_selector("text=The activation was sent to Partner Center.")
    settle(pc)
    page.reload()
    assert page.get_attribute("#status", "data-status") == SubscriptionStatus.ACTIVE
    history = page.inner_text("#history")
    for kind in ("Ordered", "Provisioned", "Quantity changed", "Suspended", "Activated"):
        assert kind in history, kind
