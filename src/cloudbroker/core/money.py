"""Money: an amount with its currency, Decimal only, and every rounding rule in one place.

An amount stays exact (unrounded) through arithmetic; it is rounded once, where a rule says, with
one of the named roundings below. Floats are refused everywhere: ``Money(0.1, "EUR")`` is a
``TypeError``, so a float can never slip into a price, a cost or a billing line.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

__all__ = ["CurrencyMismatch", "Money", "Rounding", "minor_units", "quantize_args", "rounded_amount"]

# ISO 4217 minor units of the currencies Microsoft prices in that do not use two decimals.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3}


def minor_units(currency: str) -> int:
    """Decimals of the currency's smallest unit (2 unless ISO 4217 says otherwise)."""
    return _MINOR_UNITS.get(currency, 2)


class Rounding(StrEnum):
    """The roundings the product uses, each named for the rule that needs it."""

    #: Prices and amounts shown or charged to customers: half a cent rounds up (commercial rounding).
    COMMERCIAL = "commercial"
    #: Microsoft's invoice and reconciliation arithmetic: truncate (ROUNDDOWN) toward zero.
    TRUNCATE = "truncate"


_QUANTA = {digits: Decimal(1).scaleb(-digits) for digits in range(7)}
_DECIMAL_MODES = {Rounding.COMMERCIAL: decimal.ROUND_HALF_UP, Rounding.TRUNCATE: decimal.ROUND_DOWN}


def quantize_args(currency: str, rounding: Rounding) -> tuple[Decimal, str]:
    """What ``Decimal.quantize`` takes to round an amount in ``currency`` by ``rounding``, as
    ``Money.rounded`` does: ``amount.quantize(*quantize_args(currency, rounding))`` rounds without
    making a ``Money`` (for prices computed by the thousand)."""
    return _QUANTA[minor_units(currency)], _DECIMAL_MODES[rounding]


def rounded_amount(amount: Decimal, currency: str, rounding: Rounding) -> Decimal:
    """An exact amount rounded to the currency's minor units, as ``Money.rounded`` does, without
    making a ``Money``."""
    return amount.quantize(*quantize_args(currency, rounding))


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def _exact(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, an int or a decimal string, never {type(value).__name__}.")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except decimal.InvalidOperation:
            raise ValueError(f"{what} {value!r} is not a number.") from None
    else:
        raise TypeError(f"{what} must be a Decimal, an int or a decimal string, not {type(value).__name__}.")
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value!r}.")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | str, currency: str) -> None:
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
            raise ValueError(f"Currency {currency!r} is not an ISO 4217 code such as EUR.")
        object.__setattr__(self, "amount", _exact(amount, "An amount"))
        object.__setattr__(self, "currency", currency)

    @classmethod
    def _of(cls, amount: Decimal, currency: str) -> Money:
        """An amount computed from Money already checked (the result of exact arithmetic)."""
        obj = _new(cls)
        _set_amount(obj, amount)
        _set_currency(obj, currency)
        return obj

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    # --- arithmetic (exact) ------------------------------------------------------------
    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"Money can only be combined with Money, not {type(other).__name__}.")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Cannot combine {self.currency} with {other.currency}.")
        return other

    def __add__(self, other: Money) -> Money:
        return Money._of(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money._of(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money._of(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int | str) -> Money:
        return Money._of(self.amount * _exact(factor, "A factor"), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Decimal | int | str) -> Money:
        value = _exact(divisor, "A divisor")
        if value == 0:
            raise ZeroDivisionError("Money divided by zero.")
        return Money._of(self.amount / value, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    # --- rounding (once, where a rule says) --------------------------------------------
    def rounded(self, rounding: Rounding, places: int | None = None) -> Money:
        """Rounded to ``places`` decimals (default: the currency's minor units) by ``rounding``."""
        digits = minor_units(self.currency) if places is None else places
        quantum = _QUANTA.get(digits) or Decimal(1).scaleb(-digits)
        return Money._of(self.amount.quantize(quantum, rounding=_DECIMAL_MODES[rounding]), self.currency)

    @property
    def is_rounded(self) -> bool:
        """Whether the amount has no more decimals than the currency's minor units."""
        return self.amount == self.amount.quantize(Decimal(1).scaleb(-minor_units(self.currency)), decimal.ROUND_DOWN)

    @staticmethod
    def total(amounts: list[Money] | tuple[Money, ...], currency: str) -> Money:
        """The exact sum of ``amounts`` (all in ``currency``); zero when there are none."""
        result = Money.zero(currency)
        for amount in amounts:
            result = result + amount
        return result

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


# ``Money._of`` sets the two slots through their descriptors: a frozen dataclass refuses
# ``setattr``, and ``object.__setattr__`` by name costs twice as much.
_new = object.__new__
_set_amount = Money.__dict__["amount"].__set__
_set_currency = Money.__dict__["currency"].__set__
