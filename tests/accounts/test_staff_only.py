"""Staff and organization users are told apart at authentication: no staff page or API operation
accepts an organization user (they get their own surface with the customer portal)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from cloudbroker.accounts import services
from cloudbroker.accounts.models import ApiToken, hash_token
from cloudbroker.core.actors import ActorKind, actor_for_user
from cloudbroker.core.errors import PermissionDenied, ValidationFailed
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from tests.factories import PASSWORD, BrokerFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization_admin():
    org = OrganizationFactory()
    return UserFactory(broker=org.broker, staff_role="", organization=org, organization_role="admin")


def test_an_organization_user_cannot_sign_in_to_the_broker_portal(organization_admin):
    client = Client()
    response = client.post("/login/", {"username": organization_admin.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "This account cannot use the broker portal." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/organizations/", None),
        ("get", "/api/v1/staff/me", None),
        ("post", "/api/v1/tokens/", {"name": "mine"}),
        ("get", "/api/v1/broker/", None),
    ],
)
def test_the_staff_api_refuses_an_organization_users_session(organization_admin, method, path, body):
    client = Client(enforce_csrf_checks=False)
    client.force_login(organization_admin)
    response = getattr(client, method)(path, body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not ApiToken.objects.exists()


def test_the_staff_api_refuses_an_organization_users_token(organization_admin):
    raw = ApiToken.PREFIX + "organization-user-token-made-directly"
    ApiToken.objects.create(user=organization_admin, name="x", key_prefix=raw[:10], key_hash=hash_token(raw))
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/organizations/")
    assert response.status_code == 403
    org = organization_admin.organization
    patch = Client(headers={"Authorization": f"Bearer {raw}"}).patch(
        f"/api/v1/organizations/{org.pk}", {"customer_number": "HACKED"}, content_type="application/json"
    )
    assert patch.status_code == 403
    org.refresh_from_db()
    assert org.customer_number != "HACKED"


def test_an_organization_user_gets_no_api_token(organization_admin):
    actor = actor_for_user(organization_admin)
    assert actor.kind is ActorKind.ORGANIZATION
    with pytest.raises(PermissionDenied):
        services.create_api_token(actor=actor, name="mine")


def test_staff_managers_revoke_a_colleagues_token_but_not_a_super_admins():
    broker = BrokerFactory()
    admin = UserFactory(broker=broker, staff_role=StaffRole.GLOBAL_ADMIN)
    colleague = UserFactory(broker=broker, staff_role=StaffRole.SALES_AGENT)
    boss = UserFactory(broker=broker, staff_role=StaffRole.SUPER_ADMIN)
    token, raw = services.create_api_token(actor=actor_for_user(colleague), name="laptop")
    boss_token, _ = services.create_api_token(actor=actor_for_user(boss), name="boss")

    client = Client()
    client.force_login(admin)
    listed = client.get(f"/api/v1/staff/{colleague.pk}/tokens").json()
    assert [t["name"] for t in listed] == ["laptop"]
    assert client.delete(f"/api/v1/tokens/{token.pk}").status_code == 204
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/organizations/").status_code == 401
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert (event.actor_id, event.after["owner"]) == (admin.pk, colleague.email)

    refused = client.delete(f"/api/v1/tokens/{boss_token.pk}")
    assert refused.status_code == 403
    boss_token.refresh_from_db()
    assert boss_token.revoked_at is None

    # A Sales Agent sees only its own tokens: a colleague's is a 404.
    agent_client = Client()
    agent_client.force_login(colleague)
    assert agent_client.delete(f"/api/v1/tokens/{boss_token.pk}").status_code == 404


def test_an_expiry_in_the_past_is_refused_by_the_service():
    user = UserFactory(staff_role=StaffRole.GLOBAL_ADMIN)
    actor = actor_for_user(user)
    with pytest.raises(ValidationFailed) as refused:
        services.create_api_token(actor=actor, name="old", expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert refused.value.errors[0].field == "expires_at"
    assert not ApiToken.objects.exists()
