import uuid

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from cloudbroker.core.api import actor_of
from cloudbroker.core.jobs import enqueue_job
from cloudbroker.core.pagination import Pagination
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.microsoft365 import provisioning, services
from cloudbroker.microsoft365.models import MicrosoftTenant, PartnerCenterConnection
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


@router.get("/connection", response=ConnectionOut, summary="The Partner Center connection (secret never shown)")
def get_connection(request):
    actor = actor_of(request)
    actor.require(Perm.PARTNER_CENTER_SYNC)
    return get_object_or_404(PartnerCenterConnection.objects.visible_to(actor))


@router.put("/connection", response=ConnectionOut, summary="Enter or change the Partner Center credentials")
def put_connection(request, payload: ConnectionIn):
    return services.save_connection(actor=actor_of(request), data=payload.dict(exclude_unset=True))


@router.post("/connection/test", response=ConnectionTestOut, summary="Test the credentials against Partner Center")
def test_connection(request):
    ok, message = services.test_connection(actor=actor_of(request))
    return {"ok": ok, "message": message}


@router.post("/sync", response={202: JobRef}, summary="Start a sync of customers, subscriptions and users")
def start_sync(request):
    actor = actor_of(request)
    actor.require(Perm.PARTNER_CENTER_SYNC)
    services.connection_required(actor)
    job = enqueue_job(kind="partner_center.sync", broker_id=actor.broker_id, created_by=actor.user)
    return Status(202, {"job_id": job.pk})


def _tenants(actor):
    return (
        MicrosoftTenant.objects.visible_to(actor)
        .annotate(
            subscription_count=Count("subscriptions", filter=Q(subscriptions__removed=False), distinct=True),
            user_count=Count("users", filter=Q(users__removed=False), distinct=True),
        )
        .order_by("company_name", "id")
    )


@tenants_router.get("/", response=list[TenantOut], summary="Microsoft 365 tenants")
@paginate(Pagination, page_size=50)
def list_tenants(request, linked: bool | None = None, q: str = "", organization: uuid.UUID | None = None):
    actor = actor_of(request)
    actor.require(Perm.TENANT_VIEW)
    qs = _tenants(actor)
    if linked is not None:
        qs = qs.filter(organization__isnull=not linked)
    if organization:
        qs = qs.filter(organization_id=organization)
    if q:
        qs = qs.filter(Q(company_name__icontains=q) | Q(default_domain__icontains=q) | Q(customer_id=q))
    return qs


@tenants_router.post("/", response={202: TenantOut}, summary="Create a Microsoft 365 tenant for an organization")
def request_tenant(request, payload: TenantRequest):
    actor = actor_of(request)
    organization = get_visible_or_404(Organization.objects, actor, payload.organization)
    tenant = provisioning.request_tenant(
        actor=actor, organization=organization, data=payload.dict(exclude={"organization"})
    )
    return Status(202, _tenants(actor).get(pk=tenant.pk))


@tenants_router.get("/domain-availability", response=DomainCheckOut, summary="Is <prefix>.onmicrosoft.com free?")
def domain_availability(request, prefix: str):
    domain, available = provisioning.check_domain(actor=actor_of(request), prefix=prefix)
    return {"domain": domain, "available": available}


@tenants_router.post("/auto-link", response=AutoLinkOut, summary="Create and link an organization for every tenant")
def auto_link(request):
    report = services.auto_create_and_link(actor=actor_of(request))
    return {
        "created": [{"tenant": str(t.pk), "organization": str(o.pk), "name": o.name} for t, o in report.created],
        "skipped": [{"tenant": str(t.pk), "company_name": t.company_name, "reason": r} for t, r in report.skipped],
    }


@tenants_router.get("/{tenant_id}", response=TenantOut, summary="A Microsoft 365 tenant")
def get_tenant(request, tenant_id: uuid.UUID):
    actor = actor_of(request)
    tenant = get_visible_or_404(_tenants(actor), actor, tenant_id)
    actor.require(Perm.TENANT_VIEW)
    return tenant


@tenants_router.post("/{tenant_id}/link", response=TenantOut, summary="Link the tenant to an organization")
def link(request, tenant_id: uuid.UUID, payload: LinkIn):
    actor = actor_of(request)
    tenant = get_visible_or_404(MicrosoftTenant.objects, actor, tenant_id)
    organization = get_visible_or_404(Organization.objects, actor, payload.organization)
    services.link_tenant(actor=actor, tenant=tenant, organization=organization)
    return _tenants(actor).get(pk=tenant.pk)


@tenants_router.delete("/{tenant_id}/link", response=TenantOut, summary="Unlink (Partner Center is not changed)")
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
def create_and_link(request, tenant_id: uuid.UUID, payload: CreateAndLinkIn):
    actor = actor_of(request)
    tenant = get_visible_or_404(MicrosoftTenant.objects, actor, tenant_id)
    services.create_organization_and_link(
        actor=actor, tenant=tenant, data=payload.dict(exclude={"groups"}, exclude_unset=True), group_ids=payload.groups
    )
    return Status(201, _tenants(actor).get(pk=tenant.pk))


__all__ = ["router", "tenants_router"]
