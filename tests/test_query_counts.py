"""The organization list costs the same number of queries for 3 rows as for 50 (no N+1),
for a broker-wide role and for a group-scoped role, in the API and on the portal page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbroker.core.permissions import StaffRole

# Pinned counts. If a change moves one of these, look at the queries (pytest -vv prints them)
# and pin the new number only when every query is deliberate.
API_QUERIES = {
    # token lookup, count, page, groups prefetch
    StaffRole.GLOBAL_ADMIN: 4,
    # + the account manager's assigned groups
    StaffRole.KEY_ACCOUNT_MANAGER: 5,
}
PAGE_QUERIES = {
    # session, user, groups for the filter, count, page, groups prefetch
    StaffRole.GLOBAL_ADMIN: 6,
    StaffRole.KEY_ACCOUNT_MANAGER: 7,
}


def _fill(org_factory, group, n):
    for _ in range(n):
        org_factory(groups=[group])


def _count(fn) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(API_QUERIES), ids=lambda r: r.value)
def test_api_list_query_count_is_constant(role, api_client_for, make_staff, org_factory, group_factory):
    group = group_factory()
    user = make_staff(role, groups=[group] if role == StaffRole.KEY_ACCOUNT_MANAGER else ())
    client = api_client_for(user)
    client.get("/api/v1/organizations/")  # first use stamps the token's last-used time
    _fill(org_factory, group, 3)
    small, _ = _count(lambda: client.get("/api/v1/organizations/"))
    _fill(org_factory, group, 47)
    large, sql = _count(lambda: client.get("/api/v1/organizations/"))
    assert len(client.get("/api/v1/organizations/").json()["items"]) == 50
    assert small == large == API_QUERIES[role], "\n".join(sql)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(PAGE_QUERIES), ids=lambda r: r.value)
def test_page_list_query_count_is_constant(role, portal, make_staff, org_factory, group_factory):
    group = group_factory()
    user = make_staff(role, groups=[group] if role == StaffRole.KEY_ACCOUNT_MANAGER else ())
    client = portal(user)
    _fill(org_factory, group, 3)
    client.get("/organizations/")  # first use notes in the session that no second factor applies
    small, _ = _count(lambda: client.get("/organizations/"))
    _fill(org_factory, group, 47)
    large, sql = _count(lambda: client.get("/organizations/"))
    page = client.get("/organizations/").content.decode()
    assert len(set(re.findall(r'href="/organizations/([0-9a-f-]{36})/"', page))) == 50  # one link per row
    assert small == large == PAGE_QUERIES[role], "\n".join(sql)


# The other list pages declared with core.views.ObjectListView: session, user, count, page, plus
# the staff users' groups prefetch; the same for 3 rows as for 30.
LIST_PAGE_QUERIES = {"/groups/": 4, "/administrators/": 5}


@pytest.mark.django_db
@pytest.mark.parametrize("path", list(LIST_PAGE_QUERIES))
def test_other_list_pages_query_count_is_constant(path, portal, make_staff, org_factory, group_factory):
    client = portal(make_staff(StaffRole.GLOBAL_ADMIN))

    def fill(n):
        for _ in range(n):
            group = group_factory()
            org_factory(groups=[group])
            make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group])

    fill(3)
    client.get(path)  # first use notes in the session that no second factor applies
    small, _ = _count(lambda: client.get(path))
    fill(27)
    large, sql = _count(lambda: client.get(path))
    assert len(client.get(path).context["page"]) >= 30
    assert small == large == LIST_PAGE_QUERIES[path], "\n".join(sql)
