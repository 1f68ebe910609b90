"""How API requests authenticate: personal API tokens and the portal's session, each to an actor."""

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from cloudbroker.accounts.services import authenticate_token
from cloudbroker.core.actors import Actor, actor_for_user
from cloudbroker.core.errors import PermissionDenied

__all__ = ["BearerTokenAuth", "PortalSessionAuth", "staff_actor"]

NOT_STAFF = "This account belongs to an organization; the broker's API is for the broker's staff."


def staff_actor(request: HttpRequest, user, *, via_token: bool = False) -> Actor | None:
    """The actor for a staff user of the broker API; organization users are refused here, at
    authentication, so no staff operation ever sees them (their own surface comes later)."""
    actor = actor_for_user(user, via_token=via_token)
    if actor is None:
        return None
    if not actor.is_staff:
        raise PermissionDenied(NOT_STAFF)
    request.actor = actor  # type: ignore[attr-defined]
    return actor


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer cb_…` personal API tokens, acting with their owner's scope."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        user = authenticate_token(token)
        if user is None:
            return None
        return staff_actor(request, user, via_token=True)


class PortalSessionAuth(SessionAuth):
    """The portal's own calls: the logged-in session, with CSRF checked by ninja."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return staff_actor(request, user)
