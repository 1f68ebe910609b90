"""One emulator server for the module's tests (reset before each test) and an API client for it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from partner_center_emulator.testing import RunningEmulator, running_emulator

BASIC = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"
PREMIUM = "CFQ7TTC0LCHC:0002:CFQ7TTC0KFFN"
TEAMS_PHONE = "CFQ7TTC0LH1G:0001:CFQ7TTC0KCBX"
BASIC_SKU_GUID = "3b555118-da6a-4418-894f-7df1e2096870"
START = datetime(2025, 6, 18, 9, 0, tzinfo=UTC)


def customer_body(domain: str = "contoso", **address: Any) -> dict[str, Any]:
    default_address = {
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "AddressLine1": "One Microsoft Way",
        "City": "Redmond",
        "State": "WA",
        "PostalCode": "98052",
        "Country": "US",
    }
    default_address.update(address)
    return {
        "enableGDAPByDefault": False,
        "CompanyProfile": {"Domain": domain},
        "BillingProfile": {
            "Culture": "EN-US",
            "Email": "billing@contoso.example",
            "Language": "en",
            "CompanyName": "Contoso Ltd",
            "DefaultAddress": default_address,
        },
    }


class Api:
    """A thin Partner Center client: bearer token, a new MS-RequestId per call unless given."""

    def __init__(self, pc: RunningEmulator, token: str) -> None:
        self.pc = pc
        self.client = httpx.Client(base_url=pc.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def call(
        self, method: str, path: str, json: Any = None, request_id: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = kw.pop("headers", {})
        headers.setdefault("MS-RequestId", request_id or str(uuid.uuid4()))
        headers.setdefault("MS-CorrelationId", str(uuid.uuid4()))
        return self.client.request(method, path, json=json, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.call("POST", path, json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.call("PATCH", path, json, **kw)

    def create_customer(self, domain: str = "contoso") -> dict[str, Any]:
        response = self.post("/v1/customers", customer_body(domain))
        assert response.status_code == 201, response.text
        return response.json()

    def buy(self, customer_id: str, catalog_item_id: str = BASIC, quantity: int = 10, term: str = "P1Y",
            cycle: str = "monthly") -> dict[str, Any]:  # fmt: skip
        line = {"CatalogItemId": catalog_item_id, "Quantity": quantity, "TermDuration": term, "BillingCycle": cycle}
        cart = self.post(f"/v1/customers/{customer_id}/carts", {"LineItems": [line]})
        assert cart.status_code == 201, cart.text
        assert "error" not in cart.json()["lineItems"][0], cart.text
        result = self.post(f"/v1/customers/{customer_id}/carts/{cart.json()['id']}/checkout")
        assert result.status_code == 201, result.text
        sub_id = result.json()["orders"][0]["lineItems"][0]["subscriptionId"]
        return self.get(f"/v1/customers/{customer_id}/subscriptions/{sub_id}").json()


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator() as pc:
        yield pc


@pytest.fixture(scope="session")
def token(emulator: RunningEmulator) -> str:
    return emulator.token()


@pytest.fixture
def pc(emulator: RunningEmulator) -> RunningEmulator:
    emulator.reset()
    emulator.set_rate_limit(500)
    emulator.set_page_size(100)
    # Most tests buy and go on at once: orders are provisioned during checkout. The tests of
    # pending orders set a delay of their own.
    emulator.set_provisioning_delay(0)
    return emulator


@pytest.fixture
def api(pc: RunningEmulator, token: str) -> Iterator[Api]:
    client = Api(pc, token)
    yield client
    client.client.close()
