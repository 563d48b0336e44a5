"""The demo utility's history, lived day by day in date order through yesterday.

The steps here run after the opening balances (see ``builder.STEPS``):

- ``conversion_bills``: the last bill of the previous system per account, so
  the first bill here starts the day after the last read billed there (a bill
  period must not reach back to the day service started, years ago);
- ``history``: from the conversion date to the day before ``build.today``,
  each day in order, what a utility does that day and nothing it could not
  know yet:

  1. the morning's bank statement (BAI2, the previous business day's
     deposits) through ``payments.actions.import_bank_statement``;
  2. the bill runs of the cycles whose bill date it is (``plan_run`` +
     ``work_on_run``), before any of the day's payments: a bill's previous
     balance is then exactly what was owed at the end of the day before,
     which the demo test checks against the journal;
  3. held bills a week old are released after review (a few from the last
     runs stay in the queue, as on any working morning);
  4. the route reads of the cycles read that day (``load_reads_bulk``; the
     last two weeks' through validation, so a few implausible reads wait in
     the read exceptions queue) and the AMI meters' intervals for the period
     that ends that day, generated to add up to the register's advance;
  5. the day's payments (``payments.py``): lockbox file, counter drawer,
     ACH debit file and settlement, returns; then the day's deposits go on
     the bank statement the bank sends next morning.

Every random draw comes from the build's seeded generator, so the same seed
and the same today give the same utility.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection

from ratepayer.billing import billrun
from ratepayer.billing.actions import release_bill
from ratepayer.billing.models import Bill, BillSegment
from ratepayer.customers.models import Account, Meter, MeterInstallation
from ratepayer.db.bulk import insert_rows
from ratepayer.db.money import MoneySum
from ratepayer.kernel.periods import BusinessCalendar
from ratepayer.ledger.models import ARBalance
from ratepayer.metering.actions import ReadInput, load_intervals_bulk, load_reads_bulk

from . import payments
from .plan import DemoBuild

# AMI history is 35,040 values per meter-year: above this many accounts the
# large customers are billed from their register (kWh and demand) reads only.
INTERVALS_UP_TO_ACCOUNTS = 20000
# Reads of the last days before today go through validation (a few implausible
# ones wait in the read exceptions queue); earlier ones were dealt with long ago.
VALIDATED_DAYS = 14
# A held bill is reviewed and released this many days after its bill date.
HELD_BILL_REVIEW_DAYS = 7
ZONE = ZoneInfo("America/Los_Angeles")
TWO = Decimal("0.01")

# Monthly use relative to the year's average, January first. Western
# Washington homes peak in winter (heating, lighting); water peaks in summer.
ELECTRIC_SEASON = (1.38, 1.22, 1.05, 0.92, 0.82, 0.76, 0.80, 0.82, 0.80, 0.92, 1.13, 1.38)
ELECTRIC_HEAT_SEASON = (1.75, 1.5, 1.2, 0.9, 0.65, 0.5, 0.5, 0.52, 0.58, 0.9, 1.35, 1.65)
WATER_SEASON = (0.75, 0.72, 0.78, 0.85, 1.0, 1.25, 1.55, 1.6, 1.3, 0.95, 0.78, 0.75)
# average kWh / CCF a month, and the demand that goes with it
MONTHLY_KWH = {"residential": 760.0, "commercial": 9000.0, "public_authority": 14000.0, "industrial": 180000.0}
MONTHLY_CCF = {"residential": 7.0, "commercial": 30.0, "public_authority": 60.0, "industrial": 320.0}
LOAD_FACTOR = {"commercial": 0.45, "public_authority": 0.4, "industrial": 0.65}


def _months(build: DemoBuild) -> list[tuple[int, int]]:
    """(year, month) from the month before the conversion (the previous
    system billed its reads) through today's month."""
    index = build.conversion_date.year * 12 + build.conversion_date.month - 2
    last = build.today.year * 12 + build.today.month - 1
    return [(i // 12, i % 12 + 1) for i in range(index, last + 1)]


def read_dates(build: DemoBuild) -> dict[int, list[date]]:
    """Cycle id -> its read dates: the opening (previous system's) one first,
    then every one before today."""
    if "read_dates" not in build.extra:
        out = {}
        for c in build.cycles:
            days = [billrun.read_date_for(c, y, m) for y, m in _months(build)]
            out[c.pk] = days[:1] + [d for d in days[1:] if d < build.today]
        build.extra["read_dates"] = out
    return build.extra["read_dates"]


def _points(build: DemoBuild) -> dict[int, dict]:
    """Service point id -> what sizes its use: class, size, heating, cycle."""
    plan = build.plan
    out: dict[int, dict] = {}
    for account in plan.accounts:
        cycle = build.cycles[plan.premises[account.premises[0]].cycle].pk
        for s in account.services:
            if s.end is not None:
                continue
            premise = plan.premises[s.premise]
            out[premise.points[s.service]] = {
                "class": account.customer_class, "large": account.large, "cycle": cycle,
                "heat": premise.space_heat_electric, "units": premise.dwelling_units, "agreement": s.pk,
                "account": account.pk}
    return out


# --------------------------------------------------------------------------- the previous system's last bill


def create_conversion_bills(build: DemoBuild) -> None:
    """One issued bill per account for the period ending at the opening read:
    what the previous system last billed, for the balance carried over (its
    journal entry is the opening balance's, so it posts nothing). Its
    segments tell the first bill run here where each service was billed to."""
    if not build.months:
        return
    dates = read_dates(build)
    points = _points(build)
    balances = dict(ARBalance.objects.values("account_id").annotate(total=MoneySum("balance"))
                    .values_list("account_id", "total"))
    plan = build.plan
    profiles = _profiles(build)
    now = datetime.now(tz=ZONE)
    bills, segments = [], []
    for account in plan.accounts:
        active = [s for s in account.services if s.end is None]
        if not active:
            continue
        cycle = build.cycles[plan.premises[account.premises[0]].cycle].pk
        read = dates[cycle][0]
        bill_date = read + timedelta(days=3)
        owed = balances.get(account.pk) or Decimal("0.00")
        charges = sum((_last_month_charge(s.service, points[plan.premises[s.premise].points[s.service]],
                                          profiles.get(plan.premises[s.premise].points[_measured_by(s.service)]),
                                          read, plan.premises[s.premise])
                       for s in active), Decimal("0.00"))
        bills.append((account.pk, None, read - timedelta(days=30), read, bill_date, bill_date + timedelta(days=21),
                      Bill.Status.ISSUED, [], charges, owed - charges, owed, "en",
                      None, now, now, None, None, None, ""))
        segments.append([(s, points[plan.premises[s.premise].points[s.service]]["class"]) for s in active])
    ids = insert_rows(Bill, billrun.BILL_COLUMNS, bills)
    rows = []
    for bill_id, bill, services in zip(ids, bills, segments, strict=True):
        for s, customer_class in services:
            rows.append((bill_id, s.pk, s.service, customer_class, bill[2], bill[3], bill[3], Decimal(0), "", "", None,
                         "actual", 0, None, None, "", None, Decimal("0.00"),
                         "billed by the previous system (conversion)", False))
    insert_rows(BillSegment, billrun.SEGMENT_COLUMNS, rows, return_ids=False)
    build.counts["conversion_bills"] = len(ids)


# Union Gap sewer's 2024 ready-to-serve charge by water meter size (S-GEN).
_READY_TO_SERVE = {"3/4": 59.06, "1": 55.51, "1.5": 106.11, "2": 167.15, "3": 329.77, "4": 512.80}


def _measured_by(service: str) -> str:
    """The service whose meter measures a service's use (sewer: the water's)."""
    return "water" if service == "sewer" else service


def _last_month_charge(service: str, info: dict, profile: tuple[float, float | None] | None, day: date,
                       premise) -> Decimal:
    """About what the assigned schedule charges for a month of this use (for
    sewer, of the premise's water use): the previous system's bills must look
    like this system's, or the first bills here would be held as high bills
    against them."""
    monthly, demand = profile or (0.0, None)
    if service == "sewer":
        water = monthly * _season("water", info, day)
        if info["class"] != "residential":  # S-GEN: ready-to-serve by meter size, volume but on 3/4"
            size = premise.water_meter_size
            amount = _READY_TO_SERVE.get(size, 59.06) + (0 if size == "3/4" else 3.38 * water)
            return Decimal(str(round(amount, 2)))
        if premise.premise_type != "multi_family":  # S-WAV: base and volume (at most the winter average)
            return Decimal(str(round(59.06 + 3.38 * water, 2)))
        return Decimal(86 * max(1, info["units"]))
    use = monthly * _season(service, info, day)
    if service == "electric" and info["class"] == "residential":
        amount = 0.38 * 30 + 0.09231 * use  # Schedule 7 (2025-04-01), a medium base charge
    elif service == "electric":
        amount = (11.1 + 0.0904 * min(use, 30000) + 0.0698 * max(0.0, use - 30000)
                  + 8.47 * max(0.0, (demand or 0) - 100))
    elif info["class"] == "residential" and info["units"] <= 1:
        kgal = use * 0.748
        amount = 47 + 2 * min(kgal, 4) + 5.68 * max(0.0, min(kgal, 10) - 4) + 7.5 * max(0.0, kgal - 10)
    else:
        amount = 35.5 + 3.4 * max(0.0, use - 5)
    return Decimal(str(round(amount, 2)))


def _profiles(build: DemoBuild) -> dict[int, tuple[float, float | None]]:
    """Service point id -> (average use a month, average demand kW or None),
    drawn once per build in plan order."""
    if "profiles" not in build.extra:
        build.extra["profiles"] = {point: _monthly(build, info, service)
                                   for point, (info, service) in _metered(build).items()}
    return build.extra["profiles"]


def _metered(build: DemoBuild) -> dict[int, tuple[dict, str]]:
    plan, points = build.plan, _points(build)
    out = {}
    for premise in plan.premises:
        for service, point in premise.points.items():
            if service != "sewer" and point in points:
                out[point] = (points[point], service)
    return out


def _monthly(build: DemoBuild, info: dict, service: str) -> tuple[float, float | None]:
    """(average use a month, average demand kW or None) for one service point."""
    rng = build.rng
    scale = rng.lognormvariate(0, 0.35)
    customer_class = info["class"]
    if service == "electric":
        use = MONTHLY_KWH[customer_class] * scale * (1.0 if customer_class != "residential" else
                                                     (1.45 if info["heat"] else 0.85) * max(1, info["units"]) ** 0.5)
        if info["large"] and customer_class == "commercial":
            use *= 8
        demand = None if customer_class == "residential" else use / (730 * LOAD_FACTOR[customer_class])
        return use, demand
    return MONTHLY_CCF[customer_class] * scale * max(1, info["units"]) ** 0.8, None


def _season(service: str, info: dict, day: date) -> float:
    if service == "water":
        return WATER_SEASON[day.month - 1]
    if info["class"] == "residential":
        return (ELECTRIC_HEAT_SEASON if info["heat"] else ELECTRIC_SEASON)[day.month - 1]
    return 0.85 + 0.15 * ELECTRIC_SEASON[day.month - 1]


# --------------------------------------------------------------------------- reads and intervals


def plan_reads(build: DemoBuild) -> tuple[dict[date, list[ReadInput]], dict[date, list], int]:
    """Every register read of the history, by read date, and the AMI
    meters' interval series, by the read date that closes their period.

    An AMI meter's intervals over a bill period add up exactly to its
    register's advance over that period (times the multiplier), as a real
    meter's do: the bill run checks one against the other and holds the bill
    when they disagree (``billrun.interval_register_mismatch``)."""
    rng = build.rng
    dates = read_dates(build)
    points = _points(build)
    meters = list(MeterInstallation.objects.filter(removed_on__isnull=True, service_point_id__in=list(points))
                  .order_by("service_point_id")
                  .values_list("service_point_id", "install_read", "meter_id", "meter__serial_number",
                               "meter__service", "meter__kind", "meter__multiplier", "meter__dial_count"))
    reads: dict[date, list[ReadInput]] = defaultdict(list)
    advances: list[tuple[int, dict, list[date], list[int], int]] = []
    profiles_by_point = _profiles(build)
    validated_from = build.today - timedelta(days=VALIDATED_DAYS)
    # a misread dial or a leak here and there among the reads still being
    # validated, for the read exceptions queue (AMI meters report, nobody misreads them)
    implausible = {meters[i][2] for i in rng.sample(range(len(meters)), min(len(meters), max(3, len(meters) // 150)))
                   if meters[i][5] != "interval"}
    anomalies = 0
    for point_id, install_read, meter_id, serial, service, kind, multiplier, dials in meters:
        info = points[point_id]
        monthly, demand = profiles_by_point[point_id]
        value = Decimal(install_read)
        rollover = Decimal(10) ** dials
        days = dates[info["cycle"]]
        previous = days[0] - timedelta(days=30)
        registers = []
        for i, day in enumerate(days):
            use = monthly * _season(service, info, day) * (day - previous).days / 30.4 * rng.uniform(0.9, 1.1)
            if day >= validated_from and meter_id in implausible and i:
                use *= rng.choice((0.0, 5.0, 8.0))  # a misread dial, a leak: for the exceptions queue
                anomalies += 1
            register = round(use / float(multiplier))
            registers.append(register)
            value = (value + register) % rollover
            kw = None if demand is None else Decimal(str(round(demand * rng.uniform(0.85, 1.2), 1)))
            reads[day].append(ReadInput(serial, day, value, demand_kw=kw))
            previous = day
        if kind == "interval" and build.accounts <= INTERVALS_UP_TO_ACCOUNTS:
            advances.append((meter_id, info, days, registers, int(multiplier)))
    build.counts["implausible_reads"] = anomalies
    return reads, _interval_series(build, advances), len(advances)


def _interval_series(build: DemoBuild, advances) -> dict[date, list]:
    """15-minute Wh for each AMI meter and bill period: a working-day shape
    (higher 07:00-18:00, lower at night and on Sundays), scaled so the
    period's intervals add up to the register's advance to the watt-hour."""
    out: dict[date, list] = defaultdict(list)
    by_pk = Meter.objects.in_bulk([a[0] for a in advances])
    for meter_id, _info, days, registers, multiplier in advances:
        seed = build.rng.randrange(2**32)
        noise_rng = np.random.default_rng(seed)
        for i in range(1, len(days)):
            first = int(datetime.combine(days[i - 1] + timedelta(days=1), datetime.min.time(), tzinfo=ZONE).timestamp())
            last = int(datetime.combine(days[i] + timedelta(days=1), datetime.min.time(), tzinfo=ZONE).timestamp())
            starts = np.arange(first, last, 900, dtype=np.int64)
            local = starts.astype("datetime64[s]") - np.timedelta64(8, "h")  # shape only; DST does not matter
            hour = (local.astype("datetime64[h]").astype(np.int64) % 24)
            weekday = (local.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 0 = Monday
            working = (hour >= 7) & (hour < 18) & (weekday < 6)
            shape = np.where(working, 1.9, 0.55) * np.where(weekday == 6, 0.7, 1.0)
            shape = shape * noise_rng.uniform(0.85, 1.15, len(starts))
            out[days[i]].append((by_pk[meter_id], 900, starts.tolist(), spread(registers[i] * multiplier * 1000, shape)))
    return out


def spread(total: int, shape: np.ndarray) -> list[int]:
    """Whole watt-hours in proportion to ``shape`` that add up to ``total``
    exactly (largest remainder, as money is split)."""
    exact = shape / shape.sum() * total
    whole = np.floor(exact).astype(np.int64)
    short = int(total - whole.sum())
    if short:
        whole[np.argsort(whole - exact, kind="stable")[:short]] += 1
    return whole.tolist()


# --------------------------------------------------------------------------- bill runs

# The build is one transaction, so autovacuum never sees its rows: without
# fresh statistics PostgreSQL plans the months' queries for empty tables
# (a second per payment file instead of milliseconds).
GROWING_TABLES = (
    "customers_serviceagreement", "metering_registerread", "metering_intervalday", "billing_bill",
    "billing_billsegment", "billing_billline", "ledger_journalentry", "ledger_journalline", "ledger_arbalance",
    "payments_payment", "payments_paymentapplication", "payments_achentry", "payments_autopayenrollment")


def refresh_statistics() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        tables = [t for t in GROWING_TABLES if t in existing]
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}")


def bill_dates(build: DemoBuild) -> dict[date, list[tuple[object, date]]]:
    """Bill date -> (cycle, read date) of the runs made that day, for every
    read date whose bill date is before today."""
    dates = read_dates(build)
    calendar = BusinessCalendar()
    out: dict[date, list[tuple[object, date]]] = defaultdict(list)
    for cycle in build.cycles:
        for read in dates[cycle.pk][1:]:
            bill_date, _ = billrun.scheduled_dates(read, billrun.billing_policy_on(read), calendar)
            if bill_date < build.today:
                out[bill_date].append((cycle, read))
    return out


class Office:
    """The utility's working days, one after another."""

    def __init__(self, build: DemoBuild) -> None:
        self.build = build
        self.calendar = BusinessCalendar()
        self.supervisor = build.users["supervisor"]
        self.payer = payments.Payer(build)
        self.runs = self.issued = self.held = self.released = 0
        self.reads = self.read_exceptions = self.interval_days = 0

    def bill(self, cycle, read: date, day: date) -> None:
        run = billrun.plan_run(cycle=cycle, period_end=read, user=self.supervisor)
        if run.bill_date != day:
            raise AssertionError(f"cycle {cycle.code}: the run for {read} bills on {run.bill_date}, not {day}")
        if not run.accounts_due:
            return
        billrun.work_on_run(run, worker="demo")
        run.refresh_from_db()
        self.runs += 1
        self.issued += run.bills_issued
        self.held += run.bills_held
        self.payer.schedule(payments.issued_bills(run_ids=[run.pk]))

    def review_held_bills(self, day: date) -> None:
        """Held bills a week old were looked into (the use was real: a new
        tenant, a cold week) and are released; bills that could not be rated
        wait for a corrected read."""
        reviewed = (Bill.objects.filter(status=Bill.Status.HELD, bill_date=day - timedelta(days=HELD_BILL_REVIEW_DAYS))
                    .exclude(segments__problem__gt="").order_by("pk"))
        released = []
        for bill in reviewed:
            release_bill(user=self.build.users["senior"], bill=bill, note="use confirmed with the customer")
            released.append(bill.pk)
        if released:
            self.released += len(released)
            self.payer.schedule(payments.bills_by_id(released))

    def read_meters(self, day: date, reads: list[ReadInput], intervals: list) -> None:
        user = self.build.users["specialist"]
        if reads:
            result = load_reads_bulk(reads, user=user, name=f"demo: route reads {day:%Y-%m-%d}",
                                     validate=day >= self.build.today - timedelta(days=VALIDATED_DAYS))
            self.reads += result.reads_created
            self.read_exceptions += result.exceptions_created
        if intervals:
            self.interval_days += load_intervals_bulk(intervals)


# Work done at the end of each history day by later apps (the collections run): hook(build, day).
DAY_HOOKS: list = []


def add_day_hook(hook) -> None:
    if hook not in DAY_HOOKS:
        DAY_HOOKS.append(hook)


def live_history(build: DemoBuild) -> None:
    """The days from the conversion to yesterday, in order (see the module docstring)."""
    if not build.months:
        return
    reads, intervals, interval_meters = plan_reads(build)
    runs = bill_dates(build)
    payments.enroll_autopay(build)
    counter = [pk for pk, habit in payments.habits(build).items() if habit == "counter"]
    build.extra["accounts"] = Account.objects.select_related("customer").in_bulk(counter)
    office = Office(build)
    payer = office.payer
    refresh_statistics()
    first = min(reads)
    day = first
    while day < build.today:
        payer.import_statement(before=day)
        for cycle, read in runs.get(day, ()):
            office.bill(cycle, read, day)
        office.review_held_bills(day)
        office.read_meters(day, reads.get(day, []), intervals.get(day, []))
        payer.work_day(day)
        for hook in DAY_HOOKS:
            hook(build, day)
        if day.day == 1:
            refresh_statistics()
        day += timedelta(days=1)
    payer.import_statement(before=build.today)  # this morning's file, the last business day's deposits
    payer.open_counter(build.today)
    build.counts.update({"bill_runs": office.runs, "bills_issued": office.issued, "bills_held": office.held,
                         "held_bills_released": office.released, "reads": office.reads,
                         "read_exceptions": office.read_exceptions, "interval_meters": interval_meters,
                         "interval_days": office.interval_days})
    build.counts.update(payer.counts)
    build.counts["refunds"] = payments.refund_credits(build)
