"""Turn Django model validation into one ValidationFailed listing every bad field; and the
cleaning of typed or sent values that services without a model form share (a whole number, a
line of text, a date), each adding its problem, with the field named, to the errors collected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

from cloudbroker.core.errors import FieldError, ValidationFailed

__all__ = ["errors_from_django", "iso_date", "plain_text", "validate_model", "whole_number"]


def whole_number(raw: Any, field: str, errors: list[FieldError], *, what: str = "the number of seats") -> int | None:
    """``12`` or ``"12"``; a fraction, a float, a bool or words are refused (None, and the error added)."""
    text = str(raw).strip() if raw is not None else ""
    if isinstance(raw, bool) or not (text.isascii() and text.lstrip("-").isdigit()):
        errors.append(FieldError(field, f"Enter {what} as a whole number.", "invalid"))
        return None
    return int(text)


def plain_text(raw: Any, field: str, errors: list[FieldError], *, limit: int) -> str:
    """One line of text, stripped: at most ``limit`` characters, no control characters."""
    value = str(raw or "").strip()
    if len(value) > limit:
        errors.append(FieldError(field, f"Use at most {limit} characters.", "max_length"))
    if any(ord(c) < 32 for c in value):
        errors.append(FieldError(field, "Control characters are not allowed.", "invalid"))
    return value


def iso_date(
    raw: Any, field: str, errors: list[FieldError], *, message: str = "Enter a date as YYYY-MM-DD."
) -> dt.date | None:
    """A date (``YYYY-MM-DD``, or a date object); None for nothing given, or with the error added."""
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        errors.append(FieldError(field, message, "invalid"))
        return None


def errors_from_django(exc: DjangoValidationError, *, row: int | None = None) -> list[FieldError]:
    errors: list[FieldError] = []
    if hasattr(exc, "error_dict"):
        for field, field_errors in exc.error_dict.items():
            for err in field_errors:
                message = " ".join(err.messages)
                errors.append(
                    FieldError(
                        field=field if field != "__all__" else "", message=message, code=err.code or "invalid", row=row
                    )
                )
    else:
        for err in exc.error_list:
            errors.append(FieldError(field="", message=" ".join(err.messages), code=err.code or "invalid", row=row))
    return errors


def validate_model(
    obj: models.Model, *, fields: Iterable[str] | None = None, row: int | None = None, validate_unique: bool = True
) -> None:
    exclude = None
    if fields is not None:
        wanted = set(fields)
        exclude = [f.name for f in obj._meta.get_fields() if f.concrete and f.name not in wanted]
    try:
        obj.full_clean(exclude=exclude, validate_unique=validate_unique)
    except DjangoValidationError as exc:
        raise ValidationFailed(errors_from_django(exc, row=row)) from None
