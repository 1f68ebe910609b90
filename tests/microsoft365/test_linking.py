"""Linking Partner Center tenants to organizations (seed 000 §4): one by one, create-and-link, auto."""

from __future__ import annotations

import pytest

from cloudbroker.core.errors import Conflict, PermissionDenied
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from cloudbroker.microsoft365 import services
from cloudbroker.microsoft365.choices import TenantStatus
from cloudbroker.microsoft365.models import MicrosoftTenant, PartnerCenterConnection
from cloudbroker.microsoft365.validation import clean_tenant_request, customer_body, initial_from_organization
from cloudbroker.organizations.models import Organization

pytestmark = pytest.mark.django_db


def profile(company, email, domains=(), city="Oslo", country="NO"):
    """A tenant's profile columns as the sync reads them from Partner Center."""
    return {
        "contact_email": email,
        "address_line1": "Karl Johans gate 1",
        "city": city,
        "postal_code": "0154",
        "country": country,
        "contact_first_name": "Ola",
        "contact_last_name": "Nordmann",
        "phone_number": "+47 22 00 00 00",
        "custom_domains": list(domains),
    }


@pytest.fixture
def tenant_factory(broker):
    def make(company="Fjord AS", email="it@fjord.no", domains=("fjord.no",), **kwargs):
        return MicrosoftTenant.objects.create(
            broker=broker,
            customer_id=kwargs.pop("customer_id", f"cid-{company}"),
            company_name=company,
            default_domain=f"{company.lower().replace(' ', '')}.onmicrosoft.com",
            status=TenantStatus.ACTIVE,
            **profile(company, email, domains),
            **kwargs,
        )

    return make


def test_link_and_unlink(as_actor, make_staff, tenant_factory, org_factory):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    tenant, org = tenant_factory(), org_factory()
    services.link_tenant(actor=actor, tenant=tenant, organization=org)
    tenant.refresh_from_db()
    assert tenant.organization == org
    with pytest.raises(Conflict):
        services.link_tenant(actor=actor, tenant=tenant_factory(company="Other AS"), organization=org)
    services.unlink_tenant(actor=actor, tenant=tenant)
    tenant.refresh_from_db()
    assert tenant.organization is None
    assert list(AuditEvent.objects.filter(object_id=str(tenant.pk)).values_list("action", flat=True)) == [
        "tenant.unlinked",
        "tenant.linked",
    ]


def test_create_organization_and_link_prefills_from_partner_center(as_actor, make_staff, tenant_factory):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    tenant = tenant_factory()
    data = services.organization_data_from_tenant(tenant)
    assert data["name"] == "Fjord AS"
    assert (data["primary_domain"], data["city"], data["country"], data["contact_name"]) == (
        "fjord.no",
        "Oslo",
        "NO",
        "Ola Nordmann",
    )
    org = services.create_organization_and_link(actor=actor, tenant=tenant, data=data)
    assert org.microsoft_tenant == tenant


def test_auto_create_and_link_reports_every_skip(as_actor, make_staff, tenant_factory, org_factory):
    actor = as_actor(make_staff(StaffRole.SUPER_ADMIN))
    good = tenant_factory(company="Good AS", email="it@good.no", domains=("good.no",))
    no_domain = tenant_factory(company="Bare AS", email="it@bare.no", domains=())
    no_email = tenant_factory(company="Mute AS", email="", domains=("mute.no",))
    org_factory(primary_domain="taken.no")
    taken = tenant_factory(company="Taken AS", email="it@taken.no", domains=("taken.no",))
    report = services.auto_create_and_link(actor=actor)
    assert [t for t, _ in report.created] == [good]
    skipped = dict(report.skipped)
    assert set(skipped) == {no_domain, no_email, taken}
    assert "primary domain" in skipped[no_domain]
    assert "Notification email" in skipped[no_email]
    assert "already exists" in skipped[taken]
    assert Organization.objects.filter(primary_domain="good.no").get().microsoft_tenant == good


def test_only_broker_wide_roles_link_and_see_unlinked_tenants(
    as_actor, make_staff, tenant_factory, org_factory, group_factory
):
    group = group_factory()
    kam = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group]))
    mine = org_factory(groups=[group])
    linked = tenant_factory(company="Mine AS", organization=mine)
    unlinked = tenant_factory(company="Loose AS")
    visible = set(MicrosoftTenant.objects.visible_to(kam))
    assert visible == {linked}
    support = as_actor(make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN))
    assert set(MicrosoftTenant.objects.visible_to(support)) == {linked, unlinked}
    with pytest.raises(PermissionDenied):
        services.link_tenant(actor=kam, tenant=unlinked, organization=mine)


def test_connection_secret_is_encrypted_and_never_returned(as_actor, super_admin, api_client_for):
    actor = as_actor(super_admin)
    services.save_connection(
        actor=actor, data={"tenant_id": "partner-tenant", "client_id": "app-id", "client_secret": "very-secret-value"}
    )
    stored = PartnerCenterConnection.objects.get()
    assert "very-secret" not in stored.client_secret_encrypted
    assert stored.client_secret == "very-secret-value"
    body = api_client_for(super_admin).get("/api/v1/partner-center/connection").json()
    assert body["has_client_secret"] is True
    assert "very-secret-value" not in str(body)
    services.save_connection(actor=actor, data={"tenant_id": "partner-tenant", "client_id": "app-id"})
    assert PartnerCenterConnection.objects.get().client_secret == "very-secret-value"


def test_tenant_request_names_what_microsoft_needs(org_factory):
    org = org_factory(name="Contoso Ltd", primary_domain="contoso.com", contact_name="", street_address="")
    initial = initial_from_organization(org)
    assert initial["domain_prefix"] == "contoso"
    _, errors = clean_tenant_request(initial)
    assert {e.field for e in errors} == {"first_name", "last_name", "address_line1", "city", "postal_code"}
    assert all("Microsoft requires" in e.message for e in errors)
    _, errors = clean_tenant_request({**initial, "country": "US", "domain_prefix": "Bad Name!"})
    fields = {e.field for e in errors}
    assert {"state", "domain_prefix"} <= fields


def test_customer_body_has_the_partner_center_shape():
    cleaned, errors = clean_tenant_request(
        {
            "company_name": "Contoso",
            "domain_prefix": "contoso123",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@contoso.com",
            "address_line1": "1 Main St",
            "city": "Redmond",
            "state": "wa",
            "postal_code": "98052",
            "country": "us",
        }
    )
    assert errors == []
    body = customer_body(cleaned)
    assert body["companyProfile"] == {"domain": "contoso123.onmicrosoft.com"}
    address = body["billingProfile"]["defaultAddress"]
    assert (address["country"], address["state"], address["firstName"]) == ("US", "WA", "Ada")
    assert body["billingProfile"]["culture"] == "en-US"


def test_linking_replaces_a_failed_request_that_made_no_customer(as_actor, make_staff, tenant_factory, org_factory):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    org = org_factory()
    failed = MicrosoftTenant.objects.create(
        broker=org.broker, organization=org, default_domain="refused.onmicrosoft.com", status=TenantStatus.FAILED
    )
    tenant = tenant_factory()
    services.link_tenant(actor=actor, tenant=tenant, organization=org)
    tenant.refresh_from_db()
    assert tenant.organization == org
    assert not MicrosoftTenant.objects.filter(pk=failed.pk).exists()

    # A failed tenant Partner Center knows (it has a customer id) is a tenant: not replaced.
    other_org = org_factory()
    MicrosoftTenant.objects.create(
        broker=org.broker, organization=other_org, customer_id="known", status=TenantStatus.FAILED
    )
    with pytest.raises(Conflict):
        services.link_tenant(actor=actor, tenant=tenant_factory(company="Second AS"), organization=other_org)
