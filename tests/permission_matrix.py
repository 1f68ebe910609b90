"""The permission matrix's machinery, shared by every app.

Each app declares, in ``tests/<app>/matrix.py`` beside its own tests:

* ``ROUTES``: a :class:`Route` for every API operation and portal page it serves — the permission it
  needs and the kind of object it acts on;
* ``KINDS`` (optional): a :class:`Kind` for every kind of object its routes act on that no other app
  declares — how to build one per scope in a :class:`World`, and who may see it.

The runner (tests/test_permission_matrix.py) finds every ``matrix.py`` under tests/ by itself: a new app
adds its file and nothing else. For each role and each scope (an object in my groups, one of my broker
outside my groups, one of another broker) the expected answer follows from two rules only:

* an object the role cannot see is a 404 — never a 403, so nothing leaks that it exists;
* an object it can see, or a page without an object, is a 403 when the role lacks the permission.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from django.urls import URLPattern, URLResolver

from cloudbroker.core.permissions import GROUP_SCOPED_ROLES, STAFF_ROLE_PERMISSIONS, Perm, StaffRole
from tests.factories import BrokerFactory, GroupFactory, OrganizationFactory, UserFactory

MINE, OUTSIDE, FOREIGN = "mine", "outside my groups", "other broker"
SCOPES = (MINE, OUTSIDE, FOREIGN)
ROLES = list(StaffRole)
TESTS = Path(__file__).resolve().parent
# Portal pages anybody may open: they are the way in.
# Reached before there is an actor: signing in and out, and the second factor typed after the password.
PUBLIC_PAGES = frozenset({"login", "logout", "two_factor_verify"})


@dataclass
class World:
    """One broker as a role sees it: the role's user, a colleague of the same broker, a stranger of
    another broker, a group and an organization for each scope, and each declared kind's objects."""

    role: StaffRole
    user: Any
    broker: Any
    other_broker: Any
    colleague: Any
    stranger: Any
    groups: dict[str, Any]
    organizations: dict[str, Any]
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    def owner(self, scope: str) -> Any:
        """Who made an object of a scope: me, a colleague (outside my groups), a stranger."""
        return {MINE: self.user, OUTSIDE: self.colleague, FOREIGN: self.stranger}[scope]

    def broker_of(self, scope: str) -> Any:
        return self.other_broker if scope == FOREIGN else self.broker


@dataclass(frozen=True)
class Kind:
    """A kind of object routes act on.

    ``build`` makes one object per scope it has (a kind that has no object outside my groups leaves
    that scope out); ``visible`` says whether ``role`` sees the object of ``scope`` — the runner
    already knows that nothing of another broker is visible.
    """

    name: str
    build: Callable[[World], dict[str, Any]]
    visible: Callable[[StaffRole, str], bool]


@dataclass(frozen=True)
class Route:
    """One API operation or portal page (a POST to a page is a route of its own, named ``<url name> post``)."""

    name: str
    method: str
    kind: str  # the object kind the route acts on
    perm: Perm | None
    path: Callable[[World, Any], str]
    body: Callable[[World, Any], dict] | None = None
    ok: tuple[int, ...] = (200,)
    api: bool = True
    upload: bool = False  # the body is a multipart file upload

    def __str__(self) -> str:
        return self.name

    @property
    def url_name(self) -> str:
        """The portal URL name of a page route."""
        return self.name.split(" ")[0]


# -- who sees what: the rules the apps' kinds are made of --------------------------------------------


def broker_wide(role: StaffRole) -> bool:
    return role not in GROUP_SCOPED_ROLES


def has(role: StaffRole, perm: Perm) -> bool:
    return perm in STAFF_ROLE_PERMISSIONS[role]


def mine_or_broker_wide(role: StaffRole, scope: str) -> bool:
    """The object of my scope — in my groups, or made by me — and, for a role that sees the whole
    broker, its other objects too."""
    return scope == MINE or broker_wide(role)


def anyone(role: StaffRole, scope: str) -> bool:
    return True


# Shared by every app: a route that acts on no object (a list, a form, the dashboard).
NONE = Kind("none", lambda w: {MINE: None}, anyone)


# -- finding every app's declarations ----------------------------------------------------------------


@cache
def app_matrices() -> tuple[ModuleType, ...]:
    """Every ``tests/**/matrix.py``, imported, in path order."""
    modules = []
    for path in sorted(TESTS.rglob("matrix.py")):
        relative = path.relative_to(TESTS.parent).with_suffix("")
        modules.append(importlib.import_module(".".join(relative.parts)))
    return tuple(modules)


@cache
def all_routes() -> tuple[Route, ...]:
    return tuple(route for module in app_matrices() for route in module.ROUTES)


@cache
def all_kinds() -> dict[str, Kind]:
    kinds = {NONE.name: NONE}
    for module in app_matrices():
        for kind in getattr(module, "KINDS", ()):
            if kind.name in kinds:
                raise ValueError(f"{module.__name__} declares the kind {kind.name!r} a second time")
            kinds[kind.name] = kind
    return kinds


def declared_in(route: Route) -> str:
    """The app (its tests directory) that declares a route: for messages."""
    for module in app_matrices():
        if route in module.ROUTES:
            return module.__name__
    raise LookupError(route.name)


# -- the world and the expected answers --------------------------------------------------------------


def build_world(role: StaffRole) -> World:
    broker, other = BrokerFactory(), BrokerFactory()
    groups = {
        MINE: GroupFactory(broker=broker),
        OUTSIDE: GroupFactory(broker=broker),
        FOREIGN: GroupFactory(broker=other),
    }
    user = UserFactory(broker=broker, staff_role=role, groups=[groups[MINE]] if role in GROUP_SCOPED_ROLES else [])
    organizations = {scope: OrganizationFactory(broker=group.broker, groups=[group]) for scope, group in groups.items()}
    world = World(
        role=role,
        user=user,
        broker=broker,
        other_broker=other,
        colleague=UserFactory(broker=broker, staff_role=StaffRole.KEY_ACCOUNT_MANAGER),
        stranger=UserFactory(broker=other, staff_role=StaffRole.SUPER_ADMIN),
        groups=groups,
        organizations=organizations,
    )
    for kind in all_kinds().values():
        world.objects[kind.name] = kind.build(world)
    return world


def expected(role: StaffRole, route: Route, scope: str) -> str:
    if scope == FOREIGN or not all_kinds()[route.kind].visible(role, scope):
        return "404"
    if route.perm is not None and not has(role, route.perm):
        return "403"
    return "ok"


def call(portal_client, route: Route, world: World, obj, *, api_client=None):
    path = route.path(world, obj)
    body = route.body(world, obj) if route.body else None
    if route.api and route.upload:
        return api_client.client.post(path, body, headers=api_client.headers)
    if route.api:
        return api_client.request(route.method, path, body)
    if route.method == "GET":
        return portal_client.get(path)
    return portal_client.post(path, body or {})


# -- the routes the product has that nobody declared -------------------------------------------------


class _Placeholder:
    """Stands in for objects and the world when turning a route's path back into a template."""

    pk = "{}"
    organization_id = "{}"

    def __getattr__(self, name):
        return "{}"

    def __getitem__(self, key):
        return self


def api_template(route: Route) -> str:
    """The path of an API route with every object id as ``{}`` and without the query."""
    return route.path(_Placeholder(), _Placeholder()).split("?")[0]


def _matches(openapi_path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(openapi_path)) + "$")


def undeclared_api_operations(openapi_paths: dict[str, dict], routes: Iterable[Route]) -> list[str]:
    """``METHOD /path`` of every operation in the OpenAPI document no route declares."""
    declared = {(r.method, api_template(r)) for r in routes if r.api}
    missing = []
    for path, operations in openapi_paths.items():
        pattern = _matches(path)
        for method in operations:
            if not any(m == method.upper() and pattern.match(p) for m, p in declared):
                missing.append(f"{method.upper()} {path}")
    return missing


def undeclared_api_routes(openapi_paths: dict[str, dict], routes: Iterable[Route]) -> list[str]:
    """Names of API routes that match no operation of the OpenAPI document (a stale row)."""
    operations = [(method.upper(), _matches(path)) for path, ops in openapi_paths.items() for method in ops]
    return [
        r.name
        for r in routes
        if r.api and not any(m == r.method and pattern.match(api_template(r)) for m, pattern in operations)
    ]


def url_names(patterns: Iterable[URLPattern | URLResolver]) -> Iterator[str]:
    """Every named URL under ``patterns``, through included URL confs too."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from url_names(pattern.url_patterns)
        elif pattern.name:
            yield pattern.name


def undeclared_portal_pages(patterns: Iterable[URLPattern | URLResolver], routes: Iterable[Route]) -> list[str]:
    declared = {r.url_name for r in routes if not r.api}
    return [name for name in url_names(patterns) if name not in declared | PUBLIC_PAGES]
