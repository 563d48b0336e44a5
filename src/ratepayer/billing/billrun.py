"""Bill runs: one cycle, one scheduled read date, billed in chunks.

Design (DESIGN §7)
------------------
* ``plan_run`` creates (or finds) the ``BillRun`` for (cycle, period end) and
  splits the accounts still due into ``BillRunChunk`` rows of a few thousand
  account ids. Accounts that already have a live bill for the period are not
  planned again, so running a finished run bills nobody.
* A worker (``work_on_run``) claims one chunk at a time with a conditional
  UPDATE (``status='pending'``, or ``'claimed'`` with a heartbeat older than
  the claim timeout: a worker killed with SIGKILL leaves a stale claim that the
  next worker takes over). Any number of workers, in any number of processes
  or machines, can share a run.
* A chunk is billed in ONE transaction with a fixed number of queries
  whatever its size: agreements, last billed reads, meters, usage
  (``metering.actions.estimation.usage_for_billing``), 12-month history and balances are
  loaded set-wise; agreements are rated in memory, grouped by (tariff, period)
  so the engine rates many meters per call; bills, segments and lines are
  bulk-inserted and the issued bills posted with ``ledger.post_entries``
  (idempotency key ``bill:<id>``); the chunk is marked done in the same
  transaction, conditional on this worker still holding the claim. A killed
  worker therefore leaves either all of a chunk or none of it.
* Idempotence is enforced by the database, not by care: a partial unique
  constraint allows one live (non-cancelled) segment per agreement and period
  end, and one live bill per account and period end. A second worker that
  somehow bills the same chunk fails on the constraint and rolls back.
* Exceptions are held (status ``held``, not posted) with their reasons: usage
  problems, missing rate, rating errors, too many consecutive estimates,
  zero usage on an active metered service, a negative total, a bill more
  than the policy's percent above the account's 12-month average, and an
  interval meter whose intervals over the period disagree with its
  register's advance by more than the policy's tolerance.
* A segment states the quantity it billed and where it came from: the
  register's advance, or the intervals' total for a meter rated from its
  interval data (``billed_quantity``).
* A tariff is passed the facts it asks for (``rating.facts_needed``): the
  agreement's size class (Snohomish PUD Schedule 7), the meter's size, and
  for a sewer service, which has no meter, the water service's at the same
  premise — its meter's size (Union Gap), its use over the period (the
  sewer segment bills the water segment's reads) and its average use per day
  over the latest winter of the billing policy (winter-average sewer), from
  metering's reads of the winter months since the customer's start, in one
  query per chunk.
* The bill run does not render documents; PDFs are rendered on demand and by
  background tasks (``billing.tasks``).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from importlib import import_module

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Max, Q
from django.utils import timezone

from ratepayer.customers.models import MeterInstallation, ServiceAgreement
from ratepayer.db.bulk import gc_paused, insert_rows
from ratepayer.db.money import MoneySum
from ratepayer.kernel.periods import BusinessCalendar, Period
from ratepayer.ledger.actions import EntrySpec, Line, PostingRules, post_entries
from ratepayer.ledger.models import ARBalance
from ratepayer.metering.queries import winter_average_daily
from ratepayer.rates.models import RateVersion
from ratepayer.rating import RatingError, ServiceInfo, TariffError

from .errors import BillingError
from .models import (
    HOLD_REASONS,
    Bill,
    BillingPolicy,
    BillLine,
    BillRun,
    BillRunChunk,
    BillSegment,
    CycleSchedule,
)
from .rating_batch import ScheduleTariff, combine_versions, rate_interval_group, rate_register_group

ZERO = Decimal("0.00")
# Seconds spent per stage in this process (bench/billrun.py reports where the time goes).
STAGE_SECONDS: dict[str, float] = defaultdict(float)
DEFAULT_CHUNK_ACCOUNTS = 2000
DEFAULT_CLAIM_TIMEOUT = timedelta(minutes=5)
METERED_UNITS = {"kWh", "CCF", "kgal"}


# --------------------------------------------------------------------------- usage interface


def usage_api():
    """(UsageRequest, usage_for_billing) from metering — the agreed interface.

    ``settings.BILLING_USAGE_MODULE`` may name another module with the same two
    names (tests use a deterministic stand-in to test billing on its own)."""
    module = import_module(getattr(settings, "BILLING_USAGE_MODULE", "ratepayer.metering.actions.estimation"))
    return module.UsageRequest, module.usage_for_billing


# --------------------------------------------------------------------------- policy and schedules


def billing_policy_on(day: date) -> BillingPolicy:
    policy = BillingPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if policy is None:
        raise BillingError(f"No billing policy is in force on {day}; a supervisor adds one under Billing › Policy.")
    return policy


def scheduled_dates(read_date: date, policy: BillingPolicy, calendar: BusinessCalendar | None = None) -> tuple[date, date]:
    """(bill date, due date) for a scheduled read date: the bill goes out
    ``days_to_bill`` business days after the read; it is due ``days_until_due``
    days after the bill date, rolled forward to a business day."""
    calendar = calendar or BusinessCalendar()
    bill_date = calendar.add_business_days(read_date, policy.days_to_bill)
    due_date = calendar.next_business_day_on_or_after(bill_date + timedelta(days=policy.days_until_due))
    return bill_date, due_date


def read_date_for(cycle, year: int, month: int, calendar: BusinessCalendar | None = None) -> date:
    """The cycle's read day in a month, moved back to a business day (meter
    readers do not work holidays; reading early keeps periods from growing)."""
    calendar = calendar or BusinessCalendar()
    day = date(year, month, min(cycle.read_day, 28))
    while not calendar.is_business_day(day):
        day -= timedelta(days=1)
    return day


# --------------------------------------------------------------------------- planning


def plan_run(*, cycle, period_end: date, user=None, chunk_accounts: int = DEFAULT_CHUNK_ACCOUNTS) -> BillRun:
    """Find or create the run for (cycle, period end) and add chunks for every
    account still due. Idempotent: accounts with a live bill for the period
    or already in an unfinished chunk are not planned again."""
    schedule = CycleSchedule.objects.filter(cycle=cycle, read_date=period_end).first()
    if schedule is not None:
        bill_date, due_date = schedule.bill_date, schedule.due_date
    else:
        bill_date, due_date = scheduled_dates(period_end, billing_policy_on(period_end))
    with transaction.atomic():
        run, _ = BillRun.objects.get_or_create(
            cycle=cycle, period_end=period_end,
            defaults={"bill_date": bill_date, "due_date": due_date, "started_by": user})
        run = BillRun.objects.select_for_update().get(pk=run.pk)
        due = (ServiceAgreement.objects.filter(bill_cycle=cycle, start_date__lte=period_end)
               .filter(Q(end_date__isnull=True) | Q(end_date__gte=period_end - timedelta(days=400)))
               .values_list("account_id", flat=True).distinct())
        billed = set(Bill.objects.filter(period_end=period_end, account__agreements__bill_cycle=cycle)
                     .exclude(status=Bill.Status.CANCELLED).values_list("account_id", flat=True))
        in_flight: set[int] = set()
        for ids in run.chunks.exclude(status=BillRunChunk.Status.DONE).values_list("account_ids", flat=True):
            in_flight.update(ids)
        account_ids = sorted(set(due) - billed - in_flight)
        top = run.chunks.aggregate(m=Max("number"))["m"] or 0
        chunks = [BillRunChunk(run=run, number=top + 1 + i, account_ids=account_ids[lo:lo + chunk_accounts])
                  for i, lo in enumerate(range(0, len(account_ids), chunk_accounts))]
        BillRunChunk.objects.bulk_create(chunks, batch_size=500)
        fields = {"accounts_due": F("accounts_due") + len(account_ids), "chunks_total": F("chunks_total") + len(chunks)}
        if chunks and run.status == BillRun.Status.FINISHED:
            fields["status"] = BillRun.Status.RUNNING
            fields["finished_at"] = None
        BillRun.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()
    return run


# --------------------------------------------------------------------------- claiming


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def claim_chunk(run: BillRun, worker: str, claim_timeout: timedelta = DEFAULT_CLAIM_TIMEOUT) -> BillRunChunk | None:
    """Claim the next pending (or abandoned) chunk of the run, or None."""
    now = timezone.now()
    claimable = Q(status=BillRunChunk.Status.PENDING) | Q(status=BillRunChunk.Status.CLAIMED,
                                                          heartbeat_at__lt=now - claim_timeout)
    while True:
        candidates = list(run.chunks.filter(claimable).order_by("number").values_list("pk", flat=True)[:8])
        if not candidates:
            return None
        for pk in candidates:
            claimed = BillRunChunk.objects.filter(claimable, pk=pk).update(
                status=BillRunChunk.Status.CLAIMED, worker=worker, claimed_at=now, heartbeat_at=now,
                attempts=F("attempts") + 1)
            if claimed:
                return BillRunChunk.objects.get(pk=pk)


def finish_if_done(run: BillRun) -> bool:
    if run.chunks.exclude(status=BillRunChunk.Status.DONE).exists():
        return False
    BillRun.objects.filter(pk=run.pk).exclude(status=BillRun.Status.FINISHED).update(
        status=BillRun.Status.FINISHED, finished_at=timezone.now())
    return True


def work_on_run(run: BillRun, *, worker: str | None = None, claim_timeout: timedelta = DEFAULT_CLAIM_TIMEOUT,
                on_chunk: Callable[[BillRunChunk], None] | None = None) -> int:
    """Bill chunks of the run until none is left to claim. Returns chunks done here."""
    worker = worker or worker_name()
    BillRun.objects.filter(pk=run.pk, status=BillRun.Status.PLANNED).update(
        status=BillRun.Status.RUNNING, started_at=timezone.now())
    context = RunContext.load(run)
    done = 0
    while True:
        chunk = claim_chunk(run, worker, claim_timeout)
        if chunk is None:
            break
        try:
            bill_chunk(run, chunk, worker=worker, context=context)
        except IntegrityError:
            # Another worker took this chunk over (we were slow, not dead) and
            # the unique constraints refused our copy of its bills. If it is
            # done, nothing is missing; otherwise bill what is still unbilled
            # once more, and let a second failure stop this worker loudly.
            if BillRunChunk.objects.filter(pk=chunk.pk, status=BillRunChunk.Status.DONE).exists():
                continue
            bill_chunk(run, chunk, worker=worker, context=context)
        done += 1
        if on_chunk:
            on_chunk(chunk)
    finish_if_done(run)
    return done


def claimable_runs(claim_timeout: timedelta = DEFAULT_CLAIM_TIMEOUT) -> list[BillRun]:
    """Unfinished runs with a chunk nobody is working on: pending, or claimed by
    a worker whose claim went stale (killed, or its machine lost). One query."""
    stale = timezone.now() - claim_timeout
    open_chunks = BillRunChunk.objects.filter(
        Q(status=BillRunChunk.Status.PENDING) | Q(status=BillRunChunk.Status.CLAIMED, heartbeat_at__lt=stale))
    return list(BillRun.objects.filter(status__in=[BillRun.Status.PLANNED, BillRun.Status.RUNNING],
                                       pk__in=open_chunks.values("run_id")).order_by("pk"))


def resume_abandoned_runs(claim_timeout: timedelta = DEFAULT_CLAIM_TIMEOUT) -> int:
    """What every idle ``ratepayer worker`` does between tasks: bill the
    claimable chunks of unfinished runs, so a run whose worker was killed is
    finished by the others without anyone starting it again. Returns chunks billed."""
    return sum(work_on_run(run, claim_timeout=claim_timeout) for run in claimable_runs(claim_timeout))


# --------------------------------------------------------------------------- billing a chunk


@dataclass
class RunContext:
    """What every chunk of a run needs, loaded once per worker."""

    period_end: date
    policy: BillingPolicy
    tariffs: dict[int, ScheduleTariff | str]  # schedule id -> tariff, or why there is none
    rules: PostingRules
    usage_request: type
    usage_for_billing: Callable

    @classmethod
    def load(cls, run_or_date) -> RunContext:
        period_end = run_or_date.period_end if isinstance(run_or_date, BillRun) else run_or_date
        request_cls, usage_fn = usage_api()
        return cls(period_end=period_end, policy=billing_policy_on(period_end), tariffs=load_tariffs(),
                   rules=PostingRules(), usage_request=request_cls, usage_for_billing=usage_fn)


def load_tariffs() -> dict[int, ScheduleTariff | str]:
    rows: dict[int, list[tuple[int, date, dict]]] = defaultdict(list)
    for pk, schedule_id, effective, document in RateVersion.objects.filter(status=RateVersion.Status.APPROVED).values_list(
            "pk", "schedule_id", "effective_from", "document"):
        rows[schedule_id].append((pk, effective, document))
    out: dict[int, ScheduleTariff | str] = {}
    for schedule_id, versions in rows.items():
        try:
            out[schedule_id] = combine_versions(schedule_id, versions)
        except TariffError as exc:
            out[schedule_id] = f"the approved tariff does not validate: {exc}"
    return out


@dataclass
class SegmentDraft:
    agreement: dict
    period: Period | None = None
    read_date: date | None = None
    usage: object | None = None
    problem: str = ""
    problem_code: str = ""
    lines: list = field(default_factory=list)
    total: Decimal = ZERO
    rate_version_id: int | None = None
    metered: bool = False
    regular_days: int | None = None
    service_info: ServiceInfo | None = None


@dataclass
class BillDraft:
    account_id: int
    language: str
    segments: list[SegmentDraft]
    hold: list[dict] = field(default_factory=list)
    total: Decimal = ZERO


AGREEMENT_FIELDS = ("pk", "account_id", "service", "customer_class", "service_point_id", "start_date", "end_date",
                    "status", "rate_schedule_id", "dwelling_units", "connected_load_kw", "size_class",
                    "service_point__premise_id", "account__customer__language", "account__number")
# Facts an unmetered sewer service takes from the water service at its premise.
WATER_FACTS = frozenset({"usage", "meter_size", "winter_average_daily"})


def due_agreements(account_ids: Sequence[int], cycle_id: int | None, period_end: date) -> list[dict]:
    """Agreements of these accounts (in the cycle) that may need billing for the period (1 query)."""
    qs = ServiceAgreement.objects.filter(account_id__among=account_ids, start_date__lte=period_end)
    if cycle_id is not None:
        qs = qs.filter(bill_cycle_id=cycle_id)
    return list(qs
                .filter(Q(end_date__isnull=True) | Q(end_date__gte=period_end - timedelta(days=400)))
                .order_by("account_id", "service", "pk").values(*AGREEMENT_FIELDS))


def draft_bills(agreements: list[dict], period_end: date, context: RunContext) -> list[BillDraft]:
    """Usage, rating and hold checks for the given agreements (a fixed number of queries)."""
    started = time.perf_counter()
    ids = [a["pk"] for a in agreements]
    last = {row["agreement_id"]: row for row in BillSegment.objects.filter(agreement_id__among=ids, cancelled=False)
            .values("agreement_id").annotate(last_end=Max("period_end"), last_read=Max("read_date"))}
    drafts: dict[int, SegmentDraft] = {}
    requests = []
    meters, water_at = meters_at([a["service_point__premise_id"] for a in agreements], period_end)
    on_water: dict[int, int] = {}  # sewer agreement id -> the water service point it is billed on
    winter_points: dict[int, int] = {}  # agreement id -> service point whose winter use it needs
    for a in agreements:
        previous = last.get(a["pk"])
        if previous and previous["last_end"] >= period_end:
            continue  # already billed for this period
        billed_through = previous["last_read"] if previous else None
        if a["end_date"] is not None and billed_through is not None and billed_through >= a["end_date"]:
            continue  # final bill already issued
        first_day = billed_through + timedelta(days=1) if billed_through else a["start_date"]
        if first_day > period_end:
            continue
        draft = SegmentDraft(agreement=a)
        final = a["end_date"] is not None and a["end_date"] <= period_end
        if billed_through is None or final:
            draft.regular_days = context.policy.regular_period_days
        info = meters.get(a["service_point_id"])
        draft.metered = info is not None
        facts = tariff_facts(context, a["rate_schedule_id"])
        size = (info or {}).get("size") or None
        point = a["service_point_id"] if draft.metered else None
        if not draft.metered and a["service"] == "sewer" and facts & WATER_FACTS:
            water = water_at.get(a["service_point__premise_id"])
            if water is None:
                draft.problem_code = "usage_problem"
                draft.problem = "the sewer is billed on the water service at the premise, which has no water meter"
            else:
                point, size = water
                if "usage" in facts:
                    on_water[a["pk"]] = point
        if point is not None and "winter_average_daily" in facts:
            winter_points[a["pk"]] = point
        draft.service_info = ServiceInfo(meter_size=size, size_class=a["size_class"] or None,
                                         dwelling_units=a["dwelling_units"] or 1,
                                         connected_load_kw=a["connected_load_kw"])
        drafts[a["pk"]] = draft
        if draft.metered:
            requests.append(context.usage_request(
                agreement_id=a["pk"], service_point_id=a["service_point_id"], billed_through=billed_through,
                start_date=a["start_date"], end_date=a["end_date"], period_end=period_end))
        else:
            end = min(period_end, a["end_date"]) if a["end_date"] else period_end
            draft.period = Period(first_day, end)
            draft.read_date = end
    STAGE_SECONDS["load"] += time.perf_counter() - started
    started = time.perf_counter()
    usage = context.usage_for_billing(requests) if requests else {}
    STAGE_SECONDS["usage (metering)"] += time.perf_counter() - started
    started = time.perf_counter()
    for request in requests:
        draft = drafts[request.agreement_id]
        result = usage.get(request.agreement_id)
        if result is None or not hasattr(result, "quantity"):
            draft.problem_code = "usage_problem"
            draft.problem = getattr(result, "reason", None) or "metering returned nothing for this service"
            continue
        draft.usage = result
        draft.period = Period(result.period_start, result.period_end)
        draft.read_date = result.period_end
    if on_water:
        bill_on_water_use(drafts, on_water)
    if winter_points:
        first, last = context.policy.winter_before(period_end)
        spans = {pk: (point, max(first, drafts[pk].agreement["start_date"])) for pk, point in winter_points.items()}
        averages = winter_average_daily(spans.values(), last)
        for agreement_id, span in spans.items():
            draft = drafts[agreement_id]
            draft.service_info = replace(draft.service_info, winter_average_daily=averages.get(span))
    rate_drafts(list(drafts.values()), context)
    STAGE_SECONDS["rating"] += time.perf_counter() - started
    started = time.perf_counter()
    bills = assemble(drafts.values(), agreements, period_end, context)
    STAGE_SECONDS["load"] += time.perf_counter() - started
    return bills


def meters_at(premise_ids: Sequence[int], period_end: date) -> tuple[dict[int, dict], dict[int, tuple[int, str | None]]]:
    """Meters installed during the period at these premises (1 query):
    (service point -> {size}, premise -> (water service point, its meter's size))."""
    out: dict[int, dict] = {}
    water: dict[int, tuple[int, str | None]] = {}
    for sp, size, premise, service in (
            MeterInstallation.objects.filter(service_point__premise_id__among=sorted(set(premise_ids)),
                                             installed_on__lte=period_end)
            .filter(Q(removed_on__isnull=True) | Q(removed_on__gte=period_end - timedelta(days=400)))
            .order_by("service_point_id", "installed_on")
            .values_list("service_point_id", "meter__size", "service_point__premise_id", "service_point__service")):
        out[sp] = {"size": size}
        if service == "water":
            water[premise] = (sp, size or None)
    return out, water


def tariff_facts(context: RunContext, schedule_id: int) -> frozenset[str]:
    tariff = context.tariffs.get(schedule_id)
    return tariff.facts if isinstance(tariff, ScheduleTariff) else frozenset()


def bill_on_water_use(drafts: dict[int, SegmentDraft], on_water: dict[int, int]) -> None:
    """A sewer segment billed on water use takes the water segment's usage at
    its premise (same chunk: the water service is on the same account), over
    the sewer's own first day to the water's closing read."""
    water_by_point = {d.agreement["service_point_id"]: d for d in drafts.values()
                      if d.agreement["service"] == "water"}
    for agreement_id, point in on_water.items():
        draft = drafts[agreement_id]
        if draft.problem:
            continue
        water = water_by_point.get(point)
        if water is None:
            draft.problem_code = "usage_problem"
            draft.problem = ("the sewer is billed on the premise's water use, but that water service is not "
                             "billed with this account for the period")
        elif water.usage is None:
            draft.problem_code = "usage_problem"
            draft.problem = f"the sewer is billed on the premise's water use: {water.problem or 'no water usage'}"
        elif water.usage.period_end < draft.period.start:
            draft.problem_code = "usage_problem"
            draft.problem = f"the water's closing read of {water.usage.period_end} is before the sewer's first day"
        else:
            draft.usage = water.usage
            draft.period = Period(draft.period.start, water.usage.period_end)
            draft.read_date = water.usage.period_end


def rate_drafts(drafts: list[SegmentDraft], context: RunContext) -> None:
    """Rate every draft in memory, grouping those that share a tariff and period."""
    groups: dict[tuple, list[SegmentDraft]] = defaultdict(list)
    interval_groups: dict[tuple, list[SegmentDraft]] = defaultdict(list)
    for d in drafts:
        if d.problem:
            continue
        tariff = context.tariffs.get(d.agreement["rate_schedule_id"])
        if tariff is None or isinstance(tariff, str):
            d.problem_code = "missing_rate"
            d.problem = tariff or "the rate schedule has no approved version"
            continue
        version_id = tariff.version_id_on(d.period.end)
        if version_id is None or tariff.tariff.version_on(d.period.start) is None:
            d.problem_code = "missing_rate"
            d.problem = f"no approved rate version in force on {d.period.start}"
            continue
        d.rate_version_id = version_id
        iv = getattr(d.usage, "intervals", None) if d.usage is not None else None
        if iv is not None and len(iv.kwh):
            axis = (int(np.asarray(iv.starts[:1], dtype="datetime64[s]").astype(np.int64)[0]), len(iv.kwh),
                    iv.interval_seconds)
            interval_groups[(d.agreement["rate_schedule_id"], d.period, d.regular_days, axis)].append(d)
            continue
        unit = d.usage.unit if d.usage is not None else ("kWh" if d.agreement["service"] == "electric" else "CCF")
        has_demand = d.usage is not None and d.usage.demand_kw is not None
        groups[(d.agreement["rate_schedule_id"], d.period, unit, d.regular_days, has_demand)].append(d)
    for (schedule_id, period, unit, regular_days, has_demand), members in groups.items():
        tariff = context.tariffs[schedule_id].tariff
        quantities = [m.usage.quantity if m.usage is not None else Decimal(0) for m in members]
        demand = [m.usage.demand_kw for m in members] if has_demand else None
        try:
            bills = rate_register_group(tariff, period, quantities, unit, [m.service_info for m in members],
                                   demand, regular_days)
        except RatingError:
            bills = None
        if bills is None:
            # one bad agreement (a meter size the tariff does not know...) must
            # not hold the others: rate the group one by one to find it
            for m, q in zip(members, quantities, strict=True):
                try:
                    bill = rate_register_group(tariff, period, [q], unit, [m.service_info],
                                          [m.usage.demand_kw] if has_demand else None, regular_days)[0]
                except RatingError as exc:
                    m.problem_code, m.problem = "rating_error", str(exc)[:300]
                    continue
                m.lines, m.total = list(bill.lines), bill.total
            continue
        for m, bill in zip(members, bills, strict=True):
            m.lines, m.total = list(bill.lines), bill.total
    for (schedule_id, period, regular_days, _axis), members in interval_groups.items():
        tariff = context.tariffs[schedule_id].tariff
        tz = tariff.timezone or settings.TIME_ZONE
        try:
            bills = rate_interval_group(tariff, period, [m.usage.intervals for m in members],
                                        [m.service_info for m in members], tz, regular_days)
        except RatingError:
            bills = []
            for m in members:
                try:
                    bills.append(rate_interval_group(tariff, period, [m.usage.intervals], [m.service_info], tz,
                                                     regular_days)[0])
                except RatingError as exc:
                    m.problem_code, m.problem = "rating_error", str(exc)[:300]
                    bills.append(None)
        for m, bill in zip(members, bills, strict=True):
            if bill is not None:
                m.lines, m.total = list(bill.lines), bill.total


def rated_from_intervals(usage) -> bool:
    """Whether the engine rates this usage from its intervals (``rate_drafts``)."""
    intervals = getattr(usage, "intervals", None)
    return intervals is not None and len(intervals.kwh) > 0


def interval_total(intervals) -> Decimal:
    """The kWh of an interval series, to the 4 places a quantity keeps."""
    return Decimal(repr(float(np.nansum(intervals.kwh)))).quantize(Decimal("0.0001"))


def billed_quantity(usage) -> tuple[Decimal, str]:
    """(quantity billed, where it came from) for a segment's usage."""
    if rated_from_intervals(usage):
        return interval_total(usage.intervals), BillSegment.QuantitySource.INTERVAL
    return usage.quantity, BillSegment.QuantitySource.REGISTER


def interval_register_mismatch(usage, tolerance_percent: Decimal) -> tuple[Decimal, Decimal] | None:
    """(intervals' total, register's advance) when a meter rated from its
    intervals also has register reads for the period and the two differ by
    more than ``tolerance_percent`` of the advance; None when they agree (or
    there is no register read to compare with). A meter's register and its
    interval channel measure the same energy: a difference beyond the
    tolerance is a meter, multiplier or data problem, and the bill waits."""
    if not rated_from_intervals(usage) or usage.closing_read_id is None:
        return None
    intervals, register = interval_total(usage.intervals), usage.quantity
    if abs(intervals - register) > abs(register) * tolerance_percent / 100:
        return intervals, register
    return None


def assemble(drafts, agreements: list[dict], period_end: date, context: RunContext) -> list[BillDraft]:
    by_account: dict[int, BillDraft] = {}
    language = {a["account_id"]: a["account__customer__language"] for a in agreements}
    for d in drafts:
        account_id = d.agreement["account_id"]
        bill = by_account.setdefault(account_id, BillDraft(account_id, language[account_id] or "en", []))
        bill.segments.append(d)
    if not by_account:
        return []
    history = {row["account_id"]: row for row in Bill.objects.filter(
        account_id__among=list(by_account), status=Bill.Status.ISSUED, period_end__lt=period_end,
        period_end__gte=period_end - timedelta(days=365)).values("account_id").annotate(
        average=Avg("current_charges"), bills=Count("pk"))}
    policy = context.policy
    for bill in by_account.values():
        bill.total = sum((s.total for s in bill.segments), ZERO)
        hold = []
        for s in bill.segments:
            label = s.agreement["service"].title()
            if s.problem:
                hold.append({"code": s.problem_code, "message": f"{label}: {s.problem}"})
                continue
            final = s.agreement["end_date"] is not None and s.agreement["end_date"] <= period_end
            if s.usage is not None:
                if s.usage.consecutive_estimates > policy.max_consecutive_estimates:
                    hold.append({"code": "too_many_estimates",
                                 "message": f"{label}: estimated {s.usage.consecutive_estimates} times in a row "
                                            f"(policy allows {policy.max_consecutive_estimates})"})
                if s.usage.quantity == 0 and not final:
                    hold.append({"code": "zero_usage", "message": f"{label}: zero usage on an active service"})
                mismatch = interval_register_mismatch(s.usage, policy.interval_register_tolerance_percent)
                if mismatch is not None:
                    intervals, register = mismatch
                    unit = s.usage.unit
                    hold.append({"code": "interval_register_mismatch",
                                 "message": f"{label}: intervals total {intervals:,.2f} {unit}, register advance "
                                            f"{register:,.2f} {unit} (policy allows "
                                            f"{policy.interval_register_tolerance_percent}%)",
                                 "intervals": str(intervals), "register": str(register)})
        if bill.total < 0:
            hold.append({"code": "negative_total", "message": f"Bill total {bill.total} is negative"})
        h = history.get(bill.account_id)
        if h and h["bills"] >= policy.high_bill_minimum_history and h["average"] and h["average"] > 0:
            average = Decimal(h["average"]).quantize(Decimal("0.01"))
            ceiling = average * (1 + policy.high_bill_percent / 100)
            if bill.total > ceiling:
                hold.append({"code": "high_bill",
                             "message": f"Bill {bill.total} is more than {policy.high_bill_percent:.0f}% above the "
                                        f"12-month average {average}"})
        bill.hold = hold
    return list(by_account.values())


# --------------------------------------------------------------------------- lines other apps bill


@dataclass(frozen=True)
class ExtraLine:
    """A line a higher app puts on an account's regular bill (a contract's installment):
    it is credited to its own GL account (``gl_account``) against the receivable of the
    segment it lands on — the segment of ``service`` if the bill has one, else the bill's
    first. ``source`` is the provider's reference, handed back once the bill is written."""

    account_id: int
    kind: str
    description: str
    amount: Decimal
    gl_account: str
    service: str = ""
    source: str = ""
    quantity: Decimal = Decimal(1)
    unit: str = ""

    @property
    def rate(self) -> Decimal:
        return self.amount


# (lines_for(account_ids, period_end) -> list[ExtraLine], billed(list[(source, bill_id, bill_date)]) -> None)
_EXTRA_LINE_SOURCES: list[tuple[Callable, Callable]] = []


def register_extra_lines(lines_for: Callable, billed: Callable) -> None:
    """A higher app (collections' long-term contracts) offers lines for the bills of
    these accounts and period, in a fixed number of queries, and is told which bill
    each went on. Called from the app's ``AppConfig.ready``; registering twice is a no-op."""
    if (lines_for, billed) not in _EXTRA_LINE_SOURCES:
        _EXTRA_LINE_SOURCES.append((lines_for, billed))


def add_extra_lines(drafts: list[BillDraft], period_end: date) -> list[tuple[Callable, list[tuple[ExtraLine, BillDraft]]]]:
    """Put the registered sources' lines on the drafts (segment and bill totals grow)."""
    if not _EXTRA_LINE_SOURCES or not drafts:
        return []
    by_account = {d.account_id: d for d in drafts}
    placed = []
    for lines_for, billed in _EXTRA_LINE_SOURCES:
        mine = []
        for line in lines_for(list(by_account), period_end):
            draft = by_account.get(line.account_id)
            if draft is None or not draft.segments:
                continue
            usable = [s for s in draft.segments if not s.problem] or draft.segments
            segment = next((s for s in usable if s.agreement["service"] == line.service), usable[0])
            segment.lines.append(line)
            segment.total += line.amount
            draft.total += line.amount
            mine.append((line, draft))
        placed.append((billed, mine))
    return placed


def gl_for_line(kind: str, service: str, customer_class: str, rules: PostingRules) -> tuple[str, str]:
    """(receivable GL, credit GL) for a bill line."""
    event = "bill_tax" if kind == "tax" else "bill_charge"
    return rules.accounts(event, service, customer_class)


BILL_COLUMNS = ("account_id", "run_id", "period_start", "period_end", "bill_date", "due_date", "status", "hold_reasons",
                "current_charges", "previous_balance", "amount_due", "language", "corrects_id", "created_at",
                "issued_at", "released_by_id", "cancelled_at", "cancelled_by_id", "cancel_reason")
SEGMENT_COLUMNS = ("bill_id", "agreement_id", "service", "customer_class", "period_start", "period_end", "read_date",
                   "quantity", "quantity_source", "unit", "demand_kw", "read_type", "consecutive_estimates", "opening_read_id",
                   "closing_read_id", "meter_serials", "rate_version_id", "total", "problem", "cancelled")
LINE_COLUMNS = ("segment_id", "sequence", "kind", "description", "quantity", "unit", "rate", "amount", "gl_account")


def write_bills(drafts: list[BillDraft], *, run: BillRun | None, period_end: date, bill_date: date, due_date: date,
                context: RunContext, corrects: Bill | None = None, force_issue: bool = False,
                created_by=None) -> list[Bill]:
    """Insert bills, segments and lines in bulk and post the issued ones."""
    if not drafts:
        return []
    started = time.perf_counter()
    extra = add_extra_lines(drafts, period_end)
    balances = dict(ARBalance.objects.filter(account_id__among=[d.account_id for d in drafts]).values("account_id")
                    .annotate(total=MoneySum("balance")).values_list("account_id", "total"))
    now = timezone.now()
    bills = []
    for d in drafts:
        held = bool(d.hold) and not force_issue
        previous = balances.get(d.account_id) or ZERO
        bills.append(Bill(
            account_id=d.account_id, run=run, period_start=min(s.period.start if s.period else period_end
                                                                for s in d.segments),
            period_end=period_end, bill_date=bill_date, due_date=due_date,
            status=Bill.Status.HELD if held else Bill.Status.ISSUED, hold_reasons=d.hold,
            current_charges=d.total, previous_balance=previous, amount_due=previous + d.total,
            language=d.language, issued_at=None if held else now, corrects=corrects, created_at=now))
    ids = insert_rows(Bill, BILL_COLUMNS, [tuple(getattr(b, c) for c in BILL_COLUMNS) for b in bills])
    for bill, pk in zip(bills, ids, strict=True):
        bill.pk = pk
        bill._state.adding = False
    segment_rows = []
    for bill, d in zip(bills, drafts, strict=True):
        for s in d.segments:
            u = s.usage
            a = s.agreement
            if u is None:
                segment_rows.append((bill.pk, a["pk"], a["service"], a["customer_class"],
                                     s.period.start if s.period else period_end, period_end, s.read_date, ZERO, "", "",
                                     None, "", 0, None, None, "", s.rate_version_id, s.total, s.problem[:300], False))
            else:
                billed, source = billed_quantity(u)
                segment_rows.append((bill.pk, a["pk"], a["service"], a["customer_class"], s.period.start, period_end,
                                     s.read_date, billed, source, u.unit, u.demand_kw, u.read_type,
                                     u.consecutive_estimates, u.opening_read_id, u.closing_read_id,
                                     ", ".join(u.meter_serials)[:200], s.rate_version_id, s.total, s.problem[:300],
                                     False))
    segment_ids = iter(insert_rows(BillSegment, SEGMENT_COLUMNS, segment_rows))
    line_rows = []
    entries = []
    rules = context.rules
    for bill, d in zip(bills, drafts, strict=True):
        ar_lines: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
        credit_lines: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
        for s in d.segments:
            segment_id = next(segment_ids)
            a = s.agreement
            for seq, line in enumerate(s.lines, 1):
                receivable, credit_gl = gl_for_line(line.kind, a["service"], a["customer_class"], rules)
                credit_gl = getattr(line, "gl_account", None) or credit_gl  # an ExtraLine names its own
                line_rows.append((segment_id, seq, line.kind, line.description[:200], line.quantity, line.unit,
                                  line.rate, line.amount, credit_gl))
                ar_lines[(receivable, a["pk"])] += line.amount
                credit_lines[(credit_gl, a["pk"])] += line.amount
        if bill.status == Bill.Status.ISSUED:
            spec = entry_for(bill, ar_lines, credit_lines, account_number=d.segments[0].agreement["account__number"])
            if spec is not None:
                entries.append(spec)
    insert_rows(BillLine, LINE_COLUMNS, line_rows, return_ids=False)
    bill_of = {d.account_id: bill for bill, d in zip(bills, drafts, strict=True)}
    for billed, placed in extra:
        billed([(line.source, bill_of[draft.account_id].pk, bill_of[draft.account_id].bill_date)
                for line, draft in placed])
    STAGE_SECONDS["write bills"] += time.perf_counter() - started
    started = time.perf_counter()
    post_entries(entries, created_by=created_by, ids_only=True)
    STAGE_SECONDS["post (ledger)"] += time.perf_counter() - started
    return bills


def entry_for(bill: Bill, ar_lines: dict, credit_lines: dict, *, account_number: str) -> EntrySpec | None:
    """Dr receivable per agreement / Cr revenue and tax per agreement; a net
    credit goes on the other side, so every line stays non-negative."""
    lines = []
    for (gl, agreement_id), amount in sorted(ar_lines.items()):
        if amount:
            lines.append(Line(gl_account=gl, debit=max(amount, ZERO), credit=max(-amount, ZERO),
                              account_id=bill.account_id, agreement_id=agreement_id, memo=f"bill {bill.pk}"))
    for (gl, agreement_id), amount in sorted(credit_lines.items()):
        if amount:
            lines.append(Line(gl_account=gl, debit=max(-amount, ZERO), credit=max(amount, ZERO),
                              account_id=bill.account_id, agreement_id=agreement_id, memo=f"bill {bill.pk}"))
    if len(lines) < 2:
        return None
    return EntrySpec(event="bill", effective_date=bill.bill_date,
                     description=f"Bill {bill.pk} for account {account_number}, period ending {bill.period_end}",
                     lines=lines, source_type="billing.bill", source_id=bill.pk, idempotency_key=bill.idempotency_key)


def bill_chunk(run: BillRun, chunk: BillRunChunk, *, worker: str, context: RunContext) -> tuple[int, int]:
    """Bill one claimed chunk in one transaction. Returns (issued, held)."""
    started = time.perf_counter()
    with gc_paused(), transaction.atomic():
        agreements = due_agreements(chunk.account_ids, run.cycle_id, run.period_end)
        drafts = draft_bills(agreements, run.period_end, context)
        bills = write_bills(drafts, run=run, period_end=run.period_end, bill_date=run.bill_date,
                            due_date=run.due_date, context=context)
        issued = [b for b in bills if b.status == Bill.Status.ISSUED]
        held = len(bills) - len(issued)
        finished = BillRunChunk.objects.filter(pk=chunk.pk, worker=worker, status=BillRunChunk.Status.CLAIMED).update(
            status=BillRunChunk.Status.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now(),
            bills_issued=len(issued), bills_held=held)
        if not finished:
            raise IntegrityError(f"chunk {chunk.number} was taken over by another worker")
        BillRun.objects.filter(pk=run.pk).update(
            chunks_done=F("chunks_done") + 1, bills_issued=F("bills_issued") + len(issued),
            bills_held=F("bills_held") + held,
            amount_issued=F("amount_issued") + sum((b.current_charges for b in issued), ZERO))
    STAGE_SECONDS["chunk total"] += time.perf_counter() - started
    return len(issued), held


def entry_for_stored_bill(bill: Bill, rules: PostingRules) -> EntrySpec | None:
    """The journal entry of a bill written earlier (a held bill being released)."""
    ar_lines: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    credit_lines: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for kind, amount, gl, agreement_id, service, customer_class in BillLine.objects.filter(segment__bill=bill).values_list(
            "kind", "amount", "gl_account", "segment__agreement_id", "segment__service", "segment__customer_class"):
        receivable, _ = gl_for_line(kind, service, customer_class, rules)
        ar_lines[(receivable, agreement_id)] += amount
        credit_lines[(gl, agreement_id)] += amount
    return entry_for(bill, ar_lines, credit_lines, account_number=bill.account.number)


def hold_label(code: str) -> str:
    return HOLD_REASONS.get(code, code)
