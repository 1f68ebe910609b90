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


@pytest.mark.django_db(transaction=True)
def test_a_taken_domain_tells_a_kam_to_ask_for_the_link(
    portal, make_staff, group_factory, org_factory, pc_connection, pc, as_actor
):
    from cloudbroker.core.errors import ValidationFailed
    from cloudbroker.microsoft365 import provisioning
    from tests.microsoft365.test_partner_center_e2e import tenant_data

    pc.create_customer_directly(company_name="Taken", domain="takenkam.onmicrosoft.com")
    group = group_factory()
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group])
    org = org_factory(groups=[group])
    with pytest.raises(ValidationFailed) as caught:
        provisioning.request_tenant(actor=as_actor(kam), organization=org, data=tenant_data("takenkam"))
    assert "ask an administrator who links tenants" in caught.value.errors[0].message
    assert "link the tenant instead" not in caught.value.errors[0].message
    check = portal(kam).get(reverse("portal:tenant_domain_check"), {"domain_prefix": "takenkam"})
    assert "ask an administrator who links tenants" in check.content.decode()
    admin = portal(make_staff(StaffRole.GLOBAL_ADMIN))
    assert (
        "link it instead"
        in admin.get(reverse("portal:tenant_domain_check"), {"domain_prefix": "takenkam"}).content.decode()
    )
