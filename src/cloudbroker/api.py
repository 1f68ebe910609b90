"""The REST API under /api/v1/: one NinjaAPI, each app's router mounted here."""

from __future__ import annotations

from ninja import NinjaAPI

from cloudbroker.accounts.api import staff_router, tokens_router
from cloudbroker.accounts.auth import BearerTokenAuth, PortalSessionAuth
from cloudbroker.brokers.api import router as broker_router
from cloudbroker.catalog.api import router as catalog_router
from cloudbroker.catalog.transfer_api import router as price_list_router
from cloudbroker.core.api import install_error_handlers
from cloudbroker.core.jobs_api import router as jobs_router
from cloudbroker.imports.api import router as imports_router
from cloudbroker.microsoft365.api import (
    catalog_sync_router,
    organization_subscriptions_router,
    subscriptions_router,
    tenants_router,
)
from cloudbroker.microsoft365.api import router as partner_center_router
from cloudbroker.organizations.api import groups_router
from cloudbroker.organizations.api import router as organizations_router
from cloudbroker.subscriptions.api import router as subscription_reads_router

api = NinjaAPI(
    title="Cloudbroker API",
    version="1",
    description=(
        "Organizations, organization groups, staff, the catalog and price lists of a Cloudbroker broker. "
        "Authenticate with a personal API token (`Authorization: Bearer cb_…`, created on the API tokens "
        "page); every call acts with the token owner's role and sees only what the owner sees. "
        "Errors are JSON `{code, message, field, errors}`."
    ),
    auth=[BearerTokenAuth(), PortalSessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

api.add_router("/broker", broker_router)
api.add_router("/staff", staff_router)
api.add_router("/tokens", tokens_router)
api.add_router("/organizations", organizations_router)
api.add_router("/organizations", organization_subscriptions_router)
api.add_router("/subscriptions", subscription_reads_router)
api.add_router("/subscriptions", subscriptions_router)
api.add_router("/groups", groups_router)
api.add_router("/jobs", jobs_router)
api.add_router("/imports", imports_router)
api.add_router("/price-list", price_list_router)
api.add_router("/partner-center", partner_center_router)
api.add_router("/tenants", tenants_router)
api.add_router("/catalog", catalog_sync_router)
api.add_router("/catalog", catalog_router)
