"""Bulk import: upload → preview (every row classified, every error named) → confirm → a job that
writes chunk by chunk. Each chunk commits whole or not at all, together with the job's checkpoint,
so a killed worker resumes where it stopped and a re-run never creates anything twice."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gc
import io
import itertools
import json
import pickle
import posixpath
import queue
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

import structlog
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import Error as DbError  # every database error, the connection ones as well
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from cloudbroker.accounts.models import User
from cloudbroker.core.actors import Actor, actor_for_user
from cloudbroker.core.audit import build_events, snapshot
from cloudbroker.core.bulk import RawJSON, bulk_insert, insert_rows
from cloudbroker.core.context import current_request_id
from cloudbroker.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from cloudbroker.core.imports import ImportFileRefused, ImportLimits, ParsedFile, RawRow, RowAction, read_rows
from cloudbroker.core.jobs import JobContext, enqueue_job, job_runner
from cloudbroker.core.models import AuditEvent, Job
from cloudbroker.core.permissions import Perm
from cloudbroker.imports.choices import ImportJobKind, ImportKind, ImportPhase, ImportStatus
from cloudbroker.imports.models import ImportIssue, ImportRun
from cloudbroker.imports.seen import DiskSeenKeys
from cloudbroker.organizations.imports import (
    ORGANIZATION_SPEC,
    RowOutcome,
    classify,
    clean_rows,
    describe_changes,
    find_duplicates,
    new_context,
)
from cloudbroker.organizations.models import Organization, OrganizationGroup
from cloudbroker.organizations.validation import ORGANIZATION_FIELDS

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
WRITERS = 2  # connections writing an import at once on PostgreSQL
INLINE_PREVIEW_MAX_BYTES = 1024 * 1024  # smaller files are previewed during the upload request


def import_limits() -> ImportLimits:
    return ImportLimits(max_bytes=settings.IMPORT_MAX_BYTES, max_rows=settings.IMPORT_MAX_ROWS)


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


_RECHECK_SHOWN = 5  # rows named when a confirmer's rights do not cover the preview


def _signature(outcome: RowOutcome) -> tuple:
    """What a row would do: its action, the fields it changes and the groups it sets."""
    groups = None if outcome.groups is None else sorted(str(g.pk) for g in outcome.groups)
    return outcome.action, sorted(outcome.changes), groups


def _rows_beyond(actor: Actor, uploader: Actor, run: ImportRun) -> list[str]:
    """The rows the uploader's rights would import that ``actor``'s would not import the same way
    (each classified again under both), described for the refusal; at most a few."""
    _ensure_prepared(run, uploader)
    theirs, mine = new_context(uploader), new_context(actor)
    found: list[str] = []
    for chunk in _chunks(_stored_rows(run), CHUNK_ROWS):
        pairs_u, pairs_c = [_outcome(r) for r in chunk], [_outcome(r) for r in chunk]
        classify(theirs, [o for o, _ in pairs_u], [d for _, d in pairs_u])
        classify(mine, [o for o, _ in pairs_c], [d for _, d in pairs_c])
        for (u, _), (c, _) in zip(pairs_u, pairs_c, strict=True):
            if u.action in _WRITES and _signature(u) != _signature(c):
                reason = c.errors[0].message if c.errors else f"it would be {c.action.label.lower()} for you"
                found.append(f"row {u.number} ({reason})")
                if len(found) == _RECHECK_SHOWN:
                    return found
    return found


_WRITES = frozenset({RowAction.NEW, RowAction.UPDATE, RowAction.CONFLICT})


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
    parsed = read_rows(content, filename, ORGANIZATION_SPEC, limits)  # raises ImportFileRefused
    try:
        if isinstance(content, bytes | bytearray):
            size, stored, position = len(content), ContentFile(bytes(content)), None
        else:
            # The reader goes on from where it stopped after the header: keep the file, then put the
            # position back, so that an inline preview reads the same open file (one parse, not two).
            position = content.tell()
            size = content.seek(0, io.SEEK_END)
            content.seek(0)
            stored = File(content)
        if inline is None:
            inline = size <= INLINE_PREVIEW_MAX_BYTES
        with transaction.atomic():
            run = ImportRun(
                broker_id=actor.broker_id,
                created_by=actor.user,
                kind=ImportKind.ORGANIZATIONS,
                filename=filename[-255:],
                file_format=parsed.format.value,
                dry_run=dry_run,
            )
            run.file.save(filename.rsplit("/", 1)[-1][-100:] or "upload", stored, save=False)
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


def _issues(run: ImportRun, outcomes: list[RowOutcome], phase: ImportPhase) -> list[ImportIssue]:
    labels = {c.key: c.label for c in ORGANIZATION_SPEC.columns}
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


def _prepared_name(run: ImportRun) -> str:
    return posixpath.join(posixpath.dirname(run.file.name), "prepared-rows.pickle")


def _record(outcome: RowOutcome, duplicates: list[FieldError]) -> list:
    """What the import job needs of a row the preview cleaned: taken before matching (which the job
    does again, and which may change the cleaned values); the preview's verdict is appended after."""
    return [
        outcome.number,
        outcome.values.get("groups", ""),
        dict(outcome.cleaned),
        [(e.field, e.message, e.code) for e in outcome.errors],
        [(e.field, e.message, e.code) for e in duplicates],
    ]


def _outcome(record: list) -> tuple[RowOutcome, list[FieldError]]:
    number, groups, cleaned, errors, duplicates, _ = record
    outcome = RowOutcome(
        number,
        RowAction.NEW,
        {"groups": groups} if groups else {},
        dict(cleaned),
        [FieldError(f, m, c, number) for f, m, c in errors],
    )
    return outcome, [FieldError(f, m, c, number) for f, m, c in duplicates]


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
    upload, so the import job does not read and clean the file again: it only matches the rows
    against the data as it is then. Memory stays that of one chunk: the duplicate check keeps its
    keys in a temporary SQLite file (``DiskSeenKeys``).
    """
    context = new_context(actor)
    total = 0
    with _few_collections(), DiskSeenKeys() as seen, tempfile.TemporaryFile() as sink:
        for chunk in _chunks(parsed.rows if parsed is not None else _rows(run), CHUNK_ROWS):
            outcomes = clean_rows(chunk)
            duplicates = find_duplicates(seen, outcomes)
            records = [_record(o, d) for o, d in zip(outcomes, duplicates, strict=True)] if keep else ()
            classify(context, outcomes, duplicates)
            if keep:
                for record, outcome in zip(records, outcomes, strict=True):
                    record.append(outcome.action)
                pickle.dump(records, sink, protocol=5)
            if on_chunk is not None:
                on_chunk(outcomes)
            total += len(chunk)
            if ctx is not None:
                ctx.progress(total)
        if keep:
            sink.seek(0)
            storage, name = run.file.storage, _prepared_name(run)
            if storage.exists(name):
                storage.delete(name)
            storage.save(name, File(sink, name="prepared-rows.pickle"))
    return total


def _ensure_prepared(run: ImportRun, actor: Actor) -> None:
    """Make the preview's cleaned rows again from the file if they are missing."""
    if not run.file.storage.exists(_prepared_name(run)):
        _prepare(run, actor)


class PreparedRowsDamaged(RuntimeError):
    """The preview's stored rows cannot be read to the end; they are made again on the next run."""


def _stored_rows(run: ImportRun) -> Iterator[list]:
    """The preview's stored cleaned rows, in file order."""
    storage, name = run.file.storage, _prepared_name(run)
    with storage.open(name, "rb") as handle:
        while True:
            try:
                records = pickle.load(handle)  # written by _prepare, never by a user
            except EOFError:
                return
            except (pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError) as exc:
                raise PreparedRowsDamaged(f"The import's prepared rows cannot be read: {exc}") from exc
            yield from records


def _forget_prepared(run: ImportRun) -> None:
    storage, name = run.file.storage, _prepared_name(run)
    if storage.exists(name):
        storage.delete(name)


def run_preview(run: ImportRun, ctx: JobContext | None = None, *, parsed: ParsedFile | None = None) -> ImportRun:
    """Classify every row of the file (reads only) and store counts, the first rows and every issue.

    ``parsed`` is the run's file already open (the upload whose header ``start_import`` checked)."""
    actor = _actor_of(run, run.created_by_id)
    counts = dict.fromkeys(RowAction, 0)
    shown: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    labels = {c.key: c.label for c in ORGANIZATION_SPEC.columns}
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
                    "changes": describe_changes(o) if o.action in (RowAction.UPDATE, RowAction.CONFLICT) else [],
                    "conflict": o.conflict if o.action == RowAction.CONFLICT else None,
                }
            )
        ImportIssue.objects.bulk_create(_issues(run, outcomes, ImportPhase.PREVIEW), batch_size=1000)

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
        FieldError(
            "accepted_conflicts",
            f"Row {row}: the customer number {c['customer_number']} belongs to {c['name']} ({c['domain']}), "
            f"not to {c['new_name']} ({c['new_domain']}). Accept this conflict to update it, or correct the file.",
            "conflict_not_accepted",
            row,
        )
        for row, c in sorted(conflicts.items())
        if row not in accepted
    ]
    if errors:
        raise ValidationFailed(errors)
    return accepted


def confirm_import(*, actor: Actor, run: ImportRun, accepted_conflicts: Iterable[int] = ()) -> Job:
    """'Create/Import organizations': hand the previewed file to the import job.

    Only the uploader, or someone with at least their rights, confirms; the job runs as the one who
    confirms. Every conflict of the preview must be accepted (by its row number)."""
    actor.require(Perm.ORGANIZATION_CREATE)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        _require_may_run(actor, run)
        if run.status != ImportStatus.PREVIEWED:
            raise Conflict(f"This import cannot be started: it is {run.get_status_display().lower()}.")
        if run.dry_run:
            raise Conflict("This was a dry run; upload the file again to import it.")
        if not run.can_confirm:
            raise Conflict("There is nothing to import: every row is unchanged or has errors.")
        run.accepted_conflicts = _accepted_rows(run, accepted_conflicts)
        job = enqueue_job(
            kind=ImportJobKind.APPLY, broker_id=run.broker_id, created_by=actor.user, params={"run_id": str(run.pk)}
        )
        run.job = job
        run.confirmed_by = actor.user
        run.status = ImportStatus.IMPORTING
        run.save(update_fields=["job", "confirmed_by", "accepted_conflicts", "status", "updated_at"])
    return job


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


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_DEFAULT_ITEMS = tuple(_ORG_DEFAULTS.items())
_BILLING_START = ORGANIZATION_FIELDS.index("billing_start_date")
_NAME = ORGANIZATION_FIELDS.index("name")
_dumps = json.JSONEncoder(default=_json_default, ensure_ascii=True).encode


def _created_event(row: list, groups: list[str], now, actor: Actor, request_id: str) -> list:
    """The 'organization.created' audit row of a new organization's row (as ``_ORG_COLUMNS``)."""
    after = dict(zip(ORGANIZATION_FIELDS, row[4:], strict=True))
    after["groups"] = groups
    org_id = row[0]
    return [
        now,
        actor.broker_id,
        org_id,
        actor.user_id,
        actor.label,
        "organization.created",
        "organizations.organization",
        str(org_id),
        row[4 + _NAME][:255],
        None,
        RawJSON(_dumps(after)),
        request_id,
    ]


_AFTER_SQL = {
    "approval_limit": "approval_limit::text",
    "billing_start_date": "to_char(billing_start_date, 'YYYY-MM-DD')",
}


class _NewOrganizations:
    """PostgreSQL: new organizations are copied into a temporary table, from which one statement
    inserts them and another their 'organization.created' audit events, the server building each
    event's JSON from the row: no event row and no JSON made or sent by Python."""

    def __init__(self) -> None:
        self.table = connection.ops.quote_name(f"import_new_{uuid.uuid4().hex[:12]}")
        self.columns = ", ".join(
            connection.ops.quote_name(Organization._meta.get_field(c).column) for c in _ORG_COLUMNS
        )

    def __enter__(self) -> _NewOrganizations:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} "
                f"(LIKE {connection.ops.quote_name(Organization._meta.db_table)} INCLUDING DEFAULTS, "
                "audit_groups jsonb NOT NULL)"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        except DbError:  # a broken transaction or connection: the table goes with the session
            pass

    def write(self, rows: list[list], groups: list[list[str]], now, actor: Actor, request_id: str) -> None:
        after = ", ".join(f"'{f}', {_AFTER_SQL.get(f, f)}" for f in ORGANIZATION_FIELDS)
        org_table = connection.ops.quote_name(Organization._meta.db_table)
        audit_table = connection.ops.quote_name(AuditEvent._meta.db_table)
        audit_columns = ", ".join(
            connection.ops.quote_name(AuditEvent._meta.get_field(c).column) for c in _AUDIT_COLUMNS
        )
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.execute(f"TRUNCATE {self.table}")
            with cursor.cursor.copy(f"COPY {self.table} ({self.columns}, audit_groups) FROM STDIN") as copy:
                for row, group_ids in zip(rows, groups, strict=True):
                    copy.write_row([*row, json.dumps(group_ids) if group_ids else "[]"])
            cursor.execute(f"INSERT INTO {org_table} ({self.columns}) SELECT {self.columns} FROM {self.table}")
            cursor.execute(
                f"INSERT INTO {audit_table} ({audit_columns}) SELECT %s, broker_id, id, %s, %s, "
                "'organization.created', 'organizations.organization', id::text, left(name, 255), NULL, "
                f"jsonb_build_object({after}, 'groups', audit_groups), %s FROM {self.table}",
                [now, actor.user_id, actor.label, request_id],
            )


def _write_chunk(
    actor: Actor, run: ImportRun, outcomes: list[RowOutcome], new_organizations: _NewOrganizations | None = None
) -> dict[str, int]:
    now = timezone.now()
    today = now.date()
    request_id = current_request_id()
    new_rows, new_groups, memberships, events, updates, regrouped = [], [], [], [], [], []
    through = OrganizationGroup.organizations.through
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    broker_id = actor.broker_id
    for o in outcomes:
        if o.action == RowAction.NEW:
            org_id = uuid.uuid4()
            cleaned = o.cleaned
            values = [cleaned[f] if f in cleaned else default for f, default in _DEFAULT_ITEMS]
            if values[_BILLING_START] is None:
                values[_BILLING_START] = today
            new_rows.append([org_id, now, now, broker_id, *values])
            if o.groups:
                new_groups.append(sorted(str(g.pk) for g in o.groups))
                memberships += [through(organization_id=org_id, organizationgroup_id=g.pk) for g in o.groups]
            else:
                new_groups.append([])
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
    if new_organizations is not None:
        new_organizations.write(new_rows, new_groups, now, actor, request_id)
    else:
        insert_rows(Organization, _ORG_COLUMNS, new_rows)
    fields_by_org: dict[tuple[str, ...], list[Organization]] = {}
    for org, fields in updates:
        fields_by_org.setdefault(tuple(sorted({*fields, "updated_at"})), []).append(org)
    for fields, orgs in fields_by_org.items():
        Organization.objects.bulk_update(orgs, list(fields), batch_size=500)
    if regrouped:
        through.objects.filter(organization_id__in=regrouped).delete()
    bulk_insert(through, memberships)
    if new_organizations is None:
        insert_rows(
            AuditEvent,
            _AUDIT_COLUMNS,
            [_created_event(r, g, now, actor, request_id) for r, g in zip(new_rows, new_groups, strict=True)],
        )
    audit = build_events(actor=actor, action="organization.updated", items=events)
    for event in audit:
        event.occurred_at = now
    bulk_insert(AuditEvent, audit)
    ImportIssue.objects.bulk_create(
        _issues(run, [o for o in outcomes if o.action == RowAction.ERROR], ImportPhase.IMPORT)
    )
    return counts


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
            _forget_prepared(run)  # made again from the upload when the import is run again
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.FAILED, updated_at=timezone.now())
        raise


_TOTALS = ("created", "updated", "skipped", "failed")


def _merge_chunk(checkpoint: dict[str, Any], start: int, end: int, counts: dict[str, int]) -> dict[str, Any]:
    """The checkpoint with the rows ``start`` to ``end`` committed.

    ``next_index`` is where the rows not yet committed begin; chunks committed after it (by the other
    writer, ahead of a chunk still being written) wait in ``committed`` (start → end) until the rows
    before them are committed too. A resumed run skips both."""
    committed = dict(checkpoint.get("committed", {}))
    committed[str(start)] = end
    index = checkpoint.get("next_index", 0)
    while str(index) in committed:
        index = committed.pop(str(index))
    return {
        **checkpoint,
        **{key: checkpoint.get(key, 0) + counts[key] for key in _TOTALS},
        "next_index": index,
        "committed": committed,
    }


class _Writers:
    """Writes the import's chunks, each in its own transaction, with ``count`` connections at once.

    With ``count`` of 1 the chunks are written here, in order. With more, each writer is a thread
    with its own database connection: PostgreSQL then maintains the organization table's indexes
    on both cores while this thread reads the next chunks. ``submit(..., alone=True)`` waits until
    no other chunk is being written, and makes the next wait for it: chunks that update existing
    organizations are written alone, in file order. The first failure stops every writer and is
    raised here; the chunks committed before it stay committed, with their checkpoint.
    """

    def __init__(self, count: int, write: Callable[[Any, list], None]) -> None:
        self.count = count
        self.write = write
        self.error: BaseException | None = None
        self.busy = 0
        self.idle = threading.Condition()
        self.queue: queue.Queue = queue.Queue(maxsize=max(count, 1))
        self.threads: list[threading.Thread] = []
        self.inline: contextlib.ExitStack | None = None
        self.inline_staging: Any = None

    def __enter__(self) -> _Writers:
        if self.count == 1:
            self.inline = contextlib.ExitStack()
            self.inline_staging = self.inline.enter_context(_staging())
            return self
        for number in range(self.count):
            context = contextvars.copy_context()  # the request id of the audit events
            thread = threading.Thread(
                target=context.run, args=(self._serve,), name=f"import-writer-{number}", daemon=True
            )
            thread.start()
            self.threads.append(thread)
        return self

    def _fail(self, exc: BaseException) -> None:
        with self.idle:
            self.error = self.error or exc

    def _serve(self) -> None:
        staging: Any = None
        tables = contextlib.ExitStack()
        try:
            try:
                staging = tables.enter_context(_staging())
            except BaseException as exc:  # nothing is written; the queue is still emptied below
                self._fail(exc)
            while (item := self.queue.get()) is not None:
                try:
                    if self.error is None:
                        self.write(staging, item)
                except BaseException as exc:
                    self._fail(exc)
                finally:
                    with self.idle:
                        self.busy -= 1
                        self.idle.notify_all()
        finally:
            try:
                tables.close()
            finally:
                connections.close_all()  # this thread's own connections

    def _wait_idle(self) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.busy == 0)

    def _raise_failure(self) -> None:
        if self.error is not None:
            raise self.error

    def submit(self, item: list, *, alone: bool = False) -> None:
        self._raise_failure()
        if self.inline is not None:
            self.write(self.inline_staging, item)
            return
        if alone:
            self._wait_idle()
            self._raise_failure()
        with self.idle:
            self.busy += 1
        self.queue.put(item)
        if alone:
            self._wait_idle()
        self._raise_failure()

    def __exit__(self, *exc: object) -> None:
        if self.inline is not None:
            self.inline.close()
            return
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        if exc[0] is None:
            self._raise_failure()


def _staging():
    """PostgreSQL: the temporary table new organizations go through. None elsewhere."""
    return _NewOrganizations() if connection.vendor == "postgresql" else contextlib.nullcontext()


def _writer_count() -> int:
    """Two writers on PostgreSQL when the job runs on its own (as in a worker); one otherwise: within
    an outer transaction, another connection would not see its uncommitted rows."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, WRITERS)


def _apply(ctx: JobContext, run: ImportRun) -> dict[str, Any]:
    actor = _actor_for_run(run)
    checkpoint = ctx.checkpoint
    first = checkpoint.get("next_index", 0)
    committed = {int(start): end for start, end in checkpoint.get("committed", {}).items()}
    if first:
        ctx.log(f"Resuming after row index {first}.")
    context = new_context(actor, accepted=run.accepted_conflicts, final=True)
    progress = {"done": first + sum(end - start for start, end in committed.items())}
    ctx.progress(progress["done"], run.total_rows or None)
    lock = threading.Lock()

    def write(staging, item: list) -> None:
        start, chunk = item
        for attempt in range(3):
            try:
                with transaction.atomic():
                    pairs = [_outcome(record) for record in chunk]
                    outcomes = [o for o, _ in pairs]
                    # Rows the preview found new are not looked up (the unique constraints catch an
                    # organization created since); after a conflict the whole chunk is.
                    match = (
                        None if attempt else [o for o, r in zip(outcomes, chunk, strict=True) if r[-1] != RowAction.NEW]
                    )
                    classify(context, outcomes, [d for _, d in pairs], match=match)
                    counts = _write_chunk(actor, run, outcomes, staging)
                    saved = ctx.merge_checkpoint(
                        functools.partial(_merge_chunk, start=start, end=start + len(chunk), counts=counts)
                    )
                    ImportRun.objects.filter(pk=run.pk).update(
                        **{key: saved[key] for key in _TOTALS}, updated_at=timezone.now()
                    )
                break
            except IntegrityError:
                # Someone created a conflicting organization meanwhile: classify the chunk again,
                # every row against the database.
                if attempt == 2:
                    raise
        with lock:
            progress["done"] += len(chunk)
            ctx.progress(progress["done"])

    # The preview's cleaned rows (with its in-file duplicate findings, which cannot have changed):
    # only the matching against the current data is done again, chunk by chunk.
    _ensure_prepared(run, actor)
    read = first
    with _few_collections(), _Writers(_writer_count(), write) as writers:
        for chunk in _chunks(itertools.islice(_stored_rows(run), first, None), CHUNK_ROWS):
            if read not in committed:
                # A chunk with rows to update is written alone: two rows of a file that update the
                # same organization are applied in file order.
                writers.submit([read, chunk], alone=any(r[-1] == RowAction.UPDATE for r in chunk))
            read += len(chunk)
    # What the writers committed, as stored: their copies of the job's result may end in either order.
    ctx.job.refresh_from_db(fields=["result"])
    if read != run.total_rows:
        raise PreparedRowsDamaged(f"The import's prepared rows end after {read:,} of {run.total_rows:,} rows.")
    totals = {key: ctx.checkpoint.get(key, 0) for key in _TOTALS}
    # The import's own findings replace the preview's: the data may have changed in between.
    ImportIssue.objects.filter(run=run, phase=ImportPhase.PREVIEW).delete()
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.COMPLETED, **totals, updated_at=timezone.now())
    _forget_prepared(run)
    ctx.log(
        "Import finished: {created} created, {updated} updated, {skipped} unchanged, {failed} with errors.".format(
            **totals
        )
    )
    return {"run_id": str(run.pk), **totals}


def resume_import(*, actor: Actor, run: ImportRun) -> Job:
    """Run a failed import again. It continues after the last chunk that was committed."""
    actor.require(Perm.ORGANIZATION_CREATE)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        _require_may_run(actor, run)
        if run.status != ImportStatus.FAILED:
            raise Conflict("Only a failed import can be run again.")
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
