"""The one way a request reaches a tenant-owned row: through ``visible_to(actor)``.

Anything outside the actor's scope is answered as if it did not exist (404, never 403), so an id
from another broker, organization or group tells nothing about whether it exists (ADR 0002).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import models
from django.http import Http404

from cloudbroker.core.actors import Actor

__all__ = [
    "ScopedQuerySet",
    "get_visible_or_404",
    "lock_or_404",
    "parse_uuid",
    "register_organization_scope",
    "visible_organization_ids",
]

_organization_scope: Callable[[Actor], Any] | None = None


def register_organization_scope(scope: Callable[[Actor], Any]) -> None:
    """Called once by the organizations app: ``scope(actor)`` is a queryset of the ids
    (``values("pk")``) of the organizations ``actor`` sees. Core names no app, so the rule of
    who sees which organization is handed to it rather than imported."""
    global _organization_scope
    _organization_scope = scope


def visible_organization_ids(actor: Actor) -> Any:
    """A subquery of the ids of the organizations ``actor`` sees (the organizations app's rule)."""
    if _organization_scope is None:
        raise RuntimeError("The organizations app has not registered its scope (is it installed?).")
    return _organization_scope(actor)


def lock_or_404(queryset: Any, pk: Any) -> Any:
    """Re-read a row with its lock (inside a service's transaction). When someone deleted it in the
    meantime (a delete racing an update), the answer is a 404, not a server error."""
    from cloudbroker.core.errors import NotFound

    obj = queryset.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound("This no longer exists: it was deleted meanwhile.")
    return obj


class ScopedQuerySet(models.QuerySet):
    """``visible_to(actor)`` from what the model declares, instead of a hand-written branch per model.

    Every row belongs to a broker (``scope_broker``, the broker's id field). Roles that see the
    whole broker see every row of it. Other actors (account managers, organization users) see:

    * ``scope_organization``: rows hanging off an organization (a path to it, e.g.
      ``"organization"`` or ``"organization_id"``) follow that organization's visibility;
    * ``scope_owner``: rows without an organization (a job, an import) only when they made them
      (the path to the user id, e.g. ``"created_by_id"``);
    * neither: nothing.
    """

    scope_broker: ClassVar[str] = "broker_id"
    scope_organization: ClassVar[str | None] = None
    scope_owner: ClassVar[str | None] = None

    def visible_to(self, actor: Actor) -> Any:
        qs = self.filter(**{self.scope_broker: actor.broker_id})
        if actor.scope_is_broker:
            return qs
        if self.scope_organization is not None:
            return qs.filter(**{f"{self.scope_organization}__in": visible_organization_ids(actor)})
        if self.scope_owner is not None and actor.user_id is not None:
            return qs.filter(**{self.scope_owner: actor.user_id})
        return qs.none()


def parse_uuid(value: Any) -> uuid.UUID | None:
    """An id from a URL, a query or a form: the UUID it spells, or None for anything else."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def get_visible_or_404(queryset: Any, actor: Actor, pk: Any) -> Any:
    """The object with ``pk`` among those ``actor`` may see, else 404 (also for an id that is no
    UUID at all: a typed or tampered form value is "not found", never a server error)."""
    pk = parse_uuid(pk)
    if pk is None:
        raise Http404("Not found.")
    obj = queryset.visible_to(actor).filter(pk=pk).first()
    if obj is None:
        raise Http404("Not found.")
    return obj
