"""Portal pages for organizations and groups: errors shown where the person typed, the grid for
creating many at once, the detail page with its history, domains and group pages."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils.html import escape

from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations import services
from cloudbroker.organizations.models import Organization, OrganizationGroup
from cloudbroker.organizations.validation import ORGANIZATION_FIELDS


@pytest.fixture
def admin(make_staff):
    return make_staff(StaffRole.GLOBAL_ADMIN)


@pytest.fixture
def admin_portal(portal, admin):
    return portal(admin)


def form_data(**fields):
    data = dict.fromkeys(ORGANIZATION_FIELDS, "")
    data.pop("approval_required")  # an unticked checkbox is not sent
    data.update(name="Contoso", primary_domain="contoso.com", notification_email="it@contoso.com")
    data.update(fields)
    return data


def field_errors(resp, field):
    return resp.context["form"].errors.get(field, [])


# --- single create ------------------------------------------------------------------------------


def test_create_form_renders(admin_portal):
    resp = admin_portal.get("/organizations/new/")
    assert resp.status_code == 200
    assert b'name="primary_domain"' in resp.content


@time_machine.travel(dt.datetime(2026, 5, 20, 8, 0, tzinfo=dt.UTC), tick=False)
def test_create_with_good_input_redirects_to_the_new_organization(admin_portal):
    resp = admin_portal.post("/organizations/new/", form_data(primary_domain="Contoso.COM", country="SE"))
    org = Organization.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == f"/organizations/{org.pk}/"
    assert org.primary_domain == "contoso.com"
    assert org.billing_start_date == dt.date(2026, 5, 20)
    assert org.approval_required is False


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Name is mandatory."),
        ("primary_domain", "", "Primary domain is mandatory."),
        ("primary_domain", "http://contoso.com", "Enter the bare domain without http:// or https://"),
        ("primary_domain", "www.contoso.com", "Enter the domain without www."),
        ("primary_domain", "contoso", "This is not a valid domain name"),
        ("notification_email", "nope", "Enter a valid e-mail address."),
        ("contact_email", "nope@", "Enter a valid e-mail address."),
        ("approval_limit", "-5", "The limit cannot be negative."),
        ("approval_limit", "1.555", "Use at most two decimals."),
        ("billing_start_date", "31/02/2026", "Enter the date as DD/MM/YYYY."),
        ("contact_phone", "call me", "Enter a phone number"),
        ("contact_cell_phone", "12", "Enter a phone number"),
        ("country", "XX", "Select a valid choice"),
    ],
)
def test_create_shows_the_message_on_the_bad_field(admin_portal, field, value, message):
    # Given a form with one bad field
    # When it is submitted
    resp = admin_portal.post("/organizations/new/", form_data(**{field: value}))
    # Then the page comes back with the message on that field, and nothing is created
    assert resp.status_code == 422
    errors = field_errors(resp, field)
    assert any(message in e for e in errors), resp.context["form"].errors
    assert set(resp.context["form"].errors) == {field}
    assert escape(message) in resp.content.decode()
    assert not Organization.objects.exists()


def test_create_shows_a_duplicate_domain_on_its_field(admin_portal, org_factory):
    org_factory(primary_domain="contoso.com")
    resp = admin_portal.post("/organizations/new/", form_data(primary_domain="CONTOSO.com"))
    assert resp.status_code == 422
    assert field_errors(resp, "primary_domain") == ["An organization with the domain contoso.com already exists."]


def test_kam_must_choose_one_of_their_groups_on_the_form(portal, make_staff, group_factory):
    mine, theirs = group_factory(name="Mine"), group_factory(name="Theirs")
    client = portal(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine]))
    page = client.get("/organizations/new/").content.decode()
    assert "Mine" in page
    assert "Theirs" not in page
    resp = client.post("/organizations/new/", form_data())
    assert resp.status_code == 422
    assert field_errors(resp, "groups") == ["Choose one of your organization groups for the new organization."]
    resp = client.post("/organizations/new/", form_data(groups=str(theirs.pk)))
    assert resp.status_code == 422
    assert field_errors(resp, "groups")
    resp = client.post("/organizations/new/", form_data(groups=str(mine.pk)))
    assert resp.status_code == 302
    assert list(Organization.objects.get().groups.all()) == [mine]


def test_sales_agent_approval_fields_are_disabled_and_ignored(portal, make_staff, group_factory):
    group = group_factory()
    client = portal(make_staff(StaffRole.SALES_AGENT, groups=[group]))
    resp = client.post(
        "/organizations/new/", form_data(groups=str(group.pk), approval_required="on", approval_limit="100")
    )
    assert resp.status_code == 302
    org = Organization.objects.get()
    assert (org.approval_required, org.approval_limit) == (False, None)


# --- the grid: many at once ---------------------------------------------------------------------


def grid(rows: dict[int, dict], count: int | None = None):
    data = {"row_count": str(count or max(rows))}
    for i, values in rows.items():
        for key, value in values.items():
            data[f"rows-{i}-{key}"] = value
    return data


def good(n):
    return {"name": f"Grid {n}", "primary_domain": f"grid{n}.com", "notification_email": f"it@grid{n}.com"}


def test_grid_get_generates_the_rows_asked_for(admin_portal):
    resp = admin_portal.get("/organizations/new-multiple/", {"rows": 5})
    assert resp.status_code == 200
    assert b'name="rows-5-primary_domain"' in resp.content
    assert b'name="rows-6-primary_domain"' not in resp.content


def test_grid_creates_all_filled_rows_and_skips_empty_ones(admin_portal):
    resp = admin_portal.post(
        "/organizations/new-multiple/",
        grid({1: good(1), 2: {"approval_required": "FALSE"}, 3: {**good(3), "billing_start_date": "01/06/2026"}}),
    )
    assert resp.status_code == 302
    assert sorted(Organization.objects.values_list("name", flat=True)) == ["Grid 1", "Grid 3"]
    assert Organization.objects.get(name="Grid 3").billing_start_date == dt.date(2026, 6, 1)


def test_grid_shows_row_and_field_of_every_error_and_creates_nothing(admin_portal, org_factory):
    org_factory(customer_number="TAKEN")
    # Given a grid whose first row is empty, so the service's row numbers differ from the grid's
    rows = {
        2: {**good(2), "primary_domain": "www.grid2.com"},
        3: good(3),
        4: {**good(4), "customer_number": "TAKEN", "country": "Narnia"},
        5: {**good(5), "primary_domain": "GRID3.com", "approval_required": "maybe"},
    }
    resp = admin_portal.post("/organizations/new-multiple/", grid(rows, count=5))
    assert resp.status_code == 422
    page = resp.content.decode()
    # Then every error reads "Row N, Field: message" with the grid's own row numbers
    for line in [
        "Row 2, Primary domain: Enter the domain without www. (for example contoso.com).",
        "Row 4, Customer number: An organization with the customer number TAKEN already exists.",
        "Row 4, Country: Enter a country as an ISO code (such as SE or GB) or its English name.",
        "Row 5, Approval process: Enter TRUE or FALSE.",
    ]:
        assert escape(line) in page, line
    assert len(resp.context["summary"]) == 5
    assert any(
        line.startswith("Row 5, Primary domain: The domain grid3.com is also on row ")
        for line in resp.context["summary"]
    )
    # And the values typed are kept in the grid
    assert 'value="www.grid2.com"' in page
    # And nothing was created
    assert Organization.objects.count() == 1


def test_grid_duplicate_message_quotes_the_grids_row_number(admin_portal):
    rows = {2: good(2), 3: good(3), 4: {**good(4), "primary_domain": "grid3.com"}}
    resp = admin_portal.post("/organizations/new-multiple/", grid(rows, count=4))
    assert resp.status_code == 422
    assert "Row 4, Primary domain: The domain grid3.com is also on row 3." in resp.context["summary"]


def test_grid_with_no_filled_row_says_so(admin_portal):
    resp = admin_portal.post("/organizations/new-multiple/", grid({1: {}, 2: {}}, count=2), follow=True)
    assert resp.status_code == 422
    assert b"Fill in at least one row." in resp.content


def test_grid_row_groups_for_a_kam(portal, make_staff, group_factory):
    mine = group_factory()
    client = portal(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine]))
    resp = client.post("/organizations/new-multiple/", grid({1: {**good(1), "group": str(mine.pk)}, 2: good(2)}))
    assert resp.status_code == 422
    assert escape("Row 2, Groups: Choose one of your organization groups") in resp.content.decode()
    assert not Organization.objects.exists()
    resp = client.post(
        "/organizations/new-multiple/",
        grid({1: {**good(1), "group": str(mine.pk)}, 2: {**good(2), "group": str(mine.pk)}}),
    )
    assert resp.status_code == 302
    assert Organization.objects.filter(groups=mine).count() == 2


# --- detail, edit, delete, domains ------------------------------------------------------------


def test_detail_page_shows_the_history(admin_portal, admin, as_actor):
    org = services.create_organization(
        actor=as_actor(admin), data={"name": "Hist", "primary_domain": "hist.com", "notification_email": "a@hist.com"}
    )
    services.update_organization(actor=as_actor(admin), organization=org, data={"city": "Lund"})
    resp = admin_portal.get(f"/organizations/{org.pk}/")
    assert resp.status_code == 200
    history = resp.context["history"]
    assert [e.action for e in history] == ["organization.updated", "organization.created"]
    page = resp.content.decode()
    assert "organization.updated" in page
    assert "Lund" in page
    assert admin.email in page


def test_detail_of_another_brokers_organization_is_404(admin_portal, org_factory, other_broker):
    assert admin_portal.get(f"/organizations/{org_factory(broker=other_broker).pk}/").status_code == 404


def test_edit_changes_the_organization_and_shows_errors(admin_portal, org_factory):
    org = org_factory(name="Before", primary_domain="before.com")
    initial = admin_portal.get(f"/organizations/{org.pk}/edit/").context["form"].initial
    data = {k: ("" if v is None else v) for k, v in initial.items() if k != "approval_required" or v}
    resp = admin_portal.post(f"/organizations/{org.pk}/edit/", {**data, "name": "After"})
    assert resp.status_code == 302
    org.refresh_from_db()
    assert org.name == "After"
    event = AuditEvent.objects.get(action="organization.updated")
    assert event.before == {"name": "Before"}
    assert event.after == {"name": "After"}
    resp = admin_portal.post(f"/organizations/{org.pk}/edit/", {**data, "primary_domain": "https://after.com"})
    assert resp.status_code == 422
    assert field_errors(resp, "primary_domain")
    org.refresh_from_db()
    assert org.primary_domain == "before.com"


def test_delete_page_deletes(admin_portal, org_factory):
    org = org_factory()
    assert admin_portal.get(f"/organizations/{org.pk}/delete/").status_code == 200
    resp = admin_portal.post(f"/organizations/{org.pk}/delete/")
    assert resp.status_code == 302
    assert not Organization.objects.filter(pk=org.pk).exists()


def test_domains_are_added_and_removed_from_the_detail_page(admin_portal, org_factory):
    org = org_factory(primary_domain="main.com")
    resp = admin_portal.post(f"/organizations/{org.pk}/domains/", {"domain": "extra.com"}, follow=True)
    assert b"The domain was added." in resp.content
    domain = org.domains.get()
    resp = admin_portal.post(f"/organizations/{org.pk}/domains/", {"domain": "main.com"}, follow=True)
    assert escape("This is already the organization's primary domain.") in resp.content.decode()
    resp = admin_portal.post(f"/organizations/{org.pk}/domains/", {"domain": "www.x.com"}, follow=True)
    assert b"Enter the domain without www." in resp.content
    assert org.domains.count() == 1
    admin_portal.post(f"/organizations/{org.pk}/domains/{domain.pk}/remove/")
    assert not org.domains.exists()


# --- list -----------------------------------------------------------------------------------------


def test_list_searches_and_scopes(portal, make_staff, group_factory, org_factory):
    g = group_factory()
    mine = org_factory(name="Mine AB", groups=[g])
    org_factory(name="Other AB")
    kam = portal(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[g]))
    assert list(kam.get("/organizations/").context["page"]) == [mine]
    admin = portal(make_staff(StaffRole.GLOBAL_ADMIN))
    assert [o.name for o in admin.get("/organizations/", {"q": "other"}).context["page"]] == ["Other AB"]


# --- groups -----------------------------------------------------------------------------------


def test_group_create_refuses_a_duplicate_name(admin_portal, group_factory):
    group_factory(name="Nordics")
    resp = admin_portal.post("/groups/new/", {"name": "nordics"})
    assert resp.status_code == 422
    assert field_errors(resp, "name") == ["A group with this name already exists."]
    resp = admin_portal.post("/groups/new/", {"name": "Baltics"})
    group = OrganizationGroup.objects.get(name="Baltics")
    assert resp["Location"] == f"/groups/{group.pk}/members/"


def test_group_members_page_adds_and_removes(admin_portal, group_factory, org_factory):
    group = group_factory()
    a, b = org_factory(name="Acme"), org_factory(name="Bolt")
    resp = admin_portal.get(f"/groups/{group.pk}/members/", {"q": "acme"})
    assert list(resp.context["candidates"]) == [a]
    admin_portal.post(f"/groups/{group.pk}/members/", {"action": "add", "organizations": [str(a.pk), str(b.pk)]})
    assert set(group.organizations.all()) == {a, b}
    admin_portal.post(f"/groups/{group.pk}/members/", {"action": "remove", "organizations": [str(a.pk)]})
    assert set(group.organizations.all()) == {b}


def test_group_edit_assigns_users_only_of_group_roles(admin_portal, make_staff, group_factory):
    group = group_factory(name="G")
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    other_admin = make_staff(StaffRole.GLOBAL_ADMIN)
    resp = admin_portal.post(f"/groups/{group.pk}/edit/", {"name": "G", "users_submitted": "1", "users": [str(kam.pk)]})
    assert resp.status_code == 302
    assert list(group.users.all()) == [kam]
    resp = admin_portal.post(
        f"/groups/{group.pk}/edit/", {"name": "G", "users_submitted": "1", "users": [str(other_admin.pk)]}
    )
    assert resp.status_code == 422
    assert list(group.users.all()) == [kam]


def test_group_delete_keeps_organizations(admin_portal, group_factory, org_factory):
    group = group_factory()
    org = org_factory(groups=[group])
    assert admin_portal.post(f"/groups/{group.pk}/delete/").status_code == 302
    assert not OrganizationGroup.objects.exists()
    assert Organization.objects.filter(pk=org.pk).exists()
