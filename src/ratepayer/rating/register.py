"""Register rating: the quantities a tariff asks for, from register totals.

M meters' register usage over one bill period, as integer arrays: the total
(and any TOU totals) shared among the period's parts by days with the
largest-remainder method, so the parts add up to the meter reading exactly;
demand from the demand register (or per TOU window).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .exact import QUANTITY_SCALE, allocate_largest_remainder, scaled
from .model import DemandCharge
from .proration import Part, Span
from .usage import RatingError, RegisterUsage


class Measures(Protocol):
    """What the line builder asks of usage, register or interval."""

    meters: int
    unit: str

    def energy(self, span: Span, tou: list[str] | None) -> dict[str | None, np.ndarray]:
        """Use in the span (per TOU period if asked), scaled, one value per meter."""
        ...

    def demand(self, parts: list[Part], window: str | None, interval_minutes: int | None) -> np.ndarray:
        """Measured demand over those parts (in a TOU window if given), scaled."""
        ...


def _scaled_array(values: Sequence) -> np.ndarray:
    return np.array([scaled(v, QUANTITY_SCALE) for v in values], dtype=np.int64)


def _span_sum(by_part: list[np.ndarray], span: Span) -> np.ndarray:
    return np.sum([by_part[i] for i in span.indices], axis=0)


class RegisterMeasures:
    def __init__(self, usages: Sequence[RegisterUsage], parts: list[Part]):
        if not usages:
            raise RatingError("no usage to rate")
        units = {u.unit for u in usages}
        if len(units) > 1:
            raise RatingError(f"register usages rated together must share a unit; got {sorted(units)}")
        self.meters = len(usages)
        self.unit = usages[0].unit
        self.parts = parts
        days = [np.full(self.meters, p.period.days, dtype=np.int64) for p in parts]
        self._by_part = allocate_largest_remainder(_scaled_array([u.quantity for u in usages]), days)
        self._tou_by_part: dict[str, list[np.ndarray]] = {}
        tou_names = set.intersection(*(set(u.tou_quantity or {}) for u in usages))
        for name in tou_names:
            totals = _scaled_array([(u.tou_quantity or {})[name] for u in usages])
            self._tou_by_part[name] = allocate_largest_remainder(totals, days)
        self._demand = (_scaled_array([u.demand_kw for u in usages])
                        if all(u.demand_kw is not None for u in usages) else None)
        self._tou_demand: dict[str, np.ndarray] = {}
        for name in set.intersection(*(set(u.tou_demand_kw or {}) for u in usages)):
            self._tou_demand[name] = _scaled_array([(u.tou_demand_kw or {})[name] for u in usages])

    def energy(self, span: Span, tou: list[str] | None) -> dict[str | None, np.ndarray]:
        if tou is None:
            return {None: _span_sum(self._by_part, span)}
        missing = [t for t in tou if t not in self._tou_by_part]
        if missing:
            raise RatingError(
                f"the tariff charges energy by TOU period {missing} but the register usage has no "
                f"quantity for {', '.join(missing)}"
            )
        return {t: _span_sum(self._tou_by_part[t], span) for t in tou}

    def demand(self, parts: list[Part], window: str | None, interval_minutes: int | None) -> np.ndarray:
        windows = {c.window for p in self.parts for c in p.version.components if isinstance(c, DemandCharge)}
        if window is not None and window in self._tou_demand:
            return self._tou_demand[window]
        if self._demand is not None and (window is None or len(windows) == 1):
            # one demand charge: the demand register is read for its window
            return self._demand
        where = f" in TOU period {window!r}" if window else ""
        raise RatingError(f"the tariff has a demand charge{where} but the usage has no demand reading")
