"""Tariffs for billing: a schedule's approved versions as one rating model, and
register rating of many agreements at once.

A rate schedule's history is a list of approved ``RateVersion`` rows, each
holding a tariff document. For a bill period we need one ``Tariff`` whose
versions follow those rows, so that the engine prorates a rate change inside
the period: row *i* contributes its document's versions from its own
``effective_from`` up to the next row's date (the version in force on its
``effective_from`` is re-dated to that day).

Register rating: agreements that share (tariff, bill period, proration) are
rated in one engine call over an M-meter batch, so a bill run chunk makes a
few dozen engine calls instead of one per agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from ratepayer import rating
from ratepayer.kernel.periods import Period
from ratepayer.rating import Bill, RegisterUsage, ServiceInfo, Tariff, TariffError, parse_tariff


@dataclass(frozen=True)
class ScheduleTariff:
    schedule_id: int
    tariff: Tariff
    version_dates: tuple[tuple[date, int], ...]  # (effective_from, RateVersion id), ascending
    facts: frozenset[str] = frozenset()  # what the tariff bills on (rating.facts_needed)

    def version_id_on(self, day: date) -> int | None:
        found = None
        for effective, version_id in self.version_dates:
            if effective <= day:
                found = version_id
        return found


def combine_versions(schedule_id: int, rows: Sequence[tuple[int, date, dict]]) -> ScheduleTariff:
    """rows: (RateVersion id, effective_from, document), any order. Raises
    TariffError naming the version when a document does not validate."""
    rows = sorted(rows, key=lambda r: r[1])
    versions = []
    base: Tariff | None = None
    for i, (version_id, effective, document) in enumerate(rows):
        try:
            tariff = parse_tariff(document, source=f"rate version #{version_id}")
        except TariffError:
            raise
        base = tariff
        until = rows[i + 1][1] if i + 1 < len(rows) else None
        in_force = tariff.version_on(effective) or tariff.versions[0]
        for v in tariff.versions:
            if v is in_force:
                versions.append(v.model_copy(update={"effective": effective}))
            elif v.effective > effective and (until is None or v.effective < until):
                versions.append(v)
    assert base is not None
    combined = base.model_copy(update={"versions": versions})
    return ScheduleTariff(schedule_id, combined, tuple((r[1], r[0]) for r in rows), rating.facts_needed(combined))


def rate_register_group(tariff: Tariff, period: Period, quantities: Sequence[Decimal], unit: str,
                   services: Sequence[ServiceInfo], demand_kw: Sequence[Decimal | None] | None = None,
                   regular_days: int | None = None) -> list[Bill]:
    """Rate M register usages that share a tariff and a bill period in one call
    of the engine's public ``rating.rate_registers``."""
    demands: Sequence[Decimal | None] = demand_kw if demand_kw is not None else [None] * len(quantities)
    usages = [RegisterUsage(Decimal(q), unit=unit, demand_kw=d) for q, d in zip(quantities, demands, strict=True)]
    return rating.rate_registers(tariff, usages, period, services=list(services), regular_days=regular_days).bills()


def rate_interval_group(tariff: Tariff, period: Period, intervals: Sequence, services: Sequence[ServiceInfo],
                        tz: str, regular_days: int | None = None) -> list[Bill]:
    """Rate M AMI meters that share a tariff, a bill period and a time axis in
    one vectorized engine call (TOU periods, demand windows, daily blocks).
    ``intervals``: metering's IntervalUsage objects (``starts`` UTC
    datetime64[s], ``kwh``, ``interval_seconds``), all on the same axis."""
    first = intervals[0]
    epoch = np.asarray(first.starts, dtype="datetime64[s]").astype(np.int64)
    values = np.vstack([np.asarray(iv.kwh, dtype=np.float64) for iv in intervals])
    usage = rating.IntervalUsage(epoch=epoch, values=values, interval_minutes=first.interval_seconds // 60, tz=tz)
    return rating.rate_intervals(tariff, usage, [period], services=list(services),
                                 regular_days=regular_days)[0].bills()
