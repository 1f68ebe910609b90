from django.contrib.auth import views as auth_views
from django.urls import path

from cloudbroker.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("administrators/", views.StaffListView.as_view(), name="staff_list"),
    path("administrators/new/", views.StaffCreateView.as_view(), name="staff_create"),
    path("administrators/<uuid:pk>/edit/", views.StaffEditView.as_view(), name="staff_edit"),
    path("administrators/<uuid:pk>/active/", views.StaffActiveView.as_view(), name="staff_active"),
    path("account/two-factor/", views.TwoFactorView.as_view(), name="two_factor"),
    path("account/two-factor/verify/", views.TwoFactorVerifyView.as_view(), name="two_factor_verify"),
    path("administrators/<uuid:pk>/security/", views.StaffSecurityView.as_view(), name="staff_security"),
    path("api-tokens/", views.TokenListView.as_view(), name="tokens"),
    path("api-tokens/<uuid:pk>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
]
