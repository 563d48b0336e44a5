"""Estimation and the usage the bill run bills.

``usage_for_billing`` is the interface agreed with billing (``billing.billrun`` loads
it with ``UsageRequest``; see the dataclasses below). It runs a fixed number of
queries per call whatever the number of requests: installations, agreements, reads
since a year before the earliest period, policy, class averages, interval days
(``queries``), and one bulk insert for the estimated reads it writes when a closing
read is missing — which is why it is an action, not a query. Running it again finds
the estimates it wrote, so a resumed bill run estimates nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from ratepayer.customers.models import Meter
from ratepayer.staff import audit
from ratepayer.staff.audit import AuditAction

from .. import calculations as calc
from ..calculations import quantity
from ..models import RegisterRead
from ..queries import (
    HISTORY_DAYS,
    History,
    IntervalUsage,
    ReadRow,
    interval_ranges,
    load_history,
    local_day_bounds,
    local_zone,
)

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



def estimated_read(hist: History, *, meter: Meter, service_point_id: int, read_date: date,
                   replaces: RegisterRead | None = None, user=None) -> RegisterRead | None:
    """An (unsaved) estimated read for ``read_date``: the previous valid read plus
    expected daily usage × days. None when there is nothing to estimate from."""
    previous = hist.last_valid(meter.pk, before=read_date + timedelta(days=1))
    installation = hist.installation_on(meter.pk, read_date)
    if previous is not None and installation is not None and previous.read_date >= installation.installed_on:
        prev_date, prev_value = previous.read_date, previous.value
    elif installation is not None:
        prev_date, prev_value = installation.installed_on, installation.install_read
    else:
        return None
    days = (read_date - prev_date).days
    if days <= 0:
        return None
    expected = hist.expected(service_point_id, prev_date, read_date)
    if expected is None:
        return None
    usage = expected.over(days)
    value = calc.register_value_after(previous_value=prev_value, usage=usage, multiplier=meter.multiplier,
                                      dial_count=meter.dial_count)
    return RegisterRead(meter=meter, service_point_id=service_point_id, read_date=read_date, value=value,
                        consumption=usage, read_type=RT.ESTIMATED, source=RegisterRead.Source.ESTIMATION,
                        status=RegisterRead.Status.VALID, estimate_basis=expected.basis, replaces=replaces,
                        entered_by=user, rolled_over=value < prev_value)


def record_estimated_reads(reads: Sequence[RegisterRead]) -> list[RegisterRead]:
    """Bulk-insert estimated reads (one query). Used by the bill run's usage query."""
    if not reads:
        return []
    created = RegisterRead.objects.bulk_create(list(reads), batch_size=2000)
    audit.record(AuditAction.READS_ESTIMATED, summary=f"{len(created)} estimated reads written for billing",
                 after={"read_ids": [r.pk for r in created][:1000]})
    return created


def estimate_missing_reads(*, requests) -> dict:
    """Write estimated reads for the bill-run requests whose closing read is missing
    (policy permitting) and return what usage_for_billing returns for them."""
    return {k: v for k, v in usage_for_billing(requests).items()
            if getattr(v, "read_type", "") == RT.ESTIMATED}




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
    hist = load_history(service_point_ids={r.service_point_id for r in requests},
                                since=earliest - timedelta(days=SHORT_HISTORY_DAYS),
                                policy_date=max(r.period_end for r in requests))
    out: dict[int, BillingUsage | UsageProblem] = {}
    again = _usage(requests, hist, out, today, complete=False)
    if again:
        hist.add_earlier_reads({r.service_point_id for r in again}, earliest - timedelta(days=HISTORY_DAYS))
        _usage(again, hist, out, today, complete=True)
    return out


SHORT_HISTORY_DAYS = 100  # before the earliest last-billed day: about three reads back


def _usage(requests: Sequence[UsageRequest], hist: History, out: dict, today: date, *,
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
        estimate = estimated_read(hist, meter=meter, service_point_id=r.service_point_id, read_date=target)
        if estimate is None:
            out[r.agreement_id] = _problem(r.agreement_id, "no_read", f"no read near {target} and no history or class "
                                                                      "average to estimate from")
            continue
        to_estimate.append((r, period_start, boundary, target, estimate))
    if to_estimate:
        with transaction.atomic():
            created = record_estimated_reads([e[-1] for e in to_estimate])
        for (r, period_start, boundary, target, _), read in zip(to_estimate, created, strict=True):
            hist.add(ReadRow(read.pk, read.meter_id, read.service_point_id, read.read_date, read.value,
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
            first = iv.gaps[0][0].astimezone(local_zone())
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
