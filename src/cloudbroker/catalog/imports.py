"""A price list as a file: its export (CSV, XLSX) and its import through the generic import flow.

The export has one row per item code the broker offers (``services.offered_offers``), with the
sales price in effect today and the rule that produced it (``pricing.PriceBook``); cost, retail
price (ERP) and margin only for roles that may see cost. The import reads the same columns: the
item code and the sales price (the informational columns are ignored), so an export imported again
finds every row unchanged. A changed price becomes the item code's own fixed price in the list —
the global one, or the organization's the import run is for — from the row's date (today by
default), written by ``services.set_price``: the one owner of the rules (permission, the value's
checks, a sale below cost, one audit event per change).

What a row does:

* **unchanged**: the sales price in effect for the item code on that day is the row's (whatever
  set it: its own price, a rule, the global list, the retail price), or the cell is empty, or it
  holds ``#CLEAR`` and the item code has no own price;
* **new**: another price, and the item code had no own price in this list (a rule priced it);
* **update**: another price, replacing the item code's own price; ``#CLEAR`` removes the own price
  from that day ("no own price": the next rule applies);
* **conflict**: a new or updated price below cost, imported only if the person accepts it;
* **error**: an unknown item code, a bad number or date, a date in the past, another currency.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from cloudbroker.catalog import services
from cloudbroker.catalog.choices import PriceKind
from cloudbroker.catalog.models import Offer, slot_scope_key
from cloudbroker.catalog.pricing import EffectivePrice, PriceBook
from cloudbroker.core.actors import Actor
from cloudbroker.core.errors import DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from cloudbroker.core.imports import (
    CLEAR_MARKER,
    Column,
    ColumnKind,
    ExportColumn,
    FileFormat,
    ImportSpec,
    RawRow,
    RowAction,
    is_clear,
    iter_csv,
    xlsx_bytes,
)
from cloudbroker.core.imports.registry import Importer, RowOutcome, SeenKeys, register
from cloudbroker.core.imports.templates import CONTENT_TYPES
from cloudbroker.core.money import Money, Rounding
from cloudbroker.core.permissions import Perm

__all__ = [
    "PRICE_LIST_SPEC",
    "PriceListImporter",
    "PriceRow",
    "export_columns",
    "export_filename",
    "export_response",
    "export_rows",
]

HUNDRED = Decimal(100)
_EXAMPLE_CODE = "EXAMPLE:0001:P1Y:monthly"
_NO_OWN_PRICE = PriceKind.INHERIT.label

PRICE_LIST_SPEC = ImportSpec(
    name="Price list",
    columns=[
        Column(
            "item_code",
            "Item code",
            required=True,
            help="The item code as the export writes it: product:SKU:term:billing plan.",
            example=_EXAMPLE_CODE,
            aliases=("Item", "SKU"),
        ),
        Column(
            "sales_price",
            "Sales price",
            help=(
                "Per seat per charge, in the broker's currency (e.g. 12.50). Empty: leave the price as it is. "
                f"{CLEAR_MARKER}: remove the item code's own price (the next rule applies)."
            ),
            example="12.50",
            kind=ColumnKind.DECIMAL,
            aliases=("Price",),
        ),
        Column(
            "effective_from",
            "Effective from",
            help="The day the price takes effect, as DD/MM/YYYY; empty: today. A day in the past is refused.",
            kind=ColumnKind.DATE,
        ),
        Column("product", "Product", help="Informational (ignored on import)."),
        Column("product_group", "Product group", help="Informational (ignored on import)."),
        Column("category", "Category", help="Informational (ignored on import)."),
        Column("term", "Term", help="Informational (ignored on import)."),
        Column("billing_plan", "Billing plan", help="Informational (ignored on import)."),
        Column("currency", "Currency", help="The broker's currency; a row in another currency is refused."),
        Column("price_source", "Price source", help="Informational: what sets the price today (ignored)."),
        Column("cost", "Cost", help="Informational (ignored on import).", kind=ColumnKind.DECIMAL),
        Column("erp", "Retail price (ERP)", help="Informational (ignored on import).", kind=ColumnKind.DECIMAL),
        Column("margin_percent", "Margin %", help="Informational (ignored on import).", kind=ColumnKind.DECIMAL),
    ],
    xml_root="prices",
    xml_row="price",
    sheet_name="Price list",
    example_keys=("item_code",),
    notes=(
        "A row whose sales price differs from the price in effect sets the item code's own fixed price; "
        "the preview shows every change, before → after, before anything is written.",
        "An empty sales price leaves the item code as it is; "
        f"{CLEAR_MARKER} removes its own price from the row's date (the next rule applies).",
        "A price below cost is a conflict: it is imported only if you accept it, row by row, before confirming.",
        "The other columns of the export are informational and ignored, so an export imports back unchanged.",
        f"The example row (item code {_EXAMPLE_CODE}) is never imported: replace it with your data.",
    ),
)

_SPEC_KEYS = frozenset(PRICE_LIST_SPEC.keys)
_LABELS = {c.key: c.label for c in PRICE_LIST_SPEC.columns}


# --- the export ------------------------------------------------------------------------------

_PUBLIC_COLUMNS = (
    "item_code",
    "product",
    "product_group",
    "category",
    "term",
    "billing_plan",
    "currency",
    "sales_price",
    "price_source",
)
_COST_COLUMNS = ("cost", "erp", "margin_percent")


def export_columns(actor: Actor) -> list[ExportColumn]:
    """The export's columns for ``actor``: cost, ERP and margin only with ``Perm.COST_VIEW``."""
    keys = _PUBLIC_COLUMNS + (_COST_COLUMNS if actor.has(Perm.COST_VIEW) else ())
    return [ExportColumn(key, _LABELS[key]) for key in keys]


def _amount(money: Money | None) -> Decimal | None:
    return None if money is None else money.rounded(Rounding.COMMERCIAL).amount


def price_source(price: EffectivePrice, *, with_cost: bool) -> str:
    """What sets a price, as a role may read it (``EffectivePrice.source_for``)."""
    return price.source_for(with_cost=with_cost)


def export_rows(actor: Actor, *, organization=None) -> Iterator[dict[str, Any]]:
    """One row per item code offered (to ``organization``, or broker-wide) with its price today.

    ``services.price_book`` checks ``Perm.PRICE_VIEW`` and that the organization is visible (404)."""
    book = services.price_book(actor, organization=organization)
    offers = list(services.offered_offers(book.broker, organization=book.organization, day=book.day))
    prices = book.prices(offers)
    with_cost = actor.has(Perm.COST_VIEW)
    for offer in offers:
        price = prices[offer.pk]
        product = offer.product
        row: dict[str, Any] = {
            "item_code": offer.item_code,
            "product": product.title,
            "product_group": product.group.name,
            "category": product.category.name,
            "term": offer.get_term_display(),
            "billing_plan": offer.get_billing_plan_display(),
            "currency": book.currency,
            "sales_price": _amount(price.sales),
            "price_source": price_source(price, with_cost=with_cost),
        }
        if with_cost:
            margin = price.margin_percent
            row["cost"] = _amount(price.cost)
            row["erp"] = _amount(price.erp)
            row["margin_percent"] = None if margin is None else margin.quantize(Decimal("0.01"))
        yield row


def export_filename(organization, file_format: str) -> str:
    who = slugify(organization.customer_number or organization.name) if organization else "global"
    return f"price-list-{who or 'organization'}-{timezone.localdate():%Y-%m-%d}.{file_format}"


def export_response(actor, organization, file_format: str) -> HttpResponse | StreamingHttpResponse:
    """The price list as a download: CSV streamed, XLSX built in memory (formula-like text made safe)."""
    columns = export_columns(actor)
    rows = export_rows(actor, organization=organization)
    if file_format == FileFormat.CSV:
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            iter_csv(columns, rows), content_type=CONTENT_TYPES[FileFormat.CSV]
        )
    elif file_format == FileFormat.XLSX:
        content = xlsx_bytes(columns, rows, sheet_name=PRICE_LIST_SPEC.sheet_name or "Price list")
        response = HttpResponse(content, content_type=CONTENT_TYPES[FileFormat.XLSX])
    else:
        raise Http404("Export as csv or xlsx.")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(organization, file_format)}"'
    return response


# --- reading a file (no database) ------------------------------------------------------------

_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _parse_date(text: str) -> dt.date:
    """``DD/MM/YYYY`` (the export's and the template's format; ``.`` or ``-`` also) or ``YYYY-MM-DD``."""
    text = text.strip()
    if match := _DMY.fullmatch(text):
        day, month, year = match.groups()
    elif match := _ISO.fullmatch(text):
        year, month, day = match.groups()
    else:
        raise ValueError("Enter the date as DD/MM/YYYY.")
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{text} is not a date.") from None


@dataclass
class PriceRow(RowOutcome):
    """A row of a price-list file: the offer it names, and what importing it changes."""

    target: Offer | None = None
    organization: Any = None  # the organization whose list it changes (None: the global list)
    before: str = ""
    after: str = ""
    confirm_below_cost: bool = False


def clean_rows(rows: Iterable[RawRow]) -> list[PriceRow]:
    """Read each row's item code, sales price and date; the rest is informational."""
    outcomes = []
    for raw in rows:
        values = {k: v for k, v in raw.values.items() if k in _SPEC_KEYS}
        cleaned: dict[str, Any] = {"item_code": (values.get("item_code") or "").strip()}
        errors: list[FieldError] = []
        if not cleaned["item_code"]:
            errors.append(FieldError("item_code", "Enter the item code.", "required", raw.number))
        price = (values.get("sales_price") or "").strip()
        if price and is_clear(price):
            cleaned["clear"] = True
        elif price:
            try:
                number = Decimal(price.replace(",", "."))
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                errors.append(
                    FieldError("sales_price", f"{price!r} is not a number (write 12.50).", "invalid", raw.number)
                )
            else:
                cleaned["price"] = price
        date = (values.get("effective_from") or "").strip()
        if date:
            try:
                cleaned["effective_from"] = _parse_date(date)
            except ValueError as exc:
                errors.append(FieldError("effective_from", str(exc), "invalid", raw.number))
        currency = (values.get("currency") or "").strip().upper()
        if currency:
            cleaned["currency"] = currency
        if PRICE_LIST_SPEC.is_example(values):
            errors = [
                FieldError(
                    "item_code",
                    "This is the template's example row: replace it with your own data.",
                    "example_row",
                    raw.number,
                )
            ]
        outcomes.append(PriceRow(raw.number, RowAction.NEW, values, cleaned, errors))
    return outcomes


# --- matching and classifying ----------------------------------------------------------------


class _Context:
    """What classifying needs, loaded once per import: the broker, the list (global or one
    organization's) and whether the actor may change it."""

    def __init__(self, actor: Actor, *, organization=None, accepted: Iterable[int] = (), final: bool = False):
        from cloudbroker.organizations.models import Organization

        self.actor = actor
        self.broker = services.broker_of(actor)
        self.organization = None
        if organization is not None:
            # The run's organization, whoever reads it; whether the actor may change it is below.
            self.organization = Organization.objects.filter(
                pk=getattr(organization, "pk", organization), broker_id=actor.broker_id
            ).first()
            if self.organization is None:
                raise NotFound("The organization of this price list no longer exists.")
        self.refusal = ""  # why the actor may not change this list (every row that writes says so)
        try:
            _authorize(actor, self.organization)
        except PermissionDenied as exc:
            self.refusal = exc.message
        except Http404:
            self.refusal = "This organization is outside your organization groups."
        self.scope_key = slot_scope_key(getattr(self.organization, "pk", None))
        self.accepted = frozenset(accepted)
        self.final = final


def _authorize(actor: Actor, organization) -> Any:
    """The services' rule for who changes which list (``services.require_price_change``)."""
    return services.require_price_change(actor, organization)


def _shown(money: Money | None) -> str:
    return "(no price)" if money is None else f"{money.rounded(Rounding.COMMERCIAL).amount:f} {money.currency}"


def _before(price: EffectivePrice) -> str:
    return f"{_shown(price.sales)} — {price.source}"


def _own_entry(ctx: _Context, offer: Offer, price: EffectivePrice) -> bool:
    """Whether the price in effect is the item code's own entry in this list."""
    entry = price.entry
    return entry is not None and entry.scope_key == ctx.scope_key and entry.target_key == f"offer:{offer.pk}"


def classify(
    ctx: _Context,
    outcomes: list[PriceRow],
    duplicates: Sequence[list[FieldError]],
    *,
    match: Sequence[PriceRow] | None = None,
) -> list[PriceRow]:
    """Match rows to the broker's item codes and compare each price with the one in effect."""
    today = timezone.localdate()
    codes = {o.cleaned["item_code"] for o in outcomes if o.cleaned.get("item_code")}
    offers = {
        offer.item_code: offer
        for offer in Offer.objects.filter(broker_id=ctx.broker.pk, item_code__in=codes).select_related(
            "product", "product__group", "product__category"
        )
    }
    books: dict[dt.date, PriceBook] = {}

    def book_for(day: dt.date) -> PriceBook:
        if day not in books:
            books[day] = PriceBook(ctx.broker, organization=ctx.organization, day=day).prepare(
                [o.pk for o in offers.values()]
            )
        return books[day]

    for outcome, found in zip(outcomes, duplicates, strict=True):
        outcome.organization = ctx.organization
        if outcome.errors and outcome.errors[0].code == "example_row":
            outcome.action = RowAction.ERROR
            continue
        outcome.errors.extend(found)
        _classify_row(ctx, outcome, offers, book_for, today)
        if outcome.errors:
            outcome.action = RowAction.ERROR
    return outcomes


def _classify_row(ctx: _Context, outcome: PriceRow, offers: dict[str, Offer], book_for, today: dt.date) -> None:
    number, cleaned = outcome.number, outcome.cleaned
    code = cleaned.get("item_code")
    offer = offers.get(code) if code else None
    if code and offer is None:
        outcome.errors.append(
            FieldError("item_code", f"The item code {code} is not in the catalog.", "not_found", number)
        )
    currency = cleaned.get("currency")
    if currency and currency != ctx.broker.currency:
        outcome.errors.append(
            FieldError(
                "currency",
                f"Prices are in the broker's currency, {ctx.broker.currency}, not {currency}.",
                "currency",
                number,
            )
        )
    day = cleaned.get("effective_from") or today
    if day < today:
        outcome.errors.append(
            FieldError(
                "effective_from", "A price takes effect today or later; the past is not changed.", "past", number
            )
        )
    value = None
    if cleaned.get("price") is not None:
        try:
            value = services.clean_price_value(PriceKind.AMOUNT, cleaned["price"], ctx.broker.currency)
        except ValidationFailed as exc:
            outcome.errors.extend(FieldError("sales_price", e.message, e.code or "invalid", number) for e in exc.errors)
    if outcome.errors or offer is None:
        return
    outcome.target = offer
    clear = bool(cleaned.get("clear"))
    if value is None and not clear:
        outcome.action = RowAction.UNCHANGED  # an empty cell leaves the price as it is
        return
    price = book_for(day).price(offer)
    own = _own_entry(ctx, offer, price)
    when = "" if day == today else f" from {day:%d/%m/%Y}"
    if clear:
        if not own:
            outcome.action = RowAction.UNCHANGED  # no own price to remove
            return
        outcome.action = RowAction.UPDATE
        outcome.before, outcome.after = _before(price), f"{_NO_OWN_PRICE}{when}"
    else:
        assert value is not None
        new = Money(value, ctx.broker.currency)
        if price.sales is not None and price.sales.amount == new.amount:
            outcome.action = RowAction.UNCHANGED
            return
        outcome.action = RowAction.UPDATE if own else RowAction.NEW
        outcome.before, outcome.after = _before(price), f"{_shown(new)}{when}"
        if price.cost is not None and new < price.cost:
            _below_cost(ctx, outcome, new, price.cost)
    if ctx.refusal and outcome.action in (RowAction.NEW, RowAction.UPDATE, RowAction.CONFLICT):
        outcome.errors.append(FieldError("sales_price", ctx.refusal, "permission_denied", number))


def _below_cost(ctx: _Context, outcome: PriceRow, new: Money, cost: Money) -> None:
    assert outcome.target is not None
    shown_cost = f" ({_shown(cost)})" if ctx.actor.has(Perm.COST_VIEW) else ""
    message = f"The sales price {_shown(new)} of {outcome.target.item_code} is below its cost{shown_cost}."
    if outcome.number in ctx.accepted:
        outcome.confirm_below_cost = True
        return
    if ctx.final:
        outcome.errors.append(
            FieldError("sales_price", f"{message} Accept the conflict to import it.", "below_cost", outcome.number)
        )
        return
    outcome.action = RowAction.CONFLICT
    outcome.conflict = {
        "item_code": outcome.target.item_code,
        "price": f"{new.amount:f}",
        "message": message,
    }


def describe_changes(outcome: PriceRow) -> list[dict[str, str]]:
    if not outcome.after:
        return []
    return [{"field": _LABELS["sales_price"], "before": outcome.before, "after": outcome.after}]


def find_duplicates(seen: SeenKeys, outcomes: Sequence[PriceRow]) -> list[list[FieldError]]:
    """An item code twice in one file for the same day is an error ("also on row N"); the same item
    code on two days schedules two prices."""
    found: list[list[FieldError]] = [[] for _ in outcomes]
    keys = []
    for outcome in outcomes:
        code = outcome.cleaned.get("item_code")
        day = outcome.cleaned.get("effective_from")
        keys.append(f"{code}|{day.isoformat() if day else 'today'}" if code else None)
    first: dict[str, int] = {}
    for outcome, key in zip(outcomes, keys, strict=True):
        if key and key not in first:
            first[key] = outcome.number
    if not first:
        return found
    first.update(seen.claim("item_code", first))
    for index, key in enumerate(keys):
        outcome = outcomes[index]
        if key and first[key] != outcome.number:
            day = outcome.cleaned.get("effective_from")
            on = f" from {day:%d/%m/%Y}" if day else ""
            found[index].append(
                FieldError(
                    "item_code",
                    f"Item code {outcome.cleaned['item_code']}{on} is also on row {first[key]}.",
                    "duplicate_in_file",
                    outcome.number,
                )
            )
    return found


# --- writing ---------------------------------------------------------------------------------


def write_rows(actor: Actor, outcomes: list[PriceRow]) -> dict[str, int]:
    """Write each new or changed price through ``services.set_price`` (its checks, its audit event),
    each row in a savepoint: a row the service refuses is that row's error, not the chunk's."""
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    for o in outcomes:
        if o.action == RowAction.UNCHANGED:
            counts["skipped"] += 1
            continue
        if o.action not in (RowAction.NEW, RowAction.UPDATE):
            counts["failed"] += 1
            continue
        clear = bool(o.cleaned.get("clear"))
        try:
            with transaction.atomic():
                services.set_price(
                    actor=actor,
                    target=o.target,
                    organization=o.organization,
                    kind=PriceKind.INHERIT if clear else PriceKind.AMOUNT,
                    value=None if clear else o.cleaned["price"],
                    effective_from=o.cleaned.get("effective_from"),
                    confirm_below_cost=o.confirm_below_cost,
                )
        except (DomainError, Http404) as exc:
            errors = getattr(exc, "errors", None) or [FieldError("sales_price", getattr(exc, "message", str(exc)))]
            o.errors.extend(FieldError("sales_price", e.message, e.code, o.number) for e in errors)
            o.action = RowAction.ERROR
            counts["failed"] += 1
            continue
        counts["created" if o.action == RowAction.NEW else "updated"] += 1
    return counts


class PriceListImporter(Importer):
    """Price lists (global, or one organization's), for the import flow (``cloudbroker.imports``)."""

    kind = "price_list"
    spec = PRICE_LIST_SPEC
    permission = Perm.CUSTOMER_PRICE_CHANGE  # and, for the global list, PRICE_LIST_CHANGE (``authorize``)
    view_permission = Perm.PRICE_VIEW
    noun = "prices"
    upload_url = "portal:price_list_import"
    duplicate_keys = ("item_code",)  # with the row's date: see ``find_duplicates``
    for_organization = True
    conflict_help = (
        "These prices are below the partner's cost: the item would sell at a loss. Tick each row you mean, "
        "or correct the file and upload it again."
    )

    def authorize(self, actor: Actor, *, organization: Any = None) -> Any:
        return _authorize(actor, organization)

    def clean_rows(self, rows: Iterable[RawRow]) -> list[PriceRow]:  # type: ignore[override]
        return clean_rows(rows)

    def find_duplicates(self, seen: SeenKeys, outcomes: Sequence[RowOutcome]) -> list[list[FieldError]]:
        return find_duplicates(seen, outcomes)  # type: ignore[arg-type]

    def run_context(self, actor: Actor, *, organization: Any = None, accepted: Iterable[int] = (), final=False):
        return _Context(actor, organization=organization, accepted=accepted, final=final)

    def new_context(self, actor: Actor, *, accepted: Iterable[int] = (), final: bool = False) -> _Context:
        return _Context(actor, accepted=accepted, final=final)

    def classify(self, ctx, outcomes, duplicates, *, match=None):
        return classify(ctx, outcomes, duplicates, match=match)

    def describe_changes(self, outcome: PriceRow) -> list[dict[str, str]]:  # type: ignore[override]
        return describe_changes(outcome)

    def signature(self, outcome: PriceRow) -> tuple:  # type: ignore[override]
        return outcome.action, outcome.after, outcome.confirm_below_cost

    def outcome(self, number, values, cleaned, errors) -> PriceRow:
        return PriceRow(number, RowAction.NEW, values, cleaned, errors)

    def write(self, actor: Actor, outcomes: list[PriceRow], staging) -> dict[str, int]:  # type: ignore[override]
        return write_rows(actor, outcomes)


register(PriceListImporter())
