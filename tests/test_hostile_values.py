"""The values that used to give a 500 (a NUL byte, a lone surrogate, an id that is no UUID, a date
past year 9999 in UTC, a null where a boolean goes), sent to every API operation and to the portal's
forms: every answer is below 500, and every API error is JSON with a stable code. A new endpoint or
form is covered by being in the OpenAPI document or in FORMS below."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from cloudbroker.core.permissions import StaffRole
from tests.factories import (
    GroupFactory,
    ImportRunFactory,
    MicrosoftTenantFactory,
    OrganizationDomainFactory,
    OrganizationFactory,
    PartnerCenterConnectionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HOSTILE = ["nul\x00byte", "lone\udfffsurrogate", "not-a-uuid", "9999-12-31T23:59:59-14:00", None, ""]
# A lone surrogate cannot be sent in a URL or a form (it has no UTF-8 bytes); only JSON escapes it.
SENDABLE_IN_FORMS = [v for v in HOSTILE if v is not None and "\udfff" not in v]


@pytest.fixture
def world():
    admin = UserFactory(staff_role=StaffRole.SUPER_ADMIN)
    broker = admin.broker
    org = OrganizationFactory(broker=broker)
    ids = {
        "organization_id": org.pk,
        "group_id": GroupFactory(broker=broker).pk,
        "domain_id": OrganizationDomainFactory(organization=org).pk,
        "user_id": UserFactory(broker=broker, staff_role=StaffRole.KEY_ACCOUNT_MANAGER).pk,
        "tenant_id": MicrosoftTenantFactory(broker=broker).pk,
        "run_id": ImportRunFactory(broker=broker, created_by=admin).pk,
    }
    PartnerCenterConnectionFactory(broker=broker)
    client = Client()
    client.force_login(admin)
    return client, ids


def _operations():
    from cloudbroker.api import api

    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation, schema


def _properties(operation, schema) -> list[str]:
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if not content:
        return []
    ref = content["schema"].get("$ref", "")
    body = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], content["schema"])
    return list(body.get("properties", {}))


def test_hostile_values_never_make_the_api_fail(world, django_capture_on_commit_callbacks):
    client, ids = world
    failures = []
    for path, method, operation, schema in _operations():
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), "not-a-uuid")), path)
        queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        fields = _properties(operation, schema)
        for value in HOSTILE:
            if method == "get" and value not in SENDABLE_IN_FORMS:
                continue
            with django_capture_on_commit_callbacks(execute=False):
                if method == "get":
                    response = client.get(url, dict.fromkeys(queries, value))
                else:
                    body = json.dumps(dict.fromkeys(fields, value))
                    response = getattr(client, method)(url, body, content_type="application/json")
            if response.status_code >= 500 and response.status_code != 502:
                failures.append(f"{method.upper()} {path} with {value!r}: {response.status_code}")
            elif response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
                if not isinstance(response.json().get("code"), str):
                    failures.append(f"{method.upper()} {path} with {value!r}: no error code")
    assert not failures, "\n".join(failures)


# Every portal form that writes, with the fields it takes (ids filled in from the world).
FORMS = [
    (
        "/organizations/new/",
        ["name", "primary_domain", "notification_email", "billing_start_date", "groups", "country"],
    ),
    ("/organizations/{organization_id}/edit/", ["name", "primary_domain", "contact_phone", "billing_start_date"]),
    ("/organizations/{organization_id}/domains/", ["domain"]),
    ("/organizations/export.csv", ["group", "q", "sort"]),
    ("/groups/new/", ["name", "description"]),
    ("/groups/{group_id}/edit/", ["name", "description", "users"]),
    ("/groups/{group_id}/members/", ["add", "remove", "q"]),
    ("/administrators/new/", ["email", "staff_role", "first_name", "groups"]),
    ("/administrators/{user_id}/edit/", ["staff_role", "first_name", "groups"]),
    ("/reseller-properties/", ["name", "notification_email", "currency"]),
    ("/api-tokens/", ["name"]),
    ("/partner-center/", ["action", "tenant_id", "client_id", "authority_base", "api_base_url"]),
    ("/tenants/{tenant_id}/", ["action", "organization", "name"]),
    ("/organizations/{organization_id}/services/microsoft-365/", ["company_name", "domain_prefix", "phone"]),
    ("/account/two-factor/", ["code", "action"]),
]


@pytest.mark.parametrize(("path", "fields"), FORMS, ids=[p for p, _ in FORMS])
def test_hostile_values_never_make_a_portal_form_fail(world, path, fields, django_capture_on_commit_callbacks):
    client, ids = world
    url = path.format(**ids)
    for value in SENDABLE_IN_FORMS:
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(url, dict.fromkeys(fields, value))
        assert response.status_code < 500, f"{url} with {value!r}: {response.status_code}"
