import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

__all__ = [
    "AuditEventOut",
    "DomainCreate",
    "DomainOut",
    "GroupCreate",
    "GroupMembers",
    "GroupOut",
    "GroupUpdate",
    "GroupUsers",
    "OrganizationBulkCreate",
    "OrganizationCreate",
    "OrganizationOut",
    "OrganizationUpdate",
]


class GroupRef(Schema):
    id: uuid.UUID
    name: str


class OrganizationFields(Schema):
    registration_number: str | None = None
    approval_required: bool | None = None
    approval_limit: Decimal | None = Field(None, description="Annual amount; monthly amounts count x12.")
    billing_start_date: dt.date | str | None = Field(None, description="YYYY-MM-DD or DD/MM/YYYY; default today.")
    customer_number: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code (or English name).")
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    contact_cell_phone: str | None = None


class OrganizationCreate(OrganizationFields):
    name: str
    primary_domain: str = Field(description="Bare domain, e.g. contoso.com (no http://, no www.).")
    notification_email: str
    groups: list[uuid.UUID] = Field(default_factory=list, description="Organization group ids.")


class OrganizationBulkCreate(Schema):
    organizations: list[OrganizationCreate] = Field(min_length=1, max_length=1000)


class OrganizationUpdate(OrganizationFields):
    name: str | None = None
    primary_domain: str | None = None
    notification_email: str | None = None


class OrganizationOut(Schema):
    id: uuid.UUID
    name: str
    primary_domain: str
    registration_number: str
    notification_email: str
    approval_required: bool
    approval_limit: Decimal | None
    billing_start_date: dt.date
    customer_number: str
    street_address: str
    postal_code: str
    city: str
    state: str
    country: str
    contact_name: str
    contact_phone: str
    contact_email: str
    contact_cell_phone: str
    groups: list[GroupRef]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_country(obj) -> str:
        return obj.country.code or ""

    @staticmethod
    def resolve_groups(obj, context) -> list:
        # Only the groups the caller may see (an organization can also sit in others' groups).
        from cloudbroker.organizations.querysets import visible_groups

        request = (context or {}).get("request")
        return visible_groups(getattr(request, "auth", None), obj.groups.all())


class DomainCreate(Schema):
    domain: str


class DomainOut(Schema):
    id: uuid.UUID
    domain: str
    created_at: dt.datetime


class GroupCreate(Schema):
    name: str
    description: str = ""


class GroupUpdate(Schema):
    name: str | None = None
    description: str | None = None


class GroupOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    member_count: int
    created_at: dt.datetime


class GroupMembers(Schema):
    organizations: list[uuid.UUID] = Field(max_length=100_000)
    mode: Literal["set", "add", "remove"] = "add"


class GroupUsers(Schema):
    users: list[uuid.UUID]


class AuditEventOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor: str = Field(alias="actor_label")
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict | None
    after: dict | None
    request_id: str

    @staticmethod
    def _visible(values: dict | None, context) -> dict | None:
        # An organization's stored group ids are cut to the groups the caller may see.
        if not values or "groups" not in values:
            return values
        from cloudbroker.organizations.querysets import visible_group_ids

        request = (context or {}).get("request")
        return {**values, "groups": visible_group_ids(getattr(request, "auth", None), values["groups"] or [])}

    @staticmethod
    def resolve_before(obj, context) -> dict | None:
        return AuditEventOut._visible(obj.before, context)

    @staticmethod
    def resolve_after(obj, context) -> dict | None:
        return AuditEventOut._visible(obj.after, context)
