"""Large files are read row by row: memory stays flat however many rows there are."""

from __future__ import annotations

import csv
import tracemalloc

import pytest

from cloudbroker.core.imports import ImportLimits, read_rows

ROWS = 100_000
PEAK_BOUND = 8 * 1024 * 1024  # generous; holding the rows would take well over 100 MB


def _row(spec, i: int) -> list[str]:
    values = {
        "name": f"Organization {i} Ltd",
        "primary_domain": f"org{i}.example.com",
        "notification_email": f"billing@org{i}.example.com",
        "approval_process": "TRUE" if i % 2 else "FALSE",
        "approval_process_limit": f"{i % 997}.50",
        "billing_start_date": f"{i % 28 + 1:02d}/{i % 12 + 1:02d}/2024",
        "street_address": f"Street {i}",
        "city": "Stockholm",
        "country": "Sweden",
    }
    return [values.get(c.key, "") for c in spec.columns]


def _measure(consume):
    tracemalloc.start()
    try:
        result = consume()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.slow
def test_100k_row_csv_streams_in_bounded_memory(spec, tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([c.label for c in spec.columns])
        for i in range(ROWS):
            writer.writerow(_row(spec, i))
    assert path.stat().st_size > PEAK_BOUND

    def consume():
        count = last = 0
        with path.open("rb") as handle:
            for row in read_rows(handle, "big.csv", spec).rows:
                count += 1
                last = row.number
                assert row.values["name"]
        return count, last

    (count, last), peak = _measure(consume)
    assert (count, last) == (ROWS, ROWS + 1)
    assert peak < PEAK_BOUND, f"peak {peak:,} bytes"


@pytest.mark.slow
def test_large_xml_streams_in_bounded_memory(spec, tmp_path):
    """30,000 rows (12 MB) keep the test quick under tracemalloc; the reader drops each row."""
    rows = 30_000
    path = tmp_path / "big.xml"
    keys = [c.key for c in spec.columns]
    with path.open("w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n<organizations>\n')
        for i in range(rows):
            cells = "".join(f"<{k}>{v}</{k}>" for k, v in zip(keys, _row(spec, i), strict=True) if v)
            handle.write(f"<organization>{cells}</organization>\n")
        handle.write("</organizations>\n")
    assert path.stat().st_size > PEAK_BOUND

    def consume():
        count = last = 0
        with path.open("rb") as handle:
            for row in read_rows(handle, "big.xml", spec).rows:
                count += 1
                last = row.number
        return count, last

    (count, last), peak = _measure(consume)
    assert (count, last) == (rows, rows + 1)
    assert peak < PEAK_BOUND, f"peak {peak:,} bytes"


def test_row_limit_stops_a_large_file_early(spec, tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.label for c in spec.columns])
        for i in range(20_000):
            writer.writerow(_row(spec, i))
    seen = 0
    with path.open("rb") as handle:
        rows = read_rows(handle, "big.csv", spec, ImportLimits(max_rows=10_000)).rows
        try:
            for _ in rows:
                seen += 1
        except Exception as exc:
            assert "Row 10,002 exceeds the limit of 10,000 rows" in str(exc)  # noqa: PT017
        else:  # pragma: no cover - the limit must trigger
            raise AssertionError("the row limit did not trigger")
    assert seen == 10_000
