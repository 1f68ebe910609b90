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
    path(
        "organizations/<uuid:pk>/subscriptions/",
        views.SubscriptionListView.as_view(),
        name="organization_subscriptions",
    ),
    path("organizations/<uuid:pk>/subscriptions/add/", views.SubscriptionAddView.as_view(), name="subscription_add"),
    path("subscriptions/<uuid:pk>/", views.SubscriptionDetailView.as_view(), name="subscription_detail"),
    path("subscriptions/<uuid:pk>/quantity/", views.SubscriptionQuantityView.as_view(), name="subscription_quantity"),
    path("subscriptions/<uuid:pk>/add-on/", views.SubscriptionAddonView.as_view(), name="subscription_addon"),
    path("subscriptions/<uuid:pk>/edit/", views.SubscriptionEditView.as_view(), name="subscription_edit"),
    path("subscriptions/<uuid:pk>/price/", views.SubscriptionPriceView.as_view(), name="subscription_price"),
    path("subscriptions/<uuid:pk>/suspend/", views.SubscriptionSuspendView.as_view(), name="subscription_suspend"),
    path("subscriptions/<uuid:pk>/activate/", views.SubscriptionActivateView.as_view(), name="subscription_activate"),
    path(
        "subscriptions/<uuid:pk>/auto-renew/",
        views.SubscriptionAutoRenewView.as_view(),
        name="subscription_auto_renew",
    ),
    path("subscriptions/<uuid:pk>/cancel/", views.SubscriptionCancelView.as_view(), name="subscription_cancel"),
    path("subscriptions/<uuid:pk>/next-term/", views.SubscriptionNextTermView.as_view(), name="subscription_next_term"),
    path("subscriptions/<uuid:pk>/upgrade/", views.SubscriptionUpgradeView.as_view(), name="subscription_upgrade"),
]
