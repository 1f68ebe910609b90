"""manage.py sync_catalog [--broker SLUG]: read the catalog and the price sheet from Partner Center now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cloudbroker.brokers.models import Broker
from cloudbroker.core.errors import DomainError
from cloudbroker.microsoft365.catalog_sync import sync_catalog


class Command(BaseCommand):
    help = "Sync the broker's catalog (products, offers, vendor prices) from Partner Center."

    def add_arguments(self, parser):
        parser.add_argument("--broker", help="broker slug (optional when there is only one broker)")

    def handle(self, *args, broker: str | None, **options):
        if broker:
            item = Broker.objects.filter(slug=broker).first()
            if item is None:
                raise CommandError(f"No broker with the slug {broker!r}.")
        else:
            brokers = list(Broker.objects.all()[:2])
            if not brokers:
                raise CommandError("There is no broker yet.")
            if len(brokers) > 1:
                raise CommandError("There is more than one broker: name one with --broker SLUG.")
            item = brokers[0]
        with Progress(
            TextColumn(f"{item.name}: catalog ({item.market})"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        ) as progress:
            task = progress.add_task("catalog", total=None)
            try:
                result = sync_catalog(
                    item.pk,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
            except DomainError as exc:
                raise CommandError(f"{item.name}: {exc.message}") from None
        self.stdout.write(f"{item.name}: {result.summary()}")
        for failure in result.get("failures", []):
            self.stderr.write(f"{item.name}: not synced this time: {failure}")
