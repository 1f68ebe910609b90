"""One broker learns nothing of another's users: e-mail addresses are unique per broker, and
signing in finds the account by address and password (ADR 0007)."""

from __future__ import annotations

import pytest
from axes.utils import reset
from django.test import Client

from cloudbroker.accounts import services
from cloudbroker.accounts.models import User
from cloudbroker.core.actors import actor_for_user
from cloudbroker.core.errors import ValidationFailed
from cloudbroker.core.permissions import StaffRole
from tests.factories import PASSWORD, BrokerFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "pat@shared.example.com"


@pytest.fixture(autouse=True)
def _no_attempts_left_over():
    reset()
    yield
    reset()


def admin_of(broker):
    return actor_for_user(UserFactory(broker=broker, staff_role=StaffRole.SUPER_ADMIN))


def test_an_address_used_at_another_broker_is_not_revealed():
    first, second = BrokerFactory(), BrokerFactory()
    services.create_staff_user(actor=admin_of(first), data={"email": ADDRESS, "staff_role": "sales_agent"})
    # The second broker creates its own user with the same address: nothing says it exists elsewhere.
    user = services.create_staff_user(
        actor=admin_of(second), data={"email": ADDRESS.upper(), "staff_role": "sales_agent"}
    )
    assert (user.email, user.broker_id) == (ADDRESS, second.pk)
    assert User.objects.filter(email=ADDRESS).count() == 2
    # Within one broker an address is still unique.
    with pytest.raises(ValidationFailed) as again:
        services.create_staff_user(actor=admin_of(second), data={"email": ADDRESS, "staff_role": "sales_agent"})
    assert again.value.errors[0].field == "email"


def test_the_password_picks_the_account():
    first, second = BrokerFactory(name="First"), BrokerFactory(name="Second")
    UserFactory(broker=first, email=ADDRESS, staff_role=StaffRole.SALES_AGENT)
    other = UserFactory(broker=second, email=ADDRESS, staff_role=StaffRole.SALES_AGENT)
    other.set_password("Another-Secret-77!")
    other.save()

    client = Client()
    assert client.post("/login/", {"username": ADDRESS, "password": "Another-Secret-77!"}).status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


def test_the_same_password_at_two_brokers_asks_which():
    first, second = BrokerFactory(name="First"), BrokerFactory(name="Second")
    UserFactory(broker=first, email=ADDRESS, staff_role=StaffRole.SALES_AGENT)
    wanted = UserFactory(broker=second, email=ADDRESS, staff_role=StaffRole.SALES_AGENT)

    client = Client()
    asked = client.post("/login/", {"username": ADDRESS, "password": PASSWORD})
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "more than one broker" in page
    assert f'value="{first.slug}"' in page
    assert f'value="{second.slug}"' in page
    assert "_auth_user_id" not in client.session

    # A wrong password never shows the brokers.
    wrong = Client().post("/login/", {"username": ADDRESS, "password": "Wrong-Password-9!"}).content.decode()
    assert first.slug not in wrong
    assert "more than one broker" not in wrong

    chosen = client.post("/login/", {"username": ADDRESS, "password": PASSWORD, "broker": second.slug})
    assert chosen.status_code == 302
    assert client.session["_auth_user_id"] == str(wanted.pk)
