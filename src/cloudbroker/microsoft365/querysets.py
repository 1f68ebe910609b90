"""Querysets that the Microsoft 365 pages and the API share (views never import ``api.py``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Q

from cloudbroker.core.actors import Actor
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.microsoft365.models import MicrosoftTenant
from cloudbroker.organizations.models import Organization

__all__ = ["tenant_list_queryset"]


def tenant_list_queryset(
    actor: Actor, *, linked: bool | None = None, q: str = "", organization: uuid.UUID | None = None
) -> Any:
    """The tenants an actor sees, with their counts, filtered like every other list: an
    organization filter names an organization the actor sees (else 404), never just an id."""
    qs = (
        MicrosoftTenant.objects.visible_to(actor)
        .select_related("organization")
        .annotate(
            subscription_count=Count("subscriptions", filter=Q(subscriptions__removed=False), distinct=True),
            user_count=Count("users", filter=Q(users__removed=False), distinct=True),
        )
        .order_by("company_name", "id")
    )
    if linked is not None:
        qs = qs.filter(organization__isnull=not linked)
    if organization is not None:
        qs = qs.filter(organization=get_visible_or_404(Organization.objects, actor, organization))
    q = q.strip()
    if q:
        qs = qs.filter(Q(company_name__icontains=q) | Q(default_domain__icontains=q) | Q(customer_id=q))
    return qs
