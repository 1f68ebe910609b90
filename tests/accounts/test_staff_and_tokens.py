"""Staff accounts, passwords, log-in lockout, API tokens, audit trail and request ids."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from cloudbroker.accounts import services
from cloudbroker.accounts.models import ApiToken, hash_token
from cloudbroker.core.errors import Conflict, PermissionDenied, ValidationFailed
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from tests.factories import PASSWORD, ApiTokenFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Aa1!", "at least 8 characters"),
        ("alllower1!", "an upper-case letter"),
        ("ALLUPPER1!", "a lower-case letter"),
        ("NoDigits!!", "a digit"),
        ("NoSymbol12", "a non-word character"),
        ("Jordan-2026!", "parts of your name"),
        ("Xx-Lindqvist-9", "parts of your name"),
        ("jlq.admin#7X", "parts of your name"),
    ],
)
def test_password_policy_names_what_is_missing(password, message, super_admin, as_actor):
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff_user(
            actor=as_actor(super_admin),
            data={
                "email": "jlq.admin@broker.test",
                "first_name": "Jordan",
                "last_name": "Lindqvist",
                "staff_role": StaffRole.SALES_AGENT,
            },
            password=password,
        )
    assert all(e.field == "password" for e in exc.value.errors)
    assert any(message in e.message for e in exc.value.errors)


def test_a_good_password_is_hashed_with_argon2(super_admin, as_actor, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = services.create_staff_user(
        actor=as_actor(super_admin),
        data={"email": "new@broker.test", "staff_role": StaffRole.GLOBAL_ADMIN},
        password="Tr1cky-Pass!",
    )
    assert user.password.startswith("argon2$")
    assert user.check_password("Tr1cky-Pass!")


def test_only_a_super_admin_grants_super_admin(make_staff, as_actor):
    global_admin = make_staff(StaffRole.GLOBAL_ADMIN)
    with pytest.raises(PermissionDenied):
        services.create_staff_user(
            actor=as_actor(global_admin), data={"email": "x@broker.test", "staff_role": StaffRole.SUPER_ADMIN}
        )
    target = make_staff(StaffRole.SUPER_ADMIN)
    with pytest.raises(PermissionDenied):
        services.set_staff_active(actor=as_actor(global_admin), user=target, active=False)


def test_the_last_super_admin_stays(super_admin, as_actor, system_actor):
    with pytest.raises(Conflict, match="your own"):
        services.set_staff_active(actor=as_actor(super_admin), user=super_admin, active=False)
    with pytest.raises(Conflict, match="your own role"):
        services.update_staff_user(
            actor=as_actor(super_admin), user=super_admin, data={"staff_role": StaffRole.GLOBAL_ADMIN}
        )
    with pytest.raises(Conflict, match="at least one active Super Admin"):
        services.set_staff_active(actor=system_actor, user=super_admin, active=False)


def test_disabling_revokes_tokens_and_blocks_api_and_login(super_admin, as_actor, make_staff, api_client_for, client):
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    kam_api = api_client_for(kam)
    assert kam_api.get("/api/v1/staff/me").status_code == 200
    services.set_staff_active(actor=as_actor(super_admin), user=kam, active=False)
    assert kam_api.get("/api/v1/staff/me").status_code == 401
    assert ApiToken.objects.filter(user=kam, revoked_at__isnull=True).count() == 0
    response = client.post("/login/", {"username": kam.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, no session
    assert "_auth_user_id" not in client.session


def test_tokens_are_shown_once_stored_hashed_and_revocable(make_staff, as_actor, api_client_for):
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    client = api_client_for(user)
    created = client.post("/api/v1/tokens/", {"name": "ERP"})
    assert created.status_code == 201
    raw = created.json()["token"]
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert token.key_hash == hash_token(raw)
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().first())
    assert "token" not in client.get("/api/v1/tokens/").json()[0]
    other = Client(headers={"Authorization": f"Bearer {raw}"})
    assert other.get("/api/v1/staff/me").status_code == 200
    assert client.delete(f"/api/v1/tokens/{token.pk}").status_code == 204
    assert other.get("/api/v1/staff/me").status_code == 401


def test_expired_and_garbage_tokens_are_refused(make_staff):
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    raw = ApiTokenFactory(user=user, expires_at=timezone.now() - dt.timedelta(seconds=1)).raw
    for value in (raw, "cb_not-a-token", "Basic abc", ""):
        response = Client(headers={"Authorization": f"Bearer {value}"}).get("/api/v1/organizations/")
        assert response.status_code == 401


def test_login_locks_after_repeated_failures(make_staff, settings):
    from axes.utils import reset

    reset()
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": user.email, "password": "wrong-Password-1"})
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content
    assert "_auth_user_id" not in client.session
    reset()
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_audit_event_records_who_what_and_request_id(make_staff, api_client_for):
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    client = api_client_for(user)
    client.headers["X-Request-ID"] = "req-12345"
    response = client.post("/api/v1/groups/", {"name": "Audited"})
    assert response["X-Request-ID"] == "req-12345"
    event = AuditEvent.objects.get(action="group.created")
    assert (event.actor_id, event.request_id, event.after["name"]) == (user.pk, "req-12345", "Audited")
    assert event.actor_label == f"{user.email} (API token)"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_an_unsafe_request_id_is_replaced(make_staff, api_client_for):
    client = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
    client.headers["X-Request-ID"] = "bad id\nwith newline"
    response = client.get("/api/v1/staff/me")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32
