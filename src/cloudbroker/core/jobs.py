"""Long work as jobs: a ``Job`` row people can watch, run by huey after the transaction commits.

A runner is a function registered for a job kind with :func:`job_runner`. It receives a
:class:`JobContext` to report progress and log lines, and may keep a checkpoint in
``job.result`` so that a re-run after a killed worker resumes where it stopped. A runner must
be idempotent: running the same job twice never does the work twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from cloudbroker.core.choices import JobStatus
from cloudbroker.core.models import Job

__all__ = ["JobContext", "enqueue_job", "job_runner", "run_job", "runner_for"]

log = structlog.get_logger(__name__)

Runner = Callable[["JobContext"], dict[str, Any] | None]
_RUNNERS: dict[str, Runner] = {}

STALE_AFTER = dt.timedelta(minutes=5)
MAX_LOG_LINES = 500


def job_runner(kind: str) -> Callable[[Runner], Runner]:
    def register(fn: Runner) -> Runner:
        _RUNNERS[kind] = fn
        return fn

    return register


def runner_for(kind: str) -> Runner:
    return _RUNNERS[kind]


class JobContext:
    """What a runner uses to talk about its progress. Writes are their own small transactions."""

    def __init__(self, job: Job) -> None:
        self.job = job

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    @property
    def checkpoint(self) -> dict[str, Any]:
        return self.job.result.get("checkpoint", {})

    def progress(self, done: int, total: int | None = None) -> None:
        self.job.progress_done = done
        fields = ["progress_done", "heartbeat_at"]
        if total is not None:
            self.job.progress_total = total
            fields.append("progress_total")
        self.job.heartbeat_at = timezone.now()
        Job.objects.filter(pk=self.job.pk).update(**{f: getattr(self.job, f) for f in fields})

    def log(self, message: str) -> None:
        stamp = timezone.now().isoformat(timespec="seconds")
        self.job.log = [*self.job.log, f"{stamp} {message}"][-MAX_LOG_LINES:]
        Job.objects.filter(pk=self.job.pk).update(log=self.job.log)

    def save_checkpoint(self, **data: Any) -> None:
        """Store resume data; call it inside the transaction that did the work it describes."""
        self.job.result = {**self.job.result, "checkpoint": {**self.checkpoint, **data}}
        self.job.heartbeat_at = timezone.now()
        Job.objects.filter(pk=self.job.pk).update(result=self.job.result, heartbeat_at=self.job.heartbeat_at)

    def merge_checkpoint(self, merge: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """``save_checkpoint`` for a runner whose work commits from several connections at once.

        Call it inside the transaction that did the work: the job's row is locked, the checkpoint as
        committed so far is read and given to ``merge``, and what ``merge`` returns is stored. Two
        transactions merging at once take turns, so neither loses what the other recorded.
        """
        result = Job.objects.select_for_update().values_list("result", flat=True).get(pk=self.job.pk) or {}
        checkpoint = merge(dict(result.get("checkpoint", {})))
        result = {**result, "checkpoint": checkpoint}
        Job.objects.filter(pk=self.job.pk).update(result=result, heartbeat_at=timezone.now())
        self.job.result = result
        return checkpoint


def enqueue_job(*, kind: str, broker_id, created_by=None, params: dict[str, Any] | None = None) -> Job:
    """Create the job row now; hand it to the worker only once the surrounding transaction commits."""
    if kind not in _RUNNERS:
        raise KeyError(f"No runner registered for job kind {kind!r}")
    job = Job.objects.create(kind=kind, broker_id=broker_id, created_by=created_by, params=params or {})
    transaction.on_commit(lambda: _send(job.pk))
    return job


def _send(job_id) -> None:
    run_job_task(str(job_id))


def run_job(job_id, *, context_factory: Callable[[Job], JobContext] = JobContext) -> Job | None:
    """Run one job in this process. Safe to call twice: a finished or running job is left alone."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return job
        stale = job.heartbeat_at is None or job.heartbeat_at < timezone.now() - STALE_AFTER
        if job.status == JobStatus.RUNNING and not stale:
            return job
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "updated_at"])

    ctx = context_factory(job)
    try:
        summary = runner_for(job.kind)(ctx) or {}
    except Exception as exc:
        log.exception("job.failed", job_id=str(job.pk), kind=job.kind)
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
    else:
        result = {**ctx.job.result, **summary}
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.SUCCEEDED, result=result, finished_at=timezone.now(), heartbeat_at=timezone.now()
        )
    job.refresh_from_db()
    return job


@db_task(name="core.run_job")
def run_job_task(job_id: str) -> None:
    run_job(job_id)


def requeue_stale_jobs(now: dt.datetime | None = None) -> list[str]:
    """Jobs whose worker died (queued or running, no heartbeat for a while) are sent again."""
    now = now or timezone.now()
    stale = (
        Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .exclude(heartbeat_at__gte=now - STALE_AFTER)
        .filter(created_at__lt=now - STALE_AFTER)
    )
    ids = [str(pk) for pk in stale.values_list("pk", flat=True)]
    for job_id in ids:
        _send(job_id)
    return ids
