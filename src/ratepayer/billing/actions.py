"""Billing actions: adjustments (request, approve, post); held bills (release,
correct), cancel/rebill, final bills and the effective-dated billing policy. Bill runs themselves are in
``billing.billrun``."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ratepayer.customers import actions as customer_actions
from ratepayer.customers.errors import CustomerError
from ratepayer.customers.models import ServiceAgreement
from ratepayer.kernel.money import check_amount, format_money, parse_amount, round_money, to_decimal
from ratepayer.ledger.actions import Line, PostingRules, post, post_entries, reverse
from ratepayer.ledger.errors import LedgerError
from ratepayer.ledger.models import JournalEntry
from ratepayer.staff import approvals, audit, permissions, transitions
from ratepayer.staff.audit import AuditAction

from . import billrun
from .errors import BillingError
from .models import Adjustment, AdjustmentReason, Bill, BillingPolicy, BillRun, BillSegment

ADJUSTMENT_KIND = "billing.adjustment"


def request_adjustment(*, user, agreement: ServiceAgreement, direction: str, amount, reason_code: str, memo: str,
                       effective_date: date | None = None) -> Adjustment:
    """Adjust an agreement's balance. Within the user's adjustment limit it
    posts at once; above it, it waits for another person's approval.
    Refused (nothing written) without the capability or with bad input."""
    permissions.require(user, "adjustment.request", "make adjustments")
    try:
        # a sign is read (and refused below in words); every other rule is parse_amount's
        amount = (parse_amount(amount, allow_negative=True) if isinstance(amount, str)
                  else check_amount(to_decimal(amount), allow_negative=True))
    except ValueError as exc:
        raise BillingError(str(exc) if str(exc).startswith("Amount:") else f"Amount: {exc}") from exc
    if amount <= 0:
        raise BillingError("Amount: enter a positive amount; choose debit or credit for the direction.")
    if direction not in Adjustment.Direction.values:
        raise BillingError("Direction: choose debit or credit.")
    reason = AdjustmentReason.objects.filter(code=reason_code, is_active=True).first()
    if reason is None:
        raise BillingError(f"Reason: {reason_code!r} is not an active reason code.")
    if (direction == "debit" and not reason.allows_debit) or (direction == "credit" and not reason.allows_credit):
        raise BillingError(f"Reason: {reason.code} cannot be used for a {direction}.")
    if not memo.strip():
        raise BillingError("Memo: say why, so the next person can explain it to the customer.")
    effective_date = effective_date or timezone.localdate()
    with transaction.atomic():
        adjustment = Adjustment.objects.create(
            account_id=agreement.account_id, agreement=agreement, direction=direction, amount=amount, reason=reason,
            memo=memo.strip(), effective_date=effective_date, status=Adjustment.Status.PENDING, requested_by=user)
        if approvals.needs_approval(user, "adjustment", amount, effective_date):
            request = approvals.request_approval(
                maker=user, kind=ADJUSTMENT_KIND, action="adjustment", amount=amount,
                summary=f"{direction.title()} adjustment {format_money(amount)} on account "
                        f"{agreement.account.number} ({reason.code}): {memo.strip()}"[:300],
                payload={"adjustment_id": adjustment.pk}, subject=adjustment, account_id=agreement.account_id)
            Adjustment.objects.filter(pk=adjustment.pk).update(approval_request_id=request.pk)
            adjustment.approval_request_id = request.pk
            audit.record(AuditAction.ADJUSTMENT_REQUESTED, user_id=user.pk, obj=adjustment, account_id=adjustment.account_id,
                         summary=f"{adjustment} waits for approval (request #{request.pk})",
                         after={"amount": amount, "direction": direction, "reason": reason.code})
        else:
            _post_adjustment(adjustment, posted_by=user)
    adjustment.refresh_from_db()
    return adjustment


def _transition(adjustment: Adjustment, new_status: str, **options) -> None:
    transitions.change_status(adjustment, new_status, refused=BillingError, account_id=adjustment.account_id,
                              **options)


def _post_adjustment(adjustment: Adjustment, *, posted_by) -> None:
    agreement = adjustment.agreement
    event = f"adjustment_{adjustment.direction}"
    debit_gl, credit_gl = PostingRules().accounts(event, agreement.service, agreement.customer_class)
    memo = f"{adjustment.reason.code}: {adjustment.memo}"
    entry = post(
        event=event, effective_date=adjustment.effective_date,
        description=f"{adjustment.get_direction_display().split(' (')[0]} adjustment — {adjustment.reason.description}",
        lines=[
            Line(gl_account=debit_gl, debit=adjustment.amount, account_id=adjustment.account_id,
                 agreement_id=agreement.pk, memo=memo),
            Line(gl_account=credit_gl, credit=adjustment.amount, account_id=adjustment.account_id,
                 agreement_id=agreement.pk, memo=memo),
        ],
        source=adjustment, idempotency_key=f"adjustment:{adjustment.pk}", created_by=posted_by)
    _transition(adjustment, Adjustment.Status.POSTED, fields={"journal_entry": entry},
                action=AuditAction.ADJUSTMENT_POSTED, user_id=posted_by.pk, summary=f"{adjustment} posted as JE{entry.pk}",
                after={"status": "posted", "journal_entry": entry.pk, "amount": adjustment.amount})


def _on_approved(request, approver) -> None:
    adjustment = Adjustment.objects.select_for_update().select_related("agreement", "reason").get(
        pk=request.payload["adjustment_id"])
    _post_adjustment(adjustment, posted_by=approver)


def _on_rejected(request, decider) -> None:
    adjustment = Adjustment.objects.select_for_update().get(pk=request.payload["adjustment_id"])
    rejected = request.status == "rejected"
    new_status = Adjustment.Status.REJECTED if rejected else Adjustment.Status.CANCELLED
    action = AuditAction.ADJUSTMENT_REJECTED if rejected else AuditAction.ADJUSTMENT_CANCELLED
    _transition(adjustment, new_status, action=action, user_id=decider.pk,
                summary=f"{adjustment} {new_status}: {request.decision_note}")


def register_approval_handlers() -> None:
    approvals.register(ADJUSTMENT_KIND, _on_approved, _on_rejected)
    approvals.register_refusals(BillingError, CustomerError, LedgerError)
    register_bill_handlers()


# --------------------------------------------------------------------------- bills: review queue, cancel/rebill

CANCEL_REBILL_KIND = "billing.cancel_rebill"


def _set_bill_status(bill: Bill, new_status: str, **fields) -> None:
    transitions.change_status(bill, new_status, refused=BillingError, what=f"Bill {bill.pk}", fields=fields)


def release_bill(*, user, bill: Bill, note: str = "") -> Bill:
    """Issue a held bill as it stands and post it. Refused (nothing changed)
    when a service on it could not be rated: correct the read or rate and
    re-bill it instead."""
    permissions.require(user, "billing.run", "release held bills")
    with transaction.atomic():
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if bill.status != Bill.Status.HELD:
            raise BillingError(f"Bill {bill.pk} is {bill.get_status_display().lower()}, not held.")
        problems = list(bill.segments.exclude(problem="").values_list("service", "problem"))
        if problems:
            raise BillingError("This bill cannot be released: " + "; ".join(f"{s}: {p}" for s, p in problems)
                               + ". Fix the read or rate, then use Re-bill.")
        _set_bill_status(bill, Bill.Status.ISSUED, issued_at=timezone.now(), released_by=user)
        spec = billrun.entry_for_stored_bill(bill, PostingRules())
        if spec is not None:
            post_entries([spec], created_by=user)
        if bill.run_id:
            BillRun.objects.filter(pk=bill.run_id).update(
                bills_held=F("bills_held") - 1, bills_issued=F("bills_issued") + 1,
                amount_issued=F("amount_issued") + bill.current_charges)
        audit.record(AuditAction.BILL_RELEASED, user_id=user.pk, obj=bill, account_id=bill.account_id,
                     summary=f"held bill {bill.pk} ({format_money(bill.current_charges)}) released"
                             + (f": {note}" if note else ""),
                     before={"status": "held", "hold_reasons": bill.hold_reasons}, after={"status": "issued"})
    return bill


def _rebill(old: Bill, *, user, force_issue: bool) -> Bill:
    """Draft and write the account's bill for the old bill's period again
    (the old one is already cancelled in this transaction)."""
    context = billrun.RunContext.load(old.period_end)
    agreement_ids = list(old.segments.values_list("agreement_id", flat=True))
    agreements = [a for a in billrun.due_agreements([old.account_id], None, old.period_end) if a["pk"] in agreement_ids]
    drafts = billrun.draft_bills(agreements, old.period_end, context)
    if not drafts:
        raise BillingError("Nothing to bill for that period any more.")
    if force_issue:
        problems = [s.problem for d in drafts for s in d.segments if s.problem]
        if problems:
            raise BillingError("The corrected bill cannot be computed: " + "; ".join(problems))
    today = timezone.localdate()
    bill_date = max(today, old.bill_date)
    _, due_date = billrun.scheduled_dates(bill_date, context.policy)
    due_date = max(due_date, old.due_date)
    return billrun.write_bills(drafts, run=None, period_end=old.period_end, bill_date=bill_date, due_date=due_date,
                               context=context, corrects=old, force_issue=force_issue, created_by=user)[0]


def correct_held_bill(*, user, bill: Bill, note: str) -> Bill:
    """Throw away a held (unposted) bill and bill the period again with the
    reads and rates as they are now; the new bill is issued or held again."""
    permissions.require(user, "billing.run", "correct held bills")
    if not note.strip():
        raise BillingError("Note: say what was corrected.")
    with transaction.atomic():
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if bill.status != Bill.Status.HELD:
            raise BillingError(f"Bill {bill.pk} is {bill.get_status_display().lower()}, not held.")
        _set_bill_status(bill, Bill.Status.CANCELLED, cancelled_at=timezone.now(), cancelled_by=user,
                         cancel_reason=note.strip()[:300])
        BillSegment.objects.filter(bill=bill).update(cancelled=True)
        new = _rebill(bill, user=user, force_issue=False)
        if bill.run_id:
            BillRun.objects.filter(pk=bill.run_id).update(bills_held=F("bills_held") - 1)
        audit.record(AuditAction.BILL_CORRECTED, user_id=user.pk, obj=new, account_id=bill.account_id,
                     summary=f"held bill {bill.pk} re-billed as {new.pk} ({new.get_status_display().lower()}): {note}",
                     before={"bill": bill.pk}, after={"bill": new.pk, "status": new.status})
    return new


def cancel_rebill(*, user, bill: Bill, reason: str):
    """Cancel an issued bill (its journal entry is reversed) and issue the
    corrected bill, linked both ways. Above the user's adjustment limit it
    waits for another person's approval and returns the ApprovalRequest;
    otherwise it returns the new Bill. Refused bills change nothing."""
    permissions.require(user, "billing.run", "cancel and rebill bills")
    if not reason.strip():
        raise BillingError("Reason: say why the bill is wrong, so the next person can explain it.")
    if bill.status != Bill.Status.ISSUED:
        raise BillingError(f"Only an issued bill can be cancelled and rebilled; bill {bill.pk} is "
                           f"{bill.get_status_display().lower()}.")
    with transaction.atomic():
        if approvals.needs_approval(user, "adjustment", bill.current_charges):
            request = approvals.request_approval(
                maker=user, kind=CANCEL_REBILL_KIND, action="adjustment", amount=abs(bill.current_charges),
                summary=f"Cancel and rebill bill {bill.pk} ({format_money(bill.current_charges)}) on account "
                        f"{bill.account.number}: {reason.strip()}"[:300],
                payload={"bill_id": bill.pk, "reason": reason.strip()[:300]}, subject=bill,
                account_id=bill.account_id)
            return request
        return _cancel_and_rebill(bill.pk, user=user, reason=reason.strip())


def _cancel_and_rebill(bill_id: int, *, user, reason: str) -> Bill:
    bill = Bill.objects.select_for_update().select_related("account").get(pk=bill_id)
    if bill.status != Bill.Status.ISSUED:
        raise BillingError(f"Bill {bill.pk} is {bill.get_status_display().lower()}; it cannot be cancelled now.")
    _set_bill_status(bill, Bill.Status.CANCELLED, cancelled_at=timezone.now(), cancelled_by=user,
                     cancel_reason=reason[:300])
    BillSegment.objects.filter(bill=bill).update(cancelled=True)
    entry = JournalEntry.objects.filter(idempotency_key=bill.idempotency_key).first()
    if entry is not None:
        reverse(entry=entry, effective_date=max(timezone.localdate(), bill.bill_date),
                description=f"Cancel bill {bill.pk}: {reason}"[:300], created_by=user, event="bill_cancel")
    new = _rebill(bill, user=user, force_issue=True)
    audit.record(AuditAction.BILL_CANCEL_REBILL, user_id=user.pk, obj=new, account_id=bill.account_id,
                 summary=f"bill {bill.pk} ({format_money(bill.current_charges)}) cancelled and rebilled as "
                         f"{new.pk} ({format_money(new.current_charges)}): {reason}",
                 before={"bill": bill.pk, "amount": bill.current_charges},
                 after={"bill": new.pk, "amount": new.current_charges})
    return new


def _on_cancel_rebill_approved(request, approver) -> None:
    maker = request.maker
    _cancel_and_rebill(request.payload["bill_id"], user=maker, reason=request.payload["reason"])


def register_bill_handlers() -> None:
    approvals.register(CANCEL_REBILL_KIND, _on_cancel_rebill_approved)


# --------------------------------------------------------------------------- final bills


def issue_final_bill(*, user, account) -> Bill | None:
    """Bill the account's ended services through their end dates now.

    Without this, a stopped service is billed through its end date by its
    cycle's next bill run (``billrun.draft_bills`` treats a segment whose
    agreement ended by the period end as final). Closing an account issues
    that final bill at once, with the same drafting, holds and posting as a
    run: the bill's period ends on the last end date; agreements billed through
    their end already are skipped, so a second call bills nothing (None).
    A final bill that fails a check (no final read, a rating problem) is held
    for review like any other."""
    permissions.require(user, "billing.run", "issue final bills")
    with transaction.atomic():
        ended = ServiceAgreement.objects.filter(account_id=account.pk, status=ServiceAgreement.Status.ENDED)
        last_end = max(ended.values_list("end_date", flat=True), default=None)
        if last_end is None:
            return None
        context = billrun.RunContext.load(last_end)
        agreements = [a for a in billrun.due_agreements([account.pk], None, last_end)
                      if a["end_date"] is not None and a["end_date"] <= last_end]
        drafts = billrun.draft_bills(agreements, last_end, context)
        if not drafts:
            return None
        bill_date = max(timezone.localdate(), last_end)
        _, due_date = billrun.scheduled_dates(bill_date, context.policy)
        bill = billrun.write_bills(drafts, run=None, period_end=last_end, bill_date=bill_date, due_date=due_date,
                                   context=context, created_by=user)[0]
        audit.record(AuditAction.BILL_FINAL, user_id=user.pk, obj=bill, account_id=account.pk,
                     summary=f"final bill of {bill.bill_date} through {last_end}: {format_money(bill.amount_due)} due "
                             f"{bill.due_date}" + (" (held for review)" if bill.status == Bill.Status.HELD else ""),
                     after={"bill": bill.pk, "status": bill.status, "current_charges": bill.current_charges})
    return bill


def _final_bill_hook(*, user, account) -> Bill | None:
    try:
        return issue_final_bill(user=user, account=account)
    except BillingError as exc:  # the customers action speaks its own errors
        raise CustomerError(str(exc)) from exc


def register_customer_hooks() -> None:
    """Closing an account (customers.actions.close_account) issues its final bill here."""
    customer_actions.register_final_biller(_final_bill_hook)


# --------------------------------------------------------------------------- starting runs and documents


def start_bill_run(*, user, cycle, period_end, workers: int = 1) -> BillRun:
    """Plan the run for (cycle, period end) and hand it to ``workers``
    background workers (``ratepayer worker``). Idempotent: starting a run that
    exists adds only accounts still due; a finished run bills nobody again."""
    from .tasks import work_on_bill_run

    permissions.require(user, "billing.run", "start bill runs")
    if period_end > timezone.localdate() + timedelta(days=40):
        raise BillingError(f"Period end {period_end} is more than 40 days ahead; check the date.")
    with transaction.atomic():
        run = billrun.plan_run(cycle=cycle, period_end=period_end, user=user)
        pending = run.chunks.exclude(status="done").count()
        if pending:
            for _ in range(max(1, min(workers, pending))):
                transaction.on_commit(lambda: work_on_bill_run.enqueue(run.pk))
        audit.record(AuditAction.BILLRUN_STARTED, user_id=user.pk, obj=run,
                     summary=f"bill run {cycle.code} {period_end}: {pending} chunk(s) queued")
    run.refresh_from_db()
    return run


def request_documents(*, user, run: BillRun) -> None:
    """Queue rendering of the run's PDFs and e-bills (a background task; idempotent)."""
    from .tasks import render_bill_documents

    permissions.require(user, "billing.run", "prepare bill documents")
    transaction.on_commit(lambda: render_bill_documents.enqueue(run.pk))
    audit.record(AuditAction.BILLRUN_DOCUMENTS_REQUESTED, user_id=user.pk, obj=run, summary=f"documents for {run}")


# --- billing policy ---------------------------------------------------------------

POLICY_CAPABILITY = "approval_limit.edit"  # supervisors set policies (as the read policy); no separate capability yet

POLICY_RANGES: dict[str, tuple[int, int, str]] = {
    "days_to_bill": (0, 20, "Days to bill: 0 to 20 business days from the read date"),
    "days_until_due": (10, 90, "Days until due: 10 to 90 calendar days from the bill date"),
    "high_bill_minimum_history": (0, 24, "Bills of history for the high-bill test: 0 to 24"),
    "max_consecutive_estimates": (0, 12, "Consecutive estimates: 0 to 12"),
    "regular_period_days": (7, 92, "Regular period: 7 to 92 days"),
    "winter_first_month": (1, 12, "Winter from: a month, 1 to 12"),
    "winter_last_month": (1, 12, "Winter through: a month, 1 to 12"),
}
POLICY_FIELDS = ("days_to_bill", "days_until_due", "high_bill_percent", "high_bill_minimum_history",
                 "max_consecutive_estimates", "regular_period_days", "interval_register_tolerance_percent", "winter_first_month",
                 "winter_last_month", "bill_message", "bill_message_es", "bill_message_ru")


def _policy_values(policy: BillingPolicy | None) -> dict:
    return {name: getattr(policy, name) for name in POLICY_FIELDS} if policy is not None else {}


def set_billing_policy(*, user, effective_from: date, days_to_bill: int, days_until_due: int, high_bill_percent,
                       high_bill_minimum_history: int, max_consecutive_estimates: int, regular_period_days: int,
                       bill_message: str = "", bill_message_es: str = "", bill_message_ru: str = "",
                       interval_register_tolerance_percent="1.00", winter_first_month: int = 12,
                       winter_last_month: int = 3, today: date | None = None) -> BillingPolicy:
    """Put a new billing policy in force from ``effective_from``: a new row, never
    an edit, and never from a day already begun (bills of that day were made
    under the policy then in force). Supervisors only; audited; all or nothing."""
    permissions.require(user, POLICY_CAPABILITY, "change the billing policy")
    today = today or timezone.localdate()
    if effective_from <= today:
        raise BillingError(f"Effective from: a new policy starts tomorrow ({today + timedelta(days=1)}) at the "
                           "earliest; bills already made keep the policy they were made under.")
    values = {"days_to_bill": days_to_bill, "days_until_due": days_until_due,
              "high_bill_minimum_history": high_bill_minimum_history,
              "max_consecutive_estimates": max_consecutive_estimates, "regular_period_days": regular_period_days,
              "winter_first_month": winter_first_month, "winter_last_month": winter_last_month}
    for name, (low, high, message) in POLICY_RANGES.items():
        if not isinstance(values[name], int) or not low <= values[name] <= high:
            raise BillingError(f"{message}.")
    try:
        percent = round_money(to_decimal(high_bill_percent))
    except (ValueError, ArithmeticError):
        raise BillingError("High-bill percent: enter a number, e.g. 100 holds a bill twice the average.") from None
    if not 0 < percent <= 1000:
        raise BillingError("High-bill percent: more than 0 and at most 1000.")
    try:
        tolerance = round_money(to_decimal(interval_register_tolerance_percent))
    except (ValueError, ArithmeticError):
        raise BillingError("Interval/register tolerance: enter a percent, e.g. 1 holds a bill whose intervals and "
                           "register differ by more than 1%.") from None
    if not 0 <= tolerance <= 20:
        raise BillingError("Interval/register tolerance: 0 to 20 percent of the register's advance.")
    messages = {"bill_message": bill_message.strip(), "bill_message_es": bill_message_es.strip(),
                "bill_message_ru": bill_message_ru.strip()}
    for name, text in messages.items():
        if len(text) > 300:
            raise BillingError(f"{name.replace('_', ' ').capitalize()}: at most 300 characters ({len(text)} given).")
    with transaction.atomic():
        if BillingPolicy.objects.select_for_update().filter(effective_from=effective_from).exists():
            raise BillingError(f"Effective from: a policy already starts on {effective_from}; policies are never "
                               "edited, choose another date.")
        before = BillingPolicy.objects.filter(effective_from__lt=effective_from).order_by("-effective_from").first()
        policy = BillingPolicy.objects.create(effective_from=effective_from, high_bill_percent=percent,
                                              interval_register_tolerance_percent=tolerance, **values, **messages)
        audit.record(AuditAction.BILLING_POLICY_SET, user_id=user.pk, obj=policy,
                     summary=f"billing policy in force from {effective_from}",
                     before=_policy_values(before), after=_policy_values(policy))
    return policy
