"""The demo that `make run` seeds: what the README promises is there, and only once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cloudbroker.accounts.models import User
from cloudbroker.brokers.models import Broker
from cloudbroker.core.actors import actor_for_user
from cloudbroker.core.permissions import StaffRole
from cloudbroker.microsoft365.models import PartnerCenterConnection
from cloudbroker.organizations.models import Organization
from cloudbroker.portal.management.commands import seed_demo
from partner_center_emulator import config as emulator_config

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_documented_logins_once():
    call_command("seed_demo", stdout=io.StringIO())
    broker = Broker.objects.get()
    admin = User.objects.get(email=seed_demo.DEMO_EMAIL)
    assert admin.staff_role == StaffRole.SUPER_ADMIN
    assert admin.check_password(seed_demo.DEMO_PASSWORD)
    kam = actor_for_user(User.objects.get(email=seed_demo.KAM_EMAIL))
    seen = set(Organization.objects.visible_to(kam).values_list("groups__name", flat=True))
    assert seen == {"North"}
    count = Organization.objects.count()
    assert count == len(seed_demo.DEMO_ORGANIZATIONS)

    call_command("seed_demo", stdout=io.StringIO())
    assert (Broker.objects.count(), Organization.objects.count()) == (1, count)
    assert PartnerCenterConnection.objects.get(broker=broker).client_id == seed_demo.DEV_CLIENT_ID


def test_demo_connection_matches_the_emulators_development_registration():
    assert (seed_demo.DEV_TENANT_ID, seed_demo.DEV_CLIENT_ID, seed_demo.DEV_CLIENT_SECRET) == (
        emulator_config.DEV_TENANT_ID,
        emulator_config.DEV_CLIENT_ID,
        emulator_config.DEV_CLIENT_SECRET,
    )
