from __future__ import annotations

from django.conf import settings
from django.db import models

from cloudbroker.core.models import BaseModel
from cloudbroker.core.scoping import ScopedQuerySet
from cloudbroker.imports.choices import ImportKind, ImportPhase, ImportStatus

__all__ = ["ImportIssue", "ImportKind", "ImportPhase", "ImportRun", "ImportStatus"]


class ImportRunQuerySet(ScopedQuerySet):
    """Whole-broker roles see every import of the broker; others the imports they uploaded."""

    scope_owner = "created_by_id"


def _upload_to(run: ImportRun, filename: str) -> str:
    return f"imports/{run.broker_id}/{run.pk}/{filename}"


class ImportRun(BaseModel):
    """One uploaded file: its preview (what each row would do) and, once confirmed, its import."""

    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="import_runs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    #: Who confirmed the import (or last ran it again): the job runs with their rights, in their name.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=ImportKind.choices, default=ImportKind.ORGANIZATIONS)
    #: The organization the file is for (a customer's price list); None for a broker-wide file.
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to=_upload_to, max_length=500)
    file_format = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWING)
    refused_message = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    new_rows = models.PositiveIntegerField(default=0)
    update_rows = models.PositiveIntegerField(default=0)
    unchanged_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    conflict_rows = models.PositiveIntegerField(default=0)
    #: Every row the person must accept before importing (its importer says why, e.g. a customer
    #: number matched to an organization with another name and domain, or a price below cost).
    conflicts = models.JSONField(default=list, blank=True)
    #: The row numbers of the conflicts the person accepted when confirming.
    accepted_conflicts = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    dry_run = models.BooleanField(default=False)
    preview_job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.filename}"

    @property
    def can_confirm(self) -> bool:
        return self.status == ImportStatus.PREVIEWED and bool(self.new_rows or self.update_rows or self.conflict_rows)


class ImportIssue(models.Model):
    """One problem with one row and column of an import file (the downloadable error report)."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="issues")
    phase = models.CharField(max_length=8, choices=ImportPhase.choices, default=ImportPhase.PREVIEW)
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=100)
    message = models.TextField()

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["run", "phase", "row"], name="import_issue_run_idx")]

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"
