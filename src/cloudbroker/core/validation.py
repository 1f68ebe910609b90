"""Turn Django model validation into one ValidationFailed listing every bad field."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

from cloudbroker.core.errors import FieldError, ValidationFailed

__all__ = ["errors_from_django", "validate_model"]


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
