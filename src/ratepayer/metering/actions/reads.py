"""Storing register reads: the one path every read takes (typed in, imported, bulk
loaded, meter change).

``store_reads`` loads what validation needs for the whole batch in a fixed number of
queries (meters, installations, agreements, the last 13 months of reads, policy, class
averages — ``queries.load_history``), validates in memory, and bulk-inserts the reads
and their exceptions. A read that is well-formed but implausible is stored and held
in the read exceptions queue; a read that cannot be stored at all (unknown meter,
future date, a different value for a day already read) refuses the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone

from ratepayer.customers.models import Meter
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from .. import calculations as calc
from ..errors import ImportRejected, MeteringError, RowProblem
from ..models import ReadException, ReadImportFile, ReadOrder, RegisterRead
from ..queries import HISTORY_DAYS, IN_CHUNK, ReadRow, in_chunks, load_history

RT = RegisterRead.ReadType
ENTERABLE_TYPES = {RT.ACTUAL, RT.CUSTOMER, RT.FINAL, RT.METER_OUT, RT.METER_IN}


@dataclass
class ReadInput:
    """One read to store; ``line`` is its line in a file (None when typed in)."""

    meter_serial: str
    read_date: date
    value: Decimal
    read_type: str = RT.ACTUAL
    demand_kw: Decimal | None = None
    account_number: str = ""
    note: str = ""
    line: int | None = None


@dataclass
class StoreResult:
    reads: list[RegisterRead] = field(default_factory=list)
    exceptions: list[ReadException] = field(default_factory=list)
    duplicates: int = 0


def _fmt(q: Decimal) -> str:
    return f"{q.normalize():,f}" if q == q.to_integral() else f"{q:,.2f}"


def _describe(reasons: list[str], *, usage: Decimal, days: int, unit: str, expected: calc.Expected | None,
              extra: list[str]) -> str:
    parts = list(extra)
    if expected is not None and {"high_usage", "low_usage"} & set(reasons) and days:
        ratio = (usage / days) / expected.daily if expected.daily else Decimal(0)
        basis = {"same_season": "same season last year", "recent_history": "recent history",
                 "class_average": "class average"}[expected.basis]
        word = "High" if "high_usage" in reasons else "Low"
        parts.append(f"{word} usage: {_fmt(usage)} {unit} over {days} days is {ratio:.1f}× the expected "
                     f"{expected.daily:.2f} {unit}/day ({basis})")
    if "zero_usage" in reasons:
        parts.append(f"Zero usage over {days} days on an active service")
    if "negative_usage" in reasons:
        parts.append(f"Reading is below the previous one by {_fmt(-usage)} {unit} and is not a plausible rollover")
    return "; ".join(parts)[:300]


def store_reads(inputs: Sequence[ReadInput], *, user, source: str, file_name: str,
                 import_file: ReadImportFile | None = None, validate: bool = True,
                 problems: list[RowProblem] | None = None) -> StoreResult:
    """Validate and bulk-insert reads; raise ImportRejected listing every bad row.

    Must run inside a transaction (the caller's). Rows are processed per meter in
    date order, so a file may hold a year of reads for a meter. ``problems`` already
    found (by the parser) are reported together with these.
    """
    problems = list(problems or [])
    today = timezone.localdate()
    serials = {i.meter_serial for i in inputs}
    meter_ids: dict[str, int] = {}
    for chunk_start in range(0, len(serials), IN_CHUNK):
        chunk = sorted(serials)[chunk_start:chunk_start + IN_CHUNK]
        meter_ids.update(Meter.objects.filter(serial_number__in=chunk).values_list("serial_number", "pk"))
    seen: set[tuple[str, date]] = set()
    for i in inputs:
        if i.meter_serial not in meter_ids:
            problems.append(RowProblem(file_name, i.line, "meter", f"no meter with serial number {i.meter_serial!r}"))
        if i.read_date > today:
            problems.append(RowProblem(file_name, i.line, "read_date", f"{i.read_date} is in the future"))
        if i.read_type not in ENTERABLE_TYPES:
            problems.append(RowProblem(file_name, i.line, "read_type",
                                       f"{i.read_type!r} is not one of {', '.join(sorted(ENTERABLE_TYPES))}"))
        if i.value < 0:
            problems.append(RowProblem(file_name, i.line, "reading", "a register reading cannot be negative"))
        if (i.meter_serial, i.read_date) in seen:
            problems.append(RowProblem(file_name, i.line, "read_date",
                                       f"meter {i.meter_serial} is read twice on {i.read_date} in this file"))
        seen.add((i.meter_serial, i.read_date))
    if problems:
        raise ImportRejected(problems)
    if not inputs:
        return StoreResult()

    # two imports reading the same meter at once would each chain usage from a stale
    # previous read: lock the meters (primary-key order) for this transaction
    for chunk in in_chunks(list(meter_ids.values())):
        list(Meter.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True))
    since = min(i.read_date for i in inputs) - timedelta(days=HISTORY_DAYS)
    hist = load_history(meter_ids=meter_ids.values(), since=since, policy_date=max(i.read_date for i in inputs))
    policy = hist.policy
    result = StoreResult()
    pending: list[tuple[RegisterRead, list[str], str, Decimal | None]] = []
    for i in sorted(inputs, key=lambda x: (meter_ids[x.meter_serial], x.read_date, x.read_type != RT.METER_OUT)):
        meter = hist.meters[meter_ids[i.meter_serial]]
        existing = [r for r in hist.reads_by_meter.get(meter.pk, ()) if r.read_date == i.read_date and r.id]
        if existing:
            if any(r.value == i.value for r in existing):
                result.duplicates += 1
                continue
            problems.append(RowProblem(
                file_name, i.line, "reading",
                f"meter {meter} already has a read on {i.read_date} ({_fmt(existing[0].value)}); "
                "a different value must be entered as a correction from the read exceptions queue"))
            continue
        installation = hist.installation_on(meter.pk, i.read_date)
        point_id = installation.service_point_id if installation else None
        reasons: list[str] = []
        extra: list[str] = []
        previous = hist.last_valid(meter.pk)
        usage = calc.ZERO
        days = 0
        rolled = False
        expected = None
        if installation is None:
            reasons.append("meter_not_installed")
            extra.append(f"Meter {meter} was not installed anywhere on {i.read_date}")
        elif i.account_number:
            ag = hist.agreement_on(point_id, i.read_date)
            if ag is None or ag["account__number"] != i.account_number:
                reasons.append("meter_not_installed")
                extra.append(f"Meter {meter} is not at a premise served by account {i.account_number} "
                             f"on {i.read_date}")
        if installation is not None:
            from_installation = not (previous is not None and previous.read_date >= installation.installed_on)
            if not from_installation:
                prev_date, prev_value = previous.read_date, previous.value
                prev_estimated = previous.read_type == RT.ESTIMATED
            else:
                prev_date, prev_value, prev_estimated = installation.installed_on, installation.install_read, False
            if i.read_type == RT.METER_IN:
                prev_date = i.read_date
            elif i.read_date < prev_date or (i.read_date == prev_date and previous is not None
                                              and previous.read_date == i.read_date):
                reasons.append("out_of_window")
                extra.append(f"Read date {i.read_date} is not after the meter's previous read on {prev_date}")
            else:
                days = (i.read_date - prev_date).days
                # the first read of a meter installed before its reads were kept here (a legacy
                # conversion) has no usage history to check against
                checked = validate and not (from_installation and days > policy.max_days_between_reads)
                if checked and days > policy.max_days_between_reads:
                    reasons.append("out_of_window")
                    extra.append(f"{days} days since the previous read on {prev_date} "
                                 f"(policy allows {policy.max_days_between_reads})")
                expected = hist.expected(point_id, prev_date, i.read_date) if days else None
                c = calc.consumption(
                    previous_value=prev_value, value=i.value, multiplier=meter.multiplier,
                    dial_count=meter.dial_count, previous_estimated=prev_estimated,
                    last_actual_value=hist.last_actual_value(meter.pk),
                    expected=expected.over(days) if expected else None, high_factor=policy.high_factor)
                usage, rolled = c.quantity, c.rolled_over
                if checked and not (usage < 0 and prev_estimated):
                    active = hist.agreement_on(point_id, i.read_date) is not None
                    if i.read_type in (RT.METER_OUT, RT.FINAL):
                        active = False  # a meter may be changed or a service ended with no usage since
                    reasons += calc.check_usage(usage=usage, days=days, expected=expected,
                                                high_factor=policy.high_factor, low_factor=policy.low_factor,
                                                active_service=active)
        status = RegisterRead.Status.EXCEPTION if reasons else RegisterRead.Status.VALID
        read = RegisterRead(
            meter_id=meter.pk, service_point_id=point_id, read_date=i.read_date, value=calc.quantity(i.value),
            demand_kw=i.demand_kw, consumption=usage, rolled_over=rolled, read_type=i.read_type, source=source,
            status=status, import_file_id=import_file.pk if import_file else None,
            entered_by_id=user.pk if user else None, note=i.note[:200])
        message = _describe(reasons, usage=usage, days=days, unit=meter.unit, expected=expected, extra=extra)
        pending.append((read, reasons, message, expected.over(days) if expected and days else None))
        if status == RegisterRead.Status.VALID:
            hist.add(ReadRow(None, meter.pk, point_id, i.read_date, read.value, usage, i.read_type, status,
                              i.demand_kw))
    if problems:
        raise ImportRejected(problems)

    reads = _insert_reads([p[0] for p in pending], import_file)
    exceptions = [ReadException(read=read, reasons=reasons, message=message or "Held for review",
                                expected_consumption=expected)
                  for read, (_, reasons, message, expected) in zip(reads, pending, strict=True) if reasons]
    if exceptions:
        ReadException.objects.bulk_create(exceptions, batch_size=2000)
    _complete_read_orders(reads)
    result.reads = list(reads)
    result.exceptions = exceptions
    return result


FAST_INSERT_MIN_ROWS = 200
_READ_COLUMNS = ("meter_id", "service_point_id", "read_date", "value", "demand_kw", "consumption", "rolled_over",
                 "read_type", "source", "status", "import_file_id", "estimate_basis", "entered_by_id", "created_at",
                 "note")


def _insert_reads(reads: list[RegisterRead], import_file: ReadImportFile | None) -> list[RegisterRead]:
    """Insert reads and set their primary keys.

    A file's reads (hundreds to hundreds of thousands) go in with one executemany and
    their keys are read back by (file, meter, date), unique within a file; building
    ORM insert statements row by row cost more than the database did. Small batches
    use bulk_create."""
    if import_file is None or len(reads) < FAST_INSERT_MIN_ROWS:
        return RegisterRead.objects.bulk_create(reads, batch_size=2000)
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    rows = [(r.meter_id, r.service_point_id, ops.adapt_datefield_value(r.read_date),
             ops.adapt_decimalfield_value(r.value, 14, 4),
             None if r.demand_kw is None else ops.adapt_decimalfield_value(r.demand_kw, 12, 4),
             ops.adapt_decimalfield_value(r.consumption, 14, 4), r.rolled_over, r.read_type, r.source, r.status,
             import_file.pk, r.estimate_basis, r.entered_by_id, now, r.note) for r in reads]
    table = RegisterRead._meta.db_table
    marks = ", ".join(["%s"] * len(_READ_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(_READ_COLUMNS)}) VALUES ({marks})", rows)
    keys = {(m, d): pk for pk, m, d in RegisterRead.objects.filter(import_file=import_file)
            .values_list("pk", "meter_id", "read_date")}
    for r in reads:
        r.pk = r.id = keys[(r.meter_id, r.read_date)]
        r._state.adding = False
        r._state.db = "default"
    return reads


def _complete_read_orders(reads: Sequence[RegisterRead]) -> None:
    """Open re-read orders are completed by the next read of their meter."""
    latest = {}
    for r in reads:
        latest[r.meter_id] = r
    if not latest:
        return
    orders = []
    for chunk in in_chunks(list(latest)):
        orders += list(ReadOrder.objects.filter(meter_id__in=chunk, status=ReadOrder.Status.OPEN))
    for order in orders:
        order.status = ReadOrder.Status.COMPLETED
        order.completed_by_read = latest[order.meter_id]
    if orders:
        ReadOrder.objects.bulk_update(orders, ["status", "completed_by_read"])




def _decimal(text, *, field_name: str, place: str, line: int | None, problems: list[RowProblem],
             optional: bool = False) -> Decimal | None:
    text = (text or "").strip().replace(",", "") if isinstance(text, str) else text
    if text in ("", None):
        if not optional:
            problems.append(RowProblem(place, line, field_name, "missing"))
        return None
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        problems.append(RowProblem(place, line, field_name, f"{text!r} is not a number"))
        return None
    if not value.is_finite():
        problems.append(RowProblem(place, line, field_name, f"{text!r} is not a number"))
        return None
    return value


def enter_read(*, user, meter: Meter, read_date: date, value, read_type: str = RT.ACTUAL, demand_kw=None,
               note: str = "") -> RegisterRead:
    """Record one read typed in the console. It is validated like an imported read;
    a failing read is stored and held in the exceptions queue (the returned read's
    status says so). Bad input raises MeteringError and stores nothing."""
    permissions.require(user, "reads.manage", "enter meter reads")
    problems: list[RowProblem] = []
    amount = _decimal(value, field_name="reading", place="read entry", line=None, problems=problems)
    demand = _decimal(demand_kw, field_name="demand", place="read entry", line=None, problems=problems, optional=True)
    if problems:
        raise MeteringError("; ".join(f"{p.field}: {p.message}" for p in problems))
    try:
        with transaction.atomic():
            result = store_reads([ReadInput(meter.serial_number, read_date, amount, read_type, demand, note=note)],
                                  user=user, source=RegisterRead.Source.CONSOLE, file_name="read entry")
            if result.duplicates:
                raise MeteringError(f"Meter {meter} already has this read on {read_date}.")
            read = result.reads[0]
            audit.record(AuditAction.READ_ENTERED, user_id=user.pk, obj=read, summary=f"{meter} {read_date} {amount} ({read_type})"
                         + (" — held: " + result.exceptions[0].message if result.exceptions else ""),
                         after={"value": amount, "read_type": read_type, "status": read.status})
    except ImportRejected as exc:
        raise MeteringError("; ".join(f"{p.field}: {p.message}" for p in exc.problems)) from None
    return read
