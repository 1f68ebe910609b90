from __future__ import annotations

from django import forms

from cloudbroker.core.permissions import GROUP_SCOPED_ROLES, StaffRole


class StaffForm(forms.Form):
    email = forms.EmailField(label="E-mail (login)")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    staff_role = forms.ChoiceField(label="Role", choices=StaffRole.choices)
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
        if actor.staff_role != StaffRole.SUPER_ADMIN:
            self.fields["staff_role"].choices = [c for c in StaffRole.choices if c[0] != StaffRole.SUPER_ADMIN]
        if editing:
            del self.fields["email"]
            del self.fields["password"]
        self.group_roles = [r.value for r in GROUP_SCOPED_ROLES]


class PasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, label="New password")
