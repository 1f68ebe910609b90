"""Portal pages of the catalog and the price lists.

The global price list and an organization's customer price list are the same pages over a
different scope: the catalog (``/catalog/``) and ``/organizations/<id>/prices/``, an item code's
page, the price rules, "select rows → apply a rule", and e-store curation. Each page declares its
permission; the services check it again, with the scope (an organization outside a Key Account
Manager's groups is a 404), the value's range and a sale below cost.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from cloudbroker.catalog import services
from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.forms import CatalogFilterSet, PriceForm, RuleForm, parse_day
from cloudbroker.catalog.models import Category, Offer, PriceEntry, Product, ProductGroup, VendorPrice
from cloudbroker.catalog.querysets import (
    catalog_offers,
    entry_rows,
    offer_targets,
    organization_settings,
    price_history,
    slot_entries,
    source_for,
)
from cloudbroker.catalog.tables import CatalogTable, CustomerPriceTable
from cloudbroker.core.errors import DomainError, ValidationFailed
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import get_visible_or_404, parse_uuid
from cloudbroker.core.views import ActorMixin, ObjectListView, apply_errors

__all__ = [
    "BulkPriceView",
    "CatalogView",
    "OfferDetailView",
    "OrganizationPricesView",
    "PriceEntryCancelView",
    "PriceRulesView",
    "ProductVisibilityView",
    "organization_panel",
]

TARGET_MODELS: dict[str, Any] = {"category": Category, "group": ProductGroup, "product": Product, "offer": Offer}
SLOT_WORDS = {"offer": "This item code", "product": "Product", "group": "Product group", "category": "Category"}


def _broker(actor):
    return services.broker_of(actor)


def _organization(view, key: str) -> Any:
    """The organization named by the URL's ``key`` among those the actor sees (else 404), or None
    on the global price list's pages."""
    if key not in view.kwargs:
        return None
    from cloudbroker.organizations.models import Organization

    return get_visible_or_404(Organization.objects, view.actor, view.kwargs[key])


class PriceListMixin(ActorMixin):
    """A page of the global price list, or of one organization's (``/organizations/<pk>/…``): changing
    it needs what ``services.may_change_prices`` says."""

    organization: Any = None
    kwargs: dict[str, Any]

    def check_object_scope(self) -> None:
        self.organization = _organization(self, "pk")
        if self.organization is not None:
            self.post_perm = Perm.CUSTOMER_PRICE_CHANGE

    def can_change(self) -> bool:
        return services.may_change_prices(self.actor, self.organization)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def describe_entry(entry: PriceEntry | dict | None, currency: str = "", *, redact: bool = False) -> str:
    """ "Margin % on cost 20 from 01/02/2027": an entry (or an audit snapshot of one) in words."""
    if entry is None:
        return "—"
    if isinstance(entry, dict):
        kind, value, day = entry.get("kind"), entry.get("value"), entry.get("effective_from")
        currency = entry.get("currency") or currency
    else:
        kind, value, day = entry.kind, entry.value, entry.effective_from
        value = None if value is None else f"{value.normalize():f}"
    try:
        label = PriceKind(str(kind)).label
    except ValueError:
        label = str(kind)
    if isinstance(day, str):
        parsed = parse_day(day)
        day = parsed or day
    when = f" from {day:%d/%m/%Y}" if isinstance(day, dt.date) else ""
    if kind == PriceKind.INHERIT:
        return f"{label}{when}"
    if kind == PriceKind.AMOUNT:
        return f"{label} {value} {currency}{when}".replace("  ", " ")
    if redact and kind in (PriceKind.MARGIN, PriceKind.MARKUP):  # with the sales price it tells the cost
        return f"A rule on cost{when}"
    return f"{label.replace('%', f'{value} %', 1)}{when}"


# --- the catalog (global price list) and a customer's price list -------------------------------------


class CatalogView(ObjectListView):
    """Every item code the broker offers, priced by the global price list (for roles that see prices),
    with cost, ERP and margin for roles that see cost; rows can be selected and priced in bulk."""

    required_perm = Perm.CATALOG_VIEW
    title = "Catalog"
    table: type[CatalogTable] = CatalogTable
    filterset = CatalogFilterSet
    template_name = "catalog/catalog.html"
    default_sort = "product"
    empty_text = "No item codes match."
    empty_filtered_text = "No item code matches."
    search_placeholder = "Search product or item code"
    organization: Any = None

    def dispatch(self, request, *args, **kwargs):
        self.day = parse_day(request.GET.get("day"))
        return super().dispatch(request, *args, **kwargs)

    def get_broker(self):
        if not hasattr(self, "_broker_obj"):
            self._broker_obj = _broker(self.actor)
        return self._broker_obj

    def get_queryset(self):
        return catalog_offers(self.get_broker(), organization=self.organization, day=self.day)

    def filtered(self, request):
        qs = self.get_queryset()
        filters = self.filterset(request.GET, queryset=qs, request=request, broker=self.get_broker())
        return filters.qs, filters

    def price_book(self):
        if not self.actor.has(Perm.PRICE_VIEW):
            return None
        return services.price_book(self.actor, organization=self.organization, day=self.day)

    def build_table(self, request, qs, prefs):
        table = self.make_table(qs, prefs, order_by=request.GET.get("sort"))
        if not table.order_by and self.default_sort:
            table.order_by = self.default_sort
        return table

    def make_table(self, qs, prefs, order_by):
        return self.table(qs, actor=self.actor, book=self.price_book(), columns=prefs.get("columns"), order_by=order_by)

    def can_change_prices(self) -> bool:
        return CatalogTable.can_change_prices(self.actor)

    def bulk_url(self) -> str:
        return reverse("portal:catalog_bulk_price")

    def get_extra_context(self) -> dict:
        broker = self.get_broker()
        return {
            "day": self.day,
            "today": timezone.localdate(),
            "broker": broker,
            "catalog_empty": not Offer.objects.visible_to(self.actor).exists(),
            "can_change_prices": self.can_change_prices(),
            "bulk_form": PriceForm(),
            "bulk_url": self.bulk_url(),
            "rules_url": reverse("portal:price_rules"),
            "organization": self.organization,
            "sees_cost": self.actor.has(Perm.COST_VIEW),
            "sees_prices": self.actor.has(Perm.PRICE_VIEW),
        }


class OrganizationPricesView(CatalogView):
    """The customer price list: the catalog priced for one organization (customer price, else the
    global list, else Microsoft's retail price), with its own e-store choices."""

    required_perm = Perm.PRICE_VIEW
    table = CustomerPriceTable
    template_name = "catalog/organization_prices.html"

    def check_object_scope(self) -> None:
        self.organization = _organization(self, "pk")
        self.title = f"Prices for {self.organization.name}"

    def make_table(self, qs, prefs, order_by):
        return self.table(
            qs,
            actor=self.actor,
            book=self.price_book(),
            organization=self.organization,
            settings=organization_settings(self.organization),
            columns=prefs.get("columns"),
            order_by=order_by,
        )

    def can_change_prices(self) -> bool:
        return services.may_change_prices(self.actor, self.organization)

    def bulk_url(self) -> str:
        return reverse("portal:organization_bulk_price", args=[self.organization.pk])

    def get_extra_context(self) -> dict:
        context = super().get_extra_context()
        context["rules_url"] = reverse("portal:organization_price_rules", args=[self.organization.pk])
        return context


# --- one item code -----------------------------------------------------------------------------------


class OfferMixin(ActorMixin):
    """The page's offer (among those the broker offers; hidden ones included for staff) and, on a
    customer's pages, the organization (outside the actor's scope: 404)."""

    organization: Any = None
    offer: Offer
    kwargs: dict[str, Any]

    def check_object_scope(self) -> None:
        self.organization = _organization(self, "org_pk")
        if self.organization is not None:
            self.required_perm = Perm.PRICE_VIEW
            self.post_perm = Perm.CUSTOMER_PRICE_CHANGE
        self.broker = _broker(self.actor)
        pk = parse_uuid(self.kwargs["pk"])
        offer = catalog_offers(self.broker, organization=self.organization).filter(pk=pk).first() if pk else None
        if offer is None:
            raise Http404("Not found.")
        self.offer = offer

    def list_url(self) -> str:
        if self.organization is not None:
            return reverse("portal:organization_prices", args=[self.organization.pk])
        return reverse("portal:catalog")

    def page_url(self) -> str:
        if self.organization is not None:
            return reverse("portal:organization_offer_price", args=[self.organization.pk, self.offer.pk])
        return reverse("portal:catalog_offer", args=[self.offer.pk])


def target_labels(offer: Offer) -> dict[str, str]:
    product = offer.product
    return {
        f"offer:{offer.pk}": "This item code",
        f"product:{product.pk}": f"Product {product.title}",
        f"group:{product.group_id}": f"Product group {product.group.name}",
        f"category:{product.category_id}": f"Category {product.category.name}",
        "all": "Every product",
    }


def readable_price_events(
    events, labels: dict[str, str], organizations: dict | None = None, *, redact: bool = False
) -> list[dict]:
    rows = []
    for event in events:
        after, before = event.after or {}, event.before or {}
        side = after or before
        scope = side.get("scope", "global")
        rows.append(
            {
                "event": event,
                "what": {
                    "price.set": "Price set",
                    "price.scheduled": "Price scheduled",
                    "price.cancelled": "Scheduled price cancelled",
                }.get(event.action, event.action),
                "list": "Global price list"
                if scope == "global"
                else f"Customer price ({(organizations or {}).get(scope, 'organization')})",
                "target": labels.get(side.get("target", ""), side.get("target", "")),
                "before": describe_entry(before or None, redact=redact),
                "after": describe_entry(after or None, redact=redact) if event.action != "price.cancelled" else "—",
            }
        )
    return rows


class OfferDetailView(OfferMixin, View):
    """An item code: its product, add-on relations, the vendor's prices (for roles that see cost),
    every entry that can price it (past, current, scheduled), its price on a chosen day, a form to set
    or schedule its own price, and the history of price changes."""

    required_perm = Perm.CATALOG_VIEW
    post_perm = Perm.PRICE_LIST_CHANGE
    template_name = "catalog/offer_detail.html"

    def can_change(self) -> bool:
        return services.may_change_prices(self.actor, self.organization)

    def context(self, form, *, below=None) -> dict:
        actor, offer, product = self.actor, self.offer, self.offer.product
        day = parse_day(self.request.GET.get("day"))
        today = timezone.localdate()
        sees_prices = actor.has(Perm.PRICE_VIEW)
        price = price_on_day = None
        if sees_prices:
            price = services.prices_for(actor, [offer], organization=self.organization)[offer.pk]
            if day is not None and day != today:
                price_on_day = services.prices_for(actor, [offer], organization=self.organization, day=day)[offer.pk]
        targets = offer_targets(offer)
        labels = target_labels(offer)
        entries: list = []
        history: list = []
        if sees_prices:
            qs = slot_entries(actor, target_keys=targets.values())
            if self.organization is not None:
                qs = qs | slot_entries(actor, organization=self.organization, target_keys=targets.values())
            redact = not actor.has(Perm.COST_VIEW)
            entries = entry_rows(qs, today=today, labels=labels, redact=redact)
            if actor.has(Perm.AUDIT_VIEW):
                names = {str(self.organization.pk): self.organization.name} if self.organization else {}
                events = price_history(actor, target_keys=targets.values(), organization=self.organization)[:100]
                history = readable_price_events(events, labels, names, redact=redact)
        vendor_prices = []
        if actor.has(Perm.COST_VIEW):
            vendor_prices = list(VendorPrice.objects.visible_to(actor).filter(offer=offer).order_by("-effective_from"))
        siblings = (
            catalog_offers(self.broker, organization=self.organization).filter(product=product).exclude(pk=offer.pk)
        )
        return {
            "offer": offer,
            "product": product,
            "organization": self.organization,
            "attaches_to": list(product.attaches_to.order_by("title")),
            "addons": list(product.addons.order_by("title")),
            "siblings": list(siblings),
            "vendor_prices": vendor_prices,
            "price": price,
            "price_source": source_for(actor, price, offer) if price else "",
            "price_on_day": price_on_day,
            "price_on_day_source": source_for(actor, price_on_day, offer) if price_on_day else "",
            "day": day,
            "today": today,
            "entries": entries,
            "history": history,
            "form": form,
            "can_change": self.can_change(),
            "below": below,
            "sees_cost": actor.has(Perm.COST_VIEW),
            "sees_prices": sees_prices,
            "list_url": self.list_url(),
            "page_url": self.page_url(),
            "rules_url": reverse("portal:organization_price_rules", args=[self.organization.pk])
            if self.organization
            else reverse("portal:price_rules"),
        }

    def get(self, request, *args, **kwargs):
        form = PriceForm(initial={"kind": PriceKind.AMOUNT})
        return render(request, self.template_name, self.context(form))

    def post(self, request, *args, **kwargs):
        if not self.can_change():
            raise DjangoPermissionDenied("Only roles that work across the whole broker change the global price list.")
        form = PriceForm(request.POST, show_confirm="confirm_below_cost" in request.POST)
        status, below = 422, None
        if form.is_valid():
            try:
                entry = services.set_price(
                    actor=self.actor, target=self.offer, organization=self.organization, **form.service_kwargs()
                )
            except services.BelowCost as exc:
                status, below = 409, exc.details.get("item_codes", [])
                form = PriceForm(request.POST, show_confirm=True)
                form.is_valid()
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                when = "from today" if entry.effective_from <= timezone.localdate() else "scheduled"
                messages.success(request, f"The price of {self.offer.item_code} was set ({when}).")
                return redirect(self.page_url())
        return render(request, self.template_name, self.context(form, below=below), status=status)


# --- price rules -------------------------------------------------------------------------------------


def target_choices(actor) -> list:
    """Every product, each category, product group and product, as the rule form offers them."""
    categories = [(f"category:{c.pk}", c.name) for c in Category.objects.visible_to(actor).only("id", "name")]
    groups = [(f"group:{g.pk}", g.name) for g in ProductGroup.objects.visible_to(actor).only("id", "name")]
    products = [
        (f"product:{p.pk}", p.title) for p in Product.objects.visible_to(actor).only("id", "title").order_by("title")
    ]
    choices: list = [("all", "Every product")]
    for label, items in (("Categories", categories), ("Product groups", groups), ("Products", products)):
        if items:
            choices.append((label, items))
    return choices


def resolve_target(actor, key: str):
    """ "category:<id>" → the category (of the actor's broker), "all" → None; anything else refused."""
    if key == "all":
        return None
    name, _, pk = (key or "").partition(":")
    model = TARGET_MODELS.get(name)
    if model is None or name == "offer":
        raise ValidationFailed([_target_error()])
    try:
        return get_visible_or_404(model.objects, actor, pk)
    except Http404:
        raise ValidationFailed([_target_error()]) from None


def _target_error():
    from cloudbroker.core.errors import FieldError

    return FieldError("target", "Choose every product, a category, a product group or a product.")


class PriceRulesView(PriceListMixin, View):
    """The rules of the global price list (or of one organization): a margin or markup % on cost, or
    a discount % off ERP, for every product, a category, a product group or a product."""

    required_perm = Perm.PRICE_VIEW
    post_perm = Perm.PRICE_LIST_CHANGE
    template_name = "catalog/price_rules.html"

    def page_url(self) -> str:
        if self.organization is not None:
            return reverse("portal:organization_price_rules", args=[self.organization.pk])
        return reverse("portal:price_rules")

    def get_form(self, data=None, *, show_confirm=False):
        initial = {"target": self.request.GET.get("target", "all")}
        return RuleForm(data, initial=initial, targets=target_choices(self.actor), show_confirm=show_confirm)

    def context(self, form, *, below=None) -> dict:
        qs = slot_entries(self.actor, organization=self.organization).exclude(target_key__startswith="offer:")
        labels = {}
        rows = entry_rows(qs, redact=not self.actor.has(Perm.COST_VIEW))
        for row in rows:
            target = row.entry.target
            slot = row.entry.target_key.split(":")[0]
            row.target_label = "Every product" if target is None else f"{SLOT_WORDS[slot]} {target}"
            labels[row.entry.target_key] = row.target_label
        item_prices = slot_entries(self.actor, organization=self.organization).filter(target_key__startswith="offer:")
        return {
            "rows": rows,
            "form": form,
            "below": below,
            "organization": self.organization,
            "can_change": self.can_change(),
            "item_price_count": item_prices.count(),
            "list_url": reverse("portal:organization_prices", args=[self.organization.pk])
            if self.organization
            else reverse("portal:catalog"),
            "page_url": self.page_url(),
        }

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, self.context(self.get_form()))

    def post(self, request, *args, **kwargs):
        if not self.can_change():
            raise DjangoPermissionDenied("Only roles that work across the whole broker change the global price list.")
        form = self.get_form(request.POST, show_confirm="confirm_below_cost" in request.POST)
        status, below = 422, None
        if form.is_valid():
            try:
                target = resolve_target(self.actor, form.cleaned_data["target"])
                services.set_price(
                    actor=self.actor, target=target, organization=self.organization, **form.service_kwargs()
                )
            except services.BelowCost as exc:
                status, below = 409, exc.details.get("item_codes", [])
                form = self.get_form(request.POST, show_confirm=True)
                form.is_valid()
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "The price rule was saved.")
                return redirect(self.page_url())
        return render(request, self.template_name, self.context(form, below=below), status=status)


# --- select rows → apply a rule ----------------------------------------------------------------------


class BulkPriceView(PriceListMixin, View):
    """The same price for every selected item code. A price below cost comes back with the item
    codes it concerns and a "Sell below cost" tick; nothing is written until it is confirmed."""

    required_perm = Perm.PRICE_VIEW
    post_perm = Perm.PRICE_LIST_CHANGE
    template_name = "catalog/bulk_price.html"

    def list_url(self) -> str:
        if self.organization is not None:
            return reverse("portal:organization_prices", args=[self.organization.pk])
        return reverse("portal:catalog")

    def selected(self, ids) -> list[Offer]:
        """The selected item codes among those offered (an unknown or foreign id is left out)."""
        pks = [pk for pk in (parse_uuid(i) for i in ids) if pk is not None]
        if not pks:
            return []
        return list(catalog_offers(_broker(self.actor), organization=self.organization).filter(pk__in=pks))

    def context(self, form, offers, *, below=None) -> dict:
        return {
            "form": form,
            "offers": offers,
            "below": below,
            "organization": self.organization,
            "list_url": _safe_next(self.request, self.list_url()),
            "can_change": self.can_change(),
        }

    def get(self, request, *args, **kwargs):
        offers = self.selected(request.GET.getlist("offers"))
        return render(request, self.template_name, self.context(PriceForm(), offers))

    def post(self, request, *args, **kwargs):
        if not self.can_change():
            raise DjangoPermissionDenied("Only roles that work across the whole broker change the global price list.")
        offers = self.selected(request.POST.getlist("offers"))
        form = PriceForm(request.POST, show_confirm="confirm_below_cost" in request.POST)
        status, below = 422, None
        if form.is_valid():
            try:
                entries = services.bulk_set_price(
                    actor=self.actor, targets=list(offers), organization=self.organization, **form.service_kwargs()
                )
            except services.BelowCost as exc:
                status, below = 409, exc.details.get("item_codes", [])
                form = PriceForm(request.POST, show_confirm=True)
                form.is_valid()
            except DomainError as exc:
                if isinstance(exc, ValidationFailed) and any(e.field == "targets" for e in exc.errors):
                    form.add_error(None, "Select at least one row.")
                else:
                    apply_errors(form, exc)
            else:
                messages.success(request, f"The price of {len(entries)} item codes was set.")
                return redirect(_safe_next(request, self.list_url()))
        return render(request, self.template_name, self.context(form, offers, below=below), status=status)


# --- cancelling a scheduled price ----------------------------------------------------------------------


class PriceEntryCancelView(ActorMixin, View):
    """Cancel a scheduled price (GET asks, POST cancels). A global entry needs the global price list's
    permission, a customer entry the customer price permission."""

    template_name = "core/confirm.html"

    def check_object_scope(self) -> None:
        self.entry = get_visible_or_404(
            PriceEntry.objects.select_related("category", "group", "product", "offer", "organization"),
            self.actor,
            self.kwargs["pk"],
        )
        self.required_perm = Perm.CUSTOMER_PRICE_CHANGE if self.entry.organization_id else Perm.PRICE_LIST_CHANGE

    def default_url(self) -> str:
        if self.entry.organization_id:
            return reverse("portal:organization_price_rules", args=[self.entry.organization_id])
        return reverse("portal:price_rules")

    def get(self, request, pk):
        entry = self.entry
        target = entry.target
        what = "every product" if target is None else (target.item_code if isinstance(target, Offer) else str(target))
        where = f"{entry.organization.name}'s prices" if entry.organization_id else "the global price list"
        return render(
            request,
            self.template_name,
            {
                "question": f"Cancel the price for {what} in {where} scheduled from {entry.effective_from:%d/%m/%Y}?",
                "warning": describe_entry(entry, entry.currency, redact=not self.actor.has(Perm.COST_VIEW)),
                "button_label": "Cancel the scheduled price",
                "danger": True,
                "fields": {"next": _safe_next(request, self.default_url())},
                "cancel_url": _safe_next(request, self.default_url()),
            },
        )

    def post(self, request, pk):
        try:
            services.cancel_price(actor=self.actor, entry=self.entry)
        except DomainError as exc:
            if getattr(exc, "status", 400) == 403:
                raise DjangoPermissionDenied(exc.message) from None
            messages.error(request, exc.message)
        else:
            messages.success(request, "The scheduled price was cancelled.")
        return redirect(_safe_next(request, self.default_url()))


# --- e-store curation ----------------------------------------------------------------------------------


HIDDEN_CHOICES = {"1": True, "0": False, "follow": None}


class ProductVisibilityView(ActorMixin, View):
    """Hide a product from the e-store or show it again: broker-wide (``CATALOG_MANAGE``), or for one
    organization (hidden, shown, or following the broker's choice)."""

    required_perm = Perm.CATALOG_MANAGE
    template_name = "core/confirm.html"
    organization: Any = None

    def check_object_scope(self) -> None:
        self.organization = _organization(self, "org_pk")
        if self.organization is not None:
            self.required_perm = Perm.CUSTOMER_PRICE_CHANGE
        self.product = get_visible_or_404(Product.objects, self.actor, self.kwargs["pk"])

    def default_url(self) -> str:
        if self.organization is not None:
            return reverse("portal:organization_prices", args=[self.organization.pk])
        return reverse("portal:catalog")

    def choice(self, data) -> tuple[str, bool | None]:
        raw = data.get("hidden", "")
        if raw not in HIDDEN_CHOICES or (self.organization is None and raw == "follow"):
            raise Http404("Choose hidden=1 or hidden=0.")
        return raw, HIDDEN_CHOICES[raw]

    def question(self, hidden: bool | None) -> str:
        title = self.product.title
        if self.organization is None:
            return f"{'Hide' if hidden else 'Show'} {title} {'from' if hidden else 'in'} the e-store of every customer?"
        name = self.organization.name
        if hidden is None:
            return f"Let {name}'s e-store follow the broker's choice for {title}?"
        return f"{'Hide' if hidden else 'Show'} {title} {'from' if hidden else 'in'} {name}'s e-store?"

    def get(self, request, *args, **kwargs):
        raw, hidden = self.choice(request.GET)
        return render(
            request,
            self.template_name,
            {
                "question": self.question(hidden),
                "warning": "Customers stop seeing it in their e-store; what they already have is not changed."
                if hidden
                else "",
                "button_label": "Hide" if hidden else ("Show" if hidden is False else "Follow the broker"),
                "danger": bool(hidden),
                "fields": {"hidden": raw, "next": _safe_next(request, self.default_url())},
                "cancel_url": _safe_next(request, self.default_url()),
            },
        )

    def post(self, request, *args, **kwargs):
        _, hidden = self.choice(request.POST)
        try:
            services.set_product_hidden(
                actor=self.actor, product=self.product, hidden=hidden, organization=self.organization
            )
        except DomainError as exc:
            if getattr(exc, "status", 400) == 403:
                raise DjangoPermissionDenied(exc.message) from None
            messages.error(request, exc.message)
        else:
            messages.success(request, self.done_message(hidden))
        return redirect(_safe_next(request, self.default_url()))

    def done_message(self, hidden: bool | None) -> str:
        where = "the e-store" if self.organization is None else f"{self.organization.name}'s e-store"
        if hidden is None:
            return f"{self.product.title} follows the broker's choice in {where}."
        return f"{self.product.title} is {'hidden from' if hidden else 'shown in'} {where}."


# --- the organization's page ---------------------------------------------------------------------------


def organization_panel(actor, organization):
    """The customer price list on the organization's own page (registered with organizations)."""
    if not actor.has(Perm.PRICE_VIEW):
        return None
    entries = PriceEntry.objects.visible_to(actor).filter(organization=organization)
    today = timezone.localdate()
    return "catalog/_organization_panel.html", {
        "org": organization,
        "price_count": entries.filter(effective_from__lte=today).exclude(kind=PriceKind.INHERIT).count(),
        "scheduled_count": entries.filter(effective_from__gt=today).count(),
        "hidden_count": organization.product_settings.filter(hidden=True).count(),
        "can_change": actor.has(Perm.CUSTOMER_PRICE_CHANGE),
    }
