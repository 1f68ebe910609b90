from __future__ import annotations

import hashlib
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q

from cloudbroker.core.models import BaseModel
from cloudbroker.core.permissions import OrganizationRole, Perm, StaffRole

__all__ = ["ApiToken", "User"]


class UserQuerySet(models.QuerySet):
    def staff(self) -> UserQuerySet:
        return self.exclude(staff_role="")

    def visible_to(self, actor) -> UserQuerySet:
        """Staff users of the actor's broker: all of them for roles that may see staff, else only self."""
        qs = self.filter(broker_id=actor.broker_id).exclude(staff_role="")
        if actor.has(Perm.STAFF_VIEW):
            return qs
        return qs.filter(pk=actor.user_id)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> User:
        """The one user with this address (management commands); sign-in goes through
        ``accounts.backends.EmailBackend``, which also handles one address at several brokers."""
        return self.get(email=(username or "").strip().lower())

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person who logs in: a broker's staff member (staff_role) or an organization's user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Unique per broker, not across brokers (ADR 0007): one broker learns nothing of another's users.
    email = models.EmailField("e-mail", db_index=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="users", null=True)
    staff_role = models.CharField(max_length=40, choices=StaffRole.choices, blank=True)
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="users"
    )
    organization_role = models.CharField(max_length=40, choices=OrganizationRole.choices, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=Q(staff_role="") | Q(organization__isnull=True),
                name="user_staff_or_organization",
                violation_error_message="A user is either broker staff or an organization user, not both.",
            ),
            models.UniqueConstraint(
                fields=["broker", "email"],
                name="user_email_unique_per_broker",
                violation_error_message="A user with this e-mail address already exists.",
            ),
            models.UniqueConstraint(
                fields=["email"], condition=Q(broker__isnull=True), name="user_email_unique_without_broker"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_staff_user(self) -> bool:
        return bool(self.staff_role)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, actor) -> ApiTokenQuerySet:
        """One's own tokens; for roles that manage staff, also the tokens of the broker's staff."""
        if actor.user_id is not None and not actor.has(Perm.STAFF_MANAGE):
            return self.filter(user_id=actor.user_id)
        return self.filter(user__broker_id=actor.broker_id).exclude(user__staff_role="")

    def owned_by(self, actor) -> ApiTokenQuerySet:
        return self.filter(user_id=actor.user_id)


class ApiToken(BaseModel):
    """A personal API token: shown once, stored as a SHA-256 hash, revocable; acts as its owner."""

    PREFIX = "cb_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
