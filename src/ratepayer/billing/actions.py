"""Billing actions: adjustments (request, approve, post)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from ratepayer.customers.models import ServiceAgreement
from ratepayer.kernel.money import format_money, round_money, to_decimal
from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.staff import approvals, audit, permissions

from .errors import BillingError
from .models import Adjustment, AdjustmentReason

ADJUSTMENT_KIND = "billing.adjustment"


def request_adjustment(*, user, agreement: ServiceAgreement, direction: str, amount, reason_code: str, memo: str,
                       effective_date: date | None = None) -> Adjustment:
    """Adjust an agreement's balance. Within the user's adjustment limit it
    posts at once; above it, it waits for another person's approval.
    Refused (nothing written) without the capability or with bad input."""
    permissions.require(user, "adjustment.request", "make adjustments")
    try:
        amount = round_money(to_decimal(amount))
    except ValueError as exc:
        raise BillingError(f"Amount: {exc}") from exc
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
            audit.record("adjustment.requested", user_id=user.pk, obj=adjustment, account_id=adjustment.account_id,
                         summary=f"{adjustment} waits for approval (request #{request.pk})",
                         after={"amount": amount, "direction": direction, "reason": reason.code})
        else:
            _post_adjustment(adjustment, posted_by=user)
    adjustment.refresh_from_db()
    return adjustment


def _transition(adjustment: Adjustment, new_status: str, **fields) -> None:
    if new_status not in Adjustment.TRANSITIONS[adjustment.status]:
        raise BillingError(f"An adjustment that is {adjustment.get_status_display().lower()} cannot become {new_status}.")
    updated = Adjustment.objects.filter(pk=adjustment.pk, status=adjustment.status).update(status=new_status, **fields)
    if not updated:
        raise BillingError("The adjustment changed meanwhile; reload and try again.")
    adjustment.status = new_status


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
    _transition(adjustment, Adjustment.Status.POSTED, journal_entry=entry)
    adjustment.journal_entry = entry
    audit.record("adjustment.posted", user_id=posted_by.pk, obj=adjustment, account_id=adjustment.account_id,
                 summary=f"{adjustment} posted as JE{entry.pk}",
                 after={"status": "posted", "journal_entry": entry.pk, "amount": adjustment.amount})


def _on_approved(request, approver) -> None:
    adjustment = Adjustment.objects.select_for_update().select_related("agreement", "reason").get(
        pk=request.payload["adjustment_id"])
    _post_adjustment(adjustment, posted_by=approver)


def _on_rejected(request, decider) -> None:
    adjustment = Adjustment.objects.select_for_update().get(pk=request.payload["adjustment_id"])
    _transition(adjustment, Adjustment.Status.REJECTED if request.status == "rejected" else Adjustment.Status.CANCELLED)
    audit.record(f"adjustment.{adjustment.status}", user_id=decider.pk, obj=adjustment, account_id=adjustment.account_id,
                 summary=f"{adjustment} {adjustment.status}: {request.decision_note}")


def register_approval_handlers() -> None:
    approvals.register(ADJUSTMENT_KIND, _on_approved, _on_rejected)
