from django import forms

from cloudbroker.brokers.choices import Currency

__all__ = ["BrokerPropertiesForm"]


class BrokerPropertiesForm(forms.Form):
    name = forms.CharField(max_length=200, label="Broker name")
    notification_email = forms.EmailField(help_text="Approval requests are sent here.")
    support_email = forms.EmailField(help_text="Support requests are sent here.")
    currency = forms.ChoiceField(choices=Currency.choices)
    staff_two_factor_required = forms.BooleanField(
        required=False,
        label="Require a second factor for every staff member",
        help_text="Staff without an authenticator app are asked to set one up at their next log-in.",
    )
    market = forms.CharField(
        max_length=2,
        label="Partner Center market",
        help_text="The two-letter country whose Microsoft price sheet prices the catalog (in the broker's currency).",
    )
    # Billing cycle (seed 001 §2): what is not ticked is offered nowhere.
    offer_monthly_billing = forms.BooleanField(required=False, label="Monthly billing")
    offer_annual_billing = forms.BooleanField(required=False, label="Annual billing")
    offer_triennial_billing = forms.BooleanField(required=False, label="Three-yearly billing (paid up front)")
    offer_term_p1m = forms.BooleanField(required=False, label="One-month term (P1M)")
    offer_term_p1y = forms.BooleanField(required=False, label="One-year term (P1Y)")
    offer_term_p3y = forms.BooleanField(required=False, label="Three-year term (P3Y)")

    BILLING_CYCLE = (
        "offer_monthly_billing",
        "offer_annual_billing",
        "offer_triennial_billing",
        "offer_term_p1m",
        "offer_term_p1y",
        "offer_term_p3y",
    )

    def general_fields(self):
        return [f for f in self if f.name not in self.BILLING_CYCLE]

    def billing_cycle_fields(self):
        return [self[name] for name in self.BILLING_CYCLE]
