"""Properties of ``kernel.money.allocate``: largest-remainder splitting of an amount.

Each property is checked against a figure computed here from the inputs (the exact
share as a Fraction), never against the function's own output alone."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ratepayer.kernel.money import MoneyError, allocate, round_money

CENT = Fraction(1, 100)

# totals in dollars and cents, either sign (refunds and credits split too)
totals = st.integers(-10**12, 10**12).map(lambda cents: Decimal(cents) / 100)
# weights as the callers pass them: days, kWh with four places, balances in cents
weights = st.lists(st.one_of(st.integers(0, 10**6).map(Decimal),
                             st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False,
                                         allow_infinity=False)),
                   min_size=1, max_size=8).filter(lambda ws: any(w > 0 for w in ws))


def exact_shares(total: Decimal, ws: list[Decimal]) -> list[Fraction]:
    whole = Fraction(round_money(total))
    weight_sum = sum(Fraction(w) for w in ws)
    return [whole * Fraction(w) / weight_sum for w in ws]


@given(total=totals, ws=weights)
@example(total=Decimal("0.01"), ws=[Decimal(1)] * 3)
@example(total=Decimal("100.00"), ws=[Decimal(1)] * 3)
@example(total=Decimal("-100.00"), ws=[Decimal(1)] * 3)
def test_the_parts_sum_exactly_to_the_total(total, ws):
    parts = allocate(total, ws)
    assert len(parts) == len(ws)
    assert sum(parts, Decimal(0)) == round_money(total)
    assert all(part == part.quantize(Decimal("0.01")) for part in parts)


@given(total=totals, ws=weights)
def test_each_part_is_within_one_cent_of_its_exact_share(total, ws):
    for part, share in zip(allocate(total, ws), exact_shares(total, ws), strict=True):
        assert abs(Fraction(part) - share) < CENT, (part, share)


@given(total=totals, ws=weights)
def test_each_part_is_its_exact_share_rounded_toward_zero_or_one_cent_further(total, ws):
    """Largest remainder: a part is the share truncated to the cent, plus at most one
    cent, and only the parts with the largest remainders get the extra cent."""
    parts = allocate(total, ws)
    shares = exact_shares(total, ws)
    sign = -1 if total < 0 else 1
    floors = [int(abs(s) / CENT) for s in shares]
    remainders = [abs(s) / CENT - f for s, f in zip(shares, floors, strict=True)]
    extra = [abs(Fraction(p)) / CENT - f for p, f in zip(parts, floors, strict=True)]
    assert set(extra) <= {0, 1}
    assert all((Fraction(p) >= 0) if sign > 0 else (Fraction(p) <= 0) for p in parts)
    given_extra = [r for r, e in zip(remainders, extra, strict=True) if e == 1]
    not_given = [r for r, e in zip(remainders, extra, strict=True) if e == 0]
    if given_extra and not_given:
        assert min(given_extra) >= max(not_given)


@given(total=totals, ws=weights)
def test_a_negative_total_splits_as_the_mirror_of_the_positive(total, ws):
    assert allocate(-total, ws) == [-part for part in allocate(total, ws)]


@given(total=totals, ws=weights)
def test_the_split_is_deterministic_and_larger_weights_never_get_less(total, ws):
    parts = allocate(total, ws)
    assert allocate(total, list(ws)) == parts
    magnitudes = [abs(p) for p in parts]
    for i in range(len(ws)):
        for j in range(len(ws)):
            if ws[i] > ws[j]:
                assert magnitudes[i] >= magnitudes[j]


@given(cents=st.integers(-10**9, 10**9), n=st.integers(1, 12))
def test_ties_give_the_leftover_cents_to_the_earliest_parts(cents, n):
    parts = allocate(Decimal(cents) / 100, [1] * n)
    magnitudes = [abs(p) for p in parts]
    low = Decimal(abs(cents) // n) / 100
    leftover = abs(cents) % n
    assert magnitudes == [low + Decimal("0.01")] * leftover + [low] * (n - leftover)


@given(total=totals, ws=weights, scale=st.integers(1, 1000))
def test_scaling_every_weight_changes_nothing(total, ws, scale):
    assert allocate(total, [w * scale for w in ws]) == allocate(total, ws)


@given(total=totals, ws=weights, zeros=st.lists(st.integers(0, 8), min_size=1, max_size=3))
def test_a_zero_weight_gets_nothing(total, ws, zeros):
    for position in zeros:
        ws.insert(min(position, len(ws)), Decimal(0))
    for part, w in zip(allocate(total, ws), ws, strict=True):
        if w == 0:
            assert part == 0


def test_a_total_with_fractions_of_a_cent_is_rounded_half_up_first():
    assert allocate("10.005", [1, 1]) == [Decimal("5.01"), Decimal("5.00")]
    assert allocate("-10.005", [1, 1]) == [Decimal("-5.01"), Decimal("-5.00")]


@pytest.mark.parametrize("ws, message", [
    ([], "no parts"), ([1, -1], "must not be negative"), ([0, 0], "all zero"), ([1.5], "float"),
])
def test_weights_that_cannot_split_are_refused_by_name(ws, message):
    with pytest.raises(MoneyError, match=message):
        allocate("10.00", ws)
