"""Time-of-use masks: which intervals of a timestamp axis fall in each TOU
period of a tariff, on the utility's wall clock, with its holidays.

Masks are computed once per (tariff, axis) and cached, so rating thousands of
meters on one axis looks the calendar up once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from .calendar import LocalCalendar
from .model import Tariff


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
