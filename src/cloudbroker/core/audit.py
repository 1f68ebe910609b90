"""Writing audit events: one per change made through a service."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from cloudbroker.core.actors import Actor
from cloudbroker.core.context import current_request_id
from cloudbroker.core.models import AuditEvent

__all__ = ["record_event", "snapshot"]


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(_json_value(v) for v in value)
    if hasattr(value, "code") and not isinstance(value, (str, int, float, bool)):  # django-countries Country
        return value.code or ""
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of ``fields`` on ``obj`` (foreign keys by id)."""
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        data[name] = _json_value(getattr(obj, attname))
    return data


def record_event(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    organization_id: uuid.UUID | None = None,
    object_repr: str | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        broker_id=actor.broker_id,
        organization_id=organization_id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(object_repr if object_repr is not None else str(obj))[:255],
        before=before,
        after=after,
        request_id=current_request_id(),
    )


def build_events(
    *, actor: Actor, action: str, items: Iterable[tuple[models.Model, dict | None, dict | None, uuid.UUID | None]]
) -> list[AuditEvent]:
    """Unsaved events for a bulk write (saved with one ``bulk_create``)."""
    request_id = current_request_id()
    return [
        AuditEvent(
            broker_id=actor.broker_id,
            organization_id=org_id,
            actor_id=actor.user_id,
            actor_label=actor.label,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:255],
            before=before,
            after=after,
            request_id=request_id,
        )
        for obj, before, after, org_id in items
    ]
