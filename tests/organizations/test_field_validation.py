"""Every bad field of an organization gets a clear error naming the field (and the row in
multi-create), through the service, the API and the portal; nothing is half-written."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cloudbroker.core.errors import ValidationFailed
from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations import services
from cloudbroker.organizations.models import Organization
from cloudbroker.organizations.validation import clean_domain, clean_organization

pytestmark = pytest.mark.django_db

GOOD = {"name": "Contoso Ltd", "primary_domain": "contoso.com", "notification_email": "it@contoso.com"}

BAD_FIELDS = [
    ("name", "", "Name is mandatory."),
    ("name", "   ", "Name is mandatory."),
    ("name", "x" * 201, "Use at most 200 characters."),
    ("primary_domain", "", "Primary domain is mandatory."),
    ("primary_domain", "http://contoso.com", "without http://"),
    ("primary_domain", "https://contoso.com", "without http://"),
    ("primary_domain", "www.contoso.com", "without www."),
    ("primary_domain", "contoso.com/about", "without a path"),
    ("primary_domain", "contoso .com", "cannot contain spaces"),
    ("primary_domain", "localhost", "not a valid domain"),
    ("primary_domain", "contoso", "not a valid domain"),
    ("primary_domain", "-contoso.com", "not a valid domain"),
    ("primary_domain", "contoso.c0m", "top-level domain"),
    ("primary_domain", "it@contoso.com", "not an address"),
    ("primary_domain", "contoso.com:8080", "not an address or a port"),
    ("notification_email", "", "Notification email is mandatory."),
    ("notification_email", "not-an-email", "valid e-mail"),
    ("notification_email", "a@b", "valid e-mail"),
    ("contact_email", "contact@", "valid e-mail"),
    ("country", "Narnia", "ISO code"),
    ("country", "XX", "ISO code"),
    ("billing_start_date", "31/02/2026", "DD/MM/YYYY"),
    ("billing_start_date", "2026/13/01", "DD/MM/YYYY"),
    ("billing_start_date", "yesterday", "DD/MM/YYYY"),
    ("approval_required", "maybe", "TRUE or FALSE"),
    ("approval_limit", "-5", "cannot be negative"),
    ("approval_limit", "10.555", "two decimals"),
    ("approval_limit", "ten", "amount"),
    ("approval_limit", "1e15", "too large"),
    ("contact_phone", "call me", "phone number"),
    ("contact_phone", "12", "phone number"),
    ("contact_cell_phone", "+46 (0) abc", "phone number"),
    ("registration_number", "9" * 65, "at most 64"),
    ("customer_number", "C" * 65, "at most 64"),
    ("postal_code", "1" * 21, "at most 20"),
    ("city", "c" * 101, "at most 100"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_FIELDS, ids=lambda v: str(v)[:20])
def test_each_bad_field_is_named(field, value, message):
    _, errors = clean_organization({**GOOD, field: value})
    assert [e.field for e in errors] == [field]
    assert message in errors[0].message


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("contoso.com", "contoso.com"),
        ("Contoso.COM", "contoso.com"),
        ("sub.contoso.co.uk", "sub.contoso.co.uk"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("contoso.com.", "contoso.com"),
        ("x-y.io", "x-y.io"),
    ],
)
def test_good_domains(raw, clean):
    assert clean_domain(raw) == clean


@pytest.mark.parametrize(
    ("field", "raw", "clean"),
    [
        ("country", "se", "SE"),
        ("country", "Sweden", "SE"),
        ("country", "SWE", "SE"),
        ("billing_start_date", "05/03/2026", dt.date(2026, 3, 5)),
        ("billing_start_date", "2026-03-05", dt.date(2026, 3, 5)),
        ("approval_required", "TRUE", True),
        ("approval_required", "false", False),
        ("approval_required", "", False),
        ("approval_limit", "12000,50", "12000.50"),
        ("approval_limit", "1 000", "1000.00"),
        ("notification_email", "IT@Contoso.COM", "it@contoso.com"),
    ],
)
def test_accepted_spellings_are_normalised(field, raw, clean):
    cleaned, errors = clean_organization({**GOOD, field: raw})
    assert errors == []
    assert str(cleaned[field]) == str(clean)


def test_every_error_is_reported_at_once():
    _, errors = clean_organization(
        {"name": "", "primary_domain": "www.x.com", "notification_email": "nope", "country": "Narnia"}
    )
    assert {e.field for e in errors} == {"name", "primary_domain", "notification_email", "country"}


def test_billing_start_date_defaults_to_today(system_actor):
    with time_machine.travel(dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC), tick=False):
        org = services.create_organization(actor=system_actor, data=GOOD)
    assert org.billing_start_date == dt.date(2026, 11, 23)


def test_customer_number_is_unique_per_broker_only(system_actor, org_factory, other_broker):
    org_factory(customer_number="C-1", primary_domain="first.com")
    org_factory(broker=other_broker, customer_number="C-2", primary_domain="second.com")
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=system_actor, data={**GOOD, "customer_number": "C-1"})
    assert [(e.field, e.code) for e in exc.value.errors] == [("customer_number", "unique")]
    org = services.create_organization(
        actor=system_actor, data={**GOOD, "customer_number": "C-2", "primary_domain": "second.com"}
    )
    assert org.customer_number == "C-2"


def test_primary_domain_is_unique_per_broker_whatever_the_case(system_actor, org_factory):
    org_factory(primary_domain="contoso.com")
    with pytest.raises(ValidationFailed) as exc:
        services.create_organization(actor=system_actor, data={**GOOD, "primary_domain": "CONTOSO.com"})
    assert exc.value.errors[0].field == "primary_domain"


def test_multi_create_names_rows_and_creates_nothing(system_actor, org_factory):
    org_factory(primary_domain="taken.com")
    rows = [
        {"name": "One", "primary_domain": "one.com", "notification_email": "it@one.com", "customer_number": "N1"},
        {"name": "", "primary_domain": "two.com", "notification_email": "it@two.com"},
        {"name": "Three", "primary_domain": "one.com", "notification_email": "bad", "customer_number": "N1"},
        {"name": "Four", "primary_domain": "taken.com", "notification_email": "it@four.com"},
    ]
    with pytest.raises(ValidationFailed) as exc:
        services.create_organizations(actor=system_actor, rows=rows)
    got = sorted((e.row, e.field) for e in exc.value.errors)
    assert got == [
        (2, "name"),
        (3, "customer_number"),
        (3, "notification_email"),
        (3, "primary_domain"),
        (4, "primary_domain"),
    ]
    assert "also on row 1" in next(e.message for e in exc.value.errors if e.row == 3 and e.field == "primary_domain")
    assert Organization.objects.count() == 1


def test_multi_create_all_good_creates_all(system_actor):
    rows = [
        {"name": f"Org {i}", "primary_domain": f"org{i}.com", "notification_email": f"it@org{i}.com"} for i in range(5)
    ]
    orgs = services.create_organizations(actor=system_actor, rows=rows)
    assert len(orgs) == Organization.objects.count() == 5


def test_api_validation_body_names_every_field(api_client_for, make_staff):
    response = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN)).post(
        "/api/v1/organizations/", {"name": "X", "primary_domain": "http://x.com", "notification_email": "nope"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {e["field"] for e in body["errors"]} == {"primary_domain", "notification_email"}


def test_api_bulk_errors_carry_rows(api_client_for, make_staff):
    response = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN)).post(
        "/api/v1/organizations/bulk",
        {
            "organizations": [
                {"name": "A", "primary_domain": "a.com", "notification_email": "it@a.com"},
                {"name": "B", "primary_domain": "www.b.com", "notification_email": "it@b.com"},
            ]
        },
    )
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "primary_domain")]
    assert not Organization.objects.exists()


def test_portal_form_shows_the_error_on_its_field(portal, make_staff):
    response = portal(make_staff(StaffRole.GLOBAL_ADMIN)).post(
        "/organizations/new/", {"name": "X", "primary_domain": "www.x.com", "notification_email": "it@x.com"}
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["primary_domain"] == ["Enter the domain without www. (for example contoso.com)."]
    assert not Organization.objects.exists()


def test_portal_grid_names_row_and_field(portal, make_staff):
    data = {
        "row_count": "2",
        "rows-1-name": "A",
        "rows-1-primary_domain": "a.com",
        "rows-1-notification_email": "it@a.com",
        "rows-2-name": "B",
        "rows-2-primary_domain": "b.com",
        "rows-2-notification_email": "broken",
    }
    response = portal(make_staff(StaffRole.GLOBAL_ADMIN)).post("/organizations/new-multiple/", data)
    assert response.status_code == 422
    assert "Row 2, Notification email: Enter a valid e-mail address." in response.content.decode()
    assert not Organization.objects.exists()


@pytest.mark.parametrize(("first", "second"), [("Ärende", "ärende"), ("North", "NORTH"), ("Örebro Ab", "ÖREBRO AB")])
def test_group_names_differing_only_in_case_are_refused_cleanly(system_actor, first, second):
    services.create_group(actor=system_actor, data={"name": first})
    with pytest.raises(ValidationFailed) as exc:
        services.create_group(actor=system_actor, data={"name": second})
    assert exc.value.errors[0].field == "name"
