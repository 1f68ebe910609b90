"""Login, dashboard, reseller properties and personal API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.views import View

from cloudbroker.accounts import services as account_services
from cloudbroker.accounts.models import ApiToken
from cloudbroker.accounts.roles import Perm
from cloudbroker.brokers import services as broker_services
from cloudbroker.brokers.choices import Currency
from cloudbroker.brokers.models import Broker
from cloudbroker.core.errors import DomainError
from cloudbroker.core.models import Job
from cloudbroker.organizations.models import Organization, OrganizationGroup
from cloudbroker.portal.mixins import ActorMixin, apply_errors, get_visible_or_404


class LoginForm(auth_views.AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        # E-mails are stored lower-case; people type them as they like.
        return self.cleaned_data["username"].strip().lower()


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class DashboardView(ActorMixin, View):
    def get(self, request):
        organizations = Organization.objects.visible_to(self.actor)
        return render(
            request,
            "portal/dashboard.html",
            {
                "organization_count": organizations.count(),
                "group_count": OrganizationGroup.objects.visible_to(self.actor).count(),
                "recent": organizations.order_by("-created_at")[:8],
            },
        )


class BrokerPropertiesForm(forms.Form):
    name = forms.CharField(max_length=200, label="Broker name")
    notification_email = forms.EmailField(help_text="Approval requests are sent here.")
    support_email = forms.EmailField(help_text="Support requests are sent here.")
    currency = forms.ChoiceField(choices=Currency.choices)


class BrokerPropertiesView(ActorMixin, View):
    """Reseller properties: shown to roles that may see them, editable by a Super Admin."""

    required_perm = Perm.BROKER_VIEW
    post_perm = Perm.BROKER_CHANGE
    template = "portal/broker_properties.html"

    def check_object_scope(self) -> None:
        self.broker = get_visible_or_404(Broker.objects, self.actor, self.actor.broker_id)

    def get(self, request):
        form = BrokerPropertiesForm(
            initial={f: getattr(self.broker, f) for f in broker_services.BROKER_PROPERTY_FIELDS}
        )
        return render(request, self.template, {"form": form, "can_edit": self.actor.has(Perm.BROKER_CHANGE)})

    def post(self, request):
        form = BrokerPropertiesForm(request.POST)
        if form.is_valid():
            try:
                broker_services.update_broker_properties(actor=self.actor, broker=self.broker, data=form.cleaned_data)
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "The reseller properties were updated.")
                return redirect("portal:broker_properties")
        return render(request, self.template, {"form": form, "can_edit": True}, status=422)


class TokenListView(ActorMixin, View):
    template = "portal/tokens.html"

    def get(self, request):
        return render(request, self.template, {"tokens": ApiToken.objects.visible_to(self.actor)})

    def post(self, request):
        try:
            token, raw = account_services.create_api_token(actor=self.actor, name=request.POST.get("name", ""))
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
        account_services.revoke_api_token(actor=self.actor, token=token)
        messages.success(request, f"The token {token.name} was revoked.")
        return redirect("portal:tokens")


class JobDetailView(ActorMixin, View):
    required_perm = Perm.JOB_VIEW

    def check_object_scope(self) -> None:
        self.job = get_visible_or_404(Job.objects, self.actor, self.kwargs["pk"])

    def get(self, request, pk):
        template = "portal/_job_progress.html" if request.htmx else "portal/job_detail.html"
        return render(request, template, {"job": self.job})
