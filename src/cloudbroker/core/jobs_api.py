import datetime as dt
import uuid

from ninja import Router, Schema

from cloudbroker.core.api import actor_of, requires
from cloudbroker.core.models import Job
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    progress_done: int
    progress_total: int | None
    percent: int
    log: list[str]
    result: dict
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


@router.get("/{job_id}", response=JobOut, summary="A background job's status, progress and result")
@requires(Perm.JOB_VIEW, lookup=(Job.objects, "job_id"))
def get_job(request, job_id: uuid.UUID):
    return get_visible_or_404(Job.objects, actor_of(request), job_id)
