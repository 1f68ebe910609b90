"""The client's NCE calls against the emulator over HTTP: pending orders and provisioning status,
scheduled next-term instructions, term and billing-plan changes, transitions, custom end dates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from cloudbroker.connectors.partner_center import PartnerCenterConflict, PartnerCenterInvalidRequest
from cloudbroker.connectors.partner_center.schemas import (
    CartLineItem,
    ScheduledNextTermInstructions,
    ScheduledProduct,
    Subscription,
    SubscriptionStatus,
    SubscriptionUpdate,
    Transition,
)

from .conftest import BASIC, customer_body

pytestmark = pytest.mark.emulator

STANDARD = "CFQ7TTC0LDPB:0001:CFQ7TTC0K5DM"
TEAMS_PHONE = "CFQ7TTC0LH1G:0001:CFQ7TTC0KCBX"
START = datetime(2025, 6, 18, 9, tzinfo=UTC)


@pytest.fixture
def customer_id(client, pc) -> str:
    pc.set_clock(START)
    return client.create_customer(customer_body("northwind")).id


def line(item: str = BASIC, quantity: int = 3, term: str = "P1Y", cycle: str = "monthly", **extra) -> CartLineItem:
    return CartLineItem(catalog_item_id=item, quantity=quantity, term_duration=term, billing_cycle=cycle, **extra)


def buy(client, pc, customer_id: str, *lines: CartLineItem) -> list[Subscription]:
    pc.set_provisioning_delay(0)
    cart = client.create_cart(customer_id, list(lines) or [line()], request_id=uuid.uuid4())
    assert cart.line_errors == []
    (order,) = client.checkout_cart(customer_id, cart.id, request_id=uuid.uuid4()).orders
    return [client.get_subscription(customer_id, li.subscription_id) for li in order.line_items]


def test_a_pending_order_is_followed_until_it_is_provisioned(client, pc, customer_id):
    pc.set_provisioning_delay(30)
    cart = client.create_cart(
        customer_id, [line(friendly_name="Sales"), line(TEAMS_PHONE, quantity=1)], request_id=uuid.uuid4()
    )
    assert cart.line_errors == []  # the add-on's base is in the same cart
    (order,) = client.checkout_cart(customer_id, cart.id, request_id=uuid.uuid4()).orders
    assert order.is_pending
    assert not order.is_completed
    assert [li.subscription_id for li in order.line_items] == [None, None]
    assert next((li.friendly_name, li.offer_id) for li in order.line_items) == ("Sales", BASIC)
    assert order.line_items[0].links["provisioningStatus"].uri.endswith("/provisioningstatus")
    pending = client.list_subscriptions(customer_id, order_id=order.id)
    assert {s.status for s in pending} == {SubscriptionStatus.PENDING}
    assert all(s.is_pending and s.attention_needed for s in pending)
    status = client.get_order_provisioning_status(customer_id, order.id)
    assert [(s.status, s.is_fulfilled) for s in status] == [("PrefulfillmentPending", False)] * 2
    assert not client.get_subscription_provisioning_status(customer_id, pending[0].id).is_provisioned
    with pytest.raises(PartnerCenterConflict) as refused:
        client.update_subscription(customer_id, pending[0].id, quantity=5)
    assert refused.value.microsoft_code == "800082"

    pc.advance(seconds=30)
    done = client.get_order(customer_id, order.id)
    assert done.is_completed
    base_id, addon_id = (li.subscription_id for li in done.line_items)
    assert done.line_items[1].parent_subscription_id == base_id
    assert {s.id for s in pending} == {base_id, addon_id}
    assert all(s.is_fulfilled for s in client.get_order_provisioning_status(customer_id, order.id))
    assert client.get_subscription_provisioning_status(customer_id, base_id).is_provisioned
    base = client.get_subscription(customer_id, base_id)
    assert (base.status, base.attention_needed, base.friendly_name) == ("active", False, "Sales")


def test_scheduled_next_term_instructions_set_and_cleared(client, pc, customer_id):
    (sub,) = buy(client, pc, customer_id, line(quantity=10))
    assert sub.refundable_seats == 10
    assert [o.type for o in sub.refund_options or []] == ["Full", "Partial"]
    instructions = ScheduledNextTermInstructions(
        quantity=6,
        product=ScheduledProduct(
            product_id="CFQ7TTC0LDPB",
            sku_id="0001",
            availability_id="CFQ7TTC0K5DM",
            term_duration="P1Y",
            billing_cycle="annual",
        ),
    )
    scheduled = client.set_scheduled_next_term_instructions(customer_id, sub.id, instructions)
    assert scheduled.scheduled_next_term_instructions is not None
    assert scheduled.scheduled_next_term_instructions.quantity == 6
    assert scheduled.scheduled_next_term_instructions.product.sku_id == "0001"
    # A name change (GET-modify-PATCH) keeps them; clearing removes them.
    renamed = client.update_subscription(customer_id, sub.id, friendly_name="Office")
    assert renamed.scheduled_next_term_instructions == scheduled.scheduled_next_term_instructions
    cleared = client.clear_scheduled_next_term_instructions(customer_id, sub.id)
    assert cleared.scheduled_next_term_instructions is None
    assert cleared.auto_renew_enabled is True
    with pytest.raises(PartnerCenterInvalidRequest) as refused:
        client.set_scheduled_next_term_instructions(customer_id, sub.id, {"quantity": 0})
    assert refused.value.microsoft_code == "2002"


def test_term_and_billing_plan_changes(client, pc, customer_id):
    monthly, triennial = buy(client, pc, customer_id, line(term="P1M"), line(STANDARD, term="P3Y"))
    longer = client.change_term(customer_id, monthly.id, "P1Y", billing_cycle="annual")
    assert (longer.term_duration, longer.billing_cycle) == ("P1Y", "annual")
    with pytest.raises(PartnerCenterInvalidRequest) as shorter:
        client.change_term(customer_id, longer.id, "P1M")
    assert shorter.value.microsoft_code == "800122"
    planned = client.change_billing_cycle(customer_id, triennial.id, "annual")
    assert planned.billing_cycle == "monthly"
    assert planned.next_charge_instructions is not None
    assert planned.next_charge_instructions.product.billing_cycle == "annual"
    with pytest.raises(PartnerCenterInvalidRequest) as refused:
        client.update_subscription(customer_id, longer.id, SubscriptionUpdate(billing_cycle="monthly"))
    assert refused.value.microsoft_code == "2054"


def test_transitions_through_the_client(client, pc, customer_id):
    (sub,) = buy(client, pc, customer_id, line(quantity=8))
    eligible = client.list_transition_eligibilities(customer_id, sub.id)
    assert next(e.catalog_item_id for e in eligible) == STANDARD
    assert eligible[0].is_eligible("transition_only")
    assert next(e.catalog_item_id for e in client.list_transition_eligibilities(customer_id, sub.id, "scheduled")) == (
        STANDARD
    )
    upgrades = client.list_upgrades(customer_id, sub.id)
    assert next((u.target_offer.id, u.is_eligible) for u in upgrades if u.target_offer) == (STANDARD, True)
    started = client.create_transition(
        customer_id,
        sub.id,
        Transition(
            from_catalog_item_id=BASIC,
            to_catalog_item_id=STANDARD,
            quantity=3,
            term_duration="P1Y",
            billing_cycle="monthly",
            transition_type="transition_only",
        ),
        request_id=uuid.uuid4(),
    )
    assert started.events[0].status == "Started"
    assert started.to_subscription_id
    assert started.to_subscription_id != sub.id
    (listed,) = client.list_transitions(customer_id, sub.id)
    assert (listed.id, listed.status, listed.quantity) == (started.id, "completed", 3)
    assert client.get_subscription(customer_id, sub.id).quantity == 5
    with pytest.raises(PartnerCenterInvalidRequest) as downgrade:
        client.create_transition(customer_id, started.to_subscription_id, {"toCatalogItemId": BASIC, "quantity": 1})
    assert downgrade.value.microsoft_code == "800004"


def test_custom_term_end_dates(client, pc, customer_id):
    (sub,) = buy(client, pc, customer_id, line(term="P1M"))
    dates = client.list_custom_term_end_dates(customer_id, "P1M")
    kinds = {(d.allowed_custom_term_end_date_type, d.allowed_custom_term_end_date.date().isoformat()) for d in dates}
    assert ("calendarMonthAligned", "2025-06-30") in kinds
    aligned = [d for d in dates if d.allowed_custom_term_end_date_type == "subscriptionAligned"]
    assert [d.coterm_subscription_ids for d in aligned] == [[sub.id]]


def test_unknown_enum_values_are_data(client):
    sub = Subscription.model_validate(
        {"id": "x", "status": "migrating", "billingCycle": "biennial", "attentionReason": "SomethingNew"}
    )
    assert (sub.status, sub.billing_cycle, sub.attention_reason) == ("migrating", "biennial", "SomethingNew")
    assert not sub.is_pending
