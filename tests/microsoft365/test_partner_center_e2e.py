"""Microsoft 365 tenants end to end: our services → the outbox → the connector → the Partner Center
emulator over HTTP, with the faults Partner Center really has (throttling, lost answers, outages,
a worker killed mid-way) and the pull sync.

Time moves with time-machine where a wait is the point; nothing here sleeps for a Retry-After.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection as db_connection
from django.db import connections
from django.utils import timezone

from cloudbroker.core import outbox
from cloudbroker.core.errors import Conflict, ValidationFailed
from cloudbroker.core.models import OutboxMessage
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.microsoft365 import provisioning
from cloudbroker.microsoft365.choices import TenantStatus
from cloudbroker.microsoft365.models import MicrosoftTenant, TenantSubscription, TenantUser
from cloudbroker.microsoft365.sync import sync_broker

pytestmark = pytest.mark.django_db(transaction=True)

BASIC = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"  # Microsoft 365 Business Basic (emulator catalog)


def tenant_data(prefix: str = "fjordtech", **overrides) -> dict[str, str]:
    data = {
        "company_name": "Fjord Tech AS",
        "domain_prefix": prefix,
        "first_name": "Ola",
        "last_name": "Nordmann",
        "email": "it@fjordtech.example",
        "phone": "+47 22 00 00 00",
        "address_line1": "Karl Johans gate 1",
        "city": "Oslo",
        "postal_code": "0154",
        "country": "NO",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _empty_queue():
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def admin(as_actor, make_staff):
    return as_actor(make_staff(StaffRole.GLOBAL_ADMIN))


def customers_with(pc, domain: str) -> list[dict]:
    return [c for c in pc.state()["customers"] if c["domain"] == domain]


def create_calls(pc) -> list[dict]:
    return [
        r
        for r in pc.http.get("/_emulator/requests").json()["items"]
        if r["method"] == "POST" and r["path"] == "/v1/customers"
    ]


def create_sends(pc) -> int:
    """Every POST /v1/customers the emulator received, faulted ones included."""
    return pc.stats()["calls"].get("POST /v1/customers", 0)


def run_due(at: dt.datetime | None = None) -> None:
    """What the worker does every minute: send what is due (and what a dead worker held), run it."""
    outbox.resend_due(at)
    drain_jobs()


def test_tenant_is_created_once_and_the_contact_gets_the_login(admin, org_factory, pc_connection, pc, smtp):
    org = org_factory(name="Fjord Tech AS")
    tenant = provisioning.request_tenant(actor=admin, organization=org, data=tenant_data())
    assert (tenant.status, tenant.default_domain) == (TenantStatus.PENDING, "fjordtech.onmicrosoft.com")

    drain_jobs()  # create the customer, then send the e-mail

    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    [customer] = customers_with(pc, "fjordtech.onmicrosoft.com")
    assert tenant.customer_id == customer["id"]
    assert tenant.admin_user == "admin@fjordtech.onmicrosoft.com"
    assert tenant.organization == org
    [(recipients, mail)] = smtp.received
    assert recipients == ["it@fjordtech.example"]
    body = mail.get_content()
    assert "admin@fjordtech.onmicrosoft.com" in body
    password = re.search(r"temporary password: (\S+)", body).group(1)
    assert len(password) >= 8
    # Once sent, the password is gone from the database.
    sent = OutboxMessage.objects.get(kind=provisioning.SEND_CREDENTIALS)
    assert sent.payload["password"] == ""
    assert password not in str(sent.payload)

    # Delivering the same messages again, or asking again, creates nothing more.
    for message in OutboxMessage.objects.all():
        outbox.deliver(message.pk)
    with pytest.raises(Conflict):
        provisioning.request_tenant(actor=admin, organization=org, data=tenant_data("fjordtech2"))
    assert len(customers_with(pc, "fjordtech.onmicrosoft.com")) == 1
    assert len(create_calls(pc)) == 1
    assert len(smtp.received) == 1


def test_a_taken_domain_is_refused_with_the_relationship_hint(admin, org_factory, pc_connection, pc):
    pc.create_customer_directly(company_name="Someone Else", domain="takenname.onmicrosoft.com")
    with pytest.raises(ValidationFailed) as caught:
        provisioning.request_tenant(actor=admin, organization=org_factory(), data=tenant_data("takenname"))
    [error] = caught.value.errors
    assert (error.field, error.code) == ("domain_prefix", "domain_taken")
    assert "takenname.onmicrosoft.com is already taken" in error.message
    assert "relationship request" in error.message
    assert not MicrosoftTenant.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert create_calls(pc) == []


def test_a_lost_answer_is_sent_again_with_the_same_request_id_and_makes_one_customer(
    admin, org_factory, pc_connection, pc
):
    # The connector sends a write again at once with the same request id; three lost answers in a
    # row outlast a worker's patience and leave the rest to the outbox.
    pc.inject_fault("POST", "/v1/customers", "lost_response", count=3)
    tenant = provisioning.request_tenant(actor=admin, organization=org_factory(), data=tenant_data("lostanswer"))
    drain_jobs()

    # Partner Center made the customer but the answer never came: we do not know, so we wait.
    tenant.refresh_from_db()
    message = OutboxMessage.objects.get(kind=provisioning.CREATE_CUSTOMER)
    assert tenant.status == TenantStatus.PENDING
    assert "Waiting for Partner Center" in tenant.status_message
    assert message.status == "pending"
    assert message.attempts == 1
    assert len(create_calls(pc)) == 3
    assert len(customers_with(pc, "lostanswer.onmicrosoft.com")) == 1

    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        run_due()

    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    [customer] = customers_with(pc, "lostanswer.onmicrosoft.com")
    assert tenant.customer_id == customer["id"]
    calls = create_calls(pc)
    assert len(calls) == 4
    assert {c["requestId"] for c in calls} == {str(message.request_id)}


@pytest.mark.parametrize("retry_after", [7, 45])  # 45: longer than the outbox's own back-off
def test_a_429_is_not_retried_before_its_retry_after(admin, org_factory, pc_connection, pc, retry_after):
    tenant = provisioning.request_tenant(actor=admin, organization=org_factory(), data=tenant_data("slowdown"))
    pc.inject_fault("POST", "/v1/customers", "429", retry_after=retry_after)
    throttled_at = timezone.now()
    drain_jobs()

    message = OutboxMessage.objects.get(kind=provisioning.CREATE_CUSTOMER)
    assert message.status == "pending"
    assert message.last_error_code == "partner_center_throttled"
    assert message.next_attempt_at >= throttled_at + dt.timedelta(seconds=retry_after)
    assert create_sends(pc) == 1

    # A second before the wait is over the worker comes round: the message is not due, nothing is sent.
    with time_machine.travel(throttled_at + dt.timedelta(seconds=retry_after - 1), tick=False):
        run_due()
        outbox.deliver(message.pk)  # even when asked directly
    assert create_sends(pc) == 1

    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        run_due()
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    assert create_sends(pc) == 2
    assert [c["status"] for c in create_calls(pc)] == [201]
    assert len(customers_with(pc, "slowdown.onmicrosoft.com")) == 1


def test_partner_center_down_leaves_the_tenant_pending_until_it_is_back(admin, org_factory, pc_connection, pc):
    pc.stop()
    try:
        # The request is taken even though the domain cannot be checked now.
        tenant = provisioning.request_tenant(actor=admin, organization=org_factory(), data=tenant_data("outage"))
        assert tenant.status == TenantStatus.PENDING
        assert "could not be checked yet" in tenant.status_message
        drain_jobs()
        tenant.refresh_from_db()
        message = OutboxMessage.objects.get(kind=provisioning.CREATE_CUSTOMER)
        assert tenant.status == TenantStatus.PENDING
        assert "cannot be reached" in tenant.status_message
        assert message.status == "pending"
        assert message.last_error_code == "partner_center_unavailable"
        # Still down at the next attempt: still pending, tried again later.
        with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=True):
            run_due()
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("pending", 2)
    finally:
        pc.start()

    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        run_due()
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    assert tenant.status_message == ""
    assert len(customers_with(pc, "outage.onmicrosoft.com")) == 1


class WorkerKilled(BaseException):
    """Stands for the process dying: nothing in the worker catches it."""


def test_a_worker_killed_between_the_call_and_the_commit_is_recovered_by_the_sweeper(
    admin, org_factory, pc_connection, pc, monkeypatch
):
    tenant = provisioning.request_tenant(actor=admin, organization=org_factory(), data=tenant_data("killed"))

    def die(**kwargs):
        raise WorkerKilled

    with monkeypatch.context() as patch:
        patch.setattr(provisioning, "record_event", die)  # inside the transaction that saves the answer
        with pytest.raises(WorkerKilled):
            drain_jobs()

    # Partner Center made the customer; our transaction never committed.
    tenant.refresh_from_db()
    message = OutboxMessage.objects.get(kind=provisioning.CREATE_CUSTOMER)
    assert tenant.status == TenantStatus.PENDING
    assert tenant.customer_id == ""
    assert message.status == "sending"
    [customer] = customers_with(pc, "killed.onmicrosoft.com")

    # Before the lease runs out nobody touches it; after, the sweeper sends it again.
    run_due()
    assert len(create_calls(pc)) == 1
    with time_machine.travel(message.lease_until + dt.timedelta(seconds=1), tick=True):
        run_due()
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    assert tenant.customer_id == customer["id"]
    assert len(customers_with(pc, "killed.onmicrosoft.com")) == 1
    assert {c["requestId"] for c in create_calls(pc)} == {str(message.request_id)}


@pytest.mark.skipif(
    db_connection.vendor != "postgresql",
    reason="SQLite's in-memory test database fails concurrent writers at once (shared-cache table locks) "
    "instead of queueing them; concurrency is tested on PostgreSQL, which CI runs",
)
def test_fifty_concurrent_submissions_make_one_tenant_and_one_customer(admin, org_factory, pc_connection, pc):
    org = org_factory()
    start = threading.Barrier(50)

    def submit(_):
        start.wait()
        try:
            return provisioning.request_tenant(actor=admin, organization=org, data=tenant_data("crowd")).pk
        except Conflict:
            return None
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(submit, range(50)))
    assert len([r for r in results if r is not None]) == 1
    [message] = OutboxMessage.objects.filter(kind=provisioning.CREATE_CUSTOMER)

    # Fifty workers told to deliver the same message at once.
    flush_jobs()

    def deliver(_):
        start.wait()
        try:
            outbox.deliver(message.pk)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(deliver, range(50)))
    assert MicrosoftTenant.objects.filter(organization=org).count() == 1
    assert MicrosoftTenant.objects.get(organization=org).status == TenantStatus.ACTIVE
    assert len(customers_with(pc, "crowd.onmicrosoft.com")) == 1
    assert len(create_calls(pc)) == 1


def test_sync_brings_direct_changes_and_a_second_sync_changes_nothing(broker, pc_connection, pc):
    made = []
    for n in range(3):
        customer = pc.create_customer_directly(company_name=f"Direct {n}", domain=f"direct{n}.onmicrosoft.com")
        for _ in range(2):
            pc.create_subscription_directly(customer["id"], BASIC, quantity=5)
        for u in range(4):
            pc.create_user_directly(customer["id"], f"user{u}@direct{n}.onmicrosoft.com")
        made.append(customer)

    first = sync_broker(broker.pk)
    assert (first["tenants_created"], first["subscriptions_created"], first["users_created"]) == (3, 6, 12)
    assert MicrosoftTenant.objects.filter(broker=broker).count() == 3
    assert TenantSubscription.objects.filter(tenant__broker=broker).count() == 6
    assert TenantUser.objects.filter(tenant__broker=broker).count() == 12

    before = {t.pk: t.updated_at for t in MicrosoftTenant.objects.all()}
    second = sync_broker(broker.pk)
    assert {k: v for k, v in second.items() if v and k != "customers"} == {}
    assert {t.pk: t.updated_at for t in MicrosoftTenant.objects.all()} == before

    # Someone changes things directly in Partner Center.
    subscription = TenantSubscription.objects.filter(tenant__customer_id=made[0]["id"]).first()
    pc.update_subscription_directly(subscription.subscription_id, quantity=9)
    pc.update_customer_directly(made[1]["id"], company_name="Direct One Renamed")
    pc.create_user_directly(made[2]["id"], "newcomer@direct2.onmicrosoft.com")
    third = sync_broker(broker.pk)
    assert {k: v for k, v in third.items() if v and k != "customers"} == {
        "subscriptions_changed": 1,
        "tenants_changed": 1,
        "users_created": 1,
    }
    subscription.refresh_from_db()
    assert subscription.quantity == 9
    assert MicrosoftTenant.objects.get(customer_id=made[1]["id"]).company_name == "Direct One Renamed"
    assert TenantUser.objects.filter(user_principal_name="newcomer@direct2.onmicrosoft.com").count() == 1


def test_sync_command_and_one_failing_customer(broker, pc_connection, pc, capsys):
    good = pc.create_customer_directly(company_name="Good", domain="goodone.onmicrosoft.com")
    bad = pc.create_customer_directly(company_name="Bad", domain="badone.onmicrosoft.com")
    pc.create_user_directly(good["id"], "ada@goodone.onmicrosoft.com")
    pc.inject_fault("GET", f"/v1/customers/{bad['id']}/subscriptions*", "500", count=20)

    call_command("sync_partner_center", "--broker", broker.slug)
    out, err = capsys.readouterr()
    assert "tenants_created 2" in out
    assert "customers_failed 1" in out
    assert "users_created 1" in out
    assert bad["id"] in err
    assert TenantUser.objects.filter(tenant__customer_id=good["id"]).count() == 1

    pc.clear_faults()
    pc.create_user_directly(bad["id"], "bob@badone.onmicrosoft.com")
    call_command("sync_partner_center", "--broker", broker.slug)
    out, _ = capsys.readouterr()
    assert "customers_failed" not in out
    assert "users_created 1" in out
