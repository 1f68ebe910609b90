"""Base model conventions, the audit log and the job record."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from cloudbroker.core.choices import JobStatus, OutboxStatus
from cloudbroker.core.scoping import ScopedQuerySet

__all__ = ["AuditEvent", "BaseModel", "Job", "OutboxMessage"]


class BaseModel(models.Model):
    """UUID primary key (the public id in URLs and the API) and created/updated timestamps (UTC)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEventQuerySet(ScopedQuerySet):
    """Whole-broker roles read the broker's log; others the history of organizations they see."""

    scope_organization = "organization_id"

    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")

    def for_organization(self, organization) -> AuditEventQuerySet:
        """Everything that happened to one organization (already scope-checked by the caller)."""
        return self.filter(broker_id=organization.broker_id, organization_id=organization.pk)


class AuditEvent(models.Model):
    """One change made through a service: who, when (UTC), what, to which object, before/after."""

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(auto_now_add=True)
    # Indexed together with occurred_at below; a plain index on each would only slow down writing.
    broker = models.ForeignKey("brokers.Broker", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    organization_id = models.UUIDField(null=True, blank=True)
    # Not indexed: no page looks events up by actor, and staff users are deactivated, not deleted
    # (deleting one would scan the table once to clear the reference; actor_label keeps the name).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # An organization's history and a broker's log, newest first. Every secondary index costs
        # each write (an import of 100,000 organizations writes 100,000 events), so only these two.
        indexes = [
            models.Index(fields=["organization_id", "occurred_at"], name="audit_org_time_idx"),
            models.Index(fields=["broker", "occurred_at"], name="audit_broker_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr} by {self.actor_label or 'system'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field that differs."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class JobQuerySet(ScopedQuerySet):
    """Whole-broker roles see every job of the broker; others the jobs they started."""

    scope_owner = "created_by_id"


class Job(BaseModel):
    """A long piece of work run by the job worker, with progress and a log people can read."""

    broker = models.ForeignKey("brokers.Broker", null=True, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    params = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    log = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "kind"], name="job_status_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in JobStatus.finished()

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == JobStatus.SUCCEEDED else 0
        return min(100, int(self.progress_done * 100 / self.progress_total))


class OutboxMessage(BaseModel):
    """A call to an outside service (Partner Center, mail), written in the same transaction as the
    change that needs it and delivered after commit by a job.

    ``request_id`` is sent as Partner Center's ``MS-RequestId``: every retry of the same message
    reuses it, so Partner Center treats a retry after a timeout, a lost response or a killed worker
    as the same request and nothing is created twice.
    """

    broker = models.ForeignKey("brokers.Broker", null=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=64)
    request_id = models.UUIDField(default=uuid.uuid4, unique=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=64, blank=True)
    result = models.JSONField(default=dict, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_status_display()})"
