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


# -- subscriptions (seed 001 §3–§5) -------------------------------------------------------------------
#
# The forms only collect what was typed: every rule (quantities, dates, what may be bought) is the
# services' (``ordering``, ``changes``, ``subscriptions.services``), whose field errors land on these
# fields. Hence no field is required and numbers and dates arrive as text.


class TitledSelect(forms.Select):
    """A select whose options carry a title (the product's description, shown on hover)."""

    def __init__(self, *args, titles: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.titles = titles or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        title = self.titles.get(str(value))
        if title:
            option["attrs"]["title"] = title
        return option


def _text(label: str, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=False, **kwargs)


class BuySubscriptionForm(forms.Form):
    """Add subscription: category → billing cycle → product group → product → term, and the rest.

    ``choices`` is a :class:`~cloudbroker.microsoft365.views.BuyChoices` (what the catalog offers for
    what was chosen so far); a value the earlier choices no longer allow is dropped before binding.
    """

    category = forms.ChoiceField(label="Category", required=False)
    billing_plan = forms.ChoiceField(label="Billing cycle", required=False)
    group = forms.ChoiceField(label="Product group", required=False)
    product = forms.ChoiceField(label="Product", required=False)
    term = forms.ChoiceField(label="Term", required=False)
    friendly_name = _text(
        "Friendly name",
        help_text="Optional: shown on every subscription view and on billing reports.",
    )
    po_number = _text("PO number", help_text="Optional: shown on the billing export, to match costs to a PO.")
    quantity = _text("Quantity", widget=forms.NumberInput(attrs={"min": 1, "step": 1, "inputmode": "numeric"}))
    provision_on = _text(
        "Provisioning date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: a later date to buy it on, at the prices of that day. Empty: now.",
    )
    # A Select over text: an unknown value is the service's to name ("Choose a live subscription…").
    align_end = forms.CharField(label="End date", required=False, widget=forms.Select)

    #: The fields whose change re-renders the form (with htmx); typing a name or a PO number does not.
    REFRESHING = ("category", "billing_plan", "group", "product", "term", "quantity", "provision_on", "align_end")

    def __init__(self, data=None, *, choices, align_choices, refresh_url: str = "", **kwargs):
        super().__init__(data, **kwargs)
        placeholder = [("", "— choose —")]
        for name in ("category", "billing_plan", "group", "product", "term"):
            self.fields[name].choices = placeholder + list(choices.options[name])
        self.fields["product"].widget = TitledSelect(choices=self.fields["product"].choices, titles=choices.titles)
        self.fields["align_end"].widget.choices = align_choices
        quantity_attrs = self.fields["quantity"].widget.attrs
        if choices.product is not None:
            quantity_attrs["min"] = choices.product.minimum_quantity
            quantity_attrs["max"] = choices.product.maximum_quantity
        if refresh_url:
            for name in self.REFRESHING:
                self.fields[name].widget.attrs.update(
                    {
                        "hx-post": refresh_url,
                        "hx-trigger": "change",
                        "hx-vals": '{"refresh": "1"}',
                        "hx-target": "#buy-form",
                        "hx-swap": "outerHTML",
                        "hx-sync": "closest form:replace",
                    }
                )


class QuantityForm(forms.Form):
    quantity = _text("New quantity", widget=forms.NumberInput(attrs={"min": 1, "step": 1, "inputmode": "numeric"}))


class RenameForm(forms.Form):
    friendly_name = _text("Friendly name")
    po_number = _text("PO number")


class SalesPriceForm(forms.Form):
    valid_from = _text(
        "From",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The price applies from this day on (also a day in the past: billing uses it from then).",
    )
    unit_price = _text("Sales price per seat", widget=forms.TextInput(attrs={"inputmode": "decimal"}))


class AddonForm(forms.Form):
    offer = forms.CharField(label="Add-on", required=False)
    quantity = _text("Quantity", widget=forms.NumberInput(attrs={"min": 1, "step": 1, "inputmode": "numeric"}))

    def __init__(self, data=None, *, offers, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["offer"].widget = TitledSelect(
            choices=[("", "— choose —")] + [(o.item_code, o.product.title) for o in offers],
            titles={o.item_code: o.product.description or o.product.title for o in offers},
        )


class NextTermForm(forms.Form):
    quantity = _text(
        "Quantity from the renewal",
        widget=forms.NumberInput(attrs={"min": 1, "step": 1, "inputmode": "numeric"}),
        help_text="Leave empty to keep the current quantity.",
    )
    offer = forms.CharField(label="Term and billing plan from the renewal", required=False)

    def __init__(self, data=None, *, offers, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["offer"].widget = forms.Select(
            choices=[("", "— unchanged —")]
            + [(o.item_code, f"{o.get_term_display()} · billed {o.get_billing_plan_display()}") for o in offers]
        )


class UpgradeForm(forms.Form):
    offer = forms.CharField(label="Upgrade to", required=False)
    quantity = _text(
        "Seats to upgrade",
        widget=forms.NumberInput(attrs={"min": 1, "step": 1, "inputmode": "numeric"}),
        help_text=(
            "All seats: the subscription changes product. Fewer: they move to a new subscription ending with this one."
        ),
    )

    def __init__(self, data=None, *, options, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["offer"].widget = forms.Select(
            choices=[("", "— choose —")] + [(o.offer.item_code, o.offer.product.title) for o in options]
        )
