"""Exporting a price list to CSV and XLSX: every offered item code with its price today and what
sets it; cost, ERP and margin only for roles that see cost; scope and permission (portal and API)."""

from __future__ import annotations

import io

import pytest

from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.imports import PRICE_LIST_SPEC
from cloudbroker.core.imports import read_rows
from cloudbroker.core.permissions import StaffRole
from tests.catalog.price_list_files import body, build_catalog, csv_rows
from tests.factories import OfferFactory, PriceEntryFactory, ProductFactory, VendorPriceFactory

pytestmark = pytest.mark.django_db

PUBLIC = [
    "Item code",
    "Product",
    "Product group",
    "Category",
    "Term",
    "Billing plan",
    "Currency",
    "Sales price",
    "Price source",
]
COST = ["Cost", "Retail price (ERP)", "Margin %"]


@pytest.fixture
def offers(broker):
    return build_catalog(broker)


def test_a_global_admin_exports_prices_with_cost_erp_and_margin(portal, make_staff, offers):
    response = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get("/price-list/export/?format=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="price-list-global-')
    content = body(response)
    assert content.decode("utf-8-sig").splitlines()[0].split(",") == PUBLIC + COST
    rows = {r["Item code"]: r for r in csv_rows(content)}
    assert set(rows) == {o.item_code for o in offers.values()}
    fixed, rule, retail = (
        rows[offers["fixed"].item_code],
        rows[offers["rule"].item_code],
        rows[offers["retail"].item_code],
    )
    assert (fixed["Sales price"], fixed["Cost"], fixed["Retail price (ERP)"], fixed["Margin %"]) == (
        "11.00",
        "8.00",
        "10.00",
        "27.27",
    )
    assert fixed["Price source"].startswith("Global price list: fixed price (this item code")
    assert (rule["Sales price"], rule["Margin %"]) == ("10.67", "25.02")
    assert rule["Price source"].startswith("Global price list: Margin 25 % on cost (product group")
    assert (retail["Sales price"], retail["Price source"]) == (
        "10.00",
        "Microsoft's retail price (no price list entry)",
    )
    assert (fixed["Term"], fixed["Billing plan"], fixed["Currency"]) == ("1 year", "Monthly", "EUR")
    assert fixed["Product"] == "Product fixed"


def test_a_sales_agent_export_has_no_cost_erp_or_margin(portal, make_staff, group_factory, offers):
    agent = make_staff(StaffRole.SALES_AGENT, groups=[group_factory()])
    for fmt in ("csv", "xlsx"):
        response = portal(agent).get(f"/price-list/export/?format={fmt}")
        assert response.status_code == 200
        content = body(response)
        with read_rows(io.BytesIO(content), f"prices.{fmt}", PRICE_LIST_SPEC) as parsed:
            rows = [r.values for r in parsed.rows]
            assert [parsed.headers[key] for key in parsed.columns] == PUBLIC
        assert len(rows) == 3
        assert {r["sales_price"] for r in rows} <= {"11.00", "10.67", "10.00", "11", "10"}
        assert all(r.keys().isdisjoint({"cost", "erp", "margin_percent"}) for r in rows)
    content = body(portal(agent).get("/price-list/export/?format=csv"))
    cells = [cell for row in csv_rows(content) for cell in row.values()]
    assert "8.00" not in cells  # the cost of every item code
    text = content.decode("utf-8-sig")
    assert "Margin" not in text
    assert "25 %" not in text
    assert "ERP" not in text
    rule = next(r for r in csv_rows(content) if r["Item code"] == offers["rule"].item_code)
    assert rule["Price source"].startswith("Global price list: a rule on cost (product group")


def test_xlsx_export_keeps_numbers_as_numbers(portal, make_staff, offers):
    from python_calamine import CalamineWorkbook

    response = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get("/price-list/export/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("Price list").to_python()
    assert sheet[0] == PUBLIC + COST
    by_code = {row[0]: row for row in sheet[1:]}
    fixed = by_code[offers["fixed"].item_code]
    assert fixed[7] == 11.0
    assert fixed[9] == 8.0
    assert fixed[10] == 10.0


def test_an_organization_export_shows_its_customer_prices(portal, make_staff, org_factory, offers, broker):
    org = org_factory()
    PriceEntryFactory(broker=broker, organization=org, offer=offers["retail"], kind=PriceKind.AMOUNT, value="9.50")
    response = portal(make_staff(StaffRole.GLOBAL_ADMIN)).get(f"/price-list/export/?organization={org.pk}")
    rows = {r["Item code"]: r for r in csv_rows(body(response))}
    retail = rows[offers["retail"].item_code]
    assert retail["Sales price"] == "9.50"
    assert retail["Price source"].startswith("Customer price: fixed price")
    assert rows[offers["fixed"].item_code]["Sales price"] == "11.00"  # the global list still applies


def test_an_organization_outside_the_groups_is_404_and_no_price_view_is_403(
    portal, make_staff, group_factory, org_factory, offers
):
    mine, other = group_factory(), group_factory()
    kam = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine])
    inside, outside = org_factory(groups=[mine]), org_factory(groups=[other])
    client = portal(kam)
    assert client.get(f"/price-list/export/?organization={inside.pk}").status_code == 200
    assert client.get(f"/price-list/export/?organization={outside.pk}").status_code == 404
    assert client.get("/price-list/export/?organization=not-an-id").status_code == 404
    assert client.get("/price-list/export/?format=pdf").status_code == 404
    support = portal(make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN))
    assert support.get("/price-list/export/").status_code == 403


def test_formula_like_product_names_are_neutralised(portal, make_staff, broker):
    offer = OfferFactory(product=ProductFactory(broker=broker, title='=HYPERLINK("http://evil.test","x")'))
    VendorPriceFactory(offer=offer)
    content = body(portal(make_staff(StaffRole.GLOBAL_ADMIN)).get("/price-list/export/?format=csv"))
    assert csv_rows(content)[0]["Product"] == '\'=HYPERLINK("http://evil.test","x")'


def test_hidden_and_withdrawn_item_codes_are_not_exported(portal, make_staff, broker, offers):
    import datetime as dt

    offers["rule"].product.hidden = True
    offers["rule"].product.save()
    offers["retail"].withdrawn_on = dt.date(2026, 1, 2)
    offers["retail"].save()
    rows = csv_rows(body(portal(make_staff(StaffRole.GLOBAL_ADMIN)).get("/price-list/export/")))
    assert [r["Item code"] for r in rows] == [offers["fixed"].item_code]


def test_the_api_exports_the_global_and_an_organization_list(api_client_for, make_staff, org_factory, offers):
    admin = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
    response = admin.get("/api/v1/price-list/export.csv")
    assert response.status_code == 200
    assert csv_rows(body(response))[0].keys() >= {"Cost", "Margin %"}
    org = org_factory()
    response = admin.get(f"/api/v1/price-list/organizations/{org.pk}/export.xlsx")
    assert response.status_code == 200
    with read_rows(io.BytesIO(response.content), "p.xlsx", PRICE_LIST_SPEC) as parsed:
        assert len(list(parsed.rows)) == 3
    agent = api_client_for(make_staff(StaffRole.SALES_AGENT))
    rows = csv_rows(body(agent.get("/api/v1/price-list/export.csv")))
    assert "Cost" not in rows[0]
    assert "Margin %" not in rows[0]
    assert agent.get(f"/api/v1/price-list/organizations/{org.pk}/export.csv").status_code == 404
