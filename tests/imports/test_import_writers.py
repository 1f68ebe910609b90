"""The import job's writers: on PostgreSQL two connections write chunks at once. Every chunk still
commits whole or not at all with its checkpoint, a chunk committed ahead of a failed one is not
written again on resume, and chunks that update organizations are written alone, in file order.

These tests commit for real (``transaction=True``): the writers' own connections only see what
this test's connection has committed."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, transaction
from django.db import connection as db_connection

from cloudbroker.core.choices import JobStatus
from cloudbroker.core.imports import RowAction
from cloudbroker.core.models import AuditEvent, Job
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.imports import services, writers
from cloudbroker.imports.models import ImportRun, ImportStatus
from cloudbroker.organizations.models import Organization

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.jobs]

on_postgres = pytest.mark.skipif(
    db_connection.vendor != "postgresql",
    reason="two writers run only on PostgreSQL; on SQLite, which allows one writer at a time, the "
    "import writes with one connection (the other tests of this file cover that path)",
)

HEADER = "Name,Primary domain,Notification email,Customer number,Country,Billing start date,Organization groups\n"


def rows_of(prefix: str, count: int) -> bytes:
    lines = "".join(
        f"Org {i},{prefix.lower()}{i}.com,it@{prefix.lower()}{i}.com,{prefix}-{i},SE,,\n" for i in range(count)
    )
    return (HEADER + lines).encode()


def numbers_in(outcomes) -> set[str]:
    return {o.cleaned.get("customer_number") for o in outcomes}


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch):
    flush_jobs()
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    yield
    flush_jobs()


def start(actor, content: bytes) -> tuple[ImportRun, Job]:
    run = services.start_import(actor=actor, content=content, filename="orgs.csv")
    assert run.status == ImportStatus.PREVIEWED, run.refused_message
    job = services.confirm_import(actor=actor, run=run)
    return run, job


def work(run: ImportRun) -> None:
    """Let the worker run what is queued, then read the run again."""
    drain_jobs()
    run.refresh_from_db()


def rerun(actor, run: ImportRun) -> None:
    """Run a failed import again and let it finish."""
    services.resume_import(actor=actor, run=run)
    work(run)


def checkpoint_of(job: Job) -> dict:
    job.refresh_from_db()
    return job.result.get("checkpoint", {})


def test_merging_chunks_out_of_order_keeps_the_committed_prefix():
    checkpoint = {}
    checkpoint = writers.merge_chunk(checkpoint, 2, 4, {"created": 2, "updated": 0, "skipped": 0, "failed": 0})
    assert (checkpoint["next_index"], checkpoint["committed"]) == (0, {"2": 4})
    checkpoint = writers.merge_chunk(checkpoint, 4, 5, {"created": 0, "updated": 1, "skipped": 0, "failed": 0})
    assert (checkpoint["next_index"], checkpoint["committed"]) == (0, {"2": 4, "4": 5})
    checkpoint = writers.merge_chunk(checkpoint, 0, 2, {"created": 1, "updated": 0, "skipped": 0, "failed": 1})
    assert (checkpoint["next_index"], checkpoint["committed"]) == (5, {})
    assert [checkpoint[k] for k in ("created", "updated", "skipped", "failed")] == [3, 1, 0, 1]


@on_postgres
def test_two_writers_write_at_once_and_create_everything_once(as_actor, make_staff, monkeypatch):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    run, job = start(actor, rows_of("P", 9))
    original = services._write_chunk
    together = threading.Barrier(2, timeout=20)
    writers: set[str] = set()

    def first_chunks_meet(*args, **kwargs):
        name = threading.current_thread().name
        if name not in writers:
            writers.add(name)
            together.wait()  # broken (and the job failed) unless the other writer is writing too
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_write_chunk", first_chunks_meet)
    work(run)
    assert (run.status, run.created, run.failed) == (ImportStatus.COMPLETED, 9, 0)
    assert writers == {"import-writer-0", "import-writer-1"}
    assert sorted(Organization.objects.values_list("customer_number", flat=True)) == [f"P-{i}" for i in range(9)]
    created = AuditEvent.objects.filter(action="organization.created")
    assert created.count() == 9
    assert {e.object_id for e in created} == {str(pk) for pk in Organization.objects.values_list("pk", flat=True)}
    checkpoint = checkpoint_of(job)
    assert (checkpoint["next_index"], checkpoint["committed"], checkpoint["created"]) == (9, {}, 9)
    assert Job.objects.get(pk=job.pk).progress_done == 9


@on_postgres
def test_a_chunk_committed_ahead_of_a_failed_one_is_not_written_again(as_actor, make_staff, monkeypatch):
    """Chunk 0 fails after chunk 1 (written by the other writer) has committed: the checkpoint keeps
    chunk 1 aside, and the resumed import writes chunk 0 and the rest, never chunk 1 again."""
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    run, job = start(actor, rows_of("A", 5))
    original = services._write_chunk
    ahead_committed = threading.Event()

    def chunk_zero_fails_late(actor_, run_, outcomes, staging):
        numbers = numbers_in(outcomes)
        if "A-0" in numbers:
            assert ahead_committed.wait(20)
            raise RuntimeError("database went away")
        result = original(actor_, run_, outcomes, staging)
        if "A-2" in numbers:
            transaction.on_commit(ahead_committed.set)
        return result

    monkeypatch.setattr(services, "_write_chunk", chunk_zero_fails_late)
    work(run)
    assert run.status == ImportStatus.FAILED
    assert "database went away" in Job.objects.get(pk=job.pk).error
    written = set(Organization.objects.values_list("customer_number", flat=True))
    assert {"A-2", "A-3"} <= written
    assert not written & {"A-0", "A-1"}
    checkpoint = checkpoint_of(job)
    assert checkpoint["next_index"] == 0
    assert checkpoint["committed"]["2"] == 4
    assert run.created == checkpoint["created"] == len(written)

    resumed: list[set[str]] = []

    def record(actor_, run_, outcomes, staging):
        resumed.append(numbers_in(outcomes))
        return original(actor_, run_, outcomes, staging)

    monkeypatch.setattr(services, "_write_chunk", record)
    rerun(actor, run)
    assert (run.status, run.created, run.skipped) == (ImportStatus.COMPLETED, 5, 0)
    assert {"A-0", "A-1"} in resumed
    assert not any("A-2" in numbers for numbers in resumed)
    assert sorted(Organization.objects.values_list("customer_number", flat=True)) == [f"A-{i}" for i in range(5)]
    assert AuditEvent.objects.filter(action="organization.created").count() == 5


def test_chunks_that_update_are_written_alone(as_actor, make_staff, org_factory, monkeypatch):
    for i in (2, 3):
        org_factory(name=f"Old {i}", primary_domain=f"u{i}.com", customer_number=f"U-{i}")
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    run, _ = start(actor, rows_of("U", 8))
    original = services._write_chunk
    lock = threading.Lock()
    state = {"writing": 0, "updating": False, "reader": None}
    overlaps: list[str] = []
    # Set when, during an update chunk, the reader is found waiting for it (right) or another
    # writer starts a chunk (the fault): the update chunk holds its writer until one of them happens.
    moved_on = threading.Event()

    def watch(actor_, run_, outcomes, staging):
        updates = any(o.action == RowAction.UPDATE for o in outcomes)
        with lock:
            state["writing"] += 1
            if state["updating"] or (updates and state["writing"] > 1):
                overlaps.append(", ".join(sorted(numbers_in(outcomes))))
                moved_on.set()
            state["updating"] = state["updating"] or updates
            if updates:
                moved_on.clear()
        try:
            # (Written by the reader itself — one writer, as on SQLite — nobody else can move on.)
            if updates and threading.get_ident() != state["reader"]:
                assert moved_on.wait(timeout=60), "neither the reader nor another writer moved on"
            return original(actor_, run_, outcomes, staging)
        finally:
            with lock:
                state["writing"] -= 1
                if updates:
                    state["updating"] = False

    def wait_idle(self):
        with self.idle:
            while not self.idle.wait_for(lambda: self.busy == 0, timeout=0.01):
                with lock:
                    if state["updating"]:
                        moved_on.set()  # the reader waits for the update chunk instead of sending another

    original_submit = writers.Writers.submit

    def submit(self, item, *, alone=False):
        state["reader"] = threading.get_ident()
        return original_submit(self, item, alone=alone)

    monkeypatch.setattr(writers.Writers, "_wait_idle", wait_idle)
    monkeypatch.setattr(writers.Writers, "submit", submit)
    monkeypatch.setattr(services, "_write_chunk", watch)
    work(run)
    assert (run.status, run.created, run.updated) == (ImportStatus.COMPLETED, 6, 2)
    assert overlaps == []
    assert Organization.objects.get(customer_number="U-2").name == "Org 2"


def test_a_failing_writer_fails_the_job_and_the_rerun_completes_it(as_actor, make_staff, monkeypatch):
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    run, job = start(actor, rows_of("F", 7))
    original = services._write_chunk

    def chunk_with_f4_fails(actor_, run_, outcomes, staging):
        result = original(actor_, run_, outcomes, staging)
        if "F-4" in numbers_in(outcomes):
            raise RuntimeError("disk full")  # after writing: the whole chunk must roll back
        return result

    monkeypatch.setattr(services, "_write_chunk", chunk_with_f4_fails)
    work(run)
    assert run.status == ImportStatus.FAILED
    assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED
    written = set(Organization.objects.values_list("customer_number", flat=True))
    assert not written & {"F-4", "F-5"}
    assert run.created == len(written) == checkpoint_of(job)["created"]

    monkeypatch.setattr(services, "_write_chunk", original)
    rerun(actor, run)
    assert (run.status, run.created) == (ImportStatus.COMPLETED, 7)
    assert sorted(Organization.objects.values_list("customer_number", flat=True)) == [f"F-{i}" for i in range(7)]
    assert AuditEvent.objects.filter(action="organization.created").count() == 7


@on_postgres
def test_a_writer_that_cannot_start_fails_the_job_and_the_rerun_completes_it(as_actor, make_staff, monkeypatch):
    """A writer whose connection fails before it writes anything (its staging table cannot be
    made): the job fails with that error instead of waiting for it, and a re-run completes."""
    actor = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    run, job = start(actor, rows_of("S", 6))
    original = services._staging

    def second_writer_broken(importer):
        if threading.current_thread().name == "import-writer-1":
            raise OperationalError("connection to server lost")
        return original(importer)

    monkeypatch.setattr(services, "_staging", second_writer_broken)
    work(run)
    assert run.status == ImportStatus.FAILED
    assert "connection to server lost" in Job.objects.get(pk=job.pk).error
    assert run.created == Organization.objects.count() == checkpoint_of(job).get("created", 0)

    monkeypatch.setattr(services, "_staging", original)
    rerun(actor, run)
    assert (run.status, run.created) == (ImportStatus.COMPLETED, 6)
    assert sorted(Organization.objects.values_list("customer_number", flat=True)) == [f"S-{i}" for i in range(6)]
