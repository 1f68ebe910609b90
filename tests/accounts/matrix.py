"""Staff users' and API tokens' routes in the permission matrix (tests/test_permission_matrix.py runs them)."""

from __future__ import annotations

from cloudbroker.core.permissions import Perm
from tests.factories import ApiTokenFactory
from tests.permission_matrix import FOREIGN, MINE, OUTSIDE, SCOPES, Kind, Route, has

KINDS = [
    # A colleague of my broker, and a stranger of another: staff are seen by who may see staff.
    Kind("staff", lambda w: {MINE: w.colleague, FOREIGN: w.stranger}, lambda role, scope: has(role, Perm.STAFF_VIEW)),
    # My token, a colleague's, a stranger's: one's own, and a colleague's for roles that manage staff.
    Kind(
        "token",
        lambda w: {scope: ApiTokenFactory(user=w.owner(scope)) for scope in SCOPES},
        lambda role, scope: scope == MINE or (scope == OUTSIDE and has(role, Perm.STAFF_MANAGE)),
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
    Route("api staff tokens", "GET", "staff", Perm.STAFF_MANAGE, lambda w, o: f"/api/v1/staff/{o.pk}/tokens"),
    Route("api staff unlock", "POST", "staff", Perm.ACCOUNT_UNLOCK, lambda w, o: f"/api/v1/staff/{o.pk}/unlock"),
    Route(
        "api staff reset two-factor",
        "POST",
        "staff",
        Perm.ACCOUNT_UNLOCK,
        lambda w, o: f"/api/v1/staff/{o.pk}/reset-two-factor",
        ok=(204,),
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
    Route("two_factor", "GET", "none", None, lambda w, o: "/account/two-factor/", api=False),
    Route(
        "staff_security",
        "POST",
        "staff",
        Perm.ACCOUNT_UNLOCK,
        lambda w, o: f"/administrators/{o.pk}/security/",
        lambda w, o: {"action": "unlock"},
        (302,),
        api=False,
    ),
    Route(
        "staff_active ask",
        "GET",
        "staff",
        Perm.STAFF_MANAGE,
        lambda w, o: f"/administrators/{o.pk}/active/?active=0",
        api=False,
    ),
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
