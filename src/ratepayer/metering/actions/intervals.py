"""Interval data: importing Green Button XML and interval CSV files, and storing
interval series in packed day rows (one row per meter and day, a little-endian int32
watt-hour per slot, ``MISSING`` where no value came).

A file is parsed whole (``formats.greenbutton``, ``formats.interval_csv``) and refused
whole on any problem; the same file again is refused (sha256 unique). Days already
stored are merged slot by slot: newer values win, slots a file does not mention stay.
"""

from __future__ import annotations

import codecs
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from ratepayer.customers.models import Meter
from ratepayer.formats import greenbutton, interval_csv
from ratepayer.formats.errors import FormatError
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from ..errors import ImportRejected, RowProblem
from ..models import MISSING, IntervalDay, PeriodUsage, ReadImportFile
from ..queries import in_chunks
from .imports import claim_file, problems_of


@dataclass
class _Series:
    meter: Meter
    interval_seconds: int
    starts: list[int] = field(default_factory=list)  # epoch seconds UTC
    wh: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class IntervalImportResult:
    file: ReadImportFile
    meters: int
    intervals: int
    days: int
    periods: int
    gaps: int


def import_intervals(*, user, content: bytes, name: str, meter_serial: str = "") -> IntervalImportResult:
    """Import interval data: Green Button ESPI XML (for one meter, ``meter_serial``) or
    CSV ``meter,start,kwh``. Whole file or nothing; the same file twice is refused.
    Days already stored are merged slot by slot (newer values win)."""
    permissions.require(user, "reads.manage", "import interval data")
    problems: list[RowProblem] = []
    rows: list[tuple[str, int, int, int | None]] = []
    periods: list[tuple[str, int, int, Decimal, str, Decimal | None]] = []
    is_xml = content.removeprefix(codecs.BOM_UTF8).lstrip()[:1] == b"<"  # a byte-order mark is harmless
    if is_xml:
        if not meter_serial:
            raise ImportRejected([RowProblem(name, None, "meter", "a Green Button file does not name the meter: "
                                                                  "give the meter's serial number")])
        try:
            data = greenbutton.parse(content)
        except FormatError as exc:
            raise ImportRejected([RowProblem(name, exc.line, exc.field, exc.message)]) from None
        for mr in data.meter_readings:
            rt = mr.reading_type
            if rt.flow_direction not in (None, 1):
                continue  # received energy (net metering export) is not billed usage here
            for r in mr.readings:
                if r.duration > 86400 or 86400 % max(r.duration, 1):
                    periods.append((meter_serial, r.start, r.duration, r.value, mr.unit or "", r.cost))
                elif mr.unit != "Wh":
                    problems.append(RowProblem(name, None, "uom", f"interval readings in {mr.unit or 'no unit'} "
                                                                  "cannot be stored; only Wh interval data"))
                    break
                else:
                    rows.append((meter_serial, r.start, int(r.value.to_integral_value()), r.duration))
        if not rows and not periods and not problems:
            problems.append(RowProblem(name, None, "IntervalBlock", "the file holds no readings"))
    else:
        parsed, report = interval_csv.parse_interval_csv(content, name=name, zone=ZoneInfo(settings.TIME_ZONE))
        rows = [(r.meter_serial, r.start, r.wh, r.seconds) for r in parsed]
        problems = problems_of(report, name)
    if problems:
        raise ImportRejected(problems)

    serials = {r[0] for r in rows} | {p[0] for p in periods}
    meters = {m.serial_number: m for m in Meter.objects.filter(serial_number__in=serials)}
    for serial in sorted(serials - set(meters)):
        problems.append(RowProblem(name, None, "meter", f"no meter with serial number {serial!r}"))
    if problems:
        raise ImportRejected(problems)

    series: dict[int, _Series] = {}
    grouped: dict[str, list[tuple[int, int, int | None]]] = defaultdict(list)
    for serial, start, wh, seconds in rows:
        grouped[serial].append((start, wh, seconds))
    for serial, items in grouped.items():
        items.sort()
        seconds = next((s for _, _, s in items if s), None)
        if seconds is None:
            diffs = np.diff(np.array([s for s, _, _ in items], dtype=np.int64))
            diffs = diffs[diffs > 0]
            seconds = int(np.min(diffs)) if len(diffs) else 3600
        if 86400 % seconds:
            problems.append(RowProblem(name, None, "start", f"meter {serial}: {seconds}-second intervals do not divide "
                                                            "a day"))
            continue
        s = _Series(meters[serial], seconds)
        last = None
        for start, wh, _ in items:
            if start % seconds:
                problems.append(RowProblem(name, None, "start", f"meter {serial}: interval at "
                                           f"{datetime.fromtimestamp(start, UTC):%Y-%m-%d %H:%M}Z is not on a "
                                           f"{seconds}-second boundary"))
                break
            if start == last:
                problems.append(RowProblem(name, None, "start", f"meter {serial}: two values for "
                                           f"{datetime.fromtimestamp(start, UTC):%Y-%m-%d %H:%M}Z"))
                break
            if not (-(2**31) < wh < 2**31):
                problems.append(RowProblem(name, None, "kwh", f"meter {serial}: value {wh} Wh out of range"))
                break
            last = start
            s.starts.append(start)
            s.wh.append(wh)
        series[s.meter.pk] = s
    if problems:
        raise ImportRejected(problems)

    with transaction.atomic():
        file = claim_file(content, name=name, kind=ReadImportFile.Kind.INTERVAL, user=user)
        days_written, gaps = _store_interval_series(list(series.values()), import_file=file)
        if periods:
            PeriodUsage.objects.bulk_create(
                [PeriodUsage(meter=meters[serial], start=datetime.fromtimestamp(start, UTC), seconds=seconds,
                             quantity=value, unit=unit, cost=cost, import_file=file)
                 for serial, start, seconds, value, unit, cost in periods],
                update_conflicts=True, unique_fields=["meter", "start", "unit"],
                update_fields=["seconds", "quantity", "cost", "import_file"])
        intervals = sum(len(s.starts) for s in series.values())
        ReadImportFile.objects.filter(pk=file.pk).update(rows=intervals + len(periods), reads_created=intervals)
        file.refresh_from_db()
        audit.record(AuditAction.INTERVALS_IMPORTED, user_id=user.pk, obj=file,
                     summary=f"{name}: {intervals} intervals over {days_written} meter-days for {len(series) or 1} "
                             f"meter(s), {len(periods)} billing periods, {gaps} gaps")
    return IntervalImportResult(file, len(series) or len({p[0] for p in periods}), intervals, days_written,
                                len(periods), gaps)


def _store_interval_series(series: list[_Series], *, import_file: ReadImportFile | None) -> tuple[int, int]:
    """Upsert packed day rows for each series (one read + one write query per chunk)."""
    if not series:
        return 0, 0
    day_values: dict[tuple[int, date], np.ndarray] = {}
    seconds_of: dict[int, int] = {}
    for s in series:
        starts = np.asarray(s.starts, dtype=np.int64)
        values = np.asarray(s.wh, dtype=np.int64)
        order = np.argsort(starts, kind="stable")
        starts, values = starts[order], values[order]
        day_index = starts // 86400
        slot = (starts % 86400) // s.interval_seconds
        slots = 86400 // s.interval_seconds
        seconds_of[s.meter.pk] = s.interval_seconds
        days = np.unique(day_index)
        grid = np.full((len(days), slots), MISSING, dtype="<i4")
        grid[np.searchsorted(days, day_index), slot] = values
        for d, row in zip(days.tolist(), grid, strict=True):
            day_values[(s.meter.pk, date(1970, 1, 1) + timedelta(days=d))] = row
    meter_ids = sorted(seconds_of)
    days = [d for _, d in day_values]
    existing = [row for chunk in in_chunks(meter_ids)
                for row in IntervalDay.objects.filter(meter_id__in=chunk, day__gte=min(days), day__lte=max(days))
                .values_list("meter_id", "day", "interval_seconds", "wh")]
    problems: list[RowProblem] = []
    for meter_id, day, seconds, blob in existing:
        key = (meter_id, day)
        if key not in day_values:
            continue
        if seconds != seconds_of[meter_id]:
            problems.append(RowProblem(import_file.name if import_file else "", None, "start",
                                       f"meter {meter_id} already has {seconds}-second intervals on {day}; "
                                       f"this file has {seconds_of[meter_id]}-second intervals"))
            continue
        old = np.frombuffer(bytes(blob), dtype="<i4")
        new = day_values[key]
        day_values[key] = np.where(new == MISSING, old, new).astype("<i4")
    if problems:
        raise ImportRejected(problems)
    # one upsert statement executed for all rows: the ORM's per-object bulk_create costs
    # more than the database does at a year of days for hundreds of meters
    table = IntervalDay._meta.db_table
    file_id = import_file.pk if import_file else None
    rows = [(m, d, seconds_of[m], arr.tobytes(), file_id) for (m, d), arr in day_values.items()]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (meter_id, day, interval_seconds, wh, import_file_id) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (meter_id, day) DO UPDATE SET interval_seconds = excluded.interval_seconds, "
            "wh = excluded.wh, import_file_id = excluded.import_file_id", rows)
    gaps = sum(int(np.count_nonzero(arr == MISSING)) for arr in day_values.values())
    return len(rows), gaps


def load_intervals_bulk(series: Iterable[tuple[Meter, int, Sequence[int], Sequence[int]]]) -> int:
    """Store interval series (meter, interval seconds, UTC epoch starts, Wh values) in
    packed day rows — for the demo builder. Returns meter-days written."""
    with transaction.atomic():
        days, _ = _store_interval_series([_Series(m, secs, list(starts), list(wh)) for m, secs, starts, wh in series],
                                         import_file=None)
    return days
