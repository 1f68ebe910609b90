import datetime as dt
import uuid
from decimal import Decimal

from django.db.models import Count
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from cloudbroker.core.api import actor_of, requires
from cloudbroker.core.pagination import Pagination
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.microsoft365 import changes, provisioning, services
from cloudbroker.microsoft365.models import MicrosoftTenant, PartnerCenterConnection
from cloudbroker.microsoft365.querysets import tenant_list_queryset
from cloudbroker.microsoft365.schemas import (
    AddonBuyIn,
    AutoLinkOut,
    AutoRenewIn,
    BuyIn,
    ConnectionIn,
    ConnectionOut,
    ConnectionTestOut,
    CreateAndLinkIn,
    DomainCheckOut,
    JobRef,
    LinkIn,
    NextTermIn,
    PreviewOut,
    QuantityIn,
    RenameIn,
    TenantOut,
    TenantRequest,
    UpgradeIn,
    UpgradeOptionOut,
)
from cloudbroker.organizations.models import Organization
from cloudbroker.subscriptions.models import Subscription
from cloudbroker.subscriptions.schemas import CostedSubscriptionOut

_SUBSCRIPTIONS = Subscription.objects

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


# -- NCE subscriptions: buying and changing (reading is the subscriptions app's) ----------------------

subscriptions_router = Router(tags=["Subscriptions"])
organization_subscriptions_router = Router(tags=["Subscriptions"])


def _sub(actor, subscription_id):
    from cloudbroker.subscriptions.services import get_subscription

    return get_subscription(actor, subscription_id)


def _out(actor, sub):
    from cloudbroker.subscriptions.api import subscription_out

    sub = _sub(actor, sub.pk)
    return subscription_out(sub, actor)


def _money(value) -> dict | None:
    return {"amount": str(value.amount), "currency": value.currency} if value is not None else None


def _preview(actor, preview) -> dict:
    prices = actor.has(Perm.PRICE_VIEW)

    def money(value):
        return _money(value) if prices else None

    return {
        "allowed": preview.allowed,
        "message": preview.message,
        "new_total": money(preview.new_total),
        "prorated": money(preview.prorated),
        "cycle_end": preview.cycle_end,
        "deadlines": [{"quantity": q, "until": until} for q, until in preview.deadlines],
        "refund_kind": preview.refund_kind,
        "can_schedule": preview.can_schedule,
    }


@organization_subscriptions_router.post(
    "/{organization_id}/subscriptions",
    response={202: list[CostedSubscriptionOut]},
    exclude_unset=True,
    summary="Buy an NCE subscription (and add-ons), now or on a later date",
)
@requires(Perm.SUBSCRIPTION_MANAGE, lookup=(Organization.objects, "organization_id"))
def buy_subscription(request, organization_id: uuid.UUID, payload: BuyIn):
    """Answers 202 with the subscriptions made: ``pending`` until Partner Center has provisioned
    them (then ``active``), or ``scheduled`` with no price when ``provision_on`` is a later date."""
    from cloudbroker.microsoft365 import ordering
    from cloudbroker.subscriptions.api import subscription_out

    actor = actor_of(request)
    data = payload.dict()
    data["addons"] = [a.dict() for a in payload.addons]
    made = ordering.buy(actor, organization=organization_id, data=data)
    return Status(202, [subscription_out(_sub(actor, s.pk), actor) for s in made])


@subscriptions_router.post(
    "/{subscription_id}/addons", response={202: CostedSubscriptionOut}, exclude_unset=True, summary="Buy an add-on"
)
@requires(Perm.SUBSCRIPTION_MANAGE, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def buy_addon(request, subscription_id: uuid.UUID, payload: AddonBuyIn):
    from cloudbroker.microsoft365 import ordering

    actor = actor_of(request)
    made = ordering.buy_addon(actor, subscription=_sub(actor, subscription_id), data=payload.dict())
    return Status(202, _out(actor, made))


@subscriptions_router.post(
    "/{subscription_id}/quantity/preview", response=PreviewOut, summary="What a new quantity costs, before changing it"
)
@requires(Perm.SUBSCRIPTION_VIEW, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def preview_quantity(request, subscription_id: uuid.UUID, payload: QuantityIn):
    actor = actor_of(request)
    preview = changes.quantity_preview(actor, subscription=_sub(actor, subscription_id), quantity=payload.quantity)
    return _preview(actor, preview)


@subscriptions_router.post(
    "/{subscription_id}/quantity",
    response={202: CostedSubscriptionOut},
    exclude_unset=True,
    summary="Change the quantity (sent to Partner Center)",
)
@requires(Perm.SUBSCRIPTION_MANAGE, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def change_quantity(request, subscription_id: uuid.UUID, payload: QuantityIn):
    """409 with the reason (each lot's deadline) when Microsoft's rules do not allow it."""
    actor = actor_of(request)
    sub = changes.change_quantity(actor, subscription=_sub(actor, subscription_id), quantity=payload.quantity)
    return Status(202, _out(actor, sub))


@subscriptions_router.get(
    "/{subscription_id}/cancellation", response=PreviewOut, summary="Whether it can be cancelled now, and the refund"
)
@requires(Perm.SUBSCRIPTION_VIEW, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def preview_cancellation(request, subscription_id: uuid.UUID):
    actor = actor_of(request)
    return _preview(actor, changes.cancellation_preview(actor, subscription=_sub(actor, subscription_id)))


def _action(name: str, summary: str):
    def handler(request, subscription_id: uuid.UUID):
        actor = actor_of(request)
        sub = getattr(changes, name)(actor, subscription=_sub(actor, subscription_id))
        return Status(202, _out(actor, sub))

    handler.__name__ = f"{name}_subscription"
    subscriptions_router.post(
        f"/{{subscription_id}}/{name}", response={202: CostedSubscriptionOut}, exclude_unset=True, summary=summary
    )(requires(Perm.SUBSCRIPTION_MANAGE, lookup=(_SUBSCRIPTIONS, "subscription_id"))(handler))


_action("suspend", "Suspend (a scheduled purchase is withdrawn instead)")
_action("activate", "Activate a suspended subscription")
_action("cancel", "Cancel within Microsoft's 7-day window")


@subscriptions_router.put(
    "/{subscription_id}/auto-renew",
    response={202: CostedSubscriptionOut},
    exclude_unset=True,
    summary="Turn auto-renew on or off",
)
@requires(Perm.SUBSCRIPTION_MANAGE, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def set_auto_renew(request, subscription_id: uuid.UUID, payload: AutoRenewIn):
    actor = actor_of(request)
    sub = changes.set_auto_renew(actor, subscription=_sub(actor, subscription_id), enabled=payload.enabled)
    return Status(202, _out(actor, sub))


@subscriptions_router.put(
    "/{subscription_id}/name",
    response={202: CostedSubscriptionOut},
    exclude_unset=True,
    summary="Change the friendly name or the PO number",
)
@requires(Perm.SUBSCRIPTION_MANAGE, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def rename_subscription(request, subscription_id: uuid.UUID, payload: RenameIn):
    actor = actor_of(request)
    sub = changes.rename(actor, subscription=_sub(actor, subscription_id), data=payload.dict(exclude_none=True))
    return Status(202, _out(actor, sub))


@subscriptions_router.put(
    "/{subscription_id}/next-term",
    response={202: CostedSubscriptionOut},
    exclude_unset=True,
    summary="Schedule changes for the next term (applied by Partner Center at renewal)",
)
@requires(Perm.SUBSCRIPTION_MANAGE, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def schedule_next_term(request, subscription_id: uuid.UUID, payload: NextTermIn):
    actor = actor_of(request)
    sub = changes.schedule_next_term(actor, subscription=_sub(actor, subscription_id), data=payload.dict())
    return Status(202, _out(actor, sub))


@subscriptions_router.delete(
    "/{subscription_id}/next-term",
    response={202: CostedSubscriptionOut},
    exclude_unset=True,
    summary="Renew without changes",
)
@requires(Perm.SUBSCRIPTION_MANAGE, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def clear_next_term(request, subscription_id: uuid.UUID):
    actor = actor_of(request)
    sub = changes.clear_next_term(actor, subscription=_sub(actor, subscription_id))
    return Status(202, _out(actor, sub))


@subscriptions_router.get(
    "/{subscription_id}/upgrades", response=list[UpgradeOptionOut], summary="What it can be upgraded to now"
)
@requires(Perm.SUBSCRIPTION_VIEW, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def list_upgrades(request, subscription_id: uuid.UUID):
    """Partner Center's eligible transitions, with our item code of each (409 while a change is on its way)."""
    actor = actor_of(request)
    options = changes.upgrade_options(actor, subscription=_sub(actor, subscription_id))
    return [
        {
            "item_code": o.offer.item_code if o.offer else None,
            "catalog_item_id": o.catalog_item_id,
            "title": o.title,
            "eligible": o.eligible,
            "reasons": o.reasons,
        }
        for o in options
    ]


@subscriptions_router.post(
    "/{subscription_id}/upgrade",
    response={202: CostedSubscriptionOut},
    exclude_unset=True,
    summary="Upgrade all seats, or some into a new subscription (cannot be undone)",
)
@requires(Perm.SUBSCRIPTION_MANAGE, lookup=(_SUBSCRIPTIONS, "subscription_id"))
def upgrade_subscription(request, subscription_id: uuid.UUID, payload: UpgradeIn):
    actor = actor_of(request)
    sub = changes.upgrade(actor, subscription=_sub(actor, subscription_id), data=payload.dict())
    return Status(202, _out(actor, sub))


@organization_subscriptions_router.get(
    "/{organization_id}/subscriptions/quote",
    response=dict,
    summary="The price of a purchase before buying it (margin for roles that see cost)",
)
@requires(Perm.SUBSCRIPTION_VIEW, lookup=(Organization.objects, "organization_id"))
def quote_subscription(request, organization_id: uuid.UUID, offer: str, quantity: int = 1, day: dt.date | None = None):
    """``unit_price`` and ``total`` per charge from the price list of ``day`` (today by default);
    ``unit_cost``, ``total_cost`` and ``margin_percent`` only for roles that may see cost."""
    from cloudbroker.catalog.models import Offer
    from cloudbroker.core.errors import FieldError, ValidationFailed
    from cloudbroker.microsoft365 import ordering

    actor = actor_of(request)
    get_visible_or_404(Organization.objects, actor, organization_id)  # out of scope: 404 before anything else
    found = Offer.objects.visible_to(actor).select_related("product").filter(item_code=offer).first()
    if found is None:
        raise ValidationFailed([FieldError("offer", f"{offer} is not an item code of the catalog.", "invalid")])
    if quantity < 1:
        raise ValidationFailed([FieldError("quantity", "Quote at least 1 seat.", "min_value")])
    quote = ordering.quote(actor, organization=organization_id, offer=found, quantity=quantity, day=day)

    money = _money
    out: dict = {
        "item_code": found.item_code,
        "product": found.product.title,
        "quantity": quantity,
        "start": quote.start,
        "end": quote.end,
    }
    if actor.has(Perm.PRICE_VIEW):
        with_cost = actor.has(Perm.COST_VIEW)
        out |= {
            "unit_price": money(quote.unit_price),
            "total": money(quote.total),
            "price_rule": quote.price.source_for(with_cost=with_cost),
        }
        if with_cost:
            margin = quote.margin_percent
            out |= {
                "unit_cost": money(quote.price.cost),
                "total_cost": money(quote.total_cost),
                "margin_percent": None if margin is None else str(margin.quantize(Decimal("0.01"))),
            }
    return out
