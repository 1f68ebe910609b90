"""Bulk import, for every kind of record: upload → preview (every row classified, every error
named) → confirm → a job that writes chunk by chunk. Each chunk commits whole or not at all,
together with the job's checkpoint, so a killed worker resumes where it stopped and a re-run never
creates anything twice.

This is the flow only. What a row means and how it is written belongs to the kind's importer
(``cloudbroker.core.imports.registry``; organizations: ``cloudbroker.organizations.imports``);
the preview's cleaned rows are kept by :mod:`cloudbroker.imports.stored`, and the chunks are
written by :mod:`cloudbroker.imports.writers`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import itertools
import tempfile
import threading
from collections.abc import Iterable, Iterator
from typing import IO, Any

import structlog
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone

from cloudbroker.accounts.models import User
from cloudbroker.core.actors import Actor, actor_for_user
from cloudbroker.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from cloudbroker.core.imports import ImportFileRefused, ImportLimits, ParsedFile, RawRow, RowAction, read_rows
from cloudbroker.core.imports.registry import Importer, RowOutcome, importer_for
from cloudbroker.core.jobs import JobContext, enqueue_job, job_runner
from cloudbroker.core.models import Job
from cloudbroker.core.scoping import lock_or_404
from cloudbroker.imports import stored, writers
from cloudbroker.imports.choices import ImportJobKind, ImportKind, ImportPhase, ImportStatus
from cloudbroker.imports.models import ImportIssue, ImportRun
from cloudbroker.imports.seen import DiskSeenKeys
from cloudbroker.imports.stored import PreparedRowsDamaged
from cloudbroker.imports.writers import TOTALS

__all__ = [
    "ERROR_REPORT_COLUMNS",
    "PreparedRowsDamaged",
    "confirm_import",
    "content_of",
    "import_limits",
    "importer_of",
    "iter_error_report",
    "resume_import",
    "run_preview",
    "start_import",
]

log = structlog.get_logger(__name__)

PREVIEW_ROWS_SHOWN = 200
CHUNK_ROWS = 1000
INLINE_PREVIEW_MAX_BYTES = 1024 * 1024  # smaller files are previewed during the upload request
_RECHECK_SHOWN = 5  # rows named when a confirmer's rights do not cover the preview
_WRITES = frozenset({RowAction.NEW, RowAction.UPDATE, RowAction.CONFLICT})


def import_limits() -> ImportLimits:
    return ImportLimits(max_bytes=settings.IMPORT_MAX_BYTES, max_rows=settings.IMPORT_MAX_ROWS)


def importer_of(run: ImportRun) -> Importer:
    return importer_for(run.kind)


def _context(importer: Importer, run: ImportRun, actor: Actor, **options: Any) -> Any:
    """What classifying the run's rows needs, for the run's organization (if its kind has one)."""
    return importer.run_context(actor, organization=run.organization_id, **options)


def _authorize(importer: Importer, actor: Actor, organization: Any) -> Any:
    """The importer's rule on who may import this file (a permission, a scope), checked on upload,
    confirm and run again; the organization as ``actor`` sees it (or None)."""
    if organization is not None and not importer.for_organization:
        raise ValidationFailed(
            [FieldError("organization", f"A file of {importer.noun} is not imported for one organization.")]
        )
    return importer.authorize(actor, organization=organization)


# --- who runs an import ------------------------------------------------------------------------


def _actor_of(run: ImportRun, user_id) -> Actor:
    """The actor an import's step runs as: a user of the run's broker, or the system (a command)."""
    if user_id is None:
        return Actor.system(run.broker_id)
    user = User.objects.get(pk=user_id)
    actor = actor_for_user(user)
    if actor is None or actor.broker_id != run.broker_id:
        raise PermissionDenied("The account that started this import is disabled.")
    return actor


def _actor_for_run(run: ImportRun) -> Actor:
    """The preview reads with the uploader's rights; the import writes with the confirmer's."""
    return _actor_of(run, run.confirmed_by_id if run.confirmed_by_id is not None else run.created_by_id)


def _covers(actor: Actor, uploader: Actor) -> bool:
    """Whether ``actor`` holds at least the rights of ``uploader``: every permission, and a scope
    that reaches every organization the uploader's does."""
    if not actor.permissions >= uploader.permissions:
        return False
    if actor.scope_is_broker:
        return True
    return not uploader.scope_is_broker and actor.group_ids >= uploader.group_ids


def _rows_beyond(actor: Actor, uploader: Actor, run: ImportRun) -> list[str]:
    """The rows the uploader's rights would import that ``actor``'s would not import the same way
    (each classified again under both), described for the refusal; at most a few."""
    importer = importer_of(run)
    _ensure_prepared(run, uploader)
    theirs, mine = _context(importer, run, uploader), _context(importer, run, actor)
    found: list[str] = []
    for chunk in _chunks(stored.rows(run), CHUNK_ROWS):
        pairs_u = [stored.outcome_of(importer, r) for r in chunk]
        pairs_c = [stored.outcome_of(importer, r) for r in chunk]
        importer.classify(theirs, [o for o, _ in pairs_u], [d for _, d in pairs_u])
        importer.classify(mine, [o for o, _ in pairs_c], [d for _, d in pairs_c])
        for (u, _), (c, _) in zip(pairs_u, pairs_c, strict=True):
            if u.action in _WRITES and importer.signature(u) != importer.signature(c):
                reason = c.errors[0].message if c.errors else f"it would be {RowAction(c.action).label.lower()} for you"
                found.append(f"row {u.number} ({reason})")
                if len(found) == _RECHECK_SHOWN:
                    return found
    return found


def _require_may_run(actor: Actor, run: ImportRun) -> None:
    """Only the uploader, or someone with at least the uploader's rights for this file, starts its
    import: every permission and scope of the uploader, or else every row checked again under the
    confirmer's rights and found to import exactly as it would for the uploader.

    The import then runs as ``actor`` (each row checked again against their rights) and its audit
    events name them."""
    if run.created_by_id is not None and run.created_by_id == actor.user_id:
        return
    try:
        uploader = _actor_of(run, run.created_by_id)
    except (PermissionDenied, User.DoesNotExist):
        uploader = None
    if uploader is not None and _covers(actor, uploader):
        return
    rows = _rows_beyond(actor, uploader, run) if uploader is not None else ["the uploader's account is disabled"]
    if rows:
        raise PermissionDenied(
            "Only the person who uploaded this file, or someone with at least the same rights, can import it: "
            + "; ".join(rows)
            + "."
        )


# --- upload and preview ----------------------------------------------------------------------


def start_import(
    *,
    actor: Actor,
    content: bytes | IO[bytes],
    filename: str,
    kind: str = ImportKind.ORGANIZATIONS,
    organization: Any = None,
    dry_run: bool = False,
    inline: bool | None = None,
) -> ImportRun:
    """Check the file's envelope (refusing it with nothing written), keep it, and preview it.

    ``organization`` (an organization or its id) is the one the file is for, for a kind whose
    files may be one organization's (a customer's price list); None for the broker-wide file.

    ``content`` is the file's bytes or a seekable binary file (an upload Django spooled to disk is
    passed as it is, so a large file is never held in memory). Small files are previewed at once;
    larger ones by a job whose progress the page shows.
    """
    importer = importer_for(kind)
    organization = _authorize(importer, actor, organization)
    limits = import_limits()
    parsed = read_rows(content, filename, importer.spec, limits)  # raises ImportFileRefused
    try:
        if isinstance(content, bytes | bytearray):
            size, kept, position = len(content), ContentFile(bytes(content)), None
        else:
            # The reader goes on from where it stopped after the header: keep the file, then put the
            # position back, so that an inline preview reads the same open file (one parse, not two).
            position = content.tell()
            size = content.seek(0, io.SEEK_END)
            content.seek(0)
            kept = File(content)
        if inline is None:
            inline = size <= INLINE_PREVIEW_MAX_BYTES
        with transaction.atomic():
            run = ImportRun(
                broker_id=actor.broker_id,
                created_by=actor.user,
                kind=importer.kind,
                organization=organization,
                filename=filename[-255:],
                file_format=parsed.format.value,
                dry_run=dry_run,
            )
            run.file.save(filename.rsplit("/", 1)[-1][-100:] or "upload", kept, save=False)
            if position is not None:
                content.seek(position)
            run.save()
            if not inline:
                run.preview_job = enqueue_job(
                    kind=ImportJobKind.PREVIEW,
                    broker_id=actor.broker_id,
                    created_by=actor.user,
                    params={"run_id": str(run.pk)},
                )
                run.save(update_fields=["preview_job", "updated_at"])
        if inline:
            run_preview(run, parsed=parsed)
            run.refresh_from_db()
    finally:
        parsed.close()
    return run


def _rows(run: ImportRun, importer: Importer) -> Iterator[RawRow]:
    """The file's rows, streamed from the stored file: memory does not grow with the number of rows."""
    with run.file.open("rb") as handle:
        parsed = read_rows(handle, run.filename, importer.spec, import_limits())
        try:
            yield from parsed.rows
        finally:
            parsed.close()


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _issues(run: ImportRun, importer: Importer, outcomes: list[RowOutcome], phase: ImportPhase) -> list[ImportIssue]:
    labels = {c.key: c.label for c in importer.spec.columns}
    return [
        ImportIssue(run=run, phase=phase, row=o.number, column=labels.get(e.field, e.field) or "", message=e.message)
        for o in outcomes
        for e in o.errors
    ]


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Keep the objects alive before a long import out of the garbage collector's full passes.

    Each row makes a few dicts and lists, so full collections run often during an import, and each
    one walks every object of the process (Django, the apps, their modules): a large share of the
    time. Frozen objects are not walked; they are given back to the collector at the end.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _prepare(
    run: ImportRun,
    actor: Actor,
    on_chunk=None,
    ctx: JobContext | None = None,
    keep: bool = True,
    parsed: ParsedFile | None = None,
) -> int:
    """Read the stored file (or ``parsed``, the same file already open), clean every row, check
    in-file duplicates and classify each chunk.

    With ``keep``, the cleaned rows (with their cleaning and duplicate errors) are stored beside the
    upload (:mod:`~cloudbroker.imports.stored`), so the import job does not read and clean the file
    again: it only matches the rows against the data as it is then. Memory stays that of one chunk:
    the duplicate check keeps its keys in a temporary SQLite file (``DiskSeenKeys``).
    """
    importer = importer_of(run)
    context = _context(importer, run, actor)
    total = 0
    source = parsed.rows if parsed is not None else _rows(run, importer)
    with _few_collections(), DiskSeenKeys(importer.duplicate_keys) as seen, tempfile.TemporaryFile() as sink:
        for chunk in _chunks(source, CHUNK_ROWS):
            outcomes = importer.clean_rows(chunk)
            duplicates = importer.find_duplicates(seen, outcomes)
            records = (
                [stored.record_of(importer, o, d) for o, d in zip(outcomes, duplicates, strict=True)] if keep else ()
            )
            importer.classify(context, outcomes, duplicates)
            if keep:
                for record, outcome in zip(records, outcomes, strict=True):
                    record.append(outcome.action)
                stored.write_chunk(sink, records)
            if on_chunk is not None:
                on_chunk(outcomes)
            total += len(chunk)
            if ctx is not None:
                ctx.progress(total)
        if keep:
            stored.save(run, sink)
    return total


def _ensure_prepared(run: ImportRun, actor: Actor) -> None:
    """Make the preview's cleaned rows again from the file if they are missing."""
    if not stored.exists(run):
        _prepare(run, actor)


def run_preview(run: ImportRun, ctx: JobContext | None = None, *, parsed: ParsedFile | None = None) -> ImportRun:
    """Classify every row of the file (reads only) and store counts, the first rows, every conflict
    and every issue.

    ``parsed`` is the run's file already open (the upload whose header ``start_import`` checked)."""
    importer = importer_of(run)
    actor = _actor_of(run, run.created_by_id)
    counts = dict.fromkeys(RowAction, 0)
    shown: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    labels = {c.key: c.label for c in importer.spec.columns}
    ImportIssue.objects.filter(run=run, phase=ImportPhase.PREVIEW).delete()

    def on_chunk(outcomes: list[RowOutcome]) -> None:
        for o in outcomes:
            counts[o.action] += 1
            if o.action == RowAction.CONFLICT:
                conflicts.append({"row": o.number, **o.conflict})
        for o in outcomes[: max(0, PREVIEW_ROWS_SHOWN - len(shown))]:
            shown.append(
                {
                    "row": o.number,
                    "action": o.action,
                    "values": o.values,
                    "errors": [{"field": labels.get(e.field, e.field), "message": e.message} for e in o.errors],
                    "changes": importer.describe_changes(o) if o.action in _WRITES else [],
                    "conflict": o.conflict if o.action == RowAction.CONFLICT else None,
                }
            )
        ImportIssue.objects.bulk_create(_issues(run, importer, outcomes, ImportPhase.PREVIEW), batch_size=1000)

    try:
        total = _prepare(run, actor, on_chunk, ctx, keep=not run.dry_run, parsed=parsed)
    except ImportFileRefused as exc:
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.REFUSED, refused_message=exc.message)
        return run
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.PREVIEWED,
        total_rows=total,
        new_rows=counts[RowAction.NEW],
        update_rows=counts[RowAction.UPDATE],
        unchanged_rows=counts[RowAction.UNCHANGED],
        error_rows=counts[RowAction.ERROR],
        conflict_rows=counts[RowAction.CONFLICT],
        conflicts=conflicts,
        preview=shown,
        updated_at=timezone.now(),
    )
    return run


@job_runner(ImportJobKind.PREVIEW)
def _preview_job(ctx: JobContext) -> dict[str, Any]:
    run = ImportRun.objects.get(pk=ctx.params["run_id"])
    run_preview(run, ctx)
    run.refresh_from_db()
    return {"run_id": str(run.pk), "rows": run.total_rows}


# --- confirm ---------------------------------------------------------------------------------


def _accepted_rows(run: ImportRun, accepted_conflicts: Iterable[int]) -> list[int]:
    """The conflicts accepted, checked: every conflict of the preview, and nothing else."""
    conflicts = {c["row"]: c for c in run.conflicts}
    accepted = sorted({int(row) for row in accepted_conflicts})
    errors = [
        FieldError("accepted_conflicts", f"Row {row} is not a conflict of this import.", "not_a_conflict", row)
        for row in accepted
        if row not in conflicts
    ]
    errors += [
        FieldError("accepted_conflicts", _unaccepted(row, c), "conflict_not_accepted", row)
        for row, c in sorted(conflicts.items())
        if row not in accepted
    ]
    if errors:
        raise ValidationFailed(errors)
    return accepted


def _unaccepted(row: int, conflict: dict[str, Any]) -> str:
    """The refusal for a conflict not accepted: the importer's words (``message``), or the
    organization import's (a customer number matched to another company)."""
    if conflict.get("message"):
        return f"Row {row}: {conflict['message']} Accept this conflict to import it, or correct the file."
    return (
        f"Row {row}: the customer number {conflict['customer_number']} belongs to {conflict['name']} "
        f"({conflict['domain']}), not to {conflict['new_name']} ({conflict['new_domain']}). "
        "Accept this conflict to update it, or correct the file."
    )


def confirm_import(*, actor: Actor, run: ImportRun, accepted_conflicts: Iterable[int] = ()) -> Job:
    """'Create/Import ...': hand the previewed file to the import job.

    Only the uploader, or someone with at least their rights, confirms; the job runs as the one who
    confirms. Every conflict of the preview must be accepted (by its row number)."""
    _authorize(importer_of(run), actor, run.organization_id)
    with transaction.atomic():
        run = lock_or_404(ImportRun.objects, run.pk)
        if run.status != ImportStatus.PREVIEWED:
            raise Conflict(f"This import cannot be started: it is {run.get_status_display().lower()}.")
        if run.dry_run:
            raise Conflict("This was a dry run; upload the file again to import it.")
        if not run.can_confirm:
            raise Conflict("There is nothing to import: every row is unchanged or has errors.")
        _require_may_run(actor, run)
        run.accepted_conflicts = _accepted_rows(run, accepted_conflicts)
        job = enqueue_job(
            kind=ImportJobKind.APPLY, broker_id=run.broker_id, created_by=actor.user, params={"run_id": str(run.pk)}
        )
        run.job = job
        run.confirmed_by = actor.user
        run.status = ImportStatus.IMPORTING
        run.save(update_fields=["job", "confirmed_by", "accepted_conflicts", "status", "updated_at"])
    return job


# --- the import job --------------------------------------------------------------------------


def _write_chunk(actor: Actor, run: ImportRun, outcomes: list[RowOutcome], staging: Any = None) -> dict[str, int]:
    """Write one chunk with the run's importer, and its rows' errors as the import's issues."""
    importer = importer_of(run)
    counts = importer.write(actor, outcomes, staging)
    ImportIssue.objects.bulk_create(
        _issues(run, importer, [o for o in outcomes if o.action == RowAction.ERROR], ImportPhase.IMPORT)
    )
    return counts


def _staging(importer: Importer):
    """What one writer connection's chunks go through (the importer's; on PostgreSQL, a table)."""
    return importer.staging()


@job_runner(ImportJobKind.APPLY)
def _apply_job(ctx: JobContext) -> dict[str, Any]:
    run = ImportRun.objects.get(pk=ctx.params["run_id"])
    if run.status == ImportStatus.COMPLETED:
        return {"run_id": str(run.pk)}
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.IMPORTING)
    try:
        return _apply(ctx, run)
    except Exception as exc:
        if isinstance(exc, PreparedRowsDamaged):
            stored.forget(run)  # made again from the upload when the import is run again
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.FAILED, updated_at=timezone.now())
        raise


def _apply(ctx: JobContext, run: ImportRun) -> dict[str, Any]:
    importer = importer_of(run)
    actor = _actor_for_run(run)
    checkpoint = ctx.checkpoint
    first = checkpoint.get("next_index", 0)
    committed = {int(start): end for start, end in checkpoint.get("committed", {}).items()}
    if first:
        ctx.log(f"Resuming after row index {first}.")
    context = _context(importer, run, actor, accepted=run.accepted_conflicts, final=True)
    progress = {"done": first + sum(end - start for start, end in committed.items())}
    ctx.progress(progress["done"], run.total_rows or None)
    lock = threading.Lock()

    def write(staging, item: list) -> None:
        start, chunk = item
        for attempt in range(3):
            try:
                with transaction.atomic():
                    pairs = [stored.outcome_of(importer, record) for record in chunk]
                    outcomes = [o for o, _ in pairs]
                    # Rows the preview found new are not looked up (the unique constraints catch a
                    # record created since); after a conflict the whole chunk is.
                    match = (
                        None if attempt else [o for o, r in zip(outcomes, chunk, strict=True) if r[-1] != RowAction.NEW]
                    )
                    importer.classify(context, outcomes, [d for _, d in pairs], match=match)
                    counts = _write_chunk(actor, run, outcomes, staging)
                    saved = ctx.merge_checkpoint(
                        functools.partial(writers.merge_chunk, start=start, end=start + len(chunk), counts=counts)
                    )
                    ImportRun.objects.filter(pk=run.pk).update(
                        **{key: saved[key] for key in TOTALS}, updated_at=timezone.now()
                    )
                break
            except IntegrityError:
                # Someone created a conflicting record meanwhile: classify the chunk again, every
                # row against the database.
                if attempt == 2:
                    raise
        with lock:
            progress["done"] += len(chunk)
            ctx.progress(progress["done"])

    # The preview's cleaned rows (with its in-file duplicate findings, which cannot have changed):
    # only the matching against the current data is done again, chunk by chunk.
    _ensure_prepared(run, actor)
    read = first
    staging = functools.partial(_staging, importer)
    with _few_collections(), writers.Writers(writers.writer_count(), write, staging) as pool:
        for chunk in _chunks(itertools.islice(stored.rows(run), first, None), CHUNK_ROWS):
            if read not in committed:
                # A chunk with rows to update is written alone: two rows of a file that update the
                # same record are applied in file order.
                pool.submit([read, chunk], alone=any(r[-1] in (RowAction.UPDATE, RowAction.CONFLICT) for r in chunk))
            read += len(chunk)
    # What the writers committed, as stored: their copies of the job's result may end in either order.
    ctx.job.refresh_from_db(fields=["result"])
    if read != run.total_rows:
        raise PreparedRowsDamaged(f"The import's prepared rows end after {read:,} of {run.total_rows:,} rows.")
    totals = {key: ctx.checkpoint.get(key, 0) for key in TOTALS}
    # The import's own findings replace the preview's: the data may have changed in between.
    ImportIssue.objects.filter(run=run, phase=ImportPhase.PREVIEW).delete()
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.COMPLETED, **totals, updated_at=timezone.now())
    stored.forget(run)
    ctx.log(
        "Import finished: {created} created, {updated} updated, {skipped} unchanged, {failed} with errors.".format(
            **totals
        )
    )
    return {"run_id": str(run.pk), **totals}


def resume_import(*, actor: Actor, run: ImportRun) -> Job:
    """Run a failed import again. It continues after the last chunk that was committed, as ``actor``."""
    _authorize(importer_of(run), actor, run.organization_id)
    with transaction.atomic():
        run = lock_or_404(ImportRun.objects, run.pk)
        if run.status != ImportStatus.FAILED:
            raise Conflict("Only a failed import can be run again.")
        _require_may_run(actor, run)
        checkpoint = run.job.result.get("checkpoint", {}) if run.job else {}
        job = enqueue_job(
            kind=ImportJobKind.APPLY, broker_id=run.broker_id, created_by=actor.user, params={"run_id": str(run.pk)}
        )
        job.result = {"checkpoint": checkpoint}
        job.save(update_fields=["result"])
        run.job = job
        run.confirmed_by = actor.user
        run.status = ImportStatus.IMPORTING
        run.save(update_fields=["job", "confirmed_by", "status", "updated_at"])
    return job


# --- reports and uploads ---------------------------------------------------------------------

ERROR_REPORT_COLUMNS = [("row", "Row"), ("column", "Column"), ("message", "Message"), ("phase", "Found during")]


def iter_error_report(run: ImportRun) -> Iterator[dict[str, Any]]:
    for issue in run.issues.order_by("row", "id").iterator(chunk_size=2000):
        yield {"row": issue.row, "column": issue.column, "message": issue.message, "phase": issue.phase}


def content_of(upload) -> IO[bytes]:
    """An uploaded file as a binary stream (Django keeps large uploads on disk), size-checked."""
    if upload.size is not None and upload.size > import_limits().max_bytes:
        raise ImportFileRefused(f"The file is larger than the limit of {import_limits().max_bytes:,} bytes.")
    upload.seek(0)
    return upload.file
