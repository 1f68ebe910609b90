from django.db import models


class TenantStatus(models.TextChoices):
    PENDING = "pending", "Waiting for Partner Center"
    ACTIVE = "active", "Active"
    FAILED = "failed", "Failed"
    REMOVED = "removed", "Removed from Partner Center"


class JobKind(models.TextChoices):
    """The background jobs of Microsoft 365."""

    SYNC = "partner_center.sync", "Partner Center sync"
    CATALOG_SYNC = "partner_center.catalog_sync", "Catalog sync from Partner Center"
