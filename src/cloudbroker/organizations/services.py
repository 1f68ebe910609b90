"""Organizations, their domains and organization groups. Every change goes through here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import EventShape, build_events, record_event, snapshot
from cloudbroker.core.errors import Conflict, FieldError, ValidationFailed
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import GROUP_SCOPED_ROLES, Perm, Scope
from cloudbroker.core.scoping import lock_or_404, parse_uuid
from cloudbroker.organizations.errors import OrganizationInUse
from cloudbroker.organizations.models import Organization, OrganizationDomain, OrganizationGroup
from cloudbroker.organizations.validation import ORGANIZATION_FIELDS, clean_domain, clean_organization

__all__ = [
    "ORGANIZATION_CREATED",
    "add_domain",
    "add_group_members",
    "approval_settings_errors",
    "create_group",
    "create_organization",
    "create_organizations",
    "delete_group",
    "delete_organization",
    "new_organization_group_errors",
    "new_organization_values",
    "remove_domain",
    "remove_group_members",
    "resolve_groups_for_new_organization",
    "set_group_members",
    "set_group_users",
    "set_organization_groups",
    "update_group",
    "update_organization",
]

APPROVAL_FIELDS = ("approval_required", "approval_limit")

#: The 'organization.created' audit event: every organization field, and the ids of its groups.
#: The service, the import's bulk path and its PostgreSQL statement all build it from this.
ORGANIZATION_CREATED = EventShape(Organization, "organization.created", ORGANIZATION_FIELDS, extra=("groups",))
MAX_BULK_ROWS = 1000


# --- organizations --------------------------------------------------------------------------


def new_organization_group_errors(actor: Actor, groups: Sequence, *, row: int | None = None) -> list[FieldError]:
    """The group rules for a new organization (the one statement of them: forms, API and import).

    Account managers and Sales Agents must choose exactly one of their own groups; more than one
    group needs a role that may place organizations in several groups (Global/Super Admin).
    """
    errors: list[FieldError] = []
    if actor.scope is Scope.GROUPS and len(groups) != 1:
        errors.append(
            FieldError("groups", "Choose one of your organization groups for the new organization.", "required", row)
        )
    elif len(groups) > 1 and not actor.has(Perm.ORGANIZATION_MULTI_GROUP):
        errors.append(
            FieldError(
                "groups",
                "Only a Global Admin or Super Admin can put an organization in more than one group.",
                "too_many_groups",
                row,
            )
        )
    return errors


def resolve_groups_for_new_organization(
    actor: Actor, group_ids: Iterable, *, row: int | None = None
) -> list[OrganizationGroup]:
    """The groups (by id) a new organization goes into, by the rules of the actor's role."""
    ids = list(dict.fromkeys(str(g) for g in group_ids if g))
    groups = list(OrganizationGroup.objects.visible_to(actor).filter(pk__in=ids)) if ids else []
    if len(groups) != len(ids):
        raise ValidationFailed(
            [FieldError("groups", "Choose organization groups from the list you can see.", "not_found", row)]
        )
    errors = new_organization_group_errors(actor, groups, row=row)
    if errors:
        raise ValidationFailed(errors)
    return groups


def approval_settings_errors(
    actor: Actor, cleaned: dict[str, Any], *, current: Organization | None = None, row: int | None = None
) -> list[FieldError]:
    """The approval-settings rule (the one statement of it): a role without the permission may not
    switch the approval process on or set a limit on a new organization (``current`` None), nor
    change either on an existing one."""
    if actor.has(Perm.APPROVAL_SETTINGS_CHANGE):
        return []
    if current is None:
        touches = cleaned.get("approval_required") is True or cleaned.get("approval_limit") is not None
    else:
        touches = any(f in cleaned and cleaned[f] != getattr(current, f) for f in APPROVAL_FIELDS)
    if not touches:
        return []
    return [FieldError("approval_required", "Your role cannot change approval settings.", "permission_denied", row)]


_NEW_DEFAULTS = tuple((f, Organization._meta.get_field(f).get_default()) for f in ORGANIZATION_FIELDS)
_BILLING_START = ORGANIZATION_FIELDS.index("billing_start_date")


def new_organization_values(cleaned: dict[str, Any], today: dt.date) -> list[Any]:
    """A new organization's field values, in ``ORGANIZATION_FIELDS`` order: the cleaned values, the
    model's defaults for the others, and the billing start default (the day it is created).

    The one statement of a new organization's defaults: the service and the import's fast path."""
    values = [cleaned[f] if f in cleaned else default for f, default in _NEW_DEFAULTS]
    if values[_BILLING_START] is None:
        values[_BILLING_START] = today
    return values


def _check_unique(
    actor: Actor, rows: Sequence[tuple[int | None, dict[str, Any]]], exclude_pk: uuid.UUID | None = None
) -> list[FieldError]:
    """Primary domains and customer numbers must be unique within the broker and the batch."""
    errors: list[FieldError] = []
    domains = [d for _, c in rows if (d := c.get("primary_domain"))]
    numbers = [n for _, c in rows if (n := c.get("customer_number"))]
    existing = Organization.objects.filter(broker_id=actor.broker_id)
    if exclude_pk:
        existing = existing.exclude(pk=exclude_pk)
    taken_domains = set()
    for i in range(0, len(domains), 500):
        taken_domains |= set(
            existing.annotate(d=Lower("primary_domain")).filter(d__in=domains[i : i + 500]).values_list("d", flat=True)
        )
    taken_numbers = set()
    for i in range(0, len(numbers), 500):
        taken_numbers |= set(
            existing.filter(customer_number__in=numbers[i : i + 500]).values_list("customer_number", flat=True)
        )
    seen_domains: dict[str, int | None] = {}
    seen_numbers: dict[str, int | None] = {}
    for row, cleaned in rows:
        domain = cleaned.get("primary_domain")
        if domain:
            if domain in taken_domains:
                errors.append(
                    FieldError(
                        "primary_domain", f"An organization with the domain {domain} already exists.", "unique", row
                    )
                )
            elif domain in seen_domains:
                errors.append(
                    FieldError(
                        "primary_domain",
                        f"The domain {domain} is also on row {seen_domains[domain]}.",
                        "duplicate_in_batch",
                        row,
                    )
                )
            seen_domains.setdefault(domain, row)
        number = cleaned.get("customer_number")
        if number:
            if number in taken_numbers:
                errors.append(
                    FieldError(
                        "customer_number",
                        f"An organization with the customer number {number} already exists.",
                        "unique",
                        row,
                    )
                )
            elif number in seen_numbers:
                errors.append(
                    FieldError(
                        "customer_number",
                        f"The customer number {number} is also on row {seen_numbers[number]}.",
                        "duplicate_in_batch",
                        row,
                    )
                )
            seen_numbers.setdefault(number, row)
    return errors


def _new_organization(actor: Actor, cleaned: dict[str, Any], today: dt.date) -> Organization:
    return Organization(
        broker_id=actor.broker_id,
        **dict(zip(ORGANIZATION_FIELDS, new_organization_values(cleaned, today), strict=True)),
    )


def create_organization(*, actor: Actor, data: dict[str, Any], group_ids: Iterable = ()) -> Organization:
    """Create one organization; ``data`` holds raw field values."""
    return create_organizations(actor=actor, rows=[data], group_ids=[list(group_ids)], numbered=False)[0]


def create_organizations(
    *,
    actor: Actor,
    rows: Sequence[dict[str, Any]],
    group_ids: Sequence[Iterable] | None = None,
    numbered: bool = True,
    row_numbers: Sequence[int] | None = None,
) -> list[Organization]:
    """Create several organizations at once: all are validated, then all are created or none.

    Every error names its row (1-based, when ``numbered``; or the caller's own ``row_numbers``, such as
    the grid rows that were filled in) and field.
    """
    actor.require(Perm.ORGANIZATION_CREATE)
    if not rows:
        raise ValidationFailed([FieldError("rows", "Add at least one organization.", "required")])
    if len(rows) > MAX_BULK_ROWS:
        raise ValidationFailed(
            [
                FieldError(
                    "rows",
                    f"Create at most {MAX_BULK_ROWS} organizations at once; use the import for more.",
                    "too_many",
                )
            ]
        )
    group_ids = list(group_ids) if group_ids is not None else [() for _ in rows]
    if len(group_ids) != len(rows):
        raise ValueError("group_ids must have one entry per row")
    errors: list[FieldError] = []
    cleaned_rows: list[tuple[int | None, dict[str, Any]]] = []
    row_groups: list[list[OrganizationGroup]] = []
    for index, (data, gids) in enumerate(zip(rows, group_ids, strict=True), start=1):
        row = (row_numbers[index - 1] if row_numbers else index) if numbered else None
        cleaned, row_errors = clean_organization(data, row=row)
        row_errors.extend(approval_settings_errors(actor, cleaned, row=row))
        try:
            row_groups.append(resolve_groups_for_new_organization(actor, gids, row=row))
        except ValidationFailed as exc:
            row_errors.extend(exc.errors)
            row_groups.append([])
        errors.extend(row_errors)
        cleaned_rows.append((row, cleaned))
    errors.extend(_check_unique(actor, cleaned_rows))
    if errors:
        raise ValidationFailed(errors)

    today = timezone.now().date()
    orgs = [_new_organization(actor, cleaned, today) for _, cleaned in cleaned_rows]
    try:
        with transaction.atomic():
            Organization.objects.bulk_create(orgs)
            through = OrganizationGroup.organizations.through
            through.objects.bulk_create(
                [
                    through(organizationgroup_id=g.pk, organization_id=o.pk)
                    for o, groups in zip(orgs, row_groups, strict=True)
                    for g in groups
                ]
            )
            AuditEvent.objects.bulk_create(
                build_events(
                    actor=actor,
                    action=ORGANIZATION_CREATED.action,
                    items=[
                        (o, None, ORGANIZATION_CREATED.after(o, groups=sorted(str(g.pk) for g in groups)), o.pk)
                        for o, groups in zip(orgs, row_groups, strict=True)
                    ],
                )
            )
    except IntegrityError:
        # Someone else created the same domain or customer number in the meantime.
        raise Conflict(
            "Another organization with the same primary domain or customer number was just created; "
            "check the list and try again."
        ) from None
    return orgs


def update_organization(*, actor: Actor, organization: Organization, data: dict[str, Any]) -> Organization:
    actor.require(Perm.ORGANIZATION_CHANGE)
    cleaned, errors = clean_organization({k: v for k, v in data.items() if k in ORGANIZATION_FIELDS}, partial=True)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        org = lock_or_404(Organization.objects, organization.pk)
        before = snapshot(org, ORGANIZATION_FIELDS)
        if approval_settings_errors(actor, cleaned, current=org):
            actor.require(Perm.APPROVAL_SETTINGS_CHANGE)
        if "billing_start_date" in cleaned and cleaned["billing_start_date"] is None:
            cleaned["billing_start_date"] = org.billing_start_date
        errors = _check_unique(actor, [(None, cleaned)], exclude_pk=org.pk)
        if errors:
            raise ValidationFailed(errors)
        for key, value in cleaned.items():
            setattr(org, key, value)
        after = snapshot(org, ORGANIZATION_FIELDS)
        if after != before:
            org.save()
            changed = [k for k in after if after[k] != before[k]]
            record_event(
                actor=actor,
                action="organization.updated",
                obj=org,
                organization_id=org.pk,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return org


#: Checks that an app above registers to refuse deleting an organization while something it owns
#: still depends on it (an active Microsoft 365 tenant): ``guard(org) -> reason | None``.
_DELETE_GUARDS: list[Callable[[Organization], str | None]] = []


def register_delete_guard(guard: Callable[[Organization], str | None]) -> None:
    """Called by apps above organizations in their ``ready()``; organizations names none of them."""
    if guard not in _DELETE_GUARDS:
        _DELETE_GUARDS.append(guard)


def delete_organization(*, actor: Actor, organization: Organization) -> None:
    actor.require(Perm.ORGANIZATION_DELETE)
    with transaction.atomic():
        org = lock_or_404(Organization.objects, organization.pk)
        if org.users.exists():
            raise Conflict("Remove or move the organization's users before deleting it.")
        for guard in _DELETE_GUARDS:
            reason = guard(org)
            if reason:
                raise OrganizationInUse(reason)
        record_event(
            actor=actor,
            action="organization.deleted",
            obj=org,
            organization_id=org.pk,
            before=snapshot(org, ORGANIZATION_FIELDS),
        )
        org.delete()


def add_domain(*, actor: Actor, organization: Organization, domain: str) -> OrganizationDomain:
    actor.require(Perm.ORGANIZATION_CHANGE)
    try:
        value = clean_domain(domain)
    except ValueError as exc:
        raise ValidationFailed([FieldError("domain", str(exc))]) from None
    if value == organization.primary_domain:
        raise ValidationFailed([FieldError("domain", "This is already the organization's primary domain.", "unique")])
    with transaction.atomic():
        if organization.domains.filter(domain=value).exists():
            raise ValidationFailed([FieldError("domain", "The organization already has this domain.", "unique")])
        item = OrganizationDomain.objects.create(organization=organization, domain=value)
        record_event(
            actor=actor,
            action="organization.domain_added",
            obj=item,
            organization_id=organization.pk,
            after={"domain": value},
        )
    return item


def remove_domain(*, actor: Actor, domain: OrganizationDomain) -> None:
    actor.require(Perm.ORGANIZATION_CHANGE)
    with transaction.atomic():
        record_event(
            actor=actor,
            action="organization.domain_removed",
            obj=domain,
            organization_id=domain.organization_id,
            before={"domain": domain.domain},
        )
        domain.delete()


def set_organization_groups(*, actor: Actor, organization: Organization, group_ids: Iterable) -> None:
    """Replace an organization's groups (group administration: Global/Super Admin)."""
    actor.require(Perm.GROUP_MANAGE)
    ids = {str(g) for g in group_ids}
    with transaction.atomic():
        groups = list(OrganizationGroup.objects.visible_to(actor).filter(pk__in=ids))
        if len(groups) != len(ids):
            raise ValidationFailed([FieldError("groups", "One or more organization groups do not exist.", "not_found")])
        before = sorted(str(pk) for pk in organization.groups.values_list("pk", flat=True))
        organization.groups.set(groups)
        after = sorted(str(g.pk) for g in groups)
        if before != after:
            record_event(
                actor=actor,
                action="organization.groups_changed",
                obj=organization,
                organization_id=organization.pk,
                before={"groups": before},
                after={"groups": after},
            )


# --- organization groups --------------------------------------------------------------------

GROUP_FIELDS = ("name", "description")


def _clean_group(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors = []
    if "name" in data or not partial:
        name = (data.get("name") or "").strip()
        if not name:
            errors.append(FieldError("name", "Group name is mandatory.", "required"))
        elif len(name) > 100:
            errors.append(FieldError("name", "Use at most 100 characters.", "max_length"))
        cleaned["name"] = name
    if "description" in data:
        cleaned["description"] = (data.get("description") or "").strip()
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _check_group_name(actor: Actor, name: str, exclude_pk=None) -> None:
    # Compared in Python: SQLite folds the case of ASCII letters only (a broker has few groups).
    qs = OrganizationGroup.objects.filter(broker_id=actor.broker_id)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    wanted = name.casefold()
    if any(existing.casefold() == wanted for existing in qs.values_list("name", flat=True).iterator()):
        raise ValidationFailed([FieldError("name", "A group with this name already exists.", "unique")])


def _save_group(group: OrganizationGroup) -> OrganizationGroup:
    """Save, turning the database's case-insensitive uniqueness into the same error the check gives
    (the database folds case for letters the pre-check may not, and a concurrent request may win)."""
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise ValidationFailed([FieldError("name", "A group with this name already exists.", "unique")]) from None
    return group


def create_group(*, actor: Actor, data: dict[str, Any]) -> OrganizationGroup:
    actor.require(Perm.GROUP_MANAGE)
    cleaned = _clean_group(data, partial=False)
    with transaction.atomic():
        _check_group_name(actor, cleaned["name"])
        group = _save_group(OrganizationGroup(broker_id=actor.broker_id, **cleaned))
        record_event(actor=actor, action="group.created", obj=group, after=snapshot(group, GROUP_FIELDS))
    return group


def update_group(*, actor: Actor, group: OrganizationGroup, data: dict[str, Any]) -> OrganizationGroup:
    actor.require(Perm.GROUP_MANAGE)
    cleaned = _clean_group(data, partial=True)
    with transaction.atomic():
        group = lock_or_404(OrganizationGroup.objects, group.pk)
        if "name" in cleaned:
            _check_group_name(actor, cleaned["name"], exclude_pk=group.pk)
        before = snapshot(group, GROUP_FIELDS)
        for key, value in cleaned.items():
            setattr(group, key, value)
        after = snapshot(group, GROUP_FIELDS)
        if after != before:
            _save_group(group)
            record_event(actor=actor, action="group.updated", obj=group, before=before, after=after)
    return group


def change_group(
    *, actor: Actor, group: OrganizationGroup, data: dict[str, Any], user_ids: Iterable | None = None
) -> OrganizationGroup:
    """The group page's one change: name and description, and (when given) the staff it is
    assigned to — all of it or none of it."""
    with transaction.atomic():
        group = update_group(actor=actor, group=group, data=data)
        if user_ids is not None:
            set_group_users(actor=actor, group=group, user_ids=user_ids)
    return group


def delete_group(*, actor: Actor, group: OrganizationGroup) -> None:
    actor.require(Perm.GROUP_MANAGE)
    with transaction.atomic():
        record_event(
            actor=actor,
            action="group.deleted",
            obj=group,
            before={**snapshot(group, GROUP_FIELDS), "members": group.organizations.count()},
        )
        group.delete()


def _organizations_in_scope(actor: Actor, organization_ids: Iterable) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(str(o) for o in organization_ids))
    found: list[uuid.UUID] = []
    for i in range(0, len(ids), 500):
        found += list(
            Organization.objects.visible_to(actor).filter(pk__in=ids[i : i + 500]).values_list("pk", flat=True)
        )
    if len(found) != len(ids):
        raise ValidationFailed([FieldError("organizations", "One or more organizations do not exist.", "not_found")])
    return found


def _record_membership(actor: Actor, group: OrganizationGroup, added: set, removed: set) -> None:
    items = [(group, None, {"group": str(group.pk), "group_name": group.name}, org_id) for org_id in added]
    events = build_events(actor=actor, action="group.member_added", items=items)
    items = [(group, {"group": str(group.pk), "group_name": group.name}, None, org_id) for org_id in removed]
    events += build_events(actor=actor, action="group.member_removed", items=items)
    AuditEvent.objects.bulk_create(events, batch_size=500)


def add_group_members(*, actor: Actor, group: OrganizationGroup, organization_ids: Iterable) -> int:
    actor.require(Perm.GROUP_MANAGE)
    with transaction.atomic():
        wanted = set(_organizations_in_scope(actor, organization_ids))
        current = set(group.organizations.filter(pk__in=wanted).values_list("pk", flat=True))
        added = wanted - current
        through = OrganizationGroup.organizations.through
        through.objects.bulk_create(
            [through(organizationgroup_id=group.pk, organization_id=o) for o in added], batch_size=500
        )
        _record_membership(actor, group, added, set())
    return len(added)


def remove_group_members(*, actor: Actor, group: OrganizationGroup, organization_ids: Iterable) -> int:
    actor.require(Perm.GROUP_MANAGE)
    with transaction.atomic():
        ids = {str(o) for o in organization_ids}
        through = OrganizationGroup.organizations.through
        removed = set(
            through.objects.filter(organizationgroup_id=group.pk, organization_id__in=ids).values_list(
                "organization_id", flat=True
            )
        )
        through.objects.filter(organizationgroup_id=group.pk, organization_id__in=removed).delete()
        _record_membership(actor, group, set(), removed)
    return len(removed)


def set_group_members(*, actor: Actor, group: OrganizationGroup, organization_ids: Iterable) -> tuple[int, int]:
    """Make the group's members exactly these organizations. Returns (added, removed)."""
    actor.require(Perm.GROUP_MANAGE)
    with transaction.atomic():
        wanted = set(_organizations_in_scope(actor, organization_ids))
        current = set(group.organizations.values_list("pk", flat=True))
        added = (
            add_group_members(actor=actor, group=group, organization_ids=wanted - current) if wanted - current else 0
        )
        removed = (
            remove_group_members(actor=actor, group=group, organization_ids=current - wanted) if current - wanted else 0
        )
    return added, removed


def _require_group_scoped(users, field: str) -> None:
    """Groups are assigned only to the roles whose scope is their groups (the one statement of the rule)."""
    wrong = [u.email for u in users if u.staff_role not in GROUP_SCOPED_ROLES]
    if wrong:
        raise ValidationFailed(
            [
                FieldError(
                    field,
                    "Organization groups are assigned only to Key Account Managers, Key Account View Only "
                    "Managers, Limited Key Account Managers and Sales Agents: " + ", ".join(wrong),
                    "not_group_role",
                )
            ]
        )


def staff_group_ids(user) -> list[str]:
    """The ids of the groups assigned to a staff user, sorted (as audit events record them)."""
    return sorted(str(pk) for pk in user.assigned_groups.values_list("pk", flat=True))


def set_staff_groups(*, actor: Actor, user, group_ids: Iterable) -> None:
    """Assign these groups to one staff user (replacing the current ones).

    Called by the staff services inside their transaction; they record the change as part of the
    user's own audit event. A role that is not group-scoped may hold no groups.
    """
    parsed = {parse_uuid(g) for g in group_ids}
    if None in parsed:
        raise ValidationFailed([FieldError("groups", "One or more organization groups do not exist.", "not_found")])
    ids = {str(g) for g in parsed}
    if ids:
        _require_group_scoped([user], "groups")
    groups = list(OrganizationGroup.objects.filter(broker_id=actor.broker_id, pk__in=ids))
    if len(groups) != len(ids):
        raise ValidationFailed([FieldError("groups", "One or more organization groups do not exist.", "not_found")])
    user.assigned_groups.set(groups)


def set_group_users(*, actor: Actor, group: OrganizationGroup, user_ids: Iterable) -> None:
    """Assign the group to these account managers / Sales Agents (replacing the current ones)."""
    actor.require(Perm.GROUP_MANAGE)
    parsed = {parse_uuid(u) for u in user_ids}
    if None in parsed:
        raise ValidationFailed([FieldError("users", "One or more users do not exist.", "not_found")])
    ids = {str(u) for u in parsed}
    with transaction.atomic():
        users = list(get_user_model().objects.visible_to(actor).filter(pk__in=ids))
        if len(users) != len(ids):
            raise ValidationFailed([FieldError("users", "One or more users do not exist.", "not_found")])
        _require_group_scoped(users, "users")
        before = sorted(str(pk) for pk in group.users.values_list("pk", flat=True))
        group.users.set(users)
        after = sorted(str(u.pk) for u in users)
        if before != after:
            record_event(
                actor=actor, action="group.users_changed", obj=group, before={"users": before}, after={"users": after}
            )
