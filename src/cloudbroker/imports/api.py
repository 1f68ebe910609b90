import uuid
from typing import Literal

from django.http import HttpResponse, StreamingHttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbroker.core.api import OWN_THINGS, actor_of, requires
from cloudbroker.core.imports import build_template, iter_csv
from cloudbroker.core.imports.registry import importer_for
from cloudbroker.core.pagination import Pagination
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.imports import services
from cloudbroker.imports.choices import ImportKind
from cloudbroker.imports.models import ImportRun
from cloudbroker.imports.schemas import ImportIssueOut, ImportRunOut, JobRef
from cloudbroker.organizations.models import Organization


def _organizations():
    """The organization importer (registered by ``cloudbroker.organizations.imports``)."""
    return importer_for(ImportKind.ORGANIZATIONS)


router = Router(tags=["imports"])

ACCEPT_HELP = (
    "The row number of each conflict accepted (?accept=2&accept=7): every conflict of the preview "
    "(a customer number matching an organization with another name and domain; a price below cost) must be accepted."
)


@router.get(
    "/organizations/template.{file_format}", summary="Download the organization import template", response={200: None}
)
@requires(Perm.ORGANIZATION_CREATE)
def organization_template(request, file_format: Literal["csv", "xlsx", "xml"]):
    template = build_template(_organizations().spec, file_format)
    response = HttpResponse(template.content, content_type=template.content_type)
    response["Content-Disposition"] = f'attachment; filename="{template.filename}"'
    return response


@router.post("/organizations", response={201: ImportRunOut}, summary="Upload a file: read it and preview each row")
@requires(Perm.ORGANIZATION_CREATE)
def upload_organizations(request, file: UploadedFile = File(...), dry_run: bool = Form(False)):
    actor = actor_of(request)
    content = services.content_of(file)
    run = services.start_import(actor=actor, content=content, filename=file.name or "upload", dry_run=dry_run)
    return Status(201, run)


@router.get(
    "/price-list/template.{file_format}", summary="Download the price list import template", response={200: None}
)
@requires(Perm.PRICE_VIEW)
def price_list_template(request, file_format: Literal["csv", "xlsx", "xml"]):
    template = build_template(importer_for(ImportKind.PRICE_LIST).spec, file_format)
    response = HttpResponse(template.content, content_type=template.content_type)
    response["Content-Disposition"] = f'attachment; filename="{template.filename}"'
    return response


@router.post(
    "/price-list",
    response={201: ImportRunOut},
    summary="Upload the global price list: read it and preview each row (before → after)",
)
@requires(Perm.PRICE_LIST_CHANGE)
def upload_price_list(request, file: UploadedFile = File(...), dry_run: bool = Form(False)):
    actor = actor_of(request)
    content = services.content_of(file)
    run = services.start_import(
        actor=actor, content=content, filename=file.name or "upload", kind=ImportKind.PRICE_LIST, dry_run=dry_run
    )
    return Status(201, run)


@router.post(
    "/price-list/organizations/{organization_id}",
    response={201: ImportRunOut},
    summary="Upload one organization's price list (its customer-specific prices): read it and preview each row",
)
@requires(Perm.CUSTOMER_PRICE_CHANGE, lookup=(Organization.objects, "organization_id"))
def upload_organization_price_list(
    request, organization_id: uuid.UUID, file: UploadedFile = File(...), dry_run: bool = Form(False)
):
    actor = actor_of(request)
    organization = get_visible_or_404(Organization.objects, actor, organization_id)
    content = services.content_of(file)
    run = services.start_import(
        actor=actor,
        content=content,
        filename=file.name or "upload",
        kind=ImportKind.PRICE_LIST,
        organization=organization,
        dry_run=dry_run,
    )
    return Status(201, run)


@router.get("/{run_id}", response=ImportRunOut, summary="An import: preview, status and result")
@requires(OWN_THINGS)  # visible_to: one's own imports; every import for broker-wide roles
def get_import(request, run_id: uuid.UUID):
    return get_visible_or_404(ImportRun.objects, actor_of(request), run_id)


@router.get("/{run_id}/issues", response=list[ImportIssueOut], summary="Every error, by row and column")
@paginate(Pagination, page_size=100)
@requires(OWN_THINGS)
def list_issues(request, run_id: uuid.UUID):
    return get_visible_or_404(ImportRun.objects, actor_of(request), run_id).issues.all()


@router.get("/{run_id}/errors.csv", response={200: None}, summary="The error report as CSV")
@requires(OWN_THINGS)
def error_report(request, run_id: uuid.UUID):
    run = get_visible_or_404(ImportRun.objects, actor_of(request), run_id)
    response = StreamingHttpResponse(
        iter_csv(services.ERROR_REPORT_COLUMNS, services.iter_error_report(run)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-errors-{run.pk}.csv"'
    return response


@router.post("/{run_id}/confirm", response={202: JobRef}, summary="Import the previewed file (runs as a job)")
@requires(Perm.ORGANIZATION_CREATE, lookup=(ImportRun.objects, "run_id"))
def confirm(request, run_id: uuid.UUID, accept: list[int] = Query([], description=ACCEPT_HELP)):
    actor = actor_of(request)
    run = get_visible_or_404(ImportRun.objects, actor, run_id)
    job = services.confirm_import(actor=actor, run=run, accepted_conflicts=accept)
    return Status(202, {"job_id": job.pk, "run_id": run.pk})


@router.post("/{run_id}/resume", response={202: JobRef}, summary="Run a failed import again from where it stopped")
@requires(Perm.ORGANIZATION_CREATE, lookup=(ImportRun.objects, "run_id"))
def resume(request, run_id: uuid.UUID):
    actor = actor_of(request)
    run = get_visible_or_404(ImportRun.objects, actor, run_id)
    job = services.resume_import(actor=actor, run=run)
    return Status(202, {"job_id": job.pk, "run_id": run.pk})
