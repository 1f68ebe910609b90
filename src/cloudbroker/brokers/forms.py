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
