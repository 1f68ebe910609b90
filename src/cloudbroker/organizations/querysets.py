"""Querysets that the organization pages and the API share (views never import ``api.py``)."""

from __future__ import annotations

import uuid
from typing import Literal

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from cloudbroker.organizations.models import Organization, OrganizationGroup

__all__ = [
    "SORTS",
    "SortKey",
    "group_list_queryset",
    "organization_list_queryset",
    "visible_group_ids",
    "visible_groups",
    "visible_history",
]

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


def visible_groups(actor, groups) -> list:
    """Of ``groups`` (already loaded, e.g. prefetched), those ``actor`` may see; no query.

    An organization can sit in groups outside a Key Account Manager's; their names and ids are
    not theirs to see (issue 11).
    """
    from cloudbroker.core.permissions import Scope

    if actor is None:
        return []
    if actor.scope is Scope.BROKER:
        return list(groups)  # an organization's groups are of its broker
    if actor.scope is Scope.GROUPS:
        mine = {str(pk) for pk in actor.group_ids}
        return [g for g in groups if str(g.pk) in mine]
    return []


def _count_of(model, field: str):
    counts = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("*"))
    return Coalesce(Subquery(counts.values("n"), output_field=IntegerField()), 0)


def group_list_queryset(actor):
    """The groups an actor sees with their organization and user counts (a subquery per count, so
    a group of 100,000 organizations is counted from the membership index, not joined row by row)."""
    through = OrganizationGroup.organizations.through
    users = OrganizationGroup.users.through
    return OrganizationGroup.objects.visible_to(actor).annotate(
        member_count=_count_of(through, "organizationgroup_id"),
        user_count=_count_of(users, "organizationgroup_id"),
    )


def visible_group_ids(actor, ids) -> list:
    """Of stored group ids (an audit event's ``groups``), those of groups ``actor`` may see; no query."""
    from cloudbroker.core.permissions import Scope

    if actor is None:
        return []
    if actor.scope is Scope.BROKER:
        return list(ids)
    mine = {str(pk) for pk in actor.group_ids} if actor.scope is Scope.GROUPS else set()
    return [i for i in ids if str(i) in mine]


def visible_history(actor, organization):
    """An organization's audit events that ``actor`` may read (the caller has scope-checked the
    organization): events about its membership of a group the actor cannot see are left out."""
    from cloudbroker.core.models import AuditEvent
    from cloudbroker.core.permissions import Scope

    qs = AuditEvent.objects.for_organization(organization)
    if actor.scope is not Scope.BROKER:
        mine = [str(pk) for pk in actor.group_ids] if actor.scope is Scope.GROUPS else []
        qs = qs.exclude(Q(object_type=OrganizationGroup._meta.label_lower) & ~Q(object_id__in=mine))
    return qs
