"""Jobs through huey's real storage (SQLite by default, Redis when REDIS_URL is set)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from django.db import transaction
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage, SqliteStorage

from cloudbroker.core import jobs
from cloudbroker.core.choices import JobStatus
from cloudbroker.core.models import Job
from cloudbroker.core.testing import drain_jobs, flush_jobs, pending_job_ids
from tests.factories import JobFactory

pytestmark = [pytest.mark.jobs, pytest.mark.django_db]

CALLS: list[tuple[str, int]] = []


@jobs.job_runner("test.count")
def count_runner(ctx: jobs.JobContext):
    """Counts to params['to'] in steps, checkpointing each; fails once at params['fail_at']."""
    start = ctx.checkpoint.get("next", 0)
    total = ctx.params["to"]
    ctx.progress(start, total)
    for i in range(start, total):
        if ctx.params.get("fail_at") == i and not ctx.checkpoint.get("failed_once"):
            ctx.save_checkpoint(failed_once=True)
            raise RuntimeError(f"boom at {i}")
        CALLS.append((str(ctx.job.pk), i))
        ctx.save_checkpoint(next=i + 1)
        ctx.progress(i + 1)
    ctx.log(f"counted to {total}")
    return {"counted": total}


@pytest.fixture(autouse=True)
def _clean_queue():
    flush_jobs()
    CALLS.clear()
    yield
    flush_jobs()


def test_storage_follows_configuration():
    expected = RedisStorage if os.environ.get("REDIS_URL") else SqliteStorage
    assert isinstance(HUEY.storage, expected)


def test_job_is_sent_only_after_commit(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            job = jobs.enqueue_job(kind="test.count", broker_id=broker.pk, params={"to": 3})
            assert pending_job_ids() == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert pending_job_ids() == [str(job.pk)]


def test_rolled_back_job_is_never_sent(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                jobs.enqueue_job(kind="test.count", broker_id=broker.pk, params={"to": 3})
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert pending_job_ids() == []
    assert not Job.objects.exists()


def test_job_runs_with_progress_log_and_result(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue_job(kind="test.count", broker_id=broker.pk, params={"to": 4})
    assert drain_jobs() == ["core.run_job"]
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (job.progress_done, job.progress_total, job.percent) == (4, 4, 100)
    assert job.result["counted"] == 4
    assert job.log[-1].endswith("counted to 4")
    assert job.finished_at is not None


def test_running_a_finished_job_again_does_nothing(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue_job(kind="test.count", broker_id=broker.pk, params={"to": 2})
    drain_jobs()
    jobs.run_job(job.pk)
    jobs.run_job(job.pk)
    assert len(CALLS) == 2


def test_failure_is_recorded(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue_job(kind="test.count", broker_id=broker.pk, params={"to": 5, "fail_at": 2})
    drain_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "boom at 2" in job.error
    assert job.progress_done == 2


def test_killed_worker_is_resumed_from_its_checkpoint(broker):
    # A worker took the job, did two steps, then died: the row says running, the heartbeat stops.
    start = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        job = JobFactory(
            broker=broker,
            kind="test.count",
            params={"to": 5},
            status=JobStatus.RUNNING,
            result={"checkpoint": {"next": 2}},
            heartbeat_at=start,
            attempts=1,
        )
        assert jobs.requeue_stale_jobs() == []  # still fresh: nobody steals a live job
    with time_machine.travel(start + jobs.STALE_AFTER + dt.timedelta(seconds=1), tick=False):
        assert jobs.requeue_stale_jobs() == [str(job.pk)]
        drain_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert [i for _, i in CALLS] == [2, 3, 4]  # steps 0 and 1 were not done twice
    assert job.attempts == 2


def test_a_live_running_job_is_not_run_twice(broker):
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        job = JobFactory(broker=broker, kind="test.count", params={"to": 2}, status=JobStatus.RUNNING, heartbeat_at=now)
        jobs.run_job(job.pk)
    assert CALLS == []


def test_unknown_job_kind_is_refused(broker):
    with pytest.raises(KeyError):
        jobs.enqueue_job(kind="no.such.kind", broker_id=broker.pk)
