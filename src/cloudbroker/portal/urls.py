from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from cloudbroker.accounts import views as staff
from cloudbroker.imports import views as imports
from cloudbroker.organizations import views as orgs
from cloudbroker.portal import views
from cloudbroker.tenants import views as tenants


class FileFormatConverter:
    regex = "csv|xlsx|xml"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FileFormatConverter, "fmt")

app_name = "portal"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.DashboardView.as_view(), name="dashboard"),
    # Organizations
    path("organizations/", orgs.OrganizationListView.as_view(), name="organization_list"),
    path("organizations/new/", orgs.OrganizationCreateView.as_view(), name="organization_create"),
    path("organizations/new-multiple/", orgs.OrganizationBulkCreateView.as_view(), name="organization_bulk_create"),
    path("organizations/import/", imports.OrganizationImportView.as_view(), name="organization_import"),
    path(
        "organizations/import/template.<fmt:file_format>",
        imports.OrganizationTemplateView.as_view(),
        name="organization_import_template",
    ),
    path("organizations/export.<fmt:file_format>", orgs.OrganizationExportView.as_view(), name="organization_export"),
    path("imports/<uuid:pk>/", imports.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<uuid:pk>/errors.csv", imports.ImportErrorReportView.as_view(), name="import_error_report"),
    path("organizations/<uuid:pk>/", orgs.OrganizationDetailView.as_view(), name="organization_detail"),
    path("organizations/<uuid:pk>/edit/", orgs.OrganizationEditView.as_view(), name="organization_edit"),
    path("organizations/<uuid:pk>/delete/", orgs.OrganizationDeleteView.as_view(), name="organization_delete"),
    path("organizations/<uuid:pk>/domains/", orgs.OrganizationDomainAddView.as_view(), name="organization_domain_add"),
    path(
        "organizations/<uuid:pk>/domains/<uuid:domain_pk>/remove/",
        orgs.OrganizationDomainRemoveView.as_view(),
        name="organization_domain_remove",
    ),
    # Organization groups
    path("groups/", orgs.GroupListView.as_view(), name="group_list"),
    path("groups/new/", orgs.GroupCreateView.as_view(), name="group_create"),
    path("groups/<uuid:pk>/edit/", orgs.GroupEditView.as_view(), name="group_edit"),
    path("groups/<uuid:pk>/delete/", orgs.GroupDeleteView.as_view(), name="group_delete"),
    path("groups/<uuid:pk>/members/", orgs.GroupMembersView.as_view(), name="group_members"),
    # Broker
    path("administrators/", staff.StaffListView.as_view(), name="staff_list"),
    path("administrators/new/", staff.StaffCreateView.as_view(), name="staff_create"),
    path("administrators/<uuid:pk>/edit/", staff.StaffEditView.as_view(), name="staff_edit"),
    path("administrators/<uuid:pk>/active/", staff.StaffActiveView.as_view(), name="staff_active"),
    path("reseller-properties/", views.BrokerPropertiesView.as_view(), name="broker_properties"),
    path("api-tokens/", views.TokenListView.as_view(), name="tokens"),
    path("api-tokens/<uuid:pk>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
    path("jobs/<uuid:pk>/", views.JobDetailView.as_view(), name="job_detail"),
    # Partner Center and Microsoft 365 tenants
    path("partner-center/", tenants.ConnectionView.as_view(), name="partner_center"),
    path("tenants/", tenants.TenantListView.as_view(), name="tenant_list"),
    path("tenants/auto-link/", tenants.AutoLinkView.as_view(), name="tenant_auto_link"),
    path("tenants/domain-check/", tenants.DomainCheckView.as_view(), name="tenant_domain_check"),
    path("tenants/<uuid:pk>/", tenants.TenantDetailView.as_view(), name="tenant_detail"),
    path("organizations/<uuid:pk>/services/", tenants.OrganizationServicesView.as_view(), name="organization_services"),
    path(
        "organizations/<uuid:pk>/services/microsoft-365/",
        tenants.AddMicrosoft365View.as_view(),
        name="organization_add_microsoft365",
    ),
]
