"""Partner Center's error body and the codes the emulator answers with."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer in Partner Center's error shape: ``{code, description, data, source}``."""

    def __init__(self, status: int, code: int, description: str, data: list[Any] | None = None):
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.data = data or []

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "description": self.description, "data": self.data, "source": "PartnerFD"}


def not_found(what: str = "Resource") -> ApiError:
    return ApiError(404, 1000, f"{what} not found.")


def invalid_property(field: str, message: str) -> ApiError:
    return ApiError(400, 3000, f"Invalid property {field}: {message}", [field])


def invalid_input(message: str, data: list[Any] | None = None) -> ApiError:
    return ApiError(400, 800002, f"Invalid request input: {message}", data)
