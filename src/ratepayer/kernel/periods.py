"""Bill periods, day counts, proration and business days.

A bill period is inclusive of both its start and end dates: a period from
2025-01-01 to 2025-01-31 has 31 days. Business days exclude weekends and the
utility's holidays (US federal + Washington State by default via `holidays`,
plus any dates the utility adds).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays as holidays_lib


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlap(self, other: Period) -> Period | None:
        start = max(self.start, other.start)
        end = min(self.end, other.end)
        return Period(start, end) if start <= end else None

    def split_at(self, boundaries: Iterable[date]) -> list[Period]:
        """Split into parts that each start at one of ``boundaries`` (a
        boundary is the first day of a new part) or at the period start."""
        cuts = sorted({b for b in boundaries if self.start < b <= self.end})
        parts: list[Period] = []
        start = self.start
        for cut in cuts:
            parts.append(Period(start, cut - timedelta(days=1)))
            start = cut
        parts.append(Period(start, self.end))
        return parts

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def prorate_factor(part: Period, whole: Period) -> Decimal:
    """Fraction of ``whole`` covered by ``part`` by days (exact Decimal)."""
    return Decimal(part.days) / Decimal(whole.days)


def month_periods(start: date, end: date) -> list[Period]:
    """Calendar-month periods covering start..end inclusive."""
    periods: list[Period] = []
    cursor = start
    while cursor <= end:
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        periods.append(Period(cursor, min(end, next_month - timedelta(days=1))))
        cursor = next_month
    return periods


@lru_cache(maxsize=64)
def _default_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays_lib.country_holidays("US", subdiv="WA", years=year).keys())


class BusinessCalendar:
    """Weekdays that are not holidays; extra utility closures can be added."""

    def __init__(self, extra_closures: Iterable[date] = (), *, use_public_holidays: bool = True):
        self.extra_closures = frozenset(extra_closures)
        self.use_public_holidays = use_public_holidays

    def is_business_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.extra_closures:
            return False
        return not (self.use_public_holidays and day in _default_holidays(day.year))

    def add_business_days(self, day: date, count: int) -> date:
        """The business day ``count`` business days after ``day`` (count >= 0;
        0 rolls forward to the first business day on or after ``day``)."""
        if count < 0:
            raise ValueError("count must not be negative")
        cursor = day
        while not self.is_business_day(cursor):
            cursor += timedelta(days=1)
        for _ in range(count):
            cursor += timedelta(days=1)
            while not self.is_business_day(cursor):
                cursor += timedelta(days=1)
        return cursor

    def next_business_day_on_or_after(self, day: date) -> date:
        return self.add_business_days(day, 0)

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]."""
        count = 0
        cursor = start
        while cursor < end:
            cursor += timedelta(days=1)
            if self.is_business_day(cursor):
                count += 1
        return count
