"""Where a bill period is split, and how a charge is prorated across the split.

A bill period is cut into **parts** where the tariff version, the season or
(if some component applies by month) the month changes (``plan_parts``).
A charge is then billed over **spans**: runs of consecutive parts in which
that charge is the same (``charge_spans``). A charge that does not change at
a boundary is not split there, so it is rounded once: Seattle City Light's
base charge of $0.2728/day over Sep 15 - Oct 15 is one line of 31 days
($8.46), not a summer and a winter line ($4.36 + $4.09 = $8.45).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any

from ratepayer.kernel.periods import Period

from .model import Tariff, TariffVersion
from .usage import RatingError


@dataclass
class Part:
    """A piece of a bill period with one tariff version, one set of seasons."""

    index: int
    period: Period
    version: TariffVersion
    seasons: frozenset[str]
    months: frozenset[int]


@dataclass
class Span:
    """Consecutive parts over which one charge is unchanged."""

    parts: tuple[Part, ...]

    @property
    def first(self) -> Part:
        return self.parts[0]

    @property
    def last(self) -> Part:
        return self.parts[-1]

    @property
    def indices(self) -> tuple[int, ...]:
        return tuple(p.index for p in self.parts)

    @property
    def period(self) -> Period:
        return Period(self.first.period.start, self.last.period.end)

    @property
    def days(self) -> int:
        return sum(p.period.days for p in self.parts)


def month_fraction(period: Period) -> Fraction:
    """Months covered: each calendar month counts the fraction of its days."""
    total = Fraction(0)
    cursor = period.start
    while cursor <= period.end:
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        month_days = (next_month - cursor.replace(day=1)).days
        end = min(period.end, next_month - timedelta(days=1))
        total += Fraction((end - cursor).days + 1, month_days)
        cursor = next_month
    return total


def _uses_months(tariff: Tariff) -> bool:
    """Split periods at month starts only if some component applies by month
    (season changes split periods anyway; per-month charges use the calendar
    fraction of a multi-month part)."""
    return any(comp.months is not None for version in tariff.versions for comp in version.components)


def plan_parts(tariff: Tariff, period: Period) -> list[Part]:
    """Split a bill period where the version, season or (if it matters) month changes."""
    by_month = _uses_months(tariff)
    parts: list[Part] = []
    key_prev: tuple[Any, ...] | None = None
    start = period.start
    day = period.start
    version_prev: TariffVersion | None = None
    seasons_prev: frozenset[str] = frozenset()
    months_prev: set[int] = set()
    while day <= period.end:
        version = tariff.version_on(day)
        if version is None:
            raise RatingError(
                f"tariff {tariff.id} has no version in effect on {day.isoformat()} "
                f"(first version effective {tariff.versions[0].effective.isoformat()})"
            )
        seasons = frozenset(s.name for s in tariff.seasons if s.contains(day))
        key = (id(version), seasons, day.month if by_month else 0)
        if key_prev is not None and key != key_prev:
            assert version_prev is not None
            parts.append(Part(len(parts), Period(start, day - timedelta(days=1)), version_prev, seasons_prev,
                              frozenset(months_prev)))
            start = day
            months_prev = set()
        key_prev = key
        version_prev = version
        seasons_prev = seasons
        months_prev.add(day.month)
        day += timedelta(days=1)
    assert version_prev is not None
    parts.append(Part(len(parts), Period(start, period.end), version_prev, seasons_prev, frozenset(months_prev)))
    return parts


def applies(component: Any, part: Part) -> bool:
    """Whether a component's season / months restriction lets it bill in a part."""
    if component.season is not None and component.season not in part.seasons:
        return False
    if component.months is not None and not (part.months & set(component.months)):
        return False
    return True


def component_in(part: Part, name: str) -> Any | None:
    """The part's version's component of that name, if it bills in the part."""
    for component in part.version.components:
        if component.name == name:
            return component if applies(component, part) else None
    return None


def charge_spans(parts: list[Part], kind: type | tuple[type, ...]) -> list[tuple[Any, Span]]:
    """Every (component, span) of components of ``kind``, in bill order: by
    the span's first part, then by the component's place in its version.
    A span grows over the next part while that part's version has an equal
    component (same name, same rates) that applies there."""
    covered: set[tuple[str, int]] = set()
    out: list[tuple[Any, Span]] = []
    for part in parts:
        for component in part.version.components:
            if not isinstance(component, kind) or not applies(component, part):
                continue
            if (component.name, part.index) in covered:
                continue
            members = [part]
            for following in parts[part.index + 1:]:
                if component_in(following, component.name) != component:
                    break
                members.append(following)
            covered.update((component.name, p.index) for p in members)
            out.append((component, Span(tuple(members))))
    return out
