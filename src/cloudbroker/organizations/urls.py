from django.urls import path

from cloudbroker.core import converters  # noqa: F401  (<fmt:…>)
from cloudbroker.organizations import views

urlpatterns = [
    path("organizations/", views.OrganizationListView.as_view(), name="organization_list"),
    path("organizations/new/", views.OrganizationCreateView.as_view(), name="organization_create"),
    path("organizations/new-multiple/", views.OrganizationBulkCreateView.as_view(), name="organization_bulk_create"),
    path("organizations/export.<fmt:file_format>", views.OrganizationExportView.as_view(), name="organization_export"),
    path("organizations/<uuid:pk>/", views.OrganizationDetailView.as_view(), name="organization_detail"),
    path("organizations/<uuid:pk>/edit/", views.OrganizationEditView.as_view(), name="organization_edit"),
    path("organizations/<uuid:pk>/delete/", views.OrganizationDeleteView.as_view(), name="organization_delete"),
    path("organizations/<uuid:pk>/domains/", views.OrganizationDomainAddView.as_view(), name="organization_domain_add"),
    path(
        "organizations/<uuid:pk>/domains/<uuid:domain_pk>/remove/",
        views.OrganizationDomainRemoveView.as_view(),
        name="organization_domain_remove",
    ),
    path("groups/", views.GroupListView.as_view(), name="group_list"),
    path("groups/new/", views.GroupCreateView.as_view(), name="group_create"),
    path("groups/<uuid:pk>/edit/", views.GroupEditView.as_view(), name="group_edit"),
    path("groups/<uuid:pk>/delete/", views.GroupDeleteView.as_view(), name="group_delete"),
    path("groups/<uuid:pk>/members/", views.GroupMembersView.as_view(), name="group_members"),
]
