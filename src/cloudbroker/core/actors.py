"""Who is acting: resolved once per request (portal or API) or made explicitly for commands/jobs.

Every query that reaches a user goes through ``Model.objects.visible_to(actor)``; every service
checks ``actor.require(Perm...)``. The actor carries what both need, so neither has to ask again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from cloudbroker.core.errors import PermissionDenied
from cloudbroker.core.permissions import (
    ORGANIZATION_ROLE_PERMISSIONS,
    STAFF_ROLE_PERMISSIONS,
    OrganizationRole,
    Perm,
    Scope,
    StaffRole,
    role_scope,
)


class ActingUser(Protocol):
    """What an actor needs of a user (``accounts.User`` is one; core names no app)."""

    pk: Any
    email: str
    is_active: bool
    broker_id: uuid.UUID | None
    staff_role: str
    organization_id: uuid.UUID | None
    organization_role: str
    assigned_groups: Any


__all__ = ["ActingUser", "Actor", "ActorKind", "actor_for_user"]


class ActorKind(StrEnum):
    STAFF = "staff"
    ORGANIZATION = "organization"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    broker_id: uuid.UUID
    user: ActingUser | None = None
    staff_role: StaffRole | None = None
    organization_role: OrganizationRole | None = None
    organization_id: uuid.UUID | None = None
    group_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    permissions: frozenset[Perm] = field(default_factory=frozenset)
    via_token: bool = False

    # --- scope -------------------------------------------------------------------------
    @property
    def scope(self) -> Scope:
        if self.kind is ActorKind.SYSTEM:
            return Scope.BROKER
        if self.kind is ActorKind.ORGANIZATION:
            return Scope.ORGANIZATION
        assert self.staff_role is not None
        return role_scope(self.staff_role)

    @property
    def scope_is_broker(self) -> bool:
        return self.scope is Scope.BROKER

    @property
    def is_staff(self) -> bool:
        return self.kind is ActorKind.STAFF

    @property
    def user_id(self):
        return self.user.pk if self.user is not None else None

    @property
    def label(self) -> str:
        if self.user is None:
            return "system"
        return self.user.email + (" (API token)" if self.via_token else "")

    # --- permissions -------------------------------------------------------------------
    def has(self, perm: Perm) -> bool:
        return perm in self.permissions

    def require(self, perm: Perm) -> None:
        if perm not in self.permissions:
            raise PermissionDenied(f"Your role does not allow this ({perm.value}).")

    # --- construction ------------------------------------------------------------------
    @classmethod
    def system(cls, broker: Any) -> Actor:
        """The actor of commands and jobs: the whole broker (a ``Broker`` or its id), every permission."""
        broker_id = broker if isinstance(broker, uuid.UUID) else broker.pk
        return cls(kind=ActorKind.SYSTEM, broker_id=broker_id, permissions=frozenset(Perm))


def actor_for_user(user: ActingUser, *, via_token: bool = False) -> Actor | None:
    """The actor for an authenticated, active user; ``None`` when the user may not act at all."""
    if not user.is_active or user.broker_id is None:
        return None
    if user.staff_role:
        staff_role = StaffRole(user.staff_role)
        group_ids: frozenset[uuid.UUID] = frozenset()
        if role_scope(staff_role) is Scope.GROUPS:
            group_ids = frozenset(user.assigned_groups.values_list("pk", flat=True))
        return Actor(
            kind=ActorKind.STAFF,
            broker_id=user.broker_id,
            user=user,
            staff_role=staff_role,
            group_ids=group_ids,
            permissions=STAFF_ROLE_PERMISSIONS[staff_role],
            via_token=via_token,
        )
    if user.organization_id and user.organization_role:
        organization_role = OrganizationRole(user.organization_role)
        return Actor(
            kind=ActorKind.ORGANIZATION,
            broker_id=user.broker_id,
            user=user,
            organization_role=organization_role,
            organization_id=user.organization_id,
            permissions=ORGANIZATION_ROLE_PERMISSIONS[organization_role],
            via_token=via_token,
        )
    return None
