"""Starting the catalog sync: one service (catalog managers only, audited, a clear 409 while one is
queued or running) behind the API, the portal button and the daily task; the job logs its summary
and waits for a Partner Center that is not up yet; the command syncs with a progress bar."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cloudbroker.catalog.models import Product, VendorPrice
from cloudbroker.connectors.partner_center.retry import RetryPolicy
from cloudbroker.core.choices import JobStatus
from cloudbroker.core.errors import PermissionDenied
from cloudbroker.core.models import AuditEvent, Job
from cloudbroker.core.permissions import STAFF_ROLE_PERMISSIONS, Perm, StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.microsoft365 import catalog_sync, services
from cloudbroker.microsoft365.choices import JobKind
from cloudbroker.microsoft365.partner_center import client_for
from cloudbroker.microsoft365.tasks import due_catalog_syncs
from partner_center_emulator import catalog as emulator_catalog
from tests.factories import BrokerFactory, PartnerCenterConnectionFactory

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/catalog/sync"
MANAGERS = sorted(role for role, perms in STAFF_ROLE_PERMISSIONS.items() if Perm.CATALOG_MANAGE in perms)


@pytest.fixture(autouse=True)
def _empty_queue():
    flush_jobs()
    yield
    flush_jobs()


def test_only_catalog_managers_start_it_and_a_second_while_one_runs_is_a_409(
    broker, make_staff, api_client_for, as_actor
):
    assert MANAGERS == sorted([StaffRole.SUPER_ADMIN, StaffRole.GLOBAL_ADMIN])
    PartnerCenterConnectionFactory(broker=broker)
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER)
    assert api_client_for(kam).post(SYNC).status_code == 403
    with pytest.raises(PermissionDenied):
        services.start_catalog_sync(actor=as_actor(kam))
    assert not Job.objects.exists()

    client = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
    first = client.post(SYNC)
    assert first.status_code == 202
    job_id = first.json()["job_id"]
    again = client.post(SYNC)
    assert again.status_code == 409
    assert (again.json()["code"], again.json()["details"]["job_id"]) == ("catalog_sync_already_running", job_id)
    assert "A catalog sync is already queued" in again.json()["message"]
    job = Job.objects.get()
    assert (str(job.pk), job.kind) == (job_id, JobKind.CATALOG_SYNC)
    assert AuditEvent.objects.get(action="catalog.sync_started").after == {"job_id": job_id}

    # A tenant sync is another job: it does not block the catalog's, nor the other way round.
    assert client.post("/api/v1/partner-center/sync").status_code == 202
    Job.objects.filter(pk=job_id).update(status=JobStatus.FAILED)
    assert client.post(SYNC).status_code == 202


def test_it_needs_a_connection(broker, make_staff, api_client_for):
    response = api_client_for(make_staff(StaffRole.SUPER_ADMIN)).post(SYNC)
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    assert "Partner Center credentials" in response.json()["message"]


def test_the_portal_button_starts_it_and_shows_the_job(broker, make_staff, portal):
    PartnerCenterConnectionFactory(broker=broker)
    browser = portal(make_staff(StaffRole.GLOBAL_ADMIN))
    response = browser.post("/catalog/sync/")
    job = Job.objects.get(kind=JobKind.CATALOG_SYNC)
    assert (response.status_code, response["Location"]) == (302, f"/jobs/{job.pk}/")
    # Pressed again while it waits: the same job is shown, no second one is made.
    again = browser.post("/catalog/sync/")
    assert (again.status_code, again["Location"]) == (302, f"/jobs/{job.pk}/")
    assert Job.objects.filter(kind=JobKind.CATALOG_SYNC).count() == 1
    assert browser.get("/catalog/sync/").status_code == 405
    assert portal(make_staff(StaffRole.GLOBAL_VIEW_ONLY_ADMIN)).post("/catalog/sync/").status_code == 403


def test_the_job_syncs_and_logs_a_summary(broker, pc_connection, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_catalog_sync(broker_id=broker.pk)
    drain_jobs()

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result["products_created"] == len(emulator_catalog.OFFERS)
    assert any("Catalog sync finished: " in line and "prices_created" in line for line in job.log)
    assert job.progress_done == job.progress_total
    assert VendorPrice.objects.filter(broker=broker).count() == job.result["prices_created"]


def test_the_job_waits_for_a_partner_center_that_is_not_up_yet(
    broker, pc_connection, pc, monkeypatch, django_capture_on_commit_callbacks
):
    # One send per call, so that the job's own retry is what is tried here.
    monkeypatch.setattr(catalog_sync, "client_for", lambda b, **kw: client_for(b, retry=RetryPolicy(attempts=1)))
    waits = []

    def wait(seconds):  # the emulator comes up while the job waits the second time
        waits.append(seconds)
        if len(waits) == 2:
            pc.start()

    monkeypatch.setattr(catalog_sync, "_sleep", wait)
    pc.stop()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = services.start_catalog_sync(broker_id=broker.pk)
        drain_jobs()
    finally:
        pc.start()

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert waits == [catalog_sync.CONNECT_RETRY_DELAY, 2 * catalog_sync.CONNECT_RETRY_DELAY]
    assert sum("cannot be reached" in line for line in job.log) == 2
    assert Product.objects.filter(broker=broker).count() == len(emulator_catalog.OFFERS)


def test_the_job_gives_up_after_a_few_attempts(
    broker, pc_connection, pc, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(catalog_sync, "client_for", lambda b, **kw: client_for(b, retry=RetryPolicy(attempts=1)))
    monkeypatch.setattr(catalog_sync, "_sleep", lambda seconds: None)
    pc.stop()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = services.start_catalog_sync(broker_id=broker.pk)
        drain_jobs()
    finally:
        pc.start()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "cannot be reached" in job.error
    assert sum("trying again" in line for line in job.log) == catalog_sync.CONNECT_ATTEMPTS - 1
    assert not Product.objects.exists()


def test_the_daily_task_starts_one_per_connected_broker(broker):
    PartnerCenterConnectionFactory(broker=broker)
    other = PartnerCenterConnectionFactory(broker=BrokerFactory())
    BrokerFactory()  # not connected
    PartnerCenterConnectionFactory(broker=BrokerFactory(), sync_enabled=False)  # syncs only when asked
    started = due_catalog_syncs()
    assert len(started) == 2
    assert set(Job.objects.filter(kind=JobKind.CATALOG_SYNC).values_list("broker_id", flat=True)) == {
        broker.pk,
        other.broker_id,
    }
    assert due_catalog_syncs() == []  # both still queued


def test_the_command_syncs_the_only_broker(broker, pc_connection):
    out = io.StringIO()
    call_command("sync_catalog", stdout=out, stderr=io.StringIO())
    assert f"{broker.name}: " in out.getvalue()
    assert f"products_created {len(emulator_catalog.OFFERS)}" in out.getvalue()
    assert Product.objects.filter(broker=broker).count() == len(emulator_catalog.OFFERS)

    out = io.StringIO()
    call_command("sync_catalog", "--broker", broker.slug, stdout=out, stderr=io.StringIO())
    assert "products_created 0" in out.getvalue()

    with pytest.raises(CommandError, match="No broker with the slug 'nope'"):
        call_command("sync_catalog", "--broker", "nope")


def test_the_command_names_the_refusal(broker, pc_connection):
    broker.market = "SE"
    broker.save()
    with pytest.raises(CommandError, match="in SEK; the broker sells in EUR"):
        call_command("sync_catalog", stderr=io.StringIO())


def test_the_command_asks_which_broker_when_there_are_several(broker):
    BrokerFactory()
    with pytest.raises(CommandError, match="more than one broker"):
        call_command("sync_catalog")
