"""huey tasks of the core: run a job, and re-send jobs whose worker died."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from cloudbroker.core import jobs, outbox


@db_task(name="core.run_job")
def run_job_task(job_id: str) -> None:
    jobs.run_job(job_id)


@db_periodic_task(crontab(minute="*/2"), name="core.requeue_stale_jobs")
def requeue_stale_jobs_task() -> None:
    jobs.requeue_stale_jobs()


@db_task(name="core.deliver_outbox")
def deliver_outbox_task(message_id: str) -> None:
    outbox.deliver(message_id)


@db_periodic_task(crontab(minute="*"), name="core.resend_outbox")
def resend_outbox_task() -> None:
    outbox.resend_due()
