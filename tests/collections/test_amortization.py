"""Amortization of long-term contracts: a 180-month sewer connection contract exact to
the cent against a schedule computed here independently (integer cents and exact
fractions, no Decimal, no code from the module), and properties over random terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratepayer.collections import amortization
from ratepayer.collections.amortization import AmortizationError


def _half_up(numerator: int, denominator: int) -> int:
    """round(numerator / denominator) half-up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def independent_schedule(principal_cents: int, annual_rate: Fraction, months: int) -> list[tuple[int, int, int]]:
    """(payment, principal, interest) in cents: level payment rounded half-up once, each
    month's interest half-up, the last month takes what is left."""
    r = annual_rate / 1200
    exact = Fraction(principal_cents) * r / (1 - (1 + r) ** -months)
    payment = _half_up(exact.numerator, exact.denominator)
    rows, balance = [], principal_cents
    for k in range(months):
        interest_exact = balance * r
        interest = _half_up(interest_exact.numerator, interest_exact.denominator)
        part = balance if k == months - 1 else payment - interest
        rows.append((part + interest, part, interest))
        balance -= part
    return rows


def test_a_180_month_sewer_connection_contract_is_exact_to_the_cent():
    # $14,850.00 connection charge at 5.25 % a year over 15 years, first installment 2027-01-15.
    # By hand: r = 0.004375, (1.004375)^180 = 2.194123..., payment = 14850 × r × 2.194123 / 1.194123
    # = 64.96875 × 1.837434... = 119.3758 → 119.38 (rounded half-up once).
    rows = amortization.schedule(Decimal("14850.00"), Decimal("5.25"), 180, date(2027, 1, 15))
    assert len(rows) == 180
    assert rows[0].payment == Decimal("119.38")
    # month 1: interest 14,850.00 × 0.004375 = 64.96875 → 64.97; principal 119.38 − 64.97 = 54.41
    assert (rows[0].interest, rows[0].principal, rows[0].balance_after) == (
        Decimal("64.97"), Decimal("54.41"), Decimal("14795.59"))
    expected = independent_schedule(1485000, Fraction(525, 100), 180)
    got = [(int(r.payment * 100), int(r.principal * 100), int(r.interest * 100)) for r in rows]
    assert got == expected
    assert sum(r.principal for r in rows) == Decimal("14850.00")
    assert rows[-1].balance_after == 0
    assert rows[-1].due_date == date(2041, 12, 15)
    # the last installment absorbs the rounding: the level payment was rounded up by 0.0042 a month,
    # so 179 months of it (grown at the contract's rate, about 1.13) and the interest roundings
    # come off the last one — within 180 half-cents grown at the rate (< 2.00) of the level payment
    assert rows[-1].payment == Decimal("118.14")
    assert abs(rows[-1].payment - rows[0].payment) < Decimal("2.00")
    assert all(r.payment == rows[0].payment for r in rows[:-1])


def test_more_months_than_the_law_allows_is_refused_with_the_statute():
    with pytest.raises(AmortizationError, match=r"RCW 57\.08\.005\(11\)") as refused:
        amortization.check_terms(principal="10000.00", annual_rate="4", months=181, kind="sewer_connection")
    assert refused.value.field == "months"
    amortization.check_terms(principal="10000.00", annual_rate="4", months=180, kind="sewer_connection")
    with pytest.raises(AmortizationError, match=r"RCW 54\.16\.280"):
        amortization.check_terms(principal="5000.00", annual_rate="3", months=241, kind="conservation_loan")
    amortization.check_terms(principal="5000.00", annual_rate="3", months=240, kind="conservation_loan")


@pytest.mark.parametrize(("principal", "rate", "months", "field"), [
    ("0", "5", 12, "principal"), ("-1", "5", 12, "principal"), ("10.001", "5", 12, "principal"),
    ("100", "-1", 12, "annual_rate"), ("100", "26", 12, "annual_rate"), ("100", "5", 0, "months"),
])
def test_terms_that_cannot_be_a_contract_are_refused_naming_the_field(principal, rate, months, field):
    with pytest.raises(AmortizationError) as refused:
        amortization.check_terms(principal=principal, annual_rate=rate, months=months)
    assert refused.value.field == field


def test_zero_rate_splits_the_principal_and_the_last_takes_the_remainder():
    rows = amortization.schedule(Decimal("100.00"), Decimal("0"), 3, date(2027, 1, 31))
    assert [r.payment for r in rows] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert [r.due_date for r in rows] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]


def test_payoff_quote_is_the_principal_left_plus_interest_by_the_day():
    rows = amortization.schedule(Decimal("12000.00"), Decimal("6"), 12, date(2027, 2, 1))
    # after the installments of Feb 1 and Mar 1, the balance is rows[1].balance_after;
    # interest from Mar 1 to Mar 16 is 15 days × balance × 6 % / 365
    quote = amortization.payoff_quote(Decimal("12000.00"), Decimal("6"), rows, date(2027, 3, 16))
    balance = rows[1].balance_after
    assert quote.principal_outstanding == balance
    cents = Fraction(int(balance * 100)) * 6 * 15 / (100 * 365)
    assert quote.interest_accrued == Decimal(_half_up(cents.numerator, cents.denominator)) / 100
    assert quote.interest_since == date(2027, 3, 1)
    assert quote.total == quote.principal_outstanding + quote.interest_accrued
    # before the first installment: the whole principal, interest since the loan date (a month earlier)
    early = amortization.payoff_quote(Decimal("12000.00"), Decimal("6"), rows, date(2027, 1, 11))
    assert early.principal_outstanding == Decimal("12000.00")
    assert early.interest_since == date(2027, 1, 1)
    assert early.interest_accrued == Decimal("19.73")  # 12,000 × 6 % × 10 / 365 = 19.726


def test_a_prepayment_shortens_the_term_at_the_same_payment():
    rows = amortization.schedule(Decimal("6000.00"), Decimal("4"), 60, date(2027, 1, 1))
    balance = rows[11].balance_after - Decimal("2000.00")  # after a year, $2,000 prepaid
    rest = amortization.schedule(balance, Decimal("4"), 48, date(2028, 1, 1), payment=rows[0].payment,
                                 first_number=13)
    assert len(rest) < 48
    assert rest[0].number == 13 and rest[0].payment == rows[0].payment
    assert sum(r.principal for r in rest) == balance
    again = amortization.reamortize(balance, Decimal("4"), 48, date(2028, 1, 1))
    assert len(again) == 48 and again[0].payment < rows[0].payment
    assert sum(r.principal for r in again) == balance


@given(principal_cents=st.integers(min_value=1, max_value=500_000_000),
       rate_bp=st.integers(min_value=0, max_value=2500),
       months=st.integers(min_value=1, max_value=240),
       day=st.integers(min_value=1, max_value=31))
def test_principal_repaid_is_the_principal_and_no_installment_is_negative(principal_cents, rate_bp, months, day):
    principal = Decimal(principal_cents) / 100
    rate = Decimal(rate_bp) / 100
    rows = amortization.schedule(principal, rate, months, date(2027, 1, min(day, 28)))
    assert sum(r.principal for r in rows) == principal
    assert len(rows) <= months
    assert rows[-1].balance_after == 0
    for r in rows:
        assert r.payment >= 0 and r.principal >= 0 and r.interest >= 0 and r.balance_after >= 0
        assert r.payment == r.principal + r.interest
        assert r.payment.as_tuple().exponent == -2 and r.interest.as_tuple().exponent >= -2


def test_the_schedule_command_prints_json_and_refuses_a_term_beyond_the_statute():
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("contracts", "schedule", "--principal", "14850.00", "--annual-rate", "5.25", "--months", "180",
                 "--start", "2027-01-15", "--kind", "sewer_connection", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["level_payment"] == "119.38" and len(data["installments"]) == 180
    assert data["totals"]["principal"] == "14850.00"
    assert data["installments"][-1] == {"number": 180, "due_date": "2041-12-15", "payment": "118.14",
                                        "principal": "117.63", "interest": "0.51", "balance_after": "0.00"}
    with pytest.raises(CommandError, match=r"--months: 181 months .* RCW 57\.08\.005\(11\)"):
        call_command("contracts", "schedule", "--principal", "14850.00", "--annual-rate", "5.25", "--months", "181",
                     "--start", "2027-01-15", "--kind", "sewer_connection", "--format", "json", stdout=StringIO())
    with pytest.raises(CommandError, match="--annual-rate"):
        call_command("contracts", "schedule", "--principal", "100", "--annual-rate", "5,25", "--months", "12",
                     "--start", "2027-01-15", stdout=StringIO())
