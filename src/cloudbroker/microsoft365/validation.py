"""What Microsoft needs to create a customer tenant, and how we check it before asking."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django_countries import countries

from cloudbroker.core.errors import FieldError

__all__ = [
    "TENANT_FIELDS",
    "check_country_rules",
    "clean_tenant_request",
    "initial_from_organization",
    "onmicrosoft_domain",
]

# Countries where Partner Center requires the company registration number and a phone number.
REGISTRATION_REQUIRED = {
    "AM",
    "AZ",
    "BY",
    "HU",
    "KZ",
    "KG",
    "MD",
    "RU",
    "TJ",
    "UZ",
    "UA",
    "BR",
    "IN",
    "ZA",
    "PL",
    "AE",
    "SA",
    "TR",
    "TH",
    "VN",
    "MM",
    "IQ",
    "SS",
    "VE",
}
STATE_REQUIRED = {"US", "CA", "AU", "BR", "IN", "MX"}
_PREFIX = re.compile(r"^[a-z0-9]{1,27}$")

TENANT_FIELDS = {
    "company_name": "Company name",
    "domain_prefix": "Domain",
    "first_name": "Contact first name",
    "last_name": "Contact last name",
    "email": "Contact e-mail",
    "phone": "Contact phone",
    "address_line1": "Street address",
    "city": "City",
    "state": "State",
    "postal_code": "Postal code",
    "country": "Country",
    "registration_number": "Registration number",
    "culture": "Culture",
    "language": "Language",
}
REQUIRED = (
    "company_name",
    "domain_prefix",
    "first_name",
    "last_name",
    "email",
    "address_line1",
    "city",
    "postal_code",
    "country",
)
MAX_LENGTH = {
    "company_name": 200,
    "first_name": 50,
    "last_name": 50,
    "address_line1": 200,
    "city": 100,
    "postal_code": 20,
    "state": 2,
    "phone": 40,
    "registration_number": 50,
}


def onmicrosoft_domain(prefix: str) -> str:
    return f"{prefix}.onmicrosoft.com"


def suggested_prefix(domain: str) -> str:
    return re.sub(r"[^a-z0-9]", "", domain.split(".")[0].lower())[:27]


def initial_from_organization(org) -> dict[str, str]:
    """The form's starting values, taken from the organization record."""
    first, _, last = (org.contact_name or "").strip().partition(" ")
    return {
        "company_name": org.name,
        "domain_prefix": suggested_prefix(org.primary_domain),
        "first_name": first,
        "last_name": last,
        "email": org.contact_email or org.notification_email,
        "phone": org.contact_phone,
        "address_line1": org.street_address,
        "city": org.city,
        "state": org.state,
        "postal_code": org.postal_code,
        "country": org.country.code or "",
        "registration_number": org.registration_number,
        "culture": "en-US",
        "language": "en",
    }


def clean_tenant_request(data: dict[str, Any]) -> tuple[dict[str, str], list[FieldError]]:
    cleaned = {k: str(data.get(k) or "").strip() for k in TENANT_FIELDS}
    cleaned["domain_prefix"] = cleaned["domain_prefix"].lower().removesuffix(".onmicrosoft.com")
    cleaned["country"] = cleaned["country"].upper()
    cleaned["state"] = cleaned["state"].upper()
    cleaned["culture"] = cleaned["culture"] or "en-US"
    cleaned["language"] = cleaned["language"] or "en"
    errors: list[FieldError] = []
    missing = [k for k in REQUIRED if not cleaned[k]]
    country = cleaned["country"]
    if country in STATE_REQUIRED and not cleaned["state"]:
        missing.append("state")
    if country in REGISTRATION_REQUIRED:
        missing += [k for k in ("registration_number", "phone") if not cleaned[k]]
    for key in missing:
        errors.append(
            FieldError(key, f"Microsoft requires {TENANT_FIELDS[key].lower()} to create a tenant.", "required")
        )
    if cleaned["domain_prefix"] and not _PREFIX.match(cleaned["domain_prefix"]):
        errors.append(
            FieldError(
                "domain_prefix",
                "Use 1 to 27 lower-case letters and digits (the part before .onmicrosoft.com).",
                "invalid",
            )
        )
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except DjangoValidationError:
            errors.append(FieldError("email", "Enter a valid e-mail address.", "invalid"))
    if country and country not in dict(countries):
        errors.append(FieldError("country", "Enter the country as a two-letter ISO code.", "invalid"))
    for key, limit in MAX_LENGTH.items():
        if len(cleaned[key]) > limit:
            errors.append(FieldError(key, f"Use at most {limit} characters.", "max_length"))
    return cleaned, errors


def _mask_pattern(mask: str) -> re.Pattern[str]:
    """Partner Center's tax id format ('#' a digit, anything else as written) as a pattern."""
    return re.compile("^" + "".join(r"\d" if ch == "#" else re.escape(ch) for ch in mask) + "$", re.IGNORECASE)


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.match(pattern, value) is not None
    except re.error:
        return True  # a pattern we cannot read is no reason to refuse; Partner Center checks again


def check_country_rules(cleaned: dict[str, str], rules) -> list[FieldError]:
    """The phone number, state and registration (tax / VAT) number against Partner Center's
    ``CountryValidationRules`` for the country (the client's DTO), each error naming its field."""
    errors: list[FieldError] = []
    country = cleaned["country"]
    name = dict(countries).get(country, country)
    phone = cleaned["phone"]
    if phone and rules.phone_number_regex and not _matches(rules.phone_number_regex, phone):
        codes = ", ".join(f"+{c}" for c in rules.country_calling_codes_list)
        hint = f" (country code {codes})" if codes else ""
        errors.append(
            FieldError(
                "phone",
                f"Partner Center does not accept {phone!r} as a phone number in {name}{hint}: enter the "
                "whole number in digits, with spaces or dashes if you like.",
                "invalid",
            )
        )
    state = cleaned["state"]
    if rules.is_state_required and state and rules.supported_states_list and state not in rules.supported_states_list:
        errors.append(FieldError("state", f"{state} is not a state Partner Center knows in {name}.", "invalid"))
    number = cleaned["registration_number"]
    formats = []
    if rules.is_vat_id_supported and rules.vat_id_regex:
        formats.append(("VAT ID", rules.vat_id_regex))
    if rules.tax_id_format:
        formats.append(("tax ID", _mask_pattern(rules.tax_id_format).pattern))
    compact = re.sub(r"[\s.-]", "", number)
    if number and formats and not any(_matches(p, v) for _, p in formats for v in (number, compact, compact.upper())):
        shown = " or ".join(
            f"a {label}" + (f" such as {rules.tax_id_format}" if label == "tax ID" else "") for label, _ in formats
        )
        sample = f" (for example {rules.tax_id_sample})" if rules.tax_id_sample else ""
        errors.append(
            FieldError(
                "registration_number",
                f"Partner Center expects {shown} for {name}{sample}; {number!r} does not have that format.",
                "invalid",
            )
        )
    return errors


def customer_body(cleaned: dict[str, str]) -> dict[str, Any]:
    """The Partner Center 'create customer' request body."""
    address = {
        "firstName": cleaned["first_name"],
        "lastName": cleaned["last_name"],
        "addressLine1": cleaned["address_line1"],
        "city": cleaned["city"],
        "postalCode": cleaned["postal_code"],
        "country": cleaned["country"],
    }
    if cleaned["state"]:
        address["state"] = cleaned["state"]
    if cleaned["phone"]:
        address["phoneNumber"] = cleaned["phone"]
    company: dict[str, Any] = {"domain": onmicrosoft_domain(cleaned["domain_prefix"])}
    if cleaned["registration_number"] and cleaned["country"] in REGISTRATION_REQUIRED:
        company["organizationRegistrationNumber"] = cleaned["registration_number"]
    return {
        "enableGDAPByDefault": False,
        "companyProfile": company,
        "billingProfile": {
            "culture": cleaned["culture"],
            "email": cleaned["email"],
            "language": cleaned["language"],
            "companyName": cleaned["company_name"],
            "defaultAddress": address,
        },
    }
