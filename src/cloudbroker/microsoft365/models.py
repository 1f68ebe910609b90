"""Partner Center connections, Microsoft 365 tenants (Partner Center customers) and what the sync
brings in about them: subscriptions and users."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cloudbroker.core.crypto import decrypt, encrypt
from cloudbroker.core.models import BaseModel
from cloudbroker.core.permissions import Perm
from cloudbroker.core.scoping import ScopedQuerySet
from cloudbroker.microsoft365.choices import TenantStatus

__all__ = ["MicrosoftTenant", "PartnerCenterConnection", "TenantSubscription", "TenantUser"]

MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
MICROSOFT_API = "https://api.partnercenter.microsoft.com"
MICROSOFT_SCOPE = "https://api.partnercenter.microsoft.com/.default"


class PartnerCenterConnectionQuerySet(models.QuerySet):
    def visible_to(self, actor) -> PartnerCenterConnectionQuerySet:
        return self.filter(broker_id=actor.broker_id)


class PartnerCenterConnection(BaseModel):
    """A broker's app registration for the Partner Center API. The secret is stored encrypted."""

    broker = models.OneToOneField("brokers.Broker", on_delete=models.CASCADE, related_name="partner_center")
    tenant_id = models.CharField("partner tenant ID", max_length=100)
    client_id = models.CharField("application (client) ID", max_length=100)
    client_secret_encrypted = models.TextField(blank=True)
    authority_base = models.URLField(
        "token authority",
        default=MICROSOFT_AUTHORITY,
        help_text="Microsoft Entra; another address only for a Partner Center emulator.",
    )
    api_base_url = models.URLField("Partner Center API", default=MICROSOFT_API)
    scope = models.CharField(max_length=200, default=MICROSOFT_SCOPE)
    requests_per_minute = models.PositiveIntegerField(
        default=450, help_text="Stay under Partner Center's limit for the partner (500 per minute)."
    )
    sync_enabled = models.BooleanField(default=True)
    sync_interval_minutes = models.PositiveIntegerField(default=60)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True)
    last_check_message = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    objects = PartnerCenterConnectionQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Partner Center connection of {self.broker}"

    @property
    def authority(self) -> str:
        return f"{self.authority_base.rstrip('/')}/{self.tenant_id}"

    @property
    def client_secret(self) -> str:
        return decrypt(self.client_secret_encrypted) if self.client_secret_encrypted else ""

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_encrypted = encrypt(value) if value else ""


class MicrosoftTenantQuerySet(ScopedQuerySet):
    """Tenants of organizations the actor sees; unlinked ones only for whole-broker roles that may link them."""

    scope_organization = "organization"

    def visible_to(self, actor) -> MicrosoftTenantQuerySet:
        qs = super().visible_to(actor)
        if actor.scope_is_broker and actor.has(Perm.TENANT_LINK):
            return qs
        return qs.filter(organization__isnull=False)


class MicrosoftTenant(BaseModel):
    """A Microsoft 365 tenant: a customer in Partner Center, linked to at most one organization."""

    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="microsoft_tenants")
    organization = models.OneToOneField(
        "organizations.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="microsoft_tenant"
    )
    customer_id = models.CharField("Partner Center customer (tenant) ID", max_length=64, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    default_domain = models.CharField(max_length=253, blank=True, help_text="The *.onmicrosoft.com domain.")
    status = models.CharField(max_length=16, choices=TenantStatus.choices, default=TenantStatus.PENDING)
    status_message = models.TextField(blank=True)
    # What Partner Center's company and billing profiles say (cloudbroker.microsoft365.profiles):
    # read for unlinked customers, to fill the organization made from one.
    registration_number = models.CharField(max_length=100, blank=True)
    company_email = models.CharField(max_length=254, blank=True)
    contact_first_name = models.CharField(max_length=100, blank=True)
    contact_last_name = models.CharField(max_length=100, blank=True)
    contact_email = models.CharField(max_length=254, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=32, blank=True)
    country = models.CharField(max_length=2, blank=True)
    phone_number = models.CharField(max_length=50, blank=True)
    custom_domains = models.JSONField(default=list, blank=True, help_text="Verified domains besides *.onmicrosoft.com.")
    profiles_read_at = models.DateTimeField(
        null=True, blank=True, help_text="When the company and billing profiles were last read in full."
    )
    admin_user = models.CharField(max_length=254, blank=True)
    outbox_message = models.ForeignKey(
        "core.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    objects = MicrosoftTenantQuerySet.as_manager()

    class Meta:
        ordering = ["company_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["broker", "customer_id"],
                condition=~Q(customer_id=""),
                name="tenant_unique_customer_per_broker",
                violation_error_message="This Partner Center customer is already known.",
            ),
        ]

    def __str__(self) -> str:
        return self.default_domain or self.company_name or str(self.pk)


class TenantSubscription(BaseModel):
    """A subscription of a tenant as Partner Center last reported it (kept by the sync)."""

    tenant = models.ForeignKey(MicrosoftTenant, on_delete=models.CASCADE, related_name="subscriptions")
    subscription_id = models.CharField(max_length=64)
    record = models.OneToOneField(
        "subscriptions.Subscription",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="partner_center",
        help_text="The organization's subscription this Partner Center subscription is.",
    )
    offer_id = models.CharField(max_length=100, blank=True)
    offer_name = models.CharField(max_length=200, blank=True)
    friendly_name = models.CharField(max_length=200, blank=True)
    quantity = models.IntegerField(default=0)
    status = models.CharField(max_length=32, blank=True)
    billing_cycle = models.CharField(max_length=32, blank=True)
    term_duration = models.CharField(max_length=16, blank=True)
    auto_renew = models.BooleanField(null=True)
    commitment_end_date = models.DateField(null=True, blank=True)
    removed = models.BooleanField(default=False)

    class Meta:
        ordering = ["offer_name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "subscription_id"], name="tenant_subscription_unique")]

    def __str__(self) -> str:
        return self.friendly_name or self.offer_name or self.subscription_id


class TenantUser(BaseModel):
    """A user of a tenant as Partner Center last reported it (kept by the sync)."""

    tenant = models.ForeignKey(MicrosoftTenant, on_delete=models.CASCADE, related_name="users")
    user_id = models.CharField(max_length=64)
    user_principal_name = models.CharField(max_length=254, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    usage_location = models.CharField(max_length=4, blank=True)
    state = models.CharField(max_length=32, blank=True)
    removed = models.BooleanField(default=False)

    class Meta:
        ordering = ["user_principal_name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "user_id"], name="tenant_user_unique")]

    def __str__(self) -> str:
        return self.user_principal_name or self.user_id
