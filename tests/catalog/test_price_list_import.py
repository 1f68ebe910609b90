"""Importing a price list through the generic import flow: the round trip of an export, changes
with before → after and one audit event each, row errors, prices below cost as conflicts, scope
and permission, and re-importing the same file."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.models import PriceEntry
from cloudbroker.catalog.pricing import PriceBook
from cloudbroker.core.errors import NotFound, PermissionDenied, ValidationFailed
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.imports import services
from cloudbroker.imports.models import ImportKind, ImportRun, ImportStatus
from tests.catalog.price_list_files import body, build_catalog, csv_file

pytestmark = [pytest.mark.django_db, pytest.mark.jobs]

KIND = ImportKind.PRICE_LIST
HEADER = "Item code,Sales price,Effective from"


@pytest.fixture(autouse=True)
def _queue():
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def offers(broker):
    return build_catalog(broker)


@pytest.fixture
def admin(make_staff, as_actor):
    return as_actor(make_staff(StaffRole.GLOBAL_ADMIN))


def preview(actor, content: bytes, *, organization=None, filename="prices.csv") -> ImportRun:
    run = services.start_import(actor=actor, content=content, filename=filename, kind=KIND, organization=organization)
    assert run.status == ImportStatus.PREVIEWED, run.refused_message
    return run


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    def run(actor, run: ImportRun, accepted=()) -> ImportRun:
        with django_capture_on_commit_callbacks(execute=True):
            services.confirm_import(actor=actor, run=run, accepted_conflicts=accepted)
        drain_jobs()
        run.refresh_from_db()
        return run

    return run


def sales(broker, offer, organization=None, day=None) -> Decimal | None:
    price = PriceBook(broker, organization=organization, day=day).price(offer)
    return None if price.sales is None else price.sales.amount


def exported(portal, user, query="") -> bytes:
    response = portal(user).get(f"/price-list/export/?{query}")
    assert response.status_code == 200
    return body(response)


# --- the round trip and changes --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_all_unchanged(portal, make_staff, as_actor, org_factory, broker, offers, fmt):
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    org = org_factory()
    PriceEntry.objects.create(
        broker=broker,
        organization=org,
        offer=offers["rule"],
        kind=PriceKind.AMOUNT,
        value=Decimal("9.99"),
        currency="EUR",
        effective_from=dt.date(2026, 1, 1),
    )
    for organization, query in ((None, ""), (org, f"organization={org.pk}&")):
        content = exported(portal, user, f"{query}format={fmt}")
        run = preview(as_actor(user), content, organization=organization, filename=f"prices.{fmt}")
        assert (run.total_rows, run.unchanged_rows, run.error_rows) == (3, 3, 0), run.preview
        assert run.warnings == []
        assert not run.can_confirm
    assert PriceEntry.objects.count() == 3


def test_a_changed_price_is_an_update_with_before_and_after_and_an_audit_event(
    portal, make_staff, as_actor, broker, offers, confirm
):
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    text = exported(portal, user).decode("utf-8-sig")
    fixed, rule = offers["fixed"].item_code, offers["rule"].item_code
    lines = text.splitlines()
    changed = [
        line.replace(",11.00,", ",12.50,")
        if line.startswith(fixed)
        else line.replace(",10.67,", ",10.90,")
        if line.startswith(rule)
        else line
        for line in lines
    ]
    run = preview(as_actor(user), ("\n".join(changed) + "\n").encode())
    assert (run.update_rows, run.new_rows, run.unchanged_rows) == (1, 1, 1)
    by_code = {r["values"]["item_code"]: r for r in run.preview}
    assert by_code[fixed]["action"] == "update"
    [change] = by_code[fixed]["changes"]
    assert change["field"] == "Sales price"
    assert change["before"].startswith("11.00 EUR — Global price list: fixed price")
    assert change["after"] == "12.50 EUR"
    assert by_code[rule]["action"] == "new"
    assert by_code[rule]["changes"][0]["before"].startswith("10.67 EUR — Global price list: Margin 25 % on cost")
    assert PriceEntry.objects.count() == 2  # nothing written by the preview

    run = confirm(as_actor(user), run)
    assert run.status == ImportStatus.COMPLETED
    assert (run.created, run.updated, run.skipped, run.failed) == (1, 1, 1, 0)
    assert sales(broker, offers["fixed"]) == Decimal("12.50")
    assert sales(broker, offers["rule"]) == Decimal("10.90")
    events = AuditEvent.objects.filter(action="price.set").order_by("object_repr")
    assert [e.object_repr for e in events] == sorted(f"Global price list: {c}" for c in (fixed, rule))
    fixed_event = next(e for e in events if e.object_repr.endswith(fixed))
    assert (fixed_event.before["value"], fixed_event.after["value"]) == ("11", "12.5")
    assert fixed_event.actor_id == user.pk


def test_reimporting_the_same_file_changes_nothing_the_second_time(admin, broker, offers, confirm):
    content = csv_file(HEADER, f"{offers['retail'].item_code},9.00,", f"{offers['fixed'].item_code},11.50,")
    first = confirm(admin, preview(admin, content))
    assert (first.created, first.updated) == (1, 1)
    second = preview(admin, content)
    assert (second.total_rows, second.unchanged_rows) == (2, 2)
    assert not second.can_confirm
    assert AuditEvent.objects.filter(action="price.set").count() == 2


def test_clear_removes_the_own_price_and_empty_leaves_it(admin, broker, offers, confirm):
    content = csv_file(
        HEADER,
        f"{offers['fixed'].item_code},#clear,",
        f"{offers['retail'].item_code},,",
        f"{offers['rule'].item_code},#CLEAR,",
    )
    run = preview(admin, content)
    assert [r["action"] for r in run.preview] == ["update", "unchanged", "unchanged"]
    assert run.preview[0]["changes"][0]["after"] == "No own price (the next rule applies)"
    run = confirm(admin, run)
    assert run.updated == 1
    assert sales(broker, offers["fixed"]) == Decimal("10.00")  # back to the retail price
    assert PriceEntry.objects.filter(offer=offers["fixed"], kind=PriceKind.INHERIT).count() == 1


def test_a_future_date_schedules_the_price(admin, broker, offers, confirm):
    later = timezone.localdate() + dt.timedelta(days=30)
    run = confirm(admin, preview(admin, csv_file(HEADER, f"{offers['retail'].item_code},9.00,{later:%d/%m/%Y}")))
    assert run.created == 1
    assert sales(broker, offers["retail"]) == Decimal("10.00")
    assert sales(broker, offers["retail"], day=later) == Decimal("9.00")
    assert AuditEvent.objects.filter(action="price.scheduled").count() == 1


# --- errors --------------------------------------------------------------------------------


def test_row_errors_name_the_row_and_the_column(admin, broker, offers):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    content = csv_file(
        "Item code,Sales price,Effective from,Currency",
        "NOPE:0001:P1Y:monthly,9.00,,",
        f"{offers['fixed'].item_code},twelve,,",
        f"{offers['rule'].item_code},9.00,{yesterday:%d/%m/%Y},",
        f"{offers['retail'].item_code},9.001,,",
        f"{offers['retail'].item_code},-1,31/02/2027,",
        f"{offers['fixed'].item_code},9.00,,USD",
        ",9.00,,",
    )
    run = preview(admin, content)
    assert run.error_rows == 7
    issues = {(i.row, i.column): i.message for i in run.issues.all()}
    assert issues[(2, "Item code")] == "The item code NOPE:0001:P1Y:monthly is not in the catalog."
    assert "not a number" in issues[(3, "Sales price")]
    assert "the past is not changed" in issues[(4, "Effective from")]
    assert "at most 2 decimals" in issues[(5, "Sales price")]
    assert "31/02/2027 is not a date" in issues[(6, "Effective from")]
    assert "EUR, not USD" in issues[(7, "Currency")]
    assert issues[(8, "Item code")] == "Enter the item code."
    assert not run.can_confirm


def test_an_item_code_twice_on_one_day_is_an_error(admin, offers):
    code = offers["retail"].item_code
    later = timezone.localdate() + dt.timedelta(days=7)
    run = preview(admin, csv_file(HEADER, f"{code},9.00,", f"{code},9.50,", f"{code},9.70,{later:%d/%m/%Y}"))
    assert [r["action"] for r in run.preview] == ["new", "error", "new"]
    assert run.preview[1]["errors"] == [{"field": "Item code", "message": f"Item code {code} is also on row 2."}]


def test_the_example_row_of_the_template_is_never_imported(admin, client, offers):
    from cloudbroker.core.imports import build_template
    from cloudbroker.core.imports.registry import importer_for

    template = build_template(importer_for(KIND).spec, "csv")
    run = preview(admin, template.content)
    assert run.error_rows == 1
    assert "example row" in run.issues.get().message


# --- below cost ----------------------------------------------------------------------------


def test_a_price_below_cost_is_a_conflict_to_accept(admin, broker, offers, confirm):
    content = csv_file(HEADER, f"{offers['retail'].item_code},7.00,", f"{offers['fixed'].item_code},12.00,")
    run = preview(admin, content)
    assert [r["action"] for r in run.preview] == ["conflict", "update"]
    assert run.conflict_rows == 1
    [conflict] = run.conflicts
    assert conflict["row"] == 2
    assert conflict["message"] == (
        f"The sales price 7.00 EUR of {offers['retail'].item_code} is below its cost (8.00 EUR)."
    )
    assert run.preview[0]["changes"][0]["after"] == "7.00 EUR"
    with pytest.raises(ValidationFailed) as refused:
        services.confirm_import(actor=admin, run=run)
    assert "Row 2: The sales price 7.00 EUR" in refused.value.errors[0].message
    run = confirm(admin, run, accepted=[2])
    assert (run.status, run.created, run.updated) == (ImportStatus.COMPLETED, 1, 1)
    assert sales(broker, offers["retail"]) == Decimal("7.00")


def test_the_api_shows_a_below_cost_conflict(api_client_for, make_staff, offers):
    client = api_client_for(make_staff(StaffRole.GLOBAL_ADMIN))
    upload = io.BytesIO(csv_file(HEADER, f"{offers['retail'].item_code},7.00,"))
    upload.name = "prices.csv"
    response = client.client.post("/api/v1/imports/price-list", {"file": upload}, headers=client.headers)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["kind"], data["organization_id"], data["conflict_rows"]) == ("price_list", None, 1)
    assert data["conflicts"][0]["item_code"] == offers["retail"].item_code
    assert data["preview"][0]["changes"][0]["before"].startswith("10.00 EUR")


# --- customer price lists, scope and permission ----------------------------------------------


def test_a_kam_imports_a_price_list_of_an_organization_in_their_groups(
    make_staff, as_actor, group_factory, org_factory, broker, offers, confirm
):
    mine = group_factory()
    kam = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine]))
    org = org_factory(groups=[mine])
    run = preview(kam, csv_file(HEADER, f"{offers['fixed'].item_code},10.50,"), organization=org)
    assert run.organization_id == org.pk
    assert run.new_rows == 1  # the organization has no own price for it: the global list's 11.00 applies
    assert run.preview[0]["changes"][0]["before"].startswith("11.00 EUR — Global price list")
    run = confirm(kam, run)
    assert run.created == 1
    assert sales(broker, offers["fixed"], organization=org) == Decimal("10.50")
    assert sales(broker, offers["fixed"]) == Decimal("11.00")  # the global list is untouched
    entry = PriceEntry.objects.get(organization=org)
    assert (entry.kind, entry.value) == (PriceKind.AMOUNT, Decimal("10.50"))
    assert AuditEvent.objects.get(action="price.set").organization_id == org.pk


def test_a_kam_cannot_import_outside_their_groups_or_the_global_list(
    portal, make_staff, as_actor, group_factory, org_factory, offers
):
    mine, other = group_factory(), group_factory()
    user = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine])
    kam = as_actor(user)
    outside = org_factory(groups=[other])
    content = csv_file(HEADER, f"{offers['fixed'].item_code},10.50,")
    with pytest.raises(NotFound):
        services.start_import(actor=kam, content=content, filename="p.csv", kind=KIND, organization=outside)
    with pytest.raises(PermissionDenied):
        services.start_import(actor=kam, content=content, filename="p.csv", kind=KIND)
    client = portal(user)
    assert client.get(f"/price-list/import/?organization={outside.pk}").status_code == 404
    assert client.get("/price-list/import/").status_code == 403
    upload = io.BytesIO(content)
    upload.name = "p.csv"
    assert client.post("/price-list/import/", {"file": upload, "organization": str(outside.pk)}).status_code == 404
    assert ImportRun.objects.count() == 0


def test_the_portal_import_page_uploads_and_previews(portal, make_staff, org_factory, offers):
    user = make_staff(StaffRole.GLOBAL_ADMIN)
    org = org_factory()
    client = portal(user)
    page = client.get(f"/price-list/import/?organization={org.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"the price list of {org.name}" in html
    assert f"/price-list/export/?organization={org.pk}&amp;format=xlsx" in html
    assert "/imports/price_list/template.xlsx" in html
    upload = io.BytesIO(csv_file(HEADER, f"{offers['retail'].item_code},7.00,"))
    upload.name = "p.csv"
    response = client.post(f"/price-list/import/?organization={org.pk}", {"file": upload})
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert (run.kind, run.organization_id, run.conflict_rows) == (KIND, org.pk, 1)
    detail = client.get(response["Location"]).content.decode()
    assert "is below its cost (8.00 EUR)" in detail
    assert "These prices are below the partner&#x27;s cost" in detail
    assert "10.00 EUR" in detail
    assert "7.00 EUR" in detail
    template = client.get("/imports/price_list/template.csv")
    assert template.status_code == 200
    assert template.content.decode("utf-8-sig").startswith("Item code,Sales price,Effective from,")


def test_a_confirmer_without_the_rights_of_the_list_is_refused(
    make_staff, as_actor, group_factory, org_factory, offers
):
    mine = group_factory()
    admin = as_actor(make_staff(StaffRole.GLOBAL_ADMIN))
    org = org_factory(groups=[mine])
    run = preview(admin, csv_file(HEADER, f"{offers['fixed'].item_code},10.50,"))
    kam = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[mine]))
    with pytest.raises(PermissionDenied):
        services.confirm_import(actor=kam, run=run)
    run = preview(admin, csv_file(HEADER, f"{offers['fixed'].item_code},10.50,"), organization=org)
    other = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[group_factory()]))
    with pytest.raises(NotFound):
        services.confirm_import(actor=other, run=run)
