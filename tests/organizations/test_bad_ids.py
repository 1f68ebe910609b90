"""An id that is no UUID, typed or tampered into a page or a request, is a clear 4xx or is ignored
like any unknown id — never a server error; and the group page's form is one change, all or none."""

from __future__ import annotations

import pytest

from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations.models import OrganizationGroup
from tests.factories import MicrosoftTenantFactory

pytestmark = pytest.mark.django_db

BAD = "not-a-uuid"


@pytest.fixture
def admin(make_staff):
    return make_staff(StaffRole.SUPER_ADMIN)


def test_the_exports_group_filter_ignores_a_broken_id(admin, portal, org_factory):
    org_factory(name="Exported Ltd")
    response = portal(admin).get(f"/organizations/export.csv?group={BAD}")
    assert response.status_code == 200
    assert "Exported Ltd" in b"".join(response.streaming_content).decode("utf-8-sig")


def test_linking_a_tenant_to_a_broken_organization_id_is_a_404(admin, portal):
    tenant = MicrosoftTenantFactory(broker=admin.broker)
    assert portal(admin).post(f"/tenants/{tenant.pk}/", {"action": "link", "organization": BAD}).status_code == 404


def test_a_broken_group_id_for_a_staff_user_is_a_422(admin, api_client_for):
    response = api_client_for(admin).post(
        "/api/v1/staff/", {"email": "kam@x.test", "staff_role": "key_account_manager", "groups": [BAD]}
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "groups.0")


@pytest.mark.parametrize("user_id", [BAD, "admin"])
def test_the_group_page_saves_nothing_when_the_assignment_is_refused(admin, portal, group_factory, user_id):
    group = group_factory(name="North")
    refused = admin.pk if user_id == "admin" else user_id  # a Super Admin cannot be given groups
    response = portal(admin).post(
        f"/groups/{group.pk}/edit/", {"name": "Renamed", "users_submitted": "1", "users": [refused]}
    )
    assert response.status_code == 422
    assert OrganizationGroup.objects.get(pk=group.pk).name == "North"
