"""The one way a request reaches a tenant-owned row: through ``visible_to(actor)``.

Anything outside the actor's scope is answered as if it did not exist (404, never 403), so an id
from another broker, organization or group tells nothing about whether it exists (ADR 0002).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from cloudbroker.core.actors import Actor

__all__ = ["get_visible_or_404"]


def get_visible_or_404(queryset: Any, actor: Actor, pk: Any) -> Any:
    """The object with ``pk`` among those ``actor`` may see, else 404."""
    obj = queryset.visible_to(actor).filter(pk=pk).first()
    if obj is None:
        raise Http404("Not found.")
    return obj
