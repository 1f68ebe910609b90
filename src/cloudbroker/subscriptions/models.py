"""Subscriptions, vendor-neutral: what an organization holds, its seat lots and its history.

A subscription is one item code bought for an organization. Its seats were added in *lots* (the
purchase, each renewal, each increase): the vendor's window for taking seats back runs per lot.
Every change is a :class:`SubscriptionEvent` with its effective time, the quantities and the
prices before and after — the record billing is computed from. The sales price is kept per period
(:class:`SubscriptionPrice`), so an edited historic price changes only the periods it covers.

The vendor's side (Partner Center's ids, orders, its rules) is in the vendor's app above this one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cloudbroker.catalog.choices import BillingPlan, TermDuration
from cloudbroker.core.models import BaseModel
from cloudbroker.core.scoping import ScopedQuerySet
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus

__all__ = ["SeatLot", "Subscription", "SubscriptionEvent", "SubscriptionPrice"]

MAX_DIGITS, DECIMAL_PLACES = 18, 6


class SubscriptionQuerySet(ScopedQuerySet):
    """Subscriptions of the organizations the actor sees."""

    scope_organization = "organization"


class Subscription(BaseModel):
    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="subscriptions"
    )
    offer = models.ForeignKey("catalog.Offer", on_delete=models.PROTECT, related_name="subscriptions")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addons",
        help_text="The base subscription an add-on belongs to.",
    )
    friendly_name = models.CharField(max_length=200, blank=True)
    po_number = models.CharField("PO number", max_length=100, blank=True)
    quantity = models.PositiveIntegerField()
    assigned_quantity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seats with a licence assigned (consumed), as the vendor last reported."
    )
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING)
    status_message = models.TextField(blank=True)
    change_pending = models.CharField(
        max_length=200, blank=True, help_text="A change sent to the vendor and not yet confirmed (none while empty)."
    )
    term = models.CharField(max_length=3, choices=TermDuration.choices)
    billing_plan = models.CharField(max_length=16, choices=BillingPlan.choices)
    start_date = models.DateField(null=True, blank=True)
    commitment_end = models.DateField(
        null=True, blank=True, help_text="The last day of the term (inclusive): the end of the price lock."
    )
    requested_end = models.DateField(
        null=True,
        blank=True,
        help_text="The end date asked for at purchase (aligned to another subscription or a month).",
    )
    auto_renew = models.BooleanField(default=True)
    provision_on = models.DateField(null=True, blank=True, help_text="A later date the subscription is bought on.")
    currency = models.CharField(max_length=3)
    unit_price = models.DecimalField(
        "sales price per seat per charge", null=True, blank=True, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES
    )
    unit_cost = models.DecimalField(
        "cost per seat per charge", null=True, blank=True, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES
    )
    next_term_offer = models.ForeignKey(
        "catalog.Offer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The item code (product, term, billing plan) the next term renews to; none: unchanged.",
    )
    next_term_quantity = models.PositiveIntegerField(
        null=True, blank=True, help_text="The quantity the next term renews with; none: unchanged."
    )
    vendor_subscription_id = models.CharField(max_length=64, blank=True)
    vendor_order_id = models.CharField(max_length=64, blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "created_at"]
        indexes = [
            models.Index(fields=["organization", "status"], name="subscription_org_status"),
            models.Index(fields=["broker", "commitment_end"], name="subscription_renewal"),
            models.Index(fields=["status", "provision_on"], name="subscription_scheduled"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["broker", "vendor_subscription_id"],
                condition=~Q(vendor_subscription_id=""),
                name="subscription_unique_vendor_id",
                violation_error_message="This vendor subscription is already recorded.",
            ),
        ]

    def __str__(self) -> str:
        return self.friendly_name or self.offer.product.title

    @property
    def is_live(self) -> bool:
        return self.status in SubscriptionStatus.live()

    @property
    def renews_with_changes(self) -> bool:
        return self.next_term_offer_id is not None or self.next_term_quantity is not None


class SeatLot(BaseModel):
    """Seats added at one moment; the vendor's window to take them back runs from ``added_at``."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="lots")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField()
    reducible_until = models.DateTimeField(
        null=True, blank=True, help_text="The vendor takes these seats back until then (its rule; none: never)."
    )

    class Meta:
        ordering = ["subscription", "added_at"]


class SubscriptionPrice(BaseModel):
    """The sales price per seat per charge from a date (until the next row's date)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="prices")
    valid_from = models.DateField()
    unit_price = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["subscription", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "valid_from"], name="subscription_price_unique_date")
        ]


class SubscriptionEventQuerySet(ScopedQuerySet):
    scope_organization = "organization"


class SubscriptionEvent(models.Model):
    """One thing that happened to a subscription. Append-only."""

    id = models.BigAutoField(primary_key=True)
    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    occurred_at = models.DateTimeField(help_text="When it took effect.")
    quantity_before = models.PositiveIntegerField(null=True, blank=True)
    quantity_after = models.PositiveIntegerField(null=True, blank=True)
    price_before = models.DecimalField(null=True, blank=True, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    price_after = models.DecimalField(null=True, blank=True, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    currency = models.CharField(max_length=3, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = SubscriptionEventQuerySet.as_manager()

    class Meta:
        ordering = ["subscription", "occurred_at", "id"]
        indexes = [models.Index(fields=["subscription", "occurred_at"], name="subscription_event_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Subscription events are never changed.")
        super().save(*args, **kwargs)
