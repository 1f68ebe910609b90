"""Portal pages: the Partner Center connection, the tenants (link existing ones), and an
organization's e-store where a Microsoft 365 tenant is created."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from cloudbroker.catalog.choices import BillingPlan, TermDuration
from cloudbroker.catalog.models import Offer, Product
from cloudbroker.catalog.pricing import margin_percent
from cloudbroker.catalog.services import broker_of, offered_offers
from cloudbroker.core.errors import DomainError, FieldError, ValidationFailed
from cloudbroker.core.models import Job
from cloudbroker.core.money import Money
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404
from cloudbroker.core.templatetags.money import format_money
from cloudbroker.core.views import ActorMixin, ObjectConfirmView, ObjectListView, ObjectMixin, apply_errors
from cloudbroker.microsoft365 import changes, nce, ordering, provisioning, services
from cloudbroker.microsoft365.choices import JobKind, TenantStatus
from cloudbroker.microsoft365.forms import (
    AddonForm,
    BuySubscriptionForm,
    ConnectionForm,
    NextTermForm,
    QuantityForm,
    RenameForm,
    SalesPriceForm,
    TenantRequestForm,
    UpgradeForm,
)
from cloudbroker.microsoft365.models import MicrosoftTenant, PartnerCenterConnection
from cloudbroker.microsoft365.querysets import tenant_list_queryset
from cloudbroker.microsoft365.tables import SubscriptionTable, lot_rows
from cloudbroker.microsoft365.validation import initial_from_organization
from cloudbroker.organizations.forms import OrganizationForm
from cloudbroker.organizations.models import Organization
from cloudbroker.subscriptions import services as subscription_services
from cloudbroker.subscriptions.choices import SubscriptionStatus
from cloudbroker.subscriptions.models import Subscription


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


# -- NCE subscriptions (seed 001 §3–§5) ---------------------------------------------------------------
#
# Every page reads through ``visible_to`` (out of scope: 404) and makes one service call; the rules
# (what may be bought, which seats may go, what a cancellation refunds) are the services'.


def _day(raw) -> dt.date | None:
    """A typed date, to know which day's catalog and prices to show (the service validates it)."""
    try:
        return dt.date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def _int(raw) -> int | None:
    """A typed whole number, to know what to preview (the service validates it)."""
    try:
        return int(str(raw or "").strip())
    except ValueError:
        return None


@dataclass
class BuyChoices:
    """What the Add subscription form offers for what was chosen so far: each choice narrows the next
    (category → billing cycle → product group → product → term), over the offers for sale that day."""

    offers: list[Offer]
    selected: dict[str, str]
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    product: Product | None = None
    offer: Offer | None = None

    KEYS: ClassVar[tuple[str, ...]] = ("category", "billing_plan", "group", "product", "term")

    @classmethod
    def build(cls, offers: list[Offer], data) -> BuyChoices:
        choices = cls(offers, {})
        remaining = offers
        steps: list[tuple[str, Callable[[Offer], tuple[str, str, tuple]]]] = [
            (
                "category",
                lambda o: (
                    str(o.product.category_id),
                    o.product.category.name,
                    (o.product.category.position, o.product.category.name),
                ),
            ),
            (
                "billing_plan",
                lambda o: (o.billing_plan, o.get_billing_plan_display(), (BillingPlan(o.billing_plan).months,)),
            ),
            (
                "group",
                lambda o: (
                    str(o.product.group_id),
                    o.product.group.name,
                    (o.product.group.position, o.product.group.name),
                ),
            ),
            ("product", lambda o: (str(o.product_id), o.product.title, (o.product.title,))),
            ("term", lambda o: (o.term, o.get_term_display(), (TermDuration(o.term).months,))),
        ]
        for key, describe in steps:
            found: dict[str, tuple[str, tuple]] = {}
            for offer in remaining:
                value, label, order = describe(offer)
                found[value] = (label, order)
            choices.options[key] = [(v, label) for v, (label, _) in sorted(found.items(), key=lambda i: i[1][1])]
            wanted = str(data.get(key) or "")
            if wanted not in found and len(found) == 1:
                wanted = next(iter(found))  # one choice only: it is chosen
            if wanted in found:
                choices.selected[key] = wanted
                remaining = [o for o in remaining if describe(o)[0] == wanted]
            else:
                remaining = []
            if key == "product":
                choices.titles = {str(o.product_id): o.product.description or o.product.title for o in offers}
                if remaining:
                    choices.product = remaining[0].product
        if len(remaining) == 1 and set(choices.selected) == set(cls.KEYS):
            choices.offer = remaining[0]
        return choices

    def bound_data(self, data) -> dict:
        """The form's data with the choices as narrowed (stale ones dropped, single ones chosen)."""
        bound = {k: data.get(k, "") for k in ("friendly_name", "po_number", "quantity", "provision_on", "align_end")}
        bound.update({k: self.selected.get(k, "") for k in self.KEYS})
        return bound


CHARGE_WORDS: dict[str, str] = {
    BillingPlan.MONTHLY: "month",
    BillingPlan.ANNUAL: "year",
    BillingPlan.TRIENNIAL: "three years",
}


def charge_word(billing_plan: str) -> str:
    """What one charge covers, for "per seat per month"."""
    return CHARGE_WORDS.get(billing_plan, "charge")


def _absolute(money: Money | None) -> Money | None:
    return None if money is None else Money(abs(money.amount), money.currency)


def _money(amount, currency: str) -> Money | None:
    return None if amount is None or not currency else Money(amount, currency)


def price_rows(prices) -> list[tuple[dt.date, Money]]:
    """The sales price per period, newest first, as amounts to show."""
    return [(p.valid_from, Money(p.unit_price, p.currency)) for p in prices.order_by("-valid_from")]


def history_rows(events) -> list[tuple]:
    """Each event with its prices before and after and its details in words ("Friendly name",
    "Old → New")."""
    rows = []
    for event in events:
        details = []
        for key, value in (event.detail or {}).items():
            if isinstance(value, list) and len(value) == 2:
                value = f"{value[0] or '—'} → {value[1] or '—'}"
            elif isinstance(value, bool):
                value = "on" if value else "off"
            elif isinstance(value, dict):
                value = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
            details.append((key.replace("_", " ").capitalize(), value))
        rows.append(
            (event, details, _money(event.price_before, event.currency), _money(event.price_after, event.currency))
        )
    return rows


def _buy_errors(exc: ValidationFailed) -> ValidationFailed:
    """The service names the item code ``offer``; on the form it is chosen as the product."""
    return ValidationFailed(
        [FieldError("product" if e.field == "offer" else e.field, e.message, e.code) for e in exc.errors]
    )


class SubscriptionListView(ObjectListView):
    """My services → Microsoft 365 → Subscriptions of one organization."""

    required_perm = Perm.SUBSCRIPTION_VIEW
    table = SubscriptionTable
    template_name = "microsoft365/organization_subscriptions.html"
    default_sort = "product"
    empty_text = "No subscriptions yet."
    per_page = 100

    def check_object_scope(self) -> None:
        self.organization = get_visible_or_404(Organization.objects, self.actor, self.kwargs["pk"])
        self.title = f"Subscriptions of {self.organization.name}"

    def get_queryset(self):
        qs = (
            Subscription.objects.visible_to(self.actor)
            .filter(organization=self.organization)
            .select_related("offer__product", "parent__offer__product")
            .prefetch_related("lots")
        )
        if self.request.GET.get("ended") != "1":
            qs = qs.exclude(status__in=(SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED))
        return qs

    def get_extra_context(self) -> dict:
        return {
            "org": self.organization,
            "show_ended": self.request.GET.get("ended") == "1",
            "no_tenant": None
            if ordering.buying_tenant(self.organization)
            else ordering.no_tenant_reason(self.organization),
        }


class SubscriptionAddView(ActorMixin, View):
    """Add subscription (seed 001 §3–§4): the choices narrow each other; the price of the quantity
    and, for roles that see cost, the margin are shown before "Create subscription". htmx re-renders
    the form as a choice (or the quantity or a date) changes; without JavaScript "Show price" does
    the same."""

    required_perm = Perm.SUBSCRIPTION_MANAGE
    template = "microsoft365/subscription_add.html"

    def check_object_scope(self) -> None:
        self.organization = get_visible_or_404(Organization.objects, self.actor, self.kwargs["pk"])

    def form(self, data) -> tuple[BuySubscriptionForm, BuyChoices]:
        broker = broker_of(self.actor)
        day = _day(data.get("provision_on")) or timezone.localdate()
        offers = list(
            offered_offers(broker, organization=self.organization, day=day)
            .filter(product__is_addon=False)
            .order_by("product__title", "item_code")
        )
        choices = BuyChoices.build(offers, data)
        live = (
            Subscription.objects.visible_to(self.actor)
            .filter(organization=self.organization, status__in=SubscriptionStatus.live(), commitment_end__isnull=False)
            .select_related("offer__product")
            .order_by("commitment_end")
        )
        align = [("", "A full term from the start"), ("calendar", "The end of a calendar month")] + [
            (str(s.pk), f"With {s} (ends {s.commitment_end:%d/%m/%Y})") for s in live
        ]
        form = BuySubscriptionForm(
            choices.bound_data(data),
            choices=choices,
            align_choices=align,
            refresh_url=reverse("portal:subscription_add", args=[self.organization.pk]),
        )
        form.is_valid()  # nothing is required: this only fills cleaned_data for the page
        return form, choices

    def context(self, form, choices, *, data, quote_it: bool) -> dict:
        quote = None
        quantity = _int(data.get("quantity"))
        if quote_it and choices.offer is not None and quantity and quantity > 0:
            day = _day(data.get("provision_on"))
            quote = ordering.quote(
                self.actor,
                organization=self.organization,
                offer=choices.offer,
                quantity=quantity,
                day=day if day and day > timezone.localdate() else None,
            )
        return {
            "org": self.organization,
            "form": form,
            "choices": choices,
            "quote": quote,
            "per": charge_word(quote.offer.billing_plan) if quote else "",
            "price_source": quote.price.source_for(with_cost=self.actor.has(Perm.COST_VIEW)) if quote else "",
            "no_tenant": None
            if ordering.buying_tenant(self.organization)
            else ordering.no_tenant_reason(self.organization),
            "sees_prices": self.actor.has(Perm.PRICE_VIEW),
            "sees_cost": self.actor.has(Perm.COST_VIEW),
        }

    def get(self, request, pk):
        form, choices = self.form(request.GET)
        template = "microsoft365/_subscription_buy_form.html" if request.htmx else self.template
        return render(request, template, self.context(form, choices, data=request.GET, quote_it=True))

    def post(self, request, pk):
        form, choices = self.form(request.POST)
        if request.POST.get("refresh"):  # "Show price" (or htmx as choices change): nothing is bought
            template = "microsoft365/_subscription_buy_form.html" if request.htmx else self.template
            return render(request, template, self.context(form, choices, data=request.POST, quote_it=True))
        data = {
            "offer": choices.offer.item_code if choices.offer else "",
            **{k: request.POST.get(k, "") for k in ("quantity", "friendly_name", "po_number", "provision_on")},
            "align_end": request.POST.get("align_end", ""),
        }
        try:
            made = ordering.buy(self.actor, organization=self.organization, data=data)
        except ValidationFailed as exc:
            apply_errors(form, _buy_errors(exc))
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            sub = made[0]
            if sub.status == SubscriptionStatus.SCHEDULED:
                messages.success(request, f"{sub} is scheduled: it will be bought on {sub.provision_on:%d/%m/%Y}.")
            else:
                messages.success(request, f"{sub} is being created in Partner Center.")
            return redirect("portal:organization_subscriptions", pk=pk)
        return render(request, self.template, self.context(form, choices, data=request.POST, quote_it=True), status=422)


class SubscriptionMixin(ObjectMixin):
    model = Subscription

    def get_scoped_queryset(self):
        return Subscription.objects.select_related("offer__product", "organization", "parent__offer__product")

    def detail_url(self) -> str:
        return reverse("portal:subscription_detail", args=[self.object.pk])


class SubscriptionDetailView(SubscriptionMixin, View):
    """A subscription: its status and dates, the lots of seats with their deadlines, the sales price
    per period, the add-ons and the history; the buttons lead to each change."""

    required_perm = Perm.SUBSCRIPTION_VIEW

    def get(self, request, pk):
        sub = self.object
        sees_cost = self.actor.has(Perm.COST_VIEW)
        margin = None
        if sees_cost and sub.unit_price is not None and sub.unit_cost is not None:
            margin = margin_percent(Money(sub.unit_price, sub.currency), Money(sub.unit_cost, sub.currency))
        events = history_rows(sub.events.order_by("-occurred_at", "-id")[:500])
        return render(
            request,
            "microsoft365/subscription_detail.html",
            {
                "sub": sub,
                "org": sub.organization,
                "lots": lot_rows(sub),
                "prices": price_rows(sub.prices) if self.actor.has(Perm.PRICE_VIEW) else [],
                "addons": Subscription.objects.visible_to(self.actor)
                .filter(parent=sub)
                .select_related("offer__product"),
                "events": events,
                "unit_price": Money(sub.unit_price, sub.currency) if sub.unit_price is not None else None,
                "unit_cost": Money(sub.unit_cost, sub.currency) if sees_cost and sub.unit_cost is not None else None,
                "margin": margin,
                "sees_prices": self.actor.has(Perm.PRICE_VIEW),
                "sees_cost": sees_cost,
                "live": sub.is_live,
                "per": charge_word(sub.billing_plan),
                "S": SubscriptionStatus,
            },
        )


class SubscriptionFormView(SubscriptionMixin, View):
    """A change to one subscription on a page of its own: GET shows the form (and what the change
    would do), POST makes the one service call; field errors land on their fields."""

    required_perm = Perm.SUBSCRIPTION_MANAGE
    template_name = ""

    def make_form(self, data=None):  # pragma: no cover - every page declares it
        raise NotImplementedError

    def extra(self, form) -> dict:
        return {}

    def save(self, form) -> str:  # pragma: no cover - every page declares it
        """The service call; returns the message to show."""
        raise NotImplementedError

    def render_form(self, form, status=200):
        context = {"sub": self.object, "org": self.object.organization, "form": form, **self.extra(form)}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self.render_form(self.make_form())

    def post(self, request, pk):
        form = self.make_form(request.POST)
        form.is_valid()
        try:
            message = self.save(form)
        except DomainError as exc:
            apply_errors(form, exc)
            return self.render_form(form, status=422)
        messages.success(request, message)
        return redirect(self.detail_url())


class SubscriptionQuantityView(SubscriptionFormView):
    """Change quantity: the new quantity's cost (or refund) and the lots' deadlines first, then Update."""

    template_name = "microsoft365/subscription_quantity.html"

    def make_form(self, data=None):
        if data is None and "quantity" in self.request.GET:
            data = self.request.GET
        return QuantityForm(data, initial={"quantity": self.object.quantity})

    def extra(self, form) -> dict:
        preview = None
        if form.is_bound and not form.errors:
            try:
                preview = changes.quantity_preview(
                    self.actor, subscription=self.object, quantity=form.cleaned_data["quantity"]
                )
            except ValidationFailed as exc:
                apply_errors(form, exc)
        return {
            "preview": preview,
            "per": charge_word(self.object.billing_plan),
            "refund": _absolute(preview.prorated)
            if preview and preview.prorated and preview.prorated.amount < 0
            else None,
            "lots": lot_rows(self.object),
            "sees_prices": self.actor.has(Perm.PRICE_VIEW),
        }

    def get(self, request, pk):
        template = "microsoft365/_quantity_preview.html" if request.htmx else self.template_name
        form = self.make_form()
        context = {
            "sub": self.object,
            "org": self.object.organization,
            "form": form,
            "partial": bool(request.htmx),
            **self.extra(form),
        }
        return render(request, template, context)

    def save(self, form) -> str:
        before = self.object.quantity
        sub = changes.change_quantity(self.actor, subscription=self.object, quantity=form.cleaned_data["quantity"])
        return f"The quantity change ({before} → {form.cleaned_data['quantity']}) was sent to Partner Center: {sub}."


class SubscriptionEditView(SubscriptionFormView):
    """Rename: the friendly name (also in Partner Center) and the PO number (ours)."""

    template_name = "microsoft365/subscription_edit.html"

    def make_form(self, data=None):
        return RenameForm(
            data, initial={"friendly_name": self.object.friendly_name, "po_number": self.object.po_number}
        )

    def save(self, form) -> str:
        sub = changes.rename(self.actor, subscription=self.object, data=form.cleaned_data)
        if sub.change_pending:
            return "Saved; the new name was sent to Partner Center."
        return "Saved."


class SubscriptionPriceView(SubscriptionFormView):
    """Manage historic sales price: the price per seat from a day on (the price list is not changed)."""

    required_perm = Perm.CUSTOMER_PRICE_CHANGE
    template_name = "microsoft365/subscription_price.html"

    def make_form(self, data=None):
        sub = self.object
        today = timezone.localdate()
        current = subscription_services.price_on(sub, today)
        initial = {
            "valid_from": (sub.start_date or today).isoformat(),
            "unit_price": f"{current.amount.normalize():f}" if current else "",
        }
        return SalesPriceForm(data, initial=initial)

    def extra(self, form) -> dict:
        return {"prices": price_rows(self.object.prices), "per": charge_word(self.object.billing_plan)}

    def save(self, form) -> str:
        row = subscription_services.set_sales_price(
            actor=self.actor,
            subscription=self.object,
            valid_from=form.cleaned_data["valid_from"],
            unit_price=form.cleaned_data["unit_price"],
        )
        return f"The sales price is {format_money(Money(row.unit_price, row.currency))} from {row.valid_from:%d/%m/%Y}."


class SubscriptionAddonView(SubscriptionFormView):
    """Manage add-ons: an add-on for this subscription, on its term, ending with it."""

    template_name = "microsoft365/subscription_addon.html"

    def offers(self) -> list[Offer]:
        base = self.object
        return list(
            offered_offers(broker_of(self.actor), organization=base.organization)
            .filter(product__is_addon=True, product__attaches_to=base.offer.product, term=base.term)
            .order_by("product__title", "billing_plan")
        )

    def make_form(self, data=None):
        return AddonForm(data, offers=self.offers())

    def post(self, request, pk):
        if request.POST.get("refresh"):  # "Show price": nothing is bought
            form = self.make_form(request.POST)
            form.is_valid()
            return self.render_form(form)
        return super().post(request, pk)

    def extra(self, form) -> dict:
        quote = None
        if form.is_bound and self.actor.has(Perm.PRICE_VIEW):
            code = form.data.get("offer")
            offer = next((o for o in self.offers() if o.item_code == code), None)
            quantity = _int(form.data.get("quantity"))
            if offer is not None and quantity and quantity > 0:
                quote = ordering.quote(
                    self.actor, organization=self.object.organization, offer=offer, quantity=quantity
                )
        return {
            "quote": quote,
            "sees_prices": self.actor.has(Perm.PRICE_VIEW),
            "sees_cost": self.actor.has(Perm.COST_VIEW),
        }

    def save(self, form) -> str:
        addon = ordering.buy_addon(
            self.actor,
            subscription=self.object,
            data={"offer": form.data.get("offer", ""), "quantity": form.data.get("quantity", "")},
        )
        return f"{addon} is being added in Partner Center."


class SubscriptionNextTermView(SubscriptionFormView):
    """Changes for the next term: the quantity and the term or billing plan it renews with (sent to
    Partner Center as scheduled next-term instructions); or renew without changes."""

    template_name = "microsoft365/subscription_next_term.html"

    def offers(self) -> list[Offer]:
        base = self.object
        return list(
            offered_offers(broker_of(self.actor), organization=base.organization)
            .filter(product=base.offer.product)
            .order_by("term", "billing_plan")
        )

    def make_form(self, data=None):
        sub = self.object
        initial = {
            "quantity": self.request.GET.get("quantity") or sub.next_term_quantity or "",
            "offer": sub.next_term_offer.item_code if sub.next_term_offer else "",
        }
        return NextTermForm(data, offers=self.offers(), initial=initial)

    def extra(self, form) -> dict:
        sub = self.object
        return {"renews_on": nce.renewal_day(sub.commitment_end) if sub.commitment_end else None}

    def post(self, request, pk):
        if request.POST.get("clear"):
            try:
                changes.clear_next_term(self.actor, subscription=self.object)
            except DomainError as exc:
                messages.error(request, str(exc))
                return redirect(self.detail_url())
            messages.success(request, "It renews without changes; Partner Center was told.")
            return redirect(self.detail_url())
        return super().post(request, pk)

    def save(self, form) -> str:
        changes.schedule_next_term(
            self.actor,
            subscription=self.object,
            data={"quantity": form.data.get("quantity", ""), "offer": form.data.get("offer", "")},
        )
        return "The changes for the next term were sent to Partner Center; they apply at renewal."


class SubscriptionUpgradeView(SubscriptionFormView):
    """Upgrade to a product Partner Center offers for it now: all seats, or some into a new subscription."""

    template_name = "microsoft365/subscription_upgrade.html"

    def options(self):
        if not hasattr(self, "_options"):
            try:
                self._options = changes.upgrade_options(self.actor, subscription=self.object)
                self._problem = ""
            except DomainError as exc:
                self._options, self._problem = [], str(exc)
        return self._options

    def make_form(self, data=None):
        eligible = [o for o in self.options() if o.eligible]
        return UpgradeForm(data, options=eligible, initial={"quantity": self.object.quantity})

    def extra(self, form) -> dict:
        self.options()
        return {"options": self._options, "problem": self._problem}

    def save(self, form) -> str:
        changes.upgrade(
            self.actor,
            subscription=self.object,
            data={"offer": form.data.get("offer", ""), "quantity": form.data.get("quantity", "")},
        )
        return "The upgrade was sent to Partner Center. Upgrades cannot be undone."


class SubscriptionConfirmView(SubscriptionMixin, ObjectConfirmView):
    """Suspend, activate, auto-renew: a question, then the one service call (the change goes to
    Partner Center through the outbox; the history records it when Partner Center confirms)."""

    required_perm = Perm.SUBSCRIPTION_MANAGE
    template_name = "microsoft365/subscription_confirm.html"
    danger = False

    def get_success_url(self) -> str:
        return self.detail_url()


class SubscriptionSuspendView(SubscriptionConfirmView):
    danger = True

    @property
    def scheduled(self) -> bool:
        return self.object.status == SubscriptionStatus.SCHEDULED

    def get_question(self) -> str:
        if self.scheduled:
            return f"Withdraw the purchase of “{self.object}” scheduled for {self.object.provision_on:%d/%m/%Y}?"
        return f"Suspend “{self.object}”?"

    def get_warning(self) -> str:
        if self.scheduled:
            return "Nothing has been bought yet: the request is cancelled and the line leaves the list."
        return (
            "The service stops for the organization's users at once. Microsoft keeps billing a suspended "
            "subscription and turns its auto-renew off."
        )

    @property
    def button_label(self) -> str:  # type: ignore[override]
        return "Withdraw the purchase" if self.scheduled else "Suspend"

    def perform(self, obj) -> None:
        changes.suspend(self.actor, subscription=obj)

    def get_done_message(self) -> str:
        if self.scheduled:
            return "The scheduled purchase was withdrawn; nothing was bought."
        return "The suspension was sent to Partner Center."

    def get_success_url(self) -> str:
        if self.scheduled:
            return reverse("portal:organization_subscriptions", args=[self.object.organization_id])
        return self.detail_url()


class SubscriptionActivateView(SubscriptionConfirmView):
    question = "Activate “{object}” again?"
    button_label = "Activate"
    done_message = "The activation was sent to Partner Center."

    def perform(self, obj) -> None:
        changes.activate(self.actor, subscription=obj)


class SubscriptionAutoRenewView(SubscriptionConfirmView):
    @property
    def button_label(self) -> str:  # type: ignore[override]
        return f"Turn auto-renew {'off' if self.object.auto_renew else 'on'}"

    def get_question(self) -> str:
        verb = "off" if self.object.auto_renew else "on"
        return f"Turn auto-renew {verb} for “{self.object}”?"

    def get_warning(self) -> str:
        if self.object.auto_renew and self.object.commitment_end:
            return f"The subscription then ends on {self.object.commitment_end:%d/%m/%Y} instead of renewing."
        return ""

    def get_fields(self) -> dict:
        return {"enabled": "0" if self.object.auto_renew else "1"}

    def perform(self, obj) -> None:
        changes.set_auto_renew(self.actor, subscription=obj, enabled=self.request.POST.get("enabled") == "1")

    def get_done_message(self) -> str:
        return "The auto-renew change was sent to Partner Center."


class SubscriptionCancelView(SubscriptionConfirmView):
    """Cancel within Microsoft's window: what comes back is shown first, the button only if allowed."""

    danger = True
    template_name = "microsoft365/subscription_cancel.html"
    done_message = "The cancellation was sent to Partner Center."

    def get(self, request, *args, **kwargs):
        preview = changes.cancellation_preview(self.actor, subscription=self.object)
        return render(
            request,
            self.template_name,
            {
                "sub": self.object,
                "org": self.object.organization,
                "preview": preview,
                "refund": _absolute(preview.prorated),
                "sees_prices": self.actor.has(Perm.PRICE_VIEW),
                "cancel_url": self.detail_url(),
            },
        )

    def perform(self, obj) -> None:
        changes.cancel(self.actor, subscription=obj)
