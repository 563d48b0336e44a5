"""Working the read exceptions queue: accept, re-read, estimate or correct a held read.

The held read is never edited: accepting makes it billable; the other decisions reject
it (a re-read leaves a field order; estimate and correct store a new read that
replaces it). The next read's consumption is recomputed when its previous read changes.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ratepayer.customers.models import MeterInstallation
from ratepayer.staff import audit, permissions, transitions
from ratepayer.staff.audit import AuditAction

from .. import calculations as calc
from ..errors import MeteringError, RowProblem
from ..models import ReadException, ReadOrder, RegisterRead
from ..queries import HISTORY_DAYS, load_history
from .estimation import estimated_read
from .reads import RT, _decimal


def _rechain_next(meter_id: int, after: date) -> None:
    """Recompute the consumption of a meter's next valid read after ``after`` (its
    previous read changed). One read at most: later reads are unaffected."""
    nxt = (RegisterRead.objects.select_for_update().filter(meter_id=meter_id, status="valid", read_date__gt=after)
           .exclude(read_type=RT.METER_IN).order_by("read_date", "id").first())
    if nxt is None:
        return
    prev = (RegisterRead.objects.filter(meter_id=meter_id, status="valid", read_date__lt=nxt.read_date)
            .order_by("-read_date", "-id").first())
    meter = nxt.meter
    if prev is None:
        inst = MeterInstallation.objects.filter(meter_id=meter_id, installed_on__lte=nxt.read_date).order_by(
            "-installed_on").first()
        if inst is None:
            return
        prev_value, prev_estimated = inst.install_read, False
    else:
        prev_value, prev_estimated = prev.value, prev.read_type == RT.ESTIMATED
    c = calc.consumption(previous_value=prev_value, value=nxt.value, multiplier=meter.multiplier,
                         dial_count=meter.dial_count, previous_estimated=prev_estimated,
                         expected=nxt.consumption if nxt.rolled_over else None)
    if c.quantity != nxt.consumption:
        RegisterRead.objects.filter(pk=nxt.pk).update(consumption=c.quantity, rolled_over=c.rolled_over)
        audit.record(AuditAction.READ_CONSUMPTION_RECOMPUTED, obj=nxt, summary=f"{meter} {nxt.read_date}: consumption "
                     f"{nxt.consumption} → {c.quantity} after an earlier read changed",
                     before={"consumption": nxt.consumption}, after={"consumption": c.quantity})


DECISION_ACTIONS = {
    ReadException.Decision.ACCEPT: AuditAction.READ_EXCEPTION_ACCEPT,
    ReadException.Decision.REREAD: AuditAction.READ_EXCEPTION_REREAD,
    ReadException.Decision.ESTIMATE: AuditAction.READ_EXCEPTION_ESTIMATE,
    ReadException.Decision.CORRECT: AuditAction.READ_EXCEPTION_CORRECT,
}


def work_exception(*, user, exception: ReadException | int, decision: str, note: str = "",
                   corrected_value=None) -> ReadException:
    """Decide a read exception: accept the read as it is, order a re-read, estimate
    instead, or correct the value. The held read is never edited: accepting makes it
    billable; the other decisions reject it (re-read leaves a field order; estimate and
    correct store a new read that replaces it). Audited; refused without
    ``reads.manage``; a decided exception cannot be decided again."""
    permissions.require(user, "reads.manage", "work read exceptions")
    if decision not in ReadException.Decision.values:
        raise MeteringError(f"Decision: choose one of {', '.join(ReadException.Decision.values)}.")
    if decision in (ReadException.Decision.REREAD, ReadException.Decision.ESTIMATE) and not note.strip():
        note = note.strip()
    pk = exception.pk if isinstance(exception, ReadException) else exception
    problems: list[RowProblem] = []
    value = None
    if decision == ReadException.Decision.CORRECT:
        value = _decimal(corrected_value, field_name="corrected value", place="exception", line=None, problems=problems)
        if problems:
            raise MeteringError("Corrected value: enter the reading as shown on the dials.")
        if value < 0:
            raise MeteringError("Corrected value: a register reading cannot be negative.")
    with transaction.atomic():
        exc = ReadException.objects.select_for_update().select_related("read__meter").get(pk=pk)
        if exc.status != ReadException.Status.OPEN:
            raise MeteringError(f"This exception was already decided ({exc.get_decision_display().lower()}) by "
                                f"{exc.decided_by} on {exc.decided_at:%Y-%m-%d}.")
        read = exc.read
        meter = read.meter
        resulting = None
        if decision == ReadException.Decision.ACCEPT:
            if read.service_point_id is None:
                raise MeteringError(f"Meter {meter} was not installed anywhere on {read.read_date}: the read cannot be "
                                    "billed. Correct the installation first, or order a re-read.")
            if RegisterRead.objects.filter(meter=meter, read_date=read.read_date, status="valid").exists():
                raise MeteringError(f"Meter {meter} already has a valid read on {read.read_date}.")
            _set_read_status(read, RegisterRead.Status.VALID)
            _rechain_next(meter.pk, read.read_date)
        elif decision == ReadException.Decision.REREAD:
            _set_read_status(read, RegisterRead.Status.REJECTED)
            ReadOrder.objects.create(meter=meter, service_point_id=read.service_point_id, ordered_by=user,
                                     reason=f"Re-read: {exc.message}"[:300])
        elif decision == ReadException.Decision.ESTIMATE:
            if read.service_point_id is None:
                raise MeteringError(f"Meter {meter} was not installed anywhere on {read.read_date}: nothing to estimate.")
            _set_read_status(read, RegisterRead.Status.REJECTED)
            hist = load_history(meter_ids=[meter.pk], service_point_ids=[read.service_point_id],
                                since=read.read_date - timedelta(days=HISTORY_DAYS), policy_date=read.read_date)
            resulting = estimated_read(hist, meter=meter, service_point_id=read.service_point_id,
                                       read_date=read.read_date, replaces=read, user=user)
            if resulting is None:
                raise MeteringError("There is no history and no class average to estimate from; order a re-read.")
            resulting.save()
            _rechain_next(meter.pk, read.read_date)
        else:
            _set_read_status(read, RegisterRead.Status.REJECTED)
            hist = load_history(meter_ids=[meter.pk], since=read.read_date - timedelta(days=HISTORY_DAYS),
                                policy_date=read.read_date)
            previous = hist.last_valid(meter.pk, before=read.read_date)
            inst = hist.installation_on(meter.pk, read.read_date)
            if previous is not None and (inst is None or previous.read_date >= inst.installed_on):
                prev_value, prev_estimated = previous.value, previous.read_type == RT.ESTIMATED
            elif inst is not None:
                prev_value, prev_estimated = inst.install_read, False
            else:
                prev_value, prev_estimated = value, False
            c = (calc.Consumption(calc.ZERO, False) if read.read_type == RT.METER_IN else
                 calc.consumption(previous_value=prev_value, value=value, multiplier=meter.multiplier,
                                  dial_count=meter.dial_count, previous_estimated=prev_estimated,
                                  last_actual_value=hist.last_actual_value(meter.pk),
                                  expected=exc.expected_consumption, high_factor=hist.policy.high_factor))
            resulting = RegisterRead.objects.create(
                meter=meter, service_point_id=read.service_point_id, read_date=read.read_date,
                value=calc.quantity(value), demand_kw=read.demand_kw, consumption=c.quantity,
                rolled_over=c.rolled_over, read_type=read.read_type, source=RegisterRead.Source.CORRECTION,
                status=RegisterRead.Status.VALID, replaces=read, entered_by=user, note=note[:200])
            _rechain_next(meter.pk, read.read_date)
        updated = ReadException.objects.filter(pk=exc.pk, status=ReadException.Status.OPEN).update(
            status=ReadException.Status.RESOLVED, decision=decision, decided_by=user, decided_at=timezone.now(),
            decision_note=note.strip()[:300], resulting_read=resulting)
        if not updated:  # pragma: no cover - the row is locked above
            raise MeteringError("The exception changed meanwhile; reload and try again.")
        audit.record(DECISION_ACTIONS[decision], user_id=user.pk, obj=exc,
                     summary=f"{meter} {read.read_date}: {ReadException.Decision(decision).label}"
                             + (f" ({note.strip()})" if note.strip() else ""),
                     before={"read": read.pk, "value": read.value, "reasons": exc.reasons},
                     after={"decision": decision, "resulting_read": resulting.pk if resulting else None,
                            "value": resulting.value if resulting else None})
    exc.refresh_from_db()
    return exc


def _set_read_status(read: RegisterRead, status: str) -> None:
    try:
        with transaction.atomic():
            transitions.change_status(read, status, refused=MeteringError, what=f"The read of {read.read_date}")
    except IntegrityError:
        raise MeteringError(f"Meter {read.meter} already has a valid read on {read.read_date}.") from None
