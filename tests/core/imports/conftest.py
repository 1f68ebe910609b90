"""Fixtures for the import file layer: an organizations-shaped spec and the committed test files.

These tests need no database and no Django; they also run with
``pytest tests/core/imports -p no:django --confcutdir=tests/core/imports``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudbroker.core.imports import Column, ColumnKind, ImportSpec

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"

ORGANIZATION_COLUMNS = [
    Column("name", "Name", True, "Full customer name.", "Contoso Ltd"),
    Column(
        "primary_domain",
        "Primary domain",
        True,
        "The main domain name used by the customer. Do not enter HTTP or www.",
        "contoso.com",
        aliases=("Domain",),
    ),
    Column("registration_number", "Registration number", False, "Company ID or tax ID.", "556677-8899"),
    Column(
        "notification_email",
        "Notification email",
        False,
        "Where notifications for this customer are sent.",
        "billing@contoso.com",
        ColumnKind.EMAIL,
        aliases=("Notification e-mail", "Notification email address"),
    ),
    Column("approval_process", "Approval process", False, "TRUE to require approval.", "TRUE", ColumnKind.BOOL),
    Column(
        "approval_process_limit",
        "Approval process limit",
        False,
        "Annual financial limit for each transaction.",
        "5000",
        ColumnKind.DECIMAL,
    ),
    Column(
        "billing_start_date",
        "Billing start date",
        False,
        "The date billing reports can be run from. Use format DD/MM/YYYY.",
        "31/01/2025",
        ColumnKind.DATE,
    ),
    Column("customer_number", "Customer number", False, "Your customer reference number.", "00042"),
    Column("street_address", "Street Address", False, "First line of the address.", "Storgatan 1"),
    Column("postal_code", "Postal Code", False, "Post or zip code.", "111 22"),
    Column("city", "City", False, "", "Stockholm"),
    Column("state", "State", False, "", ""),
    Column("country", "Country", False, "", "Sweden"),
    Column("contact_name", "Contact name", False, "Primary contact (full name).", "Anna Svensson"),
    Column("contact_phone", "Contact phone", False, "", "08 123 456 78"),
    Column("contact_email", "Contact email", False, "", "anna@contoso.com", ColumnKind.EMAIL),
    Column("contact_cell_phone", "Contact cell phone", False, "", "070 123 45 67"),
]

ORGANIZATIONS = ImportSpec(
    "Organizations",
    ORGANIZATION_COLUMNS,
    xml_root="organizations",
    xml_row="organization",
    sheet_name="Organizations",
)


@pytest.fixture
def spec() -> ImportSpec:
    return ORGANIZATIONS


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def read_data():
    """The bytes of a committed test file."""

    def read(name: str) -> bytes:
        return (DATA / name).read_bytes()

    return read
