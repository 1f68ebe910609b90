from __future__ import annotations

from django.db import models

from cloudbroker.brokers.choices import Currency
from cloudbroker.core.models import BaseModel

__all__ = ["Broker"]


class BrokerQuerySet(models.QuerySet):
    def visible_to(self, actor) -> BrokerQuerySet:
        return self.filter(pk=actor.broker_id)


class Broker(BaseModel):
    """The tenant: a reseller and its reseller properties. Everything else belongs to one."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    notification_email = models.EmailField(help_text="Approval requests and other broker notifications are sent here.")
    support_email = models.EmailField(help_text="Support requests from organizations are sent here.")
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    staff_two_factor_required = models.BooleanField(
        "second factor required for staff",
        default=False,
        help_text="Every staff member signs in with an authenticator app code as well as the password.",
    )

    # Where the catalog comes from and what is offered (seed 001 §2, "Billing cycle").
    market = models.CharField(
        "Partner Center market",
        max_length=2,
        default="DE",
        help_text="The country whose Microsoft price sheet the catalog is priced from; it must be priced in "
        "the broker's currency.",
    )
    offer_monthly_billing = models.BooleanField("monthly billing", default=True)
    offer_annual_billing = models.BooleanField("annual billing", default=True)
    offer_triennial_billing = models.BooleanField("three-yearly billing (paid up front)", default=True)
    offer_term_p1m = models.BooleanField("one-month term", default=True)
    offer_term_p1y = models.BooleanField("one-year term", default=True)
    offer_term_p3y = models.BooleanField("three-year term", default=True)

    objects = BrokerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def offered_billing_plans(self) -> frozenset[str]:
        """The billing plans (``monthly``, ``annual``, ``triennial``) the broker sells."""
        offered = {
            "monthly": self.offer_monthly_billing,
            "annual": self.offer_annual_billing,
            "triennial": self.offer_triennial_billing,
        }
        return frozenset(plan for plan, on in offered.items() if on)

    @property
    def offered_terms(self) -> frozenset[str]:
        """The term durations (``P1M``, ``P1Y``, ``P3Y``) the broker sells."""
        offered = {"P1M": self.offer_term_p1m, "P1Y": self.offer_term_p1y, "P3Y": self.offer_term_p3y}
        return frozenset(term for term, on in offered.items() if on)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if not self.offered_billing_plans:
            errors["offer_monthly_billing"] = "Offer at least one billing plan (monthly, annual or three-yearly)."
        if not self.offered_terms:
            errors["offer_term_p1m"] = "Offer at least one term (one month, one year or three years)."
        if not (isinstance(self.market, str) and len(self.market) == 2 and self.market.isalpha()):
            errors["market"] = "Enter the market as a two-letter country code, such as DE."
        else:
            self.market = self.market.upper()
        if errors:
            raise ValidationError(errors)
