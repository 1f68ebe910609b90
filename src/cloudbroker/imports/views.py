"""Portal pages of the import flow, for every kind of record: upload (with the kind's template),
preview, confirm, progress and result.

The kind's importer (``cloudbroker.core.imports.registry``) says what the pages need: its columns,
its label, who may import (``Importer.authorize``) and who may look (``view_permission``). A kind
whose files may be one organization's (a customer's price list) takes ``?organization=<id>``: an
organization outside the actor's scope is a 404, as everywhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from cloudbroker.core.errors import DomainError, PermissionDenied, ValidationFailed
from cloudbroker.core.imports import build_template, iter_csv
from cloudbroker.core.imports.registry import Importer, importer_for
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.views import ActorMixin
from cloudbroker.imports import services
from cloudbroker.imports.choices import ImportKind, ImportStatus
from cloudbroker.imports.models import ImportRun
from cloudbroker.organizations.models import Organization


def _view_permission(importer: Importer):
    return importer.view_permission or importer.permission


def _importer_or_404(kind: str) -> Importer:
    try:
        return importer_for(kind)
    except LookupError:
        raise Http404("There is no import of this kind.") from None


class ImportRunMixin(ActorMixin):
    """An import run's pages: the run through ``visible_to`` (404), then its importer's permissions."""

    post_run_permission = True  # POST needs the importer's permission to import

    def check_object_scope(self) -> None:
        self.run = get_visible_or_404(ImportRun.objects, self.actor, self.kwargs["pk"])
        importer = services.importer_of(self.run)
        perm = _view_permission(importer)
        if self.request.method == "POST" and self.post_run_permission:
            perm = importer.permission
        if not self.actor.has(perm):
            raise DjangoPermissionDenied(f"Your role does not allow this ({perm.value}).")


class KindMixin(ActorMixin):
    """A page of one kind of import (``kind`` in the URL, or fixed by a subclass), for the
    broker-wide file or, with ``?organization=<id>``, one organization's (404 outside scope).
    Who may open it is the importer's rule (``authorize``): a 403 otherwise."""

    kind: str | None = None

    def check_object_scope(self) -> None:
        self.importer = _importer_or_404(self.kind or self.kwargs["kind"])
        self.organization = None
        organization_id = self.request.GET.get("organization") or self.request.POST.get("organization")
        if organization_id:
            if not self.importer.for_organization:
                raise Http404("This kind of import is not for one organization.")
            self.organization = get_visible_or_404(Organization.objects, self.actor, organization_id)
        try:
            self.importer.authorize(self.actor, organization=self.organization)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None

    def template_url(self, file_format: str) -> str:
        return reverse("portal:import_template", args=[self.importer.kind, file_format])


class KindImportView(KindMixin, View):
    """Step 1: download a template, fill it in, upload it ('Read file')."""

    template_name = "imports/import_new.html"

    def context(self, **extra: Any) -> dict[str, Any]:
        recent = ImportRun.objects.visible_to(self.actor).filter(kind=self.importer.kind)
        if self.importer.for_organization:
            recent = recent.filter(organization=self.organization)
        return {
            "importer": self.importer,
            "spec": self.importer.spec,
            "organization": self.organization,
            "templates": [(fmt.upper(), self.template_url(fmt)) for fmt in ("csv", "xlsx", "xml")],
            "recent": recent[:10],
            **extra,
        }

    def get(self, request, **kwargs):
        return render(request, self.template_name, self.context())

    def post(self, request, **kwargs):
        upload = request.FILES.get("file")
        if upload is None:
            return render(request, self.template_name, self.context(error="Choose a file to read."), status=422)
        try:
            content = services.content_of(upload)
            run = services.start_import(
                actor=self.actor,
                content=content,
                filename=upload.name,
                kind=self.importer.kind,
                organization=self.organization,
            )
        except DomainError as exc:
            return render(request, self.template_name, self.context(error=exc.message), status=422)
        return redirect("portal:import_detail", pk=run.pk)


class KindTemplateView(KindMixin, View):
    """The kind's import template (CSV, XLSX or XML): its columns, notes and an example row. It
    holds no data: the importer's permission is enough, whichever organization's file it becomes."""

    def check_object_scope(self) -> None:
        self.importer = _importer_or_404(self.kind or self.kwargs["kind"])
        if not self.actor.has(self.importer.permission):
            raise DjangoPermissionDenied(f"Your role does not allow this ({self.importer.permission.value}).")

    def get(self, request, file_format, **kwargs):
        template = build_template(self.importer.spec, file_format)
        response = HttpResponse(template.content, content_type=template.content_type)
        response["Content-Disposition"] = f'attachment; filename="{template.filename}"'
        return response


class OrganizationImportView(KindImportView):
    """Import organizations (the organizations list's 'Import from a file')."""

    kind = ImportKind.ORGANIZATIONS

    def template_url(self, file_format: str) -> str:
        return reverse("portal:organization_import_template", args=[file_format])


class OrganizationTemplateView(KindTemplateView):
    kind = ImportKind.ORGANIZATIONS


class ImportDetailView(ImportRunMixin, View):
    """Step 2 and 3: the preview with every row marked, then the progress and the result."""

    def get(self, request, pk):
        run = self.run
        template = "imports/_status.html" if request.htmx else "imports/import_detail.html"
        importer = services.importer_of(run)
        # The file's columns (those of the spec that its rows have), in the spec's order.
        present = {key for row in run.preview for key in row.get("values", {})}
        labels = [(c.key, c.label) for c in importer.spec.columns if c.key in present or not present]
        context = {
            "run": run,
            "importer": importer,
            "may_import": self.actor.has(importer.permission),
            "labels": labels,
            "statuses": ImportStatus,
            "issues": run.issues.all()[:50],
        }
        return render(request, template, context)

    def post(self, request, pk):
        try:
            if request.POST.get("action") == "resume":
                services.resume_import(actor=self.actor, run=self.run)
            else:
                accepted = [int(v) for v in request.POST.getlist("accept") if v.isdigit()]
                services.confirm_import(actor=self.actor, run=self.run, accepted_conflicts=accepted)
        except ValidationFailed as exc:
            for error in exc.errors:
                messages.error(request, error.message)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "The import is running in the background.")
        return redirect("portal:import_detail", pk=pk)


class ImportErrorReportView(ImportRunMixin, View):
    def get(self, request, pk):
        response = StreamingHttpResponse(
            iter_csv(services.ERROR_REPORT_COLUMNS, services.iter_error_report(self.run)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="import-errors-{self.run.pk}.csv"'
        return response
