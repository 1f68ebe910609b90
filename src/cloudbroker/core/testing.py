"""Helpers for tests of job code: run what is waiting in huey's real storage, in this process."""

from __future__ import annotations

from huey.contrib.djhuey import HUEY

from cloudbroker.core import jobs, outbox

__all__ = ["drain_jobs", "flush_jobs", "pending_job_ids"]

_RUN_JOB = "core.run_job"


def flush_jobs() -> None:
    HUEY.flush()


def pending_job_ids() -> list[str]:
    return [task.args[0] for task in HUEY.pending() if task.name == _RUN_JOB]


def drain_jobs(limit: int = 1000) -> list[str]:
    """Take each task from the queue (SQLite or Redis storage) and run it here.

    The worker's task wrapper closes database connections between tasks, which would end a
    test's transaction, so the job function is called directly with the task's own arguments.
    """
    ran = []
    for _ in range(limit):
        task = HUEY.dequeue()
        if task is None:
            break
        args, kwargs = task.data
        if task.name == _RUN_JOB:
            jobs.run_job(*args, **kwargs)
        elif task.name == "core.deliver_outbox":
            outbox.deliver(*args, **kwargs)
        else:
            task.execute()
        ran.append(task.name)
    return ran
