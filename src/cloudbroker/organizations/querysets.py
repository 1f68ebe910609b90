"""Querysets that the organization pages and the API share (views never import ``api.py``)."""

from __future__ import annotations

import uuid
from typing import Literal

from django.db.models import Prefetch

from cloudbroker.organizations.models import Organization, OrganizationGroup

__all__ = ["SORTS", "SortKey", "organization_list_queryset"]

SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "customer_number": ("customer_number", "id"),
    "-customer_number": ("-customer_number", "-id"),
    "primary_domain": ("primary_domain", "id"),
    "-primary_domain": ("-primary_domain", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
SortKey = Literal[
    "name", "-name", "customer_number", "-customer_number", "primary_domain", "-primary_domain", "created", "-created"
]


def organization_list_queryset(actor, *, q: str = "", group: uuid.UUID | None = None, sort: str = "name"):
    """The organizations an actor sees, searched, filtered and sorted (portal and API share it)."""
    qs = Organization.objects.visible_to(actor).search(q)
    if group:
        qs = qs.filter(groups__in=OrganizationGroup.objects.visible_to(actor).filter(pk=group))
    groups = Prefetch("groups", queryset=OrganizationGroup.objects.only("id", "name"))
    return qs.order_by(*SORTS.get(sort, SORTS["name"])).prefetch_related(groups)
