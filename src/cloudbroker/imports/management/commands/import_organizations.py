"""manage.py import_organizations FILE [--broker SLUG] [--dry-run] [--accept ROW ...]

The same import as the portal and the API: the file is read and every row classified (new,
update, unchanged, error); without --dry-run the rows are then written chunk by chunk, with a
progress bar. Exits non-zero with a clear message when the file is refused, or when a row is a
conflict (its customer number is another organization's, with another name and domain) that was not
accepted with --accept ROW.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cloudbroker.brokers.models import Broker
from cloudbroker.core.actors import Actor
from cloudbroker.core.errors import DomainError, ValidationFailed
from cloudbroker.core.jobs import JobContext
from cloudbroker.core.models import Job
from cloudbroker.imports import services
from cloudbroker.imports.choices import ImportStatus


class _ProgressContext(JobContext):
    """Runs a job's runner in this process and mirrors its progress to a rich progress bar."""

    def __init__(self, job: Job, progress: Progress, task) -> None:
        super().__init__(job)
        self._bar, self._task = progress, task

    def progress(self, done: int, total: int | None = None) -> None:
        super().progress(done, total)
        self._bar.update(self._task, completed=done, total=total or self.job.progress_total)


class Command(BaseCommand):
    help = "Import organizations from a CSV, XLSX or XML file (the template of the import page)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--broker", help="broker slug (optional when there is only one broker)")
        parser.add_argument("--dry-run", action="store_true", help="read and check the file, write nothing")
        parser.add_argument(
            "--accept",
            type=int,
            action="append",
            default=[],
            metavar="ROW",
            help="accept the conflict of this row (repeat for each conflict the preview lists)",
        )

    def handle(self, *args, file: Path, broker: str | None, dry_run: bool, accept: list[int], **options):
        console = Console(stderr=True)
        broker_obj = self._broker(broker)
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        actor = Actor.system(broker_obj)
        try:
            run = services.start_import(
                actor=actor, content=file.read_bytes(), filename=file.name, dry_run=dry_run, inline=True
            )
        except DomainError as exc:
            raise CommandError(f"The file was refused: {exc.message}") from None
        if run.status == ImportStatus.REFUSED:
            raise CommandError(f"The file was refused: {run.refused_message}")
        self.stdout.write(
            f"{run.total_rows} rows: {run.new_rows} new, {run.update_rows} update, "
            f"{run.unchanged_rows} unchanged, {run.error_rows} with errors."
        )
        for issue in run.issues.all()[:20]:
            self.stdout.write(f"  Row {issue.row}, {issue.column}: {issue.message}")
        if run.error_rows > 20:
            self.stdout.write(f"  … and more: see import {run.pk} for the full error report.")
        for c in run.conflicts:
            self.stdout.write(
                f"  Row {c['row']}: conflict: customer number {c['customer_number']} is {c['name']} ({c['domain']}), "
                f"the row would make it {c['new_name']} ({c['new_domain']})."
            )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
            return
        if not run.can_confirm:
            self.stdout.write("Nothing to import.")
            return
        try:
            job = services.confirm_import(actor=actor, run=run, accepted_conflicts=accept)
        except ValidationFailed as exc:
            lines = "\n".join(f"  {e.message}" for e in exc.errors)
            raise CommandError(f"Nothing was imported:\n{lines}\nAccept each conflict with --accept ROW.") from None
        except DomainError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from None
        with Progress(
            TextColumn("Importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("import", total=run.total_rows)
            from cloudbroker.core.jobs import run_job

            run_job(job.pk, context_factory=lambda j: _ProgressContext(j, progress, task))
        run.refresh_from_db()
        job.refresh_from_db()
        if run.status != ImportStatus.COMPLETED:
            raise CommandError(f"The import stopped: {job.error}. Run it again with the same file to continue.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {run.created} created, {run.updated} updated, {run.skipped} unchanged, {run.failed} failed."
            )
        )

    def _broker(self, slug: str | None) -> Broker:
        if slug:
            found = Broker.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"No broker with the slug {slug!r}.")
            return found
        brokers = list(Broker.objects.all()[:2])
        if len(brokers) != 1:
            raise CommandError("Name the broker with --broker SLUG (there is not exactly one).")
        return brokers[0]
