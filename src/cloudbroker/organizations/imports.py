"""Importing organizations from a file: the columns, and what each row means.

Every row is cleaned by the same ``clean_organization`` the forms and the API use, matched to an
existing organization of the broker by customer number (or, without one, primary domain), and
classified: new, update, unchanged or error. Nothing here writes; ``imports.services`` does,
chunk by chunk, inside transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models.functions import Lower

from cloudbroker.accounts.roles import Perm, Scope
from cloudbroker.core.actors import Actor
from cloudbroker.core.errors import FieldError
from cloudbroker.core.imports import Column, ColumnKind, ImportSpec, RawRow
from cloudbroker.organizations.models import Organization, OrganizationGroup
from cloudbroker.organizations.validation import FIELD_LABELS, ORGANIZATION_FIELDS, clean_organization

__all__ = ["ORGANIZATION_SPEC", "RowAction", "RowOutcome", "classify_rows"]

_HELP = {
    "name": "Full customer name.",
    "primary_domain": "The customer's main domain name, without http:// or www.",
    "registration_number": "Company ID or tax ID; may be left empty.",
    "notification_email": "Where notifications for this customer are sent.",
    "approval_required": "TRUE to require approval of all self-service transactions, FALSE to switch it off.",
    "approval_limit": "Annual financial limit per transaction (monthly amounts are converted to annual).",
    "billing_start_date": "Date from which billing reports can be run, as DD/MM/YYYY. Empty: today.",
    "customer_number": "Your reference for the customer; used to recognise it when you import again.",
    "street_address": "First line of the address.",
    "postal_code": "Post or zip code.",
    "city": "City.",
    "state": "State.",
    "country": "ISO country code (SE, GB, US) or the English name.",
    "contact_name": "The customer's primary contact (full name).",
    "contact_phone": "Primary contact's phone number.",
    "contact_email": "Primary contact's e-mail address.",
    "contact_cell_phone": "Primary contact's cell or mobile phone number.",
    "groups": "Organization group names, separated by ; (Key Account Managers and Sales Agents: one of theirs).",
}
_EXAMPLE = {
    "name": "Contoso Ltd",
    "primary_domain": "contoso.com",
    "registration_number": "556677-8899",
    "notification_email": "it@contoso.com",
    "approval_required": "FALSE",
    "approval_limit": "12000",
    "billing_start_date": "01/01/2027",
    "customer_number": "C-1001",
    "street_address": "Storgatan 1",
    "postal_code": "111 22",
    "city": "Stockholm",
    "state": "",
    "country": "SE",
    "contact_name": "Alex Andersson",
    "contact_phone": "+46 8 123 456",
    "contact_email": "alex@contoso.com",
    "contact_cell_phone": "+46 70 123 45 67",
    "groups": "North",
}
_KIND = {
    "notification_email": ColumnKind.EMAIL,
    "contact_email": ColumnKind.EMAIL,
    "approval_required": ColumnKind.BOOL,
    "approval_limit": ColumnKind.DECIMAL,
    "billing_start_date": ColumnKind.DATE,
}
_ALIASES = {
    "notification_email": ("Notification email address", "Notification e-mail"),
    "approval_limit": ("Approval limit", "Annual limit"),
    "street_address": ("Address", "Street"),
    "postal_code": ("Zip", "Zip code", "Postcode"),
    "contact_cell_phone": ("Contact mobile phone", "Cell phone", "Mobile"),
    "registration_number": ("Company ID", "Tax ID", "VAT number"),
    "customer_number": ("Customer no", "Customer ID"),
    "groups": ("Groups", "Organization group"),
}

ORGANIZATION_SPEC = ImportSpec(
    name="Organizations",
    columns=[
        *(
            Column(
                key,
                FIELD_LABELS[key],
                required=key in ("name", "primary_domain", "notification_email"),
                help=_HELP[key],
                example=_EXAMPLE[key],
                kind=_KIND.get(key, ColumnKind.TEXT),
                aliases=_ALIASES.get(key, ()),
            )
            for key in ORGANIZATION_FIELDS
        ),
        Column(
            "groups",
            "Organization groups",
            help=_HELP["groups"],
            example=_EXAMPLE["groups"],
            aliases=_ALIASES["groups"],
        ),
    ],
    xml_root="organizations",
    xml_row="organization",
    sheet_name="Organizations",
)


_SPEC_KEYS = frozenset(ORGANIZATION_SPEC.keys)
_FIELD_KEYS = frozenset(ORGANIZATION_FIELDS)


class RowAction:
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass
class RowOutcome:
    number: int
    action: str
    values: dict[str, str]
    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    target: Organization | None = None
    groups: list[OrganizationGroup] | None = None  # None: leave the organization's groups alone

    @property
    def changes(self) -> dict[str, Any]:
        if self.target is None:
            return {}
        return {k: v for k, v in self.cleaned.items() if _comparable(getattr(self.target, k)) != _comparable(v)}


def _comparable(value: Any) -> Any:
    if hasattr(value, "code") and not isinstance(value, str):
        return value.code or ""
    if value is None:
        return None
    return str(value) if not isinstance(value, bool) else value


def _split_groups(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]


class _Context:
    """What classification needs from the database, loaded once per import."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.groups_by_name = {g.name.casefold(): g for g in OrganizationGroup.objects.visible_to(actor)}
        self.seen_numbers: dict[str, int] = {}
        self.seen_domains: dict[str, int] = {}


def classify_rows(actor: Actor, rows: Sequence[RawRow], context: _Context | None = None) -> list[RowOutcome]:
    """Clean, match and classify a chunk of rows. Reads the database; writes nothing."""
    ctx = context or _Context(actor)
    outcomes: list[RowOutcome] = []
    for raw in rows:
        values = {k: v for k, v in raw.values.items() if k in _SPEC_KEYS}
        data = {k: v for k, v in values.items() if k in _FIELD_KEYS}
        cleaned, errors = clean_organization(data, row=raw.number, partial=False)
        outcomes.append(RowOutcome(raw.number, RowAction.NEW, values, cleaned, list(errors)))
    _match_existing(ctx, outcomes)
    for outcome in outcomes:
        _apply_rules(ctx, outcome)
        if outcome.errors:
            outcome.action = RowAction.ERROR
    return outcomes


def new_context(actor: Actor) -> _Context:
    return _Context(actor)


def _match_existing(ctx: _Context, outcomes: list[RowOutcome]) -> None:
    numbers = {o.cleaned["customer_number"] for o in outcomes if o.cleaned.get("customer_number")}
    domains = {o.cleaned["primary_domain"] for o in outcomes if o.cleaned.get("primary_domain")}
    broker_orgs = Organization.objects.filter(broker_id=ctx.actor.broker_id)
    broker_orgs = broker_orgs.prefetch_related("groups")
    by_number = {o.customer_number: o for o in broker_orgs.filter(customer_number__in=numbers)} if numbers else {}
    by_domain = (
        {o.d: o for o in broker_orgs.annotate(d=Lower("primary_domain")).filter(d__in=domains)} if domains else {}
    )
    candidates = {o.pk for o in (*by_number.values(), *by_domain.values())}
    visible = set(Organization.objects.visible_to(ctx.actor).filter(pk__in=candidates).values_list("pk", flat=True))
    for outcome in outcomes:
        number, domain = outcome.cleaned.get("customer_number"), outcome.cleaned.get("primary_domain")
        target = by_number.get(number) if number else by_domain.get(domain)
        if number and target is None and domain in by_domain:
            # A new customer number, but the domain belongs to another organization already.
            other = by_domain[domain]
            outcome.errors.append(
                FieldError(
                    "primary_domain",
                    f"The domain {domain} belongs to an organization with customer number "
                    f"{other.customer_number or '(none)'}"
                    if other.pk in visible
                    else f"The domain {domain} belongs to an organization outside your scope.",
                    "unique",
                    outcome.number,
                )
            )
            continue
        if target is not None and target.pk not in visible:
            outcome.errors.append(
                FieldError(
                    "customer_number" if number else "primary_domain",
                    "This organization exists but is outside your organization groups; it cannot be changed here.",
                    "out_of_scope",
                    outcome.number,
                )
            )
            continue
        if target is not None and domain and domain != target.primary_domain.lower() and domain in by_domain:
            outcome.errors.append(
                FieldError(
                    "primary_domain", f"Another organization already has the domain {domain}.", "unique", outcome.number
                )
            )
            continue
        outcome.target = target


def _apply_rules(ctx: _Context, outcome: RowOutcome) -> None:
    actor = ctx.actor
    number = outcome.cleaned.get("customer_number")
    domain = outcome.cleaned.get("primary_domain")
    for key, seen, label in (
        (number, ctx.seen_numbers, "customer_number"),
        (domain, ctx.seen_domains, "primary_domain"),
    ):
        if key:
            if key in seen:
                outcome.errors.append(
                    FieldError(
                        label,
                        f"{FIELD_LABELS[label]} {key} is also on row {seen[key]}.",
                        "duplicate_in_file",
                        outcome.number,
                    )
                )
            else:
                seen[key] = outcome.number
    # Groups, by name, among those the importer can see.
    names = _split_groups(outcome.values.get("groups", ""))
    groups = []
    for name in names:
        group = ctx.groups_by_name.get(name.casefold())
        if group is None:
            outcome.errors.append(
                FieldError(
                    "groups",
                    f"There is no organization group named {name!r} that you can use.",
                    "not_found",
                    outcome.number,
                )
            )
        else:
            groups.append(group)
    if outcome.target is None:
        if not actor.has(Perm.ORGANIZATION_CREATE):
            outcome.errors.append(
                FieldError("name", "Your role cannot create organizations.", "permission_denied", outcome.number)
            )
        if actor.scope is Scope.GROUPS and len(names) != 1:
            outcome.errors.append(
                FieldError(
                    "groups", "Give one of your organization groups for a new organization.", "required", outcome.number
                )
            )
        if len(groups) > 1 and not actor.has(Perm.ORGANIZATION_MULTI_GROUP):
            outcome.errors.append(
                FieldError(
                    "groups",
                    "Only a Global Admin or Super Admin can put an organization in more than one group.",
                    "too_many_groups",
                    outcome.number,
                )
            )
        if (
            outcome.cleaned.get("approval_required") is True or outcome.cleaned.get("approval_limit") is not None
        ) and not actor.has(Perm.APPROVAL_SETTINGS_CHANGE):
            outcome.errors.append(
                FieldError(
                    "approval_required",
                    "Your role cannot change approval settings.",
                    "permission_denied",
                    outcome.number,
                )
            )
        outcome.groups = groups
        outcome.action = RowAction.NEW
        return
    # An update of an organization the importer can see.
    if outcome.cleaned.get("billing_start_date") is None:
        outcome.cleaned.pop("billing_start_date", None)
    changes = outcome.changes
    if changes and not actor.has(Perm.ORGANIZATION_CHANGE):
        outcome.errors.append(
            FieldError("name", "Your role cannot change organizations.", "permission_denied", outcome.number)
        )
    if {"approval_required", "approval_limit"} & set(changes) and not actor.has(Perm.APPROVAL_SETTINGS_CHANGE):
        outcome.errors.append(
            FieldError(
                "approval_required", "Your role cannot change approval settings.", "permission_denied", outcome.number
            )
        )
    if names and actor.has(Perm.GROUP_MANAGE):
        current = {g.pk for g in outcome.target.groups.all()}
        if current != {g.pk for g in groups}:
            outcome.groups = groups
    outcome.action = RowAction.UPDATE if changes or outcome.groups is not None else RowAction.UNCHANGED


def group_ids(groups: Iterable[OrganizationGroup]) -> list[str]:
    return sorted(str(g.pk) for g in groups)


def new_id() -> uuid.UUID:
    return uuid.uuid4()
