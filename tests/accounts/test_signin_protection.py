"""Five wrong passwords from somewhere else must not lock the owner out (issue: anyone could lock
any account). Failures lock one client; across clients the account is slowed down; the owner's own
browser is never slowed; a Super Admin unlocks."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.utils import reset
from django.test import Client
from django.utils import timezone

from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from tests.factories import PASSWORD, BrokerFactory, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "Wrong-Password-1!"


@pytest.fixture(autouse=True)
def _no_attempts_left_over():
    reset()
    yield
    reset()


@pytest.fixture
def owner():
    return UserFactory(broker=BrokerFactory(), staff_role=StaffRole.SUPER_ADMIN)


def sign_in(client, user, password, ip):
    return client.post("/login/", {"username": user.email, "password": password}, REMOTE_ADDR=ip)


def attack(user, settings, ip="203.0.113.66"):
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, user, WRONG, ip)
    return attacker


def test_failures_elsewhere_do_not_lock_the_owners_own_browser(owner, settings):
    own_browser = Client()
    assert sign_in(own_browser, owner, PASSWORD, "198.51.100.7").status_code == 302
    own_browser.post("/logout/")  # a real log-out keeps the browser's other cookies

    attacker = attack(owner, settings)
    # The attacker's client is locked out of the account, even with the right password.
    assert sign_in(attacker, owner, PASSWORD, "203.0.113.66").status_code == 429
    # The owner, from the browser they signed in with before, is not.
    assert sign_in(own_browser, owner, PASSWORD, "198.51.100.7").status_code == 302


def test_a_new_client_is_slowed_down_not_locked(owner, settings):
    attack(owner, settings)
    fresh = Client()
    refused = sign_in(fresh, owner, PASSWORD, "192.0.2.10")
    assert refused.status_code == 200
    assert "Try again in" in refused.content.decode()
    assert "_auth_user_id" not in fresh.session
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        assert sign_in(fresh, owner, PASSWORD, "192.0.2.10").status_code == 302


def test_a_super_admin_unlocks_an_account(owner, settings):
    kam = UserFactory(broker=owner.broker, staff_role=StaffRole.KEY_ACCOUNT_MANAGER)
    attacker = attack(kam, settings)
    assert sign_in(attacker, kam, PASSWORD, "203.0.113.66").status_code == 429

    admin = Client()
    admin.force_login(UserFactory(broker=owner.broker, staff_role=StaffRole.GLOBAL_ADMIN))
    assert admin.post(f"/api/v1/staff/{kam.pk}/unlock").status_code == 403

    boss = Client()
    boss.force_login(owner)
    response = boss.post(f"/api/v1/staff/{kam.pk}/unlock")
    assert response.status_code == 200
    assert response.json()["cleared_attempts"] >= 1
    assert AuditEvent.objects.filter(action="staff.unlocked", object_id=str(kam.pk), actor=owner).exists()
    assert sign_in(attacker, kam, PASSWORD, "203.0.113.66").status_code == 302

    other_broker = Client()
    other_broker.force_login(UserFactory(broker=BrokerFactory(), staff_role=StaffRole.SUPER_ADMIN))
    assert other_broker.post(f"/api/v1/staff/{kam.pk}/unlock").status_code == 404
