"""The clock control, direct changes, reset, and state kept across restarts."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from partner_center_emulator.testing import running_emulator

from .conftest import BASIC, customer_body


def test_clock_set_frozen_and_advanced(pc):
    pc.set_clock(datetime(2030, 1, 1, tzinfo=UTC))
    assert pc.now() == datetime(2030, 1, 1, tzinfo=UTC)
    pc.advance(days=2, seconds=30)
    assert pc.now() == datetime(2030, 1, 3, 0, 0, 30, tzinfo=UTC)
    running = pc.set_clock(datetime(2031, 5, 5, tzinfo=UTC), frozen=False)
    assert running["frozen"] is False
    assert pc.now() >= datetime(2031, 5, 5, tzinfo=UTC)


def test_objects_created_directly_are_visible_through_the_api(api, pc):
    customer = pc.create_customer_directly(company_name="Direct Co", domain="directco")
    sub = pc.create_subscription_directly(customer["id"], BASIC, quantity=4, status="suspended")
    user = pc.create_user_directly(customer["id"], "admin@directco.onmicrosoft.com", licenses=[])
    assert api.get(f"/v1/customers/{customer['id']}").json()["companyProfile"]["companyName"] == "Direct Co"
    got = api.get(f"/v1/customers/{customer['id']}/subscriptions/{sub['id']}").json()
    assert (got["quantity"], got["status"]) == (4, "suspended")
    assert api.get(f"/v1/customers/{customer['id']}/users/{user['id']}").status_code == 200
    pc.update_subscription_directly(sub["id"], quantity=2, status="active")
    assert api.get(f"/v1/customers/{customer['id']}/subscriptions/{sub['id']}").json()["quantity"] == 2
    pc.reset()
    assert api.get(f"/v1/customers/{customer['id']}").status_code == 404


def test_stop_and_start_on_the_same_port_keeps_state(tmp_path):
    state_file = tmp_path / "pc.json"
    with running_emulator(state_file=str(state_file)) as pc:
        token = pc.token()
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(pc.base_url + "/v1/customers", json=customer_body("kept"), headers=headers)
        assert created.status_code == 201
        base = pc.base_url
        pc.stop()
        try:
            httpx.get(base + "/v1/customers", headers=headers, timeout=2)
            raise AssertionError("the emulator still answers while stopped")
        except httpx.TransportError:
            pass
        pc.start()
        assert pc.base_url == base
        listed = httpx.get(base + "/v1/customers", headers=headers).json()
        assert [c["id"] for c in listed["items"]] == [created.json()["id"]]
    assert state_file.exists()
    with running_emulator(state_file=str(state_file)) as again:
        listed = httpx.get(again.base_url + "/v1/customers", headers={"Authorization": f"Bearer {token}"}).json()
        assert [c["companyProfile"]["domain"] for c in listed["items"]] == ["kept.onmicrosoft.com"]
