import datetime as dt
import uuid

from ninja import Schema


class ImportRowOut(Schema):
    row: int
    action: str
    values: dict[str, str]
    errors: list[dict[str, str]]
    changes: list[str] = []


class ImportRunOut(Schema):
    id: uuid.UUID
    kind: str
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
    created: int
    updated: int
    skipped: int
    failed: int
    dry_run: bool
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
