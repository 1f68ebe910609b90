"""Per-request context (request id, actor) carried in contextvars so services can read it."""

from __future__ import annotations

import contextvars

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

__all__ = ["current_request_id", "request_id_var"]


def current_request_id() -> str:
    return request_id_var.get()
