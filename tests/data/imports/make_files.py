"""Regenerate the import test files in this folder.

    cd /work/main && .venv/bin/python tests/data/imports/make_files.py

Writes the CSV variants (encodings, separators, line endings, quoting, messy headers), the XML
files (a valid one and two hostile ones), Excel-like workbooks written with xlsxwriter, and
workbooks converted from CSV by LibreOffice, as spreadsheet users make them:

    libreoffice --headless -env:UserInstallation=file:///tmp/lo_profile \\
        --infilter="CSV:44,34,76,1,,2057" --convert-to xlsx --outdir DIR orgs_utf8.csv

(filter options: comma-separated, double quotes, UTF-8, start at line 1, en-GB locale so that
DD/MM/YYYY becomes real date cells). The LibreOffice step is skipped with a message when
``libreoffice`` is not installed; the committed .xlsx files stay as they are.

Large and dangerous files (100,000 rows, the ZIP bomb) are built by the tests themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

LABELS = [
    "Name",
    "Primary domain",
    "Registration number",
    "Notification email",
    "Approval process",
    "Approval process Limit",
    "Billing start date",
    "Customer number",
    "Street Address",
    "Postal Code",
    "City",
    "State",
    "Country",
    "Contact name",
    "Contact phone",
    "Contact email",
    "Contact cell phone",
]

ROWS = [
    [
        "Contoso Ltd",
        "contoso.com",
        "556677-8899",
        "billing@contoso.com",
        "TRUE",
        "5000",
        "15/01/2024",
        "C-1001",
        "Storgatan 1",
        "111 22",
        "Stockholm",
        "",
        "Sweden",
        "Anna Svensson",
        "08 123 456 78",
        "anna@contoso.com",
        "070 123 45 67",
    ],
    [
        "Café Société SARL",
        "cafesociete.fr",
        "FR40123456824",
        "compta@cafesociete.fr",
        "FALSE",
        "",
        "01/02/2024",
        "C-1002",
        "12 rue de l'Église",
        "75004",
        "Paris",
        "Île-de-France",
        "France",
        "Zoé Lefèvre",
        "01 42 00 00 00",
        "zoe@cafesociete.fr",
        "06 12 34 56 78",
    ],
    [
        "Großhandel Müller GmbH",
        "mueller-grosshandel.de",
        "HRB 12345",
        "rechnung@mueller-grosshandel.de",
        "TRUE",
        "12500.50",
        "31/12/2023",
        "C-1003",
        "Schöne Straße 5",
        "50667",
        "Köln",
        "Nordrhein-Westfalen",
        "Germany",
        "Jürgen Größ",
        "0221 123456",
        "j.gross@mueller-grosshandel.de",
        "0171 1234567",
    ],
]


def _csv_text(rows: list[list[str]], *, delimiter: str = ",", newline: str = "\r\n") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buffer.getvalue()


def write_csv_files() -> None:
    table = [LABELS, *ROWS]
    (HERE / "orgs_utf8.csv").write_bytes(_csv_text(table, newline="\n").encode("utf-8"))
    # Excel's "CSV UTF-8": BOM and CRLF.
    (HERE / "orgs_utf8_bom.csv").write_bytes(_csv_text(table).encode("utf-8-sig"))
    # Excel's plain "CSV" on a Western Windows: Windows-1252.
    (HERE / "orgs_cp1252.csv").write_bytes(_csv_text(table).encode("cp1252"))
    # A European-locale Excel separates with semicolons.
    (HERE / "orgs_semicolon.csv").write_bytes(_csv_text(table, delimiter=";").encode("cp1252"))
    # ... and sometimes starts with Excel's "sep=;" hint line.
    (HERE / "orgs_sep_line.csv").write_bytes(("sep=;\r\n" + _csv_text(table, delimiter=";")).encode("utf-8"))
    # Excel's "Unicode Text": UTF-16 with BOM, tab-separated.
    (HERE / "orgs_unicode_text.txt").write_bytes(_csv_text(table, delimiter="\t").encode("utf-16"))

    # Quoted fields: an address over two lines, a comma and doubled quotes inside a name.
    multiline = [
        ["Name", "Primary domain", "Street Address", "City"],
        ["Contoso Ltd", "contoso.com", "Storgatan 1\r\nBox 42", "Stockholm"],
        ['Fabrikam, Inc. "North"', "fabrikam.com", "1 Main St", "Seattle"],
        ["Tailspin Toys", "tailspintoys.com", "Line one\nLine two\nLine three", "Oslo"],
    ]
    (HERE / "orgs_multiline.csv").write_bytes(_csv_text(multiline).encode("utf-8"))

    # Trailing empty columns on every line, and empty rows after the data, as a spreadsheet
    # writes when cells to the right or below were once used.
    trailing = [
        ["Name", "Primary domain", "City", "", "", ""],
        ["Contoso Ltd", "contoso.com", "Stockholm", "", "", ""],
        ["Fabrikam", "fabrikam.com", "", "", "", ""],
        ["", "", "", "", "", ""],
        ["", "", "", "", "", ""],
    ]
    (HERE / "orgs_trailing_columns.csv").write_bytes(_csv_text(trailing).encode("utf-8"))

    # Headers in other cases, with extra spaces, a snake_case key, an alias and an unknown column;
    # a blank row in the middle (row 3) and values padded with spaces.
    messy = [
        ["  NAME ", "primary_domain", "notification  E-MAIL", "Billing Start   Date", "Notes", "contact   Name"],
        ["  Contoso Ltd  ", " contoso.com", "billing@contoso.com ", "15/01/2024", "VIP", " Anna Svensson"],
        ["", "", "", "", "", ""],
        ["Fabrikam", "fabrikam.com", "", "", "", ""],
    ]
    (HERE / "orgs_messy_headers.csv").write_bytes(_csv_text(messy).encode("utf-8"))

    # Values that would be formulas in a spreadsheet stay text.
    formula_text = [
        ["Name", "Primary domain", "Contact phone"],
        ['=HYPERLINK("http://example.com","click")', "contoso.com", "+46 8 123 456"],
        ["@SUM(1+1)", "fabrikam.com", "-5"],
    ]
    (HERE / "orgs_formula_text.csv").write_bytes(_csv_text(formula_text).encode("utf-8"))

    missing = [["Name", "City"], ["Contoso Ltd", "Stockholm"]]
    (HERE / "missing_columns.csv").write_bytes(_csv_text(missing).encode("utf-8"))
    (HERE / "empty.csv").write_bytes(b"")


def write_xml_files() -> None:
    from xml.sax.saxutils import escape

    keys = [
        "name",
        "primary_domain",
        "registration_number",
        "notification_email",
        "approval_process",
        "approval_process_limit",
        "billing_start_date",
    ]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<organizations>"]
    for row in ROWS:
        lines.append("  <organization>")
        lines += [f"    <{key}>{escape(value)}</{key}>" for key, value in zip(keys, row, strict=False) if value]
        lines.append("  </organization>")
    lines.append("  <organization>\n    <name>  </name>\n  </organization>")  # blank row, skipped
    lines.append("  <organization>\n    <name>=1+1</name>\n    <primary_domain>x.test</primary_domain>\n")
    lines.append("    <shoe_size>44</shoe_size>\n  </organization>")
    lines.append("</organizations>\n")
    (HERE / "orgs.xml").write_text("\n".join(lines), encoding="utf-8")

    laughs = ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", '  <!ENTITY lol "lol">']
    laughs.append('  <!ENTITY lol1 "' + "&lol;" * 10 + '">')
    for level in range(2, 10):
        laughs.append(f'  <!ENTITY lol{level} "' + f"&lol{level - 1};" * 10 + '">')
    laughs += ["]>", "<organizations><organization><name>&lol9;</name>"]
    laughs.append("<primary_domain>x.test</primary_domain></organization></organizations>\n")
    (HERE / "billion_laughs.xml").write_text("\n".join(laughs), encoding="utf-8")

    (HERE / "external_entity.xml").write_text(
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE organizations [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
        "<organizations><organization><name>&xxe;</name>"
        "<primary_domain>x.test</primary_domain></organization></organizations>\n",
        encoding="utf-8",
    )


def _typed(label: str, value: str) -> object:
    """The cell value a spreadsheet user would end up with for this column."""
    if not value:
        return None
    if label == "Billing start date":
        return dt.datetime.strptime(value, "%d/%m/%Y")  # noqa: DTZ007 - calendar dates
    if label == "Approval process":
        return value == "TRUE"
    if label == "Approval process Limit":
        return float(value)
    return value


def write_xlsx_files() -> None:
    import xlsxwriter

    options = {"strings_to_numbers": False, "strings_to_formulas": False}

    # Excel-like: typed cells (real dates, booleans, numbers) and text that starts with "=".
    with xlsxwriter.Workbook(HERE / "orgs_xlsxwriter.xlsx", options) as workbook:
        date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
        sheet = workbook.add_worksheet("Organizations")
        sheet.write_row(0, 0, LABELS)
        for r, row in enumerate(ROWS, start=1):
            for c, (label, value) in enumerate(zip(LABELS, row, strict=True)):
                typed = _typed(label, value)
                if isinstance(typed, dt.datetime):
                    sheet.write_datetime(r, c, typed, date_format)
                elif isinstance(typed, bool):
                    sheet.write_boolean(r, c, typed)
                elif isinstance(typed, float):
                    sheet.write_number(r, c, typed)
                elif typed is not None:
                    sheet.write_string(r, c, typed)
        sheet.write_string(5, 0, "=not a formula, a name")  # row 6; row 5 left blank
        sheet.write_string(5, 1, "equals.example")

    # Dates as real date cells, as datetimes, and as text; a customer number stored as a number.
    with xlsxwriter.Workbook(HERE / "orgs_dates.xlsx", options) as workbook:
        date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
        us_format = workbook.add_format({"num_format": "mm/dd/yyyy"})
        stamp_format = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, ["Name", "Primary domain", "Billing start date", "Customer number"])
        sheet.write_row(1, 0, ["Date cell", "a.test"])
        sheet.write_datetime(1, 2, dt.date(2024, 1, 15), date_format)
        sheet.write_number(1, 3, 1001)
        sheet.write_row(2, 0, ["US-formatted date cell", "b.test"])
        sheet.write_datetime(2, 2, dt.date(2024, 2, 1), us_format)
        sheet.write_number(2, 3, 46701234567)
        sheet.write_row(3, 0, ["Date as text", "c.test", "31/12/2023", "00042"])
        sheet.write_row(4, 0, ["Date and time", "d.test"])
        sheet.write_datetime(4, 2, dt.datetime(2024, 3, 5, 14, 30), stamp_format)  # noqa: DTZ001 - a local wall-clock time
        sheet.write_number(4, 3, 0.1)

    # The data on a second, named sheet; the first sheet is a cover note.
    with xlsxwriter.Workbook(HERE / "orgs_second_sheet.xlsx", options) as workbook:
        cover = workbook.add_worksheet("Read me")
        cover.write_string(0, 0, "Customer list exported from our CRM")
        sheet = workbook.add_worksheet("Organizations")
        sheet.write_row(0, 0, ["Name", "Primary domain"])
        sheet.write_row(1, 0, ["Contoso Ltd", "contoso.com"])
        sheet.write_row(2, 0, ["Fabrikam", "fabrikam.com"])

    # A formula cell (C3); xlsxwriter stores 0 as its result, which is why formulas are refused.
    with xlsxwriter.Workbook(HERE / "orgs_formula.xlsx", options) as workbook:
        sheet = workbook.add_worksheet("Organizations")
        sheet.write_row(0, 0, ["Name", "Primary domain", "Approval process Limit"])
        sheet.write_row(1, 0, ["Contoso Ltd", "contoso.com", "5000"])
        sheet.write_row(2, 0, ["Fabrikam", "fabrikam.com"])
        sheet.write_formula(2, 2, "=C2*2")


def convert_with_libreoffice() -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        print("libreoffice not found: the LibreOffice workbooks were not regenerated")
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy(HERE / "orgs_utf8.csv", work / "orgs_libreoffice.csv")
        subprocess.run(
            [
                office,
                f"-env:UserInstallation=file://{work / 'profile'}",
                "--headless",
                "--infilter=CSV:44,34,76,1,,2057",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(work),
                str(work / "orgs_libreoffice.csv"),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        shutil.copy(work / "orgs_libreoffice.xlsx", HERE / "orgs_libreoffice.xlsx")


if __name__ == "__main__":
    write_csv_files()
    write_xml_files()
    write_xlsx_files()
    convert_with_libreoffice()
    for path in sorted(HERE.iterdir()):
        if path.suffix != ".py":
            print(f"{path.stat().st_size:>7,}  {path.name}")
