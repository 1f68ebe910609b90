"""Bulk import: upload → preview (every row classified, every error named) → confirm → a job that
writes chunk by chunk. Each chunk commits whole or not at all, together with the job's checkpoint,
so a killed worker resumes where it stopped and a re-run never creates anything twice."""

from __future__ import annotations

import copy
import datetime as dt
import io
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

import structlog
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone

from cloudbroker.accounts.models import User
from cloudbroker.accounts.roles import Perm
from cloudbroker.core.actors import Actor, actor_for_user
from cloudbroker.core.audit import build_events, snapshot
from cloudbroker.core.bulk import bulk_insert, insert_rows
from cloudbroker.core.context import current_request_id
from cloudbroker.core.errors import Conflict, PermissionDenied
from cloudbroker.core.imports import ImportFileRefused, ImportLimits, RawRow, read_rows
from cloudbroker.core.jobs import JobContext, enqueue_job, job_runner
from cloudbroker.core.models import AuditEvent, Job
from cloudbroker.imports.models import ImportIssue, ImportKind, ImportRun, ImportStatus
from cloudbroker.organizations.imports import ORGANIZATION_SPEC, RowAction, RowOutcome, classify_rows, new_context
from cloudbroker.organizations.models import Organization, OrganizationGroup
from cloudbroker.organizations.validation import ORGANIZATION_FIELDS, clean_domain

__all__ = [
    "confirm_import",
    "import_limits",
    "iter_error_report",
    "resume_import",
    "run_preview",
    "start_import",
]

log = structlog.get_logger(__name__)

PREVIEW_ROWS_SHOWN = 200
CHUNK_ROWS = 1000
INLINE_PREVIEW_MAX_BYTES = 1024 * 1024  # smaller files are previewed during the upload request


def import_limits() -> ImportLimits:
    return ImportLimits(max_bytes=settings.IMPORT_MAX_BYTES, max_rows=settings.IMPORT_MAX_ROWS)


def _actor_for_run(run: ImportRun) -> Actor:
    if run.created_by_id is None:
        return Actor.system(run.broker_id)
    user = User.objects.get(pk=run.created_by_id)
    actor = actor_for_user(user)
    if actor is None:
        raise PermissionDenied("The account that started this import is disabled.")
    return actor


def start_import(
    *, actor: Actor, content: bytes | IO[bytes], filename: str, dry_run: bool = False, inline: bool | None = None
) -> ImportRun:
    """Check the file's envelope (refusing it with nothing written), keep it, and preview it.

    ``content`` is the file's bytes or a seekable binary file (an upload Django spooled to disk is
    passed as it is, so a large file is never held in memory). Small files are previewed at once;
    larger ones by a job whose progress the page shows.
    """
    actor.require(Perm.ORGANIZATION_CREATE)
    limits = import_limits()
    with read_rows(content, filename, ORGANIZATION_SPEC, limits) as parsed:  # raises ImportFileRefused
        file_format = parsed.format.value
    if isinstance(content, bytes | bytearray):
        size, stored = len(content), ContentFile(bytes(content))
    else:
        content.seek(0, io.SEEK_END)
        size = content.tell()
        content.seek(0)
        stored = File(content)
    with transaction.atomic():
        run = ImportRun(
            broker_id=actor.broker_id,
            created_by=actor.user,
            kind=ImportKind.ORGANIZATIONS,
            filename=filename[-255:],
            file_format=file_format,
            dry_run=dry_run,
        )
        run.file.save(filename.rsplit("/", 1)[-1][-100:] or "upload", stored, save=False)
        run.save()
        if inline is None:
            inline = size <= INLINE_PREVIEW_MAX_BYTES
        if not inline:
            run.preview_job = enqueue_job(
                kind="imports.preview", broker_id=actor.broker_id, created_by=actor.user, params={"run_id": str(run.pk)}
            )
            run.save(update_fields=["preview_job", "updated_at"])
    if inline:
        run_preview(run)
        run.refresh_from_db()
    return run


def _rows(run: ImportRun) -> Iterator[RawRow]:
    """The file's rows, streamed from the stored file: memory does not grow with the number of rows."""
    with run.file.open("rb") as handle:
        parsed = read_rows(handle, run.filename, ORGANIZATION_SPEC, import_limits())
        try:
            yield from parsed.rows
        finally:
            parsed.close()


def _chunks(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    chunk: list[RawRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _issues(run: ImportRun, outcomes: list[RowOutcome], phase: str) -> list[ImportIssue]:
    labels = {c.key: c.label for c in ORGANIZATION_SPEC.columns}
    return [
        ImportIssue(run=run, phase=phase, row=o.number, column=labels.get(e.field, e.field) or "", message=e.message)
        for o in outcomes
        for e in o.errors
    ]


def run_preview(run: ImportRun, ctx: JobContext | None = None) -> ImportRun:
    """Classify every row of the file (reads only) and store counts, the first rows and every issue."""
    actor = _actor_for_run(run)
    context = new_context(actor)
    counts = {RowAction.NEW: 0, RowAction.UPDATE: 0, RowAction.UNCHANGED: 0, RowAction.ERROR: 0}
    shown: list[dict[str, Any]] = []
    labels = {c.key: c.label for c in ORGANIZATION_SPEC.columns}
    total = 0
    ImportIssue.objects.filter(run=run, phase="preview").delete()
    try:
        rows = _rows(run)
        for chunk in _chunks(rows, CHUNK_ROWS):
            outcomes = classify_rows(actor, chunk, context)
            for o in outcomes:
                counts[o.action] += 1
                if len(shown) < PREVIEW_ROWS_SHOWN:
                    shown.append(
                        {
                            "row": o.number,
                            "action": o.action,
                            "values": o.values,
                            "errors": [{"field": labels.get(e.field, e.field), "message": e.message} for e in o.errors],
                            "changes": sorted(o.changes),
                        }
                    )
            ImportIssue.objects.bulk_create(_issues(run, outcomes, "preview"), batch_size=1000)
            total += len(chunk)
            if ctx is not None:
                ctx.progress(total)
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
        preview=shown,
        updated_at=timezone.now(),
    )
    return run


@job_runner("imports.preview")
def _preview_job(ctx: JobContext) -> dict[str, Any]:
    run = ImportRun.objects.get(pk=ctx.params["run_id"])
    run_preview(run, ctx)
    run.refresh_from_db()
    return {"run_id": str(run.pk), "rows": run.total_rows}


def confirm_import(*, actor: Actor, run: ImportRun) -> Job:
    """'Create/Import organizations': hand the previewed file to the import job."""
    actor.require(Perm.ORGANIZATION_CREATE)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ImportStatus.PREVIEWED:
            raise Conflict(f"This import cannot be started: it is {run.get_status_display().lower()}.")
        if run.dry_run:
            raise Conflict("This was a dry run; upload the file again to import it.")
        if not run.can_confirm:
            raise Conflict("There is nothing to import: every row is unchanged or has errors.")
        job = enqueue_job(
            kind="imports.apply", broker_id=run.broker_id, created_by=actor.user, params={"run_id": str(run.pk)}
        )
        run.job = job
        run.status = ImportStatus.IMPORTING
        run.save(update_fields=["job", "status", "updated_at"])
    return job


def _remember(context, raw: RawRow) -> None:
    """On resume, rows already imported still count for the 'also on row N' check."""
    number = (raw.values.get("customer_number") or "").strip()
    if number:
        context.seen_numbers.setdefault(number, raw.number)
    try:
        domain = clean_domain(raw.values.get("primary_domain"))
    except ValueError:
        return
    context.seen_domains.setdefault(domain, raw.number)


_ORG_COLUMNS = ["id", "created_at", "updated_at", "broker_id", *ORGANIZATION_FIELDS]
_ORG_DEFAULTS = {f: Organization._meta.get_field(f).get_default() for f in ORGANIZATION_FIELDS}
_AUDIT_COLUMNS = [
    "occurred_at",
    "broker_id",
    "organization_id",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "request_id",
]


def _json_safe(value: Any) -> Any:
    if isinstance(value, (dt.date, Decimal)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return value


def _write_chunk(actor: Actor, run: ImportRun, outcomes: list[RowOutcome]) -> dict[str, int]:
    now = timezone.now()
    today = now.date()
    request_id = current_request_id()
    new_rows, new_events, memberships, events, updates, regrouped = [], [], [], [], [], []
    through = OrganizationGroup.organizations.through
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    for o in outcomes:
        if o.action == RowAction.NEW:
            org_id = uuid.uuid4()
            values = {**_ORG_DEFAULTS, **o.cleaned}
            values["billing_start_date"] = values["billing_start_date"] or today
            group_ids = sorted(str(g.pk) for g in o.groups or ())
            new_rows.append([org_id, now, now, actor.broker_id, *(values[f] for f in ORGANIZATION_FIELDS)])
            memberships += [through(organization_id=org_id, organizationgroup_id=g.pk) for g in o.groups or ()]
            after = {f: _json_safe(values[f]) for f in ORGANIZATION_FIELDS}
            new_events.append(
                [
                    now,
                    actor.broker_id,
                    org_id,
                    actor.user_id,
                    actor.label,
                    "organization.created",
                    "organizations.organization",
                    str(org_id),
                    values["name"][:255],
                    None,
                    {**after, "groups": group_ids},
                    request_id,
                ]
            )
            counts["created"] += 1
        elif o.action == RowAction.UPDATE:
            org = o.target
            changes = o.changes
            before = {k: snapshot(org, [k])[k] for k in changes}
            for key in changes:
                setattr(org, key, o.cleaned[key])
            org.updated_at = now
            after = {k: snapshot(org, [k])[k] for k in changes}
            if o.groups is not None:
                before["groups"] = sorted(str(g.pk) for g in org.groups.all())
                after["groups"] = sorted(str(g.pk) for g in o.groups)
                regrouped.append(org.pk)
                memberships += [through(organization_id=org.pk, organizationgroup_id=g.pk) for g in o.groups]
            updates.append((org, list(changes)))
            events.append((org, before, after, org.pk))
            counts["updated"] += 1
        elif o.action == RowAction.UNCHANGED:
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
    insert_rows(Organization, _ORG_COLUMNS, new_rows)
    fields_by_org: dict[tuple[str, ...], list[Organization]] = {}
    for org, fields in updates:
        fields_by_org.setdefault(tuple(sorted({*fields, "updated_at"})), []).append(org)
    for fields, orgs in fields_by_org.items():
        Organization.objects.bulk_update(orgs, list(fields), batch_size=500)
    if regrouped:
        through.objects.filter(organization_id__in=regrouped).delete()
    bulk_insert(through, memberships)
    insert_rows(AuditEvent, _AUDIT_COLUMNS, new_events)
    audit = build_events(actor=actor, action="organization.updated", items=events)
    for event in audit:
        event.occurred_at = now
    bulk_insert(AuditEvent, audit)
    ImportIssue.objects.bulk_create(_issues(run, [o for o in outcomes if o.action == RowAction.ERROR], "import"))
    return counts


@job_runner("imports.apply")
def _apply_job(ctx: JobContext) -> dict[str, Any]:
    run = ImportRun.objects.get(pk=ctx.params["run_id"])
    if run.status == ImportStatus.COMPLETED:
        return {"run_id": str(run.pk)}
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.IMPORTING)
    try:
        return _apply(ctx, run)
    except Exception:
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.FAILED, updated_at=timezone.now())
        raise


def _apply(ctx: JobContext, run: ImportRun) -> dict[str, Any]:
    actor = _actor_for_run(run)
    checkpoint = ctx.checkpoint
    done = checkpoint.get("next_index", 0)
    totals = {k: checkpoint.get(k, 0) for k in ("created", "updated", "skipped", "failed")}
    if done:
        ctx.log(f"Resuming after row index {done}.")
    context = new_context(actor)
    rows = _rows(run)
    for index, raw in enumerate(rows):
        if index >= done:
            first = raw
            break
        _remember(context, raw)
    else:
        first = None
    ctx.progress(done, run.total_rows or None)

    def remaining() -> Iterator[RawRow]:
        if first is not None:
            yield first
            yield from rows

    for chunk in _chunks(remaining(), CHUNK_ROWS):
        for attempt in range(3):
            try:
                with transaction.atomic():
                    outcomes = classify_rows(actor, chunk, _clone(context))
                    counts = _write_chunk(actor, run, outcomes)
                    for key, value in counts.items():
                        totals[key] += value
                    done += len(chunk)
                    ctx.save_checkpoint(next_index=done, **totals)
                    ImportRun.objects.filter(pk=run.pk).update(**totals, updated_at=timezone.now())
                break
            except IntegrityError:
                # Someone created a conflicting organization meanwhile: classify the chunk again.
                totals = {k: ctx.checkpoint.get(k, 0) for k in totals}
                if attempt == 2:
                    raise
        _commit_context(context, outcomes)
        ctx.progress(done)
    # The import's own findings replace the preview's: the data may have changed in between.
    ImportIssue.objects.filter(run=run, phase="preview").delete()
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.COMPLETED, **totals, updated_at=timezone.now())
    ctx.log(
        "Import finished: {created} created, {updated} updated, {skipped} unchanged, {failed} with errors.".format(
            **totals
        )
    )
    return {"run_id": str(run.pk), **totals}


def _clone(context):
    clone = copy.copy(context)
    clone.seen_numbers = dict(context.seen_numbers)
    clone.seen_domains = dict(context.seen_domains)
    return clone


def _commit_context(context, outcomes: list[RowOutcome]) -> None:
    for o in outcomes:
        if o.cleaned.get("customer_number"):
            context.seen_numbers.setdefault(o.cleaned["customer_number"], o.number)
        if o.cleaned.get("primary_domain"):
            context.seen_domains.setdefault(o.cleaned["primary_domain"], o.number)


def resume_import(*, actor: Actor, run: ImportRun) -> Job:
    """Run a failed import again. It continues after the last chunk that was committed."""
    actor.require(Perm.ORGANIZATION_CREATE)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ImportStatus.FAILED:
            raise Conflict("Only a failed import can be run again.")
        checkpoint = run.job.result.get("checkpoint", {}) if run.job else {}
        job = enqueue_job(
            kind="imports.apply", broker_id=run.broker_id, created_by=actor.user, params={"run_id": str(run.pk)}
        )
        job.result = {"checkpoint": checkpoint}
        job.save(update_fields=["result"])
        run.job = job
        run.status = ImportStatus.IMPORTING
        run.save(update_fields=["job", "status", "updated_at"])
    return job


def iter_error_report(run: ImportRun) -> Iterator[dict[str, Any]]:
    for issue in run.issues.order_by("row", "id").iterator(chunk_size=2000):
        yield {"row": issue.row, "column": issue.column, "message": issue.message, "phase": issue.phase}


def content_of(upload) -> IO[bytes]:
    """An uploaded file as a binary stream (Django keeps large uploads on disk), size-checked."""
    if upload.size is not None and upload.size > import_limits().max_bytes:
        raise ImportFileRefused(f"The file is larger than the limit of {import_limits().max_bytes:,} bytes.")
    upload.seek(0)
    return upload.file
