"""The rating engine: tariff + usage + bill period -> bill lines.

Design
------
* One core, two kinds of usage. ``rate()`` takes register usage (a kWh/CCF
  total, a demand register, optional TOU registers) or interval usage for one
  meter; ``rate_intervals()`` takes a 2-D array (meters x intervals) on one
  shared timestamp axis and rates every meter at once. Both feed the same
  core, which works on per-meter numpy arrays of length M (M = 1 for register
  usage), so the register and interval paths cannot drift apart.
* Exact arithmetic without Decimal in the hot loop. Quantities are int64 in
  units of 1e-4 (kWh, kW, CCF, days, months); rates are int64 in units of
  1e-6 dollars; a line amount is ``round_half_up(q * r / 1e8)`` cents, which
  is exactly ``kernel.money.round_money(quantity * rate)``. Interval values
  are rounded to 4 places (0.1 Wh) once on input; after that, sums over
  periods are exact integers (float64 sums of integers below 2**53 are exact).
  Python ints take over where a product could overflow int64. Decimal appears
  only when a line is materialised (``BatchBill.bill(i)``).
* Bill periods are split into parts at tariff version effective dates and at
  season/month boundaries that matter to the tariff. Fixed charges go by the
  part's days, register usage is shared among parts by days (largest
  remainder, so parts sum to the whole), block limits are prorated by the
  part's days, and demand (measured once over the period) is charged in each
  part by its share of the period's days.
* Interval usage: local wall-clock fields are computed once per timestamp
  axis (DST handled; see ``calendar.py``), TOU masks once per (tariff, axis)
  and cached. Each bill period is cut into runs of consecutive intervals that
  share (part, TOU bits, month); one ``np.add.reduceat`` and one
  ``np.maximum.reduceat`` over the meters x intervals array give every
  energy sum and demand maximum the tariff needs. Meters go through in
  chunks (512 rows) so the scaled working copy stays in cache.
* Rounding: every line is rounded to the cent half-up; a line's amount is
  always its displayed quantity (4 places) times its displayed rate
  (6 places). The minimum charge line is ``max(0, minimum - regular)`` with
  both sides in cents. Percent riders are percent of the cents of the
  selected lines.

URDB/SAM semantics that we chose (see ``urdb.py`` and docs/tariffs.md):
tier limits apply to the month's total use across TOU periods and each tier
is shared among periods in proportion to their use (``tier_basis: total``);
``$/day`` charges and ``kWh daily`` limits are multiplied by the actual days
of the bill period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from ratepayer.kernel.periods import Period

from .calendar import LocalCalendar, day_number
from .model import (
    Block,
    DemandCharge,
    EnergyCharge,
    FixedCharge,
    MinimumCharge,
    Rider,
    Tariff,
    TariffVersion,
)

SCALE_Q = 10_000
SCALE_R = 1_000_000
_AMOUNT_DIV = SCALE_Q * SCALE_R // 100  # q*r -> cents
_INT64_SAFE = 2**62


class RatingError(ValueError):
    """Usage or a period that this tariff cannot rate, with the reason."""


# --------------------------------------------------------------------------- usage


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


@dataclass(frozen=True)
class RegisterUsage:
    """Register usage over a bill period."""

    quantity: Decimal
    unit: str = "kWh"
    demand_kw: Decimal | None = None
    tou_quantity: dict[str, Decimal] | None = None
    tou_demand_kw: dict[str, Decimal] | None = None


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
        self.values = values
        if self.demand_kw is not None:
            dk = np.asarray(self.demand_kw)
            if dk.ndim == 1:
                dk = dk[None, :]
            if dk.shape != values.shape:
                raise RatingError("demand_kw must have the same shape as values")
            self.demand_kw = dk
        if self.interval_minutes <= 0 or 1440 % self.interval_minutes:
            raise RatingError(f"interval length {self.interval_minutes} min does not divide a day")
        if len(self.epoch) > 1 and np.any(np.diff(self.epoch) <= 0):
            raise RatingError("interval timestamps must increase")

    @property
    def meters(self) -> int:
        return int(self.values.shape[0])


# --------------------------------------------------------------------------- results


class BillLine(NamedTuple):
    """One bill line (immutable). amount = round_half_up(quantity x rate)."""

    kind: str
    description: str
    quantity: Decimal
    unit: str
    rate: Decimal
    amount: Decimal
    component: str = ""
    tou: str | None = None
    block: int | None = None
    part: int = 0

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "description": self.description,
            "quantity": _fmt_plain(self.quantity),
            "unit": self.unit,
            "rate": _fmt_rate(self.rate),
            "amount": f"{self.amount:.2f}",
        }


@dataclass(frozen=True)
class Bill:
    period: Period
    lines: tuple[BillLine, ...]
    total: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "lines": [line.as_dict() for line in self.lines],
            "total": f"{self.total:.2f}",
        }


def _fmt_plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _fmt_rate(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    if "." not in text:
        return text + ".00"
    whole, frac = text.split(".")
    return f"{whole}.{frac.ljust(2, '0')}"


@dataclass
class LineBatch:
    """One bill line for M meters: int arrays, scaled (q 1e-4, r 1e-6, cents)."""

    kind: str
    description: str
    unit: str
    component: str
    quantity: np.ndarray
    rate: np.ndarray
    amount: np.ndarray
    part: int = 0
    keep_zero: bool = False
    tou: str | None = None
    block: int | None = None


@dataclass
class BatchBill:
    period: Period
    lines: list[LineBatch]
    meters: int

    @property
    def total_cents(self) -> np.ndarray:
        total = np.zeros(self.meters, dtype=object if self._big() else np.int64)
        for line in self.lines:
            total = total + line.amount
        return total

    def _big(self) -> bool:
        return any(line.amount.dtype == object for line in self.lines)

    def totals(self) -> list[Decimal]:
        return [_cents(int(c)) for c in self.total_cents]

    def bill(self, i: int) -> Bill:
        return self._bills([i])[0]

    def bills(self) -> list[Bill]:
        """Every meter's Bill (Decimal lines), in meter order."""
        return self._bills(range(self.meters))

    def _bills(self, meters: Sequence[int] | range) -> list[Bill]:
        cols = []
        for line in self.lines:
            rates = line.rate.tolist()
            same_rate = len(rates) > 0 and bool(np.all(line.rate == rates[0]))
            cols.append((line, line.quantity.tolist(), rates, line.amount.tolist(),
                         Decimal(int(rates[0])).scaleb(-6) if same_rate else None))
        out = []
        for i in meters:
            lines = []
            total = 0
            for line, qs, rs, amts, rate in cols:
                q = qs[i]
                a = amts[i]
                if a == 0 and (q == 0 and not line.keep_zero or line.kind == "minimum"):
                    continue
                total += a
                lines.append(
                    BillLine(
                        line.kind,
                        line.description,
                        Decimal(int(q)).scaleb(-4),
                        line.unit,
                        rate if rate is not None else Decimal(int(rs[i])).scaleb(-6),
                        Decimal(int(a)).scaleb(-2),
                        line.component,
                        line.tou,
                        line.block,
                        line.part,
                    )
                )
            out.append(Bill(period=self.period, lines=tuple(lines), total=Decimal(int(total)).scaleb(-2)))
        return out


def _cents(c: int) -> Decimal:
    return Decimal(c).scaleb(-2)


# --------------------------------------------------------------------------- integer helpers


def _div_round(num: np.ndarray, den: int) -> np.ndarray:
    """Round num/den half away from zero (half-up on magnitudes), elementwise."""
    if num.dtype == object:
        return np.array([_div_round_int(int(x), den) for x in num], dtype=object)
    sign = np.where(num < 0, -1, 1)
    mag = np.abs(num)
    return sign * ((mag + den // 2) // den) if den % 2 == 0 else sign * ((2 * mag + den) // (2 * den))


def _div_round_int(num: int, den: int) -> int:
    sign = -1 if num < 0 else 1
    return sign * ((2 * abs(num) + den) // (2 * den))


def _mul(a: Any, b: Any) -> np.ndarray:
    """Exact product of two int arrays, switching to Python ints near overflow."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype != object and b.dtype != object:
        ma = int(np.max(np.abs(a))) if a.size else 0
        mb = int(np.max(np.abs(b))) if b.size else 0
        if ma * mb < _INT64_SAFE:
            return a.astype(np.int64) * b.astype(np.int64)
    return np.asarray(a, dtype=object) * np.asarray(b, dtype=object)


def _amount(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    return _div_round(_mul(q, r), _AMOUNT_DIV)


def _scale_decimal(value: Decimal | Fraction | int, scale: int) -> int:
    """round_half_up(value * scale) as an int."""
    if isinstance(value, Fraction):
        return _div_round_int(value.numerator * scale, value.denominator)
    d = Decimal(value) * scale
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _full(m: int, value: int) -> np.ndarray:
    return np.full(m, value, dtype=np.int64) if abs(value) < _INT64_SAFE else np.full(m, value, dtype=object)


def _allocate_int(total: np.ndarray, weights: list[np.ndarray]) -> list[np.ndarray]:
    """Split ``total`` (M,) among weights (each (M,)) by largest remainder so
    the parts sum exactly to the total. Zero total weight -> all to zero
    except the whole to the first part."""
    k = len(weights)
    if k == 1:
        return [total.copy()]
    w = np.stack(weights, axis=0)  # (k, M)
    wsum = w.sum(axis=0)
    safe = np.where(wsum == 0, 1, wsum)
    prod = _mul(w, np.broadcast_to(total, w.shape))
    if prod.dtype == object:
        floors = prod // safe
        rem = prod - floors * safe
        floors = floors.astype(object)
    else:
        floors = prod // safe
        rem = prod - floors * safe
    leftover = total - floors.sum(axis=0)
    # rank parts by remainder (desc), ties to the earliest part
    order = np.argsort(-np.asarray(rem, dtype=np.float64), axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(k)[:, None].repeat(w.shape[1], axis=1), axis=0)
    floors = floors + (ranks < np.asarray(leftover, dtype=np.int64)[None, :]).astype(np.int64)
    zero = wsum == 0
    if np.any(zero):
        floors[:, zero] = 0
        floors[0, zero] = total[zero]
    return [floors[i] for i in range(k)]


# --------------------------------------------------------------------------- planning


@dataclass
class Part:
    index: int
    period: Period
    version: TariffVersion
    seasons: frozenset[str]
    months: frozenset[int]


def _month_fraction(p: Period) -> Fraction:
    total = Fraction(0)
    cursor = p.start
    while cursor <= p.end:
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        month_days = (next_month - cursor.replace(day=1)).days
        end = min(p.end, next_month - timedelta(days=1))
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
            parts.append(
                Part(len(parts), Period(start, day - timedelta(days=1)), version_prev, seasons_prev, frozenset(months_prev))
            )
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


def _applies(comp: Any, part: Part) -> bool:
    if comp.season is not None and comp.season not in part.seasons:
        return False
    if comp.months is not None and not (part.months & set(comp.months)):
        return False
    return True


# --------------------------------------------------------------------------- TOU masks


def tou_masks(tariff: Tariff, cal: LocalCalendar) -> dict[str, np.ndarray]:
    """Boolean mask per TOU period over the calendar's intervals."""
    masks: dict[str, np.ndarray] = {}
    has_holidays = tariff.holidays is not None
    season_cache: dict[str, np.ndarray] = {}
    unique_days = np.unique(cal.day)

    def season_mask(name: str) -> np.ndarray:
        if name not in season_cache:
            season = tariff.season(name)
            in_season = np.array(
                [season.contains(date(1970, 1, 1) + timedelta(days=int(d))) for d in unique_days], dtype=bool
            )
            season_cache[name] = np.isin(cal.day, unique_days[in_season])
        return season_cache[name]

    for period in tariff.tou_periods:
        if period.otherwise:
            continue
        mask = np.zeros(len(cal), dtype=bool)
        for window in period.windows:
            weekdays: set[int] = set()
            holiday_ok = False
            every = False
            for d in window.days:
                if d == "weekday":
                    weekdays |= {0, 1, 2, 3, 4}
                elif d == "weekend":
                    weekdays |= {5, 6}
                elif d == "everyday":
                    every = True
                elif d == "holiday":
                    holiday_ok = True
                else:
                    weekdays.add(("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(d))
            if every:
                day_ok = np.ones(len(cal), dtype=bool)
            else:
                day_ok = np.isin(cal.weekday, sorted(weekdays))
                if has_holidays:
                    day_ok &= ~cal.holiday
                    if holiday_ok:
                        day_ok |= cal.holiday
            minute_ok = np.zeros(len(cal), dtype=bool)
            for lo, hi in window.minute_range():
                minute_ok |= (cal.minute >= lo) & (cal.minute < hi)
            w = day_ok & minute_ok
            if window.months is not None:
                w &= np.isin(cal.month, window.months)
            if window.seasons is not None:
                s_ok = np.zeros(len(cal), dtype=bool)
                for s in window.seasons:
                    s_ok |= season_mask(s)
                w &= s_ok
            mask |= w
        masks[period.name] = mask
    for period in tariff.tou_periods:
        if period.otherwise:
            others = [masks[p.name] for p in tariff.tou_periods if p.group == period.group and not p.otherwise]
            covered = np.zeros(len(cal), dtype=bool)
            for m in others:
                covered |= m
            masks[period.name] = ~covered
    return masks


_MASK_CACHE: dict[tuple[Any, ...], tuple[Tariff, LocalCalendar, dict[str, np.ndarray]]] = {}


def _holiday_dates(tariff: Tariff, years: range) -> list[date]:
    cal = tariff.holidays
    if cal is None:
        return []
    days: list[date] = list(cal.dates)
    if cal.country:
        import holidays as holidays_lib

        found = holidays_lib.country_holidays(cal.country, subdiv=cal.subdiv, years=list(years))
        for d, name in found.items():
            if cal.names is None or any(n.lower() in name.lower() for n in cal.names):
                days.append(d)
    return days


def calendar_for(tariff: Tariff, epoch: np.ndarray, tz: str) -> tuple[LocalCalendar, dict[str, np.ndarray]]:
    """Local calendar + TOU masks for an axis, cached per (tariff, axis)."""
    epoch = np.asarray(epoch, dtype=np.int64)
    key = (id(tariff), tz, len(epoch), int(epoch[0]) if len(epoch) else 0, int(epoch[-1]) if len(epoch) else 0,
           hash(epoch.tobytes()) if len(epoch) < 200_000 else 0)
    hit = _MASK_CACHE.get(key)
    if hit is not None and hit[0] is tariff:
        return hit[1], hit[2]
    if len(epoch):
        y0 = int(str(np.datetime64(int(epoch[0]) - 86400, "s"))[:4])
        y1 = int(str(np.datetime64(int(epoch[-1]) + 86400, "s"))[:4])
    else:
        y0 = y1 = 2000
    cal = LocalCalendar.build(epoch, tz, _holiday_dates(tariff, range(y0, y1 + 1)))
    masks = tou_masks(tariff, cal)
    if len(_MASK_CACHE) > 32:
        _MASK_CACHE.clear()
    _MASK_CACHE[key] = (tariff, cal, masks)
    return cal, masks


# --------------------------------------------------------------------------- measures


_UNIT_GALLONS = {"gal": Fraction(1), "kgal": Fraction(1000)}


def _unit_factor(tariff: Tariff, from_unit: str, to_unit: str) -> Fraction:
    if from_unit == to_unit:
        return Fraction(1)
    gpc = Fraction(tariff.gallons_per_ccf)
    table = dict(_UNIT_GALLONS)
    table["CCF"] = gpc
    table["cf"] = gpc / 100
    if from_unit in table and to_unit in table:
        return table[from_unit] / table[to_unit]
    raise RatingError(f"usage is in {from_unit} but the tariff charges per {to_unit}; no conversion")


def _convert(q: np.ndarray, factor: Fraction) -> np.ndarray:
    if factor == 1:
        return q
    return _div_round(_mul(q, np.int64(factor.numerator)), factor.denominator)


class _Measures:
    meters: int
    unit: str

    def energy(self, part: Part, tou: list[str] | None) -> dict[str | None, np.ndarray]:
        raise NotImplementedError

    def demand(self, parts: list[Part], window: str | None, interval_minutes: int | None) -> np.ndarray:
        raise NotImplementedError


class _RegisterMeasures(_Measures):
    def __init__(self, usage: RegisterUsage, parts: list[Part], period: Period):
        self.meters = 1
        self.unit = usage.unit
        self.usage = usage
        self.parts = parts
        self.period = period
        days = [np.array([p.period.days], dtype=np.int64) for p in parts]
        total = np.array([_scale_decimal(usage.quantity, SCALE_Q)], dtype=np.int64)
        self._total = _allocate_int(total, days)
        self._tou: dict[str, list[np.ndarray]] = {}
        for name, qty in (usage.tou_quantity or {}).items():
            self._tou[name] = _allocate_int(np.array([_scale_decimal(qty, SCALE_Q)], dtype=np.int64), days)

    def energy(self, part: Part, tou: list[str] | None) -> dict[str | None, np.ndarray]:
        if tou is None:
            return {None: self._total[part.index]}
        missing = [t for t in tou if t not in self._tou]
        if missing:
            raise RatingError(
                f"the tariff charges energy by TOU period {missing} but the register usage has no "
                f"quantity for {', '.join(missing)}"
            )
        return {t: self._tou[t][part.index] for t in tou}

    def demand(self, parts: list[Part], window: str | None, interval_minutes: int | None) -> np.ndarray:
        windows = {c.window for p in self.parts for c in p.version.components if isinstance(c, DemandCharge)}
        if window is not None and self.usage.tou_demand_kw and window in self.usage.tou_demand_kw:
            value = self.usage.tou_demand_kw[window]
        elif self.usage.demand_kw is not None and (window is None or len(windows) == 1):
            # one demand charge: the demand register is read for its window
            value = self.usage.demand_kw
        else:
            where = f"in TOU period {window!r}" if window else ""
            raise RatingError(f"the tariff has a demand charge {where} but the usage has no demand reading".replace("  ", " "))
        return np.array([_scale_decimal(value, SCALE_Q)], dtype=np.int64)


class _IntervalMeasures(_Measures):
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
        block = np.multiply(values[:, i0:i1], SCALE_Q, dtype=np.float64)
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

    def energy(self, part: Part, tou: list[str] | None) -> dict[str | None, np.ndarray]:
        out: dict[str | None, np.ndarray] = {}
        if tou is None:
            sel = self._run_select({part.index}, None)
            out[None] = self.run_sums[:, sel].sum(axis=1).astype(np.int64)
            return out
        covered = np.zeros(len(self.run_starts), dtype=np.int64)
        for t in tou:
            sel = self._run_select({part.index}, t)
            covered += sel
            out[t] = self.run_sums[:, sel].sum(axis=1).astype(np.int64)
        in_part = self.run_part == part.index
        if np.any(covered[in_part] != 1):
            bad = int(np.flatnonzero(in_part & (covered != 1))[0])
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
                    block = np.rint(np.asarray(src[:, self.i0 : self.i1], dtype=np.float64) * SCALE_Q)
                    self._max_cache[key] = np.maximum.reduceat(block, self.run_starts, axis=1)
                else:
                    self._max_cache[key] = np.maximum.reduceat(self._block, self.run_starts, axis=1)
            sel = self._run_select(part_set, window)
            if not sel.any():
                return np.zeros(self.meters, dtype=np.int64)
            peak = self._max_cache[key][:, sel].max(axis=1)
            if self.demand_kw is not None:
                return peak.astype(np.int64)
            factor = 60 // minutes if 60 % minutes == 0 else None
            if factor is not None:
                return peak.astype(np.int64) * factor
            return _div_round(peak.astype(np.int64) * 60, minutes)
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
        return _div_round(peak * 60, minutes)


# --------------------------------------------------------------------------- the core


def _fmt_q(value: Decimal | int) -> str:
    d = Decimal(value)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}"


def _block_labels(blocks: list[Block], unit: str, per: str) -> list[str]:
    suffix = {"period": "", "day": "/day", "month": "/month", "kw": " per kW"}[per]
    if len(blocks) == 1:
        return [""]
    labels = []
    lower: Decimal | None = None
    for i, b in enumerate(blocks):
        if i == 0:
            labels.append(f"first {_fmt_q(b.upto or 0)} {unit}{suffix}")
        elif b.upto is None:
            labels.append(f"over {_fmt_q(lower or 0)} {unit}{suffix}")
        else:
            labels.append(f"next {_fmt_q(b.upto - (lower or 0))} {unit}{suffix}")
        lower = b.upto
    return labels


def _split_blocks(q: np.ndarray, limits: list[np.ndarray]) -> list[np.ndarray]:
    """Quantity in each block; limits are cumulative upper bounds (one fewer
    than blocks). Negative totals stay in the first block."""
    out = []
    lower: np.ndarray | int = 0
    for i in range(len(limits) + 1):
        if i < len(limits):
            upper = limits[i]
            part = np.clip(q - lower, 0, None)
            part = np.minimum(part, np.maximum(upper - lower, 0))
        else:
            part = np.clip(q - lower, 0, None)
        if i == 0:
            part = np.where(q < 0, q, part)
        out.append(part)
        lower = limits[i] if i < len(limits) else lower
    return out


class _Builder:
    def __init__(self, tariff: Tariff, period: Period, parts: list[Part], measures: _Measures,
                 services: Sequence[ServiceInfo], regular_days: int | None):
        self.tariff = tariff
        self.period = period
        self.parts = parts
        self.m = measures
        self.M = measures.meters
        self.services = services
        self.bill_days = regular_days or period.days
        self.lines: list[LineBatch] = []
        self._demand_cache: dict[Any, Any] = {}
        self._peak: np.ndarray | None = None

    # -- helpers
    def tag(self, part: Part) -> str:
        if len(self.parts) == 1:
            return ""
        return f" ({part.period.start.isoformat()} to {part.period.end.isoformat()})"

    def add(self, kind: str, description: str, unit: str, comp: str, q: np.ndarray, r: np.ndarray | int,
            part: Part, keep_zero: bool = False, tou: str | None = None, block: int | None = None) -> LineBatch:
        q = np.asarray(q)
        rate = _full(self.M, r) if isinstance(r, int) else np.asarray(r)
        line = LineBatch(kind, description, unit, comp, q, rate, _amount(q, rate), part.index, keep_zero, tou, block)
        self.lines.append(line)
        return line

    def tou_label(self, name: str) -> str:
        return self.tariff.tou_period(name).description or name

    def peak(self) -> np.ndarray:
        if self._peak is None:
            self._peak = self.m.demand(self.parts, None, None)
        return self._peak

    # -- components
    def fixed(self, comp: FixedCharge, part: Part) -> None:
        M = self.M
        if comp.amount is not None:
            rate_dec = [comp.amount] * M
        else:
            assert comp.amounts is not None and comp.amounts_by is not None
            rate_dec = []
            for i, svc in enumerate(self.services):
                key = getattr(svc, comp.amounts_by)
                if key is None:
                    raise RatingError(
                        f"{comp.name}: the charge depends on {comp.amounts_by} but meter {i} has none; "
                        f"known: {sorted(comp.amounts)}"
                    )
                if str(key) not in comp.amounts:
                    raise RatingError(
                        f"{comp.name}: no amount for {comp.amounts_by} {key!r}; known: {sorted(comp.amounts)}"
                    )
                rate_dec.append(comp.amounts[str(key)])
        sign = -1 if comp.kind == "credit" else 1
        mult = np.ones(M, dtype=np.int64)
        if comp.multiply_by is not None:
            mult = np.array([getattr(s, comp.multiply_by) for s in self.services], dtype=np.int64)
        if comp.amount is not None:
            rates = _full(M, sign * abs(_scale_decimal(comp.amount, SCALE_R)))
        else:
            by_value = {r: sign * abs(_scale_decimal(r, SCALE_R)) for r in set(rate_dec)}
            rates = np.array([by_value[r] for r in rate_dec], dtype=np.int64)
        label = comp.description or comp.name
        mult_label = {"meters": " per meter", "dwelling_units": " per dwelling unit", None: ""}[comp.multiply_by]
        if comp.per == "day":
            q = mult * part.period.days * SCALE_Q
            self.add(comp.kind, f"{label}{mult_label}{self.tag(part)}", "days", comp.name, q, rates, part)
            return
        if comp.per == "month":
            frac = _month_fraction(part.period)
            whole = frac.denominator == 1
            if comp.proration == "thirty_day" and not whole:
                per_day = [Decimal(r) / 30 for r in rate_dec]
                if comp.round_daily:
                    per_day = [d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for d in per_day]
                by_day = {d: sign * abs(_scale_decimal(d, SCALE_R)) for d in set(per_day)}
                rates = np.array([by_day[d] for d in per_day], dtype=np.int64)
                q = mult * part.period.days * SCALE_Q
                self.add(comp.kind, f"{label}{mult_label}, {part.period.days} of 30 days{self.tag(part)}", "days",
                         comp.name, q, rates, part)
                return
            q = mult * self.part_quantity("month", part)
            self.add(comp.kind, f"{label}{mult_label}{self.tag(part)}", "months", comp.name, q, rates, part)
            return
        # per bill
        q = mult * self.part_quantity("bill", part)
        self.add(comp.kind, f"{label}{mult_label}{self.tag(part)}", "bills", comp.name, q, rates, part)

    def part_quantity(self, basis: str, part: Part) -> int:
        """Months (calendar fraction) or bills (days / regular days) of a part,
        at 4 places, shared among the parts by largest remainder so that the
        parts add up to the whole period's quantity."""
        key = ("fraction", basis)
        if key not in self._demand_cache:
            if basis == "month":
                exact = [_month_fraction(p.period) for p in self.parts]
            else:
                exact = [Fraction(p.period.days, self.bill_days) for p in self.parts]
            total = _scale_decimal(sum(exact, Fraction(0)), SCALE_Q)
            scaled = [f * SCALE_Q for f in exact]
            floors = [int(x.numerator // x.denominator) for x in scaled]
            leftover = total - sum(floors)
            order = sorted(range(len(scaled)), key=lambda i: (-(scaled[i] - floors[i]), i))
            for i in order[: max(leftover, 0)]:
                floors[i] += 1
            self._demand_cache[key] = floors
        return int(self._demand_cache[key][part.index])

    def block_limits(self, blocks: list[Block], per: str, part: Part) -> list[np.ndarray]:
        limits = []
        for b in blocks[:-1]:
            assert b.upto is not None
            if per == "period":
                v = _scale_decimal(Fraction(b.upto) * Fraction(part.period.days, self.bill_days), SCALE_Q)
                limits.append(_full(self.M, v))
            elif per == "day":
                limits.append(_full(self.M, _scale_decimal(b.upto * part.period.days, SCALE_Q)))
            elif per == "month":
                v = _scale_decimal(Fraction(b.upto) * _month_fraction(part.period), SCALE_Q)
                limits.append(_full(self.M, v))
            else:  # per kW of the period's peak demand
                up = _scale_decimal(b.upto, SCALE_Q)
                limits.append(_div_round(_mul(self.peak(), np.int64(up)), SCALE_Q))
        return limits

    def energy(self, comp: EnergyCharge, part: Part) -> None:
        factor = _unit_factor(self.tariff, self.m.unit, comp.unit)
        label = comp.description or comp.name
        unit = comp.unit
        if comp.tou is None:
            assert comp.blocks is not None
            q = _convert(self.m.energy(part, None)[None], factor)
            if comp.quantity != "usage":
                q = self._winter(comp, part, q)
            labels = _block_labels(comp.blocks, unit, comp.block_limit_per)
            pieces = _split_blocks(q, self.block_limits(comp.blocks, comp.block_limit_per, part))
            for b, (block, piece, lab) in enumerate(zip(comp.blocks, pieces, labels, strict=True)):
                desc = f"{label}{', ' + lab if lab else ''}{self.tag(part)}"
                self.add("energy", desc, unit, comp.name, piece, _scale_decimal(block.rate, SCALE_R), part,
                         keep_zero=(b == 0), block=b)
            return
        names = list(comp.tou)
        by_period = {k: _convert(v, factor) for k, v in self.m.energy(part, names).items()}
        if comp.tier_basis == "period" or all(len(b) == 1 for b in comp.tou.values()):
            for t in names:
                blocks = comp.tou[t]
                labels = _block_labels(blocks, unit, comp.block_limit_per)
                pieces = _split_blocks(by_period[t], self.block_limits(blocks, comp.block_limit_per, part))
                for b, (block, piece, lab) in enumerate(zip(blocks, pieces, labels, strict=True)):
                    desc = f"{label}, {self.tou_label(t)}{', ' + lab if lab else ''}{self.tag(part)}"
                    self.add("energy", desc, unit, comp.name, piece, _scale_decimal(block.rate, SCALE_R), part,
                             keep_zero=(b == 0), tou=t, block=b)
            return
        # tier_basis total: limits on the total, each block shared by use
        first = comp.tou[names[0]]
        total = sum((by_period[t] for t in names), np.zeros(self.M, dtype=np.int64))
        tiers = _split_blocks(total, self.block_limits(first, comp.block_limit_per, part))
        labels = _block_labels(first, unit, comp.block_limit_per)
        weights = [np.clip(by_period[t], 0, None) for t in names]
        for b, tier_total in enumerate(tiers):
            shares = _allocate_int(tier_total, weights)
            for t, share in zip(names, shares, strict=True):
                lab = labels[b]
                desc = f"{label}, {self.tou_label(t)}{', ' + lab if lab else ''}{self.tag(part)}"
                self.add("energy", desc, unit, comp.name, share, _scale_decimal(comp.tou[t][b].rate, SCALE_R), part,
                         keep_zero=(b == 0), tou=t, block=b)

    def _winter(self, comp: EnergyCharge, part: Part, usage_q: np.ndarray) -> np.ndarray:
        values = []
        for i, svc in enumerate(self.services):
            if svc.winter_average_daily is None:
                raise RatingError(f"{comp.name}: billed on winter average, but meter {i} has no winter average")
            values.append(_scale_decimal(svc.winter_average_daily * part.period.days, SCALE_Q))
        wa = np.array(values, dtype=np.int64)
        if comp.quantity == "winter_average":
            return wa
        return np.minimum(wa, usage_q)

    def demand(self, comp: DemandCharge, part: Part) -> None:
        key = (comp.name, comp.window, comp.interval_minutes)
        if key not in self._demand_cache:
            same = [p for p in self.parts if any(c.name == comp.name and _applies(c, p) for c in p.version.components)]
            measured = self.m.demand(same, comp.window, comp.interval_minutes)
            billing = measured
            if comp.ratchet is not None:
                billing = np.maximum(billing, self._ratchet(comp))
            if comp.minimum_kw is not None:
                billing = np.maximum(billing, _scale_decimal(comp.minimum_kw, SCALE_Q))
            self._demand_cache[key] = billing
        billing = self._demand_cache[key]
        label = comp.description or comp.name
        labels = _block_labels(comp.blocks, "kW", "period")
        limits = [_full(self.M, _scale_decimal(b.upto or 0, SCALE_Q)) for b in comp.blocks[:-1]]
        pieces = _split_blocks(billing, limits)
        share = Fraction(part.period.days, self.period.days)
        for b, (block, piece, lab) in enumerate(zip(comp.blocks, pieces, labels, strict=True)):
            q = piece if share == 1 else _div_round(_mul(piece, np.int64(share.numerator)), share.denominator)
            days = "" if share == 1 else f", {part.period.days}/{self.period.days} of the period"
            window = f" ({comp.window})" if comp.window and comp.description is None else ""
            desc = f"{label}{window}{', ' + lab if lab else ''}{days}{self.tag(part)}"
            self.add("demand", desc, "kW", comp.name, q, _scale_decimal(block.rate, SCALE_R), part, keep_zero=(b == 0),
                     tou=comp.window, block=b)

    def _ratchet(self, comp: DemandCharge) -> np.ndarray:
        assert comp.ratchet is not None
        values = []
        for svc in self.services:
            hist = list(svc.demand_history_kw)[-comp.ratchet.months :]
            top = max(hist) if hist else Decimal(0)
            values.append(_scale_decimal(top * comp.ratchet.percent / 100, SCALE_Q))
        return np.array(values, dtype=np.int64)

    def minimum(self) -> None:
        last = self.parts[-1]
        comps: list[tuple[Part, MinimumCharge]] = []
        for part in self.parts:
            for comp in part.version.components:
                if isinstance(comp, MinimumCharge) and _applies(comp, part):
                    comps.append((part, comp))
        if not comps:
            return
        floor = np.zeros(self.M, dtype=np.int64)
        pieces: list[str] = []
        for part, comp in comps:
            amount = Decimal(comp.amount)
            if comp.per == "day":
                base = amount * part.period.days
                pieces.append(f"${_fmt_rate(amount)}/day x {part.period.days} days")
            elif comp.per == "month":
                base = amount * Decimal(_month_fraction(part.period).numerator) / Decimal(
                    _month_fraction(part.period).denominator
                )
                pieces.append(f"${_fmt_rate(amount)}/month")
            else:
                base = amount * part.period.days / self.bill_days
                pieces.append(f"${_fmt_rate(amount)}/bill")
            cents = np.full(self.M, _scale_decimal(base, 100), dtype=np.int64)
            if comp.connected_load is not None:
                cl = comp.connected_load
                kw = []
                for i, svc in enumerate(self.services):
                    if svc.connected_load_kw is None:
                        raise RatingError(f"{comp.name}: needs the connected load (kW) of meter {i}")
                    kw.append(max(Decimal(0), svc.connected_load_kw - cl.over_kw))
                mult = {"day": Decimal(part.period.days), "month": Decimal(1), "bill": Decimal(1)}[cl.per]
                if cl.per == "month":
                    mf = _month_fraction(part.period)
                    mult = Decimal(mf.numerator) / Decimal(mf.denominator)
                cents = cents + np.array([_scale_decimal(k * cl.rate * mult, 100) for k in kw], dtype=np.int64)
                pieces.append(f"${_fmt_rate(cl.rate)}/kW/{cl.per} over {_fmt_q(cl.over_kw)} kW connected load")
            floor = floor + cents
        kinds = set(comps[-1][1].compare_to)
        regular = np.zeros(self.M, dtype=np.int64)
        for line in self.lines:
            if line.kind in kinds:
                regular = regular + line.amount
        shortfall = np.maximum(np.asarray(floor - regular, dtype=np.int64), 0)
        name = comps[-1][1].description or comps[-1][1].name
        desc = f"{name} (minimum {' + '.join(pieces)} exceeds regular charges)"
        self.add("minimum", desc, "bill", comps[-1][1].name, _full(self.M, SCALE_Q), shortfall * (SCALE_R // 100), last)

    def rider(self, comp: Rider, part: Part) -> None:
        label = comp.description or comp.name
        sign = -1 if comp.kind == "credit" else 1
        if comp.per_unit is not None:
            factor = _unit_factor(self.tariff, self.m.unit, comp.unit)
            q = _convert(self.m.energy(part, None)[None], factor)
            r = sign * abs(_scale_decimal(comp.per_unit, SCALE_R))
            self.add(comp.kind, f"{label}{self.tag(part)}", comp.unit, comp.name, q, r, part)
            return
        assert comp.percent is not None
        pct = Decimal(comp.percent) / 100
        rate = pct / (1 - pct) if comp.gross_up else pct
        r = sign * abs(_scale_decimal(rate, SCALE_R))
        base = np.zeros(self.M, dtype=np.int64)
        selectors = set(comp.of)
        for line in self.lines:
            if line.part != part.index and not (line.kind == "minimum" and part is self.parts[-1]):
                continue
            if "bill" in selectors or line.kind in selectors or line.component in selectors:
                base = base + line.amount
        q = np.asarray(base) * (SCALE_Q // 100)
        what = "bill" if "bill" in selectors else ", ".join(comp.of)
        gross = " (gross-up)" if comp.gross_up else ""
        desc = f"{label}, {_fmt_q(comp.percent)}% of {what}{gross}{self.tag(part)}"
        self.add(comp.kind, desc, "$", comp.name, q, r, part)

    def build(self) -> BatchBill:
        for part in self.parts:
            for comp in part.version.components:
                if not _applies(comp, part):
                    continue
                if isinstance(comp, FixedCharge):
                    self.fixed(comp, part)
                elif isinstance(comp, EnergyCharge):
                    self.energy(comp, part)
                elif isinstance(comp, DemandCharge):
                    self.demand(comp, part)
        self.minimum()
        for part in self.parts:
            for comp in part.version.components:
                if isinstance(comp, Rider) and _applies(comp, part):
                    self.rider(comp, part)
        return BatchBill(self.period, self.lines, self.M)


# --------------------------------------------------------------------------- public API


def _services(services: ServiceInfo | Sequence[ServiceInfo] | None, m: int) -> list[ServiceInfo]:
    if services is None:
        return [ServiceInfo()] * m
    if isinstance(services, ServiceInfo):
        return [services] * m
    services = list(services)
    if len(services) != m:
        raise RatingError(f"{len(services)} service records for {m} meters")
    return services


def rate_intervals(
    tariff: Tariff,
    usage: IntervalUsage,
    periods: Sequence[Period],
    *,
    services: ServiceInfo | Sequence[ServiceInfo] | None = None,
    regular_days: int | None = None,
    chunk_meters: int = 512,
) -> list[BatchBill]:
    """Rate every meter of ``usage`` for each period (vectorized).

    Meters are processed in chunks of ``chunk_meters`` rows so the scaled
    working copy stays in cache; results are concatenated per line."""
    for tou in tariff.tou_periods:
        for window in tou.windows:
            for lo, hi in window.minute_range():
                if lo % usage.interval_minutes or hi % usage.interval_minutes:
                    raise RatingError(
                        f"TOU period {tou.name!r} has a window boundary at {lo // 60:02d}:{lo % 60:02d}-"
                        f"{hi // 60:02d}:{hi % 60:02d} that splits {usage.interval_minutes}-minute intervals"
                    )
    cal, masks = calendar_for(tariff, usage.epoch, usage.tz)
    svc = _services(services, usage.meters)
    out = []
    chunk = max(1, int(chunk_meters))
    for period in periods:
        parts = plan_parts(tariff, period)
        pieces = []
        for lo in range(0, usage.meters, chunk):
            hi = min(usage.meters, lo + chunk)
            dk = usage.demand_kw[lo:hi] if usage.demand_kw is not None else None
            measures = _IntervalMeasures(tariff, usage, usage.values[lo:hi], dk, cal, masks, period, parts)
            pieces.append(_Builder(tariff, period, parts, measures, svc[lo:hi], regular_days).build())
        out.append(_concat(pieces))
    return out


def _concat(pieces: list[BatchBill]) -> BatchBill:
    if len(pieces) == 1:
        return pieces[0]
    first = pieces[0]
    lines = []
    for j, line in enumerate(first.lines):
        parts = [p.lines[j] for p in pieces]
        if any(p.description != line.description or p.kind != line.kind for p in parts):
            raise RatingError("internal: meter chunks produced different bill structures")
        lines.append(
            LineBatch(
                line.kind, line.description, line.unit, line.component,
                np.concatenate([p.quantity for p in parts]),
                np.concatenate([p.rate for p in parts]),
                np.concatenate([p.amount for p in parts]),
                line.part, line.keep_zero, line.tou, line.block,
            )
        )
    return BatchBill(first.period, lines, sum(p.meters for p in pieces))


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
    if regular_days is not None and regular_days <= 0:
        raise RatingError("regular_days must be positive")
    if isinstance(usage, IntervalUsage):
        if usage.meters != 1:
            raise RatingError("rate() takes one meter; use rate_intervals() for many")
        return rate_intervals(tariff, usage, [period], services=service, regular_days=regular_days)[0].bill(0)
    parts = plan_parts(tariff, period)
    svc = _services(service, 1)
    measures = _RegisterMeasures(usage, parts, period)
    return _Builder(tariff, period, parts, measures, svc, regular_days).build().bill(0)


def rate_many(tariff: Tariff, usage: IntervalUsage, periods: Sequence[Period], **kw: Any) -> list[list[Bill]]:
    """Materialised bills: result[meter][period]."""
    batches = rate_intervals(tariff, usage, periods, **kw)
    return [[b.bill(i) for b in batches] for i in range(usage.meters)]


def winter_average_daily(reads: Sequence[tuple[Period, Decimal]]) -> Decimal:
    """Average use per day over winter reads (total use / total days), 6 places."""
    if not reads:
        raise RatingError("no winter reads to average")
    total = sum((Decimal(q) for _, q in reads), Decimal(0))
    days = sum(p.days for p, _ in reads)
    return (total / days).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


__all__ = [
    "Bill",
    "BillLine",
    "BatchBill",
    "IntervalUsage",
    "RatingError",
    "RegisterUsage",
    "ServiceInfo",
    "plan_parts",
    "rate",
    "rate_intervals",
    "rate_many",
    "tou_masks",
    "winter_average_daily",
]
