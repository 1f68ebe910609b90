"""core.money: exact amounts with a currency, floats refused, rounding once by a named rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudbroker.core.money import CurrencyMismatch, Money, Rounding, minor_units

EUR = "EUR"


@pytest.mark.parametrize("bad", [0.1, 10.0, True])
def test_floats_and_booleans_are_refused(bad):
    with pytest.raises(TypeError):
        Money(bad, EUR)
    with pytest.raises(TypeError):
        Money("1", EUR) * bad


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", ""])
def test_non_numbers_are_refused(bad):
    with pytest.raises(ValueError):
        Money(bad, EUR)


@pytest.mark.parametrize("currency", ["eur", "EURO", "E1R", "", None])
def test_currency_must_be_an_iso_code(currency):
    with pytest.raises(ValueError):
        Money("1", currency)


def test_amounts_in_different_currencies_do_not_mix():
    with pytest.raises(CurrencyMismatch):
        Money("1", EUR) + Money("1", "SEK")
    with pytest.raises(CurrencyMismatch):
        assert Money("1", EUR) < Money("2", "SEK")
    with pytest.raises(TypeError):
        Money("1", EUR) + Decimal("1")


def test_arithmetic_stays_exact_until_rounded():
    unit = Money("10.08", EUR) / 31 * 29
    assert not unit.is_rounded
    assert unit.amount.as_tuple().exponent < -2
    assert unit.rounded(Rounding.TRUNCATE) == Money("9.42", EUR)
    assert unit.rounded(Rounding.COMMERCIAL) == Money("9.43", EUR)


def test_commercial_rounds_half_up_and_truncate_toward_zero():
    assert Money("2.345", EUR).rounded(Rounding.COMMERCIAL) == Money("2.35", EUR)
    assert Money("-2.345", EUR).rounded(Rounding.COMMERCIAL) == Money("-2.35", EUR)
    assert Money("2.349", EUR).rounded(Rounding.TRUNCATE) == Money("2.34", EUR)
    assert Money("-112.896", EUR).rounded(Rounding.TRUNCATE) == Money("-112.89", EUR)


def test_minor_units_follow_iso_4217():
    assert (minor_units("EUR"), minor_units("JPY"), minor_units("KWD")) == (2, 0, 3)
    assert Money("1234.5", "JPY").rounded(Rounding.COMMERCIAL) == Money("1235", "JPY")
    assert Money("1.2345", "EUR").rounded(Rounding.TRUNCATE, places=3) == Money("1.234", EUR)


def test_total_and_order():
    amounts = [Money("0.10", EUR), Money("0.20", EUR), -Money("0.05", EUR)]
    assert Money.total(amounts, EUR) == Money("0.25", EUR)
    assert Money.total([], "SEK") == Money.zero("SEK")
    assert sorted(amounts, key=lambda m: m.amount)[0] == Money("-0.05", EUR)
    assert Money("1", EUR) <= Money("1.00", EUR) < Money("1.01", EUR)
    assert str(Money("3.50", EUR)) == "3.50 EUR"


# Microsoft's documented proration examples (reference/partner-center.md §7.5): EUR 10.08 a seat
# a month. The seat-change lines keep the effective unit price exact and truncate the line total;
# the cancellation and upgrade lines truncate the effective unit price first. Both rules are
# expressible with these primitives (which rule applies to which charge type belongs to billing).
@pytest.mark.parametrize(
    ("unit", "cycle_days", "billing_days", "quantity", "expected"),
    [
        ("10.08", 30, 28, -10, "-94.08"),
        ("10.08", 30, 28, 12, "112.89"),
        ("10.08", 30, 28, 8, "75.26"),
    ],
)
def test_seat_change_examples_truncate_the_total(unit, cycle_days, billing_days, quantity, expected):
    effective = Money(unit, EUR) / cycle_days * billing_days
    assert (effective * quantity).rounded(Rounding.TRUNCATE) == Money(expected, EUR)


@pytest.mark.parametrize(
    ("unit", "cycle_days", "billing_days", "quantity", "expected"),
    [
        ("10.08", 31, 29, -10, "-94.20"),
        ("10.08", 30, 23, -300, "-2316.00"),
        ("6.43", 30, 23, 300, "1476.00"),
    ],
)
def test_cancellation_and_upgrade_examples_truncate_the_unit_price(unit, cycle_days, billing_days, quantity, expected):
    effective = (Money(unit, EUR) / cycle_days * billing_days).rounded(Rounding.TRUNCATE)
    assert effective * quantity == Money(expected, EUR)


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
)
def test_addition_is_exact(a, b):
    assert (Money(a, EUR) + Money(b, EUR)).amount == a + b
    assert (Money(a, EUR) - Money(b, EUR) + Money(b, EUR)).amount == a
