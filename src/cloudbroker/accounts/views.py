"""Pages of accounts: signing in, the broker's staff users ("Administrators"), personal API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from cloudbroker.accounts import mfa, services, signin
from cloudbroker.accounts.forms import StaffForm
from cloudbroker.accounts.models import ApiToken, User
from cloudbroker.core.errors import DomainError
from cloudbroker.core.permissions import Perm, StaffRole
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.views import ActorMixin, apply_errors


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


class StaffListView(ActorMixin, View):
    required_perm = Perm.STAFF_VIEW

    def get(self, request):
        q = request.GET.get("q", "").strip()
        role = request.GET.get("role", "")
        qs = User.objects.visible_to(self.actor).prefetch_related("assigned_groups")
        if q:
            qs = qs.filter(Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
        if role in StaffRole.values:
            qs = qs.filter(staff_role=role)
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        return render(
            request, "accounts/staff_list.html", {"page": page, "q": q, "role": role, "roles": StaffRole.choices}
        )


class StaffCreateView(ActorMixin, View):
    required_perm = Perm.STAFF_MANAGE

    def get(self, request):
        return render(request, "accounts/staff_form.html", {"form": StaffForm(actor=self.actor)})

    def post(self, request):
        form = StaffForm(request.POST, actor=self.actor)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.create_staff_user(
                    actor=self.actor, data=data, password=data.get("password"), group_ids=data.get("groups") or []
                )
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"{user.email} was added as {user.get_staff_role_display()}.")
                return redirect("portal:staff_list")
        return render(request, "accounts/staff_form.html", {"form": form}, status=422)


class StaffEditView(StaffObjectMixin, View):
    required_perm = Perm.STAFF_MANAGE

    def initial(self):
        u = self.staff_user
        return {
            "first_name": u.first_name,
            "last_name": u.last_name,
            "staff_role": u.staff_role,
            "groups": [str(pk) for pk in u.assigned_groups.values_list("pk", flat=True)],
        }

    def get(self, request, pk):
        form = StaffForm(initial=self.initial(), actor=self.actor, editing=True)
        return render(request, "accounts/staff_form.html", {"form": form, "staff_user": self.staff_user})

    def post(self, request, pk):
        form = StaffForm(request.POST, actor=self.actor, editing=True)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_staff_user(
                    actor=self.actor, user=self.staff_user, data=data, group_ids=data.get("groups") or []
                )
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"{self.staff_user.email} was updated.")
                return redirect("portal:staff_list")
        return render(request, "accounts/staff_form.html", {"form": form, "staff_user": self.staff_user}, status=422)


class StaffActiveView(StaffObjectMixin, View):
    """Disable or enable an account (POST active=0/1)."""

    required_perm = Perm.STAFF_MANAGE

    def post(self, request, pk):
        active = request.POST.get("active") == "1"
        try:
            services.set_staff_active(actor=self.actor, user=self.staff_user, active=active)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{self.staff_user.email} was {'enabled' if active else 'disabled'}.")
        return redirect("portal:staff_list")


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
        return redirect("portal:tokens")


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
