"""How API requests authenticate: personal API tokens and the portal's session, each to an actor."""

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from cloudbroker.accounts.services import authenticate_token
from cloudbroker.core.actors import Actor, actor_for_user

__all__ = ["BearerTokenAuth", "PortalSessionAuth"]


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
