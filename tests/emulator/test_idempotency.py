"""MS-RequestId: a repeated write changes nothing and answers as the first time did."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid

import httpx

from .conftest import BASIC, customer_body


def test_same_request_id_twice_creates_one_customer_with_identical_answers(api, pc):
    request_id = str(uuid.uuid4())
    first = api.post("/v1/customers", customer_body("once"), request_id=request_id)
    second = api.post("/v1/customers", customer_body("once"), request_id=request_id)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert len(pc.state()["customers"]) == 1


def test_a_business_failure_is_replayed_too(api, pc):
    request_id = str(uuid.uuid4())
    body = customer_body("failing")
    del body["CompanyProfile"]["Domain"]
    first = api.post("/v1/customers", body, request_id=request_id)
    second = api.post("/v1/customers", customer_body("failing"), request_id=request_id)
    assert first.status_code == second.status_code == 400
    assert first.content == second.content
    assert pc.state()["customers"] == []


def test_repeated_patch_changes_the_subscription_once(api, pc):
    customer = api.create_customer()
    sub = api.buy(customer["id"], BASIC, quantity=3)
    request_id = str(uuid.uuid4())
    url = f"/v1/customers/{customer['id']}/subscriptions/{sub['id']}"
    first = api.patch(url, {**sub, "quantity": 5}, request_id=request_id)
    second = api.patch(url, {**sub, "quantity": 5}, request_id=request_id)
    assert first.content == second.content
    assert api.get(url).json()["quantity"] == 5
    add_lines = [c for c in pc.state()["charges"] if c["charge_type"] == "addQuantity"]
    assert len(add_lines) == 2  # one refund of 3 and one charge of 5, not twice


def test_fifty_concurrent_identical_creates_make_exactly_one_customer(pc, token):
    pc.set_rate_limit(100_000)  # this test is about idempotency; throttling has its own tests
    request_id = str(uuid.uuid4())

    async def main() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {token}", "MS-RequestId": request_id}
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=pc.base_url, headers=headers, limits=limits, timeout=30) as client:
            calls = [client.post("/v1/customers", json=customer_body("race")) for _ in range(50)]
            return await asyncio.gather(*calls)

    # In a thread of its own: another test's browser may hold an event loop in this one.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        responses = pool.submit(asyncio.run, main()).result()
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201][:3]
    assert len({r.content for r in responses}) == 1
    assert len(pc.state()["customers"]) == 1
    assert pc.stats()["calls"]["POST /v1/customers"] == 50
