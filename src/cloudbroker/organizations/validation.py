"""Cleaning organization input, whatever it came from: a form, the API, a grid row or a file row.

``clean_organization`` takes raw values (strings from a form or a file, or typed values from the
API), returns the cleaned values and *every* problem found, each naming its field (and row).
Uniqueness against the database is checked by the services, in bulk.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django_countries import countries

from cloudbroker.core.errors import FieldError

__all__ = [
    "FIELD_LABELS",
    "MANDATORY_FIELDS",
    "ORGANIZATION_FIELDS",
    "clean_domain",
    "clean_organization",
]

ORGANIZATION_FIELDS = (
    "name",
    "primary_domain",
    "registration_number",
    "notification_email",
    "approval_required",
    "approval_limit",
    "billing_start_date",
    "customer_number",
    "street_address",
    "postal_code",
    "city",
    "state",
    "country",
    "contact_name",
    "contact_phone",
    "contact_email",
    "contact_cell_phone",
)
MANDATORY_FIELDS = ("name", "primary_domain", "notification_email")
FIELD_LABELS = {
    "name": "Name",
    "primary_domain": "Primary domain",
    "registration_number": "Registration number",
    "notification_email": "Notification email",
    "approval_required": "Approval process",
    "approval_limit": "Approval process limit",
    "billing_start_date": "Billing start date",
    "customer_number": "Customer number",
    "street_address": "Street address",
    "postal_code": "Postal code",
    "city": "City",
    "state": "State",
    "country": "Country",
    "contact_name": "Contact name",
    "contact_phone": "Contact phone",
    "contact_email": "Contact email",
    "contact_cell_phone": "Contact cell phone",
}
MAX_LENGTHS = {
    "name": 200,
    "registration_number": 64,
    "customer_number": 64,
    "street_address": 200,
    "postal_code": 20,
    "city": 100,
    "state": 100,
    "contact_name": 200,
    "contact_phone": 40,
    "contact_cell_phone": 40,
    "notification_email": 254,
    "contact_email": 254,
}

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")
_WHITESPACE = re.compile(r"\s")  # the characters str.isspace() accepts
_DMY = re.compile(r"(0[1-9]|[12][0-9]|3[01])/(0[1-9]|1[0-2])/([0-9]{4})")
_TRUE = {"true", "yes", "y", "1", "on", "x"}
_FALSE = {"false", "no", "n", "0", "off", ""}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def clean_domain(value: Any) -> str:
    """A bare domain name, lower-case. Raises ValueError with a message a person understands."""
    raw = _text(value)
    if not raw:
        raise ValueError("Enter a domain.")
    lowered = raw.lower()
    if "://" in lowered or lowered.startswith(("http:", "https:")):
        raise ValueError("Enter the bare domain without http:// or https:// (for example contoso.com).")
    if lowered.startswith("www."):
        raise ValueError("Enter the domain without www. (for example contoso.com).")
    if _WHITESPACE.search(raw):
        raise ValueError("A domain cannot contain spaces.")
    if "/" in lowered or "?" in lowered or "#" in lowered:
        raise ValueError("Enter only the domain, without a path (for example contoso.com).")
    if "@" in lowered or ":" in lowered:
        raise ValueError("Enter only the domain (for example contoso.com), not an address or a port.")
    lowered = lowered.rstrip(".")
    try:
        ascii_domain = lowered.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("This is not a valid domain name.") from None
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("This is not a valid domain name (for example contoso.com).")
    if not _TLD.match(labels[-1]):
        raise ValueError("This is not a valid domain name: the last part must be a top-level domain such as .com.")
    return ascii_domain


class _EmailValidator(EmailValidator):
    """Django's e-mail validator, its patterns compiled once: the stock instance resolves a lazy
    object on each use of each pattern, a large share of the time of cleaning a file's rows."""

    user_regex = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
    domain_regex = re.compile(EmailValidator.domain_regex.pattern, EmailValidator.domain_regex.flags)
    literal_regex = re.compile(EmailValidator.literal_regex.pattern, EmailValidator.literal_regex.flags)


_validate_email = _EmailValidator()


def _clean_email(value: Any) -> str:
    email = _text(value)
    _validate_email(email)
    return email.lower()


def _clean_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("Enter TRUE or FALSE.")


def _clean_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    else:
        text = _text(value).replace(" ", "").replace("\u00a0", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        else:
            text = text.replace(",", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError("Enter an amount such as 12000 or 12000.50.") from None
    if not amount.is_finite():
        raise ValueError("Enter an amount such as 12000 or 12000.50.")
    if amount < 0:
        raise ValueError("The limit cannot be negative.")
    if amount.as_tuple().exponent < -2:
        raise ValueError("Use at most two decimals.")
    if amount >= Decimal("1e12"):
        raise ValueError("The amount is too large.")
    return amount.quantize(Decimal("0.01"))


def _clean_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if match := _DMY.fullmatch(text):  # DD/MM/YYYY, the template's format, without strptime
        day, month, year = match.groups()
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            pass  # 31/02/2026: strptime says the same below
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007  (a date, no time of day)
        except ValueError:
            continue
    raise ValueError("Enter the date as DD/MM/YYYY.")


@functools.cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _ in countries)


def _clean_country(value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    code = text.upper()
    if code in _country_codes():
        return code
    by_name = countries.by_name(text)
    if by_name:
        return by_name
    alpha3 = countries.alpha2(code) if len(code) == 3 else ""
    if alpha3:
        return alpha3
    raise ValueError("Enter a country as an ISO code (such as SE or GB) or its English name.")


def _clean_phone(value: Any) -> str:
    text = _text(value)
    # Once _PHONE matched, the text is ASCII: its digits are 0-9.
    if text and (not _PHONE.match(text) or sum(map(text.count, "0123456789")) < 5):
        raise ValueError("Enter a phone number using digits, spaces, + - ( ) (at least 5 digits).")
    return text


_CLEANERS = {
    "primary_domain": clean_domain,
    "notification_email": _clean_email,
    "contact_email": lambda v: _clean_email(v) if _text(v) else "",
    "approval_required": _clean_bool,
    "approval_limit": _clean_decimal,
    "billing_start_date": _clean_date,
    "country": _clean_country,
    "contact_phone": _clean_phone,
    "contact_cell_phone": _clean_phone,
}


def clean_organization(
    data: dict[str, Any], *, row: int | None = None, partial: bool = False
) -> tuple[dict[str, Any], list[FieldError]]:
    """Clean the organization fields present in ``data``.

    With ``partial`` (an update), only the given fields are cleaned and mandatory fields are
    checked only when given; otherwise every mandatory field must be present and non-empty.
    """
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in ORGANIZATION_FIELDS:
        if field not in data:
            if not partial and field in MANDATORY_FIELDS:
                errors.append(FieldError(field, f"{FIELD_LABELS[field]} is mandatory.", "required", row))
            continue
        value = data[field]
        if field in MANDATORY_FIELDS and not _text(value):
            errors.append(FieldError(field, f"{FIELD_LABELS[field]} is mandatory.", "required", row))
            continue
        try:
            cleaner = _CLEANERS.get(field)
            cleaned[field] = cleaner(value) if cleaner else _text(value)
        except DjangoValidationError:
            errors.append(FieldError(field, "Enter a valid e-mail address.", "invalid", row))
            continue
        except ValueError as exc:
            errors.append(FieldError(field, str(exc), "invalid", row))
            continue
        limit = MAX_LENGTHS.get(field)
        if limit and isinstance(cleaned[field], str) and len(cleaned[field]) > limit:
            errors.append(FieldError(field, f"Use at most {limit} characters.", "max_length", row))
            del cleaned[field]
    return cleaned, errors
