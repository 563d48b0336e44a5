"""Interval rating: the quantities a tariff asks for, from interval data.

Local wall-clock fields are computed once per timestamp axis (DST handled;
see ``calendar.py``), TOU masks once per (tariff, axis) (``tou.py``). Each
bill period is cut into runs of consecutive intervals that share (part, TOU
bits, month); one ``np.add.reduceat`` and one ``np.maximum.reduceat`` over
the meters x intervals array give every energy sum and demand maximum the
tariff needs. Interval values are kept to 6 places (1 mWh: a 15-minute
value of 1.551 kW / 4 = 0.38775 kWh is kept exactly); sums are exact (float64
sums of integers below 2**53) and each quantity the tariff bills is rounded
once to the engine's 4 places.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ratepayer.kernel.periods import Period

from .calendar import LocalCalendar, day_number
from .exact import QUANTITY_SCALE, div_round
from .model import Tariff
from .proration import Part, Span
from .usage import IntervalUsage, RatingError

INTERVAL_SCALE = 1_000_000
"""Interval kWh are held in units of 1e-6 kWh (1 mWh)."""
_TO_QUANTITY = INTERVAL_SCALE // QUANTITY_SCALE


class IntervalMeasures:
    """Interval sums and maxima of M meters over one bill period."""

    def __init__(
        self,
        tariff: Tariff,
        usage: IntervalUsage,
        values: np.ndarray,
        demand_kw: np.ndarray | None,
        cal: LocalCalendar,
        masks: dict[str, np.ndarray],
        period: Period,
        parts: list[Part],
    ):
        self.meters = int(values.shape[0])
        self.unit = usage.unit
        self.usage = usage
        self.demand_kw = demand_kw
        d0, d1 = day_number(period.start), day_number(period.end)
        i0 = int(np.searchsorted(cal.day, d0, side="left"))
        i1 = int(np.searchsorted(cal.day, d1, side="right"))
        if i1 <= i0:
            raise RatingError(f"no interval data in {period}")
        self.i0, self.i1 = i0, i1
        self._check_coverage(cal, period, i0, i1, usage.interval_minutes)
        self.tou_names = list(masks)
        bits = np.zeros(i1 - i0, dtype=np.int64)
        for b, name in enumerate(self.tou_names):
            bits |= masks[name][i0:i1].astype(np.int64) << b
        starts = np.array([day_number(p.period.start) for p in parts], dtype=np.int64)
        part_idx = np.searchsorted(starts, cal.day[i0:i1], side="right") - 1
        key = (part_idx * 16 + cal.month[i0:i1]) * (1 << 40) + bits
        change = np.flatnonzero(np.diff(key)) + 1
        self.run_starts = np.concatenate([[0], change]).astype(np.int64)
        self.run_part = part_idx[self.run_starts]
        self.run_bits = bits[self.run_starts]
        block = np.multiply(values[:, i0:i1], INTERVAL_SCALE, dtype=np.float64)
        np.rint(block, out=block)
        sums = np.add.reduceat(block, self.run_starts, axis=1)
        if np.isnan(sums).any():
            bad = int(np.argmax(np.isnan(sums).any(axis=1)))
            raise RatingError(f"meter {bad} has missing interval values in {period}")
        self.run_sums = sums
        self._block = block
        self._cal = cal
        self._masks = masks
        self._max_cache: dict[Any, Any] = {}
        self._period = period
        self._parts = parts

    @staticmethod
    def _check_coverage(cal: LocalCalendar, period: Period, i0: int, i1: int, minutes: int) -> None:
        expected_first = day_number(period.start)
        if cal.day[i0] != expected_first or cal.minute[i0] != 0:
            raise RatingError(
                f"interval data does not cover {period}: first interval in it starts on day "
                f"{period.start.isoformat()}+{int(cal.day[i0] - expected_first)} at minute {int(cal.minute[i0])}"
            )
        last_day = day_number(period.end)
        if cal.day[i1 - 1] != last_day or cal.minute[i1 - 1] != 1440 - minutes:
            raise RatingError(f"interval data does not cover {period} to its last interval")
        elapsed = int(cal.epoch[i1 - 1] - cal.epoch[i0]) + minutes * 60
        if elapsed != (i1 - i0) * minutes * 60:
            raise RatingError(f"interval data has gaps in {period}: {i1 - i0} intervals for {elapsed // 60} minutes")

    def _run_select(self, parts: set[int] | None, tou: str | None) -> np.ndarray:
        sel = np.ones(len(self.run_starts), dtype=bool)
        if parts is not None:
            sel &= np.isin(self.run_part, sorted(parts))
        if tou is not None:
            b = self.tou_names.index(tou)
            sel &= ((self.run_bits >> b) & 1).astype(bool)
        return sel

    def energy(self, span: Span, tou: list[str] | None) -> dict[str | None, np.ndarray]:
        out: dict[str | None, np.ndarray] = {}
        in_span = set(span.indices)
        if tou is None:
            selected = self._run_select(in_span, None)
            out[None] = div_round(self.run_sums[:, selected].sum(axis=1).astype(np.int64), _TO_QUANTITY)
            return out
        covered = np.zeros(len(self.run_starts), dtype=np.int64)
        for t in tou:
            selected = self._run_select(in_span, t)
            covered += selected
            out[t] = div_round(self.run_sums[:, selected].sum(axis=1).astype(np.int64), _TO_QUANTITY)
        runs_in_span = np.isin(self.run_part, sorted(in_span))
        if np.any(covered[runs_in_span] != 1):
            bad = int(np.flatnonzero(runs_in_span & (covered != 1))[0])
            idx = self.i0 + int(self.run_starts[bad])
            when = np.datetime64(int(self._cal.epoch[idx]), "s")
            what = "is in none" if covered[bad] == 0 else "is in more than one"
            raise RatingError(f"interval starting {when}Z {what} of the TOU periods {tou}")
        return out

    def demand(self, parts: list[Part], window: str | None, interval_minutes: int | None) -> np.ndarray:
        minutes = interval_minutes or self.usage.interval_minutes
        if minutes < self.usage.interval_minutes or minutes % self.usage.interval_minutes:
            raise RatingError(
                f"demand interval {minutes} min cannot be built from {self.usage.interval_minutes}-minute data"
            )
        part_set = {p.index for p in parts}
        if minutes == self.usage.interval_minutes:
            key = ("run_max",)
            if key not in self._max_cache:
                src = self.demand_kw
                if src is not None:
                    block = np.rint(np.asarray(src[:, self.i0 : self.i1], dtype=np.float64) * QUANTITY_SCALE)
                    self._max_cache[key] = np.maximum.reduceat(block, self.run_starts, axis=1)
                else:
                    self._max_cache[key] = np.maximum.reduceat(self._block, self.run_starts, axis=1)
            sel = self._run_select(part_set, window)
            if not sel.any():
                return np.zeros(self.meters, dtype=np.int64)
            peak = self._max_cache[key][:, sel].max(axis=1)
            if self.demand_kw is not None:
                return peak.astype(np.int64)
            # kW = kWh x 60 / minutes, from 1e-6 kWh to the engine's 1e-4 kW, rounded once
            return div_round(peak.astype(np.int64) * 60, minutes * _TO_QUANTITY)
        # coarser demand interval: sum k consecutive intervals (clock-aligned blocks)
        k = minutes // self.usage.interval_minutes
        key2 = ("agg", minutes)
        if key2 not in self._max_cache:
            cal = self._cal
            idx = np.arange(self.i0, self.i1)
            aligned = (cal.minute[idx] % minutes) == 0
            first = idx[aligned]
            first = first[first + k <= self.i1]
            block = self._block
            csum = np.concatenate([np.zeros((self.meters, 1)), np.cumsum(block, axis=1)], axis=1)
            rel = first - self.i0
            agg = csum[:, rel + k] - csum[:, rel]
            self._max_cache[key2] = (agg, rel)
        agg, rel = self._max_cache[key2]
        run_of = np.searchsorted(self.run_starts, rel, side="right") - 1
        sel_runs = self._run_select(part_set, window)
        sel = sel_runs[run_of]
        if not sel.any():
            return np.zeros(self.meters, dtype=np.int64)
        peak = agg[:, sel].max(axis=1).astype(np.int64)
        return div_round(peak * 60, minutes * _TO_QUANTITY)
