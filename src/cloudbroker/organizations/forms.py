"""Portal forms for organizations and groups. They only gather input; the services validate it."""

from __future__ import annotations

import django_filters
from django import forms
from django_countries import countries

from cloudbroker.core.permissions import Perm, Scope
from cloudbroker.organizations.validation import FIELD_LABELS, MANDATORY_FIELDS

__all__ = ["BULK_ROW_CHOICES", "GroupFilterSet", "GroupForm", "OrganizationFilterSet", "OrganizationForm"]

BULK_ROW_CHOICES = (1, 2, 3, 5, 10, 20, 50)
MAIN_FIELDS = ("name", "primary_domain", "registration_number", "notification_email", "contact_phone")


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=200)
    primary_domain = forms.CharField(max_length=253, help_text="For example contoso.com — no http:// or www.")
    registration_number = forms.CharField(max_length=64, help_text="Company ID or tax ID, if you have it.")
    notification_email = forms.CharField(max_length=254, widget=forms.EmailInput)
    contact_phone = forms.CharField(max_length=40)
    approval_required = forms.BooleanField(help_text="All self-service transactions need approval.")
    approval_limit = forms.CharField(max_length=20, help_text="Annual amount; monthly amounts count x12.")
    billing_start_date = forms.CharField(
        max_length=10,
        # A text field in the product's own format: a browser's date input shows the format of the
        # browser's locale (mm/dd/yyyy in en-US) whatever the page says.
        widget=forms.TextInput(attrs={"placeholder": "DD/MM/YYYY", "inputmode": "numeric", "autocomplete": "off"}),
        help_text="DD/MM/YYYY. Defaults to today.",
    )
    customer_number = forms.CharField(max_length=64)
    street_address = forms.CharField(max_length=200)
    postal_code = forms.CharField(max_length=20)
    city = forms.CharField(max_length=100)
    state = forms.CharField(max_length=100)
    country = forms.ChoiceField(choices=[("", "—"), *list(countries)])
    contact_name = forms.CharField(max_length=200)
    contact_email = forms.CharField(max_length=254, widget=forms.EmailInput)
    contact_cell_phone = forms.CharField(max_length=40)

    def __init__(self, *args, actor, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = False
            field.label = FIELD_LABELS.get(name, field.label)
            if name in MANDATORY_FIELDS:
                field.widget.attrs["required"] = True
                field.widget.attrs["aria-required"] = "true"
        if not actor.has(Perm.APPROVAL_SETTINGS_CHANGE):
            for name in ("approval_required", "approval_limit"):
                self.fields[name].disabled = True
        if creating:
            from cloudbroker.organizations.models import OrganizationGroup

            groups = [(str(g.pk), g.name) for g in OrganizationGroup.objects.visible_to(actor).only("id", "name")]
            if actor.scope is Scope.GROUPS:
                self.fields["groups"] = forms.ChoiceField(
                    label="Organization group",
                    choices=[("", "— choose one of your groups —"), *groups],
                    required=False,
                    help_text="More than one group? Ask a Global Admin.",
                )
                self.fields["groups"].widget.attrs["required"] = True
            elif groups:
                self.fields["groups"] = forms.MultipleChoiceField(
                    label="Organization groups",
                    choices=groups,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
                if not actor.has(Perm.ORGANIZATION_MULTI_GROUP):
                    self.fields["groups"].help_text = "Choose at most one group."

    @property
    def main_fields(self):
        return [self[n] for n in MAIN_FIELDS]

    @property
    def more_fields(self):
        return [self[n] for n in self.fields if n not in MAIN_FIELDS and n != "groups"]

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "groups" and not self.fields[k].disabled}

    def group_ids(self) -> list[str]:
        value = self.cleaned_data.get("groups") or []
        return [value] if isinstance(value, str) else list(value)


class GroupForm(forms.Form):
    name = forms.CharField(max_length=100, label="Group name")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].widget.attrs["required"] = True


# --- list filters -------------------------------------------------------------------------------


def _search(placeholder: str) -> forms.TextInput:
    return forms.TextInput(attrs={"type": "search", "placeholder": placeholder, "aria-label": "Search"})


def _visible_groups(request):
    from cloudbroker.organizations.models import OrganizationGroup

    return OrganizationGroup.objects.visible_to(request.actor).only("id", "name").order_by("name")


class OrganizationFilterSet(django_filters.FilterSet):
    """The organization list's search and group filter (an unknown or foreign group is ignored)."""

    q = django_filters.CharFilter(method="search", widget=_search("Search name, domain or customer number"))
    group = django_filters.ModelChoiceFilter(
        queryset=_visible_groups,
        method="in_group",
        empty_label="All groups",
        widget=forms.Select(attrs={"aria-label": "Organization group"}),
    )

    def search(self, queryset, name, value):
        return queryset.search(value)

    def in_group(self, queryset, name, value):
        return queryset.filter(groups=value)


class GroupFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", widget=_search("Search groups"))
