"""Staff users' and API tokens' routes in the permission matrix (tests/test_permission_matrix.py runs them)."""

from __future__ import annotations

from cloudbroker.core.permissions import Perm
from tests.factories import ApiTokenFactory
from tests.permission_matrix import FOREIGN, MINE, SCOPES, Kind, Route, has

KINDS = [
    # A colleague of my broker, and a stranger of another: staff are seen by who may see staff.
    Kind("staff", lambda w: {MINE: w.colleague, FOREIGN: w.stranger}, lambda role, scope: has(role, Perm.STAFF_VIEW)),
    # My token, a colleague's, a stranger's: a token is only ever its owner's.
    Kind(
        "token",
        lambda w: {scope: ApiTokenFactory(user=w.owner(scope)) for scope in SCOPES},
        lambda role, scope: scope == MINE,
    ),
]


ROUTES = [
    Route("api staff list", "GET", "none", Perm.STAFF_VIEW, lambda w, o: "/api/v1/staff/"),
    Route(
        "api staff create",
        "POST",
        "none",
        Perm.STAFF_MANAGE,
        lambda w, o: "/api/v1/staff/",
        lambda w, o: {"email": "new.kam@staff.test", "staff_role": "key_account_manager"},
        (201,),
    ),
    Route("api staff me", "GET", "none", None, lambda w, o: "/api/v1/staff/me"),
    Route("api staff get", "GET", "staff", Perm.STAFF_VIEW, lambda w, o: f"/api/v1/staff/{o.pk}"),
    Route(
        "api staff patch",
        "PATCH",
        "staff",
        Perm.STAFF_MANAGE,
        lambda w, o: f"/api/v1/staff/{o.pk}",
        lambda w, o: {"first_name": "Renamed"},
    ),
    Route("api tokens list", "GET", "none", None, lambda w, o: "/api/v1/tokens/"),
    Route(
        "api tokens create", "POST", "none", None, lambda w, o: "/api/v1/tokens/", lambda w, o: {"name": "ci"}, (201,)
    ),
    Route("api tokens revoke", "DELETE", "token", None, lambda w, o: f"/api/v1/tokens/{o.pk}", ok=(204,)),
    Route("staff_list", "GET", "none", Perm.STAFF_VIEW, lambda w, o: "/administrators/", api=False),
    Route("staff_create", "GET", "none", Perm.STAFF_MANAGE, lambda w, o: "/administrators/new/", api=False),
    Route(
        "staff_create post",
        "POST",
        "none",
        Perm.STAFF_MANAGE,
        lambda w, o: "/administrators/new/",
        lambda w, o: {"email": "portal.new@staff.test", "staff_role": "sales_agent"},
        (302,),
        api=False,
    ),
    Route("staff_edit", "GET", "staff", Perm.STAFF_MANAGE, lambda w, o: f"/administrators/{o.pk}/edit/", api=False),
    Route(
        "staff_edit post",
        "POST",
        "staff",
        Perm.STAFF_MANAGE,
        lambda w, o: f"/administrators/{o.pk}/edit/",
        lambda w, o: {"staff_role": o.staff_role, "first_name": "New"},
        (302,),
        api=False,
    ),
    Route(
        "staff_active",
        "POST",
        "staff",
        Perm.STAFF_MANAGE,
        lambda w, o: f"/administrators/{o.pk}/active/",
        lambda w, o: {"active": "0"},
        (302,),
        api=False,
    ),
    Route("tokens", "GET", "none", None, lambda w, o: "/api-tokens/", api=False),
    Route(
        "tokens post", "POST", "none", None, lambda w, o: "/api-tokens/", lambda w, o: {"name": "x"}, (201,), api=False
    ),
    Route(
        "token_revoke",
        "POST",
        "token",
        None,
        lambda w, o: f"/api-tokens/{o.pk}/revoke/",
        lambda w, o: {},
        (302,),
        api=False,
    ),
]
