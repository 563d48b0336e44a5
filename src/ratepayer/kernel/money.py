"""Money: Decimal amounts, one rounding rule, and exact splitting.

Every amount that reaches a bill line or the ledger is rounded here, to the
cent, half-up (DESIGN §6). Splitting an amount uses the largest-remainder
method so the parts always sum to the whole. No float ever touches money:
``to_decimal`` refuses floats outright.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


class MoneyError(ValueError):
    """An amount that is not a valid exact decimal."""


def to_decimal(value: object) -> Decimal:
    """Convert str/int/Decimal to Decimal exactly; floats are refused."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"{value!r} is not a finite amount")
        return value
    if isinstance(value, bool):
        raise MoneyError("a boolean is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise MoneyError(f"float {value!r} refused: pass amounts as strings or Decimals")
    if isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation as exc:
            raise MoneyError(f"{value!r} is not a number") from exc
        if not result.is_finite():
            raise MoneyError(f"{value!r} is not a finite amount")
        return result
    raise MoneyError(f"{type(value).__name__} is not an amount")


# The largest amount anyone types or a file carries, unless the caller sets its own
# bound: ten million dollars less a cent (a column holds 14 digits; a utility's
# biggest single payment is far below this).
MAX_AMOUNT = Decimal("9999999.99")
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")
_EXPONENT = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+")
_AMOUNT_SHAPE = re.compile(r"-?[0-9]+(\.[0-9]*)?|-?\.[0-9]+")


def _shown(amount: Decimal) -> str:
    return format_money(amount) if abs(amount) < 10**20 else str(amount)


class AmountRefused(MoneyError):
    """A typed or filed amount that ``parse_amount`` refuses: ``what`` names
    the field, ``problem`` says what is wrong in words a clerk can act on."""

    def __init__(self, what: str, problem: str):
        self.what, self.problem = what, problem
        super().__init__(f"{what}: {problem}" if what else problem)


def parse_amount(text: str, *, what: str = "Amount", allow_negative: bool = False,
                 maximum: Decimal = MAX_AMOUNT, bank_notation: bool = False) -> Decimal:
    """The one strict reading of a typed or filed amount: digits, an optional
    point and at most two decimals ("12", "12.3", "12.34", ".50"), with a
    leading "-" only where the caller allows it. Refused, with a message that
    names ``what`` and the problem: thousands separators ("1,000.00"),
    exponents ("1e2"), a third decimal, NaN/Infinity, spaces inside, currency
    signs, and anything above ``maximum``. Spaces around the amount are
    ignored. Returns the amount with two places ("12" -> 12.00).

    ``bank_notation`` is for files whose format prints amounts as a bank does
    ("$1,204.50"): a leading "$" and thousands separators in proper groups of
    three are read; anything else is the same rule. People and the API never
    get it: "1,000.00" typed is refused, so a comma is never a decimal point."""
    if not isinstance(text, str):
        raise AmountRefused(what, f"{text!r} is not typed text")
    value = text.strip()
    if not value:
        raise AmountRefused(what, "enter an amount, e.g. 125.00")
    if len(value) > 32:
        raise AmountRefused(what, f"{value[:20]!r}... is {len(value)} characters long, not an amount")
    if bank_notation:
        bare = value[1:] if value.startswith("$") else value
        if "," in bare and _GROUPED.fullmatch(bare):
            bare = bare.replace(",", "")
        value = bare
    if "," in value and bank_notation:
        raise AmountRefused(what, f"{value!r} has a comma out of place (thousands separators come in groups "
                                  "of three)")
    if "," in value:
        raise AmountRefused(what, f"{value!r} has a comma; type the amount without thousands separators, "
                                  "e.g. 1000.00")
    if _AMOUNT_SHAPE.fullmatch(value) is None:
        if _EXPONENT.fullmatch(value):
            raise AmountRefused(what, f"{value!r} is written with an exponent; type the amount in digits, "
                                      "e.g. 100.00")
        raise AmountRefused(what, f"{value!r} is not an amount; type digits with at most two decimals, "
                                  "e.g. 125.00")
    if value.startswith("-") and not allow_negative:
        raise AmountRefused(what, f"{value!r} is negative; enter the amount without a minus sign")
    _whole, _, decimals = value.lstrip("-").partition(".")
    if len(decimals) > 2:
        raise AmountRefused(what, f"{value!r} has more than two decimals (fractions of a cent)")
    amount = Decimal(value)
    if abs(amount) > maximum:
        raise AmountRefused(what, f"{_shown(amount)} is more than {format_money(maximum)}, the largest "
                                  "amount accepted here")
    amount = amount.quantize(CENT)
    return amount + 0 if amount == 0 else amount  # "-0.00" is 0.00


def check_amount(amount: Decimal, *, what: str = "Amount", allow_negative: bool = False,
                 maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """The same rule for an amount that is already a Decimal (an API body, a
    caller in code): finite, whole cents, within the bound, sign allowed."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise AmountRefused(what, f"{amount!r} is not an amount")
    if amount < 0 and not allow_negative:
        raise AmountRefused(what, f"{amount} is negative; enter the amount without a minus sign")
    if abs(amount) > maximum:
        raise AmountRefused(what, f"{_shown(amount)} is more than {format_money(maximum)}, the largest "
                                  "amount accepted here")
    if amount != amount.quantize(CENT):
        raise AmountRefused(what, f"{amount} has fractions of a cent")
    amount = amount.quantize(CENT)
    return amount + 0 if amount == 0 else amount


def round_money(value: object) -> Decimal:
    """Round to the cent, half-up (0.005 -> 0.01, -0.005 -> -0.01)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: object) -> int:
    """An amount in whole cents; the amount must already be cent-exact."""
    value = to_decimal(amount)
    cents = value * 100
    if cents != cents.to_integral_value():
        raise MoneyError(f"{value} has fractions of a cent")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def allocate(total: object, weights: Sequence[object]) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` so the parts sum exactly.

    Largest remainder: each part gets the floor of its exact share in cents,
    then the leftover cents go one each to the parts with the largest
    remainders (ties to the earliest part). Weights must be non-negative and
    not all zero; a negative total is split by its magnitude.
    """
    total_cents = to_cents(round_money(total))
    weight_values = [to_decimal(w) for w in weights]
    if not weight_values:
        raise MoneyError("cannot allocate over no parts")
    if any(w < 0 for w in weight_values):
        raise MoneyError("allocation weights must not be negative")
    weight_sum = sum(weight_values, Decimal(0))
    if weight_sum == 0:
        raise MoneyError("allocation weights are all zero")
    sign = -1 if total_cents < 0 else 1
    magnitude = abs(total_cents)
    exact = [Decimal(magnitude) * w / weight_sum for w in weight_values]
    floors = [int(share) for share in exact]  # shares are non-negative: int() floors
    leftover = magnitude - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [from_cents(sign * cents) for cents in floors]


def format_money(amount: object) -> str:
    """$1,234.56 / -$12.00 for screens and documents."""
    value = round_money(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"
