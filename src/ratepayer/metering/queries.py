"""Read side of metering: what validation, estimation and the bill run read.

* the read policy in force on a day and the class-average usage table;
* ``load_history`` — meters, installations, agreements and reads of many meters or
  service points in a fixed number of queries per 5,000 (``History``), the context
  every read is validated and every estimate is made in;
* ``interval_ranges`` — interval data of many meters over bill periods in one query;
* the console's queries: the exceptions queue and a meter's read history.

Nothing here writes. The usage the bill run asks for (which writes the estimates it
needs) is ``metering.actions.estimation.usage_for_billing``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from ratepayer.customers.models import Meter, MeterInstallation, ServiceAgreement

from . import calculations as calc
from .calculations import quantity
from .models import MISSING, ClassAverageUsage, IntervalDay, ReadException, ReadPolicy, RegisterRead

RT = RegisterRead.ReadType
HISTORY_DAYS = 400  # a year and a season: enough for "same season last year"
IN_CHUNK = 5000  # ids per IN (...) list, well under both databases' parameter limits


# --------------------------------------------------------------------------- read policy


@dataclass(frozen=True)
class Policy:
    high_factor: Decimal = Decimal(3)
    low_factor: Decimal = Decimal("0.25")
    max_days_between_reads: int = 45
    billing_window_days: int = 5
    max_consecutive_estimates: int = 2


def read_policy_on(day: date) -> Policy:
    row = ReadPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if row is None:
        return Policy()
    return Policy(row.high_factor, row.low_factor, row.max_days_between_reads, row.billing_window_days,
                  row.max_consecutive_estimates)


def class_averages() -> dict[tuple[str, str], dict[int, Decimal]]:
    table: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    for service, customer_class, month, daily in ClassAverageUsage.objects.values_list(
            "service", "customer_class", "month", "daily_quantity"):
        table[(service, customer_class)][month] = daily
    return table


def in_chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for i in range(0, len(ids), IN_CHUNK):
        yield ids[i:i + IN_CHUNK]


# --------------------------------------------------------------------------- history context


@dataclass
class ReadRow:
    id: int | None
    meter_id: int
    service_point_id: int | None
    read_date: date
    value: Decimal
    consumption: Decimal
    read_type: str
    status: str
    demand_kw: Decimal | None = None


@dataclass(slots=True)
class Installed:
    """A meter installation as validation and estimation read it (plain values:
    a bill-run chunk loads thousands, and model instances cost 10 µs each)."""

    pk: int
    meter_id: int
    service_point_id: int
    installed_on: date
    removed_on: date | None
    install_read: Decimal


INSTALLED_COLUMNS = ("pk", "meter_id", "service_point_id", "installed_on", "removed_on", "install_read")


@dataclass
class History:
    """What validation and estimation need for a set of meters and service points,
    loaded in a fixed number of queries."""

    meters: dict[int, Meter]
    installations: dict[int, list[Installed]]  # by meter
    agreements: dict[int, list[dict]]  # by service point
    reads_by_meter: dict[int, list[ReadRow]]
    reads_by_point: dict[int, list[ReadRow]]
    policy: Policy
    averages: dict[tuple[str, str], dict[int, Decimal]]
    installations_by_point: dict[int, list[Installed]] = field(default_factory=dict)
    since: date | None = None  # reads on and after this date are loaded

    def add_earlier_reads(self, service_point_ids: Iterable[int], since: date) -> None:
        """Extend the reads of these service points (and their meters) back to
        ``since`` — the bill run loads a short history first and goes further
        back only for the services that need it (one query per 5,000 points)."""
        if self.since is None or since >= self.since:
            return
        touched_meters, touched_points = set(), set()
        for r in _load_reads(set(service_point_ids), set(), since=since, before=self.since):
            self.reads_by_meter.setdefault(r.meter_id, []).append(r)
            touched_meters.add(r.meter_id)
            if r.service_point_id is not None:
                self.reads_by_point.setdefault(r.service_point_id, []).append(r)
                touched_points.add(r.service_point_id)
        for key in touched_meters:
            self.reads_by_meter[key].sort(key=_read_order)
        for key in touched_points:
            self.reads_by_point[key].sort(key=_read_order)

    def meter_at(self, service_point_id: int, day: date) -> Meter | None:
        """The meter installed at a service point on ``day`` (on a change day, the new one)."""
        for inst in self.installations_by_point.get(service_point_id, ()):
            if inst.installed_on <= day and (inst.removed_on is None or day < inst.removed_on):
                return self.meters[inst.meter_id]
        return None

    def installation_on(self, meter_id: int, day: date) -> Installed | None:
        for inst in self.installations.get(meter_id, ()):
            if inst.installed_on <= day and (inst.removed_on is None or day <= inst.removed_on):
                return inst
        return None

    def agreement_on(self, service_point_id: int | None, day: date) -> dict | None:
        for ag in self.agreements.get(service_point_id, ()):
            if ag["start_date"] <= day and (ag["end_date"] is None or day <= ag["end_date"]):
                return ag
        return None

    def last_valid(self, meter_id: int, before: date | None = None) -> ReadRow | None:
        found = None
        for r in self.reads_by_meter.get(meter_id, ()):
            if r.status == "valid" and (before is None or r.read_date < before):
                found = r
        return found

    def last_actual_value(self, meter_id: int) -> Decimal | None:
        found = None
        for r in self.reads_by_meter.get(meter_id, ()):
            if r.status == "valid" and r.read_type != RT.ESTIMATED:
                found = r.value
        return found

    def spans(self, service_point_id: int | None) -> list[calc.Span]:
        """Usage spans at a service point, across meters (meter-in reads start a span)."""
        spans: list[calc.Span] = []
        previous: date | None = None
        for r in self.reads_by_point.get(service_point_id, ()):
            if r.status != "valid":
                continue
            if previous is not None and r.read_type != RT.METER_IN and r.read_date > previous:
                spans.append(calc.Span(previous, r.read_date, r.consumption))
            previous = r.read_date
        return spans

    def expected(self, service_point_id: int | None, start: date, end: date) -> calc.Expected | None:
        ag = self.agreement_on(service_point_id, end) or self.agreement_on(service_point_id, start)
        class_daily = self.averages.get((ag["service"], ag["customer_class"])) if ag else None
        return calc.expected_daily(self.spans(service_point_id), start=start, end=end, class_daily=class_daily)

    def add(self, row: ReadRow) -> None:
        for bucket, key in ((self.reads_by_meter, row.meter_id), (self.reads_by_point, row.service_point_id)):
            rows = bucket.setdefault(key, [])
            rows.append(row)
            if len(rows) > 1 and _read_order(rows[-2]) > _read_order(row):
                rows.sort(key=_read_order)


def load_history(*, meter_ids: Iterable[int] = (), service_point_ids: Iterable[int] = (), since: date,
                 policy_date: date | None = None) -> History:
    """Meters (with their installations), the agreements at their service points and
    the reads since ``since`` — a fixed number of queries per 5,000 meters."""
    meter_ids = set(meter_ids)
    point_ids = set(service_point_ids)
    installations: dict[int, list[Installed]] = defaultdict(list)
    meters: dict[int, Meter] = {}
    seen_installations: set[int] = set()
    for field_name, ids in (("meter_id__among", meter_ids), ("service_point_id__among", set(point_ids))):
        for chunk in in_chunks(list(ids)):
            for row in (MeterInstallation.objects.filter(**{field_name: chunk}).order_by("installed_on", "id")
                        .values_list(*INSTALLED_COLUMNS)):
                if row[0] in seen_installations:
                    continue
                seen_installations.add(row[0])
                inst = Installed(*row)
                installations[inst.meter_id].append(inst)
                point_ids.add(inst.service_point_id)
    for chunk in in_chunks(list(meter_ids | set(installations))):
        meters.update((m.pk, m) for m in Meter.objects.filter(pk__among=chunk))
    for insts in installations.values():
        insts.sort(key=lambda inst: (inst.installed_on, inst.pk))
    agreements: dict[int, list[dict]] = defaultdict(list)
    for chunk in in_chunks(list(point_ids)):
        for ag in ServiceAgreement.objects.filter(service_point_id__among=chunk).values(
                "id", "service_point_id", "start_date", "end_date", "customer_class", "service", "account__number"):
            agreements[ag["service_point_id"]].append(ag)
    by_meter: dict[int, list[ReadRow]] = defaultdict(list)
    by_point: dict[int, list[ReadRow]] = defaultdict(list)
    for r in _load_reads(point_ids, set(meters), since=since):
        by_meter[r.meter_id].append(r)
        if r.service_point_id is not None:
            by_point[r.service_point_id].append(r)
    for rows in list(by_meter.values()) + list(by_point.values()):
        rows.sort(key=_read_order)
    by_point_inst: dict[int, list[Installed]] = defaultdict(list)
    for insts in installations.values():
        for inst in insts:
            by_point_inst[inst.service_point_id].append(inst)
    return History(meters, installations, agreements, by_meter, by_point,
                   read_policy_on(policy_date or timezone.localdate()), class_averages(), by_point_inst, since)


READ_COLUMNS = ("id", "meter_id", "service_point_id", "read_date", "value", "consumption", "read_type", "status",
                "demand_kw")


def _load_reads(point_ids: set[int], meter_ids: set[int], *, since: date, before: date | None = None
                ) -> list[ReadRow]:
    """Reads (not rejected) at these points, and of these meters where they carry
    no point (a meter installed nowhere), from ``since`` up to ``before``."""
    out: list[ReadRow] = []
    seen: set[int] = set()
    for filters, ids in (({"service_point_id__among": None}, point_ids),
                         ({"meter_id__among": None, "service_point_id__isnull": True}, meter_ids)):
        for chunk in in_chunks(list(ids)):
            lookup = {k: (chunk if v is None else v) for k, v in filters.items()}
            qs = RegisterRead.objects.filter(**lookup, read_date__gte=since)
            if before is not None:
                qs = qs.filter(read_date__lt=before)
            for row in qs.exclude(status=RegisterRead.Status.REJECTED).values_list(*READ_COLUMNS):
                if row[0] not in seen:
                    seen.add(row[0])
                    out.append(ReadRow(*row))
    return out


def _read_order(r: ReadRow):
    # on a meter-change day the old meter's out read comes before the new meter's in read
    return (r.read_date, r.read_type != RT.METER_OUT, r.id or 10**18)



# --------------------------------------------------------------------------- interval data


@dataclass(frozen=True)
class IntervalUsage:
    """One meter's intervals for a bill period. ``starts`` are UTC (datetime64[s]);
    ``kwh`` is NaN where an interval is missing; ``gaps`` are (start, end) UTC runs
    of missing intervals, end exclusive."""

    meter_serial: str
    starts: np.ndarray
    kwh: np.ndarray
    interval_seconds: int
    gaps: tuple[tuple[datetime, datetime], ...]

    @property
    def total_kwh(self) -> Decimal:
        return quantity(Decimal(repr(float(np.nansum(self.kwh)))))

    @property
    def peak_kw(self) -> Decimal | None:
        if not len(self.kwh) or np.all(np.isnan(self.kwh)):
            return None
        return quantity(Decimal(repr(float(np.nanmax(self.kwh) * 3600 / self.interval_seconds))))


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day_bounds(first: date, last: date) -> tuple[int, int]:
    """UTC epoch seconds of local midnight starting ``first`` and ending ``last``."""
    zone = local_zone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    return int(start.timestamp()), int(end.timestamp())


def interval_ranges(ranges: Sequence[tuple[int, int, int]]) -> dict[tuple[int, int, int], IntervalUsage]:
    """Intervals for many (meter id, start epoch, end epoch) ranges in ONE query.

    Packed day rows are turned into arrays with numpy; slots never reported are NaN
    and reported as gaps."""
    if not ranges:
        return {}
    meter_ids = {m for m, _, _ in ranges}
    first_day = date(1970, 1, 1) + timedelta(days=min(s for _, s, _ in ranges) // 86400)
    last_day = date(1970, 1, 1) + timedelta(days=(max(e for _, _, e in ranges) - 1) // 86400)
    rows: dict[int, list[tuple[date, int, bytes]]] = {m: [] for m in meter_ids}
    serials: dict[int, str] = {}
    for meter_id, serial, day, seconds, blob in (
            IntervalDay.objects.filter(meter_id__in=meter_ids, day__gte=first_day, day__lte=last_day)
            .order_by("meter_id", "day").values_list("meter_id", "meter__serial_number", "day", "interval_seconds",
                                                      "wh")):
        rows[meter_id].append((day, seconds, bytes(blob)))
        serials[meter_id] = serial
    out: dict[tuple[int, int, int], IntervalUsage] = {}
    for meter_id, start, end in ranges:
        days = rows.get(meter_id) or []
        if not days:
            continue
        seconds = days[-1][1]
        n = (end - start) // seconds
        values = np.full(n, np.nan)
        for day, secs, blob in days:
            if secs != seconds:
                continue
            day_start = (day - date(1970, 1, 1)).days * 86400
            wh = np.frombuffer(blob, dtype="<i4")
            offsets = (day_start + np.arange(len(wh)) * seconds - start) // seconds
            keep = (offsets >= 0) & (offsets < n) & (wh != MISSING)
            values[offsets[keep]] = wh[keep] / 1000.0
        starts = (start + np.arange(n, dtype=np.int64) * seconds).astype("datetime64[s]")
        out[(meter_id, start, end)] = IntervalUsage(serials[meter_id], starts, values, seconds,
                                                    _gaps(values, start, seconds))
    return out


def _gaps(values: np.ndarray, start: int, seconds: int) -> tuple[tuple[datetime, datetime], ...]:
    missing = np.isnan(values).astype(np.int8)
    if not missing.any():
        return ()
    edges = np.diff(np.concatenate(([0], missing, [0])))
    begins = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return tuple((datetime.fromtimestamp(start + int(b) * seconds, UTC), datetime.fromtimestamp(start + int(e) * seconds, UTC))
                 for b, e in zip(begins, ends, strict=True))


# --------------------------------------------------------------------------- console queries


def open_exceptions():
    return (ReadException.objects.filter(status=ReadException.Status.OPEN)
            .select_related("read__meter", "read__service_point__premise", "read__import_file")
            .order_by("read__read_date", "id"))


def exception_counts() -> dict[str, int]:
    return dict(ReadException.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def read_history(meter: Meter, *, limit: int = 36) -> list[RegisterRead]:
    return list(RegisterRead.objects.filter(meter=meter).select_related("exception", "entered_by", "import_file")
                .order_by("-read_date", "-id")[:limit])


def meters_for_account(account) -> list[Meter]:
    return list(Meter.objects.filter(
        Q(installations__service_point__agreements__account=account),
        installations__removed_on__isnull=True).distinct().order_by("serial_number"))


# --------------------------------------------------------------------------- winter average


def winter_average_daily(spans: Iterable[tuple[int, date]], last_day: date) -> dict[tuple[int, date], Decimal]:
    """Average use per day over a winter for each (service point, first day)
    of ``spans``, from the point's valid register reads dated first day ..
    ``last_day`` (one query per 5,000 points): the use between the first and
    the last of those reads (the sum of the later reads' consumption, across
    a meter change) divided by the days between them, to 6 places. The first
    day is the winter's, or the customer's start if later: a new occupant is
    not billed on the previous one's winter. A span with fewer than two read
    dates has no average (a new customer) and is left out."""
    spans = set(spans)
    if not spans:
        return {}
    earliest = min(first for _, first in spans)
    reads: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for chunk in in_chunks(sorted({point for point, _ in spans})):
        for point, day, consumption in (RegisterRead.objects
                                        .filter(service_point_id__in=chunk, status=RegisterRead.Status.VALID,
                                                read_date__gte=earliest, read_date__lte=last_day)
                                        .order_by("service_point_id", "read_date", "id")
                                        .values_list("service_point_id", "read_date", "consumption")):
            reads[point].append((day, consumption))
    out: dict[tuple[int, date], Decimal] = {}
    for point, first in spans:
        rows = [(day, c) for day, c in reads.get(point, ()) if day >= first]
        if not rows or rows[-1][0] <= rows[0][0]:
            continue
        opening, closing = rows[0][0], rows[-1][0]
        use = sum((c for day, c in rows if day > opening), Decimal(0))
        out[(point, first)] = (use / (closing - opening).days).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return out
