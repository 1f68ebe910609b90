"""The interactive API docs work without internet: Swagger UI comes from our own static files."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_from_local_assets(page, live_server):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/organizations/" in [p.replace("\u200b", "") for p in paths]
    outside = [url for url in requested if not url.startswith(live_server.url) and not url.startswith("data:")]
    assert not outside, f"the docs page loaded from elsewhere: {outside}"
