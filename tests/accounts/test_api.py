"""Staff and API token endpoints: error bodies, Super Admin safeguards and token behaviour
(shown once, hashed, revoked/expired/disabled get 401, the owner's scope)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cloudbroker.accounts.models import ApiToken, User
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole

STAFF = "/api/v1/staff/"
TOKENS = "/api/v1/tokens/"
GOOD_PASSWORD = "Tr0ub4dor&3-horse"


def new(**extra):
    return {
        "email": "nova.berg@staff.test",
        "first_name": "Nova",
        "last_name": "Berg",
        "staff_role": "global_admin",
        **extra,
    }


@pytest.fixture
def admin(make_staff):
    return make_staff(StaffRole.GLOBAL_ADMIN)


@pytest.fixture
def admin_api(api_client_for, admin):
    return api_client_for(admin)


# --- staff --------------------------------------------------------------------------------------


def test_create_staff_returns_201_and_the_user(admin_api, group_factory):
    g = group_factory()
    resp = admin_api.post(STAFF, new(staff_role="sales_agent", password=GOOD_PASSWORD, groups=[str(g.pk)]))
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["staff_role"] == "sales_agent"
    assert data["staff_role_label"] == "Sales Agent"
    assert data["groups"] == [{"id": str(g.pk), "name": g.name}]
    assert "password" not in data
    assert User.objects.get(pk=data["id"]).check_password(GOOD_PASSWORD)


def test_password_policy_errors_come_back_on_the_password_field(admin_api):
    resp = admin_api.post(STAFF, new(password="Nova1234!"))
    assert resp.status_code == 422
    data = resp.json()
    assert data["code"] == "validation_failed"
    assert data["field"] == "password"
    assert {e["field"] for e in data["errors"]} == {"password"}
    assert "parts of your name" in " ".join(e["message"] for e in data["errors"])


def test_duplicate_email_and_bad_role_are_422(admin_api, make_staff):
    make_staff(email="taken@staff.test")
    resp = admin_api.post(STAFF, new(email="Taken@Staff.test"))
    assert (resp.status_code, resp.json()["field"]) == (422, "email")
    resp = admin_api.post(STAFF, new(staff_role="emperor"))
    assert (resp.status_code, resp.json()["field"]) == (422, "staff_role")


def test_groups_for_a_broker_wide_role_are_refused(admin_api, group_factory):
    resp = admin_api.post(STAFF, new(groups=[str(group_factory().pk)]))
    assert resp.status_code == 422
    assert resp.json()["errors"] == [
        {"field": "groups", "message": resp.json()["errors"][0]["message"], "code": "not_group_role"}
    ]
    assert not User.objects.filter(email="nova.berg@staff.test").exists()


def test_global_admin_cannot_create_or_change_a_super_admin(admin_api, super_admin):
    assert admin_api.post(STAFF, new(staff_role="super_admin")).status_code == 403
    assert admin_api.patch(f"{STAFF}{super_admin.pk}", {"first_name": "X"}).status_code == 403
    assert admin_api.patch(f"{STAFF}{super_admin.pk}", {"is_active": False}).status_code == 403
    super_admin.refresh_from_db()
    assert super_admin.is_active
    assert super_admin.first_name != "X"


def test_own_role_and_own_account_are_protected(admin_api, admin):
    resp = admin_api.patch(f"{STAFF}{admin.pk}", {"staff_role": "sales_agent"})
    assert resp.status_code == 409
    assert resp.json()["code"] == "conflict"
    assert resp.json()["field"] == "staff_role"
    assert admin_api.patch(f"{STAFF}{admin.pk}", {"is_active": False}).status_code == 409
    admin.refresh_from_db()
    assert (admin.staff_role, admin.is_active) == (StaffRole.GLOBAL_ADMIN, True)


def test_last_super_admin_is_protected(api_client_for, super_admin, make_staff):
    other_sa = make_staff(StaffRole.SUPER_ADMIN)
    client = api_client_for(other_sa)
    # Disabling the first Super Admin leaves other_sa
    assert client.patch(f"{STAFF}{super_admin.pk}", {"is_active": False}).status_code == 200
    # other_sa cannot demote or disable itself, so the broker keeps one
    assert client.patch(f"{STAFF}{other_sa.pk}", {"staff_role": "global_admin"}).status_code == 409
    assert client.patch(f"{STAFF}{other_sa.pk}", {"is_active": False}).status_code == 409


def test_disabling_through_the_api_revokes_tokens(admin_api, api_client_for, make_staff):
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    kam_client = api_client_for(kam)
    assert kam_client.get("/api/v1/organizations/").status_code == 200
    resp = admin_api.patch(f"{STAFF}{kam.pk}", {"is_active": False})
    assert resp.status_code == 200
    assert resp.json()["is_active"] is False
    assert kam_client.get("/api/v1/organizations/").status_code == 401
    assert not ApiToken.objects.filter(user=kam, revoked_at__isnull=True).exists()


def test_staff_list_search_and_me(admin_api, admin, make_staff, other_broker):
    make_staff(StaffRole.SALES_AGENT, email="agent.one@staff.test", last_name="Quist")
    make_staff(StaffRole.SALES_AGENT, email="x@other.test", broker_=other_broker)
    data = admin_api.get(STAFF).json()
    assert data["count"] == 2
    assert [u["email"] for u in admin_api.get(STAFF, q="quist").json()["items"]] == ["agent.one@staff.test"]
    assert admin_api.get(STAFF, role="sales_agent").json()["count"] == 1
    assert admin_api.get(f"{STAFF}me").json()["id"] == str(admin.pk)


def test_a_kam_sees_only_themselves(api_client_for, make_staff):
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    other = make_staff(StaffRole.SALES_AGENT)
    client = api_client_for(kam)
    assert client.get(STAFF).status_code == 403
    assert client.get(f"{STAFF}me").json()["email"] == kam.email
    assert client.get(f"{STAFF}{other.pk}").status_code == 404


# --- tokens -------------------------------------------------------------------------------------


def test_token_is_shown_once_and_stored_hashed(admin_api, admin):
    resp = admin_api.post(TOKENS, {"name": "deploy"})
    assert resp.status_code == 201, resp.content
    raw = resp.json()["token"]
    assert raw.startswith("cb_")
    listed = admin_api.get(TOKENS).json()
    assert all("token" not in t for t in listed)
    assert "deploy" in [t["name"] for t in listed]
    for row in ApiToken.objects.values():
        assert raw not in [str(v) for v in row.values()]
    assert raw not in str(list(AuditEvent.objects.values()))
    new_client = type(admin_api)()
    new_client.headers["Authorization"] = f"Bearer {raw}"
    assert new_client.get(f"{STAFF}me").json()["id"] == str(admin.pk)


def _bearer(api_client_for, raw):
    client = api_client_for()
    client.headers["Authorization"] = f"Bearer {raw}"
    return client


def test_revoked_token_gets_401(admin_api, api_client_for):
    created = admin_api.post(TOKENS, {"name": "tmp"}).json()
    other = _bearer(api_client_for, created["token"])
    assert other.get("/api/v1/organizations/").status_code == 200
    assert admin_api.delete(f"{TOKENS}{created['id']}").status_code == 204
    resp = other.get("/api/v1/organizations/")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_expired_token_gets_401(admin_api, api_client_for):
    soon = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    raw = admin_api.post(TOKENS, {"name": "old", "expires_at": soon}).json()["token"]
    assert _bearer(api_client_for, raw).get("/api/v1/organizations/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        assert _bearer(api_client_for, raw).get("/api/v1/organizations/").status_code == 401


@pytest.mark.parametrize(
    "expires_at",
    ["2020-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "2026-06-30T12:00:00", "2999-01-01T00:00:00Z"],
)
def test_a_token_cannot_be_created_expired_naive_or_for_ever(admin_api, expires_at):
    response = admin_api.post(TOKENS, {"name": "odd", "expires_at": expires_at})
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "expires_at"


def test_disabled_users_token_gets_401(api_client_for, make_staff):
    agent = make_staff(StaffRole.SALES_AGENT)
    client = api_client_for(agent)
    User.objects.filter(pk=agent.pk).update(is_active=False)  # even without revoking the token
    assert client.get("/api/v1/organizations/").status_code == 401


def test_token_acts_with_its_owners_scope(api_client_for, make_staff, group_factory, org_factory):
    g = group_factory()
    visible = org_factory(groups=[g])
    hidden = org_factory()
    kam = api_client_for(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[g]))
    assert [o["id"] for o in kam.get("/api/v1/organizations/").json()["items"]] == [str(visible.pk)]
    assert kam.get(f"/api/v1/organizations/{hidden.pk}").status_code == 404
    assert kam.post("/api/v1/groups/", {"name": "x"}).status_code == 403


def test_token_events_name_the_token(admin_api):
    admin_api.post("/api/v1/organizations/", {"name": "A", "primary_domain": "a.com", "notification_email": "a@a.com"})
    event = AuditEvent.objects.get(action="organization.created")
    assert event.actor_label.endswith("(API token)")


def test_someone_elses_token_cannot_be_revoked_or_seen(api_client_for, make_staff):
    a = make_staff(StaffRole.SALES_AGENT)
    b_client = api_client_for(make_staff(StaffRole.SALES_AGENT))
    a_client = api_client_for(a)
    token = ApiToken.objects.filter(user=a).get()
    assert b_client.delete(f"{TOKENS}{token.pk}").status_code == 404
    assert str(token.pk) not in [t["id"] for t in b_client.get(TOKENS).json()]
    assert a_client.get("/api/v1/organizations/").status_code == 200


def test_token_name_is_required(admin_api):
    resp = admin_api.post(TOKENS, {"name": " "})
    assert (resp.status_code, resp.json()["field"]) == (422, "name")


def test_an_expiry_with_an_impossible_offset_is_a_422(admin_api):
    resp = admin_api.post(TOKENS, {"name": "odd", "expires_at": "2031-09-10T02:18:34+16:13"})
    assert resp.status_code == 422, resp.content
    assert resp.json()["field"] == "expires_at"
    assert not ApiToken.objects.filter(name="odd").exists()
