"""The permission matrix: every API operation and portal page × every staff role × object scope.

The routes and the kinds of object they act on are declared by each app in ``tests/<app>/matrix.py``
(see tests/permission_matrix.py for the rules the expected answers follow). The last tests make
sure that every operation of the API and every page of the portal is declared by some app, so a new
route without a row fails here.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import include, path

from cloudbroker.core.permissions import StaffRole
from tests.factories import OrganizationUserFactory
from tests.permission_matrix import (
    MINE,
    ROLES,
    Route,
    all_kinds,
    all_routes,
    app_matrices,
    build_world,
    call,
    declared_in,
    expected,
    undeclared_api_operations,
    undeclared_api_routes,
    undeclared_portal_pages,
    url_names,
)

ROUTES = all_routes()


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_matrix(role, route, api_client_for, portal, django_capture_on_commit_callbacks):
    world = build_world(role)
    results = {}
    for scope, obj in world.objects[route.kind].items():
        portal_client = None if route.api else portal(world.user)
        api_client = api_client_for(world.user) if route.api else None
        with django_capture_on_commit_callbacks(execute=False):
            response = call(portal_client, route, world, obj, api_client=api_client)
        want = expected(role, route, scope)
        if want == "ok":
            ok = response.status_code in route.ok
        else:
            ok = response.status_code == int(want)
        results[scope] = (want, response.status_code, ok)
    wrong = {s: r for s, r in results.items() if not r[2]}
    assert not wrong, f"{role.label} on {route} ({declared_in(route)}): expected/got per scope {wrong}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_anonymous_is_refused_everywhere(route, api_client_for, client):
    world = build_world(StaffRole.SUPER_ADMIN)
    obj = world.objects[route.kind][MINE]
    response = call(client, route, world, obj, api_client=api_client_for(None))
    if route.api:
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_organization_users_cannot_use_the_broker_portal(portal, org_factory):
    user = OrganizationUserFactory(organization=org_factory())
    response = portal(user).get("/organizations/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"


# -- the table covers the product, and only the product ----------------------------------------------


def openapi_paths() -> dict[str, dict]:
    from cloudbroker.api import api as ninja_api

    return ninja_api.get_openapi_schema()["paths"]


def test_every_api_operation_is_declared_by_an_app():
    missing = undeclared_api_operations(openapi_paths(), ROUTES)
    assert not missing, f"API operations without a permission-matrix row (add it to tests/<app>/matrix.py): {missing}"


def test_every_portal_page_is_declared_by_an_app():
    from cloudbroker.portal import urls

    missing = undeclared_portal_pages(urls.urlpatterns, ROUTES)
    assert not missing, f"portal pages without a permission-matrix row (add it to tests/<app>/matrix.py): {missing}"


def test_every_declared_route_exists():
    from cloudbroker.portal import urls

    assert undeclared_api_routes(openapi_paths(), ROUTES) == []
    pages = set(url_names(urls.urlpatterns))
    assert [r.name for r in ROUTES if not r.api and r.url_name not in pages] == []


def test_routes_have_one_name_and_known_kinds():
    names = Counter(r.name for r in ROUTES)
    assert [name for name, n in names.items() if n > 1] == []
    assert [r.name for r in ROUTES if r.kind not in all_kinds()] == []


def test_every_app_with_routes_declares_them_beside_its_tests():
    apps = {module.__name__.split(".")[1] for module in app_matrices() if module.ROUTES}
    assert apps >= {"accounts", "brokers", "core", "imports", "microsoft365", "organizations", "portal"}


def test_the_coverage_checks_name_what_no_app_declares():
    """The two checks above can fail: an operation or a page nobody declared is named."""
    paths = {**openapi_paths(), "/api/v1/widgets/{widget_id}": {"get": {}, "delete": {}}}
    assert undeclared_api_operations(paths, ROUTES) == [
        "GET /api/v1/widgets/{widget_id}",
        "DELETE /api/v1/widgets/{widget_id}",
    ]
    widget = Route("api widget get", "GET", "none", None, lambda w, o: f"/api/v1/widgets/{o.pk}")
    assert undeclared_api_operations(paths, [*ROUTES, widget]) == ["DELETE /api/v1/widgets/{widget_id}"]
    assert undeclared_api_routes(openapi_paths(), [*ROUTES, widget]) == ["api widget get"]

    from cloudbroker.portal import urls

    view = lambda request: None  # noqa: E731
    widgets = [path("", view, name="widget_list"), path("<uuid:pk>/", view, name="widget_detail")]
    pages = [*urls.urlpatterns, path("widgets/", include(widgets))]  # an app's urls.py included, too
    assert undeclared_portal_pages(pages, ROUTES) == ["widget_list", "widget_detail"]
