"""The portal in a real browser: the flows of seeds 000 (§2, §3, §6) and 003, end to end."""

from __future__ import annotations

import pytest

from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations.models import Organization

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_one_organization_with_more_fields(login, make_staff, group_factory):
    group_factory(name="North")
    page = login(make_staff(StaffRole.SUPER_ADMIN))
    page.click("text=Organizations")
    page.click("text=New organization")
    page.fill("#id_name", "Contoso Ltd")
    page.fill("#id_primary_domain", "www.contoso.com")
    page.fill("#id_notification_email", "it@contoso.com")
    page.click("summary:has-text('More')")
    page.fill("#id_city", "Malmö")
    page.select_option("#id_country", "SE")
    page.check("text=North")
    page.click("button:has-text('Create')")
    # The bad domain is explained on its field and nothing is created.
    assert "without www." in page.inner_text(".field.has-error")
    assert not Organization.objects.exists()
    page.fill("#id_primary_domain", "contoso.com")
    page.click("button:has-text('Create')")
    page.wait_for_selector("text=Organization Contoso Ltd was created.")
    org = Organization.objects.get()
    assert (org.city, org.country.code, [g.name for g in org.groups.all()]) == ("Malmö", "SE", ["North"])
    # The detail page shows the history of the change.
    assert "organization.created" in page.inner_text("#history")


def test_create_multiple_organizations_all_or_none(login, make_staff):
    page = login(make_staff(StaffRole.GLOBAL_ADMIN))
    page.goto("/organizations/new-multiple/")
    page.select_option("#row-count", "2")
    page.click("text=Generate rows")
    page.fill("[aria-label='Row 1 Name']", "Alpha AB")
    page.fill("[aria-label='Row 1 Primary domain']", "alpha.se")
    page.fill("[aria-label='Row 1 Notification email']", "it@alpha.se")
    page.fill("[aria-label='Row 2 Name']", "Beta AB")
    page.fill("[aria-label='Row 2 Primary domain']", "beta.se")
    page.fill("[aria-label='Row 2 Notification email']", "not-an-email")
    page.click("text=Create/Import organizations")
    assert "Row 2, Notification email: Enter a valid e-mail address." in page.inner_text("[role=alert]")
    assert Organization.objects.count() == 0
    page.fill("[aria-label='Row 2 Notification email']", "it@beta.se")
    page.click("text=Create/Import organizations")
    page.wait_for_selector("text=2 organizations were created.")
    assert sorted(Organization.objects.values_list("name", flat=True)) == ["Alpha AB", "Beta AB"]


def test_key_account_manager_sees_and_creates_only_in_own_group(login, make_staff, group_factory, org_factory):
    mine, theirs = group_factory(name="North"), group_factory(name="West")
    org_factory(name="Visible Oy", groups=[mine])
    org_factory(name="Hidden Ltd", groups=[theirs])
    page = login(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine]))
    page.goto("/organizations/")
    listing = page.inner_text("#organizations")
    assert "Visible Oy" in listing
    assert "Hidden Ltd" not in listing
    page.click("text=New organization")
    options = page.locator("#id_groups option").all_inner_texts()
    assert options == ["— choose one of your groups —", "North"]
    page.fill("#id_name", "New Customer AS")
    page.fill("#id_primary_domain", "newcustomer.no")
    page.fill("#id_notification_email", "it@newcustomer.no")
    page.click("button:has-text('Create')")
    assert "Choose one of your organization groups" in page.inner_text("body")
    page.select_option("#id_groups", label="North")
    page.click("button:has-text('Create')")
    page.wait_for_selector("text=Organization New Customer AS was created.")
    assert [g.name for g in Organization.objects.get(name="New Customer AS").groups.all()] == ["North"]


def test_group_members_and_assignment_change_what_a_manager_sees(login, make_staff, group_factory, org_factory):
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, email="kim@staff.test")
    org_factory(name="Fabrikam AB", primary_domain="fabrikam.se")
    page = login(make_staff(StaffRole.SUPER_ADMIN))
    page.goto("/groups/")
    page.click("text=New group")
    page.fill("#id_name", "Nordics")
    page.click("button:has-text('Create')")
    page.wait_for_selector("text=Now choose its members.")
    page.fill("input[name=q]", "fabrikam")
    page.press("input[name=q]", "Enter")
    page.check("#candidates input[type=checkbox]")
    page.click("text=Update: add selected")
    page.wait_for_selector("text=1 organizations were added to Nordics.")
    assert "Fabrikam AB" in page.inner_text("#members")
    page.goto("/groups/")
    page.click("#groups >> text=Edit")
    page.check("text=kim@staff.test")
    page.click("button:has-text('Update')")
    page.wait_for_selector("text=The group was updated.")
    assert list(kam.assigned_groups.values_list("name", flat=True)) == ["Nordics"]
    assert AuditEvent.objects.filter(action="group.member_added").count() == 1


def test_list_page_menus_confirmation_columns_and_page_size(login, make_staff, org_factory):
    kim = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, email="kim@staff.test")
    for i in range(30):
        org_factory(name=f"Org {i:02}", city="Lund")
    page = login(make_staff(StaffRole.GLOBAL_ADMIN))
    page.goto("/administrators/")
    page.click("#staff tr:has-text('kim@staff.test') summary")
    page.click("#staff >> text=Disable")
    page.wait_for_selector("text=Disable kim@staff.test?")
    kim.refresh_from_db()
    assert kim.is_active  # nothing happens until confirmed
    page.click("button:has-text('Disable')")
    page.wait_for_selector("text=kim@staff.test was disabled.")
    kim.refresh_from_db()
    assert not kim.is_active
    page.goto("/organizations/")
    page.click("summary:has-text('Columns')")
    page.check("input[name=columns][value=city]")
    page.click("button:has-text('Show')")
    page.wait_for_selector("#organizations th:has-text('City')")
    page.select_option("#per-page", "25")  # submits by itself
    page.wait_for_url("**per_page=25**")
    assert page.locator("#organizations tbody tr").count() == 25
    page.click("#organizations th >> text=Name")
    page.wait_for_url("**sort=-name**")
    assert page.locator("#organizations tbody tr").first.inner_text().startswith("Org 29")
