"""API plumbing shared by every router: authentication to an actor, error rendering, scoping."""

from django.http import Http404, HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from cloudbroker.accounts.services import authenticate_token
from cloudbroker.core.actors import Actor, actor_for_user
from cloudbroker.core.errors import DomainError

__all__ = ["BearerTokenAuth", "PortalSessionAuth", "actor_of", "get_visible", "install_error_handlers"]


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer cb_…` personal API tokens, acting with their owner's scope."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        user = authenticate_token(token)
        if user is None:
            return None
        actor = actor_for_user(user, via_token=True)
        request.actor = actor
        return actor


class PortalSessionAuth(SessionAuth):
    """The portal's own calls: the logged-in session, with CSRF checked by ninja."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        actor = actor_for_user(user)
        request.actor = actor
        return actor


def actor_of(request: HttpRequest) -> Actor:
    return request.auth


def get_visible(queryset, actor: Actor, pk):
    """The object with ``pk`` among those the actor may see, else 404 (never 403: no existence leak)."""
    obj = queryset.visible_to(actor).filter(pk=pk).first()
    if obj is None:
        raise Http404("Not found.")
    return obj


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
