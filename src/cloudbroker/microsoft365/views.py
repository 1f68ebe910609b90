"""Portal pages: the Partner Center connection, the tenants (link existing ones), and an
organization's e-store where a Microsoft 365 tenant is created."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from cloudbroker.core.errors import DomainError, ValidationFailed
from cloudbroker.core.models import Job
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.views import ActorMixin, apply_errors
from cloudbroker.microsoft365 import provisioning, services
from cloudbroker.microsoft365.choices import JobKind, TenantStatus
from cloudbroker.microsoft365.forms import ConnectionForm, TenantRequestForm
from cloudbroker.microsoft365.models import MicrosoftTenant, PartnerCenterConnection
from cloudbroker.microsoft365.querysets import tenant_list_queryset
from cloudbroker.microsoft365.validation import initial_from_organization
from cloudbroker.organizations.forms import OrganizationForm
from cloudbroker.organizations.models import Organization


class ConnectionView(ActorMixin, View):
    required_perm = Perm.PARTNER_CENTER_SYNC
    template = "microsoft365/connection.html"

    def context(self, form=None, **extra):
        connection = PartnerCenterConnection.objects.visible_to(self.actor).first()
        if form is None:
            initial = {
                "authority_base": "https://login.microsoftonline.com",
                "api_base_url": "https://api.partnercenter.microsoft.com",
                "requests_per_minute": 450,
                "sync_enabled": True,
                "sync_interval_minutes": 60,
            }
            if connection:
                initial = {f: getattr(connection, f) for f in services.CONNECTION_FIELDS}
            form = ConnectionForm(initial=initial)
        last_sync = Job.objects.visible_to(self.actor).filter(kind=JobKind.SYNC).first()
        return {
            "form": form,
            "connection": connection,
            "last_sync": last_sync,
            "can_edit": self.actor.has(Perm.PARTNER_CENTER_MANAGE),
            **extra,
        }

    def get(self, request):
        return render(request, self.template, self.context())

    def post(self, request):
        action = request.POST.get("action", "save")
        try:
            if action == "test":
                ok, message = services.test_connection(actor=self.actor)
                (messages.success if ok else messages.error)(request, message)
            elif action == "sync":
                services.start_sync(actor=self.actor)
                messages.success(request, "The sync is running in the background.")
            else:
                self.actor.require(Perm.PARTNER_CENTER_MANAGE)
                form = ConnectionForm(request.POST)
                if not form.is_valid():
                    return render(request, self.template, self.context(form), status=422)
                try:
                    services.save_connection(actor=self.actor, data=form.cleaned_data)
                except DomainError as exc:
                    apply_errors(form, exc)
                    return render(request, self.template, self.context(form), status=422)
                messages.success(request, "The Partner Center connection was saved.")
        except DomainError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
        return redirect("portal:partner_center")


class CatalogSyncView(ActorMixin, View):
    """POST only (the catalog pages' "Sync from Partner Center" button): start the catalog sync and
    show its job; one already under way is shown instead of a second."""

    required_perm = Perm.CATALOG_MANAGE

    def post(self, request):
        try:
            job = services.start_catalog_sync(actor=self.actor)
        except services.CatalogSyncAlreadyRunning as exc:
            messages.info(request, exc.message)
            return redirect("portal:job_detail", pk=exc.details["job_id"])
        except DomainError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
            back = request.headers.get("referer", "")
            if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
                return redirect(back)
            return redirect("portal:partner_center")
        messages.success(request, "The catalog sync is running in the background.")
        return redirect("portal:job_detail", pk=job.pk)


class TenantListView(ActorMixin, View):
    """'Link tenant to organization': tenants found in Partner Center, linked or not."""

    required_perm = Perm.TENANT_VIEW

    def get(self, request):
        q = request.GET.get("q", "").strip()
        linked = request.GET.get("linked", "no" if self.actor.has(Perm.TENANT_LINK) else "yes")
        qs = tenant_list_queryset(self.actor, linked={"yes": True, "no": False}.get(linked), q=q)
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        return render(request, "microsoft365/tenant_list.html", {"page": page, "q": q, "linked": linked})


class AutoLinkView(ActorMixin, View):
    required_perm = Perm.TENANT_LINK

    def post(self, request):
        try:
            report = services.auto_create_and_link(actor=self.actor)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("portal:tenant_list")
        return render(request, "microsoft365/auto_link_report.html", {"report": report})


class TenantDetailView(ActorMixin, View):
    required_perm = Perm.TENANT_VIEW
    post_perm = Perm.TENANT_LINK

    def check_object_scope(self) -> None:
        self.tenant = get_visible_or_404(
            MicrosoftTenant.objects.select_related("organization"), self.actor, self.kwargs["pk"]
        )

    def context(self, form=None, **extra):
        tenant = self.tenant
        if form is None and tenant.organization_id is None and self.actor.has(Perm.TENANT_LINK):
            form = OrganizationForm(
                initial=services.organization_data_from_tenant(services.ensure_profiles(tenant)),
                actor=self.actor,
                creating=True,
            )
        q = self.request.GET.get("q", "").strip()
        candidates = []
        if q and tenant.organization_id is None:
            candidates = list(
                Organization.objects.visible_to(self.actor)
                .search(q)
                .filter(microsoft_tenant__isnull=True)
                .order_by("name")[:20]
            )
        return {
            "tenant": tenant,
            "form": form,
            "q": q,
            "candidates": candidates,
            "subscriptions": tenant.subscriptions.filter(removed=False)[:200],
            "users": tenant.users.filter(removed=False)[:200],
            **extra,
        }

    def get(self, request, pk):
        return render(request, "microsoft365/tenant_detail.html", self.context())

    def post(self, request, pk):
        action = request.POST.get("action")
        try:
            if action == "link":
                organization = get_visible_or_404(Organization.objects, self.actor, request.POST.get("organization"))
                services.link_tenant(actor=self.actor, tenant=self.tenant, organization=organization)
                messages.success(request, f"The tenant was linked to {organization.name}.")
            elif action == "unlink":
                services.unlink_tenant(actor=self.actor, tenant=self.tenant)
                messages.success(request, "The tenant was unlinked. Partner Center was not changed.")
            elif action == "create":
                form = OrganizationForm(request.POST, actor=self.actor, creating=True)
                if form.is_valid():
                    try:
                        organization = services.create_organization_and_link(
                            actor=self.actor, tenant=self.tenant, data=form.service_data(), group_ids=form.group_ids()
                        )
                    except DomainError as exc:
                        apply_errors(form, exc)
                    else:
                        messages.success(request, f"{organization.name} was created and linked.")
                        return redirect("portal:organization_detail", pk=organization.pk)
                return render(request, "microsoft365/tenant_detail.html", self.context(form), status=422)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("portal:tenant_detail", pk=pk)


class OrganizationServicesView(ActorMixin, View):
    """An organization's e-store: the services it has and can add."""

    required_perm = Perm.ORGANIZATION_VIEW

    def check_object_scope(self) -> None:
        self.organization = get_visible_or_404(Organization.objects, self.actor, self.kwargs["pk"])

    def get(self, request, pk):
        tenant = MicrosoftTenant.objects.visible_to(self.actor).filter(organization=self.organization).first()
        return render(request, "microsoft365/organization_services.html", {"org": self.organization, "tenant": tenant})


class AddMicrosoft365View(ActorMixin, View):
    """Add service → Microsoft 365 CSP Direct: a tenant from the organization's record."""

    required_perm = Perm.TENANT_MANAGE
    template = "microsoft365/add_microsoft365.html"

    def check_object_scope(self) -> None:
        self.organization = get_visible_or_404(Organization.objects, self.actor, self.kwargs["pk"])

    def context(self, form):
        from cloudbroker.microsoft365.validation import clean_tenant_request

        _, errors = clean_tenant_request(form.data if form.is_bound else form.initial)
        missing = [e.message for e in errors if e.code == "required"]
        return {"org": self.organization, "form": form, "missing": missing}

    def get(self, request, pk):
        form = TenantRequestForm(initial=initial_from_organization(self.organization))
        return render(request, self.template, self.context(form))

    def post(self, request, pk):
        form = TenantRequestForm(request.POST)
        if form.is_valid():
            try:
                provisioning.request_tenant(actor=self.actor, organization=self.organization, data=form.cleaned_data)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    "The Microsoft 365 tenant is being created. The contact will get the admin login by e-mail.",
                )
                return redirect("portal:organization_services", pk=pk)
        return render(request, self.template, self.context(form), status=422)


class DomainCheckView(ActorMixin, View):
    """htmx: 'Check availability' of the chosen *.onmicrosoft.com name."""

    required_perm = Perm.TENANT_MANAGE

    def get(self, request):
        try:
            domain, available = provisioning.check_domain(actor=self.actor, prefix=request.GET.get("domain_prefix", ""))
        except DomainError as exc:
            text = exc.errors[0].message if isinstance(exc, ValidationFailed) else exc.message
            return render(request, "microsoft365/_domain_check.html", {"error": text})
        return render(request, "microsoft365/_domain_check.html", {"domain": domain, "available": available})


def organization_panel(actor, organization):
    """The Microsoft 365 tenant on the organization's own page (registered with organizations)."""
    if not actor.has(Perm.TENANT_VIEW):
        return None
    tenant = MicrosoftTenant.objects.visible_to(actor).filter(organization=organization).first()
    can_add = actor.has(Perm.TENANT_MANAGE) and (tenant is None or tenant.status == TenantStatus.FAILED)
    return "microsoft365/_organization_panel.html", {"tenant": tenant, "org": organization, "can_add": can_add}
