"""XML per the template's schema, and hostile XML."""

from __future__ import annotations

import pytest

from cloudbroker.core.imports import FileFormat, ImportFileRefused, ImportLimits, detect_format, read_rows

NAMES = ["Contoso Ltd", "Café Société SARL", "Großhandel Müller GmbH"]


def test_xml_rows_by_element_name(spec, read_data):
    parsed = read_rows(read_data("orgs.xml"), "orgs.xml", spec)
    assert parsed.format is FileFormat.XML
    assert parsed.columns == (
        "name",
        "primary_domain",
        "registration_number",
        "notification_email",
        "approval_process",
        "approval_process_limit",
        "billing_start_date",
    )
    rows = list(parsed.rows)
    assert [r.number for r in rows] == [2, 3, 4, 6]  # the 4th <organization> is blank
    assert [r.values["name"] for r in rows[:3]] == NAMES
    # an element left out of a later row reads as an empty value
    assert rows[1].values["approval_process_limit"] == ""
    assert rows[2].values["billing_start_date"] == "31/12/2023"
    assert rows[3].values["name"] == "=1+1"
    assert rows[3].values["registration_number"] == ""
    assert parsed.warnings == ["Elements <shoe_size> are not recognised and were ignored."]


def test_billion_laughs_is_refused(spec, read_data):
    with pytest.raises(ImportFileRefused) as caught:
        read_rows(read_data("billion_laughs.xml"), "lol.xml", spec)
    assert caught.value.message.startswith("XML with a DTD or entity declarations is not accepted.")


def test_external_entity_is_refused(spec, read_data):
    with pytest.raises(ImportFileRefused, match=r"^XML with a DTD or entity declarations is not accepted"):
        read_rows(read_data("external_entity.xml"), "xxe.xml", spec)


def test_doctype_without_entities_is_refused_too(spec):
    content = b'<?xml version="1.0"?><!DOCTYPE organizations SYSTEM "http://example.com/x.dtd"><organizations/>'
    with pytest.raises(ImportFileRefused, match="DTD"):
        read_rows(content, "x.xml", spec)


def test_undeclared_entity_is_refused(spec):
    content = b"<organizations><organization><name>&oops;</name></organization></organizations>"
    with pytest.raises(ImportFileRefused, match="DTD or entity"):
        read_rows(content, "x.xml", spec)


def test_wrong_root_element_is_refused(spec):
    with pytest.raises(ImportFileRefused, match=r"root element must be <organizations>, not <customers>"):
        read_rows(b"<customers><customer/></customers>", "x.xml", spec)


def test_malformed_xml_is_refused_with_its_position(spec):
    content = (
        b"<organizations>\n<organization><name>a</name><primary_domain>a.test</primary_domain></organization>\n"
        b"<organization><name>b</nam>"
    )
    with pytest.raises(ImportFileRefused, match=r"not well-formed \(line 3, column 24\)"):
        list(read_rows(content, "x.xml", spec).rows)


def test_malformed_first_row_is_refused_immediately(spec):
    with pytest.raises(ImportFileRefused, match=r"not well-formed \(line 1"):
        read_rows(b"<organizations><organization><name>a</organization>", "x.xml", spec)


def test_malformed_tail_is_refused_while_reading(spec):
    good = b"<organization><name>a</name><primary_domain>a.test</primary_domain></organization>\n"
    content = b"<organizations>\n" + good * 50 + b"<organization><name>b</oops>\n</organizations>"
    parsed = read_rows(content, "x.xml", spec)
    numbers = [next(parsed.rows).number for _ in range(50)]
    assert numbers[-1] == 51
    with pytest.raises(ImportFileRefused, match=r"not well-formed \(line 52"):
        next(parsed.rows)


def test_missing_mandatory_elements_are_named(spec):
    content = b"<organizations><organization><name>a</name></organization></organizations>"
    with pytest.raises(ImportFileRefused) as caught:
        read_rows(content, "x.xml", spec)
    assert caught.value.message == (
        "The file is missing the mandatory columns: Primary domain "
        "(XML elements <primary_domain> in the first <organization>)."
    )


def test_namespaces_case_and_labels_as_element_names(spec):
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<Organizations xmlns="urn:example:orgs">'
        b"<Organization><Name> Contoso </Name><Primary_Domain>contoso.com</Primary_Domain>"
        b"<City>Oslo<b>!</b></City></Organization>"
        b"</Organizations>"
    )
    rows = list(read_rows(content, "x.xml", spec).rows)
    assert rows[0].values == {"name": "Contoso", "primary_domain": "contoso.com", "city": "Oslo!"}


def test_other_elements_under_the_root_are_ignored_with_a_warning(spec):
    content = (
        b"<organizations><exported>2024-01-01</exported>"
        b"<organization><name>a</name><primary_domain>a.test</primary_domain></organization>"
        b"</organizations>"
    )
    parsed = read_rows(content, "x.xml", spec)
    assert [r.number for r in parsed.rows] == [2]
    assert parsed.warnings == ["Elements <exported> inside <organizations> are not rows and were ignored."]


def test_repeated_element_keeps_the_first(spec):
    content = (
        b"<organizations><organization><name>a</name><name>b</name>"
        b"<primary_domain>a.test</primary_domain></organization></organizations>"
    )
    parsed = read_rows(content, "x.xml", spec)
    assert next(parsed.rows).values["name"] == "a"
    assert parsed.warnings == ["Row 2 repeats <name>; only the first was read."]


def test_row_limit_in_xml(spec):
    row = b"<organization><name>a</name><primary_domain>a.test</primary_domain></organization>"
    parsed = read_rows(b"<organizations>" + row * 4 + b"</organizations>", "x.xml", spec, ImportLimits(max_rows=3))
    with pytest.raises(ImportFileRefused, match=r"^Row 5 exceeds the limit of 3 rows"):
        list(parsed.rows)


def test_root_without_rows_gives_no_rows(spec):
    parsed = read_rows(b"<?xml version='1.0'?><organizations/>", "x.xml", spec)
    assert parsed.columns == ()
    assert list(parsed.rows) == []


def test_windows_1252_declared_encoding(spec):
    content = (
        b'<?xml version="1.0" encoding="windows-1252"?><organizations><organization>'
        b"<name>Caf\xe9</name><primary_domain>cafe.test</primary_domain></organization></organizations>"
    )
    assert next(read_rows(content, "x.xml", spec).rows).values["name"] == "Café"


def test_text_starting_with_a_bracket_is_xml_unless_named_csv():
    assert detect_format(b"<Name>,Primary domain\na,b\n", "odd.csv") is FileFormat.CSV
    assert detect_format(b"<Name>,Primary domain\na,b\n", "odd.txt") is FileFormat.CSV
    assert detect_format(b"<organizations/>", "upload") is FileFormat.XML
    assert detect_format(b"\xef\xbb\xbf  <?xml version='1.0'?><a/>", "orgs.csv") is FileFormat.XML
