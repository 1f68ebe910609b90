"""Seed 000 §7: an organization whose Microsoft tenant is linked and active is not deleted (offboard
it in Partner Center first); and a delete racing a change is a 404, not a server error."""

from __future__ import annotations

import pytest

from cloudbroker.core.errors import NotFound
from cloudbroker.core.permissions import StaffRole
from cloudbroker.microsoft365.choices import TenantStatus
from cloudbroker.organizations import services
from cloudbroker.organizations.models import Organization
from tests.factories import MicrosoftTenantFactory

pytestmark = pytest.mark.django_db


def test_an_active_tenant_keeps_its_organization(make_staff, api_client_for, portal, org_factory):
    admin = make_staff(StaffRole.GLOBAL_ADMIN)
    org = org_factory()
    MicrosoftTenantFactory(organization=org, status=TenantStatus.ACTIVE)

    response = api_client_for(admin).delete(f"/api/v1/organizations/{org.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "organization_in_use"
    assert "Offboard the organization in Microsoft Partner Center first" in response.json()["message"]

    page = portal(admin).post(f"/organizations/{org.pk}/delete/", follow=True)
    assert "Offboard the organization in Microsoft Partner Center first" in page.content.decode()
    assert Organization.objects.filter(pk=org.pk).exists()


@pytest.mark.parametrize("status", [TenantStatus.REMOVED, TenantStatus.FAILED])
def test_a_tenant_no_longer_active_does_not(make_staff, api_client_for, org_factory, status):
    org = org_factory()
    MicrosoftTenantFactory(organization=org, status=status)
    response = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN)).delete(f"/api/v1/organizations/{org.pk}")
    assert response.status_code == 204
    assert not Organization.objects.filter(pk=org.pk).exists()


def test_a_change_to_an_organization_deleted_meanwhile_is_a_404(make_staff, as_actor, org_factory, api_client_for):
    admin = make_staff(StaffRole.GLOBAL_ADMIN)
    org = org_factory()
    Organization.objects.filter(pk=org.pk).delete()  # another request won the race
    with pytest.raises(NotFound):
        services.update_organization(actor=as_actor(admin), organization=org, data={"name": "Too late"})
    with pytest.raises(NotFound):
        services.delete_organization(actor=as_actor(admin), organization=org)
