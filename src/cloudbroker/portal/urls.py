"""The staff portal's URLs: every app's ``urls.py`` gathered under the one ``portal`` namespace."""

from django.urls import path

from cloudbroker.accounts import urls as accounts
from cloudbroker.brokers import urls as brokers
from cloudbroker.catalog import transfer_urls as price_list_transfer
from cloudbroker.catalog import urls as catalog
from cloudbroker.core import urls as core
from cloudbroker.imports import urls as imports
from cloudbroker.microsoft365 import urls as microsoft365
from cloudbroker.organizations import urls as organizations
from cloudbroker.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    *accounts.urlpatterns,
    *brokers.urlpatterns,
    *organizations.urlpatterns,
    *imports.urlpatterns,
    *price_list_transfer.urlpatterns,
    *catalog.urlpatterns,
    *microsoft365.urlpatterns,
    *core.urlpatterns,
]
