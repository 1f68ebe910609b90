from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django_countries.fields import CountryField

from cloudbroker.core.models import BaseModel

__all__ = ["Organization", "OrganizationDomain", "OrganizationGroup"]


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, actor) -> OrganizationQuerySet:
        """The one scoping choke point for organizations (and, through them, what hangs off them)."""
        from cloudbroker.core.permissions import Scope

        qs = self.filter(broker_id=actor.broker_id)
        scope = actor.scope
        if scope is Scope.BROKER:
            return qs
        if scope is Scope.ORGANIZATION:
            return qs.filter(pk=actor.organization_id)
        if not actor.group_ids:
            return qs.none()
        members = OrganizationGroup.organizations.through.objects.filter(organizationgroup_id__in=actor.group_ids)
        return qs.filter(pk__in=members.values("organization_id"))

    def search(self, text: str) -> OrganizationQuerySet:
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text) | Q(primary_domain__icontains=text.lower()) | Q(customer_number__icontains=text)
        )


class Organization(BaseModel):
    """A customer of the broker: the record every service, user and bill hangs off."""

    # No index of its own: every index below starts with broker_id and serves it.
    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="organizations", db_index=False)
    name = models.CharField(max_length=200)
    primary_domain = models.CharField(max_length=253, help_text="The customer's main domain, e.g. contoso.com.")
    registration_number = models.CharField(max_length=64, blank=True, help_text="Company ID or tax ID.")
    notification_email = models.EmailField(help_text="Notifications for this customer are sent here.")
    approval_required = models.BooleanField(
        "approval process", default=False, help_text="Self-service transactions need approval."
    )
    approval_limit = models.DecimalField(
        "approval process limit",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Annual amount above which a transaction needs approval (monthly amounts count x12).",
    )
    billing_start_date = models.DateField(help_text="Billing reports can be run from this date.")
    customer_number = models.CharField(max_length=64, blank=True, help_text="Your reference for this customer.")
    street_address = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    country = CountryField(blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_cell_phone = models.CharField(max_length=40, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "broker",
                Lower("primary_domain"),
                name="organization_unique_domain_per_broker",
                violation_error_message="Another organization already has this primary domain.",
            ),
            models.UniqueConstraint(
                fields=["broker", "customer_number"],
                condition=~Q(customer_number=""),
                name="organization_unique_customer_number_per_broker",
                violation_error_message="Another organization already has this customer number.",
            ),
            models.CheckConstraint(
                condition=Q(approval_limit__isnull=True) | Q(approval_limit__gte=0),
                name="organization_approval_limit_not_negative",
                violation_error_message="The approval limit cannot be negative.",
            ),
        ]
        indexes = [
            models.Index(fields=["broker", "name"], name="org_broker_name_idx"),
            models.Index(fields=["broker", "customer_number"], name="org_broker_custno_idx"),
            models.Index(fields=["broker", "created_at"], name="org_broker_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class OrganizationDomain(BaseModel):
    """An additional domain of an organization (the primary one is on the organization)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "domain"],
                name="organization_domain_unique",
                violation_error_message="The organization already has this domain.",
            )
        ]

    def __str__(self) -> str:
        return self.domain


class OrganizationGroupQuerySet(models.QuerySet):
    def visible_to(self, actor) -> OrganizationGroupQuerySet:
        from cloudbroker.core.permissions import Scope

        qs = self.filter(broker_id=actor.broker_id)
        if actor.scope is Scope.BROKER:
            return qs
        if actor.scope is Scope.GROUPS:
            return qs.filter(pk__in=actor.group_ids)
        return qs.none()


class OrganizationGroup(BaseModel):
    """A set of organizations; assigned to account managers, who then see only those organizations."""

    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="organization_groups")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    organizations = models.ManyToManyField(Organization, related_name="groups", blank=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="assigned_groups", blank=True)

    objects = OrganizationGroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "broker",
                Lower("name"),
                name="organization_group_unique_name",
                violation_error_message="A group with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name
