"""manage.py sync_partner_center [--broker SLUG]: pull customers, subscriptions and users now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cloudbroker.brokers.models import Broker
from cloudbroker.core.errors import DomainError
from cloudbroker.microsoft365.sync import sync_broker


class Command(BaseCommand):
    help = "Sync Microsoft 365 tenants, subscriptions and users from Partner Center."

    def add_arguments(self, parser):
        parser.add_argument("--broker", help="broker slug (optional when there is only one broker)")

    def handle(self, *args, broker: str | None, **options):
        if broker:
            brokers = list(Broker.objects.filter(slug=broker))
            if not brokers:
                raise CommandError(f"No broker with the slug {broker!r}.")
        else:
            brokers = list(Broker.objects.filter(partner_center__isnull=False))
            if not brokers:
                raise CommandError("No broker has a Partner Center connection yet.")
        console = Console(stderr=True)
        for item in brokers:
            with Progress(
                TextColumn(f"{item.name}: tenants"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task("sync", total=None)
                try:
                    result = sync_broker(
                        item.pk,
                        progress=lambda done, total, bar=progress, task=task: bar.update(
                            task, completed=done, total=total
                        ),
                    )
                except DomainError as exc:
                    raise CommandError(f"{item.name}: {exc.message}") from None
            self.stdout.write(f"{item.name}: {result.summary()}")
            for failure in result.get("failures", []):
                self.stderr.write(f"{item.name}: not synced this time: {failure}")
