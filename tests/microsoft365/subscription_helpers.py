"""Shared set-up for the subscription tests: a broker connected to the emulator with its catalog
synced, an organization with an active tenant (a customer in the emulator), and a way to let the
outbox and Partner Center's provisioning finish."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from cloudbroker.core import outbox
from cloudbroker.core.testing import drain_jobs
from cloudbroker.microsoft365.catalog_sync import sync_catalog
from tests.factories import MicrosoftTenantFactory

BASIC = "CFQ7TTC0LH18:0001"  # Microsoft 365 Business Basic
PHONE = "CFQ7TTC0LH1G:0001"  # Teams Phone Standard, an add-on for Business Basic
BASIC_P1Y_MONTHLY = f"{BASIC}:P1Y:monthly"
BASIC_P1M_MONTHLY = f"{BASIC}:P1M:monthly"
PHONE_P1Y_MONTHLY = f"{PHONE}:P1Y:monthly"


def customer_with_tenant(pc, broker, org_factory, name: str = "Fjord Tech AS"):
    """An organization whose tenant is a customer in the emulator (market DE: prices in EUR)."""
    customer = pc.create_customer_directly(name, domain=f"{name.split()[0].lower()}.onmicrosoft.com", country="DE")
    org = org_factory(name=name)
    tenant = MicrosoftTenantFactory(
        organization=org,
        customer_id=customer["id"],
        default_domain=customer["companyProfile"]["domain"],
        company_name=name,
    )
    return org, tenant


def synced_catalog(broker) -> None:
    result = sync_catalog(broker.pk)
    assert not result.get("failures")


def settle(pc, rounds: int = 6) -> None:
    """Run what the worker would: deliver due outbox messages, and while Partner Center is still
    provisioning, let its clock and ours move on a minute and try again."""
    drain_jobs()
    for minute in range(1, rounds + 1):
        pc.advance(seconds=60)
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=15 * minute), tick=True):
            outbox.resend_due()
            drain_jobs()
