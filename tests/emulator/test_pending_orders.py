"""Orders are pending after checkout and provisioned after a delay on the emulator's clock."""

from __future__ import annotations

from .conftest import BASIC, START, TEAMS_PHONE


def _checkout(api, cid, lines):
    cart = api.post(f"/v1/customers/{cid}/carts", {"lineItems": lines})
    assert cart.status_code == 201, cart.text
    assert all("error" not in line for line in cart.json()["lineItems"]), cart.text
    result = api.post(f"/v1/customers/{cid}/carts/{cart.json()['id']}/checkout")
    assert result.status_code == 201, result.text
    return result.json()


def _line(item=BASIC, quantity=3, cycle="monthly", **extra):
    return {"catalogItemId": item, "quantity": quantity, "termDuration": "P1Y", "billingCycle": cycle, **extra}


def test_an_order_is_pending_then_completed_after_the_delay(api, pc):
    pc.set_clock(START)
    pc.set_provisioning_delay(30)
    cid = api.create_customer()["id"]
    result = _checkout(api, cid, [_line(friendlyName="Sales team", provisioningContext={"note": "x"})])
    (order,) = result["orders"]
    (line,) = order["lineItems"]
    assert order["status"] == "pending"
    assert "subscriptionId" not in line  # only once provisioned (partner-center.md §4.3)
    assert (line["friendlyName"], line["offerId"]) == ("Sales team", BASIC)
    assert line["provisioningContext"] == {"note": "x"}
    status_uri = f"/customers/{cid}/orders/{order['id']}/provisioningstatus"
    assert line["links"]["provisioningStatus"]["uri"] == status_uri
    assert order["links"]["provisioningStatus"]["uri"] == status_uri

    subs = api.get(f"/v1/customers/{cid}/subscriptions?order_id={order['id']}").json()["items"]
    assert [s["status"] for s in subs] == ["pending"]
    assert subs[0]["attentionNeeded"] is True
    assert subs[0]["attentionReason"]
    sub_url = f"/v1/customers/{cid}/subscriptions/{subs[0]['id']}"
    assert api.get(sub_url + "/provisioningstatus").json()["status"] == "pending"
    provisioning = api.get(f"/v1{status_uri}").json()["items"][0]
    assert provisioning["status"] == "PrefulfillmentPending"
    assert provisioning["quantityProvisioningInformation"] == [{"quantity": 3, "status": "Unfulfilled"}]
    # Not ready to be changed yet.
    refused = api.patch(sub_url, {**subs[0], "quantity": 4})
    assert (refused.status_code, refused.json()["code"]) == (409, 800082)

    pc.advance(seconds=29)
    assert api.get(f"/v1/customers/{cid}/orders/{order['id']}").json()["status"] == "pending"
    pc.advance(seconds=1)
    done = api.get(f"/v1/customers/{cid}/orders/{order['id']}").json()
    assert done["status"] == "completed"
    assert done["lineItems"][0]["subscriptionId"] == subs[0]["id"]
    assert done["lineItems"][0]["links"]["subscription"]["uri"].endswith(subs[0]["id"])
    assert api.get(f"/v1{status_uri}").json()["items"][0]["status"] == "Fulfilled"
    sub = api.get(sub_url).json()
    assert (sub["status"], sub["attentionNeeded"], sub["attentionReason"]) == ("active", False, None)
    assert sub["friendlyName"] == "Sales team"
    assert api.get(sub_url + "/provisioningstatus").json()["status"] == "success"
    # The term and its windows run from the purchase, not from the provisioning.
    assert sub["effectiveStartDate"] == "2025-06-18T09:00:00Z"


def test_an_order_groups_lines_by_billing_cycle(api, pc):
    pc.set_provisioning_delay(60)
    cid = api.create_customer()["id"]
    premium = "CFQ7TTC0LCHC:0002:CFQ7TTC0KFFN"
    result = _checkout(api, cid, [_line(BASIC, cycle="monthly"), _line(premium, cycle="annual"), _line(
        "CFQ7TTC0LDPB:0001:CFQ7TTC0K5DM", cycle="monthly")])  # fmt: skip
    by_cycle = {o["billingCycle"]: [li["offerId"] for li in o["lineItems"]] for o in result["orders"]}
    assert by_cycle == {"monthly": [BASIC, "CFQ7TTC0LDPB:0001:CFQ7TTC0K5DM"], "annual": [premium]}
    assert all(o["status"] == "pending" for o in result["orders"])
    assert [o["billingCycle"] for o in result["orders"]] == ["monthly", "annual"]  # in the cart's order
    pc.advance(seconds=60)
    orders = api.get(f"/v1/customers/{cid}/orders").json()["items"]
    assert {o["status"] for o in orders} == {"completed"}
    subs = api.get(f"/v1/customers/{cid}/subscriptions").json()["items"]
    assert sorted(s["status"] for s in subs) == ["active"] * 3


def test_the_delay_is_a_setting_and_reset_restores_the_default(pc, monkeypatch):
    assert pc.set_provisioning_delay(5)["provisioningDelaySeconds"] == 5
    assert pc.http.post("/_emulator/config", json={"provisioningDelaySeconds": -1}).status_code == 400
    pc.reset()
    assert pc.http.get("/_emulator/config").json()["provisioningDelaySeconds"] == 30
    from partner_center_emulator.config import EmulatorConfig
    from partner_center_emulator.testing import running_emulator

    with running_emulator(provisioning_delay=5) as other:
        assert other.http.get("/_emulator/config").json()["provisioningDelaySeconds"] == 5
        other.reset()
        assert other.http.get("/_emulator/config").json()["provisioningDelaySeconds"] == 5  # its configured default
    monkeypatch.setenv("PC_EMULATOR_PROVISIONING_DELAY", "2.5")
    assert EmulatorConfig.from_env().provisioning_delay == 2.5


def test_no_delay_provisions_during_checkout(api, pc):
    pc.set_provisioning_delay(0)
    cid = api.create_customer()["id"]
    (order,) = _checkout(api, cid, [_line()])["orders"]
    assert order["status"] == "completed"
    sub = api.get(f"/v1/customers/{cid}/subscriptions/{order['lineItems'][0]['subscriptionId']}").json()
    assert sub["status"] == "active"


def test_a_base_and_its_add_on_in_one_cart(api, pc):
    pc.set_provisioning_delay(30)
    cid = api.create_customer()["id"]
    result = _checkout(api, cid, [_line(TEAMS_PHONE, quantity=2), _line(BASIC, quantity=5)])
    (order,) = result["orders"]
    assert [li["offerId"] for li in order["lineItems"]] == [TEAMS_PHONE, BASIC]  # the cart's order
    pc.advance(seconds=30)
    lines = api.get(f"/v1/customers/{cid}/orders/{order['id']}").json()["lineItems"]
    addon_id, base_id = lines[0]["subscriptionId"], lines[1]["subscriptionId"]
    assert lines[0]["parentSubscriptionId"] == base_id
    addon = api.get(f"/v1/customers/{cid}/subscriptions/{addon_id}").json()
    assert addon["parentSubscriptionId"] == base_id
    listed = api.get(f"/v1/customers/{cid}/subscriptions/{base_id}/addons").json()["items"]
    assert [a["id"] for a in listed] == [addon_id]


def test_an_add_on_whose_base_line_fails_is_still_refused(api):
    cid = api.create_customer()["id"]
    lines = [_line(BASIC, quantity=301), _line(TEAMS_PHONE, quantity=1)]
    cart = api.post(f"/v1/customers/{cid}/carts", {"lineItems": lines}).json()
    assert [li["error"]["errorCode"] for li in cart["lineItems"]] == [10015, 400041]


def test_pending_orders_scheduled_changes_and_transitions_survive_a_restart(tmp_path):
    import httpx

    from partner_center_emulator.testing import running_emulator

    from .conftest import Api

    state_file = str(tmp_path / "pc.json")
    with running_emulator(state_file=state_file) as pc:
        pc.set_clock(START)
        api = Api(pc, pc.token())
        cid = api.create_customer()["id"]
        api.pc.set_provisioning_delay(0)
        sub = api.buy(cid, BASIC, quantity=4)
        sub_url = f"/v1/customers/{cid}/subscriptions/{sub['id']}"
        upgrade = {"toCatalogItemId": "CFQ7TTC0LDPB:0001:CFQ7TTC0K5DM", "quantity": 1}
        assert api.post(sub_url + "/transitions", upgrade).status_code == 201
        current = api.get(sub_url).json()
        assert api.patch(sub_url, {**current, "scheduledNextTermInstructions": {"quantity": 2}}).status_code == 200
        pc.set_provisioning_delay(30)
        (order,) = _checkout(api, cid, [_line()])["orders"]
        api.client.close()
    with running_emulator(state_file=state_file) as again:
        headers = {"Authorization": f"Bearer {again.token()}"}
        base = f"{again.base_url}/v1/customers/{cid}"
        assert httpx.get(f"{base}/orders/{order['id']}", headers=headers).json()["status"] == "pending"
        kept = httpx.get(f"{base}/subscriptions/{sub['id']}", headers=headers).json()
        assert kept["quantity"] == 3
        assert kept["scheduledNextTermInstructions"] == {"quantity": 2}
        assert len(httpx.get(f"{base}/subscriptions/{sub['id']}/transitions", headers=headers).json()["items"]) == 1
        again.advance(seconds=30)
        assert httpx.get(f"{base}/orders/{order['id']}", headers=headers).json()["status"] == "completed"
