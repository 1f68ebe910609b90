"""Imports' routes in the permission matrix (tests/test_permission_matrix.py runs them)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from cloudbroker.core.permissions import Perm
from tests.factories import ImportRunFactory
from tests.permission_matrix import SCOPES, Kind, Route, mine_or_broker_wide

KINDS = [
    # A previewed file uploaded by me, by a colleague, by a stranger of another broker.
    Kind(
        "import",
        lambda w: {scope: ImportRunFactory(broker=w.broker_of(scope), created_by=w.owner(scope)) for scope in SCOPES},
        mine_or_broker_wide,
    ),
]


def price_list_file():
    return SimpleUploadedFile(
        "prices.csv", b"Item code,Sales price\nMATRIX:0001:P1Y:monthly,1.00\n", content_type="text/csv"
    )


def upload_file():
    return SimpleUploadedFile(
        "orgs.csv",
        b"Name,Primary domain,Notification email\nUp,uploaded.example.com,a@b.test\n",
        content_type="text/csv",
    )


ROUTES = [
    Route(
        "api import template",
        "GET",
        "none",
        Perm.ORGANIZATION_CREATE,
        lambda w, o: "/api/v1/imports/organizations/template.csv",
    ),
    Route(
        "api import upload",
        "POST",
        "none",
        Perm.ORGANIZATION_CREATE,
        lambda w, o: "/api/v1/imports/organizations",
        lambda w, o: {"file": upload_file()},
        (201,),
        upload=True,
    ),
    Route("api import get", "GET", "import", None, lambda w, o: f"/api/v1/imports/{o.pk}"),
    Route("api import issues", "GET", "import", None, lambda w, o: f"/api/v1/imports/{o.pk}/issues"),
    Route("api import errors csv", "GET", "import", None, lambda w, o: f"/api/v1/imports/{o.pk}/errors.csv"),
    Route(
        "api import confirm",
        "POST",
        "import",
        Perm.ORGANIZATION_CREATE,
        lambda w, o: f"/api/v1/imports/{o.pk}/confirm",
        ok=(202,),
    ),
    # Resuming a run that has not failed is refused by the rule (409) once scope and permission pass.
    Route(
        "api import resume",
        "POST",
        "import",
        Perm.ORGANIZATION_CREATE,
        lambda w, o: f"/api/v1/imports/{o.pk}/resume",
        ok=(409,),
    ),
    Route(
        "organization_import", "GET", "none", Perm.ORGANIZATION_CREATE, lambda w, o: "/organizations/import/", api=False
    ),
    Route(
        "organization_import post",
        "POST",
        "none",
        Perm.ORGANIZATION_CREATE,
        lambda w, o: "/organizations/import/",
        lambda w, o: {"file": upload_file()},
        (302,),
        api=False,
    ),
    Route(
        "organization_import_template",
        "GET",
        "none",
        Perm.ORGANIZATION_CREATE,
        lambda w, o: "/organizations/import/template.xlsx",
        api=False,
    ),
    Route("import_detail", "GET", "import", Perm.ORGANIZATION_VIEW, lambda w, o: f"/imports/{o.pk}/", api=False),
    Route(
        "import_detail post",
        "POST",
        "import",
        Perm.ORGANIZATION_CREATE,
        lambda w, o: f"/imports/{o.pk}/",
        lambda w, o: {},
        (302,),
        api=False,
    ),
    Route(
        "import_error_report",
        "GET",
        "import",
        Perm.ORGANIZATION_VIEW,
        lambda w, o: f"/imports/{o.pk}/errors.csv",
        api=False,
    ),
    # Any registered kind: the generic import pages (the importer's label and permission).
    Route("import_new", "GET", "none", Perm.ORGANIZATION_CREATE, lambda w, o: "/imports/organizations/new/", api=False),
    Route(
        "import_new post",
        "POST",
        "none",
        Perm.ORGANIZATION_CREATE,
        lambda w, o: "/imports/organizations/new/",
        lambda w, o: {"file": upload_file()},
        (302,),
        api=False,
    ),
    Route(
        "import_new price list",
        "GET",
        "none",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: "/imports/price_list/new/",
        api=False,
    ),
    Route(
        "import_new price list of an organization",
        "GET",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/imports/price_list/new/?organization={o.pk}",
        api=False,
    ),
    Route(
        "import_template",
        "GET",
        "none",
        Perm.ORGANIZATION_CREATE,
        lambda w, o: "/imports/organizations/template.xlsx",
        api=False,
    ),
    Route(
        "import_template price list",
        "GET",
        "none",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: "/imports/price_list/template.csv",
        api=False,
    ),
    # The price list as a file (catalog/transfer_urls.py, catalog/transfer_api.py).
    Route(
        "price_list_export", "GET", "none", Perm.PRICE_VIEW, lambda w, o: "/price-list/export/?format=csv", api=False
    ),
    Route(
        "price_list_export of an organization",
        "GET",
        "organization",
        Perm.PRICE_VIEW,
        lambda w, o: f"/price-list/export/?organization={o.pk}&format=xlsx",
        api=False,
    ),
    Route("price_list_import", "GET", "none", Perm.PRICE_LIST_CHANGE, lambda w, o: "/price-list/import/", api=False),
    Route(
        "price_list_import of an organization",
        "GET",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/price-list/import/?organization={o.pk}",
        api=False,
    ),
    Route(
        "price_list_import post",
        "POST",
        "none",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: "/price-list/import/",
        lambda w, o: {"file": price_list_file()},
        (302,),
        api=False,
    ),
    Route(
        "price_list_import post of an organization",
        "POST",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/price-list/import/?organization={o.pk}",
        lambda w, o: {"file": price_list_file()},
        (302,),
        api=False,
    ),
    Route(
        "api price list template",
        "GET",
        "none",
        Perm.PRICE_VIEW,
        lambda w, o: "/api/v1/imports/price-list/template.xlsx",
    ),
    Route(
        "api price list upload",
        "POST",
        "none",
        Perm.PRICE_LIST_CHANGE,
        lambda w, o: "/api/v1/imports/price-list",
        lambda w, o: {"file": price_list_file()},
        (201,),
        upload=True,
    ),
    Route(
        "api price list upload of an organization",
        "POST",
        "organization",
        Perm.CUSTOMER_PRICE_CHANGE,
        lambda w, o: f"/api/v1/imports/price-list/organizations/{o.pk}",
        lambda w, o: {"file": price_list_file()},
        (201,),
        upload=True,
    ),
    Route("api price list export", "GET", "none", Perm.PRICE_VIEW, lambda w, o: "/api/v1/price-list/export.csv"),
    Route(
        "api price list export of an organization",
        "GET",
        "organization",
        Perm.PRICE_VIEW,
        lambda w, o: f"/api/v1/price-list/organizations/{o.pk}/export.xlsx",
    ),
]
