"""Bi-directional sync, the pulling half: Partner Center's customers, subscriptions and users become
MicrosoftTenant, TenantSubscription and TenantUser rows. Changes made directly in Partner Center
appear here; rows are only written when something differs, so a second sync in a row changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from cloudbroker.connectors.partner_center.schemas import Customer, CustomerUser
from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import record_event
from cloudbroker.core.errors import ExternalServiceError
from cloudbroker.core.jobs import JobContext, job_runner
from cloudbroker.microsoft365.choices import JobKind, TenantStatus
from cloudbroker.microsoft365.models import MicrosoftTenant, PartnerCenterConnection, TenantSubscription, TenantUser
from cloudbroker.microsoft365.partner_center import client_for
from cloudbroker.microsoft365.profiles import custom_domains_of, read_profiles
from cloudbroker.microsoft365.subscription_sync import (
    reconcile_licences,
    reconcile_subscriptions,
    subscription_mirror_fields,
)

__all__ = ["SyncResult", "sync_broker"]

log = structlog.get_logger(__name__)

FETCH_THREADS = 8


class SyncResult(dict):
    """Counts of what the sync created, changed and marked removed, per kind."""

    def bump(self, key: str, n: int = 1) -> None:
        self[key] = self.get(key, 0) + n

    def summary(self) -> str:
        """ "customers 3, users_created 60, ..." (the failures are listed on their own)."""
        return ", ".join(f"{k} {v}" for k, v in sorted(self.items()) if k != "failures")


def _customer_fields(customer: Customer) -> dict[str, Any]:
    """What the list of customers says of each (a short company profile): its name and domain, and
    its custom domains when the list gives them. The rest comes from the profiles themselves."""
    company, billing = customer.company_profile, customer.billing_profile
    fields: dict[str, Any] = {
        "company_name": (company and company.company_name) or (billing and billing.company_name) or "",
        "default_domain": (company and company.domain) or "",
    }
    if customer.custom_domains is not None:
        fields["custom_domains"] = custom_domains_of(customer.custom_domains)
    return fields


SUBSCRIPTION_FIELDS = (
    "offer_id",
    "offer_name",
    "friendly_name",
    "quantity",
    "status",
    "billing_cycle",
    "term_duration",
    "auto_renew",
    "commitment_end_date",
    "removed",
)
USER_FIELDS = ("user_principal_name", "display_name", "usage_location", "state", "removed")


def _user_fields(user: CustomerUser) -> dict[str, Any]:
    """The columns kept of a customer's user, read from the DTO by attribute."""
    return {
        "user_principal_name": user.user_principal_name or "",
        "display_name": user.display_name or "",
        "usage_location": user.usage_location or "",
        "state": user.state or "",
        "removed": False,
    }


def _apply(obj, fields: dict[str, Any]) -> bool:
    changed = False
    for key, value in fields.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _upsert_children(
    model,
    tenant: MicrosoftTenant,
    key: str,
    items: list[Any],
    fields_of: Callable[[Any], dict[str, Any]],
    field_names: tuple[str, ...],
    result: SyncResult,
    label: str,
) -> None:
    existing = {getattr(o, key): o for o in model.objects.filter(tenant=tenant)}
    seen = set()
    new, changed = [], []
    for item in items:
        ident = item.id
        if not ident:
            continue
        seen.add(ident)
        fields = fields_of(item)
        obj = existing.get(ident)
        if obj is None:
            new.append(model(tenant=tenant, **{key: ident}, **fields))
        elif _apply(obj, fields):
            changed.append(obj)
    gone = [o for ident, o in existing.items() if ident not in seen and not o.removed]
    for obj in gone:
        obj.removed = True
    model.objects.bulk_create(new, batch_size=500)
    update_fields = [*field_names, "updated_at"]
    now = timezone.now()
    for obj in changed + gone:
        obj.updated_at = now
    if changed or gone:
        model.objects.bulk_update(changed + gone, update_fields, batch_size=500)
    result.bump(f"{label}_created", len(new))
    result.bump(f"{label}_changed", len(changed))
    result.bump(f"{label}_removed", len(gone))


def _create_tenant(broker_id, customer_id: str, fields: dict[str, Any]) -> MicrosoftTenant | None:
    """A row for a customer found in Partner Center, or None when a delivery has just saved one."""
    if MicrosoftTenant.objects.filter(broker_id=broker_id, customer_id=customer_id).exists():
        return None
    try:
        with transaction.atomic():
            return MicrosoftTenant.objects.create(
                broker_id=broker_id,
                customer_id=customer_id,
                status=TenantStatus.ACTIVE,
                synced_at=timezone.now(),
                **fields,
            )
    except IntegrityError:
        return None


def _adopt_failed_request(tenant: MicrosoftTenant, customer_id: str, fields: dict[str, Any]) -> MicrosoftTenant:
    tenant.customer_id = customer_id
    tenant.status = TenantStatus.ACTIVE
    tenant.status_message = (
        "Found in Partner Center although the request was reported failed. The admin password was not "
        "received: reset it in the Microsoft 365 admin center."
    )
    tenant.synced_at = timezone.now()
    _apply(tenant, fields)
    tenant.save()
    record_event(
        actor=Actor.system(tenant.broker_id),
        action="tenant.recovered",
        obj=tenant,
        organization_id=tenant.organization_id,
        after={"customer_id": customer_id, "domain": tenant.default_domain},
    )
    return tenant


def _link_known_to_failed_request(tenant: MicrosoftTenant, request: MicrosoftTenant) -> None:
    organization_id = request.organization_id
    request.delete()
    tenant.organization_id = organization_id
    tenant.linked_at = timezone.now()
    tenant.status_message = (
        "Found in Partner Center although the request was reported failed. The admin password was not "
        "received: reset it in the Microsoft 365 admin center."
    )
    tenant.save()
    record_event(
        actor=Actor.system(tenant.broker_id),
        action="tenant.recovered",
        obj=tenant,
        organization_id=organization_id,
        after={"customer_id": tenant.customer_id, "domain": tenant.default_domain, "replaced_row": str(request.pk)},
    )


def sync_broker(
    broker_id, *, progress: Callable[[int, int], None] | None = None, client=None, threads: int = FETCH_THREADS
) -> SyncResult:
    if client is None:
        with client_for(broker_id) as own:
            return sync_broker(broker_id, progress=progress, client=own, threads=threads)
    result = SyncResult()
    customers = list(client.list_customers())
    result["customers"] = len(customers)
    tenants = {t.customer_id: t for t in MicrosoftTenant.objects.filter(broker_id=broker_id).exclude(customer_id="")}
    seen = set()
    with transaction.atomic():
        # Requests of ours that have no customer id yet, by the domain they asked for: a customer
        # with that domain is the one a request made (its answer is still on its way, or was lost).
        requested = {
            t.default_domain.lower(): t
            for t in MicrosoftTenant.objects.select_for_update()
            .filter(broker_id=broker_id, customer_id="", status__in=[TenantStatus.PENDING, TenantStatus.FAILED])
            .exclude(default_domain="")
        }
        for customer in customers:
            customer_id = customer.id
            seen.add(customer_id)
            fields = _customer_fields(customer)
            tenant = tenants.get(customer_id)
            if tenant is None:
                request = requested.get(fields["default_domain"].lower()) if fields["default_domain"] else None
                if request is not None and request.status == TenantStatus.PENDING:
                    # Its delivery gets Partner Center's answer (and the admin's password) and
                    # fills the row; a row of our own here would be a second one for the customer.
                    seen.discard(customer_id)
                    result.bump("tenants_pending")
                    continue
                if request is not None:
                    # The request was given up as failed, yet Partner Center made the customer.
                    tenant = _adopt_failed_request(request, customer_id, fields)
                    tenants[customer_id] = tenant
                    result.bump("tenants_recovered")
                    continue
                tenant = _create_tenant(broker_id, customer_id, fields)
                if tenant is None:  # its request's delivery saved it meanwhile
                    seen.discard(customer_id)
                    continue
                tenants[customer_id] = tenant
                result.bump("tenants_created")
            else:
                request = requested.get(fields["default_domain"].lower()) if fields["default_domain"] else None
                if request is not None and request.status == TenantStatus.FAILED and tenant.organization_id is None:
                    # A failed request whose customer is already known here unlinked: the known
                    # row becomes the organization's tenant, the request's placeholder goes.
                    _link_known_to_failed_request(tenant, request)
                    result.bump("tenants_recovered")
                if tenant.status in (TenantStatus.REMOVED, TenantStatus.PENDING):
                    fields["status"] = TenantStatus.ACTIVE
                if _apply(tenant, fields):
                    tenant.save()
                    result.bump("tenants_changed")
        for customer_id, tenant in tenants.items():
            if customer_id not in seen and tenant.status == TenantStatus.ACTIVE:
                tenant.status = TenantStatus.REMOVED
                tenant.status_message = "No longer found in Partner Center."
                tenant.save(update_fields=["status", "status_message", "updated_at"])
                result.bump("tenants_removed")

    active = [tenants[c] for c in tenants if c in seen]

    def fetch(tenant: MicrosoftTenant):
        try:
            subscriptions = list(client.list_subscriptions(tenant.customer_id))
            users = list(client.list_users(tenant.customer_id))
        except ExternalServiceError as exc:
            return tenant, exc, None, None, None
        # Licences consumed, for the organization's subscriptions (one call more for a linked tenant).
        skus = None
        if tenant.organization_id is not None:
            try:
                skus = client.list_subscribed_skus(tenant.customer_id)
            except ExternalServiceError as exc:
                log.warning("partner_center.sync_licences_failed", customer_id=tenant.customer_id, error=str(exc))
        profiles = None
        if tenant.organization_id is None and tenant.profiles_read_at is None:
            profiles = read_profiles(client, tenant.customer_id)
        return tenant, subscriptions, users, profiles, skus

    done = 0
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for tenant, subscriptions, users, profiles, skus in pool.map(fetch, active):
            if profiles:
                MicrosoftTenant.objects.filter(pk=tenant.pk).update(**profiles, updated_at=timezone.now())
                for name, value in profiles.items():
                    setattr(tenant, name, value)
                result.bump("profiles_read")
            if isinstance(subscriptions, ExternalServiceError):
                # One customer Partner Center cannot answer for now does not stop the others; its
                # rows stay as they were and the next sync tries again.
                log.warning(
                    "partner_center.sync_customer_failed", customer_id=tenant.customer_id, error=str(subscriptions)
                )
                result.bump("customers_failed")
                result.setdefault("failures", []).append(f"{tenant.customer_id}: {subscriptions.message}")
                done += 1
                if progress is not None:
                    progress(done, len(active))
                continue
            with transaction.atomic():
                _upsert_children(
                    TenantSubscription,
                    tenant,
                    "subscription_id",
                    subscriptions,
                    subscription_mirror_fields,
                    SUBSCRIPTION_FIELDS,
                    result,
                    "subscriptions",
                )
                _upsert_children(TenantUser, tenant, "user_id", users, _user_fields, USER_FIELDS, result, "users")
            reconcile_subscriptions(tenant, subscriptions, result)
            if skus is not None:
                reconcile_licences(tenant, skus, result)
            done += 1
            if progress is not None:
                progress(done, len(active))
    PartnerCenterConnection.objects.filter(broker_id=broker_id).update(last_synced_at=timezone.now())
    return result


@job_runner(JobKind.SYNC)
def _sync_job(ctx: JobContext) -> dict[str, Any]:
    result = sync_broker(ctx.job.broker_id, progress=lambda done, total: ctx.progress(done, total))
    ctx.log("Sync finished: " + result.summary())
    for failure in result.get("failures", []):
        ctx.log(f"Not synced this time: {failure}")
    return dict(result)
