"""Exactly once, also when the pull sync runs while a tenant request is pending: the sync and the
outbox delivery agree on one row per Partner Center customer, a database error is reported as one,
and a failed request never leads to a second Partner Center customer.

The lost answer is the emulator's own fault (``lost_response``: the customer is made, the
connection is dropped); a database error is the one fault the real parts cannot make, so it is
patched in where the answer is saved.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import OperationalError

from cloudbroker.core import outbox
from cloudbroker.core.errors import Conflict
from cloudbroker.core.models import AuditEvent, OutboxMessage
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.microsoft365 import provisioning
from cloudbroker.microsoft365.choices import TenantStatus
from cloudbroker.microsoft365.models import MicrosoftTenant, TenantSubscription, TenantUser
from cloudbroker.microsoft365.sync import sync_broker
from tests.microsoft365.test_partner_center_e2e import BASIC, create_calls, customers_with, run_due, tenant_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_queue():
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def admin(as_actor, make_staff):
    return as_actor(make_staff(StaffRole.GLOBAL_ADMIN))


def lose_the_answer(pc, admin, org, prefix: str) -> tuple[MicrosoftTenant, OutboxMessage]:
    """Request a tenant whose create call Partner Center carries out but never answers (three lost
    answers outlast the worker's patience: the message goes back to the outbox, pending)."""
    pc.inject_fault("POST", "/v1/customers", "lost_response", count=3)
    tenant = provisioning.request_tenant(actor=admin, organization=org, data=tenant_data(prefix))
    drain_jobs()
    tenant.refresh_from_db()
    message = OutboxMessage.objects.get(kind=provisioning.CREATE_CUSTOMER)
    assert (tenant.status, tenant.customer_id, message.status) == (TenantStatus.PENDING, "", "pending")
    assert len(customers_with(pc, f"{prefix}.onmicrosoft.com")) == 1
    return tenant, message


def test_a_sync_between_a_lost_answer_and_the_retry_adds_no_second_row(
    admin, broker, org_factory, pc_connection, pc, smtp
):
    org = org_factory(name="Fjord Tech AS")
    tenant, message = lose_the_answer(pc, admin, org, "syncrace")
    [customer] = customers_with(pc, "syncrace.onmicrosoft.com")
    pc.create_user_directly(customer["id"], "early@syncrace.onmicrosoft.com")

    result = sync_broker(broker.pk)

    # The sync recognises the pending request by its domain and leaves the row to the delivery.
    assert result["tenants_pending"] == 1
    assert result.get("tenants_created", 0) == 0
    assert MicrosoftTenant.objects.filter(broker=broker).count() == 1
    tenant.refresh_from_db()
    assert (tenant.status, tenant.customer_id) == (TenantStatus.PENDING, "")

    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        run_due()

    message.refresh_from_db()
    tenant.refresh_from_db()
    assert message.status == "delivered"
    assert (tenant.status, tenant.customer_id, tenant.organization) == (TenantStatus.ACTIVE, customer["id"], org)
    assert MicrosoftTenant.objects.filter(broker=broker).count() == 1
    # The admin's login reached the contact, once.
    [(recipients, mail)] = smtp.received
    assert recipients == ["it@fjordtech.example"]
    assert re.search(r"temporary password: \S+", mail.get_content())
    assert len(customers_with(pc, "syncrace.onmicrosoft.com")) == 1
    assert {c["requestId"] for c in create_calls(pc)} == {str(message.request_id)}

    # The next sync fills in the users of the one row and creates nothing.
    again = sync_broker(broker.pk)
    assert again.get("tenants_created", 0) == 0
    assert again.get("tenants_pending", 0) == 0
    assert TenantUser.objects.get().tenant == tenant


def test_the_delivery_adopts_a_row_the_sync_made_for_its_customer(admin, broker, org_factory, pc_connection, pc, smtp):
    org = org_factory(name="Fjord Tech AS")
    tenant, message = lose_the_answer(pc, admin, org, "adoptme")
    [customer] = customers_with(pc, "adoptme.onmicrosoft.com")
    pc.create_subscription_directly(customer["id"], BASIC, quantity=3)
    # A row for the same customer, unlinked, as a sync that matched by id only would have made.
    stray = MicrosoftTenant.objects.create(
        broker=broker, customer_id=customer["id"], company_name="Fjord Tech AS", status=TenantStatus.ACTIVE
    )
    TenantSubscription.objects.create(tenant=stray, subscription_id="sub-1", quantity=3)

    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        run_due()

    tenant.refresh_from_db()
    message.refresh_from_db()
    assert message.status == "delivered", message.last_error
    assert (tenant.status, tenant.customer_id, tenant.organization) == (TenantStatus.ACTIVE, customer["id"], org)
    assert "UNIQUE" not in tenant.status_message
    assert not MicrosoftTenant.objects.filter(pk=stray.pk).exists()
    assert TenantSubscription.objects.get().tenant == tenant
    assert len(smtp.received) == 1
    event = AuditEvent.objects.get(action="tenant.created")
    assert event.after["adopted_row"] == str(stray.pk)


def test_a_database_error_while_saving_the_answer_is_reported_as_one_and_retried(
    admin, broker, org_factory, pc_connection, pc, smtp, monkeypatch
):
    org = org_factory()
    tenant = provisioning.request_tenant(actor=admin, organization=org, data=tenant_data("dberror"))

    def locked(**kwargs):
        raise OperationalError("database is locked")

    with monkeypatch.context() as patch:
        patch.setattr(provisioning, "record_event", locked)  # inside the transaction that saves the answer
        drain_jobs()

    tenant.refresh_from_db()
    message = OutboxMessage.objects.get(kind=provisioning.CREATE_CUSTOMER)
    assert (message.status, message.last_error_code) == ("pending", "database_error")
    assert "saving its answer failed: database error (OperationalError: database is locked)" in message.last_error
    assert tenant.status == TenantStatus.PENDING
    assert "Partner Center refused" not in tenant.status_message
    assert "database is locked" in tenant.status_message

    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        run_due()
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    assert len(customers_with(pc, "dberror.onmicrosoft.com")) == 1
    assert len(smtp.received) == 1


def test_a_failed_tenant_that_partner_center_made_is_not_requested_twice_and_the_sync_recovers_it(
    admin, broker, org_factory, pc_connection, pc, monkeypatch
):
    org = org_factory()
    tenant = provisioning.request_tenant(actor=admin, organization=org, data=tenant_data("givenup"))

    def broken(**kwargs):
        raise OperationalError("disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(provisioning, "record_event", broken)
        patch.setattr(outbox, "MAX_ATTEMPTS", 1)  # the outbox gives up at once
        drain_jobs()

    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.FAILED
    assert tenant.status_message.startswith("Partner Center's answer could not be saved here")
    assert "Partner Center refused" not in tenant.status_message
    assert "database error (OperationalError: disk I/O error)" in tenant.status_message
    [customer] = customers_with(pc, "givenup.onmicrosoft.com")

    # Asking again, even for another name, would make a second customer: refused.
    with pytest.raises(Conflict) as caught:
        provisioning.request_tenant(actor=admin, organization=org, data=tenant_data("givenup2"))
    assert customer["id"] in caught.value.message
    assert customers_with(pc, "givenup2.onmicrosoft.com") == []
    assert len(create_calls(pc)) == 1

    # The sync finds the customer by the request's domain and makes it the organization's tenant.
    result = sync_broker(broker.pk)
    assert result["tenants_recovered"] == 1
    assert MicrosoftTenant.objects.filter(broker=broker).count() == 1
    tenant.refresh_from_db()
    assert (tenant.status, tenant.customer_id, tenant.organization) == (TenantStatus.ACTIVE, customer["id"], org)
    assert "password was not received" in tenant.status_message


def test_a_failed_request_whose_customer_is_already_known_unlinked_gets_that_row(
    admin, broker, org_factory, pc_connection, pc, monkeypatch
):
    org = org_factory()
    provisioning.request_tenant(actor=admin, organization=org, data=tenant_data("knownrow"))

    def broken(**kwargs):
        raise OperationalError("disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(provisioning, "record_event", broken)
        patch.setattr(outbox, "MAX_ATTEMPTS", 1)
        drain_jobs()
    placeholder = MicrosoftTenant.objects.get(organization=org)
    assert placeholder.status == TenantStatus.FAILED
    [customer] = customers_with(pc, "knownrow.onmicrosoft.com")
    # A row for the customer, unlinked, as a sync before this change would have made.
    known = MicrosoftTenant.objects.create(
        broker=broker,
        customer_id=customer["id"],
        default_domain="knownrow.onmicrosoft.com",
        company_name="Fjord Tech AS",
        status=TenantStatus.ACTIVE,
    )

    result = sync_broker(broker.pk)

    assert result["tenants_recovered"] == 1
    known.refresh_from_db()
    assert (known.organization, known.status) == (org, TenantStatus.ACTIVE)
    assert not MicrosoftTenant.objects.filter(pk=placeholder.pk).exists()
    assert MicrosoftTenant.objects.filter(broker=broker).count() == 1
    assert sync_broker(broker.pk).get("tenants_recovered", 0) == 0


def test_a_tenant_partner_center_refused_can_be_requested_again(admin, broker, org_factory, pc_connection, pc):
    org = org_factory()
    polish = {"country": "PL", "city": "Warszawa", "postal_code": "00-950", "registration_number": "5252248481"}
    tenant = provisioning.request_tenant(actor=admin, organization=org, data=tenant_data("refused", **polish))
    # Partner Center refuses a Polish customer without its registration number (600049): take it
    # out of the queued body so that the refusal comes from Partner Center itself.
    message = OutboxMessage.objects.get(kind=provisioning.CREATE_CUSTOMER)
    body = message.payload["body"]
    body["companyProfile"].pop("organizationRegistrationNumber")
    OutboxMessage.objects.filter(pk=message.pk).update(payload={**message.payload, "body": body})
    drain_jobs()
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.FAILED
    assert tenant.status_message.startswith("Partner Center refused the tenant")
    assert customers_with(pc, "refused.onmicrosoft.com") == []

    # Nothing was made, so asking again is fine (and does not need to ask Partner Center first).
    again = provisioning.request_tenant(actor=admin, organization=org, data=tenant_data("refused", **polish))
    assert again.pk == tenant.pk
    assert again.status == TenantStatus.PENDING
