"""``{{ amount|money }}`` and ``{{ share|percent }}``: amounts and percentages as pages write them.

An amount is shown rounded commercially to its currency's minor units (the rule for what people
see, docs/adr/0005-money.md), with a thousands separator and the currency code after it:
``1,234.50 EUR``. Nothing (None) is a dash. The same functions serve tables built in Python.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

from cloudbroker.core.money import Money, Rounding, minor_units

__all__ = ["format_amount", "format_money", "format_percent"]

register = template.Library()

DASH = "—"


def format_amount(money: Money) -> str:
    """The amount alone, rounded for people to read (``1,234.50``)."""
    rounded = money.rounded(Rounding.COMMERCIAL)
    return f"{rounded.amount:,.{minor_units(money.currency)}f}"


def format_money(money: Money | None) -> str:
    if money is None:
        return DASH
    return f"{format_amount(money)} {money.currency}"


def format_percent(value: Decimal | None, places: int = 1) -> str:
    if value is None:
        return DASH
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f} %"


@register.filter
def money(value: Money | None) -> str:
    return format_money(value if isinstance(value, Money) else None)


@register.filter
def percent(value: Decimal | None, places: int = 1) -> str:
    return format_percent(value if isinstance(value, Decimal) else None, int(places))
