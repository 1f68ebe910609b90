"""Clients of the Partner Center emulator (the `emulator`/`pc` fixtures of tests/conftest.py: one per
session, reset before each test)
whose clock and sleep are fake: waits are recorded and move the clock, they never take real time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cloudbroker.connectors.partner_center import Attempt, MemoryPauseStore, PartnerCenterClient, RetryPolicy
from partner_center_emulator.testing import RunningEmulator

BASIC = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"  # Microsoft 365 Business Basic
BASIC_ENTRA_SKU = "3b555118-da6a-4418-894f-7df1e2096870"


class FakeTime:
    """A clock that moves only when something sleeps; every sleep is recorded."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_client(pc: RunningEmulator, fake_time: FakeTime) -> Iterator[Callable[..., PartnerCenterClient]]:
    made: list[PartnerCenterClient] = []

    def make(**overrides: Any) -> PartnerCenterClient:
        options: dict[str, Any] = {
            "base_url": pc.base_url,
            "authority": pc.authority,
            "client_id": pc.client_id,
            "client_secret": pc.client_secret,
            "scope": pc.scope,
            "pause_store": MemoryPauseStore(),
            "retry": RetryPolicy(attempts=4, total_time=120, jitter=False),
            "sleep": fake_time.sleep,
            "clock": fake_time,
        }
        options.update(overrides)
        client = PartnerCenterClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client) -> PartnerCenterClient:
    return make_client()


@pytest.fixture
def attempts() -> list[Attempt]:
    return []


def customer_body(domain: str, country: str = "US", **extra: Any) -> dict[str, Any]:
    """A create-customer body as Partner Center's documentation writes it (PascalCase)."""
    return {
        "CompanyProfile": {"Domain": domain},
        "BillingProfile": {
            "Culture": "EN-US",
            "Email": f"billing@{domain}.example",
            "Language": "en",
            "CompanyName": f"{domain.title()} Ltd",
            "DefaultAddress": {
                "FirstName": "Ada",
                "LastName": "Lovelace",
                "AddressLine1": "One Microsoft Way",
                "City": "Redmond",
                "State": "WA",
                "PostalCode": "98052",
                "Country": country,
            },
        },
        **extra,
    }


def emulator_requests(pc: RunningEmulator) -> list[dict[str, Any]]:
    """The API calls the emulator received, oldest first."""
    return pc.http.get("/_emulator/requests").json()["items"]
