"""API plumbing shared by every router: the request's actor and one rendering of every error.

Authentication (tokens, the session) belongs to ``accounts`` and is wired where the API is
assembled (``cloudbroker/api.py``)."""

from django.http import Http404, HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cloudbroker.core.actors import Actor
from cloudbroker.core.errors import DomainError

__all__ = ["actor_of", "install_error_handlers"]


def actor_of(request: HttpRequest) -> Actor:
    """The actor that authentication resolved for this API request."""
    actor: Actor = request.auth  # type: ignore[attr-defined]  # set by django-ninja's authentication
    return actor


def install_error_handlers(api) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        errors = []
        for err in exc.errors:
            loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
            errors.append(
                {
                    "field": ".".join(loc),
                    "message": err.get("msg", "Invalid value."),
                    "code": err.get("type", "invalid"),
                }
            )
        first = errors[0] if errors else {"field": None, "message": "Invalid request."}
        body = {"code": "validation_failed", "message": first["message"], "field": first["field"], "errors": errors}
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        return api.create_response(
            request,
            {"code": "not_authenticated", "message": "Log in or send a valid API token.", "field": None},
            status=401,
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, {"code": "not_found", "message": "Not found.", "field": None}, status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(
            request, {"code": "http_error", "message": str(exc), "field": None}, status=exc.status_code
        )
