from django import forms
from django_countries import countries

from cloudbroker.microsoft365.validation import TENANT_FIELDS


class ConnectionForm(forms.Form):
    tenant_id = forms.CharField(label="Partner tenant ID", max_length=100)
    client_id = forms.CharField(label="Application (client) ID", max_length=100)
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        widget=forms.PasswordInput,
        help_text="Stored encrypted. Leave empty to keep the stored secret.",
    )
    authority_base = forms.URLField(label="Token authority", assume_scheme="https")
    api_base_url = forms.URLField(label="Partner Center API", assume_scheme="https")
    requests_per_minute = forms.IntegerField(min_value=1, max_value=10_000)
    sync_enabled = forms.BooleanField(required=False, label="Sync automatically")
    sync_interval_minutes = forms.IntegerField(min_value=5, max_value=10_080, label="Sync every (minutes)")


class TenantRequestForm(forms.Form):
    company_name = forms.CharField()
    domain_prefix = forms.CharField(help_text="The tenant's name: <name>.onmicrosoft.com")
    first_name = forms.CharField()
    last_name = forms.CharField()
    email = forms.CharField(help_text="The admin login is sent here.")
    phone = forms.CharField()
    address_line1 = forms.CharField()
    city = forms.CharField()
    state = forms.CharField(help_text="Two letters, where the country has states (US, CA, AU …).")
    postal_code = forms.CharField()
    country = forms.ChoiceField(choices=[("", "—"), *list(countries)])
    registration_number = forms.CharField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = False
            field.label = TENANT_FIELDS[name]
