"""What the engine rates: usage (register totals or interval arrays) and the
facts about a service a tariff may ask for (meter size, size class, dwelling
units, connected load, winter average, demand history).

Usage is never negative: a negative register total, demand or interval value
is refused here with the place named, before any line is built (a meter that
ran backwards is a metering exception, not a credit on the bill).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from ratepayer.kernel.periods import Period


class RatingError(ValueError):
    """Usage or a period that this tariff cannot rate, with the reason."""


@dataclass(frozen=True)
class ServiceInfo:
    """What a tariff may need to know about the service besides usage."""

    meter_size: str | None = None
    size_class: str | None = None
    meters: int = 1
    dwelling_units: int = 1
    connected_load_kw: Decimal | None = None
    winter_average_daily: Decimal | None = None
    """Average use per day over the winter base period (for winter-average sewer)."""
    demand_history_kw: tuple[Decimal, ...] = ()
    """Billing demands of previous months, oldest first (for ratchets)."""


def _not_negative(value: Decimal | None, what: str) -> None:
    if value is not None and value < 0:
        raise RatingError(f"{what} {value} is negative; usage cannot be negative")


@dataclass(frozen=True)
class RegisterUsage:
    """Register usage over a bill period."""

    quantity: Decimal
    unit: str = "kWh"
    demand_kw: Decimal | None = None
    tou_quantity: dict[str, Decimal] | None = None
    tou_demand_kw: dict[str, Decimal] | None = None

    def __post_init__(self) -> None:
        _not_negative(self.quantity, f"usage ({self.unit})")
        _not_negative(self.demand_kw, "demand (kW)")
        for name, value in (self.tou_quantity or {}).items():
            _not_negative(value, f"usage in TOU period {name!r}")
        for name, value in (self.tou_demand_kw or {}).items():
            _not_negative(value, f"demand in TOU period {name!r}")


@dataclass
class IntervalUsage:
    """Interval energy for M meters on one shared axis of N interval starts.

    ``values``: (M, N) or (N,) kWh per interval; ``epoch``: UTC epoch seconds
    of each interval start; ``tz``: the utility's zone for wall-clock rules.
    ``demand_kw``: optional (M, N) demand readings (else kW = kWh / hours).
    """

    epoch: np.ndarray
    values: np.ndarray
    interval_minutes: int
    tz: str
    demand_kw: np.ndarray | None = None
    unit: str = "kWh"

    def __post_init__(self) -> None:
        self.epoch = np.asarray(self.epoch, dtype=np.int64)
        values = np.asarray(self.values)
        if values.ndim == 1:
            values = values[None, :]
        if values.ndim != 2 or values.shape[1] != len(self.epoch):
            raise RatingError(f"values must be (meters, {len(self.epoch)}); got {values.shape}")
        _no_negative_intervals(values, "usage")
        self.values = values
        if self.demand_kw is not None:
            demand = np.asarray(self.demand_kw)
            if demand.ndim == 1:
                demand = demand[None, :]
            if demand.shape != values.shape:
                raise RatingError("demand_kw must have the same shape as values")
            _no_negative_intervals(demand, "demand")
            self.demand_kw = demand
        if self.interval_minutes <= 0 or 1440 % self.interval_minutes:
            raise RatingError(f"interval length {self.interval_minutes} min does not divide a day")
        if len(self.epoch) > 1 and np.any(np.diff(self.epoch) <= 0):
            raise RatingError("interval timestamps must increase")

    @property
    def meters(self) -> int:
        return int(self.values.shape[0])


def _no_negative_intervals(values: np.ndarray, what: str) -> None:
    negative = values < 0  # NaN compares False: missing values are reported by the rating itself
    if negative.any():
        meter, interval = (int(i) for i in np.argwhere(negative)[0])
        raise RatingError(f"meter {meter}, interval {interval}: {what} {values[meter, interval]} is negative; "
                          "usage cannot be negative")


def winter_average_daily(reads: Sequence[tuple[Period, Decimal]]) -> Decimal:
    """Average use per day over winter reads (total use / total days), 6 places."""
    if not reads:
        raise RatingError("no winter reads to average")
    total = sum((Decimal(q) for _, q in reads), Decimal(0))
    days = sum(p.days for p, _ in reads)
    return (total / days).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
