"""Writing audit events: one per change made through a service."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from cloudbroker.core.actors import Actor
from cloudbroker.core.bulk import RawJSON
from cloudbroker.core.context import current_request_id
from cloudbroker.core.models import AuditEvent

__all__ = ["EVENT_COLUMNS", "EventShape", "RawJSON", "build_events", "record_event", "snapshot"]


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


def _sql_json(model_field: models.Field, column: str) -> str:
    """The SQL (PostgreSQL) that turns ``column`` into the JSON value ``snapshot`` gives for it."""
    if isinstance(model_field, models.DateTimeField):
        raise NotImplementedError(f"{model_field.name}: date-times are not built in SQL yet; add them here")
    if isinstance(model_field, models.DateField):
        return f"to_char({column}, 'YYYY-MM-DD')"
    if isinstance(model_field, models.DecimalField | models.UUIDField) or model_field.is_relation:
        return f"{column}::text"
    if isinstance(model_field, models.CharField | models.TextField | models.BooleanField | models.IntegerField):
        return column  # a country field is a CharField holding the code
    raise NotImplementedError(f"{model_field.name}: {type(model_field).__name__} has no SQL form for audit events")


#: The columns of an audit event as a bulk path writes them (``EventShape.event_row``).
EVENT_COLUMNS = (
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
)


def _concrete(model: Any, name: str) -> models.Field:
    """A model's own column (never a reverse relation), as the SQL of an event needs."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column.")
    return field


@dataclass(frozen=True)
class EventShape:
    """One audit event's action and the fields it records, stated once.

    Services record the event from a model instance (:meth:`after`); bulk paths that never build
    instances make the same JSON from raw values in ``fields`` order (:meth:`after_json`), or let
    PostgreSQL build it from the inserted rows (:meth:`sql_after`). The three are made from this one
    list of fields and the model's field types, so a new field is added in one place.
    """

    model: type[models.Model]
    action: str
    fields: tuple[str, ...]
    extra: tuple[str, ...] = ()  # keys that are not model fields (such as ``groups``), given by the caller
    repr_field: str = "name"  # the field ``str(instance)`` shows: the event's object_repr
    _dumps: Any = field(init=False, repr=False, compare=False)
    repr_index: int = field(init=False, repr=False, compare=False)  # where ``repr_field`` is in ``fields``

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(self, "extra", tuple(self.extra))
        object.__setattr__(self, "_dumps", json.JSONEncoder(default=_json_value, ensure_ascii=True).encode)
        object.__setattr__(self, "repr_index", self.fields.index(self.repr_field))

    @property
    def object_type(self) -> str:
        return self.model._meta.label_lower

    def after(self, obj: models.Model, **extra: Any) -> dict[str, Any]:
        """The event's values from an instance (the service path)."""
        return {**snapshot(obj, self.fields), **{k: _json_value(extra[k]) for k in self.extra}}

    def after_json(self, values: Sequence[Any], **extra: Any) -> RawJSON:
        """The same values, from raw field values in ``fields`` order, as JSON text (the bulk path)."""
        data = dict(zip(self.fields, values, strict=True))
        for key in self.extra:
            data[key] = extra[key]
        return RawJSON(self._dumps(data))

    def event_row(
        self,
        object_id: Any,
        values: Sequence[Any],
        *,
        actor: Actor,
        occurred_at: dt.datetime,
        request_id: str,
        organization_id: Any = None,
        **extra: Any,
    ) -> list[Any]:
        """The event of one new object, as ``EVENT_COLUMNS``, from its raw values in ``fields`` order."""
        return [
            occurred_at,
            actor.broker_id,
            organization_id,
            actor.user_id,
            actor.label,
            self.action,
            self.object_type,
            str(object_id),
            str(values[self.repr_index])[:255],
            None,
            self.after_json(values, **extra),
            request_id,
        ]

    def sql_insert(
        self, audit_table: str, source_table: str, *, extra: Mapping[str, str], organization_id: str = "NULL", quote
    ) -> str:
        """PostgreSQL: one ``INSERT ... SELECT`` of the event of every row of ``source_table`` (rows of
        the model: ``id``, ``broker_id`` and ``fields``). Its parameters, in order: occurred_at,
        actor id, actor label, request id."""
        columns = ", ".join(quote(_concrete(AuditEvent, c).column) for c in EVENT_COLUMNS)
        name = quote(_concrete(self.model, self.repr_field).column)
        return (
            f"INSERT INTO {audit_table} ({columns}) SELECT %s, {quote('broker_id')}, {organization_id}, %s, %s, "
            f"'{self.action}', '{self.object_type}', {quote('id')}::text, left({name}, 255), NULL, "
            f"{self.sql_after(extra, quote)}, %s FROM {source_table}"
        )

    def sql_after(self, extra: Mapping[str, str], quote=lambda name: name) -> str:
        """A PostgreSQL ``jsonb_build_object(...)`` making the same values from a row's columns;
        ``extra`` gives the SQL of each extra key."""
        return "jsonb_build_object({})".format(", ".join(self._sql_pairs(extra, quote)))

    def _sql_pairs(self, extra: Mapping[str, str], quote) -> list[str]:
        pairs = []
        for name in self.fields:
            model_field = _concrete(self.model, name)
            pairs.append(f"'{name}', {_sql_json(model_field, quote(model_field.column))}")
        pairs += [f"'{key}', {extra[key]}" for key in self.extra]
        return pairs
