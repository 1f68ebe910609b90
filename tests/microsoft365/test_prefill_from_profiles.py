"""'Create organization and link' and 'Auto create and link' fill the organization from the
customer's company and billing profiles in Partner Center (read by the sync from the emulator over
HTTP), not only its name."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cloudbroker.core.permissions import StaffRole
from cloudbroker.microsoft365 import services
from cloudbroker.microsoft365.models import MicrosoftTenant
from cloudbroker.microsoft365.sync import sync_broker

pytestmark = pytest.mark.django_db(transaction=True)


def fjord(pc) -> dict:
    customer = pc.create_customer_directly(
        company_name="Fjord Tech AS",
        domain="fjordtech.onmicrosoft.com",
        country="NO",
        city="Oslo",
        address_line1="Karl Johans gate 1",
        postal_code="0154",
        first_name="Ola",
        last_name="Nordmann",
        phone_number="+47 22 00 00 00",
        email="it@fjordtech.no",
        organization_registration_number="923456789",
    )
    pc.update_customer_directly(customer["id"], custom_domains=["fjordtech.no"])
    return customer


def profile_reads(pc) -> tuple[int, int]:
    calls = pc.stats()["calls"]
    return (
        calls.get("GET /v1/customers/{cid}/profiles/company", 0),
        calls.get("GET /v1/customers/{cid}/profiles/billing", 0),
    )


EXPECTED = {
    "name": "Fjord Tech AS",
    "primary_domain": "fjordtech.no",
    "registration_number": "923456789",
    "notification_email": "it@fjordtech.no",
    "street_address": "Karl Johans gate 1",
    "postal_code": "0154",
    "city": "Oslo",
    "state": "",
    "country": "NO",
    "contact_name": "Ola Nordmann",
    "contact_phone": "+47 22 00 00 00",
    "contact_email": "it@fjordtech.no",
}


def test_the_sync_reads_the_profiles_of_unlinked_customers_once(broker, pc_connection, pc):
    customer = fjord(pc)
    result = sync_broker(broker.pk)
    assert result["profiles_read"] == 1
    assert profile_reads(pc) == (1, 1)
    tenant = MicrosoftTenant.objects.get(customer_id=customer["id"])
    assert services.organization_data_from_tenant(tenant) == EXPECTED

    # Known now: the next sync neither reads them again nor changes the tenant.
    before = tenant.updated_at
    again = sync_broker(broker.pk)
    assert again.get("profiles_read", 0) == 0
    assert profile_reads(pc) == (1, 1)
    tenant.refresh_from_db()
    assert tenant.updated_at == before
    assert services.organization_data_from_tenant(tenant) == EXPECTED


def test_auto_create_and_link_fills_address_country_contact_and_email(broker, pc_connection, pc, as_actor, make_staff):
    fjord(pc)
    pc.create_customer_directly(company_name="No Domain Ltd", domain="nodomain.onmicrosoft.com", country="GB")
    sync_broker(broker.pk)

    report = services.auto_create_and_link(actor=as_actor(make_staff(StaffRole.GLOBAL_ADMIN)))

    [(tenant, org)] = report.created
    tenant.refresh_from_db()
    assert tenant.organization == org
    assert (org.name, org.primary_domain, org.notification_email) == (
        "Fjord Tech AS",
        "fjordtech.no",
        "it@fjordtech.no",
    )
    assert (org.street_address, org.postal_code, org.city, org.country.code) == (
        "Karl Johans gate 1",
        "0154",
        "Oslo",
        "NO",
    )
    assert (org.contact_name, org.contact_phone, org.contact_email) == (
        "Ola Nordmann",
        "+47 22 00 00 00",
        "it@fjordtech.no",
    )
    [(skipped, reason)] = report.skipped
    assert skipped.company_name == "No Domain Ltd"
    assert "primary domain" in reason


def test_create_organization_and_link_form_is_prefilled(broker, pc_connection, pc, portal, make_staff):
    customer = fjord(pc)
    sync_broker(broker.pk)
    tenant = MicrosoftTenant.objects.get(customer_id=customer["id"])
    response = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get(reverse("portal:tenant_detail", args=[tenant.pk]))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert {k: initial[k] for k in EXPECTED} == EXPECTED
    html = response.content.decode()
    assert 'value="Karl Johans gate 1"' in html
    assert 'value="Ola Nordmann"' in html


def test_a_tenant_synced_without_profiles_reads_them_when_its_page_opens(broker, pc_connection, pc, portal, make_staff):
    customer = fjord(pc)
    # As an earlier sync left it: the short company profile of the customer list only.
    tenant = MicrosoftTenant.objects.create(
        broker=broker,
        customer_id=customer["id"],
        company_name="Fjord Tech AS",
        status="active",
    )
    response = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get(reverse("portal:tenant_detail", args=[tenant.pk]))
    assert {k: response.context["form"].initial[k] for k in EXPECTED} == EXPECTED
    tenant.refresh_from_db()
    assert (tenant.contact_email, tenant.city, tenant.custom_domains) == ("it@fjordtech.no", "Oslo", ["fjordtech.no"])
    assert tenant.profiles_read_at is not None

    # Partner Center away: the page still opens with what is known.
    other = MicrosoftTenant.objects.create(broker=broker, customer_id="gone", company_name="Gone AS", status="active")
    pc.stop()
    try:
        response = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get(reverse("portal:tenant_detail", args=[other.pk]))
    finally:
        pc.start()
    assert response.status_code == 200
    assert response.context["form"].initial["name"] == "Gone AS"
