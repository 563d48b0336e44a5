"""Pure arithmetic for meter reads: consumption with multiplier and dial rollover,
expected daily usage (the estimation policy) and the high/low/zero checks.

No database here: actions and queries load what these functions need in a few
set-based queries and call them per read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

QUANTITY = Decimal("0.0001")
ZERO = Decimal(0)
SAME_SEASON_MIN_COVERAGE = Decimal("0.5")  # last year's reads must cover half of the window
RECENT_HISTORY_DAYS = 120
RECENT_HISTORY_MIN_DAYS = 20


def quantity(value) -> Decimal:
    return Decimal(value).quantize(QUANTITY, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Consumption:
    quantity: Decimal  # after multiplier; negative only for a true-up or an implausible read
    rolled_over: bool


def consumption(*, previous_value: Decimal, value: Decimal, multiplier: Decimal, dial_count: int,
                previous_estimated: bool = False, last_actual_value: Decimal | None = None,
                expected: Decimal | None = None, high_factor: Decimal = Decimal(3)) -> Consumption:
    """Usage between two register reads of one meter.

    A read lower than the previous one on a ``dial_count``-dial register has rolled
    over (passed 99…9 → 0) when the implied usage ``value + 10^d − previous`` is
    plausible: within ``high_factor`` times the expected usage, or — with no
    expectation — under a tenth of the register's range. Otherwise the negative usage
    is returned as is, for the exceptions queue.

    After an estimated read a lower actual read is a true-up (the estimate was too
    high), not a rollover, as long as it is not below the last actual read.
    """
    delta = value - previous_value
    if delta >= 0:
        return Consumption(quantity(delta * multiplier), False)
    if previous_estimated and (last_actual_value is None or value >= last_actual_value):
        return Consumption(quantity(delta * multiplier), False)
    register_range = Decimal(10) ** dial_count
    rolled = value + register_range - previous_value
    usage = rolled * multiplier
    if expected is not None and expected > 0:
        plausible = usage <= expected * high_factor
    else:
        plausible = rolled < register_range / 10
    if plausible:
        return Consumption(quantity(usage), True)
    return Consumption(quantity(delta * multiplier), False)


def register_value_after(*, previous_value: Decimal, usage: Decimal, multiplier: Decimal, dial_count: int) -> Decimal:
    """The register value ``usage`` (after multiplier) past ``previous_value``,
    wrapping at 10^dial_count — what an estimated read stores."""
    value = previous_value + usage / multiplier
    register_range = Decimal(10) ** dial_count
    while value >= register_range:
        value -= register_range
    return quantity(value)


@dataclass(frozen=True)
class Span:
    """Usage between two reads: (``start``, ``end``] — ``start`` is the previous read's date."""

    start: date
    end: date
    quantity: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class Expected:
    daily: Decimal
    basis: str  # same_season | recent_history | class_average

    def over(self, days: int) -> Decimal:
        return quantity(self.daily * days)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _overlap_days(span: Span, start: date, end: date) -> int:
    lo = max(span.start, start)
    hi = min(span.end, end)
    return max(0, (hi - lo).days)


def expected_daily(history: Iterable[Span], *, start: date, end: date,
                   class_daily: Mapping[int, Decimal] | None = None) -> Expected | None:
    """Expected average daily usage for the period (``start``, ``end``].

    Policy, in order: the same season last year (the spans overlapping the same
    dates a year earlier, if they cover at least half of them); else recent history
    (spans in the 120 days before ``start``, at least 20 days of them); else the
    customer class's average for the period's month. None when nothing applies.
    """
    spans = [s for s in history if s.days > 0]
    last_start, last_end = _year_earlier(start), _year_earlier(end)
    window = (last_end - last_start).days
    if window > 0:
        covered = 0
        total = ZERO
        for s in spans:
            overlap = _overlap_days(s, last_start, last_end)
            if overlap:
                covered += overlap
                total += s.quantity * overlap / s.days
        if covered and Decimal(covered) >= window * SAME_SEASON_MIN_COVERAGE:
            return Expected(total / covered, "same_season")
    recent_from = start - timedelta(days=RECENT_HISTORY_DAYS)
    recent = [s for s in spans if s.end <= start and s.start >= recent_from]
    days = sum(s.days for s in recent)
    if days >= RECENT_HISTORY_MIN_DAYS:
        return Expected(sum((s.quantity for s in recent), ZERO) / days, "recent_history")
    if class_daily:
        month = end.month
        if month in class_daily:
            return Expected(Decimal(class_daily[month]), "class_average")
    return None


def check_usage(*, usage: Decimal, days: int, expected: Expected | None, high_factor: Decimal,
                low_factor: Decimal, active_service: bool) -> list[str]:
    """Reason codes (ReadException.Reason values) for a read's usage; empty when fine."""
    reasons: list[str] = []
    if usage < 0:
        reasons.append("negative_usage")
    elif usage == 0:
        if active_service:
            reasons.append("zero_usage")
    elif expected is not None and expected.daily > 0 and days > 0:
        daily = usage / days
        if daily > expected.daily * high_factor:
            reasons.append("high_usage")
        elif daily < expected.daily * low_factor:
            reasons.append("low_usage")
    return reasons
