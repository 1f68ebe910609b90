"""The periodic Partner Center syncs: tenants of every connection whose interval has passed, and the
catalog of every connected broker once a day."""

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


def due_catalog_syncs() -> list[str]:
    """Start a catalog sync job for each broker whose connection syncs automatically ("Sync
    automatically" on the connection page) and that has none running."""
    started = []
    for broker_id in PartnerCenterConnection.objects.filter(sync_enabled=True).values_list("broker_id", flat=True):
        try:
            job = services.start_catalog_sync(broker_id=broker_id)
        except services.CatalogSyncAlreadyRunning:
            continue
        started.append(str(job.pk))
    return started


@db_periodic_task(crontab(hour="4", minute="15"), name="microsoft365.daily_catalog_sync")
def daily_catalog_sync_task() -> None:
    """Microsoft's price lists change on the first of a month and are previewed a month ahead; a
    daily read keeps new products, withdrawals and scheduled prices current."""
    due_catalog_syncs()


@db_periodic_task(crontab(minute="*/15"), name="microsoft365.scheduled_purchases")
def scheduled_purchases_task() -> None:
    """Buy what was scheduled for today (seed 001 §4), once."""
    from cloudbroker.microsoft365.ordering import provision_due

    provision_due()
