"""Exact fixed-point arithmetic for rating, in integers rather than Decimal.

Quantities (kWh, kW, CCF, days, months) are int64 in units of 1e-4; unit
rates are int64 in units of 1e-8 dollars (a tariff may quote eight places,
e.g. Lake Stevens sewer's $0.11466666 per cubic foot); a line amount is
``round_half_up(quantity x rate / 1e10)`` cents, which is exactly
``kernel.money.round_money(quantity * rate)``. Products that could overflow
int64 switch to Python integers, so nothing is ever lost to overflow.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import numpy as np

QUANTITY_SCALE = 10_000
"""A quantity of 1 is stored as 10,000 (4 decimal places)."""
RATE_SCALE = 100_000_000
"""A rate of $1 is stored as 100,000,000 (8 decimal places)."""
RATE_PLACES = 8
DERIVED_RATE_PLACES = 6
"""Rates the engine derives (a percent, a gross-up, a daily share of a monthly
charge) are rounded to 6 places, as printed on the bill."""
CENTS_DIVISOR = QUANTITY_SCALE * RATE_SCALE // 100
"""quantity x rate (both scaled) divided by this is cents."""
_INT64_SAFE = 2**62


def div_round(num: np.ndarray, den: int) -> np.ndarray:
    """num / den rounded half away from zero (half-up on magnitudes), elementwise."""
    if num.dtype == object:
        return np.array([div_round_int(int(x), den) for x in num], dtype=object)
    sign = np.where(num < 0, -1, 1)
    magnitude = np.abs(num)
    if den % 2 == 0:
        return sign * ((magnitude + den // 2) // den)
    return sign * ((2 * magnitude + den) // (2 * den))


def div_round_int(num: int, den: int) -> int:
    sign = -1 if num < 0 else 1
    return sign * ((2 * abs(num) + den) // (2 * den))


def multiply(a: Any, b: Any) -> np.ndarray:
    """Exact product of two int arrays, switching to Python ints near overflow."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype != object and b.dtype != object:
        largest_a = int(np.max(np.abs(a))) if a.size else 0
        largest_b = int(np.max(np.abs(b))) if b.size else 0
        if largest_a * largest_b < _INT64_SAFE:
            return a.astype(np.int64) * b.astype(np.int64)
    return np.asarray(a, dtype=object) * np.asarray(b, dtype=object)


def amount_cents(quantity: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """The line amount in cents: quantity x rate rounded half-up, once."""
    return div_round(multiply(quantity, rate), CENTS_DIVISOR)


def scaled(value: Decimal | Fraction | int, scale: int) -> int:
    """round_half_up(value x scale) as an int."""
    if isinstance(value, Fraction):
        return div_round_int(value.numerator * scale, value.denominator)
    product = Decimal(value) * scale
    return int(product.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def derived_rate(value: Decimal) -> Decimal:
    """A rate the engine computes, at the places a bill prints for it."""
    return value.quantize(Decimal(1).scaleb(-DERIVED_RATE_PLACES), rounding=ROUND_HALF_UP)


def filled(meters: int, value: int) -> np.ndarray:
    """One value for every meter (Python ints when too big for int64)."""
    if abs(value) < _INT64_SAFE:
        return np.full(meters, value, dtype=np.int64)
    return np.full(meters, value, dtype=object)


def allocate_largest_remainder(total: np.ndarray, weights: list[np.ndarray]) -> list[np.ndarray]:
    """Split ``total`` (M,) among weights (each (M,)) by largest remainder so
    the parts sum exactly to the total. Zero total weight -> the whole to the
    first part."""
    count = len(weights)
    if count == 1:
        return [total.copy()]
    stacked = np.stack(weights, axis=0)  # (count, M)
    weight_sum = stacked.sum(axis=0)
    divisor = np.where(weight_sum == 0, 1, weight_sum)
    products = multiply(stacked, np.broadcast_to(total, stacked.shape))
    floors = products // divisor
    remainders = products - floors * divisor
    if products.dtype == object:
        floors = floors.astype(object)
    leftover = total - floors.sum(axis=0)
    # rank parts by remainder (largest first), ties to the earliest part
    order = np.argsort(-np.asarray(remainders, dtype=np.float64), axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(count)[:, None].repeat(stacked.shape[1], axis=1), axis=0)
    floors = floors + (ranks < np.asarray(leftover, dtype=np.int64)[None, :]).astype(np.int64)
    no_weight = weight_sum == 0
    if np.any(no_weight):
        floors[:, no_weight] = 0
        floors[0, no_weight] = total[no_weight]
    return [floors[i] for i in range(count)]


def allocate_exact(total: int, shares: list[Fraction]) -> list[int]:
    """Scaled integer shares of ``total`` proportional to exact fractions by
    largest remainder (the shares add up to ``total``)."""
    floors = [int(share.numerator // share.denominator) for share in shares]
    leftover = total - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[: max(leftover, 0)]:
        floors[i] += 1
    return floors
