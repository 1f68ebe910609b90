"""NCE transitions (upgrades): eligibilities, full and partial upgrades, moves, refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from .conftest import BASIC, BASIC_SKU_GUID, START

STANDARD = "CFQ7TTC0LDPB:0001:CFQ7TTC0K5DM"
PREMIUM = "CFQ7TTC0LCHC:0002:CFQ7TTC0KFFN"
STANDARD_SKU_GUID = "f245ecc8-75af-4f8e-b61f-27d8114de5f3"


@pytest.fixture
def cid(api, pc):
    pc.set_clock(START)
    return api.create_customer()["id"]


def base(cid, sub):
    return f"/v1/customers/{cid}/subscriptions/{sub['id']}"


def transition(api, cid, sub, to=STANDARD, **extra):
    body = {"fromCatalogItemId": sub["offerId"], "fromSubscriptionId": sub["id"], "toCatalogItemId": to,
            "quantity": sub["quantity"], "termDuration": sub["termDuration"], "billingCycle": sub["billingCycle"],
            "transitionType": "transition_only", **extra}  # fmt: skip
    return api.post(base(cid, sub) + "/transitions", body)


def test_eligibilities_list_the_upgrade_paths(api, cid):
    sub = api.buy(cid, BASIC, quantity=5)
    immediate = api.get(base(cid, sub) + "/transitionEligibilities?eligibilityType=immediate").json()
    assert [i["catalogItemId"] for i in immediate["items"]] == [STANDARD, PREMIUM]
    first = immediate["items"][0]
    assert first["attributes"]["objectType"] == "TransitionEligibility"
    assert {e["transitionType"] for e in first["eligibilities"]} == {
        "transition_only",
        "transition_with_license_transfer",
    }
    assert all(e["isEligible"] for e in first["eligibilities"])
    scheduled = api.get(base(cid, sub) + "/transitionEligibilities?eligibilityType=scheduled").json()
    assert [i["catalogItemId"] for i in scheduled["items"]] == [STANDARD, PREMIUM]
    bad = api.get(base(cid, sub) + "/transitionEligibilities?eligibilityType=sometime")
    assert (bad.status_code, bad.json()["code"]) == (400, 800002)
    upgrades = api.get(base(cid, sub) + "/upgrades").json()["items"]
    assert [u["targetOffer"]["id"] for u in upgrades] == [STANDARD, PREMIUM]
    # The top of a path has nowhere to go.
    top = api.buy(cid, "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS", quantity=1)
    assert api.get(base(cid, top) + "/transitionEligibilities?eligibilityType=immediate").json()["items"] == []


def test_an_existing_target_subscription_is_checked(api, pc, cid):
    sub = api.buy(cid, BASIC, quantity=5)
    target = api.buy(cid, STANDARD, quantity=1, term="P1M")
    items = api.get(base(cid, sub) + "/transitionEligibilities?eligibilityType=immediate").json()["items"]
    (entry,) = items[0]["subscriptionEligibilities"]
    assert entry["subscriptionId"] == target["id"]
    assert entry["isEligible"] is False
    assert {e["code"] for e in entry["errors"]} == {2, 3, 4}


def test_a_full_upgrade_keeps_the_subscription(api, pc, cid):
    pc.change_price("CFQ7TTC0LH18:0001", "P1M", "monthly", unit_price="10.08", effective="2025-01-01")
    pc.change_price("CFQ7TTC0LDPB:0001", "P1M", "monthly", unit_price="6.43", effective="2025-01-01")
    sub = api.buy(cid, BASIC, quantity=300 // 2, term="P1M")
    sub = api.patch(base(cid, sub), {**sub, "quantity": 150, "scheduledNextTermInstructions": {"quantity": 9}}).json()
    pc.set_clock(datetime(2025, 6, 25, 10, tzinfo=UTC))
    response = transition(api, cid, sub, transitionType="transition_with_license_transfer")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["toSubscriptionId"] == sub["id"]
    assert body["events"][0] == {"name": "Conversion", "status": "Started", "timestamp": "2025-06-25T10:00:00Z"}
    upgraded = api.get(base(cid, sub)).json()
    assert (upgraded["id"], upgraded["offerId"], upgraded["quantity"]) == (sub["id"], STANDARD, 150)
    assert upgraded["commitmentEndDate"] == sub["commitmentEndDate"]
    assert "scheduledNextTermInstructions" not in upgraded
    # Microsoft's worked example (23 of 30 days left): -7.72 and 4.92 a seat, unit prices truncated first.
    converts = [c for c in pc.state()["charges"] if c["charge_type"] == "convert"]
    assert [(c["effective_unit_price"], c["subtotal"]) for c in converts] == [
        ("-7.72", "-1158.00"),
        ("4.92", "738.00"),
    ]
    assert converts[0]["reference_id"] == converts[1]["reference_id"]
    listed = api.get(base(cid, sub) + "/transitions").json()["items"]
    assert [(t["id"], t["status"]) for t in listed] == [(body["id"], "completed")]
    # The reconciliation data carries them like every other charge.
    unbilled = api.get(
        "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems"
        "&currencycode=USD&period=current"
    ).json()["items"]
    recon = [
        (i["chargeType"], i["effectiveUnitPrice"], i["subtotal"]) for i in unbilled if i["chargeType"] == "convert"
    ]
    assert recon == [("convert", "-7.72", "-1158"), ("convert", "4.92", "738")]


def test_a_partial_upgrade_makes_a_coterminous_subscription(api, pc, cid):
    sub = api.buy(cid, BASIC, quantity=10)
    user = pc.create_user_directly(cid, "ada@contoso.onmicrosoft.com", licenses=[BASIC_SKU_GUID])
    pc.advance(days=3)
    response = transition(api, cid, sub, quantity=4, transitionType="transition_with_license_transfer")
    assert response.status_code == 201, response.text
    new_id = response.json()["toSubscriptionId"]
    assert new_id != sub["id"]
    source = api.get(base(cid, sub)).json()
    new = api.get(f"/v1/customers/{cid}/subscriptions/{new_id}").json()
    assert (source["quantity"], new["quantity"], new["offerId"]) == (6, 4, STANDARD)
    assert new["commitmentEndDate"] == source["commitmentEndDate"]
    assert new["cancellationAllowedUntilDate"] == source["cancellationAllowedUntilDate"]  # inherited
    assert api.get(f"/v1/customers/{cid}/users/{user['id']}/licenses").json()["items"][0]["productSku"]["id"] == (
        STANDARD_SKU_GUID
    )
    kinds = [(c["subscription_id"], c["charge_type"]) for c in pc.state()["charges"][1:]]
    assert kinds == [(sub["id"], "convert"), (sub["id"], "convert"), (new_id, "convert")]
    assert [t["toSubscriptionId"] for t in api.get(f"/v1/customers/{cid}/subscriptions/{new_id}/transitions")
            .json()["items"]] == [new_id]  # fmt: skip


def test_seats_move_into_an_existing_subscription(api, pc, cid):
    sub = api.buy(cid, BASIC, quantity=10)
    target = api.buy(cid, STANDARD, quantity=2, term="P3Y")
    pc.advance(days=8)
    response = transition(api, cid, sub, quantity=3, toSubscriptionId=target["id"])
    assert response.status_code == 201, response.text
    assert api.get(base(cid, sub)).json()["quantity"] == 7
    assert api.get(base(cid, target)).json()["quantity"] == 5
    moves = [c for c in pc.state()["charges"] if c["charge_type"] == "moveQuantity"]
    assert [(c["subscription_id"], c["quantity"]) for c in moves] == [
        (sub["id"], 10), (sub["id"], 7), (target["id"], 2), (target["id"], 5)]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "extra", "status", "code"),
    [
        (None, {"toCatalogItemId": "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS"}, 400, 800004),  # not on the path
        (None, {"quantity": 11}, 400, 2002),
        (None, {"transitionType": "sideways"}, 400, 3000),
        (None, {"termDuration": "P3Y", "quantity": 4}, 400, 800121),  # upgraded seats keep the term
        (None, {"termDuration": "P1M"}, 400, 800122),
        ({"status": "suspended"}, {}, 400, 900280),
    ],
)
def test_refused_transitions_change_nothing(api, pc, cid, setup, extra, status, code):
    sub = api.buy(cid, BASIC, quantity=10)
    if setup:
        sub = api.patch(base(cid, sub), {**sub, **setup}).json()
    before = len(pc.state()["charges"])
    response = transition(api, cid, sub, **extra)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert api.get(base(cid, sub)).json()["offerId"] == BASIC
    assert len(pc.state()["charges"]) == before
    assert api.get(base(cid, sub) + "/transitions").json()["items"] == []


def test_no_downgrade(api, cid):
    premium = api.buy(cid, PREMIUM, quantity=2)
    response = transition(api, cid, premium, to=BASIC)
    assert (response.status_code, response.json()["code"]) == (400, 800004)


def test_the_offer_cannot_be_changed_by_patch(api, cid):
    sub = api.buy(cid, BASIC, quantity=2)
    response = api.patch(base(cid, sub), {**sub, "offerId": STANDARD})
    assert (response.status_code, response.json()["code"]) == (400, 3000)
    assert api.get(base(cid, sub)).json()["offerId"] == BASIC
