"""The core's periodic huey tasks: re-send jobs whose worker died and outbox messages that are due.

The tasks that run one job or deliver one message are defined beside what they run
(``jobs.run_job_task``, ``outbox.deliver_outbox_task``); this module only schedules.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cloudbroker.core import jobs, outbox

__all__ = ["requeue_stale_jobs_task", "resend_outbox_task"]


@db_periodic_task(crontab(minute="*/2"), name="core.requeue_stale_jobs")
def requeue_stale_jobs_task() -> None:
    jobs.requeue_stale_jobs()


@db_periodic_task(crontab(minute="*"), name="core.resend_outbox")
def resend_outbox_task() -> None:
    outbox.resend_due()
