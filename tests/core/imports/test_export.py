"""Exports: formula injection is neutralised, types survive, output streams."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from cloudbroker.core.imports import ExportColumn, csv_bytes, iter_csv, neutralise, read_rows, restore, xlsx_bytes
from cloudbroker.core.imports.export import export_text, needs_neutralising


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+46 8 123 456", "'+46 8 123 456"),
        ("-", "'-"),
        ("-12.50", "-12.50"),
        ("-5", "-5"),
        ("+3", "+3"),
        ("-1e5", "-1e5"),
        ("-.5", "-.5"),
        ("Contoso", "Contoso"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected
    assert needs_neutralising(value) is (value != expected)


def test_export_text_formats_types():
    assert export_text(None) == ""
    assert export_text(True) == "TRUE"
    assert export_text(-3) == "-3"
    assert export_text(-2.5) == "-2.5"
    assert export_text(Decimal("-1250.00")) == "-1250.00"
    assert export_text(dt.date(2024, 1, 5)) == "05/01/2024"
    assert export_text(dt.datetime(2024, 1, 5, 9, 7)) == "05/01/2024 09:07"  # noqa: DTZ001
    assert export_text("=x") == "'=x"


COLUMNS = [ExportColumn("name", "Name"), ExportColumn("domain", "Primary domain"), ExportColumn("limit", "Limit")]
ROWS = [
    {"name": '=HYPERLINK("http://evil","x")', "domain": "evil.test", "limit": Decimal("-100.50")},
    {"name": 'Café, "Société"', "domain": "cafe.test", "limit": None},
    {"name": "-12", "domain": "@home.test", "limit": -7},
]


def test_csv_export_is_utf8_with_bom_and_neutralised():
    content = csv_bytes(COLUMNS, ROWS)
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Name,Primary domain,Limit"
    assert lines[1] == '"\'=HYPERLINK(""http://evil"",""x"")",evil.test,-100.50'
    assert lines[2] == '"Café, ""Société""",cafe.test,'
    assert lines[3] == "-12,'@home.test,-7"
    assert lines[4] == ""


def test_csv_export_streams_in_chunks():
    rows = ({"name": f"Org {i}", "domain": f"o{i}.test", "limit": i} for i in range(1200))
    chunks = list(iter_csv(COLUMNS, rows, chunk_rows=500))
    assert len(chunks) == 3
    assert chunks[0].startswith(b"\xef\xbb\xbf")
    assert not chunks[1].startswith(b"\xef\xbb\xbf")
    assert b"".join(chunks).count(b"\r\n") == 1201


def test_csv_export_of_nothing_is_a_header():
    assert csv_bytes([("a", "A"), "b"], []) == "\ufeffA,b\r\n".encode()
    assert csv_bytes(["a"], [], bom=False) == b"a\r\n"


def test_csv_export_reads_back_through_the_importer(spec):
    columns = [spec.column("name"), spec.column("primary_domain"), spec.column("billing_start_date")]
    rows = [{"name": "Großhandel", "primary_domain": "gross.test", "billing_start_date": dt.date(2024, 2, 1)}]
    parsed = read_rows(csv_bytes(columns, rows), "export.csv", spec)
    assert next(parsed.rows).values == {
        "name": "Großhandel",
        "primary_domain": "gross.test",
        "billing_start_date": "01/02/2024",
    }


def test_xlsx_export_writes_strings_as_strings_and_keeps_types():
    rows = [
        *ROWS,
        {"name": "Dated", "domain": dt.date(2024, 3, 1), "limit": True},
        {"name": "Big id", "domain": "x", "limit": 12345678901234567890},
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(COLUMNS, rows, sheet_name="Organizations: all")))
    sheet = workbook.active
    assert sheet.title == "Organizations  all"
    assert [c.value for c in sheet[1]] == ["Name", "Primary domain", "Limit"]
    formula_like = sheet["A2"]
    assert formula_like.data_type == "s"
    assert formula_like.value == '=HYPERLINK("http://evil","x")'
    assert formula_like.quotePrefix is True
    assert sheet["C2"].data_type == "n"
    assert sheet["C2"].value == -100.5
    assert sheet["B3"].value == "cafe.test"
    assert sheet["B3"].quotePrefix is False
    assert sheet["C3"].value is None
    assert sheet["A4"].value == "-12"  # a numeric string stays a string, without a prefix
    assert sheet["A4"].data_type == "s"
    assert sheet["A4"].quotePrefix is False
    assert sheet["B4"].quotePrefix is True
    assert sheet["C4"].value == -7
    assert sheet["B5"].is_date
    assert sheet["B5"].number_format == "dd/mm/yyyy"
    assert sheet["C5"].value is True
    assert sheet["C6"].value == "12345678901234567890"


def test_xlsx_export_to_a_file_streams_many_rows(tmp_path):
    from cloudbroker.core.imports import write_xlsx

    path = tmp_path / "export.xlsx"
    count = write_xlsx(path, COLUMNS, ({"name": f"Org {i}", "limit": i} for i in range(5000)))
    assert count == 5000
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.active.max_row == 5001


@pytest.mark.parametrize(
    "value",
    [
        "+46 8 123 456",
        '=HYPERLINK("http://evil","x")',
        "'=already quoted",
        "''=twice",
        "'plain apostrophe",
        "'",
        "-",
        "-12.50",
        "@home",
        "Contoso",
        "",
    ],
)
def test_restore_is_the_exact_inverse_of_neutralise(value):
    assert restore(neutralise(value)) == value


def test_an_exported_csv_reads_back_to_the_exported_values_and_keeps_formulas_neutralised(spec):
    columns = [spec.column("name"), spec.column("primary_domain"), spec.column("contact_phone")]
    rows = [
        {"name": "=1+1", "primary_domain": "a.test", "contact_phone": "+46 8 123 456"},
        {"name": "'=quoted", "primary_domain": "b.test", "contact_phone": "-5"},
        {"name": "'plain", "primary_domain": "c.test", "contact_phone": "+3"},
    ]
    content = csv_bytes(columns, rows)
    lines = content.decode("utf-8-sig").split("\r\n")
    # Nothing a spreadsheet would run: every formula-like cell starts with an apostrophe.
    assert lines[1] == "'=1+1,a.test,'+46 8 123 456"
    assert lines[2] == "''=quoted,b.test,-5"
    assert [r.values for r in read_rows(content, "export.csv", spec).rows] == rows


def test_a_typed_apostrophe_without_a_formula_is_kept(spec):
    content = b"Name,Primary domain\n'Quoted Ltd,q.test\n"
    assert next(read_rows(content, "x.csv", spec).rows).values["name"] == "'Quoted Ltd"
