from django.db import models

__all__ = ["BillingPlan", "PriceKind", "TermDuration"]


class TermDuration(models.TextChoices):
    """How long a subscription commits to (ISO 8601 durations, as Partner Center writes them)."""

    P1M = "P1M", "1 month"
    P1Y = "P1Y", "1 year"
    P3Y = "P3Y", "3 years"

    @property
    def months(self) -> int:
        return {"P1M": 1, "P1Y": 12, "P3Y": 36}[self.value]


class BillingPlan(models.TextChoices):
    """How often a subscription is charged."""

    MONTHLY = "monthly", "Monthly"
    ANNUAL = "annual", "Annual"
    TRIENNIAL = "triennial", "Three-yearly (paid up front)"

    @property
    def months(self) -> int:
        return {"monthly": 1, "annual": 12, "triennial": 36}[self.value]


class PriceKind(models.TextChoices):
    """How a price-list entry sets the sales price."""

    AMOUNT = "amount", "Fixed price"
    MARGIN = "margin", "Margin % on cost"
    MARKUP = "markup", "Markup % on cost"
    ERP_DISCOUNT = "erp_discount", "Discount % off Microsoft's retail price"
    INHERIT = "inherit", "No own price (the next rule applies)"
