"""What Partner Center knows about a customer, as typed tenant columns: the company profile
(registration number, e-mail, address), the billing profile (contact, e-mail, billing address) and
the custom domains. Read from the connector's DTOs by attribute; the one owner of that mapping for
the sync, the delivery of a new tenant and the tenant page."""

from __future__ import annotations

from typing import Any

import structlog
from django.utils import timezone

from cloudbroker.connectors.partner_center.schemas import Address, BillingProfile, CompanyProfile, Customer
from cloudbroker.core.errors import ExternalServiceError

__all__ = [
    "PROFILE_FIELDS",
    "custom_domains_of",
    "customer_profile_fields",
    "fill_missing",
    "profile_fields",
    "read_profiles",
]

log = structlog.get_logger(__name__)

ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "postal_code", "country", "phone_number")
PROFILE_FIELDS = (
    "registration_number",
    "company_email",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    *ADDRESS_FIELDS,
    "custom_domains",
    "profiles_read_at",
)


def custom_domains_of(domains: list[str]) -> list[str]:
    """The customer's own domains, lower case and sorted; its *.onmicrosoft.com ones left out."""
    cleaned = {d.strip().lower() for d in domains if d and d.strip()}
    return sorted(d for d in cleaned if not d.endswith(".onmicrosoft.com"))


def _text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _address_value(name: str, *addresses: Address | None) -> str:
    """The first address that has the field: the billing address first, then the company's."""
    for address in addresses:
        if address is None:
            continue
        value = getattr(address, name, None) or (address.region if name == "state" else None)
        if value and str(value).strip():
            return str(value).strip()
    return ""


def profile_fields(
    company: CompanyProfile | None, billing: BillingProfile | None, custom_domains: list[str] | None
) -> dict[str, Any]:
    """The tenant columns for a complete read of a customer's profiles (an empty value clears)."""
    billing_address = billing.default_address if billing else None
    company_address = company.address if company else None
    fields: dict[str, Any] = {
        "registration_number": _text(company and company.organization_registration_number, 100),
        "company_email": _text(company and company.email, 254),
        "contact_first_name": _text(
            (billing and billing.first_name) or _address_value("first_name", billing_address, company_address), 100
        ),
        "contact_last_name": _text(
            (billing and billing.last_name) or _address_value("last_name", billing_address, company_address), 100
        ),
        "contact_email": _text(billing and billing.email, 254),
        "address_line1": _text(_address_value("address_line1", billing_address, company_address), 200),
        "address_line2": _text(_address_value("address_line2", billing_address, company_address), 200),
        "city": _text(_address_value("city", billing_address, company_address), 100),
        "state": _text(_address_value("state", billing_address, company_address), 100),
        "postal_code": _text(_address_value("postal_code", billing_address, company_address), 32),
        "country": _text(_address_value("country", billing_address, company_address), 2).upper(),
        "phone_number": _text(_address_value("phone_number", billing_address, company_address), 50),
        "profiles_read_at": timezone.now(),
    }
    if custom_domains is not None:
        fields["custom_domains"] = custom_domains_of(custom_domains)
    return fields


def customer_profile_fields(customer: Customer) -> dict[str, Any]:
    """The columns from a customer as create customer answers it (both profiles in full)."""
    return profile_fields(customer.company_profile, customer.billing_profile, customer.custom_domains)


def read_profiles(client, customer_id: str) -> dict[str, Any] | None:
    """Read an unlinked customer's profiles from Partner Center, to fill the organization made from
    it: the columns to save, or None when Partner Center cannot say now."""
    try:
        customer = client.get_customer(customer_id)
        company = client.get_company_profile(customer_id)
        billing = client.get_billing_profile(customer_id)
    except ExternalServiceError as exc:
        log.info("partner_center.profiles_unavailable", customer_id=customer_id, error=exc.message)
        return None
    return profile_fields(
        company or customer.company_profile, billing or customer.billing_profile, customer.custom_domains
    )


def fill_missing(tenant, other) -> None:
    """Take ``other``'s profile columns where ``tenant`` has none (a row being merged into this one)."""
    for name in PROFILE_FIELDS:
        if not getattr(tenant, name) and getattr(other, name):
            setattr(tenant, name, getattr(other, name))
