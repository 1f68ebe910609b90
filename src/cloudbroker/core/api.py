"""API plumbing shared by every router: the request's actor and one rendering of every error.

Authentication (tokens, the session) belongs to ``accounts`` and is wired where the API is
assembled (``cloudbroker/api.py``)."""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404, HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cloudbroker.core.actors import Actor
from cloudbroker.core.errors import DomainError
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404

__all__ = ["OWN_THINGS", "actor_of", "install_error_handlers", "requires"]

F = TypeVar("F", bound=Callable[..., Any])

#: Declared by operations any staff member may call on their own things (their profile, their tokens).
OWN_THINGS = "own things"


def actor_of(request: HttpRequest) -> Actor:
    """The actor that authentication resolved for this API request."""
    actor: Actor = request.auth  # type: ignore[attr-defined]  # set by django-ninja's authentication
    return actor


def requires(perm: Perm | str, *, lookup: tuple[Any, str] | None = None) -> Callable[[F], F]:
    """Declare what an API operation needs, as a page declares ``required_perm``.

    ``perm`` is a :class:`Perm`, or :data:`OWN_THINGS` for what every staff member may do to
    their own things. With ``lookup=(queryset, "param")`` (or ``"payload.field"`` for an id in the
    body) the object the operation acts on
    is first looked up through ``visible_to``, so a role that lacks the permission still gets a
    404 for an object outside its scope (ADR 0002: scope first, then permission). The handler
    looks the object up itself; this lookup runs only when the permission is missing.
    Services check the permission again.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if isinstance(perm, Perm):
                actor = actor_of(request)
                if not actor.has(perm):
                    if lookup is not None:
                        queryset, param = lookup
                        name, *attributes = param.split(".")
                        pk = kwargs[name]
                        for attribute in attributes:  # e.g. "payload.organization": an id in the body
                            pk = getattr(pk, attribute)
                        get_visible_or_404(queryset, actor, pk)
                    actor.require(perm)
            return fn(request, *args, **kwargs)

        wrapper.required_perm = perm  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


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
