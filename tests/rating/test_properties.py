"""Hypothesis properties of the rating engine."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ratepayer import rating
from ratepayer.kernel.periods import Period
from ratepayer.rating.exact import allocate_largest_remainder as _allocate_int
from ratepayer.rating.lines import split_blocks as _split_blocks

SETTINGS = settings(max_examples=60, deadline=None)

quantities = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("50"), places=6)


@st.composite
def inclining_blocks(draw):
    n = draw(st.integers(1, 5))
    limits = sorted(draw(st.sets(st.integers(1, 50_000), min_size=n - 1, max_size=n - 1)))
    block_rates = sorted(draw(st.lists(rates, min_size=n, max_size=n)))
    blocks = [{"upto": str(limit), "rate": str(r)} for limit, r in zip(limits, block_rates, strict=False)]
    blocks.append({"rate": str(block_rates[-1])})
    return blocks


def tariff_with(blocks, *, per="period", fixed="12.50", minimum=None, versions=1):
    components = [
        {"type": "fixed", "name": "fixed", "amount": fixed, "per": "day"},
        {"type": "fixed", "name": "monthly", "amount": "19.00", "per": "month"},
        {"type": "fixed", "name": "per_bill", "amount": "7.00", "per": "bill"},
        {"type": "energy", "name": "energy", "blocks": blocks, "block_limit_per": per},
    ]
    if minimum:
        components.append({"type": "minimum", "name": "minimum", "amount": minimum, "per": "bill"})
    docs = [{"effective": (date(2020, 1, 1) + timedelta(days=40 * i)).isoformat(), "components": components}
            for i in range(versions)]
    return rating.parse_tariff({"id": "prop", "name": "Property tariff", "versions": docs})


@SETTINGS
@given(q=st.integers(0, 10**9), limits=st.lists(st.integers(0, 10**8), min_size=0, max_size=5))
def test_blocks_never_charge_a_unit_twice(q, limits):
    limits = sorted(limits)
    pieces = _split_blocks(np.array([q], dtype=np.int64), [np.array([x]) for x in limits])
    values = [int(p[0]) for p in pieces]
    assert sum(values) == q  # every unit once, no unit twice
    lower = 0
    for i, v in enumerate(values):  # usage is never negative (refused by RegisterUsage / IntervalUsage)
        assert v >= 0
        if i < len(limits):
            assert v <= max(limits[i] - lower, 0)
            lower = max(lower, limits[i])


@SETTINGS
@given(total=st.integers(0, 10**12), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_allocation_parts_sum_to_the_whole(total, weights):
    parts = _allocate_int(np.array([total], dtype=np.int64), [np.array([w], dtype=np.int64) for w in weights])
    assert sum(int(p[0]) for p in parts) == total
    if sum(weights):
        for p, w in zip(parts, weights, strict=True):
            exact = Decimal(total) * w / sum(weights)
            assert abs(Decimal(int(p[0])) - exact) < 1


@SETTINGS
@given(
    usage=quantities,
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 12, 31)),
    days=st.integers(1, 90),
    blocks=inclining_blocks(),
)
def test_prorated_parts_sum_to_the_whole(usage, start, days, blocks):
    # three versions 40 days apart with the same rates: the parts' usage and days add up to the period's
    tariff = tariff_with(blocks, per="day", versions=3)
    period = Period(max(start, date(2020, 1, 1)), max(start, date(2020, 1, 1)) + timedelta(days=days - 1))
    bill = rating.rate(tariff, rating.RegisterUsage(usage), period)
    def total(component):
        return sum((line.quantity for line in bill.lines if line.component == component), Decimal(0))

    assert total("energy") == usage
    assert total("fixed") == period.days
    assert total("per_bill") == 1
    whole = rating.rate(tariff_with(blocks, per="day"), rating.RegisterUsage(usage), period)
    assert total("monthly") == sum(line.quantity for line in whole.lines if line.component == "monthly")


@SETTINGS
@given(a=quantities, b=quantities, blocks=inclining_blocks(), minimum=st.sampled_from([None, "5.00", "250.00"]))
def test_more_usage_never_lowers_a_bill_on_inclining_blocks(a, b, blocks, minimum):
    tariff = tariff_with(blocks, minimum=minimum)
    period = Period(date(2021, 3, 1), date(2021, 3, 31))
    low, high = sorted([a, b])
    bill_low = rating.rate(tariff, rating.RegisterUsage(low), period)
    bill_high = rating.rate(tariff, rating.RegisterUsage(high), period)
    assert bill_low.total <= bill_high.total


@SETTINGS
@given(usage=quantities, blocks=inclining_blocks(), fixed=st.decimals(min_value=0, max_value=5, places=6),
       days=st.integers(1, 62))
def test_amounts_are_exact_cents_and_lines_are_quantity_times_rate(usage, blocks, fixed, days):
    tariff = tariff_with(blocks, fixed=str(fixed), per="day")
    period = Period(date(2022, 5, 1), date(2022, 5, 1) + timedelta(days=days - 1))
    bill = rating.rate(tariff, rating.RegisterUsage(usage), period)
    for line in bill.lines:
        assert isinstance(line.amount, Decimal)
        assert line.amount.as_tuple().exponent == -2
        assert line.amount == (line.quantity * line.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert -line.rate.as_tuple().exponent <= 6
        assert line.quantity == line.quantity.quantize(Decimal("0.0001"))
    assert bill.total == sum((line.amount for line in bill.lines), Decimal("0.00"))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), meters=st.integers(1, 5))
def test_interval_and_register_paths_agree_on_non_tou_tariffs(seed, meters):
    # the same usage as an interval array and as a register total gives the same bill
    rng = np.random.default_rng(seed)
    values = np.round(rng.gamma(2, 0.4, (meters, 31 * 24)), 4)
    tariff = rating.load_tariff("clark_public_utilities_residential_2024.yaml")
    epoch = np.datetime64("2024-05-01T07:00:00", "s").astype(np.int64) + 3600 * np.arange(31 * 24)
    usage = rating.IntervalUsage(epoch=epoch, values=values, interval_minutes=60, tz="America/Los_Angeles")
    period = Period(date(2024, 5, 1), date(2024, 5, 31))
    batch = rating.rate_intervals(tariff, usage, [period], chunk_meters=2)[0]
    for i in range(meters):
        total_kwh = sum((Decimal(str(v)) for v in values[i]), Decimal(0))
        register = rating.rate(tariff, rating.RegisterUsage(total_kwh), period)
        assert batch.bill(i).total == register.total
