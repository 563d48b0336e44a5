"""Read side of billing for the console: the cycle calendar, runs, the review
queue and bills, each in a handful of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from ratepayer.customers.models import BillCycle
from ratepayer.kernel.periods import BusinessCalendar

from . import billrun
from .models import Bill, BillRun, CycleSchedule


@dataclass
class CalendarCell:
    cycle: BillCycle
    read_date: date
    bill_date: date
    due_date: date
    run: BillRun | None


def cycle_calendar(year: int) -> list[tuple[BillCycle, list[CalendarCell]]]:
    """For each cycle, its twelve scheduled periods of the year (stored
    schedules where the utility set them, else the read day on a business
    day with the policy's bill and due dates) and the run of each, if any."""
    calendar = BusinessCalendar()
    cycles = list(BillCycle.objects.order_by("code"))
    stored = {(s.cycle_id, s.read_date.month): s for s in CycleSchedule.objects.filter(read_date__year=year)}
    runs = {(r.cycle_id, r.period_end): r for r in BillRun.objects.filter(period_end__year=year)}
    policies = {}
    out = []
    for cycle in cycles:
        cells = []
        for month in range(1, 13):
            schedule = stored.get((cycle.pk, month))
            if schedule is not None:
                read, bill_date, due = schedule.read_date, schedule.bill_date, schedule.due_date
            else:
                read = billrun.read_date_for(cycle, year, month, calendar)
                policy = policies.get(month)
                if policy is None:
                    try:
                        policy = policies[month] = billrun.billing_policy_on(read)
                    except Exception:
                        continue
                bill_date, due = billrun.scheduled_dates(read, policy, calendar)
            cells.append(CalendarCell(cycle, read, bill_date, due, runs.get((cycle.pk, read))))
        out.append((cycle, cells))
    return out


def recent_runs(limit: int = 30):
    return BillRun.objects.select_related("cycle").order_by("-created_at")[:limit]


# why a bill is held, in the words of the review queue (Bill.hold_reasons codes)
HOLD_REASON_WORDS = {
    "usage_problem": "Read missing or unusable",
    "missing_rate": "No rate in force",
    "too_many_estimates": "Estimated too many times in a row",
    "zero_usage": "Zero usage on an active service",
    "interval_register_mismatch": "Interval data and register disagree",
    "negative_total": "Bill total is negative",
    "high_bill": "High bill (above the 12-month average)",
}


@dataclass
class HoldReason:
    words: str
    count: int
    details: list[str]


def hold_summary(reasons: list[dict]) -> list[HoldReason]:
    """Each reason once, in words, with how many times it occurs on the bill
    and the messages that say where (one per service)."""
    grouped: dict[str, HoldReason] = {}
    for reason in reasons or []:
        code = reason.get("code") or ""
        words = HOLD_REASON_WORDS.get(code) or code.replace("_", " ").capitalize() or "Held for review"
        entry = grouped.setdefault(words, HoldReason(words, 0, []))
        entry.count += 1
        message = reason.get("message") or ""
        if message and message not in entry.details:
            entry.details.append(message)
    return list(grouped.values())


def held_bills(run_id: int | None = None):
    qs = (Bill.objects.filter(status=Bill.Status.HELD).select_related("account__customer", "run__cycle")
          .annotate(problem_segments=Count("segments", filter=~Q(segments__problem=""))).order_by("period_end", "pk"))
    if run_id:
        qs = qs.filter(run_id=run_id)
    return qs


def bill_detail(bill_id: int) -> Bill:
    return Bill.objects.select_related("account__customer", "run__cycle", "corrects", "released_by",
                                       "cancelled_by").get(pk=bill_id)


def bills_for_account(number: str):
    return (Bill.objects.filter(account__number=number).select_related("account__customer")
            .order_by("-period_end", "-pk"))
