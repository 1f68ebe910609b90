"""An organization's page shows its Microsoft 365 tenant (the panel Microsoft 365 adds to it)."""

from __future__ import annotations

import pytest

from cloudbroker.core.permissions import StaffRole
from cloudbroker.microsoft365.choices import TenantStatus
from tests.factories import MicrosoftTenantFactory

pytestmark = pytest.mark.django_db


def test_the_organization_page_shows_its_tenant(make_staff, portal, org_factory):
    org = org_factory()
    tenant = MicrosoftTenantFactory(
        organization=org, status=TenantStatus.ACTIVE, default_domain="contoso.onmicrosoft.com"
    )
    page = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get(f"/organizations/{org.pk}/").content.decode()
    assert 'id="microsoft-365"' in page
    assert f'href="/tenants/{tenant.pk}/"' in page
    assert "contoso.onmicrosoft.com" in page
    assert "Active" in page
    assert "Add Microsoft 365" not in page


def test_without_a_tenant_it_offers_to_add_one_to_who_may(make_staff, portal, org_factory):
    org = org_factory()
    admin_page = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get(f"/organizations/{org.pk}/").content.decode()
    assert "No Microsoft 365 tenant yet." in admin_page
    assert f"/organizations/{org.pk}/services/microsoft-365/" in admin_page
    viewer_page = portal(make_staff(StaffRole.GLOBAL_VIEW_ONLY_ADMIN)).get(f"/organizations/{org.pk}/").content.decode()
    assert "No Microsoft 365 tenant yet." in viewer_page
    assert f"/organizations/{org.pk}/services/microsoft-365/" not in viewer_page
