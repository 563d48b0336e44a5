"""Money: Decimal amounts, one rounding rule, and exact splitting.

Every amount that reaches a bill line or the ledger is rounded here, to the
cent, half-up (DESIGN §6). Splitting an amount uses the largest-remainder
method so the parts always sum to the whole. No float ever touches money:
``to_decimal`` refuses floats outright.
"""

from __future__ import annotations

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
