"""The price list as a file, over the API: the export (CSV or XLSX). Its import goes through the
imports API (``POST /api/v1/imports/price-list``, ``.../price-list/organizations/{id}``)."""

import uuid
from typing import Literal

from ninja import Router

from cloudbroker.catalog.imports import export_response
from cloudbroker.core.api import actor_of, requires
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.organizations.models import Organization

router = Router(tags=["price lists"])

EXPORT_HELP = (
    "One row per item code offered: item code, product, group, category, term, billing plan, currency, the sales "
    "price in effect today and what sets it; cost, retail price (ERP) and margin % only for roles that see cost."
)


@router.get(
    "/export.{file_format}",
    summary="Export the global price list",
    description=EXPORT_HELP,
    response={200: None},
)
@requires(Perm.PRICE_VIEW)
def export_global(request, file_format: Literal["csv", "xlsx"]):
    return export_response(actor_of(request), None, file_format)


@router.get(
    "/organizations/{organization_id}/export.{file_format}",
    summary="Export one organization's price list (its prices, customer-specific where set)",
    description=EXPORT_HELP,
    response={200: None},
)
@requires(Perm.PRICE_VIEW, lookup=(Organization.objects, "organization_id"))
def export_organization(request, organization_id: uuid.UUID, file_format: Literal["csv", "xlsx"]):
    actor = actor_of(request)
    organization = get_visible_or_404(Organization.objects, actor, organization_id)
    return export_response(actor, organization, file_format)
