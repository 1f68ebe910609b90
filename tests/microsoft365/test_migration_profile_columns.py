"""Migration 0003 turns a tenant's camelCase profile JSON into typed columns and drops the JSON."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import BrokerFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("microsoft365", "0002_subscription_and_user_columns_only")]
AFTER = [("microsoft365", "0003_tenant_profile_columns")]

PROFILE = {
    "id": "c1",
    "companyProfile": {
        "companyName": "Fjord AS",
        "domain": "fjord.onmicrosoft.com",
        "email": "post@fjord.no",
        "organizationRegistrationNumber": " 923456789 ",
        "address": {"addressLine1": "Company street 9", "city": "Bergen", "region": "Vestland", "country": "no"},
    },
    "billingProfile": {
        "email": "it@fjord.no",
        "firstName": "Ola",
        "defaultAddress": {"addressLine1": "Karl Johans gate 1", "postalCode": "0154", "lastName": "Nordmann"},
    },
    "customDomains": ["Fjord.no", "fjord.onmicrosoft.com"],
}


def test_profile_json_becomes_columns():
    broker = BrokerFactory()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    Tenant = old_apps.get_model("microsoft365", "MicrosoftTenant")
    full = Tenant.objects.create(broker_id=broker.pk, customer_id="c1", company_name="Fjord AS", profile=PROFILE)
    short = Tenant.objects.create(
        broker_id=broker.pk, customer_id="c2", company_name="Short AS", profile={"companyProfile": {"companyName": "x"}}
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    Tenant = new_apps.get_model("microsoft365", "MicrosoftTenant")
    tenant = Tenant.objects.get(pk=full.pk)
    assert {
        name: getattr(tenant, name)
        for name in (
            "registration_number",
            "company_email",
            "contact_first_name",
            "contact_last_name",
            "contact_email",
            "address_line1",
            "city",
            "state",
            "postal_code",
            "country",
            "custom_domains",
        )
    } == {
        "registration_number": "923456789",
        "company_email": "post@fjord.no",
        "contact_first_name": "Ola",
        "contact_last_name": "Nordmann",
        "contact_email": "it@fjord.no",
        "address_line1": "Karl Johans gate 1",  # the billing address first
        "city": "Bergen",  # then the company's
        "state": "Vestland",
        "postal_code": "0154",
        "country": "NO",
        "custom_domains": ["fjord.no"],
    }
    assert tenant.profiles_read_at is not None
    # Only the short profile of the customer list: the profiles are read again by the next sync.
    assert Tenant.objects.get(pk=short.pk).profiles_read_at is None
    assert "profile" not in {f.name for f in Tenant._meta.get_fields()}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
