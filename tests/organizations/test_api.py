"""The organization and group API as a script sees it: JSON bodies, error shapes, listing
(pagination, search, filter, sort), request ids in the audit trail and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine

from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations.models import Organization, OrganizationDomain, OrganizationGroup

ORGS = "/api/v1/organizations/"
GROUPS = "/api/v1/groups/"


def body(n: int = 1, **fields):
    return {
        "name": f"Customer {n}",
        "primary_domain": f"customer{n}.com",
        "notification_email": f"it@c{n}.com",
        **fields,
    }


@pytest.fixture
def admin(make_staff):
    return make_staff(StaffRole.GLOBAL_ADMIN)


@pytest.fixture
def admin_api(api_client_for, admin):
    return api_client_for(admin)


def assert_validation_body(resp, field):
    assert resp.status_code == 422, resp.content
    data = resp.json()
    assert data["code"] == "validation_failed"
    assert data["message"]
    assert data["field"] == field
    assert data["errors"]
    for err in data["errors"]:
        assert set(err) >= {"field", "message", "code"}
    assert field in [e["field"] for e in data["errors"]]
    return data


# --- create -----------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 4, 2, 9, 30, tzinfo=dt.UTC), tick=False)
def test_create_returns_201_with_the_cleaned_organization(admin_api):
    resp = admin_api.post(ORGS, body(primary_domain="Bücher.DE", country="se", approval_limit="100.5"))
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["primary_domain"] == "xn--bcher-kva.de"
    assert data["country"] == "SE"
    assert data["approval_limit"] == "100.50"  # a string with two decimals, never a float
    assert data["billing_start_date"] == "2026-04-02"
    assert data["groups"] == []
    assert Organization.objects.get(pk=data["id"]).approval_limit == Decimal("100.50")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("primary_domain", "http://x.com"),
        ("primary_domain", "www.x.com"),
        ("primary_domain", "x.com/path"),
        ("primary_domain", "localhost"),
        ("notification_email", "nope"),
        ("contact_email", "nope@"),
        ("country", "Narnia"),
        ("billing_start_date", "31/02/2026"),
        ("approval_limit", "-1"),
        ("approval_limit", "1.234"),
        ("contact_phone", "abc"),
        ("postal_code", "1" * 21),
        ("approval_limit", "12,000,5x"),
        ("approval_required", "garbage"),
    ],
)
def test_create_with_a_bad_field_answers_422_naming_the_field(admin_api, field, value):
    resp = admin_api.post(ORGS, body(**{field: value}))
    data = assert_validation_body(resp, field)
    assert [e["field"] for e in data["errors"]] == [field]
    assert "row" not in data["errors"][0]
    assert not Organization.objects.exists()


@pytest.mark.parametrize("field", ["name", "primary_domain", "notification_email"])
def test_create_without_a_mandatory_field_answers_422(admin_api, field):
    payload = body()
    del payload[field]
    assert_validation_body(admin_api.post(ORGS, payload), field)


def test_create_refuses_a_duplicate_domain_case_insensitively(admin_api, org_factory):
    org_factory(primary_domain="contoso.com")
    data = assert_validation_body(admin_api.post(ORGS, body(primary_domain="CONTOSO.com")), "primary_domain")
    assert data["errors"][0]["code"] == "unique"


def test_kam_must_give_exactly_one_of_their_groups(api_client_for, make_staff, group_factory):
    mine, theirs = group_factory(), group_factory()
    kam = api_client_for(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine]))
    assert_validation_body(kam.post(ORGS, body()), "groups")
    assert_validation_body(kam.post(ORGS, body(groups=[str(theirs.pk)])), "groups")
    resp = kam.post(ORGS, body(groups=[str(mine.pk)]))
    assert resp.status_code == 201, resp.content
    assert [g["id"] for g in resp.json()["groups"]] == [str(mine.pk)]


def test_sales_agent_cannot_set_approval_settings(api_client_for, make_staff, group_factory):
    group = group_factory()
    agent = api_client_for(make_staff(StaffRole.SALES_AGENT, groups=[group]))
    resp = agent.post(ORGS, body(approval_required=True, groups=[str(group.pk)]))
    data = assert_validation_body(resp, "approval_required")
    assert data["errors"][0]["code"] == "permission_denied"


# --- bulk -------------------------------------------------------------------------------------


def test_bulk_creates_all_rows(admin_api, group_factory):
    g = group_factory()
    resp = admin_api.post(ORGS + "bulk", {"organizations": [body(1), body(2, groups=[str(g.pk)])]})
    assert resp.status_code == 201, resp.content
    assert sorted(o["name"] for o in resp.json()) == ["Customer 1", "Customer 2"]
    assert Organization.objects.count() == 2
    assert list(Organization.objects.get(name="Customer 2").groups.all()) == [g]


def test_bulk_names_the_row_of_every_error_and_creates_nothing(admin_api, org_factory):
    org_factory(customer_number="TAKEN")
    rows = [
        body(1),
        body(2, primary_domain="www.customer2.com"),
        body(3, customer_number="TAKEN", notification_email="x"),
        body(4, primary_domain="CUSTOMER1.com"),
    ]
    resp = admin_api.post(ORGS + "bulk", {"organizations": rows})
    data = assert_validation_body(resp, "primary_domain")
    assert sorted((e["row"], e["field"], e["code"]) for e in data["errors"]) == [
        (2, "primary_domain", "invalid"),
        (3, "customer_number", "unique"),
        (3, "notification_email", "invalid"),
        (4, "primary_domain", "duplicate_in_batch"),
    ]
    assert Organization.objects.count() == 1


def test_bulk_schema_errors_name_the_row_index(admin_api):
    resp = admin_api.post(ORGS + "bulk", {"organizations": [body(1), {"name": "No domain"}]})
    assert resp.status_code == 422
    fields = [e["field"] for e in resp.json()["errors"]]
    assert "organizations.1.primary_domain" in fields
    assert not Organization.objects.exists()


def test_bulk_refuses_an_empty_list(admin_api):
    resp = admin_api.post(ORGS + "bulk", {"organizations": []})
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_failed"


# --- read, update, delete -------------------------------------------------------------------------


def test_get_update_and_delete(admin_api, org_factory):
    org = org_factory(name="Before", city="Lund")
    url = f"{ORGS}{org.pk}"
    assert admin_api.get(url).json()["name"] == "Before"
    resp = admin_api.patch(url, {"name": "After"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["name"] == "After"
    assert resp.json()["city"] == "Lund"
    resp = admin_api.patch(url, {"primary_domain": "https://x.com"})
    assert_validation_body(resp, "primary_domain")
    assert admin_api.delete(url).status_code == 204
    assert not Organization.objects.filter(pk=org.pk).exists()
    assert admin_api.get(url).status_code == 404


def test_limited_kam_changing_approval_gets_403(api_client_for, make_staff, group_factory, org_factory):
    group = group_factory()
    org = org_factory(groups=[group])
    client = api_client_for(make_staff(StaffRole.LIMITED_KEY_ACCOUNT_MANAGER, groups=[group]))
    resp = client.patch(f"{ORGS}{org.pk}", {"approval_required": True})
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"
    org.refresh_from_db()
    assert org.approval_required is False


@pytest.mark.parametrize(
    "path",
    [
        ORGS + "{id}",
        ORGS + "{id}/history",
        ORGS + "{id}/domains",
        GROUPS + "{id}",
        GROUPS + "{id}/members",
    ],
)
def test_unknown_ids_answer_404_json(admin_api, path):
    resp = admin_api.get(path.format(id=uuid.uuid4()))
    assert resp.status_code == 404
    assert resp.json() == {"code": "not_found", "message": "Not found.", "field": None}


def test_another_brokers_organization_is_404(admin_api, org_factory, other_broker):
    org = org_factory(broker=other_broker)
    assert admin_api.get(f"{ORGS}{org.pk}").status_code == 404
    assert admin_api.patch(f"{ORGS}{org.pk}", {"name": "x"}).status_code == 404
    assert admin_api.delete(f"{ORGS}{org.pk}").status_code == 404
    assert Organization.objects.get(pk=org.pk).name != "x"


def test_malformed_id_is_422_not_500(admin_api):
    resp = admin_api.get(ORGS + "not-a-uuid")
    assert resp.status_code == 422
    assert resp.json()["field"] == "organization_id"


def test_domains_add_list_and_remove(admin_api, org_factory):
    org = org_factory(primary_domain="main.com")
    url = f"{ORGS}{org.pk}/domains"
    resp = admin_api.post(url, {"domain": "Extra.com"})
    assert resp.status_code == 201, resp.content
    domain_id = resp.json()["id"]
    assert [d["domain"] for d in admin_api.get(url).json()] == ["extra.com"]
    for bad in ("extra.com", "main.com", "www.other.com"):
        assert_validation_body(admin_api.post(url, {"domain": bad}), "domain")
    assert admin_api.delete(f"{url}/{domain_id}").status_code == 204
    assert not OrganizationDomain.objects.exists()
    assert admin_api.delete(f"{url}/{domain_id}").status_code == 404


# --- listing ------------------------------------------------------------------------------------


def test_pagination_gives_items_and_count(admin_api, org_factory):
    for i in range(55):
        org_factory(name=f"Org {i:03d}")
    first = admin_api.get(ORGS).json()
    assert first["count"] == 55
    assert len(first["items"]) == 50
    second = admin_api.get(ORGS, page=2).json()
    assert second["count"] == 55
    assert [o["name"] for o in second["items"]] == [f"Org {i:03d}" for i in range(50, 55)]
    small = admin_api.get(ORGS, page=3, page_size=10).json()
    assert [o["name"] for o in small["items"]] == [f"Org {i:03d}" for i in range(20, 30)]


@pytest.mark.parametrize("params", [{"page": 0}, {"page": "x"}, {"page_size": 0}, {"page_size": 100000}])
def test_bad_pagination_is_422(admin_api, params):
    assert admin_api.get(ORGS, **params).status_code == 422


def test_search_by_name_domain_and_customer_number(admin_api, org_factory):
    a = org_factory(name="Alpha Industries", primary_domain="alpha.com", customer_number="K-1")
    b = org_factory(name="Beta", primary_domain="beta-shop.se", customer_number="K-2")
    org_factory(name="Gamma", primary_domain="gamma.com", customer_number="Z-9")

    def ids(q):
        return {o["id"] for o in admin_api.get(ORGS, q=q).json()["items"]}

    assert ids("alpha ind") == {str(a.pk)}
    assert ids("BETA-SHOP") == {str(b.pk)}
    assert ids("k-") == {str(a.pk), str(b.pk)}
    assert ids("nothing") == set()


def test_filter_by_group(admin_api, org_factory, group_factory):
    g = group_factory()
    inside = org_factory(groups=[g])
    org_factory()
    data = admin_api.get(ORGS, group=str(g.pk)).json()
    assert [o["id"] for o in data["items"]] == [str(inside.pk)]
    assert data["items"][0]["groups"] == [{"id": str(g.pk), "name": g.name}]


def test_group_of_another_broker_filters_to_nothing(admin_api, org_factory, other_broker):
    from tests.factories import GroupFactory

    foreign = GroupFactory(broker=other_broker)
    org_factory()
    assert admin_api.get(ORGS, group=str(foreign.pk)).json()["count"] == 0


def test_sort_keys(admin_api, org_factory):
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
        b = org_factory(name="Bravo", customer_number="3", primary_domain="a.com")
    with time_machine.travel(dt.datetime(2026, 1, 2, tzinfo=dt.UTC), tick=False):
        a = org_factory(name="alpha", customer_number="2", primary_domain="c.com")
    with time_machine.travel(dt.datetime(2026, 1, 3, tzinfo=dt.UTC), tick=False):
        c = org_factory(name="Charlie", customer_number="1", primary_domain="b.com")

    def order(sort):
        return [o["id"] for o in admin_api.get(ORGS, sort=sort).json()["items"]]

    def ids(*orgs):
        return [str(o.pk) for o in orgs]

    assert order("created") == ids(b, a, c)
    assert order("-created") == ids(c, a, b)
    assert order("customer_number") == ids(c, a, b)
    assert order("-customer_number") == ids(b, a, c)
    assert order("primary_domain") == ids(b, c, a)
    assert order("-primary_domain") == ids(a, c, b)
    assert set(order("name")) == set(ids(a, b, c))
    assert order("-name") == list(reversed(order("name")))


@pytest.mark.parametrize("sort", ["bogus", "name;drop", "id", "-"])
def test_invalid_sort_is_422(admin_api, sort):
    resp = admin_api.get(ORGS, sort=sort)
    assert resp.status_code == 422
    data = resp.json()
    assert data["code"] == "validation_failed"
    assert data["field"] == "sort"


def test_kam_token_lists_only_the_kams_organizations(api_client_for, make_staff, group_factory, org_factory):
    g = group_factory()
    mine = org_factory(groups=[g])
    other = org_factory()
    client = api_client_for(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[g]))
    assert [o["id"] for o in client.get(ORGS).json()["items"]] == [str(mine.pk)]
    assert client.get(f"{ORGS}{other.pk}").status_code == 404


# --- audit and request ids --------------------------------------------------------------------


def test_request_id_is_echoed_and_stored_on_the_event(admin_api):
    admin_api.headers["X-Request-ID"] = "trace-abc.123"
    resp = admin_api.post(ORGS, body())
    assert resp.status_code == 201
    assert resp["X-Request-ID"] == "trace-abc.123"
    event = AuditEvent.objects.get(action="organization.created")
    assert event.request_id == "trace-abc.123"


def test_a_request_id_is_made_when_none_or_an_unsafe_one_is_given(admin_api):
    admin_api.headers["X-Request-ID"] = "bad id with spaces"
    resp = admin_api.post(ORGS, body())
    rid = resp["X-Request-ID"]
    assert rid
    assert rid != "bad id with spaces"
    assert AuditEvent.objects.get(action="organization.created").request_id == rid


def test_history_lists_the_organizations_events(admin_api, org_factory):
    created = admin_api.post(ORGS, body()).json()
    admin_api.patch(f"{ORGS}{created['id']}", {"city": "Lund"})
    org_factory()  # another organization's events do not show
    history = admin_api.get(f"{ORGS}{created['id']}/history").json()
    assert history["count"] == 2
    actions = [e["action"] for e in history["items"]]
    assert actions == ["organization.updated", "organization.created"]
    assert history["items"][0]["after"] == {"city": "Lund"}
    assert history["items"][0]["actor"].endswith("(API token)")


# --- groups -------------------------------------------------------------------------------------


def test_group_crud_members_and_users(admin_api, make_staff, org_factory, other_broker):
    resp = admin_api.post(GROUPS, {"name": "Nordics"})
    assert resp.status_code == 201, resp.content
    gid = resp.json()["id"]
    assert_validation_body(admin_api.post(GROUPS, {"name": "NORDICS"}), "name")
    assert admin_api.patch(f"{GROUPS}{gid}", {"description": "North"}).json()["description"] == "North"
    a, b = org_factory(), org_factory()
    resp = admin_api.post(f"{GROUPS}{gid}/members", {"organizations": [str(a.pk), str(b.pk)]})
    assert resp.json()["member_count"] == 2
    resp = admin_api.post(f"{GROUPS}{gid}/members", {"organizations": [str(a.pk)], "mode": "remove"})
    assert resp.json()["member_count"] == 1
    foreign = org_factory(broker=other_broker)
    assert_validation_body(
        admin_api.post(f"{GROUPS}{gid}/members", {"organizations": [str(foreign.pk)], "mode": "set"}), "organizations"
    )
    members = admin_api.get(f"{GROUPS}{gid}/members").json()
    assert [o["id"] for o in members["items"]] == [str(b.pk)]
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    assert admin_api.put(f"{GROUPS}{gid}/users", {"users": [str(kam.pk)]}).status_code == 200
    admin = make_staff(StaffRole.GLOBAL_ADMIN)
    assert_validation_body(admin_api.put(f"{GROUPS}{gid}/users", {"users": [str(admin.pk)]}), "users")
    assert admin_api.delete(f"{GROUPS}{gid}").status_code == 204
    assert Organization.objects.filter(pk=b.pk).exists()


def test_unauthenticated_and_bad_token_are_401(api_client_for, db):
    anonymous = api_client_for()
    assert anonymous.get(ORGS).status_code == 401
    anonymous.headers["Authorization"] = "Bearer cb_not-a-real-token"
    resp = anonymous.get(ORGS)
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


# --- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_document_is_3_1_and_lists_the_routes(api_client_for):
    resp = api_client_for().get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    for path, method in [
        ("/api/v1/organizations/", "get"),
        ("/api/v1/organizations/", "post"),
        ("/api/v1/organizations/bulk", "post"),
        ("/api/v1/organizations/{organization_id}", "patch"),
        ("/api/v1/organizations/{organization_id}", "delete"),
        ("/api/v1/organizations/{organization_id}/history", "get"),
        ("/api/v1/organizations/{organization_id}/domains", "post"),
        ("/api/v1/groups/", "post"),
        ("/api/v1/groups/{group_id}/members", "post"),
        ("/api/v1/groups/{group_id}/users", "put"),
        ("/api/v1/staff/", "post"),
        ("/api/v1/tokens/", "post"),
        ("/api/v1/broker/", "patch"),
    ]:
        assert method in paths.get(path, {}), (path, method)
    sort_param = next(p for p in paths["/api/v1/organizations/"]["get"]["parameters"] if p["name"] == "sort")
    assert "-created" in str(sort_param["schema"])


def test_history_api_shows_only_the_groups_the_caller_may_see(api_client_for, make_staff, group_factory, as_actor):
    from cloudbroker.organizations import services

    admin = make_staff(StaffRole.GLOBAL_ADMIN)
    mine, theirs = group_factory(name="North"), group_factory(name="Secret West")
    org = services.create_organization(
        actor=as_actor(admin),
        data={"name": "Hist", "primary_domain": "hist.com", "notification_email": "a@hist.com"},
        group_ids=[mine.pk, theirs.pk],
    )
    services.add_group_members(actor=as_actor(admin), group=theirs, organization_ids=[org.pk])  # already in: no event
    services.remove_group_members(actor=as_actor(admin), group=theirs, organization_ids=[org.pk])
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine])
    body = api_client_for(kam).get(f"/api/v1/organizations/{org.pk}/history").content.decode()
    assert str(mine.pk) in body
    assert str(theirs.pk) not in body
    assert "Secret West" not in body
    full = api_client_for(admin).get(f"/api/v1/organizations/{org.pk}/history").json()["items"]
    assert {e["action"] for e in full} == {"organization.created", "group.member_removed"}
    assert sorted(full[-1]["after"]["groups"]) == sorted([str(mine.pk), str(theirs.pk)])


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("post", GROUPS, {"name": "North\x00"}, "name"),
        ("post", ORGS, body(name="Customer\x00"), "name"),
        ("get", ORGS, {"q": "Customer\x00"}, "q"),
    ],
    ids=["group name", "organization name", "organization search"],
)
def test_a_nul_character_in_text_is_a_422_naming_the_field(admin_api, method, path, payload, field):
    resp = admin_api.get(path, **payload) if method == "get" else admin_api.post(path, payload)
    assert resp.status_code == 422, resp.content
    assert resp.json()["field"] == field
    assert not OrganizationGroup.objects.exists()
    assert not Organization.objects.exists()
