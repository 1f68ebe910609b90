"""Importing organizations in a real browser: template, upload, preview, confirm, live progress, result."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.organizations.models import Organization

pytestmark = [pytest.mark.browser, pytest.mark.jobs, pytest.mark.django_db(transaction=True)]


def test_import_from_a_file(login, make_staff, tmp_path: Path, group_factory):
    flush_jobs()
    group_factory(name="North")
    page = login(make_staff(StaffRole.SUPER_ADMIN))
    page.goto("/organizations/")
    page.click("text=Import from a file")
    with page.expect_download() as download:
        page.click("a.button:has-text('XLSX')")
    assert download.value.suggested_filename == "organizations-import-template.xlsx"
    file = tmp_path / "customers.csv"
    file.write_text(
        "Name;Primary domain;Notification email;Customer number;Organization groups\r\n"
        "Nordic Oy;nordic.fi;it@nordic.fi;N-1;North\r\n"
        "Broken AB;http://broken.se;it@broken.se;N-2;\r\n",
        encoding="utf-8-sig",
    )
    page.set_input_files("#import-file", str(file))
    page.click("text=Read file")
    page.wait_for_selector("#preview")
    summary = page.inner_text("#preview-summary")
    assert "1 new" in " ".join(summary.split())
    assert "1 with errors" in " ".join(summary.split())
    assert "Row 3, Primary domain" in page.inner_text("#issues")
    page.click("text=Create/Import organizations")
    page.wait_for_selector("text=The import is running in the background.")
    drain_jobs()  # the worker's turn
    page.wait_for_selector("[data-status=completed]")
    result = " ".join(page.inner_text("#result-summary").split())
    assert "1 created" in result
    assert "1 failed" in result
    assert list(Organization.objects.values_list("name", flat=True)) == ["Nordic Oy"]
    assert page.locator("text=Download the error report").count() == 1
