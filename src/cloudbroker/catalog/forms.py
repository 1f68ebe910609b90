"""Portal forms and list filters for the catalog and price lists. They only gather input; the
services decide whether a price is acceptable (its range, a sale below cost, the date)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms

from cloudbroker.catalog.choices import BillingPlan, PriceKind, TermDuration

__all__ = ["CatalogFilterSet", "PriceForm", "RuleForm", "parse_day"]

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def parse_day(value) -> dt.date | None:
    """``?day=YYYY-MM-DD`` (or DD/MM/YYYY); anything else means today (None)."""
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(str(value or "").strip(), fmt).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    return None


def _date_input() -> forms.TextInput:
    # A text field in the product's own format (a browser's date input shows its locale's format).
    return forms.TextInput(attrs={"placeholder": "DD/MM/YYYY", "inputmode": "numeric", "autocomplete": "off"})


class PriceForm(forms.Form):
    """Set or schedule a price: how (kind), the amount or percentage, and from which day."""

    kind = forms.ChoiceField(label="Price", choices=PriceKind.choices, initial=PriceKind.MARGIN)
    value = forms.CharField(
        label="Amount or %",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="A fixed price per seat per charge, or a percentage (e.g. 20 or 12.5).",
    )
    effective_from = forms.DateField(
        label="Effective from",
        required=False,
        input_formats=DATE_FORMATS,
        widget=_date_input(),
        help_text="DD/MM/YYYY. Today when empty; a later day schedules the price.",
    )
    confirm_below_cost = forms.BooleanField(label="Sell below cost", required=False)

    def __init__(self, *args, allow_amount: bool = True, show_confirm: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_amount:
            field = self.fields["kind"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [c for c in PriceKind.choices if c[0] != PriceKind.AMOUNT]
            field.initial = PriceKind.MARGIN
            self.fields["value"].help_text = "A percentage (e.g. 20 or 12.5)."
        if not show_confirm:
            del self.fields["confirm_below_cost"]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "value": data.get("value") or None,
            "effective_from": data.get("effective_from"),
            "confirm_below_cost": bool(data.get("confirm_below_cost")),
        }


class RuleForm(PriceForm):
    """A price rule for every product, a category, a product group or a product."""

    target = forms.ChoiceField(label="Applies to", choices=())

    field_order = ["target", "kind", "value", "effective_from", "confirm_below_cost"]

    def __init__(self, *args, targets: list, **kwargs):
        kwargs.setdefault("allow_amount", False)
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = targets


# --- list filters -------------------------------------------------------------------------------


def _categories(request):
    from cloudbroker.catalog.models import Category

    return Category.objects.visible_to(request.actor).only("id", "name")


def _groups(request):
    from cloudbroker.catalog.models import ProductGroup

    return ProductGroup.objects.visible_to(request.actor).only("id", "name")


class CatalogFilterSet(django_filters.FilterSet):
    """The catalog's filters: text, category, product group, term and billing plan (an unknown or
    foreign category or group is ignored, as on every list)."""

    q = django_filters.CharFilter(
        method="search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Search product or item code", "aria-label": "Search"}
        ),
    )
    category = django_filters.ModelChoiceFilter(
        queryset=_categories,
        field_name="product__category",
        empty_label="All categories",
        widget=forms.Select(attrs={"aria-label": "Category"}),
    )
    group = django_filters.ModelChoiceFilter(
        queryset=_groups,
        field_name="product__group",
        empty_label="All product groups",
        widget=forms.Select(attrs={"aria-label": "Product group"}),
    )
    term = django_filters.ChoiceFilter(
        choices=TermDuration.choices, empty_label="Any term", widget=forms.Select(attrs={"aria-label": "Term"})
    )
    billing_plan = django_filters.ChoiceFilter(
        choices=BillingPlan.choices,
        empty_label="Any billing plan",
        widget=forms.Select(attrs={"aria-label": "Billing plan"}),
    )

    day = django_filters.CharFilter(
        method="on_day",
        widget=forms.TextInput(
            attrs={"placeholder": "Prices on DD/MM/YYYY", "aria-label": "Prices on day", "class": "day", "size": 12}
        ),
    )

    def __init__(self, *args, broker=None, **kwargs):
        super().__init__(*args, **kwargs)
        if broker is not None:  # only what the broker offers is worth choosing
            term = self.filters["term"]
            term.extra["choices"] = [c for c in TermDuration.choices if c[0] in broker.offered_terms]
            plan = self.filters["billing_plan"]
            plan.extra["choices"] = [c for c in BillingPlan.choices if c[0] in broker.offered_billing_plans]

    def on_day(self, queryset, name, value):
        return queryset  # the page prices its rows on that day (and drops what is withdrawn by then)

    def search(self, queryset, name, value):
        from cloudbroker.catalog.querysets import filter_offers

        return filter_offers(queryset, q=value)
