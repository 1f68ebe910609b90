"""Page faults from issue 11, each pinned by a test that failed before its fix."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cloudbroker.accounts.models import User
from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations import services
from cloudbroker.organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_staff):
    return make_staff(StaffRole.GLOBAL_ADMIN)


# --- Administrators ------------------------------------------------------------------------------


def test_disabling_an_administrator_asks_first_and_changes_nothing_until_confirmed(portal, admin, make_staff):
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, email="kim@staff.test")
    client = portal(admin)
    listing = client.get("/administrators/").content.decode()
    # The list offers a link to the question, not a button that disables at once.
    assert f'action="/administrators/{kam.pk}/active/"' not in listing
    assert f'href="/administrators/{kam.pk}/active/?active=0"' in listing
    resp = client.get(f"/administrators/{kam.pk}/active/", {"active": "0"})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "Disable kim@staff.test?" in page
    assert 'name="active" value="0"' in page
    kam.refresh_from_db()
    assert kam.is_active
    resp = client.post(f"/administrators/{kam.pk}/active/", {"active": "0"})
    assert resp.status_code == 302
    kam.refresh_from_db()
    assert not kam.is_active
    # Enabling again goes through the same page.
    assert "Enable kim@staff.test?" in client.get(f"/administrators/{kam.pk}/active/?active=1").content.decode()
    client.post(f"/administrators/{kam.pk}/active/", {"active": "1"})
    kam.refresh_from_db()
    assert kam.is_active


def test_one_cannot_disable_oneself_from_the_list(portal, admin):
    listing = portal(admin).get("/administrators/").content.decode()
    assert f"/administrators/{admin.pk}/active/" not in listing


def _role_options(html: str) -> list[tuple[str, bool]]:
    select = re.search(r'<select name="staff_role".*?</select>', html, re.S).group(0)
    return [(value, bool(sel)) for value, sel in re.findall(r'<option value="([^"]*)"( selected)?', select)]


@pytest.mark.parametrize("role", [StaffRole.SUPER_ADMIN, StaffRole.GLOBAL_ADMIN])
def test_a_new_administrator_has_no_role_until_one_is_chosen(portal, make_staff, role):
    client = portal(make_staff(role))
    options = _role_options(client.get("/administrators/new/").content.decode())
    # The first option (what a browser shows and sends unless someone picks) is no role at all.
    assert options[0][0] == ""
    assert [value for value, selected in options if selected] in ([], [""])
    resp = client.post("/administrators/new/", {"email": "new@staff.test"})
    assert resp.status_code == 422
    assert resp.context["form"].errors["staff_role"] == ["Choose a role."]
    assert not User.objects.filter(email="new@staff.test").exists()
    resp = client.post("/administrators/new/", {"email": "new@staff.test", "staff_role": "sales_agent"})
    assert resp.status_code == 302
    assert User.objects.get(email="new@staff.test").staff_role == StaffRole.SALES_AGENT


# --- groups ----------------------------------------------------------------------------------------


def test_group_members_page_shows_candidates_before_any_search(portal, admin, group_factory, org_factory):
    group = group_factory()
    inside = org_factory(name="Inside AB", groups=[group])
    a, b = org_factory(name="Acme"), org_factory(name="Bolt")
    resp = portal(admin).get(f"/groups/{group.pk}/members/")
    assert list(resp.context["candidates"]) == [a, b]
    assert list(resp.context["page"]) == [inside]
    page = resp.content.decode()
    assert f'name="organizations" value="{a.pk}"' in page
    assert "Update: add selected" in page


# --- history ---------------------------------------------------------------------------------------


def test_history_names_the_groups_the_viewer_may_see_and_hides_the_others(
    portal, admin, as_actor, make_staff, group_factory
):
    mine, theirs = group_factory(name="North"), group_factory(name="Secret West")
    org = services.create_organization(
        actor=as_actor(admin),
        data={"name": "Hist", "primary_domain": "hist.com", "notification_email": "a@hist.com"},
        group_ids=[mine.pk],
    )
    services.add_group_members(actor=as_actor(admin), group=theirs, organization_ids=[org.pk])
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine])
    history = portal(kam).get(f"/organizations/{org.pk}/").content.decode().split('id="history"')[1]
    assert "North" in history
    assert str(mine.pk) not in history
    assert "Secret West" not in history
    assert str(theirs.pk) not in history
    # A Global Admin sees both, by name.
    history = portal(admin).get(f"/organizations/{org.pk}/").content.decode().split('id="history"')[1]
    assert "North" in history
    assert "Secret West" in history
    assert str(mine.pk) not in history
    assert str(theirs.pk) not in history


# --- dates -------------------------------------------------------------------------------------------


def test_the_billing_start_date_is_typed_and_shown_as_dd_mm_yyyy(portal, admin, org_factory):
    org = org_factory(billing_start_date=dt.date(2026, 5, 20))
    client = portal(admin)
    resp = client.get(f"/organizations/{org.pk}/edit/")
    field = re.search(r'<input[^>]*name="billing_start_date"[^>]*>', resp.content.decode()).group(0)
    assert 'type="date"' not in field  # a browser's date input shows its locale's format (mm/dd/yyyy)
    assert 'value="20/05/2026"' in field
    assert 'placeholder="DD/MM/YYYY"' in field
    initial = resp.context["form"].initial
    data = {k: ("" if v is None else v) for k, v in initial.items() if k != "approval_required" or v}
    assert (
        client.post(f"/organizations/{org.pk}/edit/", {**data, "billing_start_date": "03/02/2026"}).status_code == 302
    )
    org.refresh_from_db()
    assert org.billing_start_date == dt.date(2026, 2, 3)


# --- an organization's groups --------------------------------------------------------------------------


def test_an_organizations_groups_show_only_the_groups_the_viewer_may_see(
    portal, api_client_for, make_staff, group_factory, org_factory
):
    mine, theirs = group_factory(name="North"), group_factory(name="Secret West")
    org = org_factory(name="Shared AB", groups=[mine, theirs])
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine])
    client = portal(kam)
    for path in ("/organizations/", f"/organizations/{org.pk}/", "/organizations/?columns=groups"):
        page = client.get(path).content.decode()
        assert "North" in page, path
        assert "Secret West" not in page, path
        assert str(theirs.pk) not in page, path
    rest = api_client_for(kam)
    expected = [{"id": str(mine.pk), "name": "North"}]
    assert rest.get(f"/api/v1/organizations/{org.pk}").json()["groups"] == expected
    assert rest.get("/api/v1/organizations/").json()["items"][0]["groups"] == expected
    assert rest.get(f"/api/v1/groups/{mine.pk}/members").json()["items"][0]["groups"] == expected
    # A broker-wide role sees both.
    names = {
        g["name"]
        for g in api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
        .get(f"/api/v1/organizations/{org.pk}")
        .json()["groups"]
    }
    assert names == {"North", "Secret West"}
    assert Organization.objects.get(pk=org.pk).groups.count() == 2


def test_managing_an_administrator_changes_the_role_and_refuses_what_the_role_may_not_grant(
    portal, admin, make_staff, group_factory
):
    group = group_factory(name="North")
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group])
    client = portal(admin)
    form = client.get(f"/administrators/{kam.pk}/edit/").context["form"]
    assert form.initial["staff_role"] == StaffRole.KEY_ACCOUNT_MANAGER
    assert form.initial["groups"] == [str(group.pk)]
    resp = client.post(f"/administrators/{kam.pk}/edit/", {"staff_role": "super_admin", "groups": [str(group.pk)]})
    assert resp.status_code == 422  # a Global Admin is not offered Super Admin
    assert "staff_role" in resp.context["form"].errors
    resp = client.post(
        f"/administrators/{kam.pk}/edit/", {"staff_role": "sales_agent", "groups": [str(group.pk)], "first_name": "K"}
    )
    assert resp.status_code == 302
    kam.refresh_from_db()
    assert (kam.staff_role, kam.first_name) == (StaffRole.SALES_AGENT, "K")


def test_history_writes_dates_and_yes_no_as_the_pages_do(portal, admin, as_actor):
    org = services.create_organization(
        actor=as_actor(admin),
        data={"name": "Hist", "primary_domain": "hist.com", "notification_email": "a@hist.com"},
    )
    services.update_organization(
        actor=as_actor(admin), organization=org, data={"billing_start_date": "03/02/2026", "approval_required": True}
    )
    history = portal(admin).get(f"/organizations/{org.pk}/").content.decode().split('id="history"')[1]
    assert "03/02/2026" in history
    assert "2026-02-03" not in history
    assert "<strong>Approval process</strong>: No → Yes" in history


def test_the_disable_question_is_scoped_and_needs_the_staff_permission(portal, make_staff, other_broker):
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    stranger = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, broker_=other_broker)
    viewer = portal(make_staff(StaffRole.GLOBAL_VIEW_ONLY_ADMIN))
    assert viewer.get(f"/administrators/{kam.pk}/active/?active=0").status_code == 403
    assert viewer.post(f"/administrators/{kam.pk}/active/", {"active": "0"}).status_code == 403
    admin = portal(make_staff(StaffRole.GLOBAL_ADMIN))
    assert admin.get(f"/administrators/{stranger.pk}/active/?active=0").status_code == 404
    assert admin.post(f"/administrators/{stranger.pk}/active/", {"active": "0"}).status_code == 404
    kam.refresh_from_db()
    stranger.refresh_from_db()
    assert kam.is_active
    assert stranger.is_active
