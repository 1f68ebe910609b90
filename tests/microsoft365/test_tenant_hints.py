"""Each role is told only what it may do: the empty tenant list sends nobody to a page they get 403 on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cloudbroker.core.permissions import STAFF_ROLE_PERMISSIONS, Perm, StaffRole

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(StaffRole))
def test_the_empty_tenant_list_hints_only_at_what_the_role_may_open(portal, make_staff, group_factory, role, broker):
    user = make_staff(role, groups=[group_factory()])
    client = portal(user)
    response = client.get(reverse("portal:tenant_list"))
    if Perm.TENANT_VIEW not in STAFF_ROLE_PERMISSIONS[role]:
        assert response.status_code in (403, 404)
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="no-tenants"' in html
    connection_url = reverse("portal:partner_center")
    mentions_connection = connection_url in html.split('id="no-tenants"', 1)[1].split("</td>", 1)[0]
    may_open = client.get(connection_url).status_code == 200
    assert mentions_connection == may_open
    hint = html.split('id="no-tenants"', 1)[1].split("</td>", 1)[0]
    if not may_open:
        assert "Partner Center connection" not in hint
        assert "Run a sync" not in hint
    if role == StaffRole.KEY_ACCOUNT_MANAGER:
        assert "E-store" in hint
