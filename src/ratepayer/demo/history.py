"""A year of history for the demo utility: reads, bill runs and payments.

The steps here run after the opening balances (see ``builder.STEPS``):

- ``conversion_bills``: the last bill of the previous system per account, so
  the first bill here starts the day after the last read billed there (a bill
  period must not reach back to the day service started, years ago);
- ``reads``: a read per register meter per month from September 2025 (the
  last read billed by the previous system) through October 2026, seasonal and
  sized by customer class, through ``metering.actions.load_reads_bulk``; the
  last month is validated, with a few implausible reads left in the read
  exceptions queue; AMI meters of large customers also get a year of 15-minute
  interval data (``load_intervals_bulk``) up to ``INTERVALS_UP_TO_ACCOUNTS``;
- ``bill_runs``: every cycle billed monthly, October 2025 through October
  2026, through the real pipeline (``plan_run`` + ``work_on_run``);
- ``payments``: see ``payments.py`` in this package.

Every random draw comes from the build's seeded generator, so the same seed
gives the same year.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection
from django.db.models import Sum

from ratepayer.billing import billrun
from ratepayer.billing.models import Bill, BillSegment
from ratepayer.bulk import insert_rows
from ratepayer.customers.models import Account, Meter, MeterInstallation
from ratepayer.ledger.models import ARBalance
from ratepayer.metering.actions import ReadInput, load_intervals_bulk, load_reads_bulk

from . import payments
from .builder import DemoBuild, Step, add_step

# The previous system billed the September 2025 reads; this one bills from October.
OPENING_MONTH = (2025, 9)
# AMI history is 35,040 values per meter-year: above this many accounts the
# large customers are billed from their register (kWh and demand) reads only.
INTERVALS_UP_TO_ACCOUNTS = 20000
# a debit returned for insufficient funds, one for a closed bank account
RETURN_MONTHS = {2: "R01", 9: "R02"}
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


def _months(billed: int) -> list[tuple[int, int]]:
    year, month = OPENING_MONTH
    out = []
    for _ in range(billed + 1):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def read_dates(build: DemoBuild) -> dict[int, list[date]]:
    """Cycle id -> its read dates, the opening (previous system's) one first."""
    if "read_dates" not in build.extra:
        build.extra["read_dates"] = {c.pk: [billrun.read_date_for(c, y, m) for y, m in _months(build.months)]
                                     for c in build.cycles}
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
    balances = dict(ARBalance.objects.values("account_id").annotate(total=Sum("balance"))
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
                                          profiles.get(plan.premises[s.premise].points[s.service]), read)
                       for s in active), Decimal("0.00"))
        bills.append((account.pk, None, read - timedelta(days=30), read, bill_date, bill_date + timedelta(days=21),
                      Bill.Status.ISSUED, [], charges, owed - charges, owed, "en",
                      None, now, now, None, None, None, ""))
        segments.append([(s, points[plan.premises[s.premise].points[s.service]]["class"]) for s in active])
    ids = insert_rows(Bill, billrun.BILL_COLUMNS, bills)
    rows = []
    for bill_id, bill, services in zip(ids, bills, segments, strict=True):
        for s, customer_class in services:
            rows.append((bill_id, s.pk, s.service, customer_class, bill[2], bill[3], bill[3], Decimal(0), "", None,
                         "actual", 0, None, None, "", None, Decimal("0.00"),
                         "billed by the previous system (conversion)", False))
    insert_rows(BillSegment, billrun.SEGMENT_COLUMNS, rows, return_ids=False)
    build.counts["conversion_bills"] = len(ids)


def _last_month_charge(service: str, info: dict, profile: tuple[float, float | None] | None, day: date) -> Decimal:
    """About what the assigned schedule charges for a month of this use: the
    previous system's bills must look like this system's, or the first bills
    here would be held as high bills against them."""
    if service == "sewer":
        return Decimal(86 * max(1, info["units"]))
    monthly, demand = profile or (0.0, None)
    use = monthly * _season(service, info, day)
    if service == "electric" and info["class"] == "residential":
        amount = 19 + 0.0879 * use
    elif service == "electric":
        amount = (11.1 + 0.0904 * min(use, 30000) + 0.0698 * max(0.0, use - 30000)
                  + 8.47 * max(0.0, (demand or 0) - 100))
    elif info["class"] == "residential" and info["units"] <= 1:
        kgal = use * 0.748
        amount = 47 + 2 * min(kgal, 4) + 5.68 * max(0.0, min(kgal, 10) - 4) + 7.5 * max(0.0, kgal - 10)
    else:
        amount = 35.5 + 3.4 * max(0.0, use - 5)
    return Decimal(str(round(amount, 2)))


# --------------------------------------------------------------------------- reads


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


def load_reads(build: DemoBuild) -> None:
    """A read per register meter per month, opening month included; the last
    month through validation with a few implausible reads for the queue."""
    if not build.months:
        return
    rng = build.rng
    dates = read_dates(build)
    points = _points(build)
    meters = list(MeterInstallation.objects.filter(removed_on__isnull=True, service_point_id__in=list(points))
                  .order_by("service_point_id")
                  .values_list("service_point_id", "install_read", "meter_id", "meter__serial_number",
                               "meter__service", "meter__kind", "meter__multiplier", "meter__dial_count"))
    history: list[ReadInput] = []
    last_month: list[ReadInput] = []
    profiles: list[tuple[int, dict, float, float | None]] = []
    anomalies = 0
    profiles_by_point = _profiles(build)
    # a misread dial or a leak here and there, for the read exceptions queue
    implausible = {meters[i][2] for i in rng.sample(range(len(meters)), min(len(meters), max(3, len(meters) // 150)))}
    for point_id, install_read, meter_id, serial, service, kind, multiplier, dials in meters:
        info = points[point_id]
        monthly, demand = profiles_by_point[point_id]
        if kind == "interval":
            profiles.append((meter_id, info, monthly, demand))
        value = Decimal(install_read)
        rollover = Decimal(10) ** dials
        days = dates[info["cycle"]]
        previous = days[0] - timedelta(days=30)
        for i, day in enumerate(days):
            use = monthly * _season(service, info, day) * (day - previous).days / 30.4 * rng.uniform(0.9, 1.1)
            last = i == len(days) - 1
            if last and meter_id in implausible:
                use *= rng.choice((0.0, 5.0, 8.0))  # a misread dial, a leak: for the exceptions queue
                anomalies += 1
            register = Decimal(round(use / float(multiplier)))
            value = (value + register) % rollover
            kw = None if demand is None else Decimal(str(round(demand * rng.uniform(0.85, 1.2), 1)))
            (last_month if last else history).append(ReadInput(serial, day, value, demand_kw=kw))
            previous = day
    user = build.users["specialist"]
    loaded = load_reads_bulk(history, user=user, name=f"demo: reads {dates[build.cycles[0].pk][0]:%Y-%m} to "
                                                      f"{dates[build.cycles[0].pk][-2]:%Y-%m}", validate=False)
    checked = load_reads_bulk(last_month, user=user, name=f"demo: route reads {dates[build.cycles[0].pk][-1]:%Y-%m}")
    build.counts["reads"] = loaded.reads_created + checked.reads_created
    build.counts["read_exceptions"] = checked.exceptions_created
    build.counts["interval_meters"] = len(profiles)
    build.counts["interval_days"] = _load_intervals(build, profiles, dates) if build.accounts <= INTERVALS_UP_TO_ACCOUNTS else 0


def _load_intervals(build: DemoBuild, profiles, dates: dict[int, list[date]]) -> int:
    """15-minute kWh for the AMI meters of large customers: a working-day
    shape (higher 07:00-18:00, lower at night and on Sundays) scaled to each
    meter's monthly use, over the whole year of bills."""
    if not profiles:
        return 0
    series = []
    by_pk = Meter.objects.in_bulk([p[0] for p in profiles])
    for meter_id, info, monthly, _demand in profiles:
        days = dates[info["cycle"]]
        start = datetime.combine(days[0], datetime.min.time(), tzinfo=ZONE)
        end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tzinfo=ZONE)
        first, last = int(start.timestamp()), int(end.timestamp())
        starts = np.arange(first, last, 900, dtype=np.int64)
        local = starts.astype("datetime64[s]") - np.timedelta64(8, "h")  # shape only; DST does not matter
        hour = (local.astype("datetime64[h]").astype(np.int64) % 24)
        weekday = (local.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 0 = Monday
        month = local.astype("datetime64[M]").astype(np.int64) % 12
        working = (hour >= 7) & (hour < 18) & (weekday < 6)
        shape = np.where(working, 1.9, 0.55) * np.where(weekday == 6, 0.7, 1.0)
        season = np.asarray([_season("electric", info, date(2026, m + 1, 1)) for m in range(12)])[month]
        seed = build.rng.randrange(2**32)
        noise = np.random.default_rng(seed).uniform(0.85, 1.15, len(starts))
        kwh = shape * season * noise
        kwh *= (monthly * len(starts) / (30.4 * 96)) / kwh.sum()
        wh = np.round(kwh * 1000).astype(np.int64)
        series.append((by_pk[meter_id], 900, starts.tolist(), wh.tolist()))
    return load_intervals_bulk(series)


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


def run_bills(build: DemoBuild) -> None:
    """Each cycle billed every month through the bill-run pipeline, and the
    month's bills paid (or not) before the next month is billed, so every
    bill's previous balance is what the customer really owed."""
    if not build.months:
        return
    dates = read_dates(build)
    supervisor = build.users["supervisor"]
    payments.enroll_autopay(build)
    counter = [pk for pk, habit in payments.habits(build).items() if habit == "counter"]
    build.extra["accounts"] = Account.objects.select_related("customer").in_bulk(counter)
    payer = payments.Payer(build)
    refresh_statistics()
    runs = issued = held = 0
    for month in range(1, build.months + 1):
        run_ids = []
        for cycle in build.cycles:
            run = billrun.plan_run(cycle=cycle, period_end=dates[cycle.pk][month], user=supervisor)
            if run.accounts_due:
                billrun.work_on_run(run, worker="demo")
                run.refresh_from_db()
                run_ids.append(run.pk)
                issued += run.bills_issued
                held += run.bills_held
        runs += len(run_ids)
        if month <= 2 or month % 3 == 0:
            refresh_statistics()
        next_reads = min(dates[c.pk][month + 1] for c in build.cycles) if month < build.months else None
        payer.pay_bills(payments.issued_bills(run_ids), complete_before=next_reads, first=month == 1)
        if month in RETURN_MONTHS:
            payer.return_some(RETURN_MONTHS[month], 1)
    build.counts["bill_runs"] = runs
    build.counts["bills_issued"] = issued
    build.counts["bills_held"] = held
    build.counts.update(payer.counts)
    build.counts["ach_returns"] = payer.returned
    build.counts["refunds"] = payments.refund_credits(build)


add_step(Step("conversion_bills", create_conversion_bills, "the previous system's last bill per account"),
         after="opening_balances")
add_step(Step("reads", load_reads, "a year of monthly register reads and AMI intervals"), after="conversion_bills")
add_step(Step("bill_runs", run_bills, "every cycle billed and paid monthly for a year"), after="reads")
