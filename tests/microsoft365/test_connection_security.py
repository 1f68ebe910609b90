"""The stored Partner Center secret goes only where it was entered for: changing the token
authority or the API address needs the secret again, addresses other than this machine must be
https, and control characters in the connection fields are refused naming the field (they would
break every later call)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cloudbroker.core.errors import ValidationFailed
from cloudbroker.core.permissions import StaffRole
from cloudbroker.microsoft365 import services
from cloudbroker.microsoft365.models import PartnerCenterConnection

pytestmark = pytest.mark.django_db

URL = "/api/v1/partner-center/connection"


@pytest.fixture
def stored(as_actor, super_admin):
    services.save_connection(
        actor=as_actor(super_admin),
        data={
            "tenant_id": "partner-tenant",
            "client_id": "app-id",
            "client_secret": "the-secret",
            "authority_base": "https://login.microsoftonline.com",
            "api_base_url": "https://api.partnercenter.microsoft.com",
        },
    )
    return PartnerCenterConnection.objects.get()


def fields_of(caught) -> dict[str, str]:
    return {e.field: e.message for e in caught.value.errors}


@pytest.mark.parametrize("key", ["authority_base", "api_base_url"])
def test_changing_an_address_needs_the_secret_again(as_actor, super_admin, stored, key):
    data = {"tenant_id": "partner-tenant", "client_id": "app-id", key: "https://elsewhere.example.com"}
    with pytest.raises(ValidationFailed) as caught:
        services.save_connection(actor=as_actor(super_admin), data=data)
    assert list(fields_of(caught)) == ["client_secret"]
    assert "Enter the client secret again" in fields_of(caught)["client_secret"]
    stored.refresh_from_db()
    assert getattr(stored, key) != "https://elsewhere.example.com"

    services.save_connection(actor=as_actor(super_admin), data={**data, "client_secret": "the-new-secret"})
    stored.refresh_from_db()
    assert getattr(stored, key) == "https://elsewhere.example.com"
    assert stored.client_secret == "the-new-secret"


def test_the_same_addresses_and_other_fields_keep_the_stored_secret(as_actor, super_admin, stored):
    services.save_connection(
        actor=as_actor(super_admin),
        data={
            "tenant_id": "partner-tenant",
            "client_id": "app-id-2",
            "authority_base": "https://login.microsoftonline.com/",
            "api_base_url": "https://api.partnercenter.microsoft.com",
            "requests_per_minute": 300,
        },
    )
    stored.refresh_from_db()
    assert (stored.client_id, stored.client_secret) == ("app-id-2", "the-secret")


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("authority_base", "http://login.evil.example.com", False),
        ("api_base_url", "http://10.0.0.5:8765", False),
        ("api_base_url", "ftp://api.partnercenter.microsoft.com", False),
        ("authority_base", "http://127.0.0.1:8765", True),
        ("api_base_url", "http://localhost:8765", True),
        ("api_base_url", "http://[::1]:8765", True),
        ("api_base_url", "https://pc.example.com", True),
    ],
)
def test_only_https_leaves_this_machine(api_client_for, super_admin, stored, key, value, ok):
    response = api_client_for(super_admin).put(
        URL, {"tenant_id": "partner-tenant", "client_id": "app-id", "client_secret": "s3cret", key: value}
    )
    if ok:
        assert response.status_code == 200, response.content
        assert response.json()[key] == value
    else:
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert error["field"] == key
        assert "https" in error["message"]
        stored.refresh_from_db()
        assert getattr(stored, key).startswith("https://")


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("tenant_id", "partner-tenant\r\nX-Injected: 1", "control characters"),
        # A NUL is refused for every field of every request before the connection's own check.
        ("client_id", "app\x00id", "NUL character"),
        ("client_secret", "the-secret\n", "control characters"),
        ("scope", "https://api.partnercenter.microsoft.com/\t.default", "control characters"),
        ("api_base_url", "https://api.partnercenter.microsoft.com/\x7f", "control characters"),
    ],
)
def test_control_characters_are_refused_naming_the_field(api_client_for, super_admin, stored, key, value, why):
    body = {"tenant_id": "partner-tenant", "client_id": "app-id", "client_secret": "the-secret", key: value}
    response = api_client_for(super_admin).put(URL, body)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == key
    assert why in error["message"]
    stored.refresh_from_db()
    assert (stored.tenant_id, stored.client_id, stored.client_secret) == ("partner-tenant", "app-id", "the-secret")


def test_the_portal_form_asks_for_the_secret_when_the_authority_changes(portal, super_admin, stored):
    response = portal(super_admin).post(
        reverse("portal:partner_center"),
        {
            "action": "save",
            "tenant_id": "partner-tenant",
            "client_id": "app-id",
            "client_secret": "",
            "authority_base": "https://login.evil.example.com",
            "api_base_url": "https://api.partnercenter.microsoft.com",
            "requests_per_minute": 450,
            "sync_enabled": "on",
            "sync_interval_minutes": 60,
        },
    )
    assert response.status_code == 422
    assert "Enter the client secret again" in response.context["form"].errors["client_secret"][0]
    stored.refresh_from_db()
    assert stored.authority_base == "https://login.microsoftonline.com"


def test_a_stored_plain_http_address_is_not_used(as_actor, make_staff, broker):
    # Saved before https was required.
    connection = PartnerCenterConnection(
        broker=broker,
        tenant_id="t",
        client_id="c",
        authority_base="http://login.evil.example.com",
        api_base_url="https://api.partnercenter.microsoft.com",
    )
    connection.client_secret = "the-secret"
    connection.save()
    ok, message = services.test_connection(actor=as_actor(make_staff(StaffRole.SUPER_ADMIN)))
    assert ok is False
    assert message.startswith("The Partner Center connection uses http://login.evil.example.com: only https")
