"""ACH re-presentment (NACHA rules, DOMAIN §C.1 return codes).

A debit returned R01 (insufficient funds) or R09 (uncollected funds) may be
sent again at most twice, within 180 days of the original settlement, in a
batch whose company entry description is ``RETRY PYMT``. A specialist queues
a return (or, when the payment policy says so, every eligible return is queued
automatically); the next origination file (``autopay.originate``, through its
marked hook) carries the queued entries; they settle and can be returned like
any debit. A third return is final: nothing more is queued.

Each re-presented entry is a new ``AchEntry`` whose ``retry_of`` is the first
debit of the chain; its payment posts at settlement like any autopay debit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ratepayer.formats import nacha
from ratepayer.kernel.money import format_money
from ratepayer.staff import audit
from ratepayer.staff.audit import AuditAction

from .. import queries
from ..errors import PaymentError
from ..models import (
    REPRESENTABLE_RETURN_CODES,
    REPRESENTMENT_LIMIT,
    REPRESENTMENT_WINDOW_DAYS,
    AchEntry,
    AutopayEnrollment,
    ImportedFile,
    Representment,
    ReturnedPayment,
)
from .common import require
from .core import CHUNK

ZERO = Decimal("0.00")
RETRY_ENTRY_DESCRIPTION = "RETRY PYMT"


def _why_not(returned: ReturnedPayment, on: date) -> str:
    if returned.return_code not in REPRESENTABLE_RETURN_CODES:
        return (f"return code {returned.return_code or '(none)'} cannot be re-presented; only R01 and R09 "
                "(insufficient or uncollected funds) can")
    if not returned.external_reference.startswith("ach-return:"):
        return "only a returned ACH debit of ours can be re-presented"
    if Representment.objects.filter(returned=returned).exists():
        return "this return is already queued or was re-presented"
    if (on - returned.received_on).days > REPRESENTMENT_WINDOW_DAYS:
        return f"more than {REPRESENTMENT_WINDOW_DAYS} days have passed since the debit settled"
    return "the debit was not found among the entries we sent"


def queue_representment(*, user, returned: ReturnedPayment, on: date | None = None,
                        automatic: bool = False) -> Representment:
    """Queue a returned debit to be sent again in the next ACH file."""
    require(user, "payment.manage", "re-present returned ACH debits")
    on = on or timezone.localdate()
    with transaction.atomic():
        returned = ReturnedPayment.objects.select_for_update().get(pk=returned.pk)
        found = next((r for r in queries.representable_returns(on) if r.pk == returned.pk), None)
        if found is None:
            raise PaymentError(f"Return {returned.external_reference}: {_why_not(returned, on)}.")
        if found.final:
            raise PaymentError(f"Return {returned.external_reference}: the debit was already re-presented "
                               f"{REPRESENTMENT_LIMIT} times; this third return is final.")
        if found.expired:
            raise PaymentError(f"Return {returned.external_reference}: more than {REPRESENTMENT_WINDOW_DAYS} days "
                               f"since the original settlement on {found.original.settlement_date} "
                               f"(last day {found.deadline}).")
        enrollment = found.original.enrollment
        if enrollment.status == AutopayEnrollment.Status.STOPPED:
            raise PaymentError(f"Autopay of account {found.account.number} is stopped "
                               f"({enrollment.stopped_reason}); the debit cannot be sent again.")
        representment = Representment.objects.create(
            returned=returned, original=found.original, attempt=found.attempt, amount=returned.amount,
            automatic=automatic, queued_by=user)
        audit.record(AuditAction.ACH_REPRESENT_QUEUED, user_id=getattr(user, "pk", None), obj=representment,
                     account_id=found.account.pk,
                     summary=f"{format_money(returned.amount)} returned {returned.return_code} queued for "
                             f"re-presentment {found.attempt} of {REPRESENTMENT_LIMIT}"
                             + (" (policy: automatic)" if automatic else ""))
    return representment


def cancel_representment(*, user, representment: Representment, note: str = "") -> Representment:
    require(user, "payment.manage", "re-present returned ACH debits")
    updated = Representment.objects.filter(pk=representment.pk, status=Representment.Status.QUEUED).update(
        status=Representment.Status.CANCELLED, note=note.strip()[:200] or "cancelled")
    if not updated:
        raise PaymentError("Only a queued re-presentment can be cancelled.")
    audit.record(AuditAction.ACH_REPRESENT_CANCELLED, user_id=getattr(user, "pk", None), obj=representment,
                 summary=note.strip()[:200] or "cancelled")
    representment.refresh_from_db()
    return representment


def queue_eligible(*, on: date, user=None) -> list[Representment]:
    """Queue every eligible R01/R09 return (used when the policy says automatic)."""
    queued = []
    for r in queries.representable_returns(on):
        if r.final or r.expired or r.original.enrollment.status == AutopayEnrollment.Status.STOPPED:
            continue
        queued.append(Representment.objects.create(returned=r, original=r.original, attempt=r.attempt,
                                                   amount=r.amount, automatic=True, queued_by=user))
    return queued


@dataclass
class RetryBatch:
    """What the origination hook adds to the day's file."""

    representments: list[Representment] = field(default_factory=list)
    entries: list[nacha.OutgoingEntry] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.representments), ZERO)

    def batch(self, config: dict, effective: date) -> nacha.OutgoingBatch:
        return nacha.OutgoingBatch(company_name=config["company_name"],
                                   company_identification=config["company_identification"],
                                   entry_description=RETRY_ENTRY_DESCRIPTION, effective_date=effective,
                                   odfi=config["odfi"], entries=self.entries)


def retries_for_file(*, on: date, effective: date, user=None) -> RetryBatch:
    """Called by ``autopay.originate`` inside its transaction: the queued
    re-presentments (queued now when the policy is automatic) that can still
    be sent on ``effective``; the others are cancelled with the reason."""
    if queries.payment_policy_on(on).represent_automatically:
        queue_eligible(on=on, user=user)
    retry = RetryBatch()
    for r in (Representment.objects.select_for_update().filter(status=Representment.Status.QUEUED)
              .select_related("original__enrollment__account").order_by("pk")):
        enrollment = r.original.enrollment
        reason = ""
        if (effective - r.original.settlement_date).days > REPRESENTMENT_WINDOW_DAYS:
            reason = f"past {REPRESENTMENT_WINDOW_DAYS} days from the original settlement"
        elif enrollment.status == AutopayEnrollment.Status.STOPPED:
            reason = f"autopay stopped ({enrollment.stopped_reason})"
        if reason:
            Representment.objects.filter(pk=r.pk).update(status=Representment.Status.CANCELLED, note=reason[:200])
            continue
        retry.representments.append(r)
        retry.entries.append(nacha.OutgoingEntry(
            routing=enrollment.routing_number, account=enrollment.bank_account_number, amount=r.amount,
            individual_id=enrollment.account.number, name=enrollment.holder_name,
            account_type=enrollment.account_type))
    return retry


def record_sent(retry: RetryBatch, imported: ImportedFile, traces: list[str], effective: date) -> None:
    """Called by ``autopay.originate`` once the file is written: one entry per
    re-presentment (it settles and can be returned like any debit)."""
    if not retry.representments:
        return
    entries = AchEntry.objects.bulk_create([
        AchEntry(file=imported, enrollment=r.original.enrollment, account_id=r.original.account_id, amount=r.amount,
                 trace_number=trace, due_on=r.original.due_on, settlement_date=effective, retry_of=r.original)
        for r, trace in zip(retry.representments, traces, strict=True)], batch_size=CHUNK)
    for r, entry in zip(retry.representments, entries, strict=True):
        r.status, r.entry = Representment.Status.SENT, entry
    Representment.objects.bulk_update(retry.representments, ["status", "entry"], batch_size=CHUNK)
