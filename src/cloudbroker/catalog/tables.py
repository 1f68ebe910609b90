"""The catalog and price lists as tables: item codes with their effective price, the rule that set it,
and — for roles that may see cost — cost, ERP and margin side by side.

Prices are not columns of the database: a :class:`~cloudbroker.catalog.pricing.PriceBook` prices the
rows of the shown page in one go (a constant number of queries), or every row once for an export.
Cost, ERP and margin columns are not built at all for a role without ``COST_VIEW`` (not hidden: absent
from the page, the column chooser and the export).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from cloudbroker.catalog import services
from cloudbroker.catalog.pricing import EffectivePrice, PriceBook
from cloudbroker.catalog.querysets import source_for
from cloudbroker.core.money import Rounding
from cloudbroker.core.permissions import Perm
from cloudbroker.core.tables import Action, ActionsColumn, Table
from cloudbroker.core.templatetags.money import format_amount, format_money, format_percent

__all__ = ["COST_COLUMNS", "PRICE_COLUMNS", "CatalogTable", "CustomerPriceTable", "ProductAction"]

NUMBER = {"th": {"class": "number"}, "td": {"class": "number"}}
COST_COLUMNS = ("cost", "erp", "margin_percent", "margin_amount")
PRICE_COLUMNS = ("sales", "source")
LEVEL_WORDS = {"customer": "Customer price", "global": "Global price list", "retail": "Microsoft retail"}
LEVEL_TAGS = {"customer": "Customer", "global": "Global", "retail": "Retail"}


class ProductAction(Action):
    """A row action on the offer's product (hide it from the e-store...), not on the offer itself."""

    def url(self, record) -> str:
        url = reverse(self.url_name, args=[record.product_id])
        return f"{url}?{self.query}" if self.query else url


class SelectColumn(tables.CheckBoxColumn):
    """A tick per row for "select rows → apply a rule"; the boxes belong to the bulk form below the
    table (``form="bulk-form"``), so the table needs no form around it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("accessor", "pk")
        kwargs.setdefault("verbose_name", "Select")
        kwargs.setdefault("exclude_from_export", True)
        kwargs.setdefault(
            "attrs",
            {
                "input": {"form": "bulk-form", "name": "offers", "class": "row-select"},
                "th": {"class": "select"},
                "td": {"class": "select"},
            },
        )
        super().__init__(**kwargs)

    @property
    def header(self):
        return mark_safe(
            '<input type="checkbox" class="select-all" data-select-all="row-select" aria-label="Select every row">'
        )

    def render(self, value, bound_column, record):
        return format_html(
            '<input type="checkbox" form="bulk-form" name="offers" value="{}" class="row-select" '
            'aria-label="Select {}">',
            value,
            record.item_code,
        )


def _amount(money) -> str:
    """An amount for a cell whose heading names the currency."""
    return "—" if money is None else format_amount(money)


def _money_value(money) -> str:
    """An amount for an export: rounded as shown, without thousands separators."""
    return "" if money is None else str(money.rounded(Rounding.COMMERCIAL).amount)


class CatalogTable(Table):
    """Every offered item code priced by the global price list."""

    select = SelectColumn()
    item_code = tables.Column(order_by=("item_code", "id"))
    product = tables.Column(
        accessor="product__title",
        verbose_name="Product",
        order_by=("product__title", "id"),
        attrs={"td": {"class": "product"}},
    )
    group = tables.Column(
        accessor="product__group__name", verbose_name="Product group", order_by=("product__group__name", "id")
    )
    category = tables.Column(
        accessor="product__category__name", verbose_name="Category", order_by=("product__category__name", "id")
    )
    term = tables.Column(order_by=("term", "id"))
    billing_plan = tables.Column(order_by=("billing_plan", "id"))
    sales = tables.Column(verbose_name="Sales price", empty_values=(), orderable=False, attrs=NUMBER)
    source = tables.Column(verbose_name="Price from", empty_values=(), orderable=False)
    cost = tables.Column(verbose_name="Cost", empty_values=(), orderable=False, attrs=NUMBER)
    erp = tables.Column(verbose_name="ERP", empty_values=(), orderable=False, attrs=NUMBER)
    margin_percent = tables.Column(verbose_name="Margin %", empty_values=(), orderable=False, attrs=NUMBER)
    margin_amount = tables.Column(verbose_name="Margin", empty_values=(), orderable=False, attrs=NUMBER)
    actions = ActionsColumn(
        ProductAction(
            "Hide from e-store",
            "portal:catalog_product_visibility",
            icon="eye-slash",
            perm=Perm.CATALOG_MANAGE,
            query="hidden=1",
            when=lambda record, actor: not record.product.hidden,
        ),
        ProductAction(
            "Show in e-store",
            "portal:catalog_product_visibility",
            icon="eye",
            perm=Perm.CATALOG_MANAGE,
            query="hidden=0",
            when=lambda record, actor: record.product.hidden,
        ),
    )

    required_columns = ("select", "item_code")
    default_columns: tuple[str, ...] = (
        "product",
        "term",
        "billing_plan",
        *PRICE_COLUMNS,
        *COST_COLUMNS,
    )

    class Meta(Table.Meta):
        attrs = {"class": "table catalog", "id": "catalog"}
        sequence = ("select", "item_code", "product", "...", "actions")

    def __init__(self, data, *, book: PriceBook | None = None, **kwargs):
        actor = kwargs.get("actor")
        exclude = list(kwargs.pop("exclude", ()) or ())
        if book is None:
            exclude += [*PRICE_COLUMNS, *COST_COLUMNS]
        if actor is None or not actor.has(Perm.COST_VIEW):
            exclude += list(COST_COLUMNS)
        if not self.can_change_prices(actor):
            exclude.append("select")
        super().__init__(data, exclude=exclude, **kwargs)
        self.book = book
        if book is not None:  # cost, ERP and margin as bare amounts: the currency is said in the heading
            for name, words in (("cost", "Cost"), ("erp", "ERP"), ("margin_amount", "Margin")):
                if name in self.columns.names():
                    self.columns[name].column.verbose_name = f"{words} ({book.currency})"
        self._prices: dict[Any, EffectivePrice] = {}
        self._all_prepared = False

    @staticmethod
    def can_change_prices(actor) -> bool:
        return actor is not None and services.may_change_prices(actor)

    # -- prices, read once per page (or once for an export) ------------------------------------

    def price_of(self, record) -> EffectivePrice | None:
        if self.book is None:
            return None
        if record.pk not in self._prices:
            page = getattr(self, "page", None)
            records = [row.record for row in page.object_list] if page is not None else []
            if record.pk in {r.pk for r in records}:
                self._prices.update(self.book.prices(records))
            else:  # an export: every vendor price of the broker in one query, then row by row
                if not self._all_prepared:
                    self.book.prepare(None)
                    self._all_prepared = True
                self._prices[record.pk] = self.book.price(record)
        return self._prices[record.pk]

    # -- cells ---------------------------------------------------------------------------------

    def offer_url(self, record) -> str:
        return reverse("portal:catalog_offer", args=[record.pk])

    def render_item_code(self, record):
        # A line may break after each colon: CFQ7TTC0LH18:0001:P1Y:monthly is long for a narrow column.
        parts = format_html_join(mark_safe(":<wbr>"), "{}", ((part,) for part in record.item_code.split(":")))
        return format_html('<a class="item-code" href="{}">{}</a>', self.offer_url(record), parts)

    def value_item_code(self, record):
        return record.item_code

    def render_product(self, record):
        product = record.product
        badges = []
        if product.is_addon:
            badges.append(format_html('<span class="tag">{}</span>', "Add-on"))
        if product.is_trial:
            badges.append(format_html('<span class="tag">{}</span>', "Trial"))
        if product.hidden:
            badges.append(
                format_html('<span class="tag badge-hidden" title="{}">{}</span>', "Not in the e-store", "Hidden")
            )
        if product.withdrawn_on or record.withdrawn_on:
            day = min(d for d in (product.withdrawn_on, record.withdrawn_on) if d)
            badges.append(format_html('<span class="tag badge-withdrawn">Withdrawn from {}</span>', f"{day:%d/%m/%Y}"))
        attaches = ""
        if product.is_addon:
            targets = list(product.attaches_to.all())
            if targets:
                attaches = format_html(
                    '<small class="muted attaches">For: {}</small>',
                    format_html_join(", ", "{}", ((t.title,) for t in targets)),
                )
        meta = format_html('<small class="product-meta">{} · {}</small>', product.group.name, product.category.name)
        return format_html(
            '<span class="product-title">{}</span> {}{}{}', product.title, mark_safe("".join(badges)), meta, attaches
        )

    def value_product(self, record):
        return record.product.title

    def render_term(self, record):
        return record.get_term_display()

    def render_billing_plan(self, record):
        return record.get_billing_plan_display()

    def render_sales(self, record):
        price = self.price_of(record)
        if price is None or price.sales is None:
            return mark_safe('<span class="muted">no price</span>')
        warn = ""
        if price.below_cost and self.actor is not None and self.actor.has(Perm.COST_VIEW):
            warn = format_html(' <span class="tag badge-warning" title="{}">{}</span>', "Sold below cost", "Below cost")
        return format_html("<strong>{}</strong>{}", format_money(price.sales), warn)

    def value_sales(self, record):
        price = self.price_of(record)
        return "" if price is None else _money_value(price.sales)

    def render_source(self, record):
        price = self.price_of(record)
        if price is None:
            return ""
        return format_html('<small class="source">{}</small>', source_for(self.actor, price, record))

    def value_source(self, record):
        price = self.price_of(record)
        return "" if price is None else source_for(self.actor, price, record)

    def render_cost(self, record):
        price = self.price_of(record)
        return _amount(price.cost if price else None)

    def value_cost(self, record):
        price = self.price_of(record)
        return _money_value(price.cost if price else None)

    def render_erp(self, record):
        price = self.price_of(record)
        return _amount(price.erp if price else None)

    def value_erp(self, record):
        price = self.price_of(record)
        return _money_value(price.erp if price else None)

    def render_margin_percent(self, record):
        price = self.price_of(record)
        text = format_percent(price.margin_percent if price else None)
        if price is not None and price.below_cost:
            return format_html('<span class="danger">{}</span>', text)
        return text

    def value_margin_percent(self, record):
        price = self.price_of(record)
        if price is None or price.margin_percent is None:
            return ""
        return str(price.margin_percent.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    def render_margin_amount(self, record):
        price = self.price_of(record)
        return _amount(price.margin_amount if price else None)

    def value_margin_amount(self, record):
        price = self.price_of(record)
        return _money_value(price.margin_amount if price else None)


class CustomerPriceTable(CatalogTable):
    """The catalog priced for one organization: which level set each price (customer, global,
    Microsoft retail), and the organization's own e-store choice per product."""

    level = tables.Column(verbose_name="Level", empty_values=(), orderable=False)
    estore = tables.Column(verbose_name="E-store", empty_values=(), orderable=False)
    # Built per row in render_actions (the links name the organization); the heading is for screen readers.
    actions = ActionsColumn(verbose_name=mark_safe('<span class="sr-only">E-store choices</span>'))

    # The level is shown as a tag beside the rule that set the price; as a column on request.
    default_columns: tuple[str, ...] = ("product", "term", "billing_plan", "sales", "source", *COST_COLUMNS, "estore")

    class Meta(CatalogTable.Meta):
        attrs = {"class": "table catalog", "id": "customer-prices"}
        sequence = ("select", "item_code", "product", "...", "actions")

    def __init__(self, data, *, organization, settings: dict, **kwargs):
        self.organization = organization
        self.settings = settings
        super().__init__(data, **kwargs)

    def can_change_prices(self, actor) -> bool:  # type: ignore[override]
        return actor is not None and services.may_change_prices(actor, self.organization)

    def offer_url(self, record) -> str:
        return reverse("portal:organization_offer_price", args=[self.organization.pk, record.pk])

    def level_tag(self, price):
        return format_html(
            '<span class="tag level-{}" title="{}">{}</span>',
            price.level,
            LEVEL_WORDS[price.level],
            LEVEL_TAGS[price.level],
        )

    def render_level(self, record):
        price = self.price_of(record)
        return "" if price is None else self.level_tag(price)

    def render_source(self, record):
        price = self.price_of(record)
        if price is None:
            return ""
        return format_html(
            '{}<small class="source">{}</small>', self.level_tag(price), source_for(self.actor, price, record)
        )

    def value_level(self, record):
        price = self.price_of(record)
        return "" if price is None else LEVEL_WORDS[price.level]

    def estore_state(self, record) -> tuple[str, str]:
        """(what the customer sees, why)."""
        own = self.settings.get(record.product_id)
        if own is True:
            return "Hidden", "for this organization"
        if own is False:
            return "Shown", "for this organization"
        return ("Hidden", "broker-wide") if record.product.hidden else ("Shown", "as the broker")

    def render_estore(self, record):
        state, why = self.estore_state(record)
        css = "badge-hidden" if state == "Hidden" else "status-current"
        own = "for this organization" in why
        return format_html(
            '<span class="tag {}" title="{}">{}</span>{}',
            css,
            f"{state} {why}",
            state,
            format_html('<small class="muted estore-own">{}</small>', "own choice") if own else "",
        )

    def value_estore(self, record):
        state, why = self.estore_state(record)
        return f"{state} ({why})"

    def render_actions(self, record):
        if self.actor is None or not self.actor.has(Perm.CUSTOMER_PRICE_CHANGE):
            return ""
        own = self.settings.get(record.product_id)
        base = reverse("portal:organization_product_visibility", args=[self.organization.pk, record.product_id])
        links = []
        if own is not True:
            links.append(("hidden=1", "eye-slash", "Hide for this organization"))
        if own is not False:
            links.append(("hidden=0", "eye", "Show for this organization"))
        if own is not None:
            links.append(("hidden=follow", "arrow-uturn-left", "Follow the broker"))
        from cloudbroker.core.templatetags.icons import svg

        items = format_html_join(
            "",
            '<a role="menuitem" href="{}?{}">{}{}</a>',
            ((base, query, svg(icon), label) for query, icon, label in links),
        )
        return format_html(
            '<div class="row-actions"><details class="menu"><summary aria-label="E-store choices for {}" '
            'title="E-store">{}<span class="sr-only">More</span></summary>'
            '<div class="menu-items" role="menu">{}</div></details></div>',
            record.item_code,
            svg("ellipsis-horizontal"),
            items,
        )
