"""Throttling and injected faults: 429, 500, 503, delay, lost response."""

from __future__ import annotations

import uuid

import httpx
import pytest

from .conftest import customer_body


def test_sixth_call_in_a_minute_is_throttled_with_retry_after(api, pc):
    pc.set_rate_limit(5)
    statuses = [api.get("/v1/customers").status_code for _ in range(5)]
    assert statuses == [200] * 5
    sixth = api.get("/v1/customers")
    assert sixth.status_code == 429
    assert 1 <= int(sixth.headers["Retry-After"]) <= 60
    assert sixth.json()["statusCode"] == 429
    assert f"Try again in {sixth.headers['Retry-After']} seconds" in sixth.json()["message"]
    assert pc.stats()["throttled"] == 1
    # Control endpoints are not throttled.
    assert pc.http.get("/_emulator/state").status_code == 200


@pytest.mark.parametrize(("kind", "status"), [("429", 429), ("500", 500), ("503", 503)])
def test_status_faults_answer_and_change_nothing(api, pc, kind, status):
    pc.inject_fault("POST", "/v1/customers", kind, count=2, retry_after=7)
    for _ in range(2):
        response = api.post("/v1/customers", customer_body("faulty"))
        assert response.status_code == status
        if status in (429, 503):
            assert response.headers["Retry-After"] == "7"
    assert pc.state()["customers"] == []
    assert api.post("/v1/customers", customer_body("faulty")).status_code == 201
    assert pc.stats()["faultsServed"] == 2
    assert pc.faults() == []


def test_fault_matches_method_and_glob_only(api, pc):
    pc.inject_fault("GET", "/v1/customers/*", "500")
    assert api.get("/v1/customers").status_code == 200
    assert api.post("/v1/customers", customer_body("x1")).status_code == 201
    assert api.get("/v1/customers/00000000-0000-0000-0000-000000000000").status_code == 500


def test_delay_longer_than_the_client_timeout(api, pc):
    pc.inject_fault("GET", "/v1/customers", "delay", delay=1.5)
    with pytest.raises(httpx.ReadTimeout):
        api.get("/v1/customers", timeout=0.3)
    assert api.get("/v1/customers").status_code == 200


def test_lost_response_makes_the_change_and_the_client_sees_a_transport_error(api, pc):
    pc.inject_fault("POST", "/v1/customers", "lost_response")
    request_id = str(uuid.uuid4())
    with pytest.raises(httpx.TransportError):
        api.post("/v1/customers", customer_body("lost"), request_id=request_id)
    customers = pc.state()["customers"]
    assert [c["domain"] for c in customers] == ["lost.onmicrosoft.com"]
    retry = api.post("/v1/customers", customer_body("lost"), request_id=request_id)
    assert retry.status_code == 201
    assert retry.json()["id"] == customers[0]["id"]
    assert len(pc.state()["customers"]) == 1


def test_faults_can_be_listed_and_cleared(pc):
    pc.inject_fault("*", "^/v1/", "503", count=3)
    assert [f["kind"] for f in pc.faults()] == ["503"]
    pc.clear_faults()
    assert pc.faults() == []


def test_stats_count_calls_per_path_template(api, pc):
    customer = api.create_customer()
    api.get(f"/v1/customers/{customer['id']}")
    api.get(f"/v1/customers/{customer['id']}")
    calls = pc.stats()["calls"]
    assert calls["GET /v1/customers/{cid}"] == 2
    assert calls["POST /v1/customers"] == 1
