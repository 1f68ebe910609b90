"""The file layer of bulk import: specs, parsers, templates and exports; and the importer registry.

No models and no database here: this package turns an uploaded file into numbered rows of strings
(:func:`read_rows`), builds the downloadable templates (:func:`build_template`) and writes lists
out safely (:func:`iter_csv`, :func:`write_xlsx`). What a row does is a :class:`RowAction`, and
an empty cell leaves a field alone unless it holds :data:`CLEAR_MARKER`. Row validation and
persistence live with each entity's importer (e.g. ``organizations.imports``), registered in
:mod:`.registry` for the import flow of the ``imports`` app.

Typical use by an entity's import::

    SPEC = ImportSpec("Organizations", [Column("name", "Name", required=True), ...],
                      xml_root="organizations", xml_row="organization", sheet_name="Organizations")

    with read_rows(upload, upload.name, SPEC) as parsed:   # ImportFileRefused for a bad file
        for row in parsed.rows:                            # streamed RawRow(number, values)
            ...validate row.values with the row schema; report errors as "Row {row.number}, ..."
        notes = parsed.warnings                            # unknown columns etc., complete here

    template = build_template(SPEC, "xlsx")                # .content, .content_type, .filename
    response = StreamingHttpResponse(iter_csv(SPEC.columns, rows), content_type="text/csv")
"""

from .errors import ImportFileRefused
from .export import ExportColumn, csv_bytes, iter_csv, neutralise, restore, write_xlsx, xlsx_bytes
from .limits import ImportLimits
from .parsers import FileFormat, ParsedFile, RawRow, cell_text, detect_format, read_rows
from .rows import CLEAR_MARKER, RowAction, is_clear
from .spec import Column, ColumnKind, ImportSpec, normalise_header
from .templates import TemplateFile, build_template

__all__ = [
    "CLEAR_MARKER",
    "Column",
    "ColumnKind",
    "ExportColumn",
    "FileFormat",
    "ImportFileRefused",
    "ImportLimits",
    "ImportSpec",
    "ParsedFile",
    "RawRow",
    "RowAction",
    "TemplateFile",
    "build_template",
    "cell_text",
    "csv_bytes",
    "detect_format",
    "is_clear",
    "iter_csv",
    "neutralise",
    "normalise_header",
    "read_rows",
    "restore",
    "write_xlsx",
    "xlsx_bytes",
]
