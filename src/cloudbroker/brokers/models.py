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

    objects = BrokerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
