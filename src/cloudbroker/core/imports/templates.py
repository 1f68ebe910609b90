"""Downloadable import templates built from an :class:`ImportSpec`.

Every template holds the header (or, in XML, the element structure) and one example row made of
the columns' example values, and reads back through :func:`read_rows` to exactly that row.

* CSV: UTF-8 with BOM, comma-separated, header labels as declared.
* XLSX: the data sheet (named after the spec's ``sheet_name``) with mandatory headers in bold red
  and marked ``*``, a note on every header cell with the column's help, text columns formatted as
  text (so phone and customer numbers keep leading zeros), date columns formatted ``DD/MM/YYYY``,
  a TRUE/FALSE list on boolean columns, and a second "Instructions" sheet describing every column.
* XML: ``<root><row><key>value</key>...</row></root>`` with a comment describing the columns.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape

from .parsers import FileFormat
from .spec import Column, ColumnKind, ImportSpec

__all__ = ["CONTENT_TYPES", "TemplateFile", "build_template", "kind_description"]

CONTENT_TYPES = {
    FileFormat.CSV: "text/csv; charset=utf-8",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileFormat.XML: "application/xml; charset=utf-8",
}

_KIND_DESCRIPTIONS = {
    ColumnKind.TEXT: "Text",
    ColumnKind.EMAIL: "E-mail address",
    ColumnKind.DATE: "Date, DD/MM/YYYY",
    ColumnKind.BOOL: "TRUE or FALSE",
    ColumnKind.DECIMAL: "Number, with . for decimals",
    ColumnKind.INT: "Whole number",
}

_XLSX_LAST_ROW = 1_048_575


@dataclass(frozen=True)
class TemplateFile:
    """A file ready to be sent as a download."""

    content: bytes
    content_type: str
    filename: str


def kind_description(kind: ColumnKind) -> str:
    return _KIND_DESCRIPTIONS[ColumnKind(kind)]


def build_template(spec: ImportSpec, format: FileFormat | str) -> TemplateFile:
    """The import template of ``spec`` in ``format`` (``"csv"``, ``"xlsx"`` or ``"xml"``)."""
    fmt = FileFormat(str(format).lower())
    builders = {FileFormat.CSV: _csv_template, FileFormat.XLSX: _xlsx_template, FileFormat.XML: _xml_template}
    content = builders[fmt](spec)
    return TemplateFile(content, CONTENT_TYPES[fmt], f"{spec.filename_stem}-import-template.{fmt.value}")


def _csv_template(spec: ImportSpec) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.label for c in spec.columns])
    writer.writerow([c.example for c in spec.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _parse_dmy(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y")  # noqa: DTZ007 - a calendar date, no time zone
    except ValueError:
        return None


def _help_text(column: Column) -> str:
    parts = [column.help.strip()] if column.help.strip() else []
    parts.append(f"Format: {kind_description(column.kind)}.")
    parts.append("Mandatory." if column.required else "Optional.")
    return " ".join(parts)


def _xlsx_template(spec: ImportSpec) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    required_header = workbook.add_format({"bold": True, "font_color": "#C00000", "bg_color": "#FDE9E7"})
    optional_header = workbook.add_format({"bold": True, "bg_color": "#EDEDED"})
    text_format = workbook.add_format({"num_format": "@"})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    bold = workbook.add_format({"bold": True})
    red_bold = workbook.add_format({"bold": True, "font_color": "#C00000"})

    data = workbook.add_worksheet((spec.sheet_name or "Import")[:31])
    for index, column in enumerate(spec.columns):
        width = min(max(len(column.label), len(column.example)) + 4, 50)
        cell_format = {ColumnKind.TEXT: text_format, ColumnKind.EMAIL: text_format, ColumnKind.DATE: date_format}
        data.set_column(index, index, width, cell_format.get(column.kind))
        label = f"{column.label} *" if column.required else column.label
        data.write_string(0, index, label, required_header if column.required else optional_header)
        data.write_comment(0, index, _help_text(column), {"x_scale": 2, "y_scale": 1.5})
        _write_example(data, index, column, date_format, text_format)
        if column.kind is ColumnKind.BOOL:
            data.data_validation(1, index, _XLSX_LAST_ROW, index, {"validate": "list", "source": ["TRUE", "FALSE"]})
    data.freeze_panes(1, 0)
    data.activate()

    guide = workbook.add_worksheet("Instructions")
    guide.set_column(0, 0, 28)
    guide.set_column(1, 1, 12)
    guide.set_column(2, 2, 28)
    guide.set_column(3, 3, 70, wrap)
    guide.set_column(4, 4, 28)
    guide.write_string(0, 0, f"{spec.name} import", bold)
    guide.write_string(
        1,
        0,
        f"Fill in the sheet '{data.name}', one row per record, and replace the example row with your data. "
        "Mandatory columns are marked * and shown in red. Formulas are not accepted: enter values only.",
    )
    for offset, note in enumerate(spec.notes, start=2):
        guide.write_string(offset, 0, note)
    top = 3 + len(spec.notes)
    for index, title in enumerate(("Column", "Mandatory", "Format", "Description", "Example")):
        guide.write_string(top, index, title, bold)
    for row, column in enumerate(spec.columns, start=top + 1):
        guide.write_string(row, 0, column.label, red_bold if column.required else None)
        guide.write_string(row, 1, "Yes" if column.required else "No")
        guide.write_string(row, 2, kind_description(column.kind))
        guide.write_string(row, 3, column.help)
        guide.write_string(row, 4, column.example)
    workbook.close()
    return buffer.getvalue()


def _write_example(sheet, index: int, column: Column, date_format, text_format) -> None:
    example = column.example.strip()
    if not example:
        return
    if column.kind is ColumnKind.DATE and (date := _parse_dmy(example)) is not None:
        sheet.write_datetime(1, index, date, date_format)
    elif column.kind is ColumnKind.BOOL and example.upper() in {"TRUE", "FALSE"}:
        sheet.write_boolean(1, index, example.upper() == "TRUE")
    elif column.kind in {ColumnKind.DECIMAL, ColumnKind.INT} and _is_number(example):
        sheet.write_number(1, index, float(Decimal(example)))
    else:
        sheet.write_string(1, index, example, text_format)


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _comment(text: str) -> str:
    """Text safe inside an XML comment (no ``--``, no trailing ``-``)."""
    while "--" in text:
        text = text.replace("--", "- -")
    return text.rstrip("-")


def _xml_template(spec: ImportSpec) -> bytes:
    width = max(len(c.key) for c in spec.columns) + 2
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!--",
        _comment(f"  {spec.name} import template."),
        _comment(
            f"  One <{spec.xml_row}> element per record inside <{spec.xml_root}>; replace the example with your data."
        ),
        *(_comment(f"  {note}") for note in spec.notes),
        "  Elements (* = mandatory):",
    ]
    for column in spec.columns:
        mark = "*" if column.required else " "
        description = f"{column.label}. {column.help}".strip()
        lines.append(_comment(f"    {column.key.ljust(width)}{mark} {kind_description(column.kind)}. {description}"))
    lines += ["  No DTD or entity declarations are accepted.", "-->", f"<{spec.xml_root}>", f"  <{spec.xml_row}>"]
    for column in spec.columns:
        lines.append(f"    <{column.key}>{escape(column.example)}</{column.key}>")
    lines += [f"  </{spec.xml_row}>", f"</{spec.xml_root}>", ""]
    return "\n".join(lines).encode("utf-8")
