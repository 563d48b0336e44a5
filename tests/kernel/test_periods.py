"""Properties of ``kernel.periods``: split periods, proration and day counts.

A bill period includes both its first and last day. Splitting it (at a rate change,
a meter exchange, a month end) must lose or double no day, and charges prorated
over the pieces must add up to the charge for the whole within the rounding rule:
each piece rounded half-up to the cent, or split exactly with ``allocate``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratepayer.kernel.money import allocate, round_money
from ratepayer.kernel.periods import BusinessCalendar, Period, month_periods, prorate_factor

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
amounts = st.integers(0, 10**8).map(lambda cents: Decimal(cents) / 100)


@st.composite
def periods(draw, max_days: int = 800):
    start = draw(days)
    return Period(start, start + timedelta(days=draw(st.integers(0, max_days))))


@st.composite
def split_periods(draw):
    whole = draw(periods())
    offsets = draw(st.lists(st.integers(-5, whole.days + 5), max_size=8))
    boundaries = [whole.start + timedelta(days=o) for o in offsets]
    return whole, boundaries, whole.split_at(boundaries)


@given(split=split_periods())
def test_split_parts_are_contiguous_and_their_days_add_up_to_the_whole(split):
    whole, boundaries, parts = split
    assert parts[0].start == whole.start and parts[-1].end == whole.end
    for before, after in zip(parts, parts[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)
    assert sum(p.days for p in parts) == whole.days == (whole.end - whole.start).days + 1
    inside = {b for b in boundaries if whole.start < b <= whole.end}
    assert [p.start for p in parts[1:]] == sorted(inside)  # one part per boundary inside, none for those outside


@given(split=split_periods())
def test_prorate_factors_of_the_parts_add_up_to_one_within_decimal_precision(split):
    whole, _, parts = split
    factors = [prorate_factor(p, whole) for p in parts]
    for part, factor in zip(parts, factors, strict=True):
        assert abs(Fraction(factor) - Fraction(part.days, whole.days)) <= Fraction(1, 10**27)
    assert abs(sum(Fraction(f) for f in factors) - 1) <= Fraction(len(parts), 10**27)


@given(split=split_periods(), charge=amounts)
def test_a_charge_prorated_piece_by_piece_adds_up_to_the_whole_within_half_a_cent_a_piece(split, charge):
    """Each piece rounded half-up is off by at most half a cent, so n pieces can differ
    from the whole charge by at most n half-cents (then rounded to whole cents)."""
    whole, _, parts = split
    pieces = [round_money(charge * prorate_factor(p, whole)) for p in parts]
    assert all(piece >= 0 for piece in pieces)
    assert abs(sum(pieces) - round_money(charge)) <= Decimal(len(parts) // 2) / 100
    if len(parts) == 1:
        assert pieces == [round_money(charge)]


@given(split=split_periods(), charge=amounts)
def test_a_charge_allocated_by_days_adds_up_exactly_and_each_piece_is_within_a_cent(split, charge):
    whole, _, parts = split
    pieces = allocate(charge, [p.days for p in parts])
    assert sum(pieces) == charge
    for piece, part in zip(pieces, parts, strict=True):
        assert abs(Fraction(piece) - Fraction(charge) * Fraction(part.days, whole.days)) < Fraction(1, 100)


@given(period=periods(max_days=2000))
def test_month_periods_cover_each_day_once_and_stay_inside_their_month(period):
    months = month_periods(period.start, period.end)
    assert months[0].start == period.start and months[-1].end == period.end
    assert sum(m.days for m in months) == period.days
    for before, after in zip(months, months[1:], strict=False):
        assert after.start == before.end + timedelta(days=1) and after.start.day == 1
    for m in months:
        assert (m.start.year, m.start.month) == (m.end.year, m.end.month)
        assert m.end == period.end or (m.end + timedelta(days=1)).day == 1


@given(a=periods(), b=periods())
def test_an_overlap_is_symmetric_and_inside_both(a, b):
    overlap = a.overlap(b)
    assert overlap == b.overlap(a)
    shared = {a.start + timedelta(days=i) for i in range(a.days)} & {b.start + timedelta(days=i) for i in range(b.days)}
    if overlap is None:
        assert not shared
    else:
        assert overlap.days == len(shared) and a.contains(overlap.start) and b.contains(overlap.end)


CALENDAR = BusinessCalendar(extra_closures=[date(2025, 12, 26)])


@given(start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
       gaps=st.lists(st.integers(0, 60), min_size=2, max_size=2))
def test_business_day_counts_add_up_over_consecutive_ranges(start, gaps):
    middle = start + timedelta(days=gaps[0])
    end = middle + timedelta(days=gaps[1])
    assert (CALENDAR.business_days_between(start, middle) + CALENDAR.business_days_between(middle, end)
            == CALENDAR.business_days_between(start, end))
    counted = sum(1 for i in range(1, (end - start).days + 1) if CALENDAR.is_business_day(start + timedelta(days=i)))
    assert CALENDAR.business_days_between(start, end) == counted


@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)), count=st.integers(0, 40))
def test_adding_business_days_lands_on_a_business_day_that_many_business_days_on(day, count):
    landed = CALENDAR.add_business_days(day, count)
    assert CALENDAR.is_business_day(landed)
    first = CALENDAR.next_business_day_on_or_after(day)
    assert CALENDAR.business_days_between(first, landed) == count


def test_known_calendar_facts():
    assert Period(date(2025, 1, 1), date(2025, 1, 31)).days == 31
    assert Period(date(2024, 2, 1), date(2024, 2, 29)).days == 29
    assert not CALENDAR.is_business_day(date(2025, 7, 4))  # Independence Day
    assert not CALENDAR.is_business_day(date(2025, 12, 26))  # the utility's own closure
    assert CALENDAR.add_business_days(date(2025, 7, 3), 1) == date(2025, 7, 7)
    with pytest.raises(ValueError, match="before its start"):
        Period(date(2025, 1, 2), date(2025, 1, 1))
