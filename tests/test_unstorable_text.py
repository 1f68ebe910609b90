"""Text no database can store (a NUL byte, a lone surrogate) is a 4xx naming the field, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations.models import OrganizationGroup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(staff_role=StaffRole.SUPER_ADMIN))
    return client


def _post_json(client, path, body):
    # json.dumps writes a lone surrogate as the escape \udfff, as a hostile client would send it.
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("query", ["q=%00", "q=Contoso%00", "sort=name%00"])
def test_a_nul_byte_in_a_search_is_a_422(admin_client, query):
    response = admin_client.get(f"/api/v1/organizations/?{query}")
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["errors"][0]["field"]) == ("validation_failed", query.split("=")[0])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/groups/", {"name": "G\udfff"}, "name"),
        ("/api/v1/groups/", {"name": "G\x00"}, "name"),
        ("/api/v1/tokens/", {"name": "laptop\udfff"}, "name"),
        (
            "/api/v1/organizations/",
            {
                "name": "Ok",
                "primary_domain": "ok.example.com",
                "notification_email": "a@ok.example.com",
                "contact_name": "A\udfffB",
            },
            "contact_name",
        ),
        (
            "/api/v1/organizations/bulk",
            {"organizations": [{"name": "Fine"}, {"name": "Bad\x00"}]},
            "organizations.1.name",
        ),
    ],
)
def test_unstorable_text_in_json_is_a_422_naming_the_field(admin_client, path, body, field):
    response = _post_json(admin_client, path, body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not OrganizationGroup.objects.exists()


def test_a_nul_byte_in_a_portal_form_is_a_400(admin_client):
    response = admin_client.post("/groups/new/", {"name": "North\x00"})
    assert response.status_code == 400
    assert "name contains a NUL character" in response.content.decode()
    assert not OrganizationGroup.objects.exists()


def test_ordinary_text_passes(admin_client):
    response = _post_json(admin_client, "/api/v1/groups/", {"name": "Nörth\tgroup — ✓"})
    assert response.status_code == 201
