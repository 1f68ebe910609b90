"""Staff users and personal API tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cloudbroker.accounts.models import ApiToken, User, hash_token
from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import record_event, snapshot
from cloudbroker.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from cloudbroker.core.permissions import GROUP_SCOPED_ROLES, Perm, StaffRole
from cloudbroker.core.scoping import lock_or_404
from cloudbroker.core.validation import validate_model
from cloudbroker.organizations.services import set_staff_groups, staff_group_ids

__all__ = [
    "STAFF_FIELDS",
    "authenticate_token",
    "change_password",
    "create_api_token",
    "create_staff_user",
    "revoke_api_token",
    "set_staff_active",
    "update_staff_user",
]

STAFF_FIELDS = ("email", "first_name", "last_name", "staff_role", "is_active")


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed([FieldError("password", m, "password_policy") for m in exc.messages]) from None


def _check_role_grant(actor: Actor, role: str) -> None:
    if role not in StaffRole.values:
        raise ValidationFailed([FieldError("staff_role", f"Unknown staff role {role!r}.", "invalid_choice")])
    if role == StaffRole.SUPER_ADMIN and actor.staff_role not in (StaffRole.SUPER_ADMIN, None):
        raise PermissionDenied("Only a Super Admin can make another Super Admin.")


def create_staff_user(
    *, actor: Actor, data: dict[str, Any], password: str | None = None, group_ids: Iterable = ()
) -> User:
    actor.require(Perm.STAFF_MANAGE)
    role = data.get("staff_role", "")
    _check_role_grant(actor, role)
    email = (data.get("email") or "").strip().lower()
    user = User(
        email=email,
        first_name=(data.get("first_name") or "").strip(),
        last_name=(data.get("last_name") or "").strip(),
        staff_role=role,
        broker_id=actor.broker_id,
    )
    validate_model(user, fields=("email", "first_name", "last_name", "staff_role"), validate_unique=False)
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        taken = ValidationFailed([FieldError("email", "A user with this e-mail address already exists.", "unique")])
        if User.objects.filter(broker_id=actor.broker_id, email=email).exists():
            raise taken
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise taken from None
        set_staff_groups(actor=actor, user=user, group_ids=group_ids)
        record_event(
            actor=actor,
            action="staff.created",
            obj=user,
            after={**snapshot(user, STAFF_FIELDS), "groups": staff_group_ids(user)},
        )
    return user


def update_staff_user(*, actor: Actor, user: User, data: dict[str, Any], group_ids: Iterable | None = None) -> User:
    actor.require(Perm.STAFF_MANAGE)
    with transaction.atomic():
        user = lock_or_404(User.objects, user.pk)
        if user.staff_role == StaffRole.SUPER_ADMIN and actor.staff_role not in (StaffRole.SUPER_ADMIN, None):
            raise PermissionDenied("Only a Super Admin can change a Super Admin.")
        before = {**snapshot(user, STAFF_FIELDS), "groups": staff_group_ids(user)}
        if "staff_role" in data and data["staff_role"] != user.staff_role:
            _check_role_grant(actor, data["staff_role"])
            if user.pk == actor.user_id:
                raise Conflict("You cannot change your own role.", field="staff_role")
            _ensure_not_last_super_admin(user)
            user.staff_role = data["staff_role"]
        for key in ("first_name", "last_name"):
            if key in data:
                setattr(user, key, (data[key] or "").strip())
        validate_model(user, fields=("first_name", "last_name", "staff_role"), validate_unique=False)
        user.save()
        if group_ids is not None:
            set_staff_groups(actor=actor, user=user, group_ids=group_ids)
        elif user.staff_role not in GROUP_SCOPED_ROLES:
            user.assigned_groups.clear()
        after = {**snapshot(user, STAFF_FIELDS), "groups": staff_group_ids(user)}
        if after != before:
            record_event(actor=actor, action="staff.updated", obj=user, before=before, after=after)
    return user


def _ensure_not_last_super_admin(user: User) -> None:
    if user.staff_role == StaffRole.SUPER_ADMIN:
        others = User.objects.filter(broker_id=user.broker_id, staff_role=StaffRole.SUPER_ADMIN, is_active=True)
        if not others.exclude(pk=user.pk).exists():
            raise Conflict("The broker must keep at least one active Super Admin.")


def set_staff_active(*, actor: Actor, user: User, active: bool) -> User:
    actor.require(Perm.STAFF_MANAGE)
    with transaction.atomic():
        user = lock_or_404(User.objects, user.pk)
        if user.is_active == active:
            return user
        if user.staff_role == StaffRole.SUPER_ADMIN and actor.staff_role not in (StaffRole.SUPER_ADMIN, None):
            verb = "enable" if active else "disable"
            raise PermissionDenied(f"Only a Super Admin can {verb} a Super Admin.")
        if not active:
            if user.pk == actor.user_id:
                raise Conflict("You cannot disable your own account.")
            _ensure_not_last_super_admin(user)
        user.is_active = active
        user.save(update_fields=["is_active", "updated_at"])
        if not active:
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        record_event(
            actor=actor,
            action="staff.enabled" if active else "staff.disabled",
            obj=user,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return user


def change_staff_user(*, actor: Actor, user: User, data: dict[str, Any]) -> User:
    """One change to a staff user from the API: status, role, names and groups, in one transaction.

    ``data`` holds only what the caller sent; ``groups`` replaces the assigned groups.
    """
    actor.require(Perm.STAFF_MANAGE)
    data = dict(data)
    if "is_active" in data and not isinstance(data["is_active"], bool):
        raise ValidationFailed([FieldError("is_active", "Send true or false.", "invalid")])
    with transaction.atomic():
        if "is_active" in data:
            user = set_staff_active(actor=actor, user=user, active=data.pop("is_active"))
        groups = data.pop("groups", None)
        if data or groups is not None:
            user = update_staff_user(actor=actor, user=user, data=data, group_ids=groups)
    return user


def change_password(*, actor: Actor, user: User, password: str) -> User:
    if user.pk != actor.user_id:
        actor.require(Perm.STAFF_MANAGE)
    _check_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
        record_event(actor=actor, action="staff.password_changed", obj=user)
    return user


#: The longest an API token may be valid for; a token without an expiry date stays valid until revoked.
TOKEN_MAX_LIFETIME = dt.timedelta(days=5 * 366)


def _clean_token_expiry(expires_at: dt.datetime | None) -> dt.datetime | None:
    if expires_at is None:
        return None
    error = None
    try:
        offset = expires_at.utcoffset()
        # Real time zones lie between UTC-12 and UTC+14; anything else is a typing error.
        if offset is None or not dt.timedelta(hours=-12) <= offset <= dt.timedelta(hours=14):
            raise ValueError
        expires_at = expires_at.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        error = "Give the expiry date with its time zone (UTC-12:00 to UTC+14:00), e.g. 2027-06-30T23:59:59+02:00."
    else:
        now = timezone.now()
        if expires_at <= now:
            error = "The expiry date must be in the future."
        elif expires_at > now + TOKEN_MAX_LIFETIME:
            error = "A token can be valid for at most five years; leave the date empty for no expiry."
    if error:
        raise ValidationFailed([FieldError("expires_at", error, "invalid")])
    return expires_at


def create_api_token(*, actor: Actor, name: str, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for the acting staff member. The raw key is returned once and never stored."""
    if actor.user is None:
        raise PermissionDenied("Only a person can own an API token.")
    if not actor.is_staff:
        raise PermissionDenied("API tokens are for the broker's staff.")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed([FieldError("name", "Give the token a name.", "required")])
    expires_at = _clean_token_expiry(expires_at)
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor.user, name=name[:100], key_prefix=raw[:10], key_hash=hash_token(raw), expires_at=expires_at
        )
        record_event(actor=actor, action="api_token.created", obj=token, after={"name": token.name})
    return token, raw


def revoke_api_token(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke one's own token, or (roles that manage staff) another staff member's."""
    with transaction.atomic():
        token = lock_or_404(ApiToken.objects.select_related("user"), token.pk)
        if token.user_id != actor.user_id:
            actor.require(Perm.STAFF_MANAGE)
            if token.user.broker_id != actor.broker_id:
                raise PermissionDenied("This token belongs to another broker.")
            if token.user.staff_role == StaffRole.SUPER_ADMIN and actor.staff_role not in (StaffRole.SUPER_ADMIN, None):
                raise PermissionDenied("Only a Super Admin can revoke a Super Admin's token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
            record_event(
                actor=actor,
                action="api_token.revoked",
                obj=token,
                after={"name": token.name, "owner": token.user.email},
            )
    return token


def authenticate_token(raw: str) -> User | None:
    """The active owner of a valid, unrevoked, unexpired token, or None."""
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
