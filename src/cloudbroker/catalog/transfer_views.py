"""Portal pages that move a price list in and out as a file: the export (CSV, XLSX) and the
import (the generic import flow of ``cloudbroker.imports``, for the price-list kind).

Both take ``?organization=<id>`` for a customer's price list (an organization outside the actor's
scope is a 404), and work on the global price list without it.
"""

from __future__ import annotations

from django.http import Http404
from django.views import View

from cloudbroker.catalog.imports import PriceListImporter, export_response
from cloudbroker.core.imports import FileFormat
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.views import ActorMixin
from cloudbroker.imports.views import KindImportView
from cloudbroker.organizations.models import Organization

__all__ = ["PriceListExportView", "PriceListImportView"]


class PriceListExportView(ActorMixin, View):
    """``?format=csv|xlsx`` (CSV by default) and ``?organization=<id>`` for a customer's list."""

    required_perm = Perm.PRICE_VIEW

    def check_object_scope(self) -> None:
        organization_id = self.request.GET.get("organization")
        self.organization = (
            get_visible_or_404(Organization.objects, self.actor, organization_id) if organization_id else None
        )

    def get(self, request):
        file_format = request.GET.get("format") or "csv"
        if file_format not in (FileFormat.CSV, FileFormat.XLSX):
            raise Http404("Export as csv or xlsx.")
        return export_response(self.actor, self.organization, file_format)


class PriceListImportView(KindImportView):
    """Import a price list (global, or ``?organization=<id>``): upload → preview → confirm."""

    kind = PriceListImporter.kind
    template_name = "catalog/transfer/price_list_import.html"

    def context(self, **extra):
        query = f"?organization={self.organization.pk}&" if self.organization else "?"
        return super().context(export_query=query, **extra)
