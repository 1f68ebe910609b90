"""XLSX workbooks from LibreOffice and Excel-like writers, and hostile ZIP files."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
import xlsxwriter

from cloudbroker.core.imports import FileFormat, ImportFileRefused, ImportLimits, ImportSpec, read_rows

NAMES = ["Contoso Ltd", "Café Société SARL", "Großhandel Müller GmbH"]


@pytest.mark.parametrize("filename", ["orgs_libreoffice.xlsx", "orgs_xlsxwriter.xlsx"])
def test_workbooks_read_typed_cells_as_typed_text(spec, read_data, filename):
    parsed = read_rows(read_data(filename), filename, spec)
    assert parsed.format is FileFormat.XLSX
    assert len(parsed.columns) == 17
    rows = list(parsed.rows)[:3]
    assert [r.number for r in rows] == [2, 3, 4]
    assert [r.values["name"] for r in rows] == NAMES
    first, second, third = (r.values for r in rows)
    assert first["billing_start_date"] == "15/01/2024"  # a real date cell
    assert second["billing_start_date"] == "01/02/2024"
    assert third["billing_start_date"] == "31/12/2023"
    assert first["approval_process"] == "TRUE"  # a boolean cell
    assert second["approval_process"] == "FALSE"
    assert first["approval_process_limit"] == "5000"  # a number cell, no ".0"
    assert second["approval_process_limit"] == ""
    assert third["approval_process_limit"] == "12500.5"
    assert first["postal_code"] == "111 22"
    assert third["contact_name"] == "Jürgen Größ"


def test_libreoffice_stored_postal_codes_as_numbers(spec, read_data):
    # LibreOffice turned "75004" into a number cell; it reads back without ".0"
    rows = list(read_rows(read_data("orgs_libreoffice.xlsx"), "lo.xlsx", spec).rows)
    assert rows[1].values["postal_code"] == "75004"
    assert rows[2].values["postal_code"] == "50667"


def test_text_cells_starting_with_equals_stay_literal_and_blank_rows_are_skipped(spec, read_data):
    rows = list(read_rows(read_data("orgs_xlsxwriter.xlsx"), "x.xlsx", spec).rows)
    assert [r.number for r in rows] == [2, 3, 4, 6]
    assert rows[3].values["name"] == "=not a formula, a name"
    assert rows[3].values["primary_domain"] == "equals.example"


def test_dates_as_cells_text_and_datetimes(spec, read_data):
    parsed = read_rows(read_data("orgs_dates.xlsx"), "dates.xlsx", spec)
    assert parsed.columns == ("name", "primary_domain", "billing_start_date", "customer_number")
    got = {r.values["name"]: (r.values["billing_start_date"], r.values["customer_number"]) for r in parsed.rows}
    assert got == {
        "Date cell": ("15/01/2024", "1001"),
        "US-formatted date cell": ("01/02/2024", "46701234567"),  # shown as 02/01/2024 in Excel
        "Date as text": ("31/12/2023", "00042"),
        "Date and time": ("05/03/2024 14:30", "0.1"),
    }


def test_data_on_a_named_second_sheet(spec, read_data):
    parsed = read_rows(read_data("orgs_second_sheet.xlsx"), "second.xlsx", spec)
    assert parsed.sheet == "Organizations"
    assert parsed.warnings == []
    assert [(r.number, r.values["name"]) for r in parsed.rows] == [(2, "Contoso Ltd"), (3, "Fabrikam")]


def test_without_a_sheet_name_the_first_sheet_is_read(spec, read_data):
    unnamed = ImportSpec("Organizations", spec.columns)
    with pytest.raises(ImportFileRefused, match="missing the mandatory columns: Name, Primary domain"):
        read_rows(read_data("orgs_second_sheet.xlsx"), "second.xlsx", unnamed)


def test_a_missing_named_sheet_falls_back_with_a_warning(spec, read_data):
    parsed = read_rows(read_data("orgs_dates.xlsx"), "dates.xlsx", spec)
    assert parsed.sheet == "Sheet1"
    assert parsed.warnings == []  # a single sheet needs no warning
    other = ImportSpec("Organizations", spec.columns, sheet_name="Customers")
    workbook = _workbook({"Notes": [["Name", "Primary domain"]], "Data": [["Name", "Primary domain"]]})
    parsed = read_rows(workbook, "w.xlsx", other)
    assert parsed.sheet == "Notes"
    assert parsed.warnings == ["The workbook has no sheet named 'Customers'; the sheet 'Notes' was read."]


def test_formula_cells_are_refused_naming_the_cell(spec, read_data):
    with pytest.raises(ImportFileRefused) as caught:
        read_rows(read_data("orgs_formula.xlsx"), "formula.xlsx", spec)
    message = caught.value.message
    assert message.startswith("The spreadsheet contains formulas (cell C3 of sheet 'Organizations').")
    assert "Paste Special > Values" in message
    assert caught.value.details["cell"] == "C3"


def test_formula_on_another_sheet_does_not_matter(spec):
    content = _workbook(
        {"Organizations": [["Name", "Primary domain"], ["Contoso", "contoso.com"]], "Calc": []},
        formula=("Calc", "A1", "=1+1"),
    )
    rows = list(read_rows(content, "w.xlsx", spec).rows)
    assert rows[0].values == {"name": "Contoso", "primary_domain": "contoso.com"}


def test_missing_columns_in_a_workbook(spec):
    content = _workbook({"Organizations": [["Name", "City"], ["Contoso", "Oslo"]]})
    with pytest.raises(ImportFileRefused, match=r"^The file is missing the mandatory columns: Primary domain\.$"):
        read_rows(content, "w.xlsx", spec)


def test_header_below_title_rows_keeps_sheet_row_numbers(spec):
    content = _workbook({"Organizations": [[], [], ["Name", "Primary domain"], ["Contoso", "contoso.com"]]})
    rows = list(read_rows(content, "w.xlsx", spec).rows)
    assert [r.number for r in rows] == [4]


def test_empty_sheet_is_refused(spec):
    with pytest.raises(ImportFileRefused, match="The sheet 'Organizations' is empty"):
        read_rows(_workbook({"Organizations": []}), "w.xlsx", spec)


def test_row_limit_in_a_workbook(spec):
    content = _workbook({"Organizations": [["Name", "Primary domain"]] + [["a", "a.test"]] * 4})
    parsed = read_rows(content, "w.xlsx", spec, ImportLimits(max_rows=3))
    with pytest.raises(ImportFileRefused, match=r"^Row 5 exceeds the limit of 3 rows"):
        list(parsed.rows)


def test_reads_from_a_file_object(spec, data_dir):
    with open(data_dir / "orgs_libreoffice.xlsx", "rb") as handle:
        with read_rows(handle, "lo.xlsx", spec) as parsed:
            assert [r.values["name"] for r in parsed.rows] == NAMES
        assert not handle.closed


# ---- hostile and broken ZIP files ---------------------------------------------------------


def _bomb(member_size: int) -> bytes:
    """A small file whose sheet expands about a thousand times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(member_size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def test_zip_bomb_is_refused_by_compression_ratio(spec):
    content = _bomb(8 * 1024 * 1024)
    assert len(content) < 20_000
    with pytest.raises(ImportFileRefused, match=r"sheet1\.xml is compressed [\d,]+ to 1, over the limit of 200") as c:
        read_rows(content, "bomb.xlsx", spec)
    assert "ZIP bomb" in c.value.message
    assert c.value.details["limit"] == "max_compression_ratio"


def test_zip_bomb_is_refused_by_total_size(spec):
    content = _bomb(8 * 1024 * 1024)
    limits = ImportLimits(max_compression_ratio=10_000, max_uncompressed_bytes=4 * 1024 * 1024)
    with pytest.raises(ImportFileRefused, match=r"expands to 8 MB, over the limit of 4 MB") as caught:
        read_rows(content, "bomb.xlsx", spec, limits)
    assert caught.value.details["limit"] == "max_uncompressed_bytes"


def test_too_many_zip_members_is_refused(spec, read_data):
    content = read_data("orgs_libreoffice.xlsx")
    members = len(zipfile.ZipFile(io.BytesIO(content)).infolist())
    with pytest.raises(ImportFileRefused, match=f"contains {members} parts, over the limit of 3"):
        read_rows(content, "lo.xlsx", spec, ImportLimits(max_zip_members=3))


def test_member_lying_about_its_size_is_refused(spec, read_data):
    """The directory says 100 bytes; the data inflates to much more. Reading stops and fails the CRC."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", _WORKBOOK_XML)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 2_000_000)
    data = bytearray(buffer.getvalue())
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            (declared,) = struct.unpack_from("<I", data, start + size_offset)
            if declared == 2_000_000:
                struct.pack_into("<I", data, start + size_offset, 100)
            start += 4
    with pytest.raises(ImportFileRefused, match=r"damaged and cannot be read \(part xl/worksheets/sheet1\.xml\)"):
        read_rows(bytes(data), "liar.xlsx", spec)


def test_zip_that_is_not_a_workbook_is_refused(spec):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(ImportFileRefused, match=r"ZIP archive but not an Excel workbook \(\.xlsx\)"):
        read_rows(buffer.getvalue(), "orgs.docx", spec)


def test_truncated_zip_is_refused(spec, read_data):
    content = read_data("orgs_xlsxwriter.xlsx")[:2000]
    with pytest.raises(ImportFileRefused, match=r"not a valid \.xlsx file"):
        read_rows(content, "broken.xlsx", spec)


def test_workbook_with_a_dtd_in_its_parts_is_refused(spec):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", '<!DOCTYPE x [<!ENTITY a "b">]><workbook>&a;</workbook>')
    with pytest.raises(ImportFileRefused, match="damaged"):
        read_rows(buffer.getvalue(), "dtd.xlsx", spec)


_WORKBOOK_XML = (
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Organizations" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def _workbook(sheets: dict[str, list[list[object]]], formula: tuple[str, str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
        if formula and formula[0] == name:
            sheet.write_formula(formula[1], formula[2])
    workbook.close()
    return buffer.getvalue()
