"""Shared fixtures: a broker with staff of every role, organizations in and out of their groups,
and clients for the portal (session) and the API (bearer token)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cloudbroker.accounts import services as account_services
from cloudbroker.core.actors import Actor, actor_for_user
from cloudbroker.core.permissions import StaffRole
from tests.factories import BrokerFactory, GroupFactory, OrganizationFactory, UserFactory
from tests.partner_center import emulator, pc, pc_connection, smtp  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def broker(db):
    return BrokerFactory()


@pytest.fixture
def other_broker(db):
    return BrokerFactory()


@pytest.fixture
def make_staff(broker):
    def make(role: StaffRole = StaffRole.GLOBAL_ADMIN, *, groups=(), broker_=None, **kwargs):
        return UserFactory(broker=broker_ or broker, staff_role=role, groups=groups, **kwargs)

    return make


@pytest.fixture
def super_admin(make_staff):
    return make_staff(StaffRole.SUPER_ADMIN)


@pytest.fixture
def as_actor():
    """``as_actor(user)``: the Actor a user acts as (``core.actors.actor_for_user``)."""

    def resolve(user) -> Actor:
        return actor_for_user(user)

    return resolve


@pytest.fixture
def system_actor(broker):
    return Actor.system(broker)


@pytest.fixture
def org_factory(broker):
    def make(**kwargs):
        kwargs.setdefault("broker", broker)
        return OrganizationFactory(**kwargs)

    return make


@pytest.fixture
def group_factory(broker):
    def make(**kwargs):
        kwargs.setdefault("broker", broker)
        return GroupFactory(**kwargs)

    return make


class ApiClient:
    """The API as a script sees it: JSON in and out, a personal token in the Authorization header."""

    def __init__(self, user=None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            _, raw = account_services.create_api_token(actor=actor_for_user(user), name="test")
            self.headers["Authorization"] = f"Bearer {raw}"

    def request(self, method: str, path: str, data=None, **params):
        kwargs = {"headers": self.headers}
        if data is not None:
            kwargs["data"] = json.dumps(data, default=str)
            kwargs["content_type"] = "application/json"
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path, **params):
        return self.request("GET", path, **params)

    def post(self, path, data=None):
        return self.request("POST", path, data if data is not None else {})

    def patch(self, path, data):
        return self.request("PATCH", path, data)

    def put(self, path, data):
        return self.request("PUT", path, data)

    def delete(self, path):
        return self.request("DELETE", path)


@pytest.fixture
def api_client_for():
    """``api_client_for(user)``: an ApiClient with a fresh token of ``user`` (no user: anonymous).

    Not to be confused with ``api`` in tests/emulator (a client of the Partner Center emulator).
    """

    def make(user=None) -> ApiClient:
        return ApiClient(user)

    return make


@pytest.fixture
def portal():
    """A logged-in portal client for ``user`` (session auth, CSRF checks on)."""

    def make(user) -> Client:
        client = Client(enforce_csrf_checks=False)
        client.force_login(user, backend="cloudbroker.accounts.backends.EmailBackend")
        return client

    return make
