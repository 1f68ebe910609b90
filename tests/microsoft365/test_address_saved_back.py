"""The address typed on the Microsoft 365 tenant form is saved back to the organization, as an
audited update through the organizations service."""

from __future__ import annotations

import pytest

from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import flush_jobs
from cloudbroker.microsoft365 import provisioning
from tests.microsoft365.test_partner_center_e2e import tenant_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_queue():
    flush_jobs()
    yield
    flush_jobs()


def test_the_typed_address_becomes_the_organizations_and_is_audited(
    as_actor, make_staff, org_factory, pc_connection, pc
):
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    org = org_factory(
        street_address="", postal_code="", city="", state="", country="", contact_name="Kari Admin", contact_email=""
    )
    provisioning.request_tenant(actor=as_actor(user), organization=org, data=tenant_data("saveback"))

    org.refresh_from_db()
    assert (org.street_address, org.postal_code, org.city, org.country.code) == (
        "Karl Johans gate 1",
        "0154",
        "Oslo",
        "NO",
    )
    # An empty contact e-mail is filled; the contact the organization already has stays.
    assert org.contact_email == "it@fjordtech.example"
    assert org.contact_name == "Kari Admin"
    event = AuditEvent.objects.get(action="organization.updated", organization_id=org.pk)
    assert event.actor_id == user.pk
    assert event.after["street_address"] == "Karl Johans gate 1"
    assert event.after["city"] == "Oslo"
    assert "contact_name" not in event.after


def test_a_second_address_replaces_the_first(as_actor, make_staff, org_factory, pc_connection, pc):
    admin = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    org = org_factory(street_address="Old street 9", city="Bergen", postal_code="5003", country="NO")
    provisioning.request_tenant(actor=admin, organization=org, data=tenant_data("replaced"))
    org.refresh_from_db()
    assert (org.street_address, org.city, org.postal_code) == ("Karl Johans gate 1", "Oslo", "0154")
    event = AuditEvent.objects.get(action="organization.updated", organization_id=org.pk)
    assert event.before["street_address"] == "Old street 9"
