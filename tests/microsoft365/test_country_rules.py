"""The Microsoft 365 tenant form checks the phone number, state and registration (tax / VAT) number
against Partner Center's country validation rules (the emulator serves them over HTTP), naming the
field that is wrong."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from cloudbroker.core.errors import ValidationFailed
from cloudbroker.core.models import OutboxMessage
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import flush_jobs
from cloudbroker.microsoft365 import provisioning
from cloudbroker.microsoft365.models import MicrosoftTenant
from tests.microsoft365.test_partner_center_e2e import tenant_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clean():
    cache.clear()
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def admin(as_actor, make_staff):
    return as_actor(make_staff(StaffRole.GLOBAL_ADMIN))


def refused(admin, org, **overrides) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        provisioning.request_tenant(actor=admin, organization=org, data=tenant_data(**overrides))
    assert not MicrosoftTenant.objects.exists()
    assert not OutboxMessage.objects.exists()
    return {e.field: e.message for e in caught.value.errors}


US = {"country": "US", "state": "WA", "city": "Redmond", "postal_code": "98052", "phone": "425-555-0100"}


def test_a_phone_number_partner_center_does_not_accept_is_refused_naming_the_field(
    admin, org_factory, pc_connection, pc
):
    errors = refused(admin, org_factory(), **{**US, "phone": "+44 20 7946 0000"})
    assert list(errors) == ["phone"]
    assert "phone number in United States of America (country code +1)" in errors["phone"]


def test_a_state_partner_center_does_not_know_is_refused(admin, org_factory, pc_connection, pc):
    errors = refused(admin, org_factory(), **{**US, "state": "XX"})
    assert errors == {"state": "XX is not a state Partner Center knows in United States of America."}


def test_a_tax_or_vat_id_in_the_wrong_format_is_refused_with_the_expected_format(admin, org_factory, pc_connection, pc):
    errors = refused(admin, org_factory(), **{**US, "registration_number": "12-34"})
    assert list(errors) == ["registration_number"]
    assert "a tax ID such as US######" in errors["registration_number"]
    assert "US999965" in errors["registration_number"]

    polish = {"country": "PL", "city": "Warszawa", "postal_code": "00-950", "registration_number": "12345"}
    errors = refused(admin, org_factory(), **polish)
    assert "a VAT ID" in errors["registration_number"]
    assert "PL5252248481" in errors["registration_number"]


def test_values_in_partner_centers_formats_pass(admin, org_factory, pc_connection, pc):
    tenant = provisioning.request_tenant(actor=admin, organization=org_factory(), data=tenant_data("usok", **US))
    assert tenant.pk
    polish = {"country": "PL", "city": "Warszawa", "postal_code": "00-950", "registration_number": "525-224-84-81"}
    assert provisioning.request_tenant(actor=admin, organization=org_factory(), data=tenant_data("plok", **polish))
    # The rules are asked once per country and kept.
    assert pc.stats()["calls"]["GET /v1/countryvalidationrules/{iso2}"] == 2


def test_without_partner_center_the_rules_are_left_to_partner_center(admin, org_factory, pc_connection, pc):
    pc.stop()
    try:
        # A number Partner Center's US rule refuses (see above), but nobody can ask it now.
        tenant = provisioning.request_tenant(
            actor=admin, organization=org_factory(), data=tenant_data(**{**US, "phone": "+44 20 7946 0000"})
        )
    finally:
        pc.start()
    assert tenant.status == "pending"


def test_the_portal_form_shows_the_error_at_the_field(portal, make_staff, org_factory, pc_connection, pc):
    client = portal(make_staff(StaffRole.GLOBAL_ADMIN))
    org = org_factory()
    response = client.post(
        reverse("portal:organization_add_microsoft365", args=[org.pk]), {**tenant_data(), **US, "phone": "call me"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["phone"][0].startswith("Partner Center does not accept 'call me'")
    assert not MicrosoftTenant.objects.exists()
