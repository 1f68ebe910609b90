"""Staff and organization roles and what each may do: the one permission table.

``docs/roles.md`` is generated from this module (``manage.py roles_doc``) and a test keeps it
in step. Scope says *which* organizations a role reaches; permissions say *what* it may do
there. Anything outside scope is a 404; a permission the role lacks is a 403.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models

__all__ = [
    "GROUP_SCOPED_ROLES",
    "ORGANIZATION_ROLE_PERMISSIONS",
    "STAFF_ROLE_PERMISSIONS",
    "OrganizationRole",
    "Perm",
    "Scope",
    "StaffRole",
    "role_scope",
]


class StaffRole(models.TextChoices):
    SUPER_ADMIN = "super_admin", "Super Admin"
    GLOBAL_ADMIN = "global_admin", "Global Admin"
    GLOBAL_VIEW_ONLY_ADMIN = "global_view_only_admin", "Global View Only Admin"
    GLOBAL_SUPPORT_ADMIN = "global_support_admin", "Global Support Admin"
    GLOBAL_BILLING_ADMIN = "global_billing_admin", "Global Billing Admin"
    KEY_ACCOUNT_MANAGER = "key_account_manager", "Key Account Manager"
    KEY_ACCOUNT_VIEW_ONLY_MANAGER = "key_account_view_only_manager", "Key Account View Only Manager"
    LIMITED_KEY_ACCOUNT_MANAGER = "limited_key_account_manager", "Limited Key Account Manager"
    SALES_AGENT = "sales_agent", "Sales Agent"


class OrganizationRole(models.TextChoices):
    USER = "user", "Organization user"
    VIEW_ONLY_ADMIN = "view_only_admin", "Organization view-only admin"
    BILLING_ADMIN = "billing_admin", "Organization billing admin"
    ADMIN = "admin", "Organization admin"


class Scope(StrEnum):
    BROKER = "broker"  # every organization of the broker
    GROUPS = "groups"  # organizations in the groups assigned to the user
    ORGANIZATION = "organization"  # the user's own organization


class Perm(StrEnum):
    """Actions. Names read as 'may <verb> <thing>'."""

    BROKER_VIEW = "broker.view"
    BROKER_CHANGE = "broker.change"
    STAFF_VIEW = "staff.view"
    STAFF_MANAGE = "staff.manage"
    ACCOUNT_UNLOCK = "account.unlock"
    GROUP_VIEW = "group.view"
    GROUP_MANAGE = "group.manage"
    ORGANIZATION_VIEW = "organization.view"
    ORGANIZATION_CREATE = "organization.create"
    ORGANIZATION_CHANGE = "organization.change"
    ORGANIZATION_DELETE = "organization.delete"
    ORGANIZATION_MULTI_GROUP = "organization.multi_group"
    APPROVAL_SETTINGS_CHANGE = "approval_settings.change"
    COST_VIEW = "cost.view"
    BILLING_VIEW = "billing.view"
    AUDIT_VIEW = "audit.view"
    JOB_VIEW = "job.view"
    TENANT_VIEW = "tenant.view"
    TENANT_MANAGE = "tenant.manage"
    TENANT_LINK = "tenant.link"
    PARTNER_CENTER_MANAGE = "partner_center.manage"
    PARTNER_CENTER_SYNC = "partner_center.sync"
    CATALOG_VIEW = "catalog.view"
    CATALOG_MANAGE = "catalog.manage"
    PRICE_VIEW = "price.view"
    PRICE_LIST_CHANGE = "price_list.change"
    CUSTOMER_PRICE_CHANGE = "customer_price.change"
    SUBSCRIPTION_VIEW = "subscription.view"
    SUBSCRIPTION_MANAGE = "subscription.manage"


_ALL = frozenset(Perm)
_READ = frozenset(
    {
        Perm.BROKER_VIEW,
        Perm.GROUP_VIEW,
        Perm.TENANT_VIEW,
        Perm.ORGANIZATION_VIEW,
        Perm.COST_VIEW,
        Perm.BILLING_VIEW,
        Perm.AUDIT_VIEW,
        Perm.JOB_VIEW,
        Perm.CATALOG_VIEW,
        Perm.PRICE_VIEW,
        Perm.SUBSCRIPTION_VIEW,
    }
)
_KAM = frozenset(
    {
        Perm.BROKER_VIEW,
        Perm.GROUP_VIEW,
        Perm.TENANT_VIEW,
        Perm.TENANT_MANAGE,
        Perm.ORGANIZATION_VIEW,
        Perm.ORGANIZATION_CREATE,
        Perm.ORGANIZATION_CHANGE,
        Perm.ORGANIZATION_DELETE,
        Perm.APPROVAL_SETTINGS_CHANGE,
        Perm.COST_VIEW,
        Perm.BILLING_VIEW,
        Perm.AUDIT_VIEW,
        Perm.JOB_VIEW,
        Perm.CATALOG_VIEW,
        Perm.PRICE_VIEW,
        Perm.CUSTOMER_PRICE_CHANGE,
        Perm.SUBSCRIPTION_VIEW,
        Perm.SUBSCRIPTION_MANAGE,
    }
)
_LIMITED_KAM = _KAM - {Perm.APPROVAL_SETTINGS_CHANGE, Perm.ORGANIZATION_DELETE}

STAFF_ROLE_PERMISSIONS: dict[StaffRole, frozenset[Perm]] = {
    # Everything, including reseller properties and other administrators.
    StaffRole.SUPER_ADMIN: _ALL,
    # Everything but the reseller properties, the Partner Center credentials and unlocking accounts.
    StaffRole.GLOBAL_ADMIN: _ALL - {Perm.BROKER_CHANGE, Perm.PARTNER_CENTER_MANAGE, Perm.ACCOUNT_UNLOCK},
    # Sees all that a Global Admin sees; changes nothing.
    StaffRole.GLOBAL_VIEW_ONLY_ADMIN: _READ | {Perm.STAFF_VIEW},
    # Serves every customer, but no pricing, cost or billing.
    StaffRole.GLOBAL_SUPPORT_ADMIN: frozenset(
        {
            Perm.BROKER_VIEW,
            Perm.GROUP_VIEW,
            Perm.ORGANIZATION_VIEW,
            Perm.ORGANIZATION_CREATE,
            Perm.ORGANIZATION_CHANGE,
            Perm.AUDIT_VIEW,
            Perm.JOB_VIEW,
            Perm.TENANT_VIEW,
            Perm.TENANT_MANAGE,
            Perm.TENANT_LINK,
            Perm.CATALOG_VIEW,
            Perm.SUBSCRIPTION_VIEW,
            Perm.SUBSCRIPTION_MANAGE,
        }
    ),
    # Billing pages for every customer; organizations read-only.
    StaffRole.GLOBAL_BILLING_ADMIN: frozenset(
        {
            Perm.BROKER_VIEW,
            Perm.GROUP_VIEW,
            Perm.ORGANIZATION_VIEW,
            Perm.TENANT_VIEW,
            Perm.COST_VIEW,
            Perm.BILLING_VIEW,
            Perm.AUDIT_VIEW,
            Perm.CATALOG_VIEW,
            Perm.PRICE_VIEW,
            Perm.SUBSCRIPTION_VIEW,
        }
    ),
    # Full administration of the organizations in the assigned groups.
    StaffRole.KEY_ACCOUNT_MANAGER: _KAM,
    # Read-only Key Account Manager.
    StaffRole.KEY_ACCOUNT_VIEW_ONLY_MANAGER: _READ,
    # Key Account Manager without approval settings or deleting organizations.
    StaffRole.LIMITED_KEY_ACCOUNT_MANAGER: _LIMITED_KAM,
    # Limited Key Account Manager who never sees cost or margin (and so sets no prices).
    StaffRole.SALES_AGENT: _LIMITED_KAM - {Perm.COST_VIEW, Perm.CUSTOMER_PRICE_CHANGE},
}

GROUP_SCOPED_ROLES = frozenset(
    {
        StaffRole.KEY_ACCOUNT_MANAGER,
        StaffRole.KEY_ACCOUNT_VIEW_ONLY_MANAGER,
        StaffRole.LIMITED_KEY_ACCOUNT_MANAGER,
        StaffRole.SALES_AGENT,
    }
)

ORGANIZATION_ROLE_PERMISSIONS: dict[OrganizationRole, frozenset[Perm]] = {
    OrganizationRole.USER: frozenset({Perm.ORGANIZATION_VIEW}),
    OrganizationRole.VIEW_ONLY_ADMIN: frozenset({Perm.ORGANIZATION_VIEW, Perm.BILLING_VIEW, Perm.AUDIT_VIEW}),
    OrganizationRole.BILLING_ADMIN: frozenset({Perm.ORGANIZATION_VIEW, Perm.BILLING_VIEW}),
    OrganizationRole.ADMIN: frozenset(
        {Perm.ORGANIZATION_VIEW, Perm.ORGANIZATION_CHANGE, Perm.BILLING_VIEW, Perm.AUDIT_VIEW}
    ),
}


def role_scope(role: StaffRole) -> Scope:
    return Scope.GROUPS if role in GROUP_SCOPED_ROLES else Scope.BROKER
