"""Linking Microsoft 365 tenants to organizations, and the broker's Partner Center connection."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import record_event
from cloudbroker.core.choices import JobStatus
from cloudbroker.core.errors import Conflict, DomainError, FieldError, ValidationFailed
from cloudbroker.core.jobs import enqueue_job
from cloudbroker.core.models import Job
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import lock_or_404
from cloudbroker.core.validation import validate_model
from cloudbroker.microsoft365.choices import JobKind, TenantStatus
from cloudbroker.microsoft365.models import MicrosoftTenant, PartnerCenterConnection
from cloudbroker.microsoft365.partner_center import is_loopback
from cloudbroker.microsoft365.profiles import read_profiles
from cloudbroker.organizations import services as organization_services
from cloudbroker.organizations.models import Organization
from cloudbroker.organizations.validation import clean_domain

__all__ = [
    "AutoLinkReport",
    "auto_create_and_link",
    "create_organization_and_link",
    "ensure_profiles",
    "link_tenant",
    "organization_data_from_tenant",
    "save_connection",
    "start_catalog_sync",
    "unlink_tenant",
]

CONNECTION_FIELDS = (
    "tenant_id",
    "client_id",
    "authority_base",
    "api_base_url",
    "scope",
    "requests_per_minute",
    "sync_enabled",
    "sync_interval_minutes",
)


URL_FIELDS = {"authority_base": "The token authority", "api_base_url": "The Partner Center API address"}
TEXT_FIELDS = ("tenant_id", "client_id", "client_secret", "authority_base", "api_base_url", "scope")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _same_url(a: str | None, b: str | None) -> bool:
    return (a or "").strip().rstrip("/").lower() == (b or "").strip().rstrip("/").lower()


def _connection_errors(data: dict[str, Any]) -> list[FieldError]:
    """Control characters (a line break in a secret breaks every later call) and addresses the
    secret must not be sent to: anything but https, except to this machine (an emulator)."""
    errors = []
    for key in TEXT_FIELDS:
        value = data.get(key)
        if isinstance(value, str) and _CONTROL.search(value.strip() if key != "client_secret" else value):
            errors.append(
                FieldError(
                    key, "Remove the control characters (line breaks, tabs, NUL ...) from this field.", "invalid"
                )
            )
    for key, label in URL_FIELDS.items():
        value = data.get(key)
        if not isinstance(value, str) or not value.strip() or any(e.field == key for e in errors):
            continue
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append(FieldError(key, f"{label} must be an https:// address.", "invalid"))
        elif parts.scheme != "https" and not is_loopback(parts.hostname):
            errors.append(
                FieldError(
                    key,
                    f"{label} must use https: the client secret is sent there. Plain http is only for an "
                    "emulator on this machine (localhost, 127.0.0.1).",
                    "insecure",
                )
            )
    return errors


def save_connection(*, actor: Actor, data: dict[str, Any]) -> PartnerCenterConnection:
    """Create or change the broker's Partner Center credentials. An empty secret keeps the stored one,
    unless an address changes: the stored secret is only ever sent where it was entered for."""
    actor.require(Perm.PARTNER_CENTER_MANAGE)
    errors = [
        FieldError(k, "This field is mandatory.", "required")
        for k in ("tenant_id", "client_id")
        if not str(data.get(k) or "").strip()
    ]
    errors += _connection_errors(data)
    with transaction.atomic():
        connection = PartnerCenterConnection.objects.select_for_update().filter(broker_id=actor.broker_id).first()
        if connection is None:
            connection = PartnerCenterConnection(broker_id=actor.broker_id)
            if not data.get("client_secret"):
                errors.append(FieldError("client_secret", "Enter the client secret.", "required"))
        elif not data.get("client_secret") and connection.client_secret_encrypted:
            moved = [
                label.lower()
                for key, label in URL_FIELDS.items()
                if data.get(key) is not None and not _same_url(data[key], getattr(connection, key))
            ]
            if moved:
                errors.append(
                    FieldError(
                        "client_secret",
                        f"Enter the client secret again: {' and '.join(moved)} changed, and the stored secret "
                        "is not sent to a new address.",
                        "required",
                    )
                )
        if errors:
            raise ValidationFailed(errors)
        for key in CONNECTION_FIELDS:
            if key in data and data[key] is not None:
                setattr(connection, key, data[key].strip() if isinstance(data[key], str) else data[key])
        if data.get("client_secret"):
            connection.client_secret = data["client_secret"]
            connection.last_check_ok = None
        validate_model(connection, fields=[*CONNECTION_FIELDS, "client_secret_encrypted"], validate_unique=False)
        connection.save()
        record_event(
            actor=actor,
            action="partner_center.connection_saved",
            obj=connection,
            after={k: str(getattr(connection, k)) for k in CONNECTION_FIELDS},
        )
    return connection


def link_tenant(*, actor: Actor, tenant: MicrosoftTenant, organization: Organization) -> MicrosoftTenant:
    actor.require(Perm.TENANT_LINK)
    with transaction.atomic():
        tenant = lock_or_404(MicrosoftTenant.objects, tenant.pk)
        if tenant.organization_id is not None:
            raise Conflict("This tenant is already linked to an organization.")
        current = MicrosoftTenant.objects.select_for_update().filter(organization=organization).first()
        if current is not None:
            if current.status != TenantStatus.FAILED or current.customer_id:
                raise Conflict(f"{organization.name} already has a Microsoft 365 tenant.")
            # A request that failed before Partner Center made a customer holds only the place:
            # linking an existing tenant replaces it.
            current.delete()
        tenant.organization = organization
        tenant.linked_at = timezone.now()
        tenant.save(update_fields=["organization", "linked_at", "updated_at"])
        record_event(
            actor=actor,
            action="tenant.linked",
            obj=tenant,
            organization_id=organization.pk,
            after={"customer_id": tenant.customer_id, "organization": str(organization.pk)},
        )
    return tenant


def unlink_tenant(*, actor: Actor, tenant: MicrosoftTenant) -> MicrosoftTenant:
    """Sever the link in Cloudbroker only; Partner Center is not touched."""
    actor.require(Perm.TENANT_LINK)
    with transaction.atomic():
        tenant = lock_or_404(MicrosoftTenant.objects, tenant.pk)
        if tenant.organization_id is None:
            return tenant
        organization_id = tenant.organization_id
        tenant.organization = None
        tenant.linked_at = None
        tenant.save(update_fields=["organization", "linked_at", "updated_at"])
        record_event(
            actor=actor,
            action="tenant.unlinked",
            obj=tenant,
            organization_id=organization_id,
            before={"organization": str(organization_id)},
        )
    return tenant


def ensure_profiles(tenant: MicrosoftTenant) -> MicrosoftTenant:
    """Read an unlinked tenant's company and billing profiles from Partner Center when the sync has
    not yet (a tenant synced before profiles were read); Partner Center being unreachable leaves
    the tenant as it is."""
    from cloudbroker.microsoft365.partner_center import client_for

    if (
        tenant.organization_id is not None
        or not tenant.customer_id
        or tenant.status != TenantStatus.ACTIVE
        or tenant.profiles_read_at is not None
    ):
        return tenant
    try:
        with client_for(tenant.broker_id, timeout=10.0) as client:
            profiles = read_profiles(client, tenant.customer_id)
    except DomainError:
        return tenant
    if profiles:
        MicrosoftTenant.objects.filter(pk=tenant.pk).update(**profiles, updated_at=timezone.now())
        for name, value in profiles.items():
            setattr(tenant, name, value)
    return tenant


def organization_data_from_tenant(tenant: MicrosoftTenant) -> dict[str, str]:
    """Organization fields pre-filled from what Partner Center knows about the customer: its billing
    profile (contact, e-mail, billing address), its company profile (address, e-mail, registration
    number) and its custom domains. The sync reads these for every unlinked tenant."""
    custom_domains = [
        d for d in [*tenant.custom_domains, tenant.default_domain] if d and not d.lower().endswith(".onmicrosoft.com")
    ]
    contact = " ".join(p for p in (tenant.contact_first_name, tenant.contact_last_name) if p)
    email = tenant.contact_email or tenant.company_email
    return {
        "name": tenant.company_name,
        "primary_domain": custom_domains[0].lower() if custom_domains else "",
        "registration_number": tenant.registration_number,
        "notification_email": email,
        "street_address": tenant.address_line1,
        "postal_code": tenant.postal_code,
        "city": tenant.city,
        "state": tenant.state,
        "country": tenant.country,
        "contact_name": contact,
        "contact_phone": tenant.phone_number,
        "contact_email": email,
    }


def create_organization_and_link(
    *, actor: Actor, tenant: MicrosoftTenant, data: dict[str, Any], group_ids=()
) -> Organization:
    """'Create organization and link': the organization from the completed form, linked at once."""
    actor.require(Perm.TENANT_LINK)
    with transaction.atomic():
        organization = organization_services.create_organization(actor=actor, data=data, group_ids=group_ids)
        link_tenant(actor=actor, tenant=tenant, organization=organization)
    return organization


@dataclass
class AutoLinkReport:
    created: list[tuple[MicrosoftTenant, Organization]] = field(default_factory=list)
    skipped: list[tuple[MicrosoftTenant, str]] = field(default_factory=list)


def auto_create_and_link(*, actor: Actor) -> AutoLinkReport:
    """An organization for every unlinked tenant whose Partner Center data fills the mandatory fields;
    every tenant skipped is listed with the reason."""
    actor.require(Perm.TENANT_LINK)
    actor.require(Perm.ORGANIZATION_CREATE)
    report = AutoLinkReport()
    unlinked = MicrosoftTenant.objects.visible_to(actor).filter(organization__isnull=True, status=TenantStatus.ACTIVE)
    for tenant in unlinked.order_by("company_name"):
        data = organization_data_from_tenant(ensure_profiles(tenant))
        if not data["primary_domain"]:
            report.skipped.append((tenant, "Partner Center has no custom domain for it: enter the primary domain."))
            continue
        try:
            clean_domain(data["primary_domain"])
            organization = create_organization_and_link(actor=actor, tenant=tenant, data=data)
        except ValidationFailed as exc:
            report.skipped.append((tenant, "; ".join(str(e) for e in exc.errors)))
        except (ValueError, Conflict) as exc:
            report.skipped.append((tenant, str(exc)))
        else:
            report.created.append((tenant, organization))
    return report


def connection_required(actor: Actor) -> PartnerCenterConnection:
    connection = PartnerCenterConnection.objects.filter(broker_id=actor.broker_id).first()
    if connection is None:
        raise Conflict("Enter the Partner Center credentials first.")
    return connection


OFFBOARD_FIRST = (
    "This organization's Microsoft 365 tenant is still linked and active. Offboard the organization in "
    "Microsoft Partner Center first (that severs the link), then remove its Microsoft 365 service here, and "
    "only then delete the organization. Keep the record for 60 days after the customer leaves, so that "
    "late credits and charges can still be billed to it."
)


def tenant_blocks_deletion(organization: Organization) -> str | None:
    """Seed 000 §7: an organization whose tenant is linked and active is not deleted."""
    if MicrosoftTenant.objects.filter(organization=organization, status=TenantStatus.ACTIVE).exists():
        return OFFBOARD_FIRST
    return None


class SyncAlreadyRunning(Conflict):
    code = "sync_already_running"


def _start_partner_center_job(
    actor: Actor, *, perm: Perm, kind: str, what: str, action: str, already: type[Conflict]
) -> Job:
    """One Partner Center job of ``kind`` at a time per broker, audited, run by the job worker.
    The connection's row lock makes two requests at once start one job, not two; one queued or
    running already is answered with a 409 naming it."""
    actor.require(perm)
    with transaction.atomic():
        connection = PartnerCenterConnection.objects.select_for_update().filter(broker_id=actor.broker_id).first()
        if connection is None:
            raise Conflict("Enter the Partner Center credentials first.")
        running = Job.objects.filter(broker_id=actor.broker_id, kind=kind, status__in=JobStatus.unfinished()).first()
        if running is not None:
            raise already(
                f"A {what} is already {running.get_status_display().lower()} "
                f"(started {running.created_at:%d/%m/%Y %H:%M} UTC); wait for it to finish.",
                job_id=str(running.pk),
            )
        job = enqueue_job(kind=kind, broker_id=actor.broker_id, created_by=actor.user)
        record_event(actor=actor, action=action, obj=connection, after={"job_id": str(job.pk)})
    return job


def start_sync(*, actor: Actor | None = None, broker_id: Any = None) -> Job:
    """Start a Partner Center sync of the broker (customers, subscriptions, users).

    ``actor`` for a person (or a command); the periodic task passes only ``broker_id`` and acts as
    the system.
    """
    return _start_partner_center_job(
        actor or Actor.system(broker_id),
        perm=Perm.PARTNER_CENTER_SYNC,
        kind=JobKind.SYNC,
        what="Partner Center sync",
        action="partner_center.sync_started",
        already=SyncAlreadyRunning,
    )


class CatalogSyncAlreadyRunning(Conflict):
    code = "catalog_sync_already_running"


def start_catalog_sync(*, actor: Actor | None = None, broker_id: Any = None) -> Job:
    """Start a sync of the broker's catalog and vendor prices from Partner Center
    (``catalog_sync.py``); the daily task and the demo pass only ``broker_id``."""
    return _start_partner_center_job(
        actor or Actor.system(broker_id),
        perm=Perm.CATALOG_MANAGE,
        kind=JobKind.CATALOG_SYNC,
        what="catalog sync",
        action="catalog.sync_started",
        already=CatalogSyncAlreadyRunning,
    )


def test_connection(*, actor: Actor) -> tuple[bool, str]:
    """Get a token and read one page of customers; remember and return the outcome."""
    from cloudbroker.connectors.partner_center.errors import PartnerCenterError
    from cloudbroker.connectors.partner_center.retry import RetryPolicy
    from cloudbroker.microsoft365.partner_center import client_for

    actor.require(Perm.PARTNER_CENTER_SYNC)
    connection = connection_required(actor)
    try:
        with client_for(actor.broker_id, retry=RetryPolicy(attempts=1), timeout=10.0) as client:
            first = next(iter(client.list_customers()), None)
    except PartnerCenterError as exc:
        ok, message = False, f"Partner Center refused: {exc.message}"
    except DomainError as exc:  # the connection cannot be used as it is (e.g. plain http elsewhere)
        ok, message = False, exc.message
    except Exception as exc:
        ok, message = False, f"Could not reach Partner Center: {exc}"
    else:
        ok, message = True, "Connected." + ("" if first is not None else " No customers yet.")
    PartnerCenterConnection.objects.filter(pk=connection.pk).update(
        last_checked_at=timezone.now(), last_check_ok=ok, last_check_message=message
    )
    return ok, message
