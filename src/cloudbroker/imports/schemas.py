import datetime as dt
import uuid

from ninja import Schema


class ImportChangeOut(Schema):
    """One field an update changes: its label, the value now and the value after the import."""

    field: str
    before: str
    after: str


class ImportConflictOut(Schema):
    """A row the person must accept before importing: ``message`` says why. Organizations: a
    customer number that is an organization's with another name and another domain (the other
    fields). Price lists: a price below cost (``item_code``, ``price``)."""

    row: int | None = None
    message: str = ""
    customer_number: str | None = None
    organization_id: uuid.UUID | None = None
    name: str | None = None
    domain: str | None = None
    new_name: str | None = None
    new_domain: str | None = None
    item_code: str | None = None
    price: str | None = None


class ImportRowOut(Schema):
    row: int
    action: str
    values: dict[str, str]
    errors: list[dict[str, str]]
    changes: list[ImportChangeOut] = []
    conflict: ImportConflictOut | None = None


class ImportRunOut(Schema):
    id: uuid.UUID
    kind: str
    organization_id: uuid.UUID | None = None
    filename: str
    file_format: str
    status: str
    refused_message: str
    warnings: list[str]
    total_rows: int
    new_rows: int
    update_rows: int
    unchanged_rows: int
    error_rows: int
    conflict_rows: int
    conflicts: list[ImportConflictOut]
    accepted_conflicts: list[int]
    created: int
    updated: int
    skipped: int
    failed: int
    dry_run: bool
    created_by_id: uuid.UUID | None
    confirmed_by_id: uuid.UUID | None
    preview_job_id: uuid.UUID | None
    job_id: uuid.UUID | None
    preview: list[ImportRowOut]
    created_at: dt.datetime


class ImportIssueOut(Schema):
    row: int
    column: str
    message: str
    phase: str


class JobRef(Schema):
    job_id: uuid.UUID
    run_id: uuid.UUID
