"""Tables of list pages, declared with django-tables2 (ADR 0008).

An app's ``tables.py`` declares its columns; ``core.views.ObjectListView`` sorts, filters, pages
and exports them. What this module adds to django-tables2:

- ``Table``: our look, the actor (row actions and tags read it), the column chooser
  (``required_columns`` are always shown, ``default_columns`` until the person chooses), and
  ``export_columns`` for the generic CSV/XLSX export.
- ``TagsColumn``: a many-to-many shown as tags, from a prefetched relation (no query per row).
- ``ActionsColumn`` and ``Action``: a row's action menu, each action shown only when the actor
  holds its permission; destructive actions lead to a confirmation page, never straight to a POST.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from cloudbroker.core.permissions import Perm

__all__ = ["Action", "ActionsColumn", "DateColumn", "Table", "TagsColumn"]


@dataclass(frozen=True)
class Action:
    """One entry of a row's action menu: a link to ``url_name`` with the row's pk.

    ``inline`` actions show as buttons in the row, the rest in its "more" menu. ``danger`` marks a
    destructive action (its page asks for confirmation before anything changes). ``when`` hides the
    action for rows it does not apply to (``when=lambda record, actor: record.is_active``).
    """

    label: str
    url_name: str
    icon: str = ""
    perm: Perm | None = None
    danger: bool = False
    inline: bool = False
    query: str = ""
    when: Callable[[Any, Any], bool] | None = None

    def url(self, record) -> str:
        url = reverse(self.url_name, args=[record.pk])
        return f"{url}?{self.query}" if self.query else url

    def allowed(self, record, actor) -> bool:
        if self.perm is not None and (actor is None or not actor.has(self.perm)):
            return False
        return self.when is None or self.when(record, actor)


class ActionsColumn(tables.Column):
    """The row's action menu (never sorted, never exported)."""

    empty_values = ()

    def __init__(self, *actions: Action, **kwargs):
        kwargs.setdefault("verbose_name", "Actions")
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("exclude_from_export", True)
        kwargs.setdefault("attrs", {"td": {"class": "row-actions-cell"}})
        super().__init__(**kwargs)
        self.actions = actions

    # Built in Python rather than a template per row: a page of 250 rows renders in milliseconds.
    def render(self, record, table):
        from cloudbroker.core.templatetags.icons import svg

        actor = getattr(table, "actor", None)
        allowed = [a for a in self.actions if a.allowed(record, actor)]
        inline = format_html_join(
            "",
            '<a class="row-action{}" href="{}">{}{}</a>',
            ((" danger" if a.danger else "", a.url(record), svg(a.icon), a.label) for a in allowed if a.inline),
        )
        menu = [a for a in allowed if not a.inline]
        more = ""
        if menu:
            items = format_html_join(
                "",
                '<a role="menuitem" class="{}" href="{}">{}{}</a>',
                (("danger" if a.danger else "", a.url(record), svg(a.icon), a.label) for a in menu),
            )
            more = format_html(
                '<details class="menu"><summary aria-label="More actions for {}" title="More actions">{}'
                '<span class="sr-only">More</span></summary><div class="menu-items" role="menu">{}</div></details>',
                record,
                svg("ellipsis-horizontal"),
                items,
            )
        return format_html('<div class="row-actions">{}{}</div>', inline, more)


class TagsColumn(tables.Column):
    """A to-many relation as tags, read from the prefetched relation.

    ``filter_items`` filters the related objects for the actor (e.g. only the groups they may see), in
    Python over the prefetched rows, so it costs no query per row.
    """

    empty_values = ()

    def __init__(self, *, filter_items: Callable[[Any, Iterable[Any]], list] | None = None, **kwargs):
        kwargs.setdefault("orderable", False)
        super().__init__(**kwargs)
        self.filter_items = filter_items

    def items(self, record, table) -> list:
        related = list(self.accessor.resolve(record).all())
        if self.filter_items is not None:
            related = self.filter_items(getattr(table, "actor", None), related)
        return related

    def render(self, record, table):
        items = self.items(record, table)
        if not items:
            return mark_safe('<span class="muted">—</span>')
        return format_html_join("", '<span class="tag">{}</span>', ((item,) for item in items))

    def value(self, record, table, **kwargs):
        return "; ".join(force_str(item) for item in self.items(record, table))


class DateColumn(tables.Column):
    """A date, or a datetime in the current time zone, written as the product writes dates
    (DD/MM/YYYY); plain ``strftime`` instead of django-tables2's template per cell."""

    def __init__(self, *, format: str = "%d/%m/%Y", **kwargs):
        super().__init__(**kwargs)
        self.format = format

    def render(self, value):
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value)
        return value.strftime(self.format)

    def value(self, value):
        return self.render(value)


class Table(tables.Table):
    """Base of every list table: our CSS classes, the actor, the column chooser."""

    #: Columns always shown (the chooser does not offer them).
    required_columns: tuple[str, ...] = ()
    #: Columns shown until the person chooses others; empty means every column.
    default_columns: tuple[str, ...] = ()

    class Meta:
        attrs = {"class": "table"}
        orderable = True

    def __init__(self, data, *, actor=None, columns: Iterable[str] | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.actor = actor
        self.choose_columns(columns)

    @property
    def choosable_columns(self) -> list[tuple[str, str, bool]]:
        """(name, header, shown) of every column the chooser offers."""
        return [
            (c.name, force_str(c.header), c.visible)
            for c in self.columns.iterall()
            if c.name not in self.required_columns and not isinstance(c.column, ActionsColumn)
        ]

    def choose_columns(self, names: Iterable[str] | None) -> None:
        """Show the chosen columns (unknown names are ignored; an empty choice means the default)."""
        offered = {c[0] for c in self.choosable_columns}
        chosen = {n for n in (names or ()) if n in offered} or set(self.default_columns or offered)
        for name in offered:
            if name in chosen:
                self.columns.show(name)
            else:
                self.columns.hide(name)

    def export_rows(self, records: Iterable[Any]) -> tuple[list[tuple[str, str]], Iterator[dict[str, Any]]]:
        """The shown columns (key, header) and one dict per record, for ``core.imports`` writers."""
        columns = [c for c in self.columns.iterall() if c.visible and not c.column.exclude_from_export]
        header = [(c.name, force_str(c.header)) for c in columns]

        def rows():
            for record in records:
                row = tables.rows.BoundRow(record, table=self)
                yield {c.name: row.get_cell_value(c.name) for c in columns}

        return header, rows()
