"""List pages declared with core.views.ObjectListView: sorting, the column chooser, page size,
pagination, export and row actions, on the organization, group and Administrators lists."""

from __future__ import annotations

import csv
import io

import pytest
from python_calamine import CalamineWorkbook

from cloudbroker.core.permissions import StaffRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_staff):
    return make_staff(StaffRole.GLOBAL_ADMIN)


@pytest.fixture
def client(portal, admin):
    return portal(admin)


def names(resp) -> list[str]:
    return [o.name for o in resp.context["page"]]


def headers(resp) -> list[str]:
    return [str(c.header) for c in resp.context["table"].columns]


def test_organizations_sort_by_each_column_both_ways(client, org_factory):
    org_factory(name="Bolt", primary_domain="a.com", customer_number="C-3")
    org_factory(name="Acme", primary_domain="c.com", customer_number="C-1")
    org_factory(name="Cyan", primary_domain="b.com", customer_number="C-2")
    assert names(client.get("/organizations/")) == ["Acme", "Bolt", "Cyan"]
    assert names(client.get("/organizations/?sort=-name")) == ["Cyan", "Bolt", "Acme"]
    assert names(client.get("/organizations/?sort=primary_domain")) == ["Bolt", "Cyan", "Acme"]
    assert names(client.get("/organizations/?sort=-customer_number")) == ["Bolt", "Cyan", "Acme"]
    assert names(client.get("/organizations/?sort=-created")) == ["Cyan", "Acme", "Bolt"]
    # An unknown or unsortable column falls back to the name.
    assert names(client.get("/organizations/?sort=groups")) == ["Acme", "Bolt", "Cyan"]
    assert names(client.get("/organizations/?sort=nonsense")) == ["Acme", "Bolt", "Cyan"]
    page = client.get("/organizations/?sort=name&q=a").content.decode()
    # The heading links keep the search and reverse the current order.
    assert 'href="?sort=-name&amp;q=a"' in page


def test_organizations_filter_by_group_and_ignore_a_foreign_or_broken_group(
    client, org_factory, group_factory, other_broker
):
    group = group_factory()
    org_factory(name="In", groups=[group])
    org_factory(name="Out")
    foreign = group_factory(broker=other_broker)
    assert names(client.get("/organizations/", {"group": str(group.pk)})) == ["In"]
    for value in (str(foreign.pk), "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        resp = client.get("/organizations/", {"group": value})
        assert resp.status_code == 200
        assert names(resp) == ["In", "Out"]


def test_the_column_chooser_shows_the_chosen_columns_and_remembers_them(client, org_factory):
    org_factory(name="Acme", city="Lund", primary_domain="acme.se")
    resp = client.get("/organizations/")
    assert headers(resp) == ["Name", "Primary domain", "Customer number", "Created", "Groups", "Country", "Actions"]
    resp = client.get("/organizations/", {"columns": ["city", "primary_domain"]})
    assert headers(resp) == ["Name", "Primary domain", "City", "Actions"]
    assert "Lund" in resp.content.decode()
    # Remembered for the next visit, until reset.
    assert headers(client.get("/organizations/")) == ["Name", "Primary domain", "City", "Actions"]
    # The name cannot be hidden; unknown names are ignored; choosing none means the default.
    assert headers(client.get("/organizations/", {"columns": ["name", "bogus"]}))[1] == "Primary domain"
    resp = client.get("/organizations/", {"columns_reset": "1"})
    assert headers(resp)[:3] == ["Name", "Primary domain", "Customer number"]


def test_page_size_is_chosen_remembered_and_bounded(client, group_factory):
    for i in range(30):
        group_factory(name=f"G{i:02}")
    assert len(client.get("/groups/").context["page"]) == 30
    resp = client.get("/groups/", {"per_page": "25"})
    assert len(resp.context["page"]) == 25
    assert resp.context["page"].paginator.count == 30
    assert len(client.get("/groups/").context["page"]) == 25  # remembered
    assert len(client.get("/groups/", {"per_page": "7"}).context["page"]) == 25  # not an offered size
    assert len(client.get("/groups/", {"per_page": "abc"}).context["page"]) == 25
    # Page numbers that are no number, or past the end, are answered with the first or last page.
    assert [g.name for g in client.get("/groups/", {"page": "2"}).context["page"]] == [f"G{i}" for i in range(25, 30)]
    assert client.get("/groups/", {"page": "99"}).context["page"].number == 2
    assert client.get("/groups/", {"page": "x"}).context["page"].number == 1


def test_an_empty_list_says_so(client, group_factory):
    assert "No groups." in client.get("/groups/").content.decode()
    group_factory(name="Nordics")
    assert "No groups match." in client.get("/groups/", {"q": "zzz"}).content.decode()
    assert "No organizations yet." in client.get("/organizations/").content.decode()
    assert "No organization matches." in client.get("/organizations/", {"q": "zzz"}).content.decode()


def test_group_list_exports_the_shown_columns_of_the_filtered_list(client, group_factory, org_factory):
    nordics = group_factory(name="Nordics", description="North")
    group_factory(name="Baltics")
    org_factory(groups=[nordics])
    org_factory(groups=[nordics])
    resp = client.get("/groups/", {"q": "nord", "export": "csv"})
    assert resp.status_code == 200
    assert resp["Content-Type"] == "text/csv; charset=utf-8"
    assert resp["Content-Disposition"] == 'attachment; filename="organization-groups.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))
    assert rows == [["Name", "Description", "Organizations", "Assigned users"], ["Nordics", "North", "2", "0"]]
    resp = client.get("/groups/", {"columns": ["member_count"], "export": "xlsx"})
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(resp.content)).get_sheet_by_index(0).to_python()
    assert sheet == [["Name", "Organizations"], ["Baltics", 0], ["Nordics", 2]]
    assert client.get("/groups/", {"export": "pdf"}).status_code == 404


def test_organization_export_links_keep_the_search_group_and_sort(client, group_factory):
    group = group_factory()
    page = client.get("/organizations/", {"q": "acme", "group": str(group.pk), "sort": "-name"}).content.decode()
    assert f'href="/organizations/export.csv?q=acme&amp;group={group.pk}&amp;sort=-name"' in page
    assert f'href="/organizations/export.xlsx?q=acme&amp;group={group.pk}&amp;sort=-name"' in page


def test_row_actions_follow_the_permissions(portal, make_staff, group_factory, org_factory):
    group = group_factory()
    org = org_factory(groups=[group])
    full = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get("/organizations/").content.decode()
    assert f'href="/organizations/{org.pk}/edit/"' in full
    assert f'href="/organizations/{org.pk}/delete/"' in full
    limited = portal(make_staff(StaffRole.LIMITED_KEY_ACCOUNT_MANAGER, groups=[group])).get("/organizations/")
    assert f'href="/organizations/{org.pk}/edit/"' in limited.content.decode()
    assert f'href="/organizations/{org.pk}/delete/"' not in limited.content.decode()
    viewer = portal(make_staff(StaffRole.GLOBAL_VIEW_ONLY_ADMIN))
    page = viewer.get("/organizations/").content.decode()
    assert f"/organizations/{org.pk}/edit/" not in page
    assert "New organization" not in page
    groups = viewer.get("/groups/").content.decode()
    assert f'href="/groups/{group.pk}/members/"' in groups
    assert f"/groups/{group.pk}/edit/" not in groups
    staff = viewer.get("/administrators/").content.decode()
    assert "/edit/" not in staff
    assert "/active/" not in staff


def test_delete_asks_first_and_cancel_leads_back(client, group_factory, org_factory):
    group = group_factory(name="Nordics")
    resp = client.get(f"/groups/{group.pk}/delete/")
    page = resp.content.decode()
    assert "Delete organization group “Nordics”?" in page
    assert 'href="/groups/"' in page
    org = org_factory(name="Acme")
    page = client.get(f"/organizations/{org.pk}/delete/").content.decode()
    assert "Delete organization “Acme”?" in page
    assert f'href="/organizations/{org.pk}/"' in page
    assert "60 days" in page


def test_staff_list_searches_filters_by_role_and_marks_disabled_accounts(client, make_staff):
    make_staff(StaffRole.KEY_ACCOUNT_MANAGER, email="kim@staff.test", first_name="Kim")
    make_staff(StaffRole.SALES_AGENT, email="sam@staff.test", is_active=False)
    assert [u.email for u in client.get("/administrators/", {"q": "kim"}).context["page"]] == ["kim@staff.test"]
    resp = client.get("/administrators/", {"role": "sales_agent"})
    assert [u.email for u in resp.context["page"]] == ["sam@staff.test"]
    assert '<tr class="disabled odd">' in resp.content.decode()
    # An unknown role is ignored, not an error.
    assert client.get("/administrators/", {"role": "emperor"}).context["page"].paginator.count == 3


def test_staff_list_exports_groups_by_name(client, make_staff, group_factory):
    group = group_factory(name="North")
    make_staff(StaffRole.KEY_ACCOUNT_MANAGER, email="kim@staff.test", first_name="Kim", last_name="M", groups=[group])
    resp = client.get("/administrators/", {"q": "kim", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["E-mail", "Name", "Role", "Organization groups", "Status"],
        ["kim@staff.test", "Kim M", "Key Account Manager", "North", "active"],
    ]
