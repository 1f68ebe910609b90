"""Logging in to the portal by e-mail, locking after repeated failures, logging out."""

from __future__ import annotations

import pytest
from axes.utils import reset as axes_reset
from django.conf import settings
from django.test import Client

from cloudbroker.core.permissions import StaffRole
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _clean_axes(db):
    axes_reset()
    yield
    axes_reset()


@pytest.fixture
def user(make_staff):
    return make_staff(StaffRole.GLOBAL_ADMIN, email="login.person@staff.test")


def log_in(client, email, password):
    return client.post("/login/", {"username": email, "password": password})


def test_login_by_email_opens_the_dashboard(user):
    client = Client()
    resp = log_in(client, "login.person@staff.test", PASSWORD)
    assert resp.status_code == 302
    assert resp["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_email_is_case_insensitive(user):
    # E-mails are stored lower-case; a person may type theirs with capitals
    client = Client()
    assert log_in(client, "Login.Person@STAFF.test", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_shows_an_error_and_stays_logged_out(user):
    client = Client()
    resp = log_in(client, user.email, "Wrong-Password-1!")
    assert resp.status_code == 200
    assert b"The e-mail or password is not right." in resp.content
    assert "_auth_user_id" not in client.session
    assert client.get("/")["Location"].startswith("/login/")


def test_disabled_user_cannot_log_in(make_staff):
    disabled = make_staff(StaffRole.GLOBAL_ADMIN, is_active=False)
    client = Client()
    resp = log_in(client, disabled.email, PASSWORD)
    assert resp.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account(user, make_staff):
    limit = settings.AXES_FAILURE_LIMIT
    client = Client()
    # Given limit - 1 failures, the right password still works
    for _ in range(limit - 1):
        assert log_in(client, user.email, "Wrong-Password-1!").status_code == 200
    # When the limit is reached
    resp = log_in(client, user.email, "Wrong-Password-1!")
    assert resp.status_code == 429
    assert b"Too many failed log-ins" in resp.content
    # Then even the right password is refused
    fresh = Client()
    resp = log_in(fresh, user.email, PASSWORD)
    assert resp.status_code == 429
    assert "_auth_user_id" not in fresh.session
    # But another account is not locked
    other = make_staff(StaffRole.GLOBAL_ADMIN)
    assert log_in(Client(), other.email, PASSWORD).status_code == 302


def test_the_default_failure_limit_is_five():
    from cloudbroker.config import Config

    assert Config.model_fields["login_failure_limit"].default == 5


def test_a_success_resets_the_failure_count(user):
    limit = settings.AXES_FAILURE_LIMIT
    client = Client()
    for _ in range(limit - 1):
        log_in(client, user.email, "Wrong-Password-1!")
    assert log_in(client, user.email, PASSWORD).status_code == 302
    client = Client()
    for _ in range(limit - 1):
        assert log_in(client, user.email, "Wrong-Password-1!").status_code == 200
    assert log_in(client, user.email, PASSWORD).status_code == 302


def test_logout_ends_the_session(user):
    client = Client()
    log_in(client, user.email, PASSWORD)
    resp = client.post("/logout/")
    assert resp.status_code == 302
    assert resp["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/")["Location"].startswith("/login/")


def test_an_organization_user_cannot_use_the_broker_portal(broker, org_factory):
    from tests.factories import UserFactory

    org = org_factory()
    person = UserFactory(broker=broker, staff_role="", organization=org, organization_role="admin")
    client = Client()
    refused = log_in(client, person.email, PASSWORD)
    assert "This account cannot use the broker portal." in refused.content.decode()
    resp = client.get("/")
    assert resp.status_code == 302
    assert resp["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
