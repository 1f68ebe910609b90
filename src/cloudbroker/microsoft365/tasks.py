"""The periodic Partner Center sync: every connection whose interval has passed is synced."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cloudbroker.microsoft365 import services
from cloudbroker.microsoft365.models import PartnerCenterConnection


def due_syncs(now: dt.datetime | None = None) -> list[str]:
    """Start a sync job for each broker whose interval has passed and that has none running."""
    now = now or timezone.now()
    started = []
    for connection in PartnerCenterConnection.objects.filter(sync_enabled=True):
        last = connection.last_synced_at
        if last and last + dt.timedelta(minutes=connection.sync_interval_minutes) > now:
            continue
        try:
            job = services.start_sync(broker_id=connection.broker_id)
        except services.SyncAlreadyRunning:
            continue
        started.append(str(job.pk))
    return started


@db_periodic_task(crontab(minute="*/5"), name="microsoft365.periodic_sync")
def periodic_sync_task() -> None:
    due_syncs()
