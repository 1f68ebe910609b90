from __future__ import annotations

import django_filters
from django import forms

from cloudbroker.core.permissions import GROUP_SCOPED_ROLES, StaffRole


class StaffForm(forms.Form):
    email = forms.EmailField(label="E-mail (login)")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    staff_role = forms.ChoiceField(
        label="Role", choices=StaffRole.choices, error_messages={"required": "Choose a role."}
    )
    password = forms.CharField(
        widget=forms.PasswordInput,
        required=False,
        help_text="At least 8 characters with upper- and lower-case letters, digits and "
        "non-word characters; no part of the name or e-mail.",
    )
    groups = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Organization groups",
        help_text="Only for Key Account Managers, Key Account View Only Managers, "
        "Limited Key Account Managers and Sales Agents.",
    )

    def __init__(self, *args, actor, editing: bool = False, **kwargs):
        from cloudbroker.organizations.models import OrganizationGroup

        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [
            (str(g.pk), g.name) for g in OrganizationGroup.objects.visible_to(actor).only("id", "name")
        ]
        roles = list(StaffRole.choices)
        if actor.staff_role != StaffRole.SUPER_ADMIN:
            roles = [c for c in roles if c[0] != StaffRole.SUPER_ADMIN]
        # No role is preselected: a new account gets only the rights someone chose for it.
        self.fields["staff_role"].choices = [("", "— choose a role —"), *roles]
        if editing:
            del self.fields["email"]
            del self.fields["password"]
        self.group_roles = [r.value for r in GROUP_SCOPED_ROLES]


class PasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, label="New password")


class StaffFilterSet(django_filters.FilterSet):
    """The Administrators list's search (e-mail or name) and role filter."""

    q = django_filters.CharFilter(
        method="search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Search e-mail or name", "aria-label": "Search"}
        ),
    )
    role = django_filters.ChoiceFilter(
        field_name="staff_role",
        choices=StaffRole.choices,
        empty_label="All roles",
        widget=forms.Select(attrs={"aria-label": "Role"}),
    )

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(
            Q(email__icontains=value) | Q(first_name__icontains=value) | Q(last_name__icontains=value)
        )
