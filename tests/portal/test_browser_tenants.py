"""Seed 001 §1 in a real browser: E-store → Add service → Microsoft 365 CSP Direct, against the
Partner Center emulator over HTTP, with the login e-mailed through a real SMTP server."""

from __future__ import annotations

import pytest

from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.microsoft365.choices import TenantStatus
from cloudbroker.microsoft365.models import MicrosoftTenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_microsoft_365_to_an_organization(login, make_staff, org_factory, pc, pc_connection, smtp):
    flush_jobs()
    org = org_factory(
        name="Nordlys AB",
        primary_domain="nordlys.se",
        contact_name="Kari Nordmann",
        contact_email="kari@nordlys.se",
        city="Stockholm",
        postal_code="111 22",
        country="SE",
    )
    pc.create_customer_directly(company_name="Someone Else", domain="nordlys.onmicrosoft.com")
    page = login(make_staff(StaffRole.GLOBAL_ADMIN))
    page.goto(f"/organizations/{org.pk}/services/")
    page.click("text=Add service")

    # Prefilled from the organization; what Microsoft still needs is named.
    assert page.input_value("#id_company_name") == "Nordlys AB"
    assert page.input_value("#id_domain_prefix") == "nordlys"
    assert page.input_value("#id_first_name") == "Kari"
    assert "address" in page.inner_text("#missing").lower()

    page.click("text=Check availability")
    page.wait_for_selector("#domain-check:has-text('nordlys.onmicrosoft.com is taken')")
    assert "relationship request" in page.inner_text("#domain-check")
    page.fill("#id_domain_prefix", "nordlysab")
    page.click("text=Check availability")
    page.wait_for_selector("#domain-check:has-text('nordlysab.onmicrosoft.com is available')")

    page.click("button:has-text('Create tenant')")  # the address line is still empty
    errors = page.locator(".field.has-error")
    assert errors.count() == 1  # the street address, and nothing that was filled in
    assert "requires street address" in errors.inner_text()
    assert not MicrosoftTenant.objects.exists()
    page.fill("#id_address_line1", "Drottninggatan 1")
    page.click("button:has-text('Create tenant')")
    page.wait_for_selector("text=The Microsoft 365 tenant is being created.")
    assert page.get_attribute("[data-status]", "data-status") == TenantStatus.PENDING

    drain_jobs()  # the worker: Partner Center, then the e-mail
    page.reload()
    assert page.get_attribute("[data-status]", "data-status") == TenantStatus.ACTIVE
    assert "nordlysab.onmicrosoft.com" in page.inner_text("#microsoft365")
    [(recipients, mail)] = smtp.received
    assert recipients == ["kari@nordlys.se"]
    assert "admin@nordlysab.onmicrosoft.com" in mail.get_content()
