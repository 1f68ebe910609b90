"""Fast inserts of many rows: PostgreSQL's COPY where available, bulk_create elsewhere."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

__all__ = ["RawJSON", "bulk_insert", "insert_rows"]


def _db_value(field: models.Field, obj: models.Model):
    value = field.pre_save(obj, add=True)
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    if isinstance(value, (uuid.UUID, decimal.Decimal, dt.date, dt.datetime)):
        return value
    if hasattr(value, "code"):  # django-countries Country
        return value.code or ""
    return field.get_db_prep_save(value, connection)


_PLAIN = (models.CharField, models.TextField)


def _sqlite_converters(fields: list[models.Field], conn):
    """Per field, how to turn the attribute into the value SQLite stores (computed once per insert)."""
    converters: list[tuple[str, Any, models.Field]] = []
    for field in fields:
        if (
            isinstance(field, _PLAIN)
            and not field.choices
            and type(field).get_db_prep_value is models.Field.get_db_prep_value
            and not hasattr(field, "countries")
        ):
            converters.append((field.attname, None, field))
        else:
            converters.append(
                (
                    field.attname,
                    lambda v, f=field: f.get_db_prep_save(
                        v.code or "" if hasattr(v, "code") and not isinstance(v, str) else v, conn
                    ),
                    field,
                )
            )
    return converters


def _row(converters, obj) -> list:
    values = []
    for attname, convert, field in converters:
        value = (
            field.pre_save(obj, add=True)
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            else obj.__dict__.get(attname)
        )  # raw value, no descriptor
        values.append(value if convert is None or value is None else convert(value))
    return values


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model], *, batch_size: int = 2000) -> None:
    """Insert ``objs`` (primary keys already set, or database-generated for auto fields).

    On PostgreSQL this streams the rows with COPY, several times faster than INSERT; elsewhere it
    is ``bulk_create``. Must run inside the caller's transaction; no signals are sent.
    """
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "sqlite":
        # One prepared INSERT run for every row: no per-row SQL compilation.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('%s' for _ in fields)})"
        # The real connection object: the ``connection`` proxy costs a context-local lookup per value.
        converters = _sqlite_converters(fields, connections[DEFAULT_DB_ALIAS])
        with connection.cursor() as cursor:
            for start in range(0, len(objs), batch_size):
                cursor.executemany(sql, [_row(converters, obj) for obj in objs[start : start + batch_size]])
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([_db_value(f, obj) for f in fields])


class RawJSON(str):
    """JSON text already dumped by the caller, written to a JSON column as it is."""

    __slots__ = ()


def _dump_json(value) -> str:
    return value if type(value) is RawJSON else json.dumps(value)


def _field(model: type[models.Model], attname: str) -> models.Field:
    for field in model._meta.concrete_fields:
        if attname in (field.attname, field.name):
            return field
    raise KeyError(f"{model.__name__} has no field {attname!r}")


def _naive_utc(value: dt.datetime) -> str:
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _converter(field: models.Field, vendor: str):
    """How a raw value of ``field`` is turned into what the driver takes (None: as it is).

    psycopg adapts UUIDs, dates, datetimes, decimals and booleans itself; only JSON is dumped.
    SQLite keeps UUIDs as hex, datetimes as naive UTC text and dates as ISO text (as Django does).
    """
    if isinstance(field, models.JSONField):
        return _dump_json
    if vendor == "postgresql":
        return None
    if isinstance(field, models.UUIDField) or isinstance(getattr(field, "target_field", None), models.UUIDField):
        return lambda v: v.hex if isinstance(v, uuid.UUID) else v
    if isinstance(field, models.DateTimeField):
        return _naive_utc
    if isinstance(field, models.DateField):
        return lambda v: v.isoformat() if isinstance(v, dt.date) else v
    return None


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence], *, batch_size: int = 2000
) -> None:
    """Insert rows of raw values given by attribute name, without building model instances.

    For the hottest bulk paths (imports): no model ``__init__``, no per-field conversions beyond the
    few types above, chosen once per column. PostgreSQL uses COPY, SQLite one prepared INSERT.
    Runs in the caller's transaction.
    """
    if not rows:
        return
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=batch_size
        )
        return
    fields = [_field(model, c) for c in columns]
    converters = [(i, c) for i, c in enumerate(_converter(f, vendor) for f in fields) if c is not None]

    def adapted(row: Sequence) -> Sequence:
        if not converters:
            return row
        row = list(row)
        for index, convert in converters:
            value = row[index]
            if value is not None:
                row[index] = convert(value)
        return row

    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # The driver's own cursor: errors (a unique violation) are turned into Django's here.
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(adapted(row))
        else:
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('%s' for _ in columns)})"
            for start in range(0, len(rows), batch_size):
                cursor.executemany(sql, [adapted(row) for row in rows[start : start + batch_size]])
