from __future__ import annotations

import json
import re
import uuid
from typing import Any

import structlog
from django.http import JsonResponse
from django.shortcuts import render

from cloudbroker.core.context import request_id_var
from cloudbroker.core.errors import FieldError, ValidationFailed

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Give every request an id (or keep a caller's safe X-Request-ID), log with it, echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            structlog.contextvars.unbind_contextvars("request_id")
        response["X-Request-ID"] = request_id
        return response


_SURROGATE = re.compile("[\ud800-\udfff]")


def _unstorable(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (PostgreSQL refuses NUL; UTF-8 has no lone surrogates)."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000), which cannot be stored"
    if _SURROGATE.search(value):
        return "contains an unpaired surrogate (invalid Unicode), which cannot be stored"
    return None


def _find_in_json(value: Any, path: str) -> tuple[str, str] | None:
    if isinstance(value, str):
        reason = _unstorable(value)
        return (path, reason) if reason else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = _find_in_json(str(key), where) or _find_in_json(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_in_json(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def _find_in_querydict(data: Any) -> tuple[str, str] | None:
    for key in data:
        for item in [key, *data.getlist(key)]:
            reason = _unstorable(item) if isinstance(item, str) else None
            if reason:
                return key, reason
    return None


class UnstorableTextMiddleware:
    """Refuse text no database can store (a NUL byte, a lone surrogate) in any query parameter,
    form field or JSON value, with a 4xx that names the field — before any view or query runs,
    so no endpoint or page can answer a 500 for it, today's or one added later."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = _find_in_querydict(request.GET)
        if found is None and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if request.content_type == "application/json":
                try:
                    body = json.loads(request.body or b"null")
                except (ValueError, UnicodeDecodeError):
                    body = None  # malformed JSON: the API's own parser answers it
                found = _find_in_json(body, "")
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                found = _find_in_querydict(request.POST)
        if found is None:
            return self.get_response(request)
        field, reason = found
        error = ValidationFailed([FieldError(field, f"{field or 'The request'} {reason}.", "unstorable_text")])
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=error.status)
        return render(
            request,
            "portal/error.html",
            {"title": "Could not complete", "message": error.errors[0].message},
            status=400,
        )
