from django.db import models

__all__ = ["EventKind", "SubscriptionStatus"]


class SubscriptionStatus(models.TextChoices):
    """Where a subscription stands. ``SCHEDULED`` waits for its provisioning date; ``PENDING`` waits
    for the vendor to confirm it; ``CANCELLED`` covers a scheduled request withdrawn before its date."""

    SCHEDULED = "scheduled", "Scheduled"
    PENDING = "pending", "Waiting for the vendor"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"

    @classmethod
    def live(cls) -> tuple[str, ...]:
        """Statuses of a subscription the vendor bills (seats held)."""
        return (cls.ACTIVE, cls.SUSPENDED)


class EventKind(models.TextChoices):
    """What happened to a subscription: the record billing rates."""

    ORDERED = "ordered", "Ordered"
    SCHEDULED = "scheduled", "Scheduled for a later date"
    REQUEST_CANCELLED = "request_cancelled", "Scheduled request withdrawn"
    PROVISIONED = "provisioned", "Provisioned"
    FAILED = "failed", "Failed"
    QUANTITY_CHANGED = "quantity_changed", "Quantity changed"
    PRICE_CHANGED = "price_changed", "Sales price changed"
    RENAMED = "renamed", "Renamed"
    AUTO_RENEW_CHANGED = "auto_renew_changed", "Auto-renew changed"
    SUSPENDED = "suspended", "Suspended"
    ACTIVATED = "activated", "Activated"
    RENEWED = "renewed", "Renewed"
    NEXT_TERM_SCHEDULED = "next_term_scheduled", "Change for the next term scheduled"
    UPGRADED = "upgraded", "Upgraded"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    CHANGE_REFUSED = "change_refused", "Change refused by the vendor"
    FOUND_AT_VENDOR = "found_at_vendor", "Found at the vendor"
    CHANGED_AT_VENDOR = "changed_at_vendor", "Changed at the vendor"
