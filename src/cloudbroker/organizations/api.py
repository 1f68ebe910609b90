import uuid

from django.db.models import Count
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from cloudbroker.core.api import actor_of, requires
from cloudbroker.core.pagination import Pagination
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.organizations import services
from cloudbroker.organizations.models import Organization, OrganizationDomain, OrganizationGroup
from cloudbroker.organizations.querysets import SortKey, organization_list_queryset, visible_history
from cloudbroker.organizations.schemas import (
    AuditEventOut,
    DomainCreate,
    DomainOut,
    GroupCreate,
    GroupMembers,
    GroupOut,
    GroupUpdate,
    GroupUsers,
    OrganizationBulkCreate,
    OrganizationCreate,
    OrganizationOut,
    OrganizationUpdate,
)

router = Router(tags=["organizations"])
groups_router = Router(tags=["organization groups"])


def _fields(payload, exclude=()) -> dict:
    return {k: v for k, v in payload.dict(exclude_unset=True).items() if k not in exclude}


@router.get("/", response=list[OrganizationOut], summary="List organizations")
@paginate(Pagination, page_size=50)
@requires(Perm.ORGANIZATION_VIEW)
def list_organizations(request, q: str = "", group: uuid.UUID | None = None, sort: SortKey = "name"):
    return organization_list_queryset(actor_of(request), q=q, group=group, sort=sort)


@router.post("/", response={201: OrganizationOut}, summary="Create an organization")
@requires(Perm.ORGANIZATION_CREATE)
def create_organization(request, payload: OrganizationCreate):
    actor = actor_of(request)
    org = services.create_organization(actor=actor, data=_fields(payload, {"groups"}), group_ids=payload.groups)
    return Status(201, org)


@router.post("/bulk", response={201: list[OrganizationOut]}, summary="Create many organizations (all or none)")
@requires(Perm.ORGANIZATION_CREATE)
def bulk_create_organizations(request, payload: OrganizationBulkCreate):
    actor = actor_of(request)
    rows = [_fields(o, {"groups"}) for o in payload.organizations]
    orgs = services.create_organizations(actor=actor, rows=rows, group_ids=[o.groups for o in payload.organizations])
    created = Organization.objects.visible_to(actor).filter(pk__in=[o.pk for o in orgs])
    return Status(201, created.prefetch_related("groups"))


@router.get("/{organization_id}", response=OrganizationOut, summary="Get an organization")
@requires(Perm.ORGANIZATION_VIEW, lookup=(Organization.objects, "organization_id"))
def get_organization(request, organization_id: uuid.UUID):
    return get_visible_or_404(Organization.objects, actor_of(request), organization_id)


@router.patch("/{organization_id}", response=OrganizationOut, summary="Change an organization")
@requires(Perm.ORGANIZATION_CHANGE, lookup=(Organization.objects, "organization_id"))
def update_organization(request, organization_id: uuid.UUID, payload: OrganizationUpdate):
    actor = actor_of(request)
    org = get_visible_or_404(Organization.objects, actor, organization_id)
    return services.update_organization(actor=actor, organization=org, data=_fields(payload))


@router.delete("/{organization_id}", response={204: None}, summary="Delete an organization")
@requires(Perm.ORGANIZATION_DELETE, lookup=(Organization.objects, "organization_id"))
def delete_organization(request, organization_id: uuid.UUID):
    actor = actor_of(request)
    org = get_visible_or_404(Organization.objects, actor, organization_id)
    services.delete_organization(actor=actor, organization=org)
    return Status(204, None)


@router.get("/{organization_id}/history", response=list[AuditEventOut], summary="An organization's history")
@paginate(Pagination, page_size=50)
@requires(Perm.AUDIT_VIEW, lookup=(Organization.objects, "organization_id"))
def organization_history(request, organization_id: uuid.UUID):
    actor = actor_of(request)
    org = get_visible_or_404(Organization.objects, actor, organization_id)
    return visible_history(actor, org)


@router.get("/{organization_id}/domains", response=list[DomainOut], summary="Additional domains")
@requires(Perm.ORGANIZATION_VIEW, lookup=(Organization.objects, "organization_id"))
def list_domains(request, organization_id: uuid.UUID):
    org = get_visible_or_404(Organization.objects, actor_of(request), organization_id)
    return org.domains.all()


@router.post("/{organization_id}/domains", response={201: DomainOut}, summary="Add a domain")
@requires(Perm.ORGANIZATION_CHANGE, lookup=(Organization.objects, "organization_id"))
def add_domain(request, organization_id: uuid.UUID, payload: DomainCreate):
    actor = actor_of(request)
    org = get_visible_or_404(Organization.objects, actor, organization_id)
    return Status(201, services.add_domain(actor=actor, organization=org, domain=payload.domain))


@router.delete("/{organization_id}/domains/{domain_id}", response={204: None}, summary="Remove a domain")
@requires(Perm.ORGANIZATION_CHANGE, lookup=(Organization.objects, "organization_id"))
def remove_domain(request, organization_id: uuid.UUID, domain_id: uuid.UUID):
    actor = actor_of(request)
    org = get_visible_or_404(Organization.objects, actor, organization_id)
    domain = get_object_or_404(OrganizationDomain, organization=org, pk=domain_id)
    services.remove_domain(actor=actor, domain=domain)
    return Status(204, None)


# --- groups -------------------------------------------------------------------------------------


def _groups(actor):
    return OrganizationGroup.objects.visible_to(actor).annotate(member_count=Count("organizations"))


@groups_router.get("/", response=list[GroupOut], summary="List organization groups")
@paginate(Pagination, page_size=100)
@requires(Perm.GROUP_VIEW)
def list_groups(request, q: str = ""):
    qs = _groups(actor_of(request))
    return qs.filter(name__icontains=q) if q else qs


@groups_router.post("/", response={201: GroupOut}, summary="Create an organization group")
@requires(Perm.GROUP_MANAGE)
def create_group(request, payload: GroupCreate):
    actor = actor_of(request)
    group = services.create_group(actor=actor, data=payload.dict())
    return Status(201, _groups(actor).get(pk=group.pk))


@groups_router.get("/{group_id}", response=GroupOut, summary="Get an organization group")
@requires(Perm.GROUP_VIEW, lookup=(OrganizationGroup.objects, "group_id"))
def get_group(request, group_id: uuid.UUID):
    actor = actor_of(request)
    return get_visible_or_404(_groups(actor), actor, group_id)


@groups_router.patch("/{group_id}", response=GroupOut, summary="Change an organization group")
@requires(Perm.GROUP_MANAGE, lookup=(OrganizationGroup.objects, "group_id"))
def update_group(request, group_id: uuid.UUID, payload: GroupUpdate):
    actor = actor_of(request)
    group = get_visible_or_404(OrganizationGroup.objects, actor, group_id)
    services.update_group(actor=actor, group=group, data=payload.dict(exclude_unset=True))
    return _groups(actor).get(pk=group.pk)


@groups_router.delete("/{group_id}", response={204: None}, summary="Delete an organization group")
@requires(Perm.GROUP_MANAGE, lookup=(OrganizationGroup.objects, "group_id"))
def delete_group(request, group_id: uuid.UUID):
    actor = actor_of(request)
    group = get_visible_or_404(OrganizationGroup.objects, actor, group_id)
    services.delete_group(actor=actor, group=group)
    return Status(204, None)


@groups_router.get("/{group_id}/members", response=list[OrganizationOut], summary="Organizations in a group")
@paginate(Pagination, page_size=50)
@requires(Perm.GROUP_VIEW, lookup=(OrganizationGroup.objects, "group_id"))
def list_members(request, group_id: uuid.UUID, q: str = ""):
    actor = actor_of(request)
    group = get_visible_or_404(OrganizationGroup.objects, actor, group_id)
    return organization_list_queryset(actor, q=q, group=group.pk)


@groups_router.post("/{group_id}/members", response=GroupOut, summary="Add, remove or set a group's members")
@requires(Perm.GROUP_MANAGE, lookup=(OrganizationGroup.objects, "group_id"))
def change_members(request, group_id: uuid.UUID, payload: GroupMembers):
    actor = actor_of(request)
    group = get_visible_or_404(OrganizationGroup.objects, actor, group_id)
    change = {
        "add": services.add_group_members,
        "remove": services.remove_group_members,
        "set": services.set_group_members,
    }[payload.mode]
    change(actor=actor, group=group, organization_ids=payload.organizations)
    return _groups(actor).get(pk=group.pk)


@groups_router.put("/{group_id}/users", response=GroupOut, summary="Assign the group to staff users")
@requires(Perm.GROUP_MANAGE, lookup=(OrganizationGroup.objects, "group_id"))
def set_users(request, group_id: uuid.UUID, payload: GroupUsers):
    actor = actor_of(request)
    group = get_visible_or_404(OrganizationGroup.objects, actor, group_id)
    services.set_group_users(actor=actor, group=group, user_ids=payload.users)
    return _groups(actor).get(pk=group.pk)


__all__ = ["groups_router", "organization_list_queryset", "router"]
