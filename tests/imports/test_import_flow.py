"""Importing organizations: preview, confirm, the job, re-import, scope, failures and resume."""

from __future__ import annotations

import datetime as dt
import io
import pickle
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from cloudbroker.core import jobs
from cloudbroker.core.choices import JobStatus
from cloudbroker.core.imports import ImportFileRefused
from cloudbroker.core.models import AuditEvent, Job
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.imports import services, stored
from cloudbroker.imports.models import ImportRun, ImportStatus
from cloudbroker.organizations.models import Organization

pytestmark = [pytest.mark.django_db, pytest.mark.jobs]

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
HEADER = "Name,Primary domain,Notification email,Customer number,Country,Billing start date,Organization groups\n"


def csv_of(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def five_rows(prefix: str) -> bytes:
    """Five new organizations, customer numbers ``{prefix}-0`` to ``{prefix}-4``."""
    return csv_of(*(f"Org {i},org{i}.com,it@org{i}.com,{prefix}-{i},SE,," for i in range(5)))


def issues_by_row(run: ImportRun) -> dict[int, list[str]]:
    by_row: dict[int, list[str]] = {}
    for issue in run.issues.all():
        by_row.setdefault(issue.row, []).append(issue.message)
    return by_row


def replace_stored_rows(run: ImportRun, data: bytes) -> None:
    """Put ``data`` in place of the cleaned rows the preview stored beside the upload."""
    name, storage = stored.prepared_name(run), run.file.storage
    storage.delete(name)
    assert storage.save(name, io.BytesIO(data)) == name


@pytest.fixture(autouse=True)
def _queue():
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    """Upload, preview, confirm and let the worker run the job (through huey's storage)."""

    def run(actor, content: bytes, filename="orgs.csv") -> ImportRun:
        with django_capture_on_commit_callbacks(execute=True):
            run = services.start_import(actor=actor, content=content, filename=filename)
            assert run.status == ImportStatus.PREVIEWED, run.refused_message
            services.confirm_import(actor=actor, run=run)
        drain_jobs()
        run.refresh_from_db()
        return run

    return run


def test_preview_marks_each_row_and_writes_nothing(as_actor, make_staff, org_factory, group_factory):
    group_factory(name="North")
    org_factory(name="Existing", primary_domain="existing.com", customer_number="C-1")
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    content = csv_of(
        "New One,new-one.com,it@new-one.com,C-2,SE,01/02/2026,North",
        "Existing Renamed,existing.com,it@existing.com,C-1,SE,,",
        "Bad,http://bad.com,not-mail,C-3,Narnia,31/02/2026,Nowhere",
    )
    run = services.start_import(actor=actor, content=content, filename="orgs.csv")
    assert (run.total_rows, run.new_rows, run.update_rows, run.error_rows) == (3, 1, 1, 1)
    assert [r["action"] for r in run.preview] == ["new", "update", "error"]
    issues = {(i.row, i.column) for i in run.issues.all()}
    assert issues == {
        (4, "Primary domain"),
        (4, "Notification email"),
        (4, "Country"),
        (4, "Billing start date"),
        (4, "Organization groups"),
    }
    assert Organization.objects.count() == 1
    assert Organization.objects.get().name == "Existing"


def test_import_creates_updates_and_reports(as_actor, make_staff, org_factory, group_factory, run_import):
    north = group_factory(name="North")
    existing = org_factory(name="Existing", primary_domain="existing.com", customer_number="C-1")
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    run = run_import(
        actor,
        csv_of(
            "New One,new-one.com,it@new-one.com,C-2,Sweden,01/02/2026,North",
            "Existing Renamed,existing.com,it@existing.com,C-1,SE,,",
            "Bad,www.bad.com,it@bad.com,C-3,SE,,",
        ),
    )
    assert run.status == ImportStatus.COMPLETED
    assert (run.created, run.updated, run.skipped, run.failed) == (1, 1, 0, 1)
    new = Organization.objects.get(customer_number="C-2")
    assert (new.name, new.country.code, new.billing_start_date) == ("New One", "SE", dt.date(2026, 2, 1))
    assert list(new.groups.all()) == [north]
    existing.refresh_from_db()
    assert existing.name == "Existing Renamed"
    assert AuditEvent.objects.filter(action="organization.created", object_id=str(new.pk)).count() == 1
    updated = AuditEvent.objects.get(action="organization.updated", object_id=str(existing.pk))
    assert (updated.before["name"], updated.after["name"]) == ("Existing", "Existing Renamed")
    assert (run.job.status, run.job.percent) == (JobStatus.SUCCEEDED, 100)
    report = b"".join(_report_bytes(run)).decode("utf-8-sig")
    assert "4,Primary domain,Enter the domain without www." in report


def _report_bytes(run):
    from cloudbroker.core.imports import iter_csv
    from cloudbroker.imports.services import ERROR_REPORT_COLUMNS

    return iter_csv(ERROR_REPORT_COLUMNS, services.iter_error_report(run))


def test_reimporting_the_same_file_creates_nothing_twice(as_actor, make_staff, run_import):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    content = csv_of("Alpha,alpha.com,it@alpha.com,A-1,SE,,", "Beta,beta.com,it@beta.com,,SE,,")
    first = run_import(actor, content)
    assert first.created == 2
    second = services.start_import(actor=actor, content=content, filename="orgs.csv")
    assert (second.new_rows, second.update_rows, second.unchanged_rows) == (0, 0, 2)
    assert not second.can_confirm
    assert Organization.objects.count() == 2


def test_duplicates_inside_the_file_name_the_other_row(as_actor, make_staff):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    run = services.start_import(
        actor=actor,
        content=csv_of(
            "Alpha,alpha.com,it@alpha.com,A-1,SE,,",
            "Alpha again,alpha2.com,it@alpha.com,A-1,SE,,",
            "Alpha domain,ALPHA.com,it@alpha.com,A-3,SE,,",
        ),
        filename="d.csv",
    )
    messages = [i.message for i in run.issues.all()]
    assert "Customer number A-1 is also on row 2." in messages
    assert "Primary domain alpha.com is also on row 2." in messages


def test_account_manager_imports_only_into_own_groups(as_actor, make_staff, org_factory, group_factory, run_import):
    mine, other = group_factory(name="North"), group_factory(name="West")
    org_factory(name="Outside", primary_domain="outside.com", customer_number="X-1", groups=[other])
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine])
    actor = as_actor(kam)
    run = services.start_import(
        actor=actor,
        content=csv_of(
            "Mine,mine.com,it@mine.com,M-1,SE,,North",
            "No group,nogroup.com,it@nogroup.com,M-2,SE,,",
            "Their group,theirs.com,it@theirs.com,M-3,SE,,West",
            "Touch outside,outside.com,it@outside.com,X-1,SE,,North",
        ),
        filename="kam.csv",
    )
    by_row = issues_by_row(run)
    assert 2 not in by_row
    assert any("one of your organization groups" in m for m in by_row[3])
    assert any("no organization group named 'West'" in m for m in by_row[4])
    assert any("outside your organization groups" in m for m in by_row[5])
    result = run_import(actor, csv_of("Mine,mine.com,it@mine.com,M-1,SE,,North"))
    assert result.created == 1
    assert Organization.objects.get(customer_number="X-1").name == "Outside"
    assert [g.name for g in Organization.objects.get(customer_number="M-1").groups.all()] == ["North"]


def test_refused_files_write_nothing(as_actor, make_staff):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    for name in ("missing_columns.csv", "billion_laughs.xml", "external_entity.xml", "empty.csv"):
        with pytest.raises(ImportFileRefused):
            services.start_import(actor=actor, content=(DATA / name).read_bytes(), filename=name)
    assert not ImportRun.objects.exists()
    assert not Organization.objects.exists()


def test_a_failing_chunk_leaves_earlier_chunks_and_resumes(
    as_actor, make_staff, monkeypatch, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_import(actor=actor, content=five_rows("N"), filename="five.csv")
        services.confirm_import(actor=actor, run=run)
    original = services._write_chunk
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        result = original(*args, **kwargs)
        if calls["n"] == 2:
            raise RuntimeError("database went away")  # after writing: the whole chunk must roll back
        return result

    monkeypatch.setattr(services, "_write_chunk", flaky)
    drain_jobs()
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert sorted(Organization.objects.values_list("customer_number", flat=True)) == ["N-0", "N-1"]
    assert run.created == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.resume_import(actor=actor, run=run)
    drain_jobs()
    run.refresh_from_db()
    assert run.status == ImportStatus.COMPLETED
    assert Organization.objects.count() == 5
    assert run.created == 5


def test_a_killed_worker_is_resumed_by_the_sweeper(
    as_actor, make_staff, monkeypatch, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run = services.start_import(actor=actor, content=five_rows("K"), filename="five.csv")
            job = services.confirm_import(actor=actor, run=run)
        original = services._write_chunk
        calls = {"n": 0}

        class WorkerKilled(BaseException):
            """Not an Exception: the process dies, nothing marks the job failed."""

        def dying(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                raise WorkerKilled
            return original(*args, **kwargs)

        monkeypatch.setattr(services, "_write_chunk", dying)
        with pytest.raises(WorkerKilled):
            drain_jobs()
        monkeypatch.setattr(services, "_write_chunk", original)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert Organization.objects.count() == 2
    with time_machine.travel(start + jobs.STALE_AFTER + dt.timedelta(minutes=1), tick=False):
        assert str(job.pk) in jobs.requeue_stale_jobs()
        drain_jobs()
    run.refresh_from_db()
    assert run.status == ImportStatus.COMPLETED
    assert sorted(Organization.objects.values_list("customer_number", flat=True)) == [f"K-{i}" for i in range(5)]
    assert Job.objects.get(pk=job.pk).attempts == 2


def test_api_upload_preview_confirm_poll(api_client_for, make_staff, django_capture_on_commit_callbacks):
    client = api_client_for(make_staff(StaffRole.SUPER_ADMIN))
    upload = io.BytesIO(csv_of("Api Org,api-org.com,it@api-org.com,API-1,SE,,"))
    upload.name = "api.csv"
    response = client.client.post("/api/v1/imports/organizations", {"file": upload}, headers=client.headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["new_rows"], body["preview"][0]["action"]) == ("previewed", 1, "new")
    with django_capture_on_commit_callbacks(execute=True):
        confirm = client.post(f"/api/v1/imports/{body['id']}/confirm")
    assert confirm.status_code == 202
    job_id = confirm.json()["job_id"]
    assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "queued"
    drain_jobs()
    assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "succeeded"
    final = client.get(f"/api/v1/imports/{body['id']}").json()
    assert (final["status"], final["created"]) == ("completed", 1)
    again = client.post(f"/api/v1/imports/{body['id']}/confirm")
    assert again.status_code == 409


def test_api_refuses_a_bad_file_with_its_reason(api_client_for, make_staff):
    client = api_client_for(make_staff(StaffRole.SUPER_ADMIN))
    upload = io.BytesIO((DATA / "missing_columns.csv").read_bytes())
    upload.name = "missing.csv"
    response = client.client.post("/api/v1/imports/organizations", {"file": upload}, headers=client.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "import_file_refused"
    assert "mandatory" in response.json()["message"].lower()


@pytest.mark.parametrize(
    "name",
    [
        "orgs_utf8.csv",
        "orgs_cp1252.csv",
        "orgs_semicolon.csv",
        "orgs_libreoffice.xlsx",
        "orgs_xlsxwriter.xlsx",
        "orgs.xml",
    ],
)
def test_real_files_import(name, as_actor, make_staff, run_import):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    run = run_import(actor, (DATA / name).read_bytes(), filename=name)
    assert run.created >= 1
    assert run.created == Organization.objects.count()


def test_command_imports_and_refuses(broker, tmp_path, capsys):
    good = tmp_path / "orgs.csv"
    good.write_bytes(csv_of("Cmd Org,cmd-org.com,it@cmd-org.com,CMD-1,SE,,"))
    call_command("import_organizations", str(good), "--dry-run")
    assert not Organization.objects.exists()
    call_command("import_organizations", str(good), "--broker", broker.slug)
    assert Organization.objects.get().customer_number == "CMD-1"
    bad = tmp_path / "bad.xml"
    bad.write_bytes((DATA / "billion_laughs.xml").read_bytes())
    with pytest.raises(CommandError, match="refused"):
        call_command("import_organizations", str(bad))


def test_export_neutralises_formulas(portal, make_staff, org_factory):
    org_factory(name='=HYPERLINK("http://evil")', primary_domain="evil.com")
    response = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get("/organizations/export.csv")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in content
    assert "\n=HYPERLINK" not in content


def test_a_large_file_is_previewed_by_a_job(as_actor, make_staff, django_capture_on_commit_callbacks, portal):
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    actor = as_actor(user)
    rows = [f"Org {i},big{i}.com,it@big{i}.com,B-{i},SE,," for i in range(30)]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_import(actor=actor, content=csv_of(*rows), filename="big.csv", inline=False)
    assert run.status == ImportStatus.PREVIEWING
    page = portal(user).get(f"/imports/{run.pk}/")
    assert b"rows read" in page.content
    assert b'hx-trigger="every 1s"' in page.content
    drain_jobs()
    run.refresh_from_db()
    assert (run.status, run.total_rows, run.new_rows) == (ImportStatus.PREVIEWED, 30, 30)
    assert run.preview_job.status == JobStatus.SUCCEEDED
    assert not Organization.objects.exists()


def test_an_upload_on_disk_is_streamed_and_left_open(as_actor, make_staff, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(csv_of(*[f"Org {i},disk{i}.com,it@disk{i}.com,D-{i},SE,," for i in range(50)]))
    with path.open("rb") as handle:
        run = services.start_import(
            actor=as_actor(make_staff(StaffRole.GLOBAL_ADMIN)), content=handle, filename="big.csv"
        )
        assert not handle.closed  # the caller's file stays the caller's
    assert (run.status, run.new_rows) == (ImportStatus.PREVIEWED, 50)
    assert run.file.size == path.stat().st_size


def test_duplicates_across_chunks_name_the_first_row(as_actor, make_staff, monkeypatch):
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    run = services.start_import(
        actor=actor,
        content=csv_of(
            "Alpha,alpha.com,it@alpha.com,A-1,SE,,",
            "Beta,beta.com,it@beta.com,B-1,SE,,",
            "Alpha again,alpha2.com,it@alpha.com,A-1,SE,,",
            "Beta domain,BETA.com,it@beta.com,B-2,SE,,",
            "Alpha third,alpha.com,it@alpha.com,A-1,SE,,",
        ),
        filename="d.csv",
    )
    by_row = issues_by_row(run)
    assert by_row == {
        4: ["Customer number A-1 is also on row 2."],
        5: ["Primary domain beta.com is also on row 3."],
        6: ["Customer number A-1 is also on row 2.", "Primary domain alpha.com is also on row 2."],
    }
    assert (run.new_rows, run.error_rows) == (2, 3)


def test_rows_previewed_as_new_are_matched_again_when_the_data_changed(
    as_actor, make_staff, org_factory, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    content = csv_of(
        "Alpha,alpha.com,it@alpha.com,A-1,SE,,",
        "Beta,beta.com,it@beta.com,B-1,SE,,",
        "Gamma,gamma.com,it@gamma.com,G-1,SE,,",
    )
    run = services.start_import(actor=actor, content=content, filename="orgs.csv")
    assert run.new_rows == 3
    # Meanwhile someone creates the first organization, and another one holding the second's domain.
    alpha = org_factory(name="Alpha (by hand)", primary_domain="alpha.com", customer_number="A-1")
    org_factory(name="Other", primary_domain="beta.com", customer_number="X-9")
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_import(actor=actor, run=run)
    drain_jobs()
    run.refresh_from_db()
    assert run.status == ImportStatus.COMPLETED
    assert (run.created, run.updated, run.failed) == (1, 1, 1)
    alpha.refresh_from_db()
    assert alpha.name == "Alpha"
    assert Organization.objects.filter(customer_number="A-1").count() == 1
    assert [i.message for i in run.issues.filter(row=3)] == [
        "The domain beta.com belongs to an organization with customer number X-9"
    ]
    assert AuditEvent.objects.filter(action="organization.updated", object_id=str(alpha.pk)).count() == 1


def test_the_job_uses_the_preview_rows_and_makes_them_again_if_they_are_gone(
    as_actor, make_staff, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    first = services.start_import(
        actor=actor, content=csv_of("Alpha,alpha.com,it@alpha.com,A-1,SE,,"), filename="a.csv"
    )
    prepared = stored.prepared_name(first)
    assert first.file.storage.exists(prepared)
    first.file.storage.delete(prepared)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_import(actor=actor, run=first)
    drain_jobs()
    first.refresh_from_db()
    assert (first.status, first.created) == (ImportStatus.COMPLETED, 1)
    assert not first.file.storage.exists(prepared)  # removed once the import is done
    assert Organization.objects.get().customer_number == "A-1"


def test_the_created_event_holds_every_imported_value(as_actor, make_staff, group_factory, run_import):
    north = group_factory(name="North")
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    content = (
        "Name,Primary domain,Notification email,Customer number,Country,Billing start date,"
        "Approval process,Approval process limit,City,Organization groups\n"
        "Ünïcode AB,unicode.se,IT@unicode.se,U-1,SE,01/02/2026,TRUE,12000.5,Malmö,North\n"
    ).encode()
    run = run_import(actor, content)
    assert run.created == 1
    org = Organization.objects.get()
    event = AuditEvent.objects.get(action="organization.created")
    assert (event.object_id, event.organization_id, event.object_repr) == (str(org.pk), org.pk, "Ünïcode AB")
    assert (event.before, event.actor_id, event.broker_id) == (None, actor.user_id, actor.broker_id)
    assert event.after == {
        "name": "Ünïcode AB",
        "primary_domain": "unicode.se",
        "registration_number": "",
        "notification_email": "it@unicode.se",
        "approval_required": True,
        "approval_limit": "12000.50",
        "billing_start_date": "2026-02-01",
        "customer_number": "U-1",
        "street_address": "",
        "postal_code": "",
        "city": "Malmö",
        "state": "",
        "country": "SE",
        "contact_name": "",
        "contact_phone": "",
        "contact_email": "",
        "contact_cell_phone": "",
        "groups": [str(north.pk)],
    }


def test_unreadable_stored_rows_fail_the_job_and_a_rerun_completes_it(
    as_actor, make_staff, monkeypatch, django_capture_on_commit_callbacks
):
    """Stored rows that cannot be read fail the job after the chunks before them; a re-run makes
    them again from the upload."""
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    run = services.start_import(actor=actor, content=five_rows("U"), filename="five.csv")
    name, storage = stored.prepared_name(run), run.file.storage
    with storage.open(name, "rb") as handle:
        truncated = handle.read()[:-40]  # the last chunk cut short: the first chunks still read
    replace_stored_rows(run, truncated)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.confirm_import(actor=actor, run=run)
    drain_jobs()
    run.refresh_from_db()
    job.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert job.status == JobStatus.FAILED
    # Chunks before the damaged one were committed with their checkpoint; nothing after it.
    assert Organization.objects.count() == run.created < 5
    assert sorted(Organization.objects.values_list("customer_number", flat=True)) == [
        f"U-{i}" for i in range(run.created)
    ]
    assert "prepared rows cannot be read" in job.error
    # Run again, the rows are made again from the upload and the import completes, nothing twice.
    assert not storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        services.resume_import(actor=actor, run=run)
    drain_jobs()
    run.refresh_from_db()
    assert (run.status, run.created) == (ImportStatus.COMPLETED, 5)
    assert sorted(Organization.objects.values_list("customer_number", flat=True)) == [f"U-{i}" for i in range(5)]


def test_stored_rows_that_end_early_fail_the_job_instead_of_completing_it(
    as_actor, make_staff, monkeypatch, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    run = services.start_import(actor=actor, content=five_rows("E"), filename="five.csv")
    with run.file.storage.open(stored.prepared_name(run), "rb") as handle:
        first = pickle.load(handle)
    replace_stored_rows(run, pickle.dumps(first, protocol=5))  # the first chunk only, cut where it ends
    with django_capture_on_commit_callbacks(execute=True):
        job = services.confirm_import(actor=actor, run=run)
    drain_jobs()
    run.refresh_from_db()
    job.refresh_from_db()
    assert (run.status, job.status) == (ImportStatus.FAILED, JobStatus.FAILED)
    assert "end after 2 of 5 rows" in job.error
    with django_capture_on_commit_callbacks(execute=True):
        services.resume_import(actor=actor, run=run)
    drain_jobs()
    run.refresh_from_db()
    assert (run.status, run.created, Organization.objects.count()) == (ImportStatus.COMPLETED, 5, 5)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exported_file_imported_again_is_unchanged(
    file_format, portal, as_actor, make_staff, org_factory, group_factory
):
    north = group_factory(name="North")
    org_factory(
        name="=Formula Ltd",
        contact_phone="+46 8 123 456",
        contact_cell_phone="+46 70 123 45 67",
        contact_name="-Dash",
        street_address="@Home 1",
        approval_required=True,
        approval_limit="12000.50",
        groups=[north],
    )
    org_factory(name="Plain", contact_phone="08 123 456")
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    response = portal(user).get(f"/organizations/export.{file_format}")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if file_format == "csv":
        assert b"'+46 8 123 456" in content  # formulas stay neutralised
        assert b"'=Formula Ltd" in content
    run = services.start_import(actor=as_actor(user), content=content, filename=f"organizations.{file_format}")
    assert run.status == ImportStatus.PREVIEWED, run.refused_message
    assert list(run.issues.values_list("message", flat=True)) == []
    assert (run.total_rows, run.unchanged_rows, run.update_rows, run.error_rows) == (2, 2, 0, 0)


def test_the_import_and_the_service_record_the_same_created_event(as_actor, make_staff, group_factory, run_import):
    """One definition of 'organization.created' (``ORGANIZATION_CREATED``): the import's fast path
    (Python rows on SQLite, a statement built by PostgreSQL there) gives exactly the service's event."""
    from cloudbroker.organizations import services as organization_services

    north = group_factory(name="North")
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    values = {
        "name": "Ünïcode AB",
        "primary_domain": "unicode.se",
        "registration_number": "556677-8899",
        "notification_email": "IT@unicode.se",
        "approval_required": "TRUE",
        "approval_limit": "12000.5",
        "billing_start_date": "01/02/2026",
        "customer_number": "U-1",
        "street_address": "Storgatan 1",
        "postal_code": "111 22",
        "city": "Malmö",
        "state": "Skåne",
        "country": "Sweden",
        "contact_name": "Alex Andersson",
        "contact_phone": "+46 8 123 456",
        "contact_email": "alex@unicode.se",
        "contact_cell_phone": "+46 70 123 45 67",
    }
    from cloudbroker.organizations.imports import ORGANIZATION_SPEC
    from cloudbroker.organizations.validation import ORGANIZATION_FIELDS

    labels = [ORGANIZATION_SPEC.column(f).label for f in ORGANIZATION_FIELDS]
    content = ",".join([*labels, "Organization groups"]) + "\n" + ",".join([*values.values(), "North"]) + "\n"
    assert run_import(actor, content.encode()).created == 1
    imported = AuditEvent.objects.get(action="organization.created")
    Organization.objects.all().delete()
    made = organization_services.create_organization(actor=actor, data=values, group_ids=[north.pk])
    service = AuditEvent.objects.exclude(pk=imported.pk).get(action="organization.created")
    assert service.object_id == str(made.pk)
    fields = ("action", "object_type", "object_repr", "before", "after", "actor_id", "actor_label", "broker_id")
    assert {f: getattr(imported, f) for f in fields} == {f: getattr(service, f) for f in fields}
    assert set(imported.after) == {*ORGANIZATION_FIELDS, "groups"}


def test_the_command_imports_a_conflict_only_when_it_is_accepted(broker, org_factory, tmp_path):
    other = org_factory(name="Fabrikam AB", primary_domain="fabrikam.se", customer_number="C-1")
    path = tmp_path / "orgs.csv"
    path.write_bytes(csv_of("Contoso Ltd,contoso.com,it@contoso.com,C-1,SE,,"))
    with pytest.raises(CommandError, match="--accept ROW"):
        call_command("import_organizations", str(path))
    other.refresh_from_db()
    assert other.name == "Fabrikam AB"
    call_command("import_organizations", str(path), "--accept", "2")
    other.refresh_from_db()
    assert other.name == "Contoso Ltd"
