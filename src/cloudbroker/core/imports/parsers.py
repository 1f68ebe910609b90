"""Read an uploaded CSV, XLSX or XML file into raw rows, streaming, without trusting it.

:func:`read_rows` checks the envelope eagerly (size, format, encoding, ZIP directory, header row,
mandatory columns) and raises :class:`ImportFileRefused` with a message meant for the person who
uploaded the file. It then returns a :class:`ParsedFile` whose ``rows`` is a lazy iterator: rows
are produced one at a time, so a 100,000-row CSV or XML file is never held in memory. Limits that
can only be known while reading (row count, malformed XML further down the file) raise
:class:`ImportFileRefused` from the iterator.

Every value comes out as a stripped string. Typing (dates, decimals, booleans, e-mail
addresses) is the job of the row schema that consumes these rows; this layer only makes
spreadsheet cells look like what the user typed: date cells become ``DD/MM/YYYY``, boolean cells
``TRUE``/``FALSE``, whole numbers lose the ``.0`` a spreadsheet stores them with.

Nothing is evaluated: a CSV or XML value starting with ``=`` is returned as that text, and so is
an XLSX *text* cell. An XLSX *formula* cell is refused (see :func:`_scan_for_formulas`): the
stored result of a formula is whatever the last program to save the file computed (``0`` for a
workbook written by a library that never calculated it), so importing it silently could import
wrong data. The user is asked to paste values instead.

XLSX workbooks are read with python-calamine, which loads the chosen sheet into native memory
(outside the Python heap) and then yields rows one by one; the ZIP checks done before it runs
bound that memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import math
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeET

from .errors import ImportFileRefused
from .formulas import restore
from .limits import ImportLimits, human_size
from .spec import HeaderMatch, ImportSpec

__all__ = [
    "FileFormat",
    "ParsedFile",
    "RawRow",
    "cell_text",
    "detect_format",
    "read_rows",
]

_CHUNK = 1024 * 1024
_HEAD = 8192


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    XML = "xml"


@dataclass(frozen=True)
class RawRow:
    """One data row: its number as the user sees it (the header is row 1) and its values by key."""

    number: int
    values: dict[str, str]


@dataclass
class ParsedFile:
    """A file whose envelope has been accepted.

    ``columns`` lists the keys of the spec's columns present in the file, in file order; each row's
    ``values`` holds exactly those keys (an absent optional column is absent from ``values``, a
    present but empty cell is ``""``; a row schema can use the difference for updates). XML has no
    header row: ``columns`` are the elements of the first row, every row carries those keys, and a
    later row may carry further known elements as extra keys.
    ``headers`` maps those keys to the header text found in the file. ``warnings`` is appended to
    while rows are read, so it is complete once ``rows`` is exhausted.
    """

    format: FileFormat
    columns: tuple[str, ...]
    headers: dict[str, str]
    warnings: list[str]
    rows: Iterator[RawRow]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    _close: Callable[[], None] | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[RawRow]:
        return self.rows

    def close(self) -> None:
        """Release the reader early (the rows iterator does it itself when exhausted)."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> ParsedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Entry point


def read_rows(
    data: bytes | bytearray | memoryview | IO[bytes],
    filename: str,
    spec: ImportSpec,
    limits: ImportLimits | None = None,
    *,
    format: FileFormat | str | None = None,
) -> ParsedFile:
    """Open an uploaded file as rows of ``spec``.

    ``data`` is the file content or a binary file object (read from its start; it is not closed).
    ``filename`` is only a hint for the format, which is detected from the content. ``format``
    forces a format (an upload form's explicit choice): content of another format is refused.
    Raises :class:`ImportFileRefused`.
    """
    limits = limits or ImportLimits()
    stream, size = _open_source(data, limits)
    if size == 0:
        raise ImportFileRefused("The file is empty.")
    stream.seek(0)
    head = stream.read(_HEAD)
    stream.seek(0)
    warnings: list[str] = []
    detected = detect_format(head, filename)
    if format is not None:
        wanted = FileFormat(str(format).lower())
        if wanted != detected:
            raise ImportFileRefused(
                f"The file is not a valid {wanted.name} file (its content looks like {detected.name})."
            )
    else:
        hinted = _format_from_extension(filename)
        if hinted is not None and hinted != detected:
            warnings.append(
                f"The file name ends in .{_extension(filename)} but its content is {detected.name}; "
                f"it was read as {detected.name}."
            )
    if detected is FileFormat.CSV:
        return _read_csv(stream, head, spec, limits, warnings)
    if detected is FileFormat.XLSX:
        return _read_xlsx(stream, spec, limits, warnings)
    return _read_xml(stream, spec, limits, warnings)


def _open_source(data: bytes | bytearray | memoryview | IO[bytes], limits: ImportLimits) -> tuple[IO[bytes], int]:
    """A seekable binary stream over the upload, and its size; refuses files over ``max_bytes``."""
    if isinstance(data, bytes | bytearray | memoryview):
        stream: IO[bytes] = io.BytesIO(data)
    elif hasattr(data, "read"):
        seekable = getattr(data, "seekable", None)
        if seekable is not None and seekable():
            stream = data
            stream.seek(0)
        else:
            spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
            copied = 0
            while chunk := data.read(_CHUNK):
                if isinstance(chunk, str):
                    raise TypeError("read_rows needs a binary file object (opened with 'rb').")
                copied += len(chunk)
                if copied > limits.max_bytes:
                    break
                spool.write(chunk)
            stream = spool
            if copied > limits.max_bytes:
                _refuse_size(copied, limits, at_least=True)
    else:
        raise TypeError(f"read_rows needs bytes or a binary file object, not {type(data).__name__}.")
    size = stream.seek(0, io.SEEK_END)
    if size > limits.max_bytes:
        _refuse_size(size, limits)
    return stream, size


def _refuse_size(size: int, limits: ImportLimits, *, at_least: bool = False) -> None:
    more = "more than " if at_least else ""
    raise ImportFileRefused(
        f"The file is {more}{human_size(size)}, over the limit of {human_size(limits.max_bytes)}.",
        limit="max_bytes",
    )


# ---------------------------------------------------------------------------------------------
# Format detection

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_EXTENSIONS = {
    "csv": FileFormat.CSV,
    "tsv": FileFormat.CSV,
    "txt": FileFormat.CSV,
    "xlsx": FileFormat.XLSX,
    "xlsm": FileFormat.XLSX,
    "xml": FileFormat.XML,
}


def _extension(filename: str) -> str:
    name = PureWindowsPath(filename or "").name  # also splits on "/"
    return PurePosixPath(name).suffix.lstrip(".").lower()


def _format_from_extension(filename: str) -> FileFormat | None:
    return _EXTENSIONS.get(_extension(filename))


def detect_format(head: bytes, filename: str = "") -> FileFormat:
    """Tell CSV, XLSX and XML apart from the first bytes of a file; refuse anything else.

    The content decides: a ZIP archive is an XLSX candidate, ``<?xml`` or a leading ``<`` is XML,
    readable text is CSV. The extension only settles the one ambiguous case (text starting with
    ``<`` in a file named ``.csv``/``.txt``).
    """
    if head.startswith(_ZIP_MAGICS):
        return FileFormat.XLSX
    if head.startswith(_OLE2):
        raise ImportFileRefused(
            "The file is an Excel 97-2003 workbook (.xls) or a password-protected workbook. "
            "Save it as an unprotected Excel workbook (.xlsx) or as CSV and upload it again."
        )
    text = _head_text(head)
    if text is None:
        raise ImportFileRefused(
            "The file is in an unknown format. Upload a CSV, Excel (.xlsx) or XML file made from the template."
        )
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<?xml"):
        return FileFormat.XML
    if stripped.startswith("<") and _format_from_extension(filename) is not FileFormat.CSV:
        return FileFormat.XML
    return FileFormat.CSV


def _head_text(head: bytes) -> str | None:
    """The start of the file as text, or ``None`` when it is binary."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    if _CONTROL.search(head):
        return None
    return head.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------
# Shared row assembly


def _check_header(match: HeaderMatch, spec: ImportSpec, *, xml: bool = False) -> None:
    if match.missing_required:
        labels = ", ".join(match.missing_required)
        message = f"The file is missing the mandatory columns: {labels}"
        if xml:
            elements = ", ".join(f"<{c.key}>" for c in spec.required_columns if c.label in match.missing_required)
            message += f" (XML elements {elements} in the first <{spec.xml_row}>)"
        raise ImportFileRefused(message + ".", missing=match.missing_required)
    if match.duplicates:
        raise ImportFileRefused(
            "These columns appear more than once in the header: " + ", ".join(match.duplicates) + ".",
            duplicates=match.duplicates,
        )


def _unknown_warning(unknown: Iterable[str]) -> str:
    return "These columns are not recognised and were ignored: " + ", ".join(unknown) + "."


def _over_rows(number: int, limits: ImportLimits) -> ImportFileRefused:
    return ImportFileRefused(
        f"Row {number:,} exceeds the limit of {limits.max_rows:,} rows. Split the file and import each part.",
        limit="max_rows",
    )


def _check_width(width: int, limits: ImportLimits) -> None:
    if width > limits.max_columns:
        raise ImportFileRefused(
            f"The header row has {width:,} columns, over the limit of {limits.max_columns:,} columns.",
            limit="max_columns",
        )


def _tabular_rows(
    records: Iterator[tuple[int, list[str]]],
    match: HeaderMatch,
    limits: ImportLimits,
    warnings: list[str],
    *,
    unquote: bool = False,
) -> Iterator[RawRow]:
    """Turn ``(row number, cells)`` after the header into :class:`RawRow`, skipping blank rows.

    With ``unquote`` (CSV), the apostrophe an export put before a formula-like text is taken off
    (:func:`~.formulas.restore`): an exported file reads back to the values exported."""
    positions = list(match.positions.items())
    data_rows = 0
    for number, cells in records:
        if unquote:
            cells = [restore(s) if (s := c.strip())[:1] == "'" else s for c in cells]
        else:
            cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        data_rows += 1
        if data_rows > limits.max_rows:
            raise _over_rows(number, limits)
        values = {key: (cells[pos] if pos < len(cells) else "") for key, pos in positions}
        yield RawRow(number, values)


# ---------------------------------------------------------------------------------------------
# CSV

_SEP_LINE = re.compile(r"^\ufeff?sep=(.)\s*$", re.IGNORECASE)
_DELIMITERS = (",", ";", "\t", "|")


def _csv_encoding(stream: IO[bytes], head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252. Validates the whole file."""
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif _decodes(stream, "utf-8"):
        return "utf-8"
    else:
        encoding = "cp1252"
    if not _decodes(stream, encoding):
        raise ImportFileRefused(
            "The file is not readable text: it is neither UTF-8 nor Windows-1252. "
            "Save it as 'CSV UTF-8' and upload it again."
        )
    return encoding


def _decodes(stream: IO[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    stream.seek(0)
    try:
        while chunk := stream.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        stream.seek(0)
    return True


def _sniff_delimiter(line: str, spec: ImportSpec) -> str:
    """The separator that makes the header line match the most columns of the spec.

    Spreadsheets write ``,`` or ``;`` (depending on the locale) or tab; ties go to the separator
    that splits the line into the most cells, then to the order of ``_DELIMITERS``.
    """
    best: tuple[int, int, int] | None = None
    chosen = ","
    for order, delimiter in enumerate(_DELIMITERS):
        cells = next(csv.reader([line], delimiter=delimiter), [])
        score = (spec.match_headers(cells).score, len(cells), -order)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen


def _read_csv(
    stream: IO[bytes], head: bytes, spec: ImportSpec, limits: ImportLimits, warnings: list[str]
) -> ParsedFile:
    encoding = _csv_encoding(stream, head)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        # The first non-blank physical line decides the separator (Excel's "sep=;" line, if any,
        # decides it outright and is not counted as a row, as Excel does not show it).
        consumed: list[str] = []
        delimiter: str | None = None
        header_line = ""
        for line in text:
            if not consumed and delimiter is None and (sep := _SEP_LINE.match(line.rstrip("\r\n"))):
                delimiter = sep.group(1)
                continue
            consumed.append(line)
            if line.strip().strip(",;\t|\ufeff"):
                header_line = line
                break
        if not header_line:
            raise ImportFileRefused("The file is empty: it has no header row.")
        if delimiter is None:
            delimiter = _sniff_delimiter(header_line.rstrip("\r\n"), spec)
        reader = csv.reader(itertools.chain(consumed, text), delimiter=delimiter, strict=True)
        records = _csv_records(reader)
        try:
            _, header = next(h for h in records if any(c.strip() for c in h[1]))
        except StopIteration:  # pragma: no cover - header_line guarantees a record
            raise ImportFileRefused("The file is empty: it has no header row.") from None
        _check_width(len(header), limits)
        match = spec.match_headers(header)
        _check_header(match, spec)
    except BaseException:
        text.detach()
        raise
    if match.unknown:
        warnings.append(_unknown_warning(match.unknown))

    detached = False

    def detach() -> None:
        # Leave the caller's file open: a TextIOWrapper closes its buffer when it is closed or collected,
        # even when its rows were never read.
        nonlocal detached
        if not detached:
            detached = True
            text.detach()

    def rows() -> Iterator[RawRow]:
        try:
            yield from _tabular_rows(records, match, limits, warnings, unquote=True)
        finally:
            detach()

    return ParsedFile(
        format=FileFormat.CSV,
        columns=tuple(match.positions),
        headers=match.headers,
        warnings=warnings,
        rows=rows(),
        encoding=encoding,
        delimiter=delimiter,
        _close=detach,
    )


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return 'a quoted value is never closed (a closing " is missing), so the rest of the file cannot be read.'
    if "expected after" in text:
        return 'text follows a closing quote. Put the whole value in quotes and double any quote inside it ("").'
    if "field larger than field limit" in text:
        return f"a value is longer than {csv.field_size_limit():,} characters."
    return text.rstrip(".") + "."


def _csv_records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileRefused(f"Row {number + 1:,} cannot be read as CSV: {_csv_problem(exc)}") from exc
        number += 1
        yield number, cells


# ---------------------------------------------------------------------------------------------
# XLSX

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_CELL_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br=\"([A-Z]{1,3}[0-9]{1,7})\"")


@dataclass(frozen=True)
class _Sheet:
    name: str
    path: str | None
    visible: bool


def _guard_zip(archive: zipfile.ZipFile, limits: ImportLimits) -> None:
    """Refuse a ZIP bomb from its directory, before any member is decompressed."""
    members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise ImportFileRefused(
            f"The workbook contains {len(members):,} parts, over the limit of {limits.max_zip_members:,}.",
            limit="max_zip_members",
        )
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise ImportFileRefused(
            f"The workbook expands to {human_size(total)}, over the limit of "
            f"{human_size(limits.max_uncompressed_bytes)} of uncompressed data.",
            limit="max_uncompressed_bytes",
        )
    for member in members:
        if member.file_size < limits.zip_ratio_min_bytes:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise ImportFileRefused(
                f"The workbook part {member.filename} is compressed {ratio:,.0f} to 1, over the limit of "
                f"{limits.max_compression_ratio:,} to 1; it looks like a ZIP bomb.",
                limit="max_compression_ratio",
            )


def _workbook_sheets(archive: zipfile.ZipFile) -> list[_Sheet]:
    try:
        workbook = SafeET.fromstring(archive.read("xl/workbook.xml"), forbid_dtd=True)
    except KeyError:
        raise ImportFileRefused(
            "The file is a ZIP archive but not an Excel workbook (.xlsx). "
            "Upload a CSV, Excel (.xlsx) or XML file made from the template."
        ) from None
    except (ParseError, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        raise ImportFileRefused("The workbook is damaged and cannot be read.") from exc
    targets: dict[str, str] = {}
    try:
        rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True)
        for rel in rels.iter(f"{{{_NS_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id", "")] = path
    except (KeyError, ParseError, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        pass
    sheets = []
    for sheet in workbook.iter(f"{{{_NS_MAIN}}}sheet"):
        rid = sheet.get(f"{{{_NS_REL}}}id", "")
        sheets.append(_Sheet(sheet.get("name", ""), targets.get(rid), sheet.get("state", "visible") == "visible"))
    return sheets


def _choose_sheet(sheets: list[_Sheet], spec: ImportSpec, warnings: list[str]) -> _Sheet:
    if not sheets:
        raise ImportFileRefused("The workbook has no sheets.")
    if spec.sheet_name:
        for sheet in sheets:
            if sheet.name.strip().casefold() == spec.sheet_name.strip().casefold():
                return sheet
    chosen = next((s for s in sheets if s.visible), sheets[0])
    if spec.sheet_name and len(sheets) > 1:
        warnings.append(f"The workbook has no sheet named '{spec.sheet_name}'; the sheet '{chosen.name}' was read.")
    return chosen


def _verify_members(archive: zipfile.ZipFile, sheet: _Sheet, limits: ImportLimits) -> None:
    """Decompress every member once, counting real bytes, and look for formulas in the sheet.

    The ZIP directory can lie about sizes; reading through :mod:`zipfile` stops at the declared
    size and checks the CRC, so a member that expands beyond what it declares is refused here
    rather than by running out of memory in the spreadsheet reader.
    """
    total = 0
    for member in archive.infolist():
        if member.is_dir():
            continue
        scan = member.filename == sheet.path
        try:
            with archive.open(member) as handle:
                carry = b""
                while chunk := handle.read(_CHUNK):
                    total += len(chunk)
                    if total > limits.max_uncompressed_bytes:
                        raise ImportFileRefused(
                            f"The workbook expands to more than {human_size(limits.max_uncompressed_bytes)} "
                            "of uncompressed data.",
                            limit="max_uncompressed_bytes",
                        )
                    if scan:
                        window = carry + chunk
                        _scan_for_formulas(window, sheet)
                        carry = window[-4096:]
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise ImportFileRefused(f"The workbook is damaged and cannot be read (part {member.filename}).") from exc


def _scan_for_formulas(window: bytes, sheet: _Sheet) -> None:
    """Refuse the sheet if its XML holds a formula (``<f>`` element); name the first cell."""
    found = _FORMULA.search(window)
    if found is None:
        return
    refs = _CELL_REF.findall(window, 0, found.start())
    where = f"cell {refs[-1].decode()} of " if refs else ""
    raise ImportFileRefused(
        f"The spreadsheet contains formulas ({where}sheet '{sheet.name}'). Formulas are not imported: "
        "replace them with their values (copy, then Paste Special > Values) and upload the file again.",
        cell=refs[-1].decode() if refs else None,
    )


def _read_xlsx(stream: IO[bytes], spec: ImportSpec, limits: ImportLimits, warnings: list[str]) -> ParsedFile:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ImportFileRefused("The file looks like an Excel workbook but is not a valid .xlsx file.") from exc
    with archive:
        _guard_zip(archive, limits)
        sheet = _choose_sheet(_workbook_sheets(archive), spec, warnings)
        _verify_members(archive, sheet, limits)
    stream.seek(0)
    try:
        workbook = CalamineWorkbook.from_filelike(stream)
        data = workbook.get_sheet_by_name(sheet.name)
    except CalamineError as exc:
        raise ImportFileRefused(f"The workbook cannot be read: {exc}.") from exc
    start = data.start
    if start is None:
        workbook.close()
        raise ImportFileRefused(f"The sheet '{sheet.name}' is empty.")

    def records() -> Iterator[tuple[int, list[str]]]:
        # python-calamine 0.9 yields rows from the top of the sheet (row 1) even when the data
        # starts lower (``start``); older versions started at ``start``. The row at ``start`` always
        # holds a value, so a blank first row means the iteration began at row 1.
        iterator = data.iter_rows()
        first = next(iterator, None)
        if first is None:
            return
        first_cells = [cell_text(c) for c in first]
        first_number = 1 if start[0] == 0 or not any(first_cells) else start[0] + 1
        yield first_number, first_cells
        for number, cells in enumerate(iterator, start=first_number + 1):
            yield number, [cell_text(c) for c in cells]

    source = records()
    try:
        _, header = next(r for r in source if any(r[1]))
    except StopIteration:
        workbook.close()
        raise ImportFileRefused(f"The sheet '{sheet.name}' is empty.") from None
    try:
        _check_width(len(header), limits)
        match = spec.match_headers(header)
        _check_header(match, spec)
    except ImportFileRefused:
        workbook.close()
        raise
    if match.unknown:
        warnings.append(_unknown_warning(match.unknown))

    closed = False

    def close() -> None:
        nonlocal closed
        if not closed:
            closed = True
            workbook.close()

    def rows() -> Iterator[RawRow]:
        try:
            yield from _tabular_rows(source, match, limits, warnings)
        finally:
            close()

    return ParsedFile(
        format=FileFormat.XLSX,
        columns=tuple(match.positions),
        headers=match.headers,
        warnings=warnings,
        rows=rows(),
        sheet=sheet.name,
        _close=close,
    )


_MIDNIGHT = dt.time(0, 0)


def _dmy(value: dt.date) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text the user typed: dates ``DD/MM/YYYY``, ``TRUE``/``FALSE``,
    whole numbers without ``.0``, other numbers with at most 15 significant digits (what Excel
    displays) and never in exponent notation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == _MIDNIGHT:
            return _dmy(value)
        seconds = f":{value.second:02d}" if value.second else ""
        return f"{_dmy(value)} {value.hour:02d}:{value.minute:02d}{seconds}"
    if isinstance(value, dt.date):
        return _dmy(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    return str(value).strip()


def _number_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.15g}"
    if "e" in text:
        text = format(Decimal(text), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text


# ---------------------------------------------------------------------------------------------
# XML


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_XML_UNSAFE = "XML with a DTD or entity declarations is not accepted. Remove the <!DOCTYPE ...> part and upload again."


def _xml_events(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """defusedxml's iterparse, with its errors turned into refusals."""
    events = SafeET.iterparse(stream, events=("start", "end"), forbid_dtd=True)
    while True:
        try:
            event = next(events)
        except StopIteration:
            return
        except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
            raise ImportFileRefused(_XML_UNSAFE) from exc
        except ParseError as exc:
            line, column = getattr(exc, "position", (0, 0))
            if "undefined entity" in str(exc):
                raise ImportFileRefused(_XML_UNSAFE) from exc
            raise ImportFileRefused(f"The XML file is not well-formed (line {line:,}, column {column + 1:,}).") from exc
        yield event


_UNSEEN = object()


def _read_xml(stream: IO[bytes], spec: ImportSpec, limits: ImportLimits, warnings: list[str]) -> ParsedFile:
    events = _xml_events(stream)
    warned: set[str] = set()

    def warn_once(key: str, message: str) -> None:
        if key not in warned:
            warned.add(key)
            warnings.append(message)

    try:
        _, root = next(events)
    except StopIteration:  # pragma: no cover - the parser raises ParseError on an empty document
        raise ImportFileRefused("The file is empty.") from None
    if _local(root.tag).casefold() != spec.xml_root.casefold():
        raise ImportFileRefused(
            f"The XML root element must be <{spec.xml_root}>, not <{_local(root.tag)}>. "
            "Download the XML template to see the expected structure."
        )

    def elements() -> Iterator[tuple[int, dict[str, str]]]:
        """Each ``<row>`` element as ``(number, {key: text})``; the first row is number 2."""
        columns_by_tag: dict[str, Any] = {}
        row_tag = spec.xml_row.casefold()
        depth = 1  # the root's start event has been consumed
        ordinal = 1
        for event, element in events:
            if event == "start":
                depth += 1
                continue
            depth -= 1
            if depth != 1:
                continue
            name = _local(element.tag)
            if name != spec.xml_row and name.casefold() != row_tag:
                warn_once(f"<{name}>", f"Elements <{name}> inside <{spec.xml_root}> are not rows and were ignored.")
                root.clear()
                continue
            ordinal += 1
            values: dict[str, str] = {}
            for child in element:
                child_name = _local(child.tag)
                if (column := columns_by_tag.get(child.tag, _UNSEEN)) is _UNSEEN:
                    column = columns_by_tag[child.tag] = spec.find(child_name)
                if column is None:
                    warn_once(child_name, f"Elements <{child_name}> are not recognised and were ignored.")
                    continue
                if column.key in values:
                    warn_once(f"dup:{column.key}", f"Row {ordinal:,} repeats <{child_name}>; only the first was read.")
                    continue
                values[column.key] = "".join(child.itertext()).strip()
            root.clear()  # keep memory flat: processed rows are dropped from the tree
            yield ordinal, values

    source = elements()
    first = next(source, None)
    if first is None:
        return ParsedFile(FileFormat.XML, (), {}, warnings, iter(()))
    present = list(first[1])
    match = spec.match_headers(present)
    _check_header(match, spec, xml=True)
    columns = tuple(present)

    def rows() -> Iterator[RawRow]:
        data_rows = 0
        for number, values in itertools.chain([first], source):
            if not any(values.values()):
                continue
            data_rows += 1
            if data_rows > limits.max_rows:
                raise _over_rows(number, limits)
            for key in columns:
                values.setdefault(key, "")
            yield RawRow(number, values)

    return ParsedFile(
        format=FileFormat.XML,
        columns=columns,
        headers={key: key for key in columns},
        warnings=warnings,
        rows=rows(),
    )
