"""Creating a Microsoft 365 tenant for an organization ("Add service → Microsoft 365 CSP Direct").

The request is checked here (Microsoft's mandatory address and contact fields, the domain's
availability), then written as a pending tenant plus an outbox message in one transaction. The
outbox delivers it to Partner Center with a fixed MS-RequestId, so however often it is retried —
after a timeout, a lost response, a killed worker or Partner Center being down — exactly one
customer is created. The contact then gets the admin login by e-mail. No charge is made.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import DatabaseError, transaction
from django.utils import timezone

from cloudbroker.connectors.partner_center.retry import RetryPolicy
from cloudbroker.connectors.partner_center.schemas import CountryValidationRules, Customer
from cloudbroker.core import outbox
from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import record_event
from cloudbroker.core.crypto import decrypt, encrypt
from cloudbroker.core.errors import Conflict, ExternalServiceError, FieldError, ValidationFailed
from cloudbroker.core.models import OutboxMessage
from cloudbroker.core.permissions import Perm
from cloudbroker.microsoft365.choices import TenantStatus
from cloudbroker.microsoft365.models import MicrosoftTenant, TenantSubscription, TenantUser
from cloudbroker.microsoft365.partner_center import WORKER_RETRY, client_for
from cloudbroker.microsoft365.profiles import customer_profile_fields, fill_missing
from cloudbroker.microsoft365.validation import (
    check_country_rules,
    clean_tenant_request,
    customer_body,
    onmicrosoft_domain,
)
from cloudbroker.organizations import services as organization_services
from cloudbroker.organizations.models import Organization

__all__ = ["check_domain", "request_tenant"]

log = structlog.get_logger(__name__)

CREATE_CUSTOMER = "partner_center.create_customer"
SEND_CREDENTIALS = "email.tenant_credentials"


def _retryable(exc: Exception) -> bool:
    return bool(getattr(exc, "retryable", False) or getattr(exc, "outcome_unknown", False))


COUNTRY_RULES_TTL = 24 * 3600


def country_rules(broker_id, country: str) -> CountryValidationRules | None:
    """Partner Center's rules for a country (kept a day), or None when Partner Center cannot say now
    (the create call is checked by Partner Center itself anyway)."""
    key = f"partner_center:country_rules:{broker_id}:{country}"
    cached = cache.get(key)
    if cached is not None:
        return CountryValidationRules.model_validate(cached)
    try:
        with client_for(broker_id, timeout=10.0, retry=RetryPolicy(attempts=2, total_time=5.0)) as client:
            rules = client.get_country_validation_rules(country)
    except ExternalServiceError as exc:
        log.info("partner_center.country_rules_unavailable", country=country, error=exc.message)
        return None
    cache.set(key, rules.model_dump(by_alias=True, mode="json"), COUNTRY_RULES_TTL)
    return rules


def check_domain(*, actor: Actor, prefix: str) -> tuple[str, bool]:
    """Whether ``<prefix>.onmicrosoft.com`` is free in Microsoft's directory."""
    actor.require(Perm.TENANT_MANAGE)
    cleaned, errors = clean_tenant_request({"domain_prefix": prefix})
    errors = [e for e in errors if e.field == "domain_prefix"]
    if not cleaned["domain_prefix"]:
        errors.append(FieldError("domain_prefix", "Enter the domain to check.", "required"))
    if errors:
        raise ValidationFailed(errors)
    domain = onmicrosoft_domain(cleaned["domain_prefix"])
    try:
        with client_for(actor.broker_id, timeout=10.0, retry=RetryPolicy(attempts=2, total_time=5.0)) as client:
            return domain, client.domain_available(domain)
    except ExternalServiceError as exc:
        error = ExternalServiceError(f"Partner Center could not check the domain now: {exc.message}")
        error.retryable = _retryable(exc)
        raise error from exc


# Outbox error codes that mean Partner Center said no: nothing was created for the request.
REFUSED_CODES = frozenset(
    {
        "partner_center_invalid_request",
        "partner_center_forbidden",
        "partner_center_conflict",
        "partner_center_not_found",
        "partner_center_auth_failed",
    }
)


def _refuse_if_partner_center_made_it(actor: Actor, org: Organization, failed: MicrosoftTenant) -> None:
    """A failed tenant may still exist in Partner Center (the answer was lost, or could not be saved):
    asking again would make a second customer for the same organization. Look first."""
    if failed.customer_id:
        raise Conflict(
            f"Partner Center already has the customer {failed.customer_id} ({failed}) for {org.name}; "
            "no second one is created. Run a Partner Center sync to make it this organization's tenant."
        )
    message = failed.outbox_message
    if message is not None and message.last_error_code in REFUSED_CODES:
        return  # Partner Center refused it: nothing was made
    if not failed.default_domain:
        return
    try:
        with client_for(actor.broker_id, timeout=10.0, retry=RetryPolicy(attempts=2, total_time=5.0)) as client:
            found = [
                c
                for c in client.list_customers(domain_starts_with=failed.default_domain)
                if c.domain == failed.default_domain
            ]
    except ExternalServiceError as exc:
        raise ExternalServiceError(
            f"Partner Center could not say whether the earlier request for {failed} created a customer "
            f"({exc.message}). Try again later; no second customer is requested meanwhile."
        ) from exc
    if found:
        raise Conflict(
            f"Partner Center already has the customer {found[0].id} ({failed}) from the earlier request for "
            f"{org.name}; no second one is created. The next Partner Center sync makes it this organization's tenant."
        )


# Tenant form field -> organization field. The address is the organization's address: what is
# typed here replaces it. The contact and registration number only fill empty fields (the tenant's
# contact may be another person than the organization's).
ADDRESS_TO_ORGANIZATION = {
    "address_line1": "street_address",
    "postal_code": "postal_code",
    "city": "city",
    "state": "state",
    "country": "country",
}
FILL_ORGANIZATION = {
    "email": "contact_email",
    "phone": "contact_phone",
    "registration_number": "registration_number",
}


def _save_address_to_organization(actor: Actor, org: Organization, cleaned: dict[str, str]) -> None:
    """The address typed on the form becomes the organization's, as an audited update through the
    organizations service (which checks the actor may change the organization)."""
    if not actor.has(Perm.ORGANIZATION_CHANGE):
        return
    changes: dict[str, Any] = {}
    for source, target in ADDRESS_TO_ORGANIZATION.items():
        current = getattr(org, target)
        current = (current.code or "") if target == "country" else (current or "")
        if cleaned[source] and cleaned[source] != current:
            changes[target] = cleaned[source]
    for source, target in FILL_ORGANIZATION.items():
        if cleaned[source] and not getattr(org, target):
            changes[target] = cleaned[source]
    contact = f"{cleaned['first_name']} {cleaned['last_name']}".strip()
    if contact and not org.contact_name:
        changes["contact_name"] = contact
    if not changes:
        return
    try:
        organization_services.update_organization(actor=actor, organization=org, data=changes)
    except ValidationFailed as exc:
        back = {v: k for k, v in {**ADDRESS_TO_ORGANIZATION, **FILL_ORGANIZATION}.items()}
        raise ValidationFailed([FieldError(back.get(e.field, e.field), e.message, e.code) for e in exc.errors]) from exc


def request_tenant(*, actor: Actor, organization: Organization, data: dict[str, Any]) -> MicrosoftTenant:
    actor.require(Perm.TENANT_MANAGE)
    cleaned, errors = clean_tenant_request(data)
    if errors:
        raise ValidationFailed(errors)
    rules = country_rules(actor.broker_id, cleaned["country"])
    if rules is not None:
        errors = check_country_rules(cleaned, rules)
        if errors:
            raise ValidationFailed(errors)
    domain = onmicrosoft_domain(cleaned["domain_prefix"])
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=organization.pk)
        existing = MicrosoftTenant.objects.select_for_update().filter(organization=org).first()
        if existing is not None and existing.status != TenantStatus.FAILED:
            raise Conflict(
                f"{org.name} already has a Microsoft 365 tenant ({existing}, {existing.get_status_display().lower()})."
            )
    if existing is not None:
        _refuse_if_partner_center_made_it(actor, org, existing)
    waiting = "Waiting for Partner Center."
    try:
        domain, available = check_domain(actor=actor, prefix=cleaned["domain_prefix"])
    except ExternalServiceError as exc:
        if not getattr(exc, "retryable", False):
            raise
        # Partner Center is down or throttling: take the request and send it when it is back. A
        # domain taken meanwhile is refused then, and the tenant shows why.
        available = True
        waiting = f"Waiting for Partner Center (the domain could not be checked yet: {exc.message})"
    if not available:
        raise ValidationFailed(
            [
                FieldError(
                    "domain_prefix",
                    f"{domain} is already taken. Choose another name; if the customer already has this Microsoft 365 "
                    "tenant, send them a reseller relationship request and "
                    + (
                        "link the tenant instead."
                        if actor.has(Perm.TENANT_LINK)
                        else "ask an administrator who links tenants to link it to the organization."
                    ),
                    "domain_taken",
                )
            ]
        )
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=organization.pk)
        tenant = MicrosoftTenant.objects.select_for_update().filter(organization=org).first()
        if tenant is not None and tenant.status != TenantStatus.FAILED:
            raise Conflict(f"{org.name} already has a Microsoft 365 tenant ({tenant}).")
        _save_address_to_organization(actor, org, cleaned)
        tenant = tenant or MicrosoftTenant(broker_id=actor.broker_id, organization=org)
        tenant.company_name = cleaned["company_name"]
        tenant.default_domain = domain
        tenant.status = TenantStatus.PENDING
        tenant.status_message = waiting
        tenant.linked_at = timezone.now()
        tenant.save()
        message = outbox.enqueue(
            kind=CREATE_CUSTOMER,
            broker_id=actor.broker_id,
            payload={"tenant": str(tenant.pk), "body": customer_body(cleaned), "notify": cleaned["email"]},
        )
        tenant.outbox_message = message
        tenant.save(update_fields=["outbox_message", "updated_at"])
        record_event(
            actor=actor,
            action="tenant.requested",
            obj=tenant,
            organization_id=org.pk,
            after={"domain": domain, "company_name": tenant.company_name, "request_id": str(message.request_id)},
        )
    return tenant


def _failure_text(message: OutboxMessage) -> str:
    code = message.last_error_code
    if code in REFUSED_CODES:
        return f"Partner Center refused the tenant: {message.last_error}"
    if code == "database_error":
        return f"Partner Center's answer could not be saved here: {message.last_error}"
    return f"The tenant could not be created: {message.last_error}"


def _tenant_failed(message: OutboxMessage) -> None:
    MicrosoftTenant.objects.filter(pk=message.payload["tenant"]).update(
        status=TenantStatus.FAILED,
        status_message=_failure_text(message),
        updated_at=timezone.now(),
    )


def _adopt_duplicate(tenant: MicrosoftTenant, customer_id: str) -> str | None:
    """A sync that ran while the request was pending may have added its own row for the customer
    just created. This request's row takes it over (subscriptions and users included) so that the
    customer has one row, linked to the organization that asked for it. Returns the id of the row
    taken over."""
    other = (
        MicrosoftTenant.objects.select_for_update()
        .filter(broker_id=tenant.broker_id, customer_id=customer_id)
        .exclude(pk=tenant.pk)
        .first()
    )
    if other is None:
        return None
    if other.organization_id is not None and other.organization_id != tenant.organization_id:
        raise Conflict(
            f"Partner Center created the customer {customer_id} for this request, but that tenant is already "
            f"linked to {other.organization}. Unlink it there first."
        )
    TenantSubscription.objects.filter(tenant=other).update(tenant=tenant)
    TenantUser.objects.filter(tenant=other).update(tenant=tenant)
    fill_missing(tenant, other)
    tenant.synced_at = other.synced_at
    adopted = str(other.pk)
    other.delete()
    return adopted


@outbox.outbox_handler(CREATE_CUSTOMER, on_failure=_tenant_failed)
def _create_customer(message: OutboxMessage) -> dict[str, Any]:
    tenant = MicrosoftTenant.objects.get(pk=message.payload["tenant"])
    if tenant.status == TenantStatus.ACTIVE:
        return {"customer_id": tenant.customer_id}
    try:
        with client_for(message.broker_id, retry=WORKER_RETRY) as client:
            customer = client.create_customer(message.payload["body"], request_id=message.request_id)
    except ExternalServiceError as exc:
        if _retryable(exc):
            MicrosoftTenant.objects.filter(pk=tenant.pk).update(
                status_message=f"Waiting for Partner Center: {exc.message}", updated_at=timezone.now()
            )
            raise outbox.RetryLater(exc.message, after=getattr(exc, "retry_after", None), code=exc.code) from exc
        raise
    try:
        return _save_created(message, tenant.pk, customer)
    except DatabaseError as exc:
        # Partner Center made the customer; only saving its answer failed. Sending the request
        # again with the same request id brings the same answer back, so try again later.
        reason = (
            "Partner Center created the customer, but saving its answer failed: "
            f"database error ({type(exc).__name__}: {exc})"
        )
        try:
            MicrosoftTenant.objects.filter(pk=tenant.pk).update(
                status_message=f"Waiting to save Partner Center's answer: {reason}", updated_at=timezone.now()
            )
        except DatabaseError:
            pass
        raise outbox.RetryLater(reason, code="database_error") from exc


def _save_created(message: OutboxMessage, tenant_pk, customer: Customer) -> dict[str, Any]:
    credentials = customer.user_credentials
    with transaction.atomic():
        tenant = MicrosoftTenant.objects.select_for_update().get(pk=tenant_pk)
        tenant.customer_id = customer.id or customer.tenant_id
        tenant.default_domain = customer.domain or tenant.default_domain
        for name, value in customer_profile_fields(customer).items():
            setattr(tenant, name, value)
        adopted = _adopt_duplicate(tenant, tenant.customer_id) if tenant.customer_id else None
        tenant.status = TenantStatus.ACTIVE
        tenant.status_message = ""
        if credentials and credentials.user_name:
            tenant.admin_user = f"{credentials.user_name}@{tenant.default_domain}"
        tenant.save()
        after = {"customer_id": tenant.customer_id, "domain": tenant.default_domain}
        if adopted:
            after["adopted_row"] = adopted
        record_event(
            actor=Actor.system(tenant.broker_id),
            action="tenant.created",
            obj=tenant,
            organization_id=tenant.organization_id,
            after=after,
        )
        if credentials and credentials.password and message.payload.get("notify"):
            outbox.enqueue(
                kind=SEND_CREDENTIALS,
                broker_id=tenant.broker_id,
                payload={
                    "tenant": str(tenant.pk),
                    "to": message.payload["notify"],
                    "user": tenant.admin_user,
                    "password": encrypt(credentials.password),
                },
            )
    return {"customer_id": tenant.customer_id, "domain": tenant.default_domain}


@outbox.outbox_handler(SEND_CREDENTIALS)
def _send_credentials(message: OutboxMessage) -> dict[str, Any]:
    payload = message.payload
    if not payload.get("password"):
        return {"sent": True}
    tenant = MicrosoftTenant.objects.select_related("organization").get(pk=payload["tenant"])
    send_mail(
        subject=f"Your Microsoft 365 tenant {tenant.default_domain} is ready",
        message=(
            f"Hello,\n\nthe Microsoft 365 tenant for {tenant.company_name} has been created.\n\n"
            f"Sign in at https://portal.office.com with\n  user name: {payload['user']}\n"
            f"  temporary password: {decrypt(payload['password'])}\n\n"
            "You will be asked to choose a new password at the first sign-in.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[payload["to"]],
    )
    # The password leaves the database once it is sent.
    OutboxMessage.objects.filter(pk=message.pk).update(payload={**payload, "password": ""})
    return {"sent": True}
