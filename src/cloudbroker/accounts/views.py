"""Pages of accounts: signing in, the broker's staff users ("Administrators"), personal API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from cloudbroker.accounts import services
from cloudbroker.accounts.forms import StaffFilterSet, StaffForm
from cloudbroker.accounts.models import ApiToken, User
from cloudbroker.accounts.tables import StaffTable
from cloudbroker.core.errors import DomainError
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.views import ActorMixin, Button, ObjectConfirmView, ObjectEditView, ObjectListView
from cloudbroker.organizations.models import OrganizationGroup


class LoginForm(auth_views.AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        # E-mails are stored lower-case; people type them as they like.
        return self.cleaned_data["username"].strip().lower()


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class StaffObjectMixin(ActorMixin):
    def check_object_scope(self) -> None:
        self.staff_user = get_visible_or_404(User.objects, self.actor, self.kwargs["pk"])


class StaffListView(ObjectListView):
    required_perm = Perm.STAFF_VIEW
    title = "Administrators"
    table = StaffTable
    filterset = StaffFilterSet
    default_sort = "email"
    empty_text = "No administrators yet."
    empty_filtered_text = "No administrators match."
    buttons = (Button("New administrator", "portal:staff_create", Perm.STAFF_MANAGE, primary=True, icon="plus"),)

    def get_queryset(self):
        groups = Prefetch("assigned_groups", queryset=OrganizationGroup.objects.only("id", "name").order_by("name"))
        return User.objects.visible_to(self.actor).prefetch_related(groups)


class StaffCreateView(ObjectEditView):
    required_perm = Perm.STAFF_MANAGE
    form_class = StaffForm
    template_name = "accounts/staff_form.html"

    def get_form_kwargs(self) -> dict:
        return {"actor": self.actor}

    def save(self, form):
        data = form.cleaned_data
        return services.create_staff_user(
            actor=self.actor, data=data, password=data.get("password"), group_ids=data.get("groups") or []
        )

    def success(self, user):
        messages.success(self.request, f"{user.email} was added as {user.get_staff_role_display()}.")
        return redirect("portal:staff_list")


class StaffEditView(StaffObjectMixin, ObjectEditView):
    required_perm = Perm.STAFF_MANAGE
    form_class = StaffForm
    template_name = "accounts/staff_form.html"

    def get_initial(self) -> dict:
        u = self.staff_user
        return {
            "first_name": u.first_name,
            "last_name": u.last_name,
            "staff_role": u.staff_role,
            "groups": [str(pk) for pk in u.assigned_groups.values_list("pk", flat=True)],
        }

    def get_form_kwargs(self) -> dict:
        return {"actor": self.actor, "editing": True}

    def get_context_data(self, form) -> dict:
        return {"form": form, "staff_user": self.staff_user}

    def save(self, form):
        data = form.cleaned_data
        return services.update_staff_user(
            actor=self.actor, user=self.staff_user, data=data, group_ids=data.get("groups") or []
        )

    def success(self, user):
        messages.success(self.request, f"{self.staff_user.email} was updated.")
        return redirect("portal:staff_list")


class StaffActiveView(StaffObjectMixin, ObjectConfirmView):
    """Disable or enable an account: GET asks (``?active=0`` or ``1``), POST does it."""

    required_perm = Perm.STAFF_MANAGE

    def check_object_scope(self) -> None:
        super().check_object_scope()
        self.object = self.staff_user
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        self.activate = source.get("active") == "1"

    def get_question(self) -> str:
        return f"{'Enable' if self.activate else 'Disable'} {self.object.email}?"

    def get_warning(self) -> str:
        if self.activate:
            return "They can sign in again with their password and use their API tokens."
        return "They are signed out at their next request and cannot sign in or use their API tokens until enabled."

    @property
    def button_label(self) -> str:
        return "Enable" if self.activate else "Disable"

    @property
    def danger(self) -> bool:
        return not self.activate

    def get_done_message(self) -> str:
        return f"{self.object.email} was {'enabled' if self.activate else 'disabled'}."

    def get_fields(self) -> dict:
        return {"active": "1" if self.activate else "0"}

    def perform(self, obj) -> None:
        services.set_staff_active(actor=self.actor, user=obj, active=self.activate)

    def get_success_url(self) -> str:
        return reverse("portal:staff_list")


class TokenListView(ActorMixin, View):
    template = "accounts/tokens.html"

    def get(self, request):
        return render(request, self.template, {"tokens": ApiToken.objects.visible_to(self.actor)})

    def post(self, request):
        try:
            token, raw = services.create_api_token(actor=self.actor, name=request.POST.get("name", ""))
        except DomainError as exc:
            messages.error(request, exc.errors[0].message if hasattr(exc, "errors") else exc.message)
            return redirect("portal:tokens")
        return render(
            request,
            self.template,
            {"tokens": ApiToken.objects.visible_to(self.actor), "new_token": raw, "new_token_name": token.name},
            status=201,
        )


class TokenRevokeView(ActorMixin, View):
    def post(self, request, pk):
        token = get_visible_or_404(ApiToken.objects, self.actor, pk)
        services.revoke_api_token(actor=self.actor, token=token)
        messages.success(request, f"The token {token.name} was revoked.")
        return redirect("portal:tokens")
