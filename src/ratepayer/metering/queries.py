"""Read-side of metering: usage for the bill run, interval ranges, the exceptions
queue and a meter's read history.

``usage_for_billing`` is the interface agreed with billing (see the dataclasses
below). It runs a fixed number of queries per call whatever the number of
requests: installations, agreements, reads since a year before the earliest
period, policy, class averages, interval days, and one bulk insert for the
estimated reads it writes when a closing read is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ratepayer.customers.models import Meter

from . import actions
from .calculations import quantity
from .models import MISSING, IntervalDay, ReadException, RegisterRead

RT = RegisterRead.ReadType
BILLED_READ_TYPE = {RT.ACTUAL: "actual", RT.ESTIMATED: "estimated", RT.CUSTOMER: "customer", RT.FINAL: "final",
                    RT.METER_OUT: "actual", RT.METER_IN: "actual"}


@dataclass(frozen=True)
class UsageRequest:
    agreement_id: int
    service_point_id: int
    billed_through: date | None  # last day covered by the previous bill (None: first bill)
    start_date: date  # agreement start — usage never before this
    end_date: date | None  # agreement end (final bill) — usage never after this
    period_end: date  # the cycle's scheduled read date for this bill run


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


@dataclass(frozen=True)
class BillingUsage:
    agreement_id: int
    period_start: date  # first day billed
    period_end: date  # date of the closing read
    quantity: Decimal  # after multiplier and rollover, 4 places
    unit: str  # "kWh" | "CCF" | "kgal"
    demand_kw: Decimal | None
    read_type: str  # "actual" | "estimated" | "customer" | "final"
    consecutive_estimates: int  # including this one if estimated
    opening_read_id: int | None
    closing_read_id: int | None
    meter_serials: tuple[str, ...]
    intervals: IntervalUsage | None = None


@dataclass(frozen=True)
class UsageProblem:
    """``reason`` is ``code: plain words`` for the review queue (``code`` alone is
    one of no_read, read_exception_open, meter_missing, estimate_limit,
    interval_gaps)."""

    agreement_id: int
    reason: str

    @property
    def code(self) -> str:
        return self.reason.split(":", 1)[0]


def _problem(agreement_id: int, code: str, words: str) -> UsageProblem:
    return UsageProblem(agreement_id, f"{code}: {words}")


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day_bounds(first: date, last: date) -> tuple[int, int]:
    """UTC epoch seconds of local midnight starting ``first`` and ending ``last``."""
    zone = _zone()
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


def usage_for_billing(requests: Sequence[UsageRequest]) -> dict[int, BillingUsage | UsageProblem]:
    """Usage for each agreement of a bill-run chunk (see the module docstring).

    The closing read is the latest valid read within the policy's billing window
    of the scheduled date (never after the agreement's end); quantity is the sum of
    the consumption of the reads after the last billed read up to it, across meters
    when a meter was changed. With no closing read, an estimated read is written
    (same season last year → recent history → class average) unless the policy's
    limit on consecutive estimates is reached, the service is ending (a final read
    is needed), or the scheduled date has not come yet. An open read exception in
    the period holds the bill. Running it again finds the estimates it wrote, so a
    resumed bill run estimates nothing twice.

    Most services have a closing read and need only the reads since a little
    before their last bill (the opening read, the estimates in a row before the
    closing one), so reads are loaded for ``SHORT_HISTORY_DAYS`` first; the
    services that must be estimated, or whose opening read or last actual read
    lies further back, are done again with reads back to a year and a season.
    """
    if not requests:
        return {}
    today = timezone.localdate()
    earliest = min((r.billed_through or r.start_date) for r in requests)
    hist = actions.load_history(service_point_ids={r.service_point_id for r in requests},
                                since=earliest - timedelta(days=SHORT_HISTORY_DAYS),
                                policy_date=max(r.period_end for r in requests))
    out: dict[int, BillingUsage | UsageProblem] = {}
    again = _usage(requests, hist, out, today, complete=False)
    if again:
        hist.add_earlier_reads({r.service_point_id for r in again}, earliest - timedelta(days=actions.HISTORY_DAYS))
        _usage(again, hist, out, today, complete=True)
    return out


SHORT_HISTORY_DAYS = 100  # before the earliest last-billed day: about three reads back


def _usage(requests: Sequence[UsageRequest], hist: actions.History, out: dict, today: date, *,
           complete: bool) -> list[UsageRequest]:
    """Usage of ``requests`` into ``out``. With ``complete=False`` (a short history)
    the requests it cannot settle from the reads loaded are returned instead."""
    again: list[UsageRequest] = []
    window = timedelta(days=hist.policy.billing_window_days)
    plans: list[tuple[UsageRequest, date, date, date]] = []  # request, period_start, boundary, target
    to_estimate: list[tuple[UsageRequest, date, date, date, RegisterRead]] = []
    for r in requests:
        reads = hist.reads_by_point.get(r.service_point_id, [])
        valid = [x for x in reads if x.status == RegisterRead.Status.VALID]
        period_start = r.billed_through + timedelta(days=1) if r.billed_through else r.start_date
        if r.billed_through is not None:
            boundary = r.billed_through
        elif any(x.read_date == r.start_date for x in valid):
            boundary = r.start_date  # a move-in read on the first day opens the period
        else:
            boundary = r.start_date - timedelta(days=1)
        target = min(r.period_end, r.end_date) if r.end_date else r.period_end
        latest = min(target + window, r.end_date) if r.end_date else target + window
        held = [x for x in reads if x.status == RegisterRead.Status.EXCEPTION and boundary < x.read_date <= latest]
        if held:
            out[r.agreement_id] = _problem(r.agreement_id, "read_exception_open",
                                           f"the read of {held[0].read_date} is held in the read exceptions queue")
            continue
        closing = [x for x in valid if max(boundary, target - window) < x.read_date <= latest]
        if closing:
            plans.append((r, period_start, boundary, closing[-1].read_date))
            continue
        if not complete:
            again.append(r)  # estimating looks a year back
            continue
        meter = hist.meter_at(r.service_point_id, target)
        if meter is None:
            out[r.agreement_id] = _problem(r.agreement_id, "meter_missing", f"no meter is installed there on {target}")
            continue
        if meter.kind == "interval":
            plans.append((r, period_start, boundary, target))  # billed from interval data below
            continue
        if r.end_date is not None and r.end_date <= r.period_end:
            out[r.agreement_id] = _problem(r.agreement_id, "no_read", f"service ends {r.end_date}: a final read is "
                                                                      "needed and final bills are not estimated")
            continue
        if target > today:
            out[r.agreement_id] = _problem(r.agreement_id, "no_read", f"the meter is due to be read {target}")
            continue
        streak, _ = _estimate_streak(valid, upto=boundary)
        if streak + 1 > hist.policy.max_consecutive_estimates:
            out[r.agreement_id] = _problem(
                r.agreement_id, "estimate_limit",
                f"no read near {target} and the last {streak} bills were estimated (policy allows "
                f"{hist.policy.max_consecutive_estimates} in a row): an actual read is needed")
            continue
        estimate = actions.estimated_read(hist, meter=meter, service_point_id=r.service_point_id, read_date=target)
        if estimate is None:
            out[r.agreement_id] = _problem(r.agreement_id, "no_read", f"no read near {target} and no history or class "
                                                                      "average to estimate from")
            continue
        to_estimate.append((r, period_start, boundary, target, estimate))
    if to_estimate:
        with transaction.atomic():
            created = actions.record_estimated_reads([e[-1] for e in to_estimate])
        for (r, period_start, boundary, target, _), read in zip(to_estimate, created, strict=True):
            hist.add(actions._ReadRow(read.pk, read.meter_id, read.service_point_id, read.read_date, read.value,
                                      read.consumption, read.read_type, read.status, read.demand_kw))
            plans.append((r, period_start, boundary, target))

    interval_meters: dict[int, tuple[int, int, int]] = {}
    for r, period_start, _, target in plans:
        meter = hist.meter_at(r.service_point_id, target)
        if meter is not None and meter.kind == "interval":
            start, end = local_day_bounds(period_start, target)
            interval_meters[r.agreement_id] = (meter.pk, start, end)
    intervals = interval_ranges(list(set(interval_meters.values())))

    for r, period_start, boundary, closing_date in plans:
        reads = [x for x in hist.reads_by_point.get(r.service_point_id, []) if x.status == RegisterRead.Status.VALID]
        billed = [x for x in reads if boundary < x.read_date <= closing_date]
        opening = [x for x in reads if x.read_date <= boundary]
        streak, streak_known = _estimate_streak(reads, upto=closing_date)
        if not complete and (not opening or not streak_known):
            again.append(r)  # the opening read or the last actual one is older than the reads loaded
            continue
        iv = intervals.get(interval_meters.get(r.agreement_id, (0, 0, 0)))
        if iv is not None and iv.gaps:
            # an AMI meter is rated from its intervals (time-of-use, demand): a period with
            # holes would be billed short, so it waits for the missing data
            first = iv.gaps[0][0].astimezone(_zone())
            out[r.agreement_id] = _problem(
                r.agreement_id, "interval_gaps",
                f"{int(np.isnan(iv.kwh).sum())} intervals missing from {first:%Y-%m-%d %H:%M}; "
                "obtain or estimate them before billing")
            continue
        if not billed:
            if iv is None:
                out[r.agreement_id] = _problem(r.agreement_id, "no_read", f"no interval data for {period_start} to "
                                                                          f"{closing_date}")
                continue
            meter = hist.meters[interval_meters[r.agreement_id][0]]
            out[r.agreement_id] = BillingUsage(
                r.agreement_id, period_start, closing_date, iv.total_kwh, meter.unit, iv.peak_kw, "actual", 0,
                opening[-1].id if opening else None, None, (meter.serial_number,), iv)
            continue
        closing = billed[-1]
        serials: list[str] = []
        for x in billed:
            serial = hist.meters[x.meter_id].serial_number if x.meter_id in hist.meters else str(x.meter_id)
            if serial not in serials:
                serials.append(serial)
        demand = [x.demand_kw for x in billed if x.demand_kw is not None]
        out[r.agreement_id] = BillingUsage(
            agreement_id=r.agreement_id, period_start=period_start, period_end=closing.read_date,
            quantity=quantity(sum((x.consumption for x in billed), Decimal(0))),
            unit=hist.meters[closing.meter_id].unit, demand_kw=max(demand) if demand else None,
            read_type=BILLED_READ_TYPE.get(closing.read_type, "actual"),
            consecutive_estimates=streak,
            opening_read_id=opening[-1].id if opening else None, closing_read_id=closing.id,
            meter_serials=tuple(serials), intervals=iv)
    return again


def _estimate_streak(valid_reads, *, upto: date) -> tuple[int, bool]:
    """Estimated reads in a row ending at ``upto`` (meter-change reads are skipped),
    and whether a read that is not an estimate ended the row (else the row may go
    on before the first read given)."""
    streak = 0
    for x in reversed([x for x in valid_reads if x.read_date <= upto]):
        if x.read_type in (RT.METER_IN, RT.METER_OUT):
            continue
        if x.read_type != RT.ESTIMATED:
            return streak, True
        streak += 1
    return streak, False


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
