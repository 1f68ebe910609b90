"""Portal pages: import organizations from a file (upload, preview, confirm, progress, result)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views import View

from cloudbroker.core.errors import DomainError, ValidationFailed
from cloudbroker.core.imports import build_template, iter_csv
from cloudbroker.core.imports.registry import importer_for
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.views import ActorMixin
from cloudbroker.imports import services
from cloudbroker.imports.choices import ImportKind, ImportStatus
from cloudbroker.imports.models import ImportRun


def _organizations():
    """The organization importer (registered by ``cloudbroker.organizations.imports``)."""
    return importer_for(ImportKind.ORGANIZATIONS)


class ImportRunMixin(ActorMixin):
    def check_object_scope(self) -> None:
        self.run = get_visible_or_404(ImportRun.objects, self.actor, self.kwargs["pk"])


class OrganizationImportView(ActorMixin, View):
    """Step 1: download a template, fill it in, upload it ('Read file')."""

    required_perm = Perm.ORGANIZATION_CREATE

    def context(self, **extra):
        return {"spec": _organizations().spec, "recent": ImportRun.objects.visible_to(self.actor)[:10], **extra}

    def get(self, request):
        return render(request, "imports/organization_import.html", self.context())

    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            return render(
                request, "imports/organization_import.html", self.context(error="Choose a file to read."), status=422
            )
        try:
            content = services.content_of(upload)
            run = services.start_import(actor=self.actor, content=content, filename=upload.name)
        except DomainError as exc:
            return render(request, "imports/organization_import.html", self.context(error=exc.message), status=422)
        return redirect("portal:import_detail", pk=run.pk)


class OrganizationTemplateView(ActorMixin, View):
    required_perm = Perm.ORGANIZATION_CREATE

    def get(self, request, file_format):
        template = build_template(_organizations().spec, file_format)
        response = HttpResponse(template.content, content_type=template.content_type)
        response["Content-Disposition"] = f'attachment; filename="{template.filename}"'
        return response


class ImportDetailView(ImportRunMixin, View):
    """Step 2 and 3: the preview with every row marked, then the progress and the result."""

    required_perm = Perm.ORGANIZATION_VIEW
    post_perm = Perm.ORGANIZATION_CREATE

    def get(self, request, pk):
        run = self.run
        template = "imports/_status.html" if request.htmx else "imports/import_detail.html"
        importer = services.importer_of(run)
        labels = [(c.key, c.label) for c in importer.spec.columns]
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
    required_perm = Perm.ORGANIZATION_VIEW

    def get(self, request, pk):
        response = StreamingHttpResponse(
            iter_csv(services.ERROR_REPORT_COLUMNS, services.iter_error_report(self.run)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="import-errors-{self.run.pk}.csv"'
        return response
