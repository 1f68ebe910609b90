"""An import never overwrites what the person did not mean to change, and runs with the rights of
the one who confirms it (issue 11: "Import can overwrite a different company", "An import runs
with its uploader's rights")."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from cloudbroker.core.errors import PermissionDenied, ValidationFailed
from cloudbroker.core.imports import build_template
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import StaffRole
from cloudbroker.core.testing import drain_jobs, flush_jobs
from cloudbroker.imports import services
from cloudbroker.imports.choices import ImportStatus
from cloudbroker.organizations.imports import ORGANIZATION_SPEC
from cloudbroker.organizations.models import Organization

pytestmark = [pytest.mark.django_db, pytest.mark.jobs]

HEADER = (
    "Name,Primary domain,Notification email,Customer number,Street address,City,Contact name,Contact phone,"
    "Approval process,Approval process limit,Organization groups\n"
)


def csv_of(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


@pytest.fixture(autouse=True)
def _queue():
    flush_jobs()
    yield
    flush_jobs()


@pytest.fixture
def fabrikam(org_factory, group_factory):
    return org_factory(
        name="Fabrikam AB",
        primary_domain="fabrikam.se",
        notification_email="it@fabrikam.se",
        customer_number="C-1",
        street_address="Storgatan 1",
        city="Stockholm",
        contact_name="Alex Andersson",
        contact_phone="+46 8 123 456",
        approval_required=True,
        approval_limit=Decimal("5000.00"),
        groups=[group_factory(name="North")],
    )


def preview(actor, content: bytes):
    run = services.start_import(actor=actor, content=content, filename="orgs.csv")
    assert run.status == ImportStatus.PREVIEWED, run.refused_message
    return run


def confirm_and_run(actor, run, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_import(actor=actor, run=run, **kwargs)
    drain_jobs()
    run.refresh_from_db()
    return run


# --- field by field, empty cells, clearing ---------------------------------------------------


def test_the_preview_shows_each_update_field_by_field(as_actor, make_staff, fabrikam):
    actor = as_actor(make_staff(StaffRole.SUPER_ADMIN))
    run = preview(actor, csv_of("Fabrikam Sverige AB,fabrikam.se,it@fabrikam.se,C-1,,Göteborg,,,,,"))
    assert (run.update_rows, run.conflict_rows) == (1, 0)
    assert run.preview[0]["action"] == "update"
    assert run.preview[0]["changes"] == [
        {"field": "Name", "before": "Fabrikam AB", "after": "Fabrikam Sverige AB"},
        {"field": "City", "before": "Stockholm", "after": "Göteborg"},
    ]


def test_empty_cells_leave_the_existing_values_as_they_are(
    as_actor, make_staff, fabrikam, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.SUPER_ADMIN))
    run = preview(actor, csv_of("Fabrikam AB,fabrikam.se,it@fabrikam.se,C-1,,,,,,,"))
    assert (run.unchanged_rows, run.update_rows) == (1, 0)
    run = preview(actor, csv_of("Fabrikam AB,fabrikam.se,it@fabrikam.se,C-1,,Uppsala,,,,,"))
    confirm_and_run(actor, run, django_capture_on_commit_callbacks)
    fabrikam.refresh_from_db()
    assert fabrikam.city == "Uppsala"
    assert (fabrikam.street_address, fabrikam.contact_name, fabrikam.contact_phone) == (
        "Storgatan 1",
        "Alex Andersson",
        "+46 8 123 456",
    )
    assert (fabrikam.approval_required, fabrikam.approval_limit) == (True, Decimal("5000.00"))
    assert [g.name for g in fabrikam.groups.all()] == ["North"]


def test_the_clear_marker_clears_a_field_and_mandatory_fields_cannot_be_cleared(
    as_actor, make_staff, fabrikam, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.SUPER_ADMIN))
    refused = preview(actor, csv_of("#CLEAR,fabrikam.se,it@fabrikam.se,C-1,,,,,,,"))
    assert refused.error_rows == 1
    assert list(refused.issues.values_list("column", "message")) == [("Name", "Name cannot be cleared.")]
    run = preview(actor, csv_of("Fabrikam AB,fabrikam.se,it@fabrikam.se,C-1,#clear,,#CLEAR,,#CLEAR,#CLEAR,#CLEAR"))
    assert run.preview[0]["changes"] == [
        {"field": "Approval process", "before": "TRUE", "after": "FALSE"},
        {"field": "Approval process limit", "before": "5000.00", "after": ""},
        {"field": "Street address", "before": "Storgatan 1", "after": ""},
        {"field": "Contact name", "before": "Alex Andersson", "after": ""},
        {"field": "Organization groups", "before": "North", "after": ""},
    ]
    confirm_and_run(actor, run, django_capture_on_commit_callbacks)
    fabrikam.refresh_from_db()
    assert (fabrikam.street_address, fabrikam.contact_name, fabrikam.city) == ("", "", "Stockholm")
    assert (fabrikam.approval_required, fabrikam.approval_limit) == (False, None)
    assert list(fabrikam.groups.all()) == []


def test_the_template_says_how_to_clear_a_field():
    xml = build_template(ORGANIZATION_SPEC, "xml").content.decode()
    assert "#CLEAR" in xml
    assert "An empty cell leaves the existing value as it is." in xml


# --- conflicts -------------------------------------------------------------------------------


def test_a_customer_number_of_another_company_is_a_conflict_accepted_row_by_row(
    as_actor, make_staff, fabrikam, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.SUPER_ADMIN))
    run = preview(
        actor,
        csv_of(
            "Contoso Ltd,contoso.com,it@contoso.com,C-1,,,,,,,",
            "Fabrikam Sverige AB,fabrikam.se,it@fabrikam.se,C-1,,,,,,,",
        ),
    )
    # The second row also updates C-1; a duplicate in the file is an error of its own.
    assert (run.conflict_rows, run.update_rows, run.error_rows) == (1, 0, 1)
    assert run.preview[0]["action"] == "conflict"
    assert run.conflicts == [
        {
            "row": 2,
            "customer_number": "C-1",
            "organization_id": str(fabrikam.pk),
            "name": "Fabrikam AB",
            "domain": "fabrikam.se",
            "new_name": "Contoso Ltd",
            "new_domain": "contoso.com",
        }
    ]
    with pytest.raises(ValidationFailed) as refused:
        services.confirm_import(actor=actor, run=run)
    assert [(e.row, e.code) for e in refused.value.errors] == [(2, "conflict_not_accepted")]
    with pytest.raises(ValidationFailed) as wrong:
        services.confirm_import(actor=actor, run=run, accepted_conflicts=[2, 3])
    assert [(e.row, e.code) for e in wrong.value.errors] == [(3, "not_a_conflict")]
    fabrikam.refresh_from_db()
    assert fabrikam.name == "Fabrikam AB"
    run = confirm_and_run(actor, run, django_capture_on_commit_callbacks, accepted_conflicts=[2])
    assert (run.status, run.updated, run.failed) == (ImportStatus.COMPLETED, 1, 1)
    fabrikam.refresh_from_db()
    assert (fabrikam.name, fabrikam.primary_domain) == ("Contoso Ltd", "contoso.com")


def test_a_conflict_that_appears_after_the_preview_is_not_imported(
    as_actor, make_staff, org_factory, django_capture_on_commit_callbacks
):
    actor = as_actor(make_staff(StaffRole.SUPER_ADMIN))
    run = preview(actor, csv_of("Contoso Ltd,contoso.com,it@contoso.com,C-9,,,,,,,"))
    assert run.new_rows == 1
    other = org_factory(name="Northwind", primary_domain="northwind.com", customer_number="C-9")
    run = confirm_and_run(actor, run, django_capture_on_commit_callbacks)
    assert (run.created, run.updated, run.failed) == (0, 0, 1)
    other.refresh_from_db()
    assert other.name == "Northwind"
    assert "belongs to Northwind" in run.issues.get().message


def test_the_api_confirms_a_conflict_only_when_it_is_accepted(
    api_client_for, make_staff, fabrikam, django_capture_on_commit_callbacks
):
    client = api_client_for(make_staff(StaffRole.SUPER_ADMIN))
    upload = io.BytesIO(csv_of("Contoso Ltd,contoso.com,it@contoso.com,C-1,,,,,,,"))
    upload.name = "orgs.csv"
    body = client.client.post("/api/v1/imports/organizations", {"file": upload}, headers=client.headers).json()
    assert body["conflict_rows"] == 1
    assert body["preview"][0]["conflict"]["name"] == "Fabrikam AB"
    refused = client.post(f"/api/v1/imports/{body['id']}/confirm")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["row"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(f"/api/v1/imports/{body['id']}/confirm?accept=2")
    assert accepted.status_code == 202
    drain_jobs()
    fabrikam.refresh_from_db()
    assert fabrikam.name == "Contoso Ltd"


def test_the_portal_lists_conflicts_and_changes_and_confirms_the_accepted_ones(
    portal, make_staff, as_actor, fabrikam, django_capture_on_commit_callbacks
):
    user = make_staff(StaffRole.SUPER_ADMIN)
    run = preview(
        as_actor(user),
        csv_of("Contoso Ltd,contoso.com,it@contoso.com,C-1,,,,,,,", "New Co,new-co.com,it@new-co.com,C-2,,,,,,,"),
    )
    client = portal(user)
    page = client.get(f"/imports/{run.pk}/").content.decode()
    assert 'name="accept" value="2"' in page
    assert "<strong>Name</strong>: Fabrikam AB → Contoso Ltd" in page
    refused = client.post(f"/imports/{run.pk}/", follow=True).content.decode()
    assert "Accept this conflict" in refused
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{run.pk}/", {"accept": ["2"]})
    drain_jobs()
    run.refresh_from_db()
    assert (run.status, run.created, run.updated) == (ImportStatus.COMPLETED, 1, 1)


# --- the template's example row ------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "xml"])
def test_the_templates_example_row_is_never_imported(as_actor, make_staff, file_format):
    template = build_template(ORGANIZATION_SPEC, file_format)
    run = services.start_import(
        actor=as_actor(make_staff(StaffRole.SUPER_ADMIN)), content=template.content, filename=template.filename
    )
    assert (run.total_rows, run.new_rows, run.error_rows) == (1, 0, 1)
    assert "example row" in run.issues.get().message
    assert not run.can_confirm
    assert ORGANIZATION_SPEC.column("primary_domain").example == "example.com"  # reserved, no real company
    assert Organization.objects.count() == 0


# --- who confirms --------------------------------------------------------------------------


def test_a_support_admin_cannot_confirm_a_super_admins_preview(api_client_for, make_staff, as_actor, fabrikam):
    uploader = make_staff(StaffRole.SUPER_ADMIN)
    run = preview(as_actor(uploader), csv_of("Fabrikam AB,fabrikam.se,it@fabrikam.se,C-1,,,,,FALSE,,"))
    assert run.update_rows == 1  # switches the approval process off: a Super Admin may
    response = api_client_for(make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN)).post(f"/api/v1/imports/{run.pk}/confirm")
    assert response.status_code == 403
    run.refresh_from_db()
    assert (run.status, run.confirmed_by_id) == (ImportStatus.PREVIEWED, None)
    fabrikam.refresh_from_db()
    assert fabrikam.approval_required is True


def test_someone_with_fewer_rights_confirms_only_rows_that_import_the_same_for_them(
    make_staff, as_actor, group_factory, django_capture_on_commit_callbacks
):
    north, south = group_factory(name="N"), group_factory(name="S")
    uploader = make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[north, south])
    colleague = as_actor(make_staff(StaffRole.KEY_ACCOUNT_MANAGER, groups=[north]))
    beyond = preview(
        as_actor(uploader),
        csv_of("A Co,a-co.com,it@a-co.com,A-1,,,,,,,N", "B Co,b-co.com,it@b-co.com,B-1,,,,,,,S"),
    )
    assert beyond.new_rows == 2
    with pytest.raises(PermissionDenied, match="row 3 "):
        services.confirm_import(actor=colleague, run=beyond)
    within = preview(as_actor(uploader), csv_of("A Co,a-co.com,it@a-co.com,A-1,,,,,,,N"))
    within = confirm_and_run(colleague, within, django_capture_on_commit_callbacks)
    assert (within.status, within.created, within.confirmed_by_id) == (ImportStatus.COMPLETED, 1, colleague.user_id)


def test_the_job_runs_as_the_confirmer_and_the_audit_names_them(
    make_staff, as_actor, fabrikam, django_capture_on_commit_callbacks
):
    uploader = make_staff(StaffRole.GLOBAL_ADMIN)
    confirmer = make_staff(StaffRole.SUPER_ADMIN)
    run = preview(
        as_actor(uploader),
        csv_of("Fabrikam AB,fabrikam.se,it@fabrikam.se,C-1,,Malmö,,,,,", "New Co,new-co.com,it@new-co.com,C-2,,,,,,,"),
    )
    run = confirm_and_run(as_actor(confirmer), run, django_capture_on_commit_callbacks)
    events = AuditEvent.objects.filter(action__in=["organization.created", "organization.updated"])
    assert sorted((e.action, e.actor_id, e.actor_label) for e in events) == [
        ("organization.created", confirmer.pk, confirmer.email),
        ("organization.updated", confirmer.pk, confirmer.email),
    ]
    assert (run.status, run.created, run.updated, run.confirmed_by_id) == (
        ImportStatus.COMPLETED,
        1,
        1,
        confirmer.pk,
    )


def test_the_uploader_confirms_their_own_preview(make_staff, as_actor, django_capture_on_commit_callbacks):
    uploader = make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN)
    run = preview(as_actor(uploader), csv_of("New Co,new-co.com,it@new-co.com,C-2,,,,,,,"))
    run = confirm_and_run(as_actor(uploader), run, django_capture_on_commit_callbacks)
    assert (run.status, run.created, run.confirmed_by_id) == (ImportStatus.COMPLETED, 1, uploader.pk)
    assert Organization.objects.get().billing_start_date == dt.date.today()  # noqa: DTZ011


def test_running_a_failed_import_again_follows_the_same_rule(
    make_staff, as_actor, fabrikam, monkeypatch, django_capture_on_commit_callbacks
):
    uploader = as_actor(make_staff(StaffRole.SUPER_ADMIN))
    run = preview(uploader, csv_of("Fabrikam AB,fabrikam.se,it@fabrikam.se,C-1,,,,,FALSE,,"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_write_chunk", broken)
    run = confirm_and_run(uploader, run, django_capture_on_commit_callbacks)
    assert run.status == ImportStatus.FAILED
    support = as_actor(make_staff(StaffRole.GLOBAL_SUPPORT_ADMIN))
    with pytest.raises(PermissionDenied, match="row 2 "):
        services.resume_import(actor=support, run=run)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.resume_import(actor=uploader, run=run)
    drain_jobs()
    fabrikam.refresh_from_db()
    assert fabrikam.approval_required is False
