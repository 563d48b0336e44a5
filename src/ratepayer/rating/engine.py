"""The rating engine's entry points: tariff + usage + bill period -> bill lines.

Design
------
* One core, two kinds of usage. Register usage (``register.py``: a kWh/CCF
  total, a demand register, optional TOU registers) and interval usage
  (``interval.py``: a meters x intervals array on one shared timestamp axis)
  both answer the same two questions — use in a span, demand over parts —
  for M meters at once, and one line builder (``lines.py``) turns the
  answers into lines. The register and interval paths cannot drift apart.
* ``rate`` rates one meter; ``rate_intervals`` rates many interval meters
  (chunks of 512 rows, so the scaled working copy stays in cache);
  ``rate_registers`` rates many register usages that share a tariff and a
  bill period in one call (what a bill run does with a chunk of accounts).
* Exact arithmetic without Decimal in the hot loop (``exact.py``): scaled
  integers for quantities (1e-4) and rates (1e-8 $); Decimal appears only when
  a line is materialised (``BatchBill.bill(i)``).
* A bill period is split into parts at tariff version effective dates and at
  season/month boundaries that matter to the tariff, and each charge is
  billed over the runs of parts in which it is unchanged (``proration.py``).

URDB/SAM semantics that we chose (see ``urdb.py`` and docs/tariffs.md):
tier limits apply to the month's total use across TOU periods and each tier
is shared among periods in proportion to their use (``tier_basis: total``);
``$/day`` charges and ``kWh daily`` limits are multiplied by the actual days
of the bill period.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ratepayer.kernel.periods import Period

from .bills import BatchBill, Bill, BillLine, concat_batches
from .interval import IntervalMeasures
from .lines import LineBuilder
from .model import Tariff
from .proration import plan_parts
from .register import RegisterMeasures
from .tou import calendar_for, tou_masks
from .usage import IntervalUsage, RatingError, RegisterUsage, ServiceInfo, winter_average_daily


def _services(services: ServiceInfo | Sequence[ServiceInfo] | None, meters: int) -> list[ServiceInfo]:
    if services is None:
        return [ServiceInfo()] * meters
    if isinstance(services, ServiceInfo):
        return [services] * meters
    services = list(services)
    if len(services) != meters:
        raise RatingError(f"{len(services)} service records for {meters} meters")
    return services


def _check_regular_days(regular_days: int | None) -> None:
    if regular_days is not None and regular_days <= 0:
        raise RatingError("regular_days must be positive")


def rate_intervals(
    tariff: Tariff,
    usage: IntervalUsage,
    periods: Sequence[Period],
    *,
    services: ServiceInfo | Sequence[ServiceInfo] | None = None,
    regular_days: int | None = None,
    chunk_meters: int = 512,
) -> list[BatchBill]:
    """Rate every meter of ``usage`` for each period (vectorized), one
    BatchBill per period."""
    _check_regular_days(regular_days)
    for tou in tariff.tou_periods:
        for window in tou.windows:
            for lo, hi in window.minute_range():
                if lo % usage.interval_minutes or hi % usage.interval_minutes:
                    raise RatingError(
                        f"TOU period {tou.name!r} has a window boundary at {lo // 60:02d}:{lo % 60:02d}-"
                        f"{hi // 60:02d}:{hi % 60:02d} that splits {usage.interval_minutes}-minute intervals"
                    )
    calendar, masks = calendar_for(tariff, usage.epoch, usage.tz)
    service_list = _services(services, usage.meters)
    out = []
    chunk = max(1, int(chunk_meters))
    for period in periods:
        parts = plan_parts(tariff, period)
        pieces = []
        for lo in range(0, usage.meters, chunk):
            hi = min(usage.meters, lo + chunk)
            demand = usage.demand_kw[lo:hi] if usage.demand_kw is not None else None
            measures = IntervalMeasures(tariff, usage, usage.values[lo:hi], demand, calendar, masks, period, parts)
            pieces.append(LineBuilder(tariff, period, parts, measures, service_list[lo:hi], regular_days).build())
        out.append(concat_batches(pieces))
    return out


def rate_registers(
    tariff: Tariff,
    usages: Sequence[RegisterUsage],
    period: Period,
    *,
    services: ServiceInfo | Sequence[ServiceInfo] | None = None,
    regular_days: int | None = None,
) -> BatchBill:
    """Rate many register usages (one unit) over one bill period in one call.

    Each usage is shared among the period's parts exactly as ``rate`` shares
    one, so ``rate_registers(t, us, p).bill(i)`` equals ``rate(t, us[i], p)``.
    A RatingError names the first problem for the whole batch; rate the
    usages one by one to find which one it is."""
    _check_regular_days(regular_days)
    parts = plan_parts(tariff, period)
    service_list = _services(services, len(usages))
    measures = RegisterMeasures(usages, parts)
    return LineBuilder(tariff, period, parts, measures, service_list, regular_days).build()


def rate(
    tariff: Tariff,
    usage: RegisterUsage | IntervalUsage,
    period: Period,
    *,
    service: ServiceInfo | None = None,
    regular_days: int | None = None,
) -> Bill:
    """Rate one meter for one bill period -> a Bill with its lines.

    ``regular_days``: for a first or final (partial) bill, the length of a
    regular bill period; per-bill charges and per-period block limits are
    then prorated by ``period.days / regular_days``.
    """
    if isinstance(usage, IntervalUsage):
        if usage.meters != 1:
            raise RatingError("rate() takes one meter; use rate_intervals() for many")
        return rate_intervals(tariff, usage, [period], services=service, regular_days=regular_days)[0].bill(0)
    return rate_registers(tariff, [usage], period, services=service, regular_days=regular_days).bill(0)


def rate_many(tariff: Tariff, usage: IntervalUsage, periods: Sequence[Period], **kw: Any) -> list[list[Bill]]:
    """Materialised bills: result[meter][period]."""
    batches = rate_intervals(tariff, usage, periods, **kw)
    return [[b.bill(i) for b in batches] for i in range(usage.meters)]


__all__ = [
    "BatchBill",
    "Bill",
    "BillLine",
    "IntervalUsage",
    "RatingError",
    "RegisterUsage",
    "ServiceInfo",
    "plan_parts",
    "rate",
    "rate_intervals",
    "rate_many",
    "rate_registers",
    "tou_masks",
    "winter_average_daily",
]
