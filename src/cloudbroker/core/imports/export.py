"""Write lists (rows of dicts) as CSV or XLSX that is safe to open in a spreadsheet.

Data exported from the broker contains text typed by other people (organization names, contact
names). A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula, so a
name like ``=HYPERLINK("http://evil", "click")`` would run when the export is opened. Following the
OWASP advice on CSV injection:

* CSV: such a cell gets a leading apostrophe (``'=HYPERLINK(...)``), and so does a cell starting
  with a tab or carriage return. A value that is a plain number (``-12.50``, ``+3``) is left as it is.
  The importer's CSV reader takes exactly that apostrophe off again (:func:`restore`), so an export
  imported again gives back every value as it was (``+46 8 123 456`` stays a phone number). To keep
  the two exact inverses, a text that already starts with apostrophes before a formula-like text
  (``'=x``) gets one more (``''=x``), and reads back as ``'=x``.
* XLSX: every text is written with ``write_string`` (never interpreted as a formula) and risky
  texts additionally get Excel's "quote prefix" cell style, so editing the cell keeps it text. The
  value itself is unchanged.

CSV is UTF-8 with a byte-order mark so Excel detects the encoding; rows are produced in chunks so a
large export can be streamed to the client. XLSX uses xlsxwriter's ``constant_memory`` mode, which
flushes each row to a temporary file; the ZIP is assembled when the workbook is closed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from os import PathLike
from typing import IO, Any

from .formulas import needs_neutralising, neutralise, restore
from .parsers import cell_text
from .spec import Column

__all__ = [
    "ExportColumn",
    "csv_bytes",
    "export_text",
    "iter_csv",
    "needs_neutralising",
    "neutralise",
    "restore",
    "write_xlsx",
    "xlsx_bytes",
]

_XLSX_MAX_STRING = 32767
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class ExportColumn:
    """One output column: the key read from each row and the header label written."""

    key: str
    label: str


ColumnLike = ExportColumn | Column | tuple[str, str] | str


def _columns(columns: Sequence[ColumnLike]) -> list[ExportColumn]:
    result = []
    for column in columns:
        if isinstance(column, ExportColumn):
            result.append(column)
        elif isinstance(column, Column):
            result.append(ExportColumn(column.key, column.label))
        elif isinstance(column, str):
            result.append(ExportColumn(column, column))
        else:
            key, label = column
            result.append(ExportColumn(key, label))
    return result


def export_text(value: Any) -> str:
    """A value as CSV text: ``DD/MM/YYYY`` dates, ``TRUE``/``FALSE``, plain decimals, neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | dt.date | dt.time):
        return cell_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return neutralise(str(value))


def iter_csv(
    columns: Sequence[ColumnLike],
    rows: Iterable[Mapping[str, Any]],
    *,
    delimiter: str = ",",
    bom: bool = True,
    chunk_rows: int = 500,
) -> Iterator[bytes]:
    """UTF-8 CSV chunks (header first, BOM unless ``bom=False``), ready for a streaming response."""
    cols = _columns(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(c.label) for c in cols])
    pending = 1
    prefix = "\ufeff" if bom else ""
    for row in rows:
        writer.writerow([export_text(row.get(c.key)) for c in cols])
        pending += 1
        if pending >= chunk_rows:
            yield (prefix + buffer.getvalue()).encode("utf-8")
            prefix = ""
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending or prefix:
        yield (prefix + buffer.getvalue()).encode("utf-8")


def csv_bytes(columns: Sequence[ColumnLike], rows: Iterable[Mapping[str, Any]], **options: Any) -> bytes:
    """The whole CSV export as bytes (for small lists and tests)."""
    return b"".join(iter_csv(columns, rows, **options))


def _sheet_name(name: str) -> str:
    cleaned = _SHEET_NAME_BAD.sub(" ", name).strip().strip("'")[:31]
    return cleaned or "Sheet1"


def write_xlsx(
    target: str | PathLike[str] | IO[bytes],
    columns: Sequence[ColumnLike],
    rows: Iterable[Mapping[str, Any]],
    *,
    sheet_name: str = "Export",
) -> int:
    """Write an XLSX export to a path or binary file object; returns the number of data rows.

    Types are kept: numbers as numbers, dates as date cells (``DD/MM/YYYY``), booleans as
    booleans, everything else as text. Whole numbers of 15 digits or more are written as text so
    identifiers keep every digit.
    """
    import xlsxwriter

    cols = _columns(columns)
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "remove_timezone": True,
    }
    workbook = xlsxwriter.Workbook(target, options)
    try:
        sheet = workbook.add_worksheet(_sheet_name(sheet_name))
        header = workbook.add_format({"bold": True})
        quoted = workbook.add_format({"quote_prefix": True})
        date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
        datetime_format = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        for index, column in enumerate(cols):
            sheet.set_column(index, index, min(max(len(column.label) + 2, 12), 60))
            sheet.write_string(0, index, column.label[:_XLSX_MAX_STRING], header)
        sheet.freeze_panes(1, 0)
        count = 0
        for count, row in enumerate(rows, start=1):
            for index, column in enumerate(cols):
                value = row.get(column.key)
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(count, index, value)
                elif isinstance(value, int | float | Decimal) and _fits_number(value):
                    sheet.write_number(count, index, float(value))
                elif isinstance(value, dt.datetime):
                    sheet.write_datetime(count, index, value, datetime_format)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(count, index, value, date_format)
                else:
                    text = (export_text(value) if isinstance(value, int | float | Decimal) else str(value))[
                        :_XLSX_MAX_STRING
                    ]
                    if needs_neutralising(text):
                        sheet.write_string(count, index, text, quoted)
                    else:
                        sheet.write_string(count, index, text)
    finally:
        workbook.close()
    return count


def _fits_number(value: int | float | Decimal) -> bool:
    if isinstance(value, int):
        return abs(value) < 10**15
    if isinstance(value, Decimal):
        return value.is_finite() and len(value.as_tuple().digits) <= 15
    return True


def xlsx_bytes(columns: Sequence[ColumnLike], rows: Iterable[Mapping[str, Any]], **options: Any) -> bytes:
    """The whole XLSX export as bytes (for small lists and tests)."""
    buffer = io.BytesIO()
    write_xlsx(buffer, columns, rows, **options)
    return buffer.getvalue()
