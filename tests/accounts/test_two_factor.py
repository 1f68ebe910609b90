"""The second factor for staff: set up with an authenticator app, asked at every log-in, recovery
codes once each, mandatory when the broker says so, reset by a Super Admin."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cloudbroker.accounts import services
from cloudbroker.core.actors import actor_for_user
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from tests.factories import PASSWORD, BrokerFactory, UserFactory

pytestmark = pytest.mark.django_db

SETUP = "/account/two-factor/"
VERIFY = "/account/two-factor/verify/"


def code_for(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def log_in(user) -> Client:
    client = Client()
    assert client.post("/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
    return client


def set_up(user) -> list[str]:
    client = log_in(user)
    page = client.get(SETUP).content.decode()
    assert 'id="totp-key"' in page
    assert "data:image/svg+xml" in page
    done = client.post(SETUP, {"code": code_for(user)})
    assert done.status_code == 200
    return re.search(r'<pre class="token" id="recovery-codes">(.*?)</pre>', done.content.decode(), re.S)[1].split()


@pytest.fixture
def staff():
    return UserFactory(broker=BrokerFactory(), staff_role=StaffRole.GLOBAL_ADMIN)


def test_after_set_up_every_log_in_asks_for_a_code(staff):
    codes = set_up(staff)
    assert len(codes) == 10
    assert AuditEvent.objects.filter(action="staff.two_factor_enabled", object_id=str(staff.pk)).exists()

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=60)):
        client = log_in(staff)
        page = client.get("/organizations/")
        assert page.status_code == 302
        assert page["Location"].startswith(VERIFY)
        api = client.get("/api/v1/organizations/")
        assert (api.status_code, api.json()["code"]) == (403, "second_factor_required")
        assert client.post(VERIFY, {"code": "000000", "next": "/organizations/"}).status_code == 422
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=90)):
        verified = client.post(VERIFY, {"code": code_for(staff), "next": "/organizations/"})
        assert (verified.status_code, verified["Location"]) == (302, "/organizations/")
        assert client.get("/organizations/").status_code == 200
        assert client.get("/api/v1/organizations/").status_code == 200


def test_a_recovery_code_works_once(staff):
    codes = set_up(staff)
    first = log_in(staff)
    assert first.post(VERIFY, {"code": codes[0]}).status_code == 302
    second = log_in(staff)
    assert second.post(VERIFY, {"code": codes[0]}).status_code == 422
    # After a wrong code django-otp makes the next try wait a moment (1 s, doubling).
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        assert second.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_the_password_alone_cannot_replace_the_authenticator(staff):
    set_up(staff)
    device = TOTPDevice.objects.get(user=staff)
    intruder = log_in(staff)
    assert intruder.get(SETUP)["Location"].startswith(VERIFY)
    assert intruder.post(SETUP, {"code": "123456"})["Location"].startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=staff)) == [device]


def test_a_broker_can_require_it_and_a_super_admin_resets_it(staff):
    boss = UserFactory(broker=staff.broker, staff_role=StaffRole.SUPER_ADMIN)
    boss_client = Client()
    boss_client.force_login(boss)
    changed = boss_client.patch("/api/v1/broker/", {"staff_two_factor_required": True}, content_type="application/json")
    assert changed.json()["staff_two_factor_required"] is True

    client = log_in(staff)
    sent = client.get("/organizations/")
    assert sent["Location"].startswith(SETUP)
    assert "requires a second factor" in client.get(SETUP).content.decode()
    set_up(staff)

    # A Global Admin may not reset a colleague's second factor; a Super Admin may.
    other_admin = Client()
    other_admin.force_login(UserFactory(broker=staff.broker, staff_role=StaffRole.GLOBAL_ADMIN))
    assert other_admin.post(f"/api/v1/staff/{staff.pk}/reset-two-factor").status_code == 403
    # The boss has no second factor yet: within a minute of the change the broker's requirement
    # reaches sessions already open, the boss's own too.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        refused = boss_client.post(f"/api/v1/staff/{staff.pk}/reset-two-factor")
    assert (refused.status_code, refused.json()["code"]) == (403, "second_factor_required")
    set_up(boss)
    boss_verified = log_in(boss)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=60)):
        assert boss_verified.post(VERIFY, {"code": code_for(boss)}).status_code == 302
        assert boss_verified.post(f"/api/v1/staff/{staff.pk}/reset-two-factor").status_code == 204
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert AuditEvent.objects.filter(action="staff.two_factor_reset", object_id=str(staff.pk)).exists()
    assert log_in(staff).get("/organizations/")["Location"].startswith(SETUP)


def test_api_tokens_act_without_a_code(staff):
    set_up(staff)
    _, raw = services.create_api_token(actor=actor_for_user(staff), name="erp")
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/organizations/").status_code == 200


def test_a_bogus_token_beside_an_unverified_session_gets_nothing(staff):
    set_up(staff)
    client = log_in(staff)
    response = client.get("/api/v1/organizations/", headers={"Authorization": "Bearer cb_not-a-token"})
    assert (response.status_code, response.json()["code"]) == (403, "second_factor_required")
