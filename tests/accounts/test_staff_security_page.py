"""The Administrators' manage page: a colleague's API tokens revoked there, and (Super Admins) an
account unlocked or a lost second factor reset."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from cloudbroker.accounts.models import ApiToken
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db


def test_a_colleagues_token_is_revoked_from_their_page(make_staff, portal):
    admin = make_staff(StaffRole.GLOBAL_ADMIN)
    colleague = make_staff(StaffRole.SALES_AGENT)
    token = ApiTokenFactory(user=colleague, name="laptop")
    client = portal(admin)
    manage = f"/administrators/{colleague.pk}/edit/"
    page = client.get(manage).content.decode()
    assert "laptop" in page
    assert "Unlock failed log-ins" not in page  # a Global Admin may not unlock
    response = client.post(f"/api-tokens/{token.pk}/revoke/", {"next": manage})
    assert (response.status_code, response["Location"]) == (302, manage)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert client.post(f"/administrators/{colleague.pk}/security/", {"action": "unlock"}).status_code == 403


def test_a_super_admin_unlocks_and_resets_the_second_factor_from_the_page(make_staff, portal):
    boss = make_staff(StaffRole.SUPER_ADMIN)
    colleague = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    TOTPDevice.objects.create(user=colleague, name="Authenticator app", confirmed=True)
    client = portal(boss)
    page = client.get(f"/administrators/{colleague.pk}/edit/").content.decode()
    assert "Reset second factor" in page
    assert client.post(f"/administrators/{colleague.pk}/security/", {"action": "unlock"}).status_code == 302
    assert AuditEvent.objects.filter(action="staff.unlocked", object_id=str(colleague.pk)).exists()
    assert client.post(f"/administrators/{colleague.pk}/security/", {"action": "reset_two_factor"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=colleague).exists()
