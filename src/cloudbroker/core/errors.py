"""Domain errors.

Every rule a service enforces fails with a subclass of :class:`DomainError`. Each class has a
stable machine-readable ``code`` and an HTTP ``status``; one handler renders them for the API
(JSON ``{"code", "message", "field", "errors"}``) and one for the portal (a message on the form).
A 500 is only ever a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "Conflict",
    "DomainError",
    "ExternalServiceError",
    "FieldError",
    "NotFound",
    "PermissionDenied",
    "ValidationFailed",
]


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``row`` is set for multi-row input (1-based)."""

    field: str
    message: str
    code: str = "invalid"
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "message": self.message, "code": self.code}
        if self.row is not None:
            data["row"] = self.row
        return data

    def __str__(self) -> str:
        where = f"Row {self.row}, {self.field}" if self.row is not None else self.field
        return f"{where}: {self.message}"


class DomainError(Exception):
    """Base class: a business rule said no."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    default_message: ClassVar[str] = "The request could not be completed."

    def __init__(self, message: str | None = None, *, field: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.field = field
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    """Input did not pass validation; ``errors`` lists every problem found, not only the first."""

    code = "validation_failed"
    status = 422
    default_message = "Some fields are not valid."

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        self.errors = list(errors)
        first = self.errors[0] if self.errors else None
        super().__init__(
            message or (str(first) if len(self.errors) == 1 else None), field=first.field if first else None
        )

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body["errors"] = [e.as_dict() for e in self.errors]
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = "Your role does not allow this."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = "The request conflicts with the current state."


class ExternalServiceError(DomainError):
    """A call to an outside service (Partner Center, mail) failed; details keep its own code."""

    code = "external_service_error"
    status = 502
    default_message = "An external service did not complete the request."
