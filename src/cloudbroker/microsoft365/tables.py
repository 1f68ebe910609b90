"""An organization's subscriptions as a table (seed 001 §5): the friendly name, the product and its
item code, the sales price for roles that see prices, the quantity, the status (a purchase scheduled
for a later date shows its date and no price), the renewal date, auto-renew, and for each lot of seats
the date until which it can still be reduced; the row's Actions menu manages it.

Cost and margin are never columns of this table: the list is for every role that sees subscriptions.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from cloudbroker.core.money import Money, Rounding
from cloudbroker.core.permissions import Perm
from cloudbroker.core.tables import Action, ActionsColumn, DateColumn, Table
from cloudbroker.core.templatetags.money import format_money
from cloudbroker.microsoft365 import nce
from cloudbroker.subscriptions.choices import SubscriptionStatus

__all__ = ["LotRow", "SubscriptionTable", "lot_rows", "reducible_lots"]

NUMBER = {"th": {"class": "number"}, "td": {"class": "number"}}
LIVE = SubscriptionStatus.live()


class LotRow(NamedTuple):
    """A lot of seats as pages show it: until when it can be reduced, and whether it still can."""

    quantity: int
    added_at: dt.datetime
    reducible_until: dt.datetime | None
    open: bool


def lot_deadline(lot) -> dt.datetime | None:
    """Until when a lot's seats can be taken back: the vendor's deadline where the lot carries one
    (``reducible_until``, None for never), else Microsoft's window from when the seats were added."""
    if hasattr(lot, "reducible_until"):
        return lot.reducible_until
    return nce.SeatLot(lot.quantity, lot.added_at).reducible_until


def lot_rows(subscription, now=None) -> list[LotRow]:
    """Every lot of the subscription (from the prefetched lots), oldest first; a lot is open while
    the subscription is live and its deadline has not passed."""
    now = now or timezone.now()
    live = subscription.status in LIVE
    rows = []
    for lot in subscription.lots.all():
        until = lot_deadline(lot)
        rows.append(LotRow(lot.quantity, lot.added_at, until, live and until is not None and now <= until))
    return rows


def reducible_lots(subscription, now=None) -> list[tuple[int, dt.datetime | None]]:
    """(seats, until) of each lot that can still be reduced."""
    return [(row.quantity, row.reducible_until) for row in lot_rows(subscription, now) if row.open]


def _is(*statuses):
    return lambda record, actor: record.status in statuses and not record.change_pending


def _on_date(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


class SubscriptionTable(Table):
    name = tables.Column(accessor="friendly_name", verbose_name="Friendly name", order_by=("friendly_name", "id"))
    product = tables.Column(
        accessor="offer__product__title", verbose_name="Product", order_by=("offer__product__title",)
    )
    item_code = tables.Column(accessor="offer__item_code", verbose_name="Item code / offer ID")
    sales_price = tables.Column(
        accessor="unit_price", verbose_name="Sales price", empty_values=(), orderable=False, attrs=NUMBER
    )
    quantity = tables.Column(attrs=NUMBER)
    consumed = tables.Column(
        accessor="assigned_quantity",
        verbose_name="Consumed",
        attrs=NUMBER,
        default="—",
        order_by=("assigned_quantity", "id"),
    )
    status = tables.Column(order_by=("status", "provision_on"))
    renewal = DateColumn(accessor="commitment_end", verbose_name="Renewal date", order_by=("commitment_end", "id"))
    auto_renew = tables.BooleanColumn(verbose_name="Auto-renew", yesno="Yes,No")
    reducible = tables.Column(verbose_name="Can be reduced until", empty_values=(), orderable=False)
    actions = ActionsColumn(
        Action(
            "Change quantity",
            "portal:subscription_quantity",
            icon="calculator",
            perm=Perm.SUBSCRIPTION_MANAGE,
            when=_is(*LIVE),
        ),
        Action(
            "Add-on",
            "portal:subscription_addon",
            icon="plus",
            perm=Perm.SUBSCRIPTION_MANAGE,
            when=_is(SubscriptionStatus.ACTIVE),
        ),
        Action(
            "Next term",
            "portal:subscription_next_term",
            icon="calendar",
            perm=Perm.SUBSCRIPTION_MANAGE,
            when=_is(SubscriptionStatus.ACTIVE),
        ),
        Action(
            "Upgrade",
            "portal:subscription_upgrade",
            icon="arrow-up-circle",
            perm=Perm.SUBSCRIPTION_MANAGE,
            when=_is(SubscriptionStatus.ACTIVE),
        ),
        Action(
            "Suspend",
            "portal:subscription_suspend",
            icon="pause",
            perm=Perm.SUBSCRIPTION_MANAGE,
            danger=True,
            when=_is(SubscriptionStatus.ACTIVE, SubscriptionStatus.SCHEDULED),
        ),
        Action(
            "Activate",
            "portal:subscription_activate",
            icon="play",
            perm=Perm.SUBSCRIPTION_MANAGE,
            when=_is(SubscriptionStatus.SUSPENDED),
        ),
        Action(
            "Turn auto-renew off",
            "portal:subscription_auto_renew",
            icon="arrow-path",
            perm=Perm.SUBSCRIPTION_MANAGE,
            when=lambda record, actor: record.auto_renew and _is(*LIVE)(record, actor),
        ),
        Action(
            "Turn auto-renew on",
            "portal:subscription_auto_renew",
            icon="arrow-path",
            perm=Perm.SUBSCRIPTION_MANAGE,
            when=lambda record, actor: not record.auto_renew and _is(*LIVE)(record, actor),
        ),
        Action(
            "Rename / PO number",
            "portal:subscription_edit",
            icon="pencil-square",
            perm=Perm.SUBSCRIPTION_MANAGE,
            when=lambda record, actor: record.status not in (SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED),
        ),
        Action("Edit sales price", "portal:subscription_price", icon="currency-euro", perm=Perm.CUSTOMER_PRICE_CHANGE),
        Action("History", "portal:subscription_detail", icon="clock"),
        Action(
            "Cancel",
            "portal:subscription_cancel",
            icon="x-circle",
            perm=Perm.SUBSCRIPTION_MANAGE,
            danger=True,
            when=_is(*LIVE),
        ),
    )

    required_columns = ("name",)

    class Meta(Table.Meta):
        attrs = {"class": "table subscriptions", "id": "subscriptions"}
        sequence = (
            "name",
            "product",
            "item_code",
            "sales_price",
            "quantity",
            "consumed",
            "status",
            "renewal",
            "auto_renew",
            "reducible",
            "actions",
        )
        row_attrs = {"data-status": lambda record: record.status, "data-id": lambda record: str(record.pk)}

    def __init__(self, data, **kwargs):
        actor = kwargs.get("actor")
        exclude = list(kwargs.pop("exclude", ()) or ())
        if actor is None or not actor.has(Perm.PRICE_VIEW):
            exclude.append("sales_price")
        super().__init__(data, exclude=exclude, **kwargs)
        self.now = timezone.now()

    def render_name(self, record):
        label = record.friendly_name or record.offer.product.title
        addon = format_html(' <span class="tag">Add-on of {}</span>', record.parent) if record.parent_id else ""
        return format_html(
            '<a href="{}">{}</a>{}', reverse("portal:subscription_detail", args=[record.pk]), label, addon
        )

    def value_name(self, record):
        return record.friendly_name or record.offer.product.title

    def render_product(self, record):
        product = record.offer.product
        return format_html('<span title="{}">{}</span>', product.description or product.title, product.title)

    def value_product(self, record):
        return record.offer.product.title

    def value_auto_renew(self, record):
        return "Yes" if record.auto_renew else "No"

    def render_item_code(self, record):
        parts = format_html_join(mark_safe(":<wbr>"), "{}", ((p,) for p in record.offer.item_code.split(":")))
        return format_html('<code class="item-code">{}</code>', parts)

    def value_item_code(self, record):
        return record.offer.item_code

    def _price(self, record) -> Money | None:
        if record.status == SubscriptionStatus.SCHEDULED or record.unit_price is None:
            return None
        return Money(record.unit_price, record.currency)

    def render_sales_price(self, record):
        return format_money(self._price(record))

    def value_sales_price(self, record):
        price = self._price(record)
        return "" if price is None else f"{price.rounded(Rounding.COMMERCIAL).amount} {price.currency}"

    def render_renewal(self, record, value):
        """The renewal date, and whether the next term renews with changes (scheduled for it)."""
        if record.next_term_offer_id or record.next_term_quantity:
            return format_html('{}<br><small class="muted">renews with changes</small>', value.strftime("%d/%m/%Y"))
        return value.strftime("%d/%m/%Y")

    def value_renewal(self, record, value):
        return value.strftime("%d/%m/%Y")

    def render_status(self, record):
        words = record.get_status_display()
        if record.status == SubscriptionStatus.SCHEDULED and record.provision_on:
            words = f"Scheduled for {record.provision_on:%d/%m/%Y}"
        pending = (
            format_html('<br><small class="muted">{}</small>', f"Sending: {record.change_pending}")
            if record.change_pending
            else ""
        )
        return format_html('<span class="tag status-{}">{}</span>{}', record.status, words, pending)

    def value_status(self, record):
        if record.status == SubscriptionStatus.SCHEDULED and record.provision_on:
            return f"Scheduled for {record.provision_on:%d/%m/%Y}"
        return record.get_status_display()

    def render_reducible(self, record):
        lots = reducible_lots(record, self.now)
        if not lots:
            return mark_safe('<span class="muted">—</span>')
        return format_html_join(
            mark_safe("<br>"), "{} seat{} until {}", ((q, "" if q == 1 else "s", _on_date(u)) for q, u in lots)
        )

    def value_reducible(self, record):
        return "; ".join(f"{q} until {_on_date(u)}" for q, u in reducible_lots(record, self.now))
