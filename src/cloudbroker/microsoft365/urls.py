from django.urls import path

from cloudbroker.microsoft365 import views

urlpatterns = [
    path("partner-center/", views.ConnectionView.as_view(), name="partner_center"),
    path("catalog/sync/", views.CatalogSyncView.as_view(), name="catalog_sync"),
    path("tenants/", views.TenantListView.as_view(), name="tenant_list"),
    path("tenants/auto-link/", views.AutoLinkView.as_view(), name="tenant_auto_link"),
    path("tenants/domain-check/", views.DomainCheckView.as_view(), name="tenant_domain_check"),
    path("tenants/<uuid:pk>/", views.TenantDetailView.as_view(), name="tenant_detail"),
    path("organizations/<uuid:pk>/services/", views.OrganizationServicesView.as_view(), name="organization_services"),
    path(
        "organizations/<uuid:pk>/services/microsoft-365/",
        views.AddMicrosoft365View.as_view(),
        name="organization_add_microsoft365",
    ),
]
