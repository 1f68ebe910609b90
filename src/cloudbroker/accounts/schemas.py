import datetime as dt
import uuid

from ninja import Field, Schema

from cloudbroker.core.permissions import StaffRole

__all__ = ["ApiTokenCreate", "ApiTokenCreated", "ApiTokenOut", "StaffCreate", "StaffOut", "StaffUpdate"]


class GroupRef(Schema):
    id: uuid.UUID
    name: str


class StaffOut(Schema):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    staff_role: StaffRole
    staff_role_label: str
    is_active: bool
    groups: list[GroupRef]
    last_login: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_staff_role_label(obj) -> str:
        return obj.get_staff_role_display()

    @staticmethod
    def resolve_groups(obj, context) -> list:
        from cloudbroker.organizations.querysets import visible_groups

        request = (context or {}).get("request")
        return visible_groups(getattr(request, "auth", None), obj.assigned_groups.all())


class StaffCreate(Schema):
    email: str
    first_name: str = ""
    last_name: str = ""
    staff_role: StaffRole
    password: str | None = Field(None, description="Leave empty to create the account without a password.")
    groups: list[uuid.UUID] = Field(default_factory=list)


class StaffUpdate(Schema):
    first_name: str | None = None
    last_name: str | None = None
    staff_role: StaffRole | None = None
    is_active: bool | None = None
    groups: list[uuid.UUID] | None = None


class ApiTokenCreate(Schema):
    name: str
    expires_at: dt.datetime | None = None


class ApiTokenOut(Schema):
    id: uuid.UUID
    name: str
    key_prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="Shown only once. Send it as 'Authorization: Bearer <token>'.")


class UnlockOut(Schema):
    cleared_attempts: int = Field(description="Failed log-ins cleared, over every client.")
