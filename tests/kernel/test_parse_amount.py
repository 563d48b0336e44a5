"""kernel.money.parse_amount: the one strict reading of an amount (issue 10, point 9)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratepayer.kernel.money import AmountRefused, MoneyError, check_amount, parse_amount

D = Decimal


@pytest.mark.parametrize("text, amount", [
    ("12", "12.00"), ("12.3", "12.30"), ("12.34", "12.34"), ("0.01", "0.01"), (".50", "0.50"),
    ("  7.25 ", "7.25"), ("9999999.99", "9999999.99"), ("0", "0.00"),
])
def test_accepts_plain_amounts(text, amount):
    assert str(parse_amount(text)) == amount


@pytest.mark.parametrize("text, problem", [
    ("1e2", "exponent"), ("1e12", "exponent"), ("1E-2", "exponent"), ("1.5e+3", "exponent"), ("ten", "not an amount"),
    ("e5", "not an amount"),
    ("1,000.00", "comma"), ("12.345", "more than two decimals"), ("NaN", "not an amount"),
    ("Infinity", "not an amount"), ("-inf", "not an amount"), ("1 000", "not an amount"), ("$5", "not an amount"),
    ("+5", "not an amount"), ("", "enter an amount"), ("1.2.3", "not an amount"), ("-5", "negative"),
    ("99999999999.99", r"more than \$9,999,999.99"), ("10000000", "more than"), ("1" * 40, "characters long"),
    ("12\u00a0000", "not an amount"), ("١٢", "not an amount"),
])
def test_refuses_with_the_field_and_the_problem(text, problem):
    with pytest.raises(AmountRefused, match=problem) as refused:
        parse_amount(text, what="Cash tendered")
    assert str(refused.value).startswith("Cash tendered: ")
    assert isinstance(refused.value, MoneyError)


def test_negative_only_where_the_caller_allows_it_and_bounds_are_the_callers():
    assert parse_amount("-12.50", allow_negative=True) == D("-12.50")
    assert str(parse_amount("-0.00", allow_negative=True)) == "0.00"
    assert parse_amount("25000", maximum=D("99999999.99")) == D("25000.00")
    with pytest.raises(AmountRefused, match=r"more than \$100.00"):
        parse_amount("100.01", maximum=D("100.00"))


def test_check_amount_applies_the_same_rule_to_decimals():
    assert str(check_amount(D("5"))) == "5.00"
    for bad, problem in ((D("1E+12"), "more than"), (D("0.001"), "fractions of a cent"), (D("NaN"), "not an amount"),
                         (D("-1"), "negative"), (D("1E+40"), "more than")):
        with pytest.raises(AmountRefused, match=problem):
            check_amount(bad)


@given(st.integers(min_value=0, max_value=999_999_999))
def test_every_cent_amount_reads_back_exactly(cents):
    text = f"{cents // 100}.{cents % 100:02d}"
    assert parse_amount(text) == D(cents) / 100


@pytest.mark.parametrize("text, problem", [
    ("1e2", "exponent"), ("1e12", "exponent"), ("1,0000.00", "comma out of place"), ("12.345", "two decimals"),
    ("1000000000000.00", "more than"), ("NaN", "not an amount"),
])
def test_files_share_the_rule_in_bank_notation(text, problem):
    from ratepayer.formats.text import amount_refusal
    from ratepayer.formats.text import parse_amount as file_amount

    assert file_amount(text) is None
    assert problem in amount_refusal(text) and amount_refusal(text).startswith(repr(text))
    # a bank prints "$1,204.50"; a person typing "1,000.00" is refused (a comma is never a decimal point)
    assert file_amount("$1,204.50") == D("1204.50")
    with pytest.raises(AmountRefused, match="comma"):
        parse_amount("1,000.00")
