"""Pages of accounts: signing in, the broker's staff users ("Administrators"), personal API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from cloudbroker.accounts import mfa, services, signin
from cloudbroker.accounts.forms import StaffFilterSet, StaffForm
from cloudbroker.accounts.models import ApiToken, User
from cloudbroker.accounts.tables import StaffTable
from cloudbroker.core.errors import DomainError
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.views import ActorMixin, Button, ObjectConfirmView, ObjectEditView, ObjectListView
from cloudbroker.organizations.models import OrganizationGroup


class LoginForm(auth_views.AuthenticationForm):
    """E-mail and password; the broker only when that address and password open several accounts."""

    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    broker = forms.CharField(required=False, widget=forms.HiddenInput)

    not_staff = False
    refusal = ""  # shown instead of the generic message when set
    brokers_to_choose: list[tuple[str, str]] = []

    def clean_username(self) -> str:
        # E-mails are stored lower-case; people type them as they like.
        return self.cleaned_data["username"].strip().lower()

    def clean(self):
        email = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        if email and self.request is not None and signin.should_slow_down(self.request, email):
            wait = signin.slow_down_seconds(email)
            if wait:
                self.refusal = (
                    f"Too many failed log-ins for this account from elsewhere. Try again in {wait} seconds, "
                    "or from a browser you have logged in with before."
                )
                raise forms.ValidationError(self.refusal, code="slowed_down")
        if email and password:
            broker = self.cleaned_data.get("broker") or None
            self.user_cache = authenticate(self.request, username=email, password=password, broker=broker)
            if self.user_cache is None:
                choices = getattr(self.request, "brokers_to_choose", None)
                if choices:
                    self.brokers_to_choose = choices
                    self.refusal = "This address and password open accounts at more than one broker: choose one."
                    raise forms.ValidationError(self.refusal, code="choose_broker")
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff_user:
            self.not_staff = True
            # Organization users get their own portal later; the broker portal is for staff only.
            raise forms.ValidationError("This account cannot use the broker portal.", code="not_staff")


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        signin.remember_device(self.request, response, form.get_user().email)
        return response


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
        user = self.staff_user
        return {
            "form": form,
            "staff_user": user,
            "tokens": ApiToken.objects.visible_to(self.actor).filter(user=user, revoked_at__isnull=True),
            "may_unlock": self.actor.has(Perm.ACCOUNT_UNLOCK),
            "has_two_factor": mfa.has_two_factor(user),
        }

    def save(self, form):
        data = form.cleaned_data
        return services.update_staff_user(
            actor=self.actor, user=self.staff_user, data=data, group_ids=data.get("groups") or []
        )

    def success(self, user):
        messages.success(self.request, f"{self.staff_user.email} was updated.")
        return redirect("portal:staff_list")


class StaffSecurityView(StaffObjectMixin, View):
    """A Super Admin unlocks an account locked by failed log-ins, or resets a lost second factor."""

    required_perm = Perm.ACCOUNT_UNLOCK

    def post(self, request, pk):
        user = self.staff_user
        if request.POST.get("action") == "reset_two_factor":
            mfa.reset_for(actor=self.actor, user=user)
            messages.success(request, f"{user.email} sets up a second factor again at the next log-in.")
        else:
            cleared = signin.unlock_account(actor=self.actor, user=user)
            messages.success(request, f"{user.email} is unlocked ({cleared} failed log-in records cleared).")
        return redirect("portal:staff_edit", pk=user.pk)


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
        return render(request, self.template, {"tokens": ApiToken.objects.owned_by(self.actor)})

    def post(self, request):
        try:
            token, raw = services.create_api_token(actor=self.actor, name=request.POST.get("name", ""))
        except DomainError as exc:
            messages.error(request, exc.errors[0].message if hasattr(exc, "errors") else exc.message)
            return redirect("portal:tokens")
        return render(
            request,
            self.template,
            {"tokens": ApiToken.objects.owned_by(self.actor), "new_token": raw, "new_token_name": token.name},
            status=201,
        )


class TokenRevokeView(ActorMixin, View):
    def post(self, request, pk):
        token = get_visible_or_404(ApiToken.objects, self.actor, pk)
        services.revoke_api_token(actor=self.actor, token=token)
        messages.success(request, f"The token {token.name} was revoked.")
        return redirect(_safe_next(request, reverse("portal:tokens")))


def _safe_next(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return target


class TwoFactorView(ActorMixin, View):
    """Set up, see and remove one's second factor (an authenticator app and recovery codes)."""

    template = "accounts/two_factor.html"

    def context(self, **extra):
        user = self.request.user
        enabled = mfa.has_two_factor(user)
        data = {"enabled": enabled, "required": mfa.required_for(user), "next": _safe_next(self.request, "")}
        # Someone who only knows the password must not replace the owner's authenticator.
        if not enabled:
            _device, key, qr = mfa.pending_setup(user)
            data.update(key=key, qr=qr)
        return {**data, **extra}

    def get(self, request):
        if mfa.has_two_factor(request.user) and not request.user.is_verified():
            return redirect("portal:two_factor_verify")
        return render(request, self.template, self.context())

    def post(self, request):
        if mfa.has_two_factor(request.user) and not request.user.is_verified():
            return redirect("portal:two_factor_verify")
        action = request.POST.get("action", "confirm")
        try:
            if action == "disable":
                mfa.disable(actor=self.actor, code=request.POST.get("code", ""))
                messages.success(request, "The second factor was removed from your account.")
                return redirect("portal:two_factor")
            codes = mfa.confirm_setup(actor=self.actor, request=request, code=request.POST.get("code", ""))
        except DomainError as exc:
            return render(request, self.template, self.context(error=_message_of(exc)), status=422)
        return render(request, self.template, self.context(recovery_codes=codes, next=_safe_next(request, "/")))


class TwoFactorVerifyView(View):
    """After the password: a code from the authenticator app, or a recovery code."""

    template = "accounts/two_factor_verify.html"

    def get(self, request):
        if not request.user.is_authenticated:
            return redirect("portal:login")
        return render(request, self.template, {"next": _safe_next(request)})

    def post(self, request):
        if not request.user.is_authenticated:
            return redirect("portal:login")
        if mfa.verify(request, request.POST.get("code", "")):
            return redirect(_safe_next(request))
        error = "That code is not right. Type the six digits your app shows now, or one of your recovery codes."
        return render(request, self.template, {"next": _safe_next(request), "error": error}, status=422)


def _message_of(exc: DomainError) -> str:
    errors = getattr(exc, "errors", None)
    return errors[0].message if errors else exc.message
