"""The price list's export and import pages (``portal:price_list_export``, ``portal:price_list_import``)."""

from django.urls import path

from cloudbroker.catalog import transfer_views

urlpatterns = [
    path("price-list/export/", transfer_views.PriceListExportView.as_view(), name="price_list_export"),
    path("price-list/import/", transfer_views.PriceListImportView.as_view(), name="price_list_import"),
]
