from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratepayer.formats import scanline
from ratepayer.formats.errors import FormatError
from ratepayer.kernel.checkdigits import mod10_left_21

CREDITRON_PAYLOAD = "00345678901110296000000000010000000001000"
CREDITRON_LINE = "003456789011102960000000000100000000010008"


def test_creditron_mod10_vector():
    # DOMAIN.md §C.4: digit sum 62 -> check 8 (Creditron's worked example)
    assert mod10_left_21(CREDITRON_PAYLOAD) == 8
    line = scanline.CREDITRON_42.build(
        account="00345678901",
        date=date(1996, 11, 2),
        rate_code="0000",
        gross_amount=Decimal("10.00"),
        net_amount=Decimal("10.00"),
    )
    assert line == CREDITRON_LINE
    parsed = scanline.CREDITRON_42.parse(CREDITRON_LINE)
    assert parsed["gross_amount"] == Decimal("10.00")
    assert parsed["date"] == date(1996, 11, 2)


def test_default_layout():
    line = scanline.build("100234", Decimal("123.45"), date(2025, 2, 10))
    assert line == "0000100234" + "0000012345" + "20250210" + str(
        mod10_left_21("0000100234000001234520250210")
    )
    assert len(line) == scanline.DEFAULT.length == 29
    parsed = scanline.parse(line)
    assert parsed["account"] == "0000100234"
    assert parsed["amount_due"] == Decimal("123.45")
    assert parsed["due_date"] == date(2025, 2, 10)
    assert parsed.template == "1"


@pytest.mark.parametrize(
    "text, field, fragment",
    [
        ("0000100234000001234520250210", "scan line", "is 28 digits, template 1 needs 29"),
        ("00001002340000012345202502109X", "scan line", "'X' is not a digit"),
        ("", "scan line", "is empty"),
    ],
)
def test_parse_names_the_wrong_field(text, field, fragment):
    with pytest.raises(FormatError) as excinfo:
        scanline.parse(text)
    assert excinfo.value.field == field
    assert fragment in str(excinfo.value)


def test_misread_digit_fails_the_check_digit():
    line = scanline.build("100234", Decimal("123.45"), date(2025, 2, 10))
    misread = line[:12] + str((int(line[12]) + 1) % 10) + line[13:]
    with pytest.raises(FormatError) as excinfo:
        scanline.parse(misread)
    assert excinfo.value.field == "check digit"
    assert str(excinfo.value).startswith("check digit: is ")


def test_bad_date_is_named():
    payload = "0000100234" + "0000012345" + "20251332"
    line = payload + str(mod10_left_21(payload))
    with pytest.raises(FormatError) as excinfo:
        scanline.parse(line)
    assert excinfo.value.field == "due date"


def test_build_refuses_what_does_not_fit():
    with pytest.raises(ValueError, match="account"):
        scanline.build("12345678901", Decimal("1.00"), date(2025, 1, 1))
    with pytest.raises(ValueError, match="amount_due"):
        scanline.build("1", Decimal("100000000.00"), date(2025, 1, 1))
    with pytest.raises(ValueError, match="fractions of a cent"):
        scanline.build("1", Decimal("1.001"), date(2025, 1, 1))


def test_check_digit_over_account_only_with_luhn():
    template = scanline.ScanLineTemplate(
        version="acct-luhn",
        fields=(scanline.ScanField("account", 8), scanline.ScanField("amount_due", 8, "cents")),
        check_algorithm="luhn",
        check_covers=("account",),
    )
    line = template.build(account="00123456", amount_due=Decimal("5.00"))
    assert line == "00123456" + "00000500" + "6"  # DOMAIN vector: Luhn(00123456) = 6
    # the amount is not covered: changing it keeps the check digit
    assert template.parse("00123456000099966")["amount_due"] == Decimal("99.96")


@given(
    account=st.integers(min_value=0, max_value=9_999_999_999),
    cents=st.integers(min_value=0, max_value=9_999_999_999),
    due=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
)
def test_build_then_parse_round_trip(account, cents, due):
    amount = Decimal(cents) / 100
    line = scanline.build(str(account), amount, due)
    parsed = scanline.parse(line)
    assert int(parsed["account"]) == account
    assert parsed["amount_due"] == amount
    assert parsed["due_date"] == due


@given(st.integers(min_value=0, max_value=28), st.integers(min_value=1, max_value=9))
def test_any_single_digit_error_is_caught(position, delta):
    line = scanline.build("100234", Decimal("123.45"), date(2025, 2, 10))
    digit = (int(line[position]) + delta) % 10
    altered = line[:position] + str(digit) + line[position + 1 :]
    with pytest.raises(FormatError):
        scanline.parse(altered)


def test_template_definition_errors():
    with pytest.raises(ValueError, match="8 digits wide"):
        scanline.ScanField("due", 6, "yyyymmdd")
    with pytest.raises(ValueError, match="unknown check digit algorithm"):
        scanline.ScanLineTemplate("x", (scanline.ScanField("a", 2),), check_algorithm="mod11")
    with pytest.raises(ValueError, match="unknown field"):
        scanline.ScanLineTemplate("x", (scanline.ScanField("a", 2),), check_covers=("b",))
