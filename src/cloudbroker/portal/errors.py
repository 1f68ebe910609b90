"""The portal's rendering of errors: 403, 404, and any domain error a view did not handle itself."""

from __future__ import annotations

from django.shortcuts import render

from cloudbroker.core.errors import DomainError


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "Your role does not allow this."
    return render(request, "portal/error.html", {"title": "Not allowed", "message": message}, status=403)


def not_found(request, exception=None):
    return render(
        request,
        "portal/error.html",
        {"title": "Not found", "message": "This page does not exist, or it is not yours to see."},
        status=404,
    )


class DomainErrorMiddleware:
    """A DomainError that escapes a portal view is shown as a page with its status, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError) and not request.path.startswith("/api/"):
            return render(
                request,
                "portal/error.html",
                {"title": "Could not complete", "message": exception.message},
                status=exception.status,
            )
        return None
