"""Subscriptions and the NCE rules at the edges of their windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .conftest import BASIC, START


@pytest.fixture
def bought(api, pc):
    pc.set_clock(START)
    customer = api.create_customer()
    sub = api.buy(customer["id"], BASIC, quantity=10)
    return customer["id"], sub


def url(cid, sub):
    return f"/v1/customers/{cid}/subscriptions/{sub['id']}"


def test_purchase_shows_the_lot_in_refundable_quantity(bought):
    _, sub = bought
    assert sub["quantity"] == 10
    assert sub["status"] == "active"
    assert sub["autoRenewEnabled"] is True
    assert sub["commitmentEndDate"] == "2026-06-17T00:00:00Z"
    assert sub["refundableQuantity"] == {
        "totalQuantity": 10,
        "details": [{"quantity": 10, "allowedUntilDateTime": "2025-06-25T09:00:00Z"}],
    }
    assert sub["cancellationAllowedUntilDate"] == "2025-06-25T09:00:00Z"


def test_reduction_at_167h59m_is_allowed(api, pc, bought):
    cid, sub = bought
    pc.advance(seconds=(167 * 60 + 59) * 60)
    response = api.patch(url(cid, sub), {**sub, "quantity": 8})
    assert response.status_code == 200, response.text
    assert response.json()["quantity"] == 8
    assert response.json()["refundableQuantity"]["totalQuantity"] == 8


def test_reduction_at_168h_plus_1s_is_refused(api, pc, bought):
    cid, sub = bought
    pc.advance(seconds=168 * 3600 + 1)
    response = api.patch(url(cid, sub), {**sub, "quantity": 8})
    assert response.status_code == 400
    assert response.json()["code"] == 800090
    assert response.json()["description"] == "Subscription quantity cannot be decreased."
    assert api.get(url(cid, sub)).json()["quantity"] == 10


def test_each_added_lot_has_its_own_window(api, pc, bought):
    cid, sub = bought
    pc.advance(days=5)
    added = api.patch(url(cid, sub), {**sub, "quantity": 15}).json()
    assert [d["quantity"] for d in added["refundableQuantity"]["details"]] == [10, 5]
    pc.advance(days=3)  # the purchase lot is out of its window, the added lot is not
    current = api.get(url(cid, sub)).json()
    assert current["refundableQuantity"]["totalQuantity"] == 5
    assert api.patch(url(cid, sub), {**current, "quantity": 9}).json()["code"] == 800090
    reduced = api.patch(url(cid, sub), {**current, "quantity": 10})
    assert reduced.status_code == 200
    assert reduced.json()["refundableQuantity"]["totalQuantity"] == 0


def test_increase_is_allowed_any_time_in_the_term(api, pc, bought):
    cid, sub = bought
    pc.advance(days=200)
    response = api.patch(url(cid, sub), {**sub, "quantity": 12})
    assert response.status_code == 200
    assert response.json()["quantity"] == 12


def test_pooled_seat_limit(api, bought):
    cid, sub = bought
    response = api.patch(url(cid, sub), {**sub, "quantity": 301})
    assert response.status_code == 403
    assert response.json()["code"] == 800088


def test_cancel_inside_the_window(api, pc, bought):
    cid, sub = bought
    pc.advance(days=6)
    response = api.patch(url(cid, sub), {**sub, "status": "deleted"})
    assert response.status_code == 200
    assert response.json()["status"] == "deleted"
    again = api.patch(url(cid, sub), {**sub, "status": "active"})
    assert again.status_code == 400
    assert again.json()["code"] == 2011


def test_cancel_after_the_window_is_refused(api, pc, bought):
    cid, sub = bought
    pc.advance(seconds=168 * 3600 + 1)
    response = api.patch(url(cid, sub), {**sub, "status": "deleted"})
    assert response.status_code == 400
    assert response.json()["code"] == 900213
    assert api.get(url(cid, sub)).json()["status"] == "active"


def test_suspend_blocks_quantity_changes_and_turns_auto_renew_off(api, bought):
    cid, sub = bought
    suspended = api.patch(url(cid, sub), {**sub, "status": "suspended"}).json()
    assert suspended["status"] == "suspended"
    assert suspended["autoRenewEnabled"] is False
    blocked = api.patch(url(cid, sub), {**suspended, "quantity": 11})
    assert blocked.status_code == 400
    assert blocked.json()["code"] == 800091
    reactivated = api.patch(url(cid, sub), {**suspended, "status": "active"})
    assert reactivated.status_code == 200
    assert reactivated.json()["status"] == "active"
    assert reactivated.json()["autoRenewEnabled"] is False


def test_suspended_at_term_end_becomes_disabled(api, pc, bought):
    cid, sub = bought
    api.patch(url(cid, sub), {**sub, "status": "suspended"})
    pc.advance(days=366)
    assert api.get(url(cid, sub)).json()["status"] == "disabled"


def test_auto_renew_off_expires_and_on_renews_with_a_fresh_window(api, pc):
    pc.set_clock(START)
    customer = api.create_customer()
    keep = api.buy(customer["id"], BASIC, quantity=2, term="P1M")
    drop = api.buy(customer["id"], "CFQ7TTC0LDPB:0001:CFQ7TTC0K5DM", quantity=2, term="P1M")
    api.patch(url(customer["id"], drop), {**drop, "autoRenewEnabled": False})
    pc.set_clock(START.replace(day=18, month=7, hour=0) + timedelta(hours=1))
    renewed = api.get(url(customer["id"], keep)).json()
    assert renewed["status"] == "active"
    assert renewed["effectiveStartDate"] == "2025-07-18T00:00:00Z"
    assert renewed["refundableQuantity"]["totalQuantity"] == 2
    assert api.get(url(customer["id"], drop)).json()["status"] == "expired"


def test_minimal_patch_turns_auto_renew_off(api, bought):
    cid, sub = bought
    response = api.patch(url(cid, sub), {"friendlyName": "Sales team"})
    assert response.json()["friendlyName"] == "Sales team"
    assert response.json()["autoRenewEnabled"] is False


def test_billing_cycle_cannot_change_by_patch(api, bought):
    cid, sub = bought
    response = api.patch(url(cid, sub), {**sub, "billingCycle": "annual"})
    assert response.json()["code"] == 2054


def test_unknown_subscription_is_404_20003(api, bought):
    cid, _ = bought
    response = api.get(f"/v1/customers/{cid}/subscriptions/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == 20003
