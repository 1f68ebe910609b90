"""Importing organizations from a file: the columns, what each row means, and how it is written.

Every row is cleaned by the same ``clean_organization`` the forms and the API use, matched to an
existing organization of the broker by customer number (or, without one, primary domain), and
classified: new, update, unchanged, conflict or error, by the same rules as the services (group
rules, approval settings, defaults). :class:`OrganizationImporter` registers all of it for the
import flow of ``cloudbroker.imports``, which calls :meth:`~OrganizationImporter.write` chunk by
chunk, each inside its own transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import Error as DbError  # every database error, the connection ones as well
from django.db import connection
from django.db.models.functions import Lower
from django.utils import timezone

from cloudbroker.core.actors import Actor
from cloudbroker.core.audit import EVENT_COLUMNS, build_events, snapshot
from cloudbroker.core.bulk import bulk_insert, insert_rows
from cloudbroker.core.context import current_request_id
from cloudbroker.core.errors import FieldError
from cloudbroker.core.imports import (
    CLEAR_MARKER,
    Column,
    ColumnKind,
    ImportSpec,
    RawRow,
    RowAction,
    cell_text,
    is_clear,
)
from cloudbroker.core.imports.registry import Importer, RowOutcome, register
from cloudbroker.core.models import AuditEvent
from cloudbroker.core.permissions import Perm
from cloudbroker.organizations.models import Organization, OrganizationGroup
from cloudbroker.organizations.services import (
    ORGANIZATION_CREATED,
    approval_settings_errors,
    new_organization_group_errors,
    new_organization_values,
)
from cloudbroker.organizations.validation import (
    FIELD_LABELS,
    MANDATORY_FIELDS,
    ORGANIZATION_FIELDS,
    clean_organization,
)

__all__ = [
    "DUPLICATE_KEYS",
    "ORGANIZATION_SPEC",
    "OrganizationImporter",
    "OrganizationRow",
    "classify",
    "clean_rows",
    "describe_changes",
    "new_context",
]

_HELP = {
    "name": "Full customer name.",
    "primary_domain": "The customer's main domain name, without http:// or www.",
    "registration_number": "Company ID or tax ID; may be left empty.",
    "notification_email": "Where notifications for this customer are sent.",
    "approval_required": "TRUE to require approval of all self-service transactions, FALSE to switch it off.",
    "approval_limit": "Annual financial limit per transaction (monthly amounts are converted to annual).",
    "billing_start_date": "Date from which billing reports can be run, as DD/MM/YYYY. Empty: today (for a new one).",
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
    "groups": (
        "Organization group names, separated by ; (Key Account Managers and Sales Agents: one of theirs). "
        f"{CLEAR_MARKER} takes an existing organization out of every group (group administrators)."
    ),
}
# The template's example row: no real organization (example.com is reserved for examples, RFC 2606),
# and a row with its primary domain is never imported (``ORGANIZATION_SPEC.example_keys``).
_EXAMPLE = {
    "name": "Example Organization (replace this row)",
    "primary_domain": "example.com",
    "registration_number": "000000-0000",
    "notification_email": "it@example.com",
    "approval_required": "FALSE",
    "approval_limit": "12000",
    "billing_start_date": "01/01/2027",
    "customer_number": "EXAMPLE-1",
    "street_address": "1 Example Street",
    "postal_code": "111 22",
    "city": "Stockholm",
    "state": "",
    "country": "SE",
    "contact_name": "Alex Example",
    "contact_phone": "+46 8 000 000",
    "contact_email": "alex@example.com",
    "contact_cell_phone": "+46 70 000 00 00",
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
    example_keys=("primary_domain",),
    notes=(
        "A row whose customer number (or, without one, primary domain) matches an existing organization "
        "updates it; the preview shows every change, field by field, before anything is written.",
        "An empty cell leaves the existing value as it is. To clear a field, enter "
        f"{CLEAR_MARKER} in its cell (mandatory fields and the billing start date cannot be cleared).",
        "A row whose customer number matches an organization with another name and another primary domain is "
        "a conflict: it is imported only if you accept it, row by row, before confirming.",
        "The example row (primary domain example.com) is never imported: replace it with your data.",
    ),
)


_SPEC_KEYS = frozenset(ORGANIZATION_SPEC.keys)
_FIELD_KEYS = frozenset(ORGANIZATION_FIELDS)


@dataclass
class OrganizationRow(RowOutcome):
    """A row of an organization file: what every importer's rows carry, and its groups."""

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


def _shown(value: Any) -> str:
    """A value as the preview shows it: as it would be written in the file (DD/MM/YYYY, TRUE)."""
    if value is None:
        return ""
    if hasattr(value, "code") and not isinstance(value, str):
        return value.code or ""
    if isinstance(value, bool | dt.date):
        return cell_text(value)
    return str(value)


def describe_changes(outcome: OrganizationRow) -> list[dict[str, str]]:
    """Each change an update makes, field by field: label, value before and value after."""
    if outcome.target is None:
        return []
    target = outcome.target
    changes = [
        {"field": FIELD_LABELS[key], "before": _shown(getattr(target, key)), "after": _shown(value)}
        for key, value in outcome.changes.items()
    ]
    if outcome.groups is not None:
        changes.append(
            {
                "field": "Organization groups",
                "before": "; ".join(sorted(g.name for g in target.groups.all())),
                "after": "; ".join(sorted(g.name for g in outcome.groups)),
            }
        )
    return changes


def _split_groups(text: str) -> list[str]:
    if is_clear(text):
        return []
    return [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]


DUPLICATE_KEYS = ("customer_number", "primary_domain")


class _Context:
    """What classification needs from the database, loaded once per import."""

    def __init__(self, actor: Actor, *, accepted: Iterable[int] = (), final: bool = False) -> None:
        self.actor = actor
        self.groups_by_name = {g.name.casefold(): g for g in OrganizationGroup.objects.visible_to(actor)}
        self.accepted = frozenset(accepted)  # the rows whose conflict the person accepted
        self.final = final  # the import itself: a conflict not accepted is an error, not a question


_NOT_CLEARABLE = frozenset({*MANDATORY_FIELDS, "billing_start_date"})


def clean_rows(rows: Iterable[RawRow]) -> list[OrganizationRow]:
    """Clean each row with ``clean_organization``: no database access.

    An empty cell is left out (an existing organization keeps that field; a new one gets the
    default), and a mandatory one is reported missing. A cell holding ``#CLEAR`` clears its field.
    The template's example row is an error: it is never imported."""
    outcomes: list[OrganizationRow] = []
    spec_keys, field_keys, spec = _SPEC_KEYS, _FIELD_KEYS, ORGANIZATION_SPEC
    for raw in rows:
        values = {k: v for k, v in raw.values.items() if k in spec_keys}
        data = {k: v for k, v in values.items() if v and k in field_keys}
        cleared = [k for k, v in data.items() if v[0] == "#" and is_clear(v)]
        refused = []
        for key in cleared:
            if key in _NOT_CLEARABLE:
                del data[key]
                refused.append(FieldError(key, f"{FIELD_LABELS[key]} cannot be cleared.", "not_clearable", raw.number))
            else:
                data[key] = ""
        cleaned, errors = clean_organization(data, row=raw.number, partial=False)
        if refused:
            keys = {e.field for e in refused}
            errors = [e for e in errors if e.field not in keys] + refused
        if spec.is_example(values):
            errors = [
                FieldError(
                    "primary_domain",
                    "This is the template's example row: replace it with your own data.",
                    "example_row",
                    raw.number,
                )
            ]
        outcomes.append(OrganizationRow(raw.number, RowAction.NEW, values, cleaned, errors))
    return outcomes


def classify(
    ctx: _Context,
    outcomes: list[OrganizationRow],
    duplicates: Sequence[list[FieldError]],
    *,
    match: Sequence[OrganizationRow] | None = None,
) -> list[OrganizationRow]:
    """Match cleaned rows against the broker's organizations and classify them: new, update,
    unchanged or error. ``duplicates`` are the in-file duplicate errors of each outcome.

    ``match`` limits the lookup to some of the outcomes (default: all); the others are taken as
    matching no organization. The import job passes the rows its preview did not find new: for
    the new ones, the unique constraints on customer number and domain refuse the insert if an
    organization has appeared meanwhile, and the job then classifies the chunk again in full.
    """
    _match_existing(ctx, outcomes if match is None else list(match))
    for outcome, found in zip(outcomes, duplicates, strict=True):
        if outcome.errors and outcome.errors[0].code == "example_row":
            outcome.action = RowAction.ERROR  # the template's example: nothing else to say about it
            continue
        _apply_rules(ctx, outcome, found)
        if outcome.conflict is not None and outcome.number not in ctx.accepted and not outcome.errors:
            if ctx.final:
                outcome.errors.append(
                    FieldError("customer_number", _conflict_message(outcome.conflict), "conflict", outcome.number)
                )
            else:
                outcome.action = RowAction.CONFLICT
        if outcome.errors:
            outcome.action = RowAction.ERROR
    return outcomes


def _conflict_message(conflict: dict[str, Any]) -> str:
    return (
        f"The customer number {conflict['customer_number']} belongs to {conflict['name']} ({conflict['domain']}), "
        "which has another name and domain; accept the conflict to update it, or correct the row."
    )


def new_context(actor: Actor, *, accepted: Iterable[int] = (), final: bool = False) -> _Context:
    return _Context(actor, accepted=accepted, final=final)


def _existing(broker_id, numbers: set[str], domains: set[str]) -> list[Organization]:
    """The broker's organizations with one of ``numbers`` or (lower-cased) ``domains``.

    One query with each set bound as a single parameter (an array on PostgreSQL, a JSON list on
    SQLite): a chunk of 1,000 rows would otherwise send 2,000 placeholders to be parsed.
    """
    if not numbers and not domains:
        return []
    table = connection.ops.quote_name(Organization._meta.db_table)
    broker = Organization._meta.get_field("broker").target_field.get_db_prep_value(broker_id, connection)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT id FROM {table} WHERE broker_id = %s "
            "AND (customer_number = ANY(%s) OR LOWER(primary_domain) = ANY(%s))"
        )
        params = [broker, list(numbers), list(domains)]
    elif connection.vendor == "sqlite":
        sql = (
            f"SELECT id FROM {table} WHERE broker_id = %s AND (customer_number IN (SELECT value FROM json_each(%s)) "
            "OR LOWER(primary_domain) IN (SELECT value FROM json_each(%s)))"
        )
        params = [broker, json.dumps(sorted(numbers)), json.dumps(sorted(domains))]
    else:  # pragma: no cover - PostgreSQL and SQLite are the supported databases
        found = Organization.objects.filter(broker_id=broker_id)
        by_number = found.filter(customer_number__in=numbers)
        by_domain = found.annotate(d=Lower("primary_domain")).filter(d__in=domains)
        return list((by_number | by_domain).prefetch_related("groups"))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(Organization.objects.filter(pk__in=ids).prefetch_related("groups"))


def _match_existing(ctx: _Context, outcomes: list[OrganizationRow]) -> None:
    numbers = {o.cleaned["customer_number"] for o in outcomes if o.cleaned.get("customer_number")}
    domains = {o.cleaned["primary_domain"] for o in outcomes if o.cleaned.get("primary_domain")}
    by_number: dict[str, Organization] = {}
    by_domain: dict[str, Organization] = {}
    for org in _existing(ctx.actor.broker_id, numbers, domains):
        if org.customer_number in numbers:
            by_number[org.customer_number] = org
        if org.primary_domain.lower() in domains:
            by_domain[org.primary_domain.lower()] = org
    candidates = {o.pk for o in (*by_number.values(), *by_domain.values())}
    visible = (
        set(Organization.objects.visible_to(ctx.actor).filter(pk__in=candidates).values_list("pk", flat=True))
        if candidates
        else set()
    )
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
        if (
            target is not None
            and number
            and outcome.cleaned.get("name", "").casefold() != target.name.casefold()
            and domain != target.primary_domain.lower()
        ):
            # The customer number is another company's: name and domain both differ.
            outcome.conflict = {
                "customer_number": number,
                "organization_id": str(target.pk),
                "name": target.name,
                "domain": target.primary_domain,
                "new_name": outcome.cleaned.get("name", ""),
                "new_domain": domain or "",
            }


def _apply_rules(ctx: _Context, outcome: OrganizationRow, duplicates: list[FieldError]) -> None:
    actor = ctx.actor
    outcome.errors.extend(duplicates)
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
        if len(groups) == len(names):  # a name not found is reported above
            outcome.errors.extend(new_organization_group_errors(actor, groups, row=outcome.number))
        outcome.errors.extend(approval_settings_errors(actor, outcome.cleaned, row=outcome.number))
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
    outcome.errors.extend(approval_settings_errors(actor, changes, current=outcome.target, row=outcome.number))
    clear_groups = is_clear(outcome.values.get("groups", ""))
    if (names or clear_groups) and actor.has(Perm.GROUP_MANAGE):
        current = {g.pk for g in outcome.target.groups.all()}
        if current != {g.pk for g in groups}:
            outcome.groups = groups
    outcome.action = RowAction.UPDATE if changes or outcome.groups is not None else RowAction.UNCHANGED


# --- writing ---------------------------------------------------------------------------------

_ORG_COLUMNS = ["id", "created_at", "updated_at", "broker_id", *ORGANIZATION_FIELDS]


class _NewOrganizations:
    """PostgreSQL: new organizations are copied into a temporary table, from which one statement
    inserts them and another their 'organization.created' audit events, the server building each
    event's JSON from the row (``ORGANIZATION_CREATED.sql_insert``): no event row and no JSON made
    or sent by Python."""

    def __init__(self) -> None:
        quote = connection.ops.quote_name
        self.table = quote(f"import_new_{uuid.uuid4().hex[:12]}")
        self.columns = ", ".join(quote(Organization._meta.get_field(c).column) for c in _ORG_COLUMNS)
        self.events = ORGANIZATION_CREATED.sql_insert(
            quote(AuditEvent._meta.db_table),
            self.table,
            extra={"groups": "audit_groups"},
            organization_id=quote("id"),
            quote=quote,
        )

    def __enter__(self) -> _NewOrganizations:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} "
                f"(LIKE {connection.ops.quote_name(Organization._meta.db_table)} INCLUDING DEFAULTS, "
                "audit_groups jsonb NOT NULL)"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        except DbError:  # a broken transaction or connection: the table goes with the session
            pass

    def write(self, rows: list[list], groups: list[list[str]], now, actor: Actor, request_id: str) -> None:
        org_table = connection.ops.quote_name(Organization._meta.db_table)
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.execute(f"TRUNCATE {self.table}")
            with cursor.cursor.copy(f"COPY {self.table} ({self.columns}, audit_groups) FROM STDIN") as copy:
                for row, group_ids in zip(rows, groups, strict=True):
                    copy.write_row([*row, json.dumps(group_ids) if group_ids else "[]"])
            cursor.execute(f"INSERT INTO {org_table} ({self.columns}) SELECT {self.columns} FROM {self.table}")
            cursor.execute(self.events, [now, actor.user_id, actor.label, request_id])


def write_rows(actor: Actor, outcomes: list[OrganizationRow], staging: _NewOrganizations | None) -> dict[str, int]:
    """Write one chunk's classified rows in the caller's transaction: new organizations (through the
    staging table on PostgreSQL), updates with ``bulk_update``, memberships, one audit event each."""
    now = timezone.now()
    today = now.date()
    request_id = current_request_id()
    new_rows, new_groups, memberships, events, updates, regrouped = [], [], [], [], [], []
    through = OrganizationGroup.organizations.through
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    broker_id = actor.broker_id
    for o in outcomes:
        if o.action == RowAction.NEW:
            org_id = uuid.uuid4()
            new_rows.append([org_id, now, now, broker_id, *new_organization_values(o.cleaned, today)])
            if o.groups:
                new_groups.append(sorted(str(g.pk) for g in o.groups))
                memberships += [through(organization_id=org_id, organizationgroup_id=g.pk) for g in o.groups]
            else:
                new_groups.append([])
            counts["created"] += 1
        elif o.action == RowAction.UPDATE:
            org = o.target
            changes = o.changes
            before = {k: snapshot(org, [k])[k] for k in changes}
            for key in changes:
                setattr(org, key, o.cleaned[key])
            org.updated_at = now
            after = {k: snapshot(org, [k])[k] for k in changes}
            if o.groups is not None:
                before["groups"] = sorted(str(g.pk) for g in org.groups.all())
                after["groups"] = sorted(str(g.pk) for g in o.groups)
                regrouped.append(org.pk)
                memberships += [through(organization_id=org.pk, organizationgroup_id=g.pk) for g in o.groups]
            updates.append((org, list(changes)))
            events.append((org, before, after, org.pk))
            counts["updated"] += 1
        elif o.action == RowAction.UNCHANGED:
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
    if staging is not None:
        staging.write(new_rows, new_groups, now, actor, request_id)
    else:
        insert_rows(Organization, _ORG_COLUMNS, new_rows)
    fields_by_org: dict[tuple[str, ...], list[Organization]] = {}
    for org, fields in updates:
        fields_by_org.setdefault(tuple(sorted({*fields, "updated_at"})), []).append(org)
    for fields, orgs in fields_by_org.items():
        Organization.objects.bulk_update(orgs, list(fields), batch_size=500)
    if regrouped:
        through.objects.filter(organization_id__in=regrouped).delete()
    bulk_insert(through, memberships)
    if staging is None:
        created = ORGANIZATION_CREATED
        insert_rows(
            AuditEvent,
            EVENT_COLUMNS,
            [
                created.event_row(
                    r[0], r[4:], actor=actor, occurred_at=now, request_id=request_id, organization_id=r[0], groups=g
                )
                for r, g in zip(new_rows, new_groups, strict=True)
            ],
        )
    audit = build_events(actor=actor, action="organization.updated", items=events)
    for event in audit:
        event.occurred_at = now
    bulk_insert(AuditEvent, audit)
    return counts


class OrganizationImporter(Importer):
    """Organizations, for the import flow (``cloudbroker.imports``)."""

    kind = "organizations"
    spec = ORGANIZATION_SPEC
    permission = Perm.ORGANIZATION_CREATE
    view_permission = Perm.ORGANIZATION_VIEW
    noun = "organizations"
    list_url = "portal:organization_list"
    upload_url = "portal:organization_import"
    duplicate_keys = DUPLICATE_KEYS
    kept_values = ("groups",)

    def clean_rows(self, rows: Iterable[RawRow]) -> list[OrganizationRow]:
        return clean_rows(rows)

    def new_context(self, actor: Actor, *, accepted: Iterable[int] = (), final: bool = False) -> _Context:
        return new_context(actor, accepted=accepted, final=final)

    def classify(self, ctx, outcomes, duplicates, *, match=None):
        return classify(ctx, outcomes, duplicates, match=match)

    def describe_changes(self, outcome: OrganizationRow) -> list[dict[str, str]]:
        return describe_changes(outcome)

    def signature(self, outcome: OrganizationRow) -> tuple:
        groups = None if outcome.groups is None else sorted(str(g.pk) for g in outcome.groups)
        return outcome.action, sorted(outcome.changes), groups

    def outcome(self, number, values, cleaned, errors) -> OrganizationRow:
        return OrganizationRow(number, RowAction.NEW, values, cleaned, errors)

    def staging(self):
        """PostgreSQL: the temporary table new organizations go through. Nothing elsewhere."""
        return _NewOrganizations() if connection.vendor == "postgresql" else contextlib.nullcontext()

    def write(self, actor: Actor, outcomes: list[OrganizationRow], staging) -> dict[str, int]:
        return write_rows(actor, outcomes, staging)


register(OrganizationImporter())
