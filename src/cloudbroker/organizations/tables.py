"""The organization and group lists as tables (columns, sorting, row actions)."""

from __future__ import annotations

import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import truncatechars

from cloudbroker.core.permissions import Perm
from cloudbroker.core.tables import Action, ActionsColumn, DateColumn, Table, TagsColumn
from cloudbroker.organizations.querysets import visible_groups

__all__ = ["GroupTable", "OrganizationTable"]

NUMBER = {"th": {"class": "number"}, "td": {"class": "number"}}


class OrganizationTable(Table):
    name = tables.Column(linkify=("portal:organization_detail", [tables.A("pk")]), order_by=("name", "id"))
    primary_domain = tables.Column(order_by=("primary_domain", "id"))
    customer_number = tables.Column(order_by=("customer_number", "id"))
    created = DateColumn(accessor="created_at", verbose_name="Created", order_by=("created_at", "id"))
    groups = TagsColumn(verbose_name="Groups", filter_items=visible_groups)
    country = tables.Column(accessor="country__code", verbose_name="Country", orderable=False)
    registration_number = tables.Column(orderable=False)
    notification_email = tables.Column(orderable=False)
    city = tables.Column(orderable=False)
    contact_name = tables.Column(orderable=False)
    contact_email = tables.Column(orderable=False)
    contact_phone = tables.Column(orderable=False)
    billing_start_date = DateColumn(orderable=False)
    actions = ActionsColumn(
        Action("Edit", "portal:organization_edit", icon="pencil-square", perm=Perm.ORGANIZATION_CHANGE, inline=True),
        Action("E-store", "portal:organization_services", icon="shopping-cart"),
        Action("Delete", "portal:organization_delete", icon="trash", perm=Perm.ORGANIZATION_DELETE, danger=True),
    )

    required_columns = ("name",)
    default_columns = ("primary_domain", "customer_number", "created", "groups", "country")

    class Meta(Table.Meta):
        attrs = {"class": "table", "id": "organizations"}
        sequence = ("name", "primary_domain", "customer_number", "created", "groups", "country", "...", "actions")


class GroupTable(Table):
    name = tables.Column(linkify=("portal:group_members", [tables.A("pk")]))
    description = tables.Column(orderable=False)
    member_count = tables.Column(verbose_name="Organizations", attrs=NUMBER)
    user_count = tables.Column(verbose_name="Assigned users", attrs=NUMBER)
    actions = ActionsColumn(
        Action("Members", "portal:group_members", icon="building-office-2", inline=True),
        Action("Edit", "portal:group_edit", icon="pencil-square", perm=Perm.GROUP_MANAGE, inline=True),
        Action("Delete", "portal:group_delete", icon="trash", perm=Perm.GROUP_MANAGE, danger=True),
    )

    required_columns = ("name",)

    class Meta(Table.Meta):
        attrs = {"class": "table", "id": "groups"}

    def render_member_count(self, value):
        return intcomma(value)

    def render_user_count(self, value):
        return intcomma(value)

    def value_member_count(self, value):
        return value

    def value_user_count(self, value):
        return value

    def render_description(self, value):
        return truncatechars(value, 80)

    def value_description(self, value):
        return value
