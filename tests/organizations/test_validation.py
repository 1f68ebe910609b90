"""Cleaning organization input field by field (no database): what is accepted, what is refused
and with which message, whatever the input came from."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudbroker.organizations.validation import (
    MANDATORY_FIELDS,
    clean_domain,
    clean_organization,
)

VALID = {
    "name": "Contoso Ltd",
    "primary_domain": "contoso.com",
    "notification_email": "it@contoso.com",
}


def clean(**fields):
    """Clean a valid organization with ``fields`` changed; return (cleaned, errors by field)."""
    cleaned, errors = clean_organization({**VALID, **fields})
    return cleaned, {e.field: e for e in errors}


def only_error(field, **fields):
    _, errors = clean(**fields)
    assert set(errors) == {field}, errors
    return errors[field]


# --- primary domain -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("http://x.com", "without http://"),
        ("https://x.com", "without http://"),
        ("HTTPS://X.COM", "without http://"),
        ("www.x.com", "without www."),
        ("x.com/path", "without a path"),
        ("x.com?q=1", "without a path"),
        ("x .com", "cannot contain spaces"),
        ("localhost", "not a valid domain name"),
        ("x", "not a valid domain name"),
        ("-x.com", "not a valid domain name"),
        ("x-.com", "not a valid domain name"),
        ("x..com", "not a valid domain name"),
        ("x_y.com", "not a valid domain name"),
        ("x.c0m", "top-level domain"),
        ("x.c", "top-level domain"),
        ("it@x.com", "not an address or a port"),
        ("x.com:8080", "not an address or a port"),
        ("a" * 64 + ".com", "not a valid domain name"),
    ],
)
def test_bad_primary_domain_is_refused_with_a_message_that_says_why(raw, message_part):
    # Given a primary domain a person might type wrongly
    # When the organization is cleaned
    error = only_error("primary_domain", primary_domain=raw)
    # Then only the primary domain is in error, with a helpful message
    assert error.code == "invalid"
    assert message_part in error.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("contoso.com", "contoso.com"),
        ("sub.contoso.co.uk", "sub.contoso.co.uk"),
        ("CONTOSO.COM", "contoso.com"),
        ("  contoso.com  ", "contoso.com"),
        ("contoso.com.", "contoso.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("BÜCHER.de", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("my-company.io", "my-company.io"),
        ("123.example.org", "123.example.org"),
    ],
)
def test_good_primary_domain_is_stored_bare_lower_case_and_in_punycode(raw, expected):
    cleaned, errors = clean(primary_domain=raw)
    assert errors == {}
    assert cleaned["primary_domain"] == expected


def test_clean_domain_raises_value_error_for_empty_input():
    with pytest.raises(ValueError, match="Enter a domain"):
        clean_domain("   ")


# --- e-mails ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["not-an-email", "it@", "@contoso.com", "it@contoso", "it contoso@x.com", "a@b@c.com"])
@pytest.mark.parametrize("field", ["notification_email", "contact_email"])
def test_bad_email_is_refused_on_its_field(field, raw):
    error = only_error(field, **{field: raw})
    assert error.message == "Enter a valid e-mail address."


def test_emails_are_lower_cased_and_trimmed():
    cleaned, errors = clean(notification_email=" IT@Contoso.COM ", contact_email="Jane.Doe@Contoso.com")
    assert errors == {}
    assert cleaned["notification_email"] == "it@contoso.com"
    assert cleaned["contact_email"] == "jane.doe@contoso.com"


def test_blank_contact_email_is_allowed():
    cleaned, errors = clean(contact_email="  ")
    assert errors == {}
    assert cleaned["contact_email"] == ""


# --- country ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("SE", "SE"), ("se", "SE"), (" gb ", "GB"), ("Sweden", "SE"), ("Germany", "DE"), ("SWE", "SE"), ("deu", "DE")],
)
def test_country_accepts_iso_code_lower_case_code_english_name_and_alpha3(raw, expected):
    cleaned, errors = clean(country=raw)
    assert errors == {}
    assert cleaned["country"] == expected


@pytest.mark.parametrize("raw", ["Narnia", "XX", "ZZZ", "S", "123"])
def test_unknown_country_is_refused(raw):
    error = only_error("country", country=raw)
    assert "ISO code" in error.message


def test_blank_country_is_allowed():
    cleaned, errors = clean(country="")
    assert errors == {}
    assert cleaned["country"] == ""


# --- billing start date -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("15/03/2026", dt.date(2026, 3, 15)),
        ("2026-03-15", dt.date(2026, 3, 15)),
        ("15.03.2026", dt.date(2026, 3, 15)),
        (dt.date(2026, 3, 15), dt.date(2026, 3, 15)),
        ("29/02/2028", dt.date(2028, 2, 29)),
    ],
)
def test_billing_start_date_accepts_dd_mm_yyyy_and_iso(raw, expected):
    cleaned, errors = clean(billing_start_date=raw)
    assert errors == {}
    assert cleaned["billing_start_date"] == expected


@pytest.mark.parametrize("raw", ["31/02/2026", "29/02/2026", "2026-13-01", "03/15/2026x", "tomorrow", "15/03/26"])
def test_invalid_billing_start_date_is_refused(raw):
    error = only_error("billing_start_date", billing_start_date=raw)
    assert error.message == "Enter the date as DD/MM/YYYY."


def test_blank_billing_start_date_is_left_for_the_default():
    cleaned, errors = clean(billing_start_date="")
    assert errors == {}
    assert cleaned["billing_start_date"] is None


# --- approval process -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("TRUE", True), ("true", True), ("FALSE", False), ("false", False), (True, True), (False, False), ("", False)],
)
def test_approval_process_accepts_true_and_false(raw, expected):
    cleaned, errors = clean(approval_required=raw)
    assert errors == {}
    assert cleaned["approval_required"] is expected


@pytest.mark.parametrize("raw", ["maybe", "TRUEE", "2", "ja"])
def test_approval_process_garbage_is_refused(raw):
    error = only_error("approval_required", approval_required=raw)
    assert error.message == "Enter TRUE or FALSE."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12000", Decimal("12000.00")),
        ("12000.5", Decimal("12000.50")),
        ("12000,50", Decimal("12000.50")),
        ("12 000", Decimal("12000.00")),
        ("1,234.56", Decimal("1234.56")),
        ("0", Decimal("0.00")),
        (Decimal("99.99"), Decimal("99.99")),
        (500, Decimal("500.00")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_approval_limit_accepts_amounts_with_at_most_two_decimals(raw, expected):
    cleaned, errors = clean(approval_limit=raw)
    assert errors == {}
    assert cleaned["approval_limit"] == expected


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("-1", "cannot be negative"),
        ("-0.01", "cannot be negative"),
        ("10.123", "at most two decimals"),
        ("1,005", "at most two decimals"),
        ("1000000000000", "too large"),
        ("1e15", "too large"),
        ("abc", "Enter an amount"),
        ("NaN", "Enter an amount"),
        ("Infinity", "Enter an amount"),
        ("12.000.50", "Enter an amount"),
    ],
)
def test_bad_approval_limit_is_refused(raw, message_part):
    error = only_error("approval_limit", approval_limit=raw)
    assert message_part in error.message


def test_blank_approval_limit_means_no_limit():
    cleaned, errors = clean(approval_limit="")
    assert errors == {}
    assert cleaned["approval_limit"] is None


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["+46 8 123 456 78", "(555) 123-4567", "08-123 45", "+44.20.7946.0958"])
@pytest.mark.parametrize("field", ["contact_phone", "contact_cell_phone"])
def test_good_phone_numbers_are_kept_as_typed(field, raw):
    cleaned, errors = clean(**{field: raw})
    assert errors == {}
    assert cleaned[field] == raw


@pytest.mark.parametrize("raw", ["call me", "1234", "+46 8 abc", "12#34567", "++46 812345"])
@pytest.mark.parametrize("field", ["contact_phone", "contact_cell_phone"])
def test_bad_phone_numbers_are_refused(field, raw):
    error = only_error(field, **{field: raw})
    assert "phone number" in error.message


# --- lengths and mandatory fields ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("name", 200),
        ("registration_number", 64),
        ("customer_number", 64),
        ("street_address", 200),
        ("postal_code", 20),
        ("city", 100),
        ("state", 100),
        ("contact_name", 200),
    ],
)
def test_text_longer_than_its_column_is_refused_and_at_the_limit_accepted(field, limit):
    error = only_error(field, **{field: "a" * (limit + 1)})
    assert error.code == "max_length"
    assert error.message == f"Use at most {limit} characters."
    cleaned, errors = clean(**{field: "a" * limit})
    assert errors == {}
    assert cleaned[field] == "a" * limit


def test_overlong_email_is_refused():
    long_email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"  # > 254 characters
    _, errors = clean(notification_email=long_email)
    assert "notification_email" in errors


@pytest.mark.parametrize("field", MANDATORY_FIELDS)
def test_missing_mandatory_field_is_named(field):
    data = {k: v for k, v in VALID.items() if k != field}
    _, errors = clean_organization(data)
    assert [(e.field, e.code) for e in errors] == [(field, "required")]
    assert errors[0].message.endswith("is mandatory.")


@pytest.mark.parametrize("blank", ["", "   ", None])
@pytest.mark.parametrize("field", MANDATORY_FIELDS)
def test_blank_mandatory_field_is_named(field, blank):
    error = only_error(field, **{field: blank})
    assert error.code == "required"


def test_every_bad_field_is_reported_at_once_with_its_row():
    # Given a row where everything that can be wrong is wrong
    data = {
        "name": "",
        "primary_domain": "www.x.com",
        "notification_email": "nope",
        "approval_required": "maybe",
        "approval_limit": "-5",
        "billing_start_date": "31/02/2026",
        "country": "Narnia",
        "contact_phone": "x",
        "contact_cell_phone": "y",
        "contact_email": "also-nope",
        "postal_code": "1" * 21,
    }
    # When cleaned as row 7
    cleaned, errors = clean_organization(data, row=7)
    # Then each field is reported once, each naming row 7
    assert sorted(e.field for e in errors) == sorted(data)
    assert {e.row for e in errors} == {7}
    assert cleaned == {}


def test_partial_cleaning_checks_only_given_fields():
    cleaned, errors = clean_organization({"city": " Malmö "}, partial=True)
    assert errors == []
    assert cleaned == {"city": "Malmö"}
    _, errors = clean_organization({"name": " "}, partial=True)
    assert [(e.field, e.code) for e in errors] == [("name", "required")]


def test_unknown_keys_are_ignored():
    cleaned, errors = clean_organization({**VALID, "broker_id": "x", "id": "y"})
    assert errors == []
    assert "broker_id" not in cleaned
    assert "id" not in cleaned


# --- the fast paths of the import agree with the plain reading -------------------------------


def _strptime_date(text):
    if text == "":
        return None
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    return "error"


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[0-9 ]{1,3}/[0-9]{1,3}/[0-9]{3,5}\Z") | st.text(max_size=12))
def test_dates_are_read_exactly_as_strptime_reads_them(text):
    cleaned, errors = clean(billing_start_date=text)
    expected = _strptime_date(text)
    assert (errors["billing_start_date"].message if errors else cleaned["billing_start_date"]) == (
        "Enter the date as DD/MM/YYYY." if expected == "error" else expected
    )


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A\+?[0-9 ()./-]{3,12}\Z") | st.text(max_size=12))
def test_phones_need_five_digits_as_before(text):
    _, errors = clean(contact_phone=text)
    stripped = text.strip()
    refused = bool(stripped) and (
        not re.match(r"^\+?[0-9 ()./-]{5,40}$", stripped) or sum(ch.isdigit() for ch in stripped) < 5
    )
    assert ("contact_phone" in errors) == refused


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab.\u00a0\u2003\u200b\t \x1c"), min_size=1, max_size=8))
def test_any_whitespace_in_a_domain_is_refused_as_before(text):
    try:
        clean_domain(f"x{text}y.com")
    except ValueError as exc:
        spaced = str(exc) == "A domain cannot contain spaces."
    else:
        spaced = False
    assert spaced == any(ch.isspace() for ch in f"x{text}y.com")
