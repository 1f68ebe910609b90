"""CSV as spreadsheets write it."""

from __future__ import annotations

import io

import pytest

from cloudbroker.core.imports import FileFormat, ImportFileRefused, ImportLimits, read_rows

NAMES = ["Contoso Ltd", "Café Société SARL", "Großhandel Müller GmbH"]


def _names(parsed):
    return [row.values["name"] for row in parsed.rows]


@pytest.mark.parametrize(
    ("filename", "encoding", "delimiter"),
    [
        ("orgs_utf8.csv", "utf-8", ","),
        ("orgs_utf8_bom.csv", "utf-8-sig", ","),
        ("orgs_cp1252.csv", "cp1252", ","),
        ("orgs_semicolon.csv", "cp1252", ";"),
        ("orgs_sep_line.csv", "utf-8", ";"),
        ("orgs_unicode_text.txt", "utf-16", "\t"),
    ],
)
def test_csv_variants_read_the_same_rows(spec, read_data, filename, encoding, delimiter):
    parsed = read_rows(read_data(filename), filename, spec)
    assert parsed.format is FileFormat.CSV
    assert parsed.encoding == encoding
    assert parsed.delimiter == delimiter
    assert len(parsed.columns) == 17
    assert parsed.warnings == []
    rows = list(parsed.rows)
    assert [r.number for r in rows] == [2, 3, 4]
    assert [r.values["name"] for r in rows] == NAMES
    first, second, third = (r.values for r in rows)
    assert first["billing_start_date"] == "15/01/2024"
    assert first["approval_process"] == "TRUE"
    assert first["state"] == ""
    assert second["street_address"] == "12 rue de l'Église"
    assert second["contact_name"] == "Zoé Lefèvre"
    assert third["city"] == "Köln"
    assert third["street_address"] == "Schöne Straße 5"
    assert third["approval_process_limit"] == "12500.50"


def test_header_is_row_one_and_values_are_keyed_by_column(spec, read_data):
    parsed = read_rows(read_data("orgs_utf8.csv"), "orgs.csv", spec)
    assert parsed.columns[:2] == ("name", "primary_domain")
    assert parsed.headers["approval_process_limit"] == "Approval process Limit"
    row = next(parsed.rows)
    assert row.number == 2
    assert set(row.values) == set(parsed.columns)


def test_quoted_fields_with_newlines_keep_spreadsheet_row_numbers(spec, read_data):
    parsed = read_rows(read_data("orgs_multiline.csv"), "orgs_multiline.csv", spec)
    rows = list(parsed.rows)
    assert [r.number for r in rows] == [2, 3, 4]
    assert rows[0].values["street_address"] == "Storgatan 1\r\nBox 42"
    assert rows[1].values["name"] == 'Fabrikam, Inc. "North"'
    assert rows[2].values["street_address"] == "Line one\nLine two\nLine three"
    assert rows[2].values["city"] == "Oslo"


def test_trailing_empty_columns_and_rows_are_ignored(spec, read_data):
    parsed = read_rows(read_data("orgs_trailing_columns.csv"), "t.csv", spec)
    assert parsed.columns == ("name", "primary_domain", "city")
    rows = list(parsed.rows)
    assert [(r.number, r.values) for r in rows] == [
        (2, {"name": "Contoso Ltd", "primary_domain": "contoso.com", "city": "Stockholm"}),
        (3, {"name": "Fabrikam", "primary_domain": "fabrikam.com", "city": ""}),
    ]
    assert parsed.warnings == []


def test_messy_headers_blank_rows_and_padding(spec, read_data):
    parsed = read_rows(read_data("orgs_messy_headers.csv"), "messy.csv", spec)
    assert parsed.columns == (
        "name",
        "primary_domain",
        "notification_email",
        "billing_start_date",
        "contact_name",
    )
    assert parsed.headers["name"] == "NAME"
    assert parsed.warnings == ["These columns are not recognised and were ignored: Notes."]
    rows = list(parsed.rows)
    assert [r.number for r in rows] == [2, 4]  # row 3 is blank: skipped, still counted
    assert rows[0].values == {
        "name": "Contoso Ltd",
        "primary_domain": "contoso.com",
        "notification_email": "billing@contoso.com",
        "billing_start_date": "15/01/2024",
        "contact_name": "Anna Svensson",
    }


def test_formula_like_text_stays_literal(spec, read_data):
    rows = list(read_rows(read_data("orgs_formula_text.csv"), "f.csv", spec).rows)
    assert rows[0].values["name"] == '=HYPERLINK("http://example.com","click")'
    assert rows[0].values["contact_phone"] == "+46 8 123 456"
    assert rows[1].values["name"] == "@SUM(1+1)"
    assert rows[1].values["contact_phone"] == "-5"


def test_missing_mandatory_columns_are_named(spec, read_data):
    with pytest.raises(ImportFileRefused) as caught:
        read_rows(read_data("missing_columns.csv"), "missing.csv", spec)
    error = caught.value
    assert error.message == "The file is missing the mandatory columns: Primary domain."
    assert error.code == "import_file_refused"
    assert error.status == 422
    assert error.details["missing"] == ["Primary domain"]


def test_missing_both_mandatory_columns(spec):
    with pytest.raises(ImportFileRefused, match=r"mandatory columns: Name, Primary domain\.$"):
        read_rows(b"City,Country\nOslo,Norway\n", "x.csv", spec)


def test_duplicate_column_is_refused(spec):
    with pytest.raises(ImportFileRefused, match="more than once in the header: Name"):
        read_rows(b"Name,Primary domain,name\na,b,c\n", "x.csv", spec)


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", b",,,\n;;\n", b"\xef\xbb\xbf"])
def test_empty_file_is_refused(spec, content):
    with pytest.raises(ImportFileRefused, match="empty"):
        read_rows(content, "empty.csv", spec)


def test_committed_empty_file_is_refused(spec, read_data):
    with pytest.raises(ImportFileRefused, match=r"^The file is empty\.$"):
        read_rows(read_data("empty.csv"), "empty.csv", spec)


def test_header_only_gives_no_rows(spec):
    parsed = read_rows(b"Name,Primary domain\r\n", "x.csv", spec)
    assert parsed.columns == ("name", "primary_domain")
    assert list(parsed.rows) == []


def test_row_limit_names_the_row_and_the_limit(spec):
    content = b"Name,Primary domain\n" + b"".join(b"Org %d,org%d.test\n" % (i, i) for i in range(6))
    parsed = read_rows(content, "x.csv", spec, ImportLimits(max_rows=5))
    seen = [next(parsed.rows).number for _ in range(5)]
    assert seen == [2, 3, 4, 5, 6]
    with pytest.raises(ImportFileRefused, match=r"^Row 7 exceeds the limit of 5 rows\.") as caught:
        next(parsed.rows)
    assert caught.value.details["limit"] == "max_rows"


def test_row_limit_counts_data_rows_not_blank_lines(spec):
    content = b"Name,Primary domain\n\n\n,\na,a.test\n\nb,b.test\n"
    rows = list(read_rows(content, "x.csv", spec, ImportLimits(max_rows=2)).rows)
    assert [r.number for r in rows] == [5, 7]


def test_row_limit_message_uses_thousands_separators(spec):
    content = b"Name,Primary domain\n" + b"a,a.test\n" * 1001
    with pytest.raises(ImportFileRefused, match=r"^Row 1,002 exceeds the limit of 1,000 rows"):
        list(read_rows(content, "x.csv", spec, ImportLimits(max_rows=1000)).rows)


def test_size_limit_is_checked_before_parsing(spec):
    content = b"Name,Primary domain\n" + b"a,a.test\n" * 200
    with pytest.raises(ImportFileRefused, match=r"^The file is 1.8 KB, over the limit of 1,000 bytes\.$") as caught:
        read_rows(content, "x.csv", spec, ImportLimits(max_bytes=1000))
    assert caught.value.details["limit"] == "max_bytes"


def test_column_limit(spec):
    header = ",".join(["Name", "Primary domain"] + [f"x{i}" for i in range(20)])
    with pytest.raises(ImportFileRefused, match="22 columns, over the limit of 10 columns"):
        read_rows(header.encode(), "x.csv", spec, ImportLimits(max_columns=10))


def test_unknown_binary_is_refused(spec, read_data):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(ImportFileRefused, match="unknown format"):
        read_rows(png, "orgs.csv", spec)
    with pytest.raises(ImportFileRefused, match="unknown format"):
        read_rows(b"Name,Primary domain\na\x00b,c\n", "orgs.csv", spec)


def test_legacy_xls_is_refused_with_advice(spec):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    with pytest.raises(ImportFileRefused, match=r"\(\.xls\).*Save it as .*\(\.xlsx\)"):
        read_rows(ole, "orgs.xls", spec)


def test_text_in_neither_utf8_nor_cp1252_is_refused(spec):
    # 0x81 and 0x8d are undefined in Windows-1252 and invalid as UTF-8 here
    with pytest.raises(ImportFileRefused, match="neither UTF-8 nor Windows-1252"):
        read_rows(b"Name,Primary domain\n\x81\x8d,a.test\n", "x.csv", spec)


def test_windows_1252_is_only_a_fallback(spec):
    # valid UTF-8 that would also decode (to mojibake) as Windows-1252
    parsed = read_rows("Name,Primary domain\nÖresund AB,oresund.se\n".encode(), "x.csv", spec)
    assert parsed.encoding == "utf-8"
    assert next(parsed.rows).values["name"] == "Öresund AB"


def test_delimiter_is_sniffed_from_the_header_matches(spec):
    # commas inside a semicolon file's values must not fool the sniffer
    content = b"Name;Primary domain;City\nContoso, Inc.;contoso.com;Oslo, Norway\n"
    parsed = read_rows(content, "x.csv", spec)
    assert parsed.delimiter == ";"
    expected = {"name": "Contoso, Inc.", "primary_domain": "contoso.com", "city": "Oslo, Norway"}
    assert next(parsed.rows).values == expected


def test_short_rows_fill_missing_cells_with_empty_strings(spec):
    rows = list(read_rows(b"Name,Primary domain,City\nContoso\n", "x.csv", spec).rows)
    assert rows[0].values == {"name": "Contoso", "primary_domain": "", "city": ""}


def test_unterminated_quote_is_refused_instead_of_swallowing_the_rest(spec):
    content = b'Name,Primary domain\na,a.test\n"Contoso,contoso.com\nb,c\n'
    parsed = read_rows(content, "x.csv", spec)
    assert next(parsed.rows).number == 2
    with pytest.raises(ImportFileRefused, match=r"^Row 3 cannot be read as CSV: a quoted value is never closed"):
        next(parsed.rows)


def test_text_after_a_closing_quote_is_refused_with_advice(spec):
    with pytest.raises(ImportFileRefused, match=r"^Row 2 cannot be read as CSV: text follows a closing quote"):
        list(read_rows(b'Name,Primary domain\n"Contoso" Ltd,contoso.com\n', "x.csv", spec).rows)


def test_quotes_inside_an_unquoted_value_are_literal(spec):
    rows = list(read_rows(b'Name,Primary domain\nContoso "North" Ltd,contoso.com\n', "x.csv", spec).rows)
    assert rows[0].values["name"] == 'Contoso "North" Ltd'


def test_oversized_field_is_refused_with_row_number(spec):
    content = b"Name,Primary domain\na,b\n" + b'"' + b"x" * 140_000 + b'",c\n'
    with pytest.raises(ImportFileRefused, match=r"^Row 3 cannot be read as CSV: a value is longer than 131,072"):
        list(read_rows(content, "x.csv", spec).rows)


def test_reads_from_a_file_object_and_leaves_it_open(spec, data_dir):
    with open(data_dir / "orgs_utf8_bom.csv", "rb") as handle:
        handle.read(10)  # read from the start whatever the position
        parsed = read_rows(handle, "orgs.csv", spec)
        assert _names(parsed) == NAMES
        assert not handle.closed
        handle.seek(0)
        assert handle.read(3) == b"\xef\xbb\xbf"


def test_abandoned_iterator_leaves_the_file_open(spec, data_dir):
    with open(data_dir / "orgs_utf8.csv", "rb") as handle:
        parsed = read_rows(handle, "orgs.csv", spec)
        next(parsed.rows)
        parsed.close()
        del parsed
        assert not handle.closed


class _Pipe(io.RawIOBase):
    """A non-seekable stream, like a socket or a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_non_seekable_stream_is_spooled(spec, read_data):
    parsed = read_rows(_Pipe(read_data("orgs_cp1252.csv")), "orgs.csv", spec)
    assert _names(parsed) == NAMES


def test_non_seekable_stream_over_the_size_limit(spec):
    with pytest.raises(ImportFileRefused, match="more than"):
        read_rows(_Pipe(b"Name,Primary domain\n" + b"a,b\n" * 1000), "x.csv", spec, ImportLimits(max_bytes=100))


def test_text_stream_is_a_programming_error(spec):
    with pytest.raises(TypeError):
        read_rows("Name,Primary domain\n", "x.csv", spec)  # type: ignore[arg-type]


def test_extension_is_only_a_hint(spec, read_data):
    parsed = read_rows(read_data("orgs_utf8.csv"), "orgs.xlsx", spec)
    assert parsed.format is FileFormat.CSV
    assert parsed.warnings == ["The file name ends in .xlsx but its content is CSV; it was read as CSV."]


def test_forced_format_must_match_the_content(spec, read_data):
    with pytest.raises(ImportFileRefused, match=r"not a valid XLSX file \(its content looks like CSV\)"):
        read_rows(read_data("orgs_utf8.csv"), "orgs.csv", spec, format="xlsx")
    assert read_rows(read_data("orgs_utf8.csv"), "orgs", spec, format="CSV").format is FileFormat.CSV
