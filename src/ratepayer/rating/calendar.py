"""Local wall-clock fields for a shared axis of interval start instants.

Interval timestamps are kept as UTC epoch seconds (int64). Local fields
(date, month, weekday, minute of day, holiday) are derived once per axis with
the zone's real offsets, so DST days have 23 or 25 hours of intervals and a
wall-clock window such as 07:00-11:00 follows the clock, not UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

EPOCH = date(1970, 1, 1)


class TimestampError(ValueError):
    """A wall-clock time that does not exist, or a badly ordered axis."""


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception as exc:
        raise TimestampError(f"unknown time zone {name!r}") from exc


def local_to_epoch(values: Sequence[datetime], tz: str) -> np.ndarray:
    """Wall-clock datetimes (naive = local time in ``tz``; aware = converted)
    to UTC epoch seconds. A repeated wall-clock hour at the end of DST is read
    as the first (daylight) occurrence until the series goes back in time,
    then as the second; a wall-clock time skipped by DST is an error."""
    zi = zone(tz)
    out = np.empty(len(values), dtype=np.int64)
    previous_naive: datetime | None = None
    fold = 0
    for i, value in enumerate(values):
        if value.tzinfo is not None:
            out[i] = int(value.timestamp())
            previous_naive = None
            continue
        if previous_naive is not None and value <= previous_naive:
            fold = 1
        elif previous_naive is not None and value - previous_naive > timedelta(hours=3):
            fold = 0
        candidate = value.replace(tzinfo=zi, fold=fold)
        # a time that does not exist maps to a different wall clock on the round trip
        back = datetime.fromtimestamp(candidate.timestamp(), zi).replace(tzinfo=None)
        if back != value:
            raise TimestampError(f"{value.isoformat()} does not exist in {tz} (skipped by daylight saving time)")
        if fold == 1 and candidate.utcoffset() == value.replace(tzinfo=zi, fold=0).utcoffset():
            fold = 0
        out[i] = int(candidate.timestamp())
        previous_naive = value
    if len(out) > 1 and np.any(np.diff(out) <= 0):
        bad = int(np.argmax(np.diff(out) <= 0)) + 1
        raise TimestampError(f"timestamps must increase: row {bad + 1} ({values[bad]}) is not after the one before")
    return out


@dataclass
class LocalCalendar:
    """Local fields for each instant of an axis (all arrays have length N)."""

    epoch: np.ndarray
    tz: str
    day: np.ndarray  # local date as days since 1970-01-01
    minute: np.ndarray  # local minute of day 0..1439
    weekday: np.ndarray  # 0 = Monday
    month: np.ndarray  # 1..12
    holiday: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @classmethod
    def build(cls, epoch: np.ndarray, tz: str, holidays: Iterable[date] = ()) -> LocalCalendar:
        epoch = np.asarray(epoch, dtype=np.int64)
        zi = zone(tz)
        hours = epoch // 3600
        unique_hours, inverse = np.unique(hours, return_inverse=True)
        offsets = np.fromiter(
            (
                int(datetime.fromtimestamp(int(h) * 3600, UTC).astimezone(zi).utcoffset().total_seconds())  # type: ignore[union-attr]
                for h in unique_hours
            ),
            dtype=np.int64,
            count=len(unique_hours),
        )
        local = epoch + offsets[inverse]
        day = local // 86400
        minute = (local % 86400) // 60
        weekday = (day + 3) % 7
        month = (day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12) + 1
        hol_days = np.array(sorted({(d - EPOCH).days for d in holidays}), dtype=np.int64)
        holiday = np.isin(day, hol_days) if len(hol_days) else np.zeros(len(day), dtype=bool)
        return cls(epoch=epoch, tz=tz, day=day, minute=minute, weekday=weekday, month=month, holiday=holiday)

    def __len__(self) -> int:
        return len(self.epoch)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    return EPOCH + timedelta(days=int(n))
