import uuid

from django.db.models import Count
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from cloudbroker.core.api import actor_of, requires
from cloudbroker.core.pagination import Pagination
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.microsoft365 import provisioning, services
from cloudbroker.microsoft365.models import MicrosoftTenant, PartnerCenterConnection
from cloudbroker.microsoft365.querysets import tenant_list_queryset
from cloudbroker.microsoft365.schemas import (
    AutoLinkOut,
    ConnectionIn,
    ConnectionOut,
    ConnectionTestOut,
    CreateAndLinkIn,
    DomainCheckOut,
    JobRef,
    LinkIn,
    TenantOut,
    TenantRequest,
)
from cloudbroker.organizations.models import Organization

router = Router(tags=["Partner Center"])
tenants_router = Router(tags=["Microsoft 365 tenants"])
# Mounted under /catalog beside the catalog app's own operations: the sync is Partner Center's.
catalog_sync_router = Router(tags=["Catalog"])


@router.get("/connection", response=ConnectionOut, summary="The Partner Center connection (secret never shown)")
@requires(Perm.PARTNER_CENTER_SYNC)
def get_connection(request):
    actor = actor_of(request)
    return get_object_or_404(PartnerCenterConnection.objects.visible_to(actor))


@router.put("/connection", response=ConnectionOut, summary="Enter or change the Partner Center credentials")
@requires(Perm.PARTNER_CENTER_MANAGE)
def put_connection(request, payload: ConnectionIn):
    return services.save_connection(actor=actor_of(request), data=payload.dict(exclude_unset=True))


@router.post("/connection/test", response=ConnectionTestOut, summary="Test the credentials against Partner Center")
@requires(Perm.PARTNER_CENTER_SYNC)
def test_connection(request):
    ok, message = services.test_connection(actor=actor_of(request))
    return {"ok": ok, "message": message}


@router.post("/sync", response={202: JobRef}, summary="Start a sync of customers, subscriptions and users")
@requires(Perm.PARTNER_CENTER_SYNC)
def start_sync(request):
    job = services.start_sync(actor=actor_of(request))
    return Status(202, {"job_id": job.pk})


@catalog_sync_router.post(
    "/sync", response={202: JobRef}, summary="Start a sync of the catalog and vendor prices from Partner Center"
)
@requires(Perm.CATALOG_MANAGE)
def start_catalog_sync(request):
    """Products, offers and the market's price sheet are read in the background; the job's page and
    ``GET /api/v1/jobs/{id}`` show its progress and summary. 409 while one is queued or running."""
    job = services.start_catalog_sync(actor=actor_of(request))
    return Status(202, {"job_id": job.pk})


def _tenants(actor):
    return tenant_list_queryset(actor)


@tenants_router.get("/", response=list[TenantOut], summary="Microsoft 365 tenants")
@paginate(Pagination, page_size=50)
@requires(Perm.TENANT_VIEW)
def list_tenants(request, linked: bool | None = None, q: str = "", organization: uuid.UUID | None = None):
    return tenant_list_queryset(actor_of(request), linked=linked, q=q, organization=organization)


@tenants_router.post("/", response={202: TenantOut}, summary="Create a Microsoft 365 tenant for an organization")
@requires(Perm.TENANT_MANAGE, lookup=(Organization.objects, "payload.organization"))
def request_tenant(request, payload: TenantRequest):
    actor = actor_of(request)
    organization = get_visible_or_404(Organization.objects, actor, payload.organization)
    tenant = provisioning.request_tenant(
        actor=actor, organization=organization, data=payload.dict(exclude={"organization"})
    )
    return Status(202, _tenants(actor).get(pk=tenant.pk))


@tenants_router.get("/domain-availability", response=DomainCheckOut, summary="Is <prefix>.onmicrosoft.com free?")
@requires(Perm.TENANT_MANAGE)
def domain_availability(request, prefix: str):
    domain, available = provisioning.check_domain(actor=actor_of(request), prefix=prefix)
    return {"domain": domain, "available": available}


@tenants_router.post("/auto-link", response=AutoLinkOut, summary="Create and link an organization for every tenant")
@requires(Perm.TENANT_LINK)
def auto_link(request):
    report = services.auto_create_and_link(actor=actor_of(request))
    return {
        "created": [{"tenant": str(t.pk), "organization": str(o.pk), "name": o.name} for t, o in report.created],
        "skipped": [{"tenant": str(t.pk), "company_name": t.company_name, "reason": r} for t, r in report.skipped],
    }


@tenants_router.get("/{tenant_id}", response=TenantOut, summary="A Microsoft 365 tenant")
@requires(Perm.TENANT_VIEW, lookup=(MicrosoftTenant.objects, "tenant_id"))
def get_tenant(request, tenant_id: uuid.UUID):
    actor = actor_of(request)
    return get_visible_or_404(_tenants(actor), actor, tenant_id)


@tenants_router.post("/{tenant_id}/link", response=TenantOut, summary="Link the tenant to an organization")
@requires(Perm.TENANT_LINK, lookup=(MicrosoftTenant.objects, "tenant_id"))
def link(request, tenant_id: uuid.UUID, payload: LinkIn):
    actor = actor_of(request)
    tenant = get_visible_or_404(MicrosoftTenant.objects, actor, tenant_id)
    organization = get_visible_or_404(Organization.objects, actor, payload.organization)
    services.link_tenant(actor=actor, tenant=tenant, organization=organization)
    return _tenants(actor).get(pk=tenant.pk)


@tenants_router.delete("/{tenant_id}/link", response=TenantOut, summary="Unlink (Partner Center is not changed)")
@requires(Perm.TENANT_LINK, lookup=(MicrosoftTenant.objects, "tenant_id"))
def unlink(request, tenant_id: uuid.UUID):
    actor = actor_of(request)
    tenant = get_visible_or_404(MicrosoftTenant.objects, actor, tenant_id)
    services.unlink_tenant(actor=actor, tenant=tenant)
    return MicrosoftTenant.objects.annotate(subscription_count=Count("subscriptions"), user_count=Count("users")).get(
        pk=tenant.pk
    )


@tenants_router.post(
    "/{tenant_id}/create-organization",
    response={201: TenantOut},
    summary="Create an organization from the tenant and link it",
)
@requires(Perm.TENANT_LINK, lookup=(MicrosoftTenant.objects, "tenant_id"))
def create_and_link(request, tenant_id: uuid.UUID, payload: CreateAndLinkIn):
    actor = actor_of(request)
    tenant = get_visible_or_404(MicrosoftTenant.objects, actor, tenant_id)
    services.create_organization_and_link(
        actor=actor, tenant=tenant, data=payload.dict(exclude={"groups"}, exclude_unset=True), group_ids=payload.groups
    )
    return Status(201, _tenants(actor).get(pk=tenant.pk))


__all__ = ["router", "tenants_router"]
