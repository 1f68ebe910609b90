"""Templates: what they contain, and that each one reads back to its example row."""

from __future__ import annotations

import dataclasses
import io

import openpyxl
import pytest

from cloudbroker.core.imports import FileFormat, build_template, read_rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xml"])
def test_template_reads_back_to_its_example_row(spec, fmt):
    template = build_template(spec, fmt)
    parsed = read_rows(template.content, template.filename, spec)
    assert parsed.format is FileFormat(fmt)
    assert parsed.columns == spec.keys
    assert parsed.warnings == []
    rows = list(parsed.rows)
    assert len(rows) == 1
    assert rows[0].number == 2
    assert rows[0].values == {c.key: c.example for c in spec.columns}


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename"),
    [
        ("csv", "text/csv; charset=utf-8", "organizations-import-template.csv"),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "organizations-import-template.xlsx",
        ),
        ("XML", "application/xml; charset=utf-8", "organizations-import-template.xml"),
    ],
)
def test_template_download_metadata(spec, fmt, content_type, filename):
    template = build_template(spec, fmt)
    assert template.content_type == content_type
    assert template.filename == filename
    assert template.content


def test_unknown_template_format(spec):
    with pytest.raises(ValueError):
        build_template(spec, "pdf")


def test_csv_template_is_excel_friendly(spec):
    content = build_template(spec, "csv").content
    assert content.startswith(b"\xef\xbb\xbf")
    header, example, rest = content.decode("utf-8-sig").split("\r\n")
    assert header.split(",")[:3] == ["Name", "Primary domain", "Registration number"]
    assert example.startswith("Contoso Ltd,contoso.com,")
    assert rest == ""


def test_xlsx_template_marks_mandatory_columns_and_explains_every_column(spec):
    workbook = openpyxl.load_workbook(io.BytesIO(build_template(spec, "xlsx").content))
    assert workbook.sheetnames == ["Organizations", "Instructions"]
    data = workbook["Organizations"]
    name, domain, registration = data["A1"], data["B1"], data["C1"]
    assert (name.value, domain.value, registration.value) == ("Name *", "Primary domain *", "Registration number")
    assert name.font.bold
    assert name.font.color.rgb.endswith("C00000")
    assert registration.font.bold
    assert registration.font.color is None or not str(registration.font.color.rgb).endswith("C00000")
    assert "Do not enter HTTP or www." in domain.comment.text
    assert "Mandatory." in domain.comment.text
    assert "Optional." in registration.comment.text
    assert data.freeze_panes == "A2"

    date_column = spec.keys.index("billing_start_date") + 1
    date_cell = data.cell(row=2, column=date_column)
    assert date_cell.is_date
    assert date_cell.number_format == "dd/mm/yyyy"
    approval = data.cell(row=2, column=spec.keys.index("approval_process") + 1)
    assert approval.value is True
    customer_number = data.cell(row=2, column=spec.keys.index("customer_number") + 1)
    assert customer_number.value == "00042"  # a text cell keeps its leading zeros
    assert any("TRUE,FALSE" in str(v.formula1).replace('"', "") for v in data.data_validations.dataValidation)

    guide = workbook["Instructions"]
    rows = {row[0]: row for row in guide.iter_rows(min_row=5, values_only=True)}
    assert rows["Primary domain"][1] == "Yes"
    assert rows["Billing start date"][1:3] == ("No", "Date, DD/MM/YYYY")
    assert rows["Billing start date"][3] == "The date billing reports can be run from. Use format DD/MM/YYYY."
    assert len(rows) == len(spec.columns)


def test_xml_template_documents_the_columns(spec):
    text = build_template(spec, "xml").content.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!--')
    comment = text[text.index("<!--") : text.index("-->")]
    assert "<organization>" in comment
    assert "primary_domain" in comment
    assert "* Text. Primary domain." in comment
    assert "billing_start_date" in comment
    assert "Date, DD/MM/YYYY" in comment
    assert "--" not in comment[4:]
    assert "<organizations>\n  <organization>\n    <name>Contoso Ltd</name>" in text


def test_xml_template_escapes_examples_and_comments():
    from cloudbroker.core.imports import Column, ImportSpec

    odd = ImportSpec(
        "Odd things",
        [Column("name", "Name", True, "Use -- never", "A & B <C>"), Column("note", "Note", example="x")],
    )
    template = build_template(odd, "xml")
    assert template.filename == "odd-things-import-template.xml"
    assert b"<name>A &amp; B &lt;C&gt;</name>" in template.content
    row = next(read_rows(template.content, template.filename, odd).rows)
    assert row.values == {"name": "A & B <C>", "note": "x"}


def test_the_specs_notes_are_in_the_instructions_and_its_example_row_is_recognised(spec):
    noted = dataclasses.replace(spec, notes=("An empty cell leaves a field as it is.", "Enter #CLEAR to clear it."))
    guide = openpyxl.load_workbook(io.BytesIO(build_template(noted, "xlsx").content))["Instructions"]
    texts = [row[0] for row in guide.iter_rows(values_only=True)]
    assert texts[2:4] == ["An empty cell leaves a field as it is.", "Enter #CLEAR to clear it."]
    assert texts[5] == "Column"  # the column table follows the notes
    assert "Enter #CLEAR to clear it." in build_template(noted, "xml").content.decode()
    marked = dataclasses.replace(spec, example_keys=("name", "primary_domain"))
    example = {c.key: c.example for c in spec.columns}
    assert marked.is_example({**example, "name": f"  {example['name'].upper()} "})
    assert not marked.is_example({**example, "primary_domain": "other.test"})
    assert not spec.is_example(example)  # no example_keys: no row is the example
