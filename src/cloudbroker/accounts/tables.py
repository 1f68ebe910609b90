"""The broker's staff users ("Administrators") as a table."""

from __future__ import annotations

import django_tables2 as tables

from cloudbroker.core.permissions import Perm
from cloudbroker.core.tables import Action, ActionsColumn, DateColumn, Table, TagsColumn
from cloudbroker.organizations.querysets import visible_groups

__all__ = ["StaffTable"]


def _not_self(record, actor) -> bool:
    return actor is not None and record.pk != actor.user_id


class StaffTable(Table):
    email = tables.Column(verbose_name="E-mail")
    full_name = tables.Column(verbose_name="Name", order_by=("last_name", "first_name", "email"))
    staff_role = tables.Column(verbose_name="Role")
    assigned_groups = TagsColumn(verbose_name="Organization groups", filter_items=visible_groups)
    status = tables.Column(accessor="is_active", verbose_name="Status", order_by=("-is_active", "email"))
    last_login = DateColumn(format="%d/%m/%Y %H:%M")
    actions = ActionsColumn(
        Action("Manage", "portal:staff_edit", icon="pencil-square", perm=Perm.STAFF_MANAGE, inline=True),
        Action(
            "Disable",
            "portal:staff_active",
            icon="no-symbol",
            perm=Perm.STAFF_MANAGE,
            danger=True,
            query="active=0",
            when=lambda r, a: r.is_active and _not_self(r, a),
        ),
        Action(
            "Enable",
            "portal:staff_active",
            icon="check-circle",
            perm=Perm.STAFF_MANAGE,
            query="active=1",
            when=lambda r, a: not r.is_active and _not_self(r, a),
        ),
    )

    required_columns = ("email",)
    default_columns = ("full_name", "staff_role", "assigned_groups", "status")

    class Meta(Table.Meta):
        attrs = {"class": "table", "id": "staff"}
        row_attrs = {"class": lambda record: "" if record.is_active else "disabled"}

    def render_status(self, value):
        return "active" if value else "disabled"

    def value_status(self, value):
        return "active" if value else "disabled"
