from django.urls import path

from cloudbroker.core import converters  # noqa: F401  (<fmt:…>)
from cloudbroker.imports import views

urlpatterns = [
    path("organizations/import/", views.OrganizationImportView.as_view(), name="organization_import"),
    path(
        "organizations/import/template.<fmt:file_format>",
        views.OrganizationTemplateView.as_view(),
        name="organization_import_template",
    ),
    # Any registered kind (?organization=<id> for a kind whose files may be one organization's).
    path("imports/<slug:kind>/new/", views.KindImportView.as_view(), name="import_new"),
    path("imports/<slug:kind>/template.<fmt:file_format>", views.KindTemplateView.as_view(), name="import_template"),
    path("imports/<uuid:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<uuid:pk>/errors.csv", views.ImportErrorReportView.as_view(), name="import_error_report"),
]
