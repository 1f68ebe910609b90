from django.urls import path

from cloudbroker.catalog import views

urlpatterns = [
    path("catalog/", views.CatalogView.as_view(), name="catalog"),
    path("catalog/offers/<uuid:pk>/", views.OfferDetailView.as_view(), name="catalog_offer"),
    path("catalog/rules/", views.PriceRulesView.as_view(), name="price_rules"),
    path("catalog/bulk-price/", views.BulkPriceView.as_view(), name="catalog_bulk_price"),
    path("catalog/prices/<uuid:pk>/cancel/", views.PriceEntryCancelView.as_view(), name="price_entry_cancel"),
    path(
        "catalog/products/<uuid:pk>/visibility/",
        views.ProductVisibilityView.as_view(),
        name="catalog_product_visibility",
    ),
    path("organizations/<uuid:pk>/prices/", views.OrganizationPricesView.as_view(), name="organization_prices"),
    path(
        "organizations/<uuid:org_pk>/prices/offers/<uuid:pk>/",
        views.OfferDetailView.as_view(),
        name="organization_offer_price",
    ),
    path("organizations/<uuid:pk>/prices/rules/", views.PriceRulesView.as_view(), name="organization_price_rules"),
    path("organizations/<uuid:pk>/prices/bulk/", views.BulkPriceView.as_view(), name="organization_bulk_price"),
    path(
        "organizations/<uuid:org_pk>/prices/products/<uuid:pk>/visibility/",
        views.ProductVisibilityView.as_view(),
        name="organization_product_visibility",
    ),
]
