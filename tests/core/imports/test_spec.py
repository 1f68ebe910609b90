"""Header matching and spec declarations."""

from __future__ import annotations

import pytest

from cloudbroker.core.imports import Column, ColumnKind, ImportSpec, normalise_header


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Primary   domain ", "primary domain"),
        ("PRIMARY DOMAIN", "primary domain"),
        ("primary_domain", "primary domain"),
        ("Name *", "name"),
        ("Name*", "name"),
        ("Name (required)", "name"),
        ("\ufeffName", "name"),
        ("Primary\tdomain", "primary domain"),
        ("E-mail", "e-mail"),
    ],
)
def test_normalise_header(raw, expected):
    assert normalise_header(raw) == expected


def test_headers_match_label_key_and_alias_in_any_case(spec):
    match = spec.match_headers(["NAME", "  domain ", "notification_email", "Notification  E-Mail"])
    assert match.positions == {"name": 0, "primary_domain": 1, "notification_email": 2}
    assert match.headers["primary_domain"] == "domain"
    # the alias spelling of notification_email comes second: a duplicate, not a new column
    assert match.duplicates == ["Notification email"]


def test_unknown_columns_are_listed_not_fatal(spec):
    match = spec.match_headers(["Name", "Primary domain", "Shoe size", "", "  "])
    assert match.unknown == ["Shoe size"]
    assert match.missing_required == []
    assert match.positions == {"name": 0, "primary_domain": 1}


def test_missing_required_columns_are_named_in_spec_order(spec):
    match = spec.match_headers(["City", "Country"])
    assert match.missing_required == ["Name", "Primary domain"]


def test_column_key_must_be_snake_case():
    with pytest.raises(ValueError, match="snake_case"):
        Column("Primary Domain", "Primary domain")


def test_kind_accepts_plain_strings():
    assert Column("d", "D", kind="date").kind is ColumnKind.DATE
    with pytest.raises(ValueError):
        Column("d", "D", kind="colour")


def test_spec_refuses_duplicate_keys_and_ambiguous_spellings():
    with pytest.raises(ValueError, match="Duplicate column key"):
        ImportSpec("x", [Column("a", "A"), Column("a", "B")])
    with pytest.raises(ValueError, match="would match both"):
        ImportSpec("x", [Column("city", "City"), Column("town", "Town", aliases=("CITY",))])


def test_spec_helpers(spec):
    assert [c.key for c in spec.required_columns] == ["name", "primary_domain"]
    assert spec.column("city").label == "City"
    assert spec.find("postal_code").key == "postal_code"
    assert spec.find("nothing") is None
    assert spec.filename_stem == "organizations"
    with pytest.raises(KeyError):
        spec.column("nope")
