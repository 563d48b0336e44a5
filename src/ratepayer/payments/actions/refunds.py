"""Refunds of credit balances and security deposits by check or ACH credit,
with approval above the maker's refund limit, and uncashed checks moved to
unclaimed property.

Postings (DOMAIN §B.2): issue Dr 142 / Cr 232 on the agreement refunded (a
security deposit: Dr 235 / Cr 232); cleared Dr 232 / Cr 131; uncashed after
the dormancy period (one year, DOMAIN §A.9) the check is void and Dr 232 /
Cr 242 — the liability survives, the customer can still claim.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ratepayer.customers.models import ServiceAgreement
from ratepayer.kernel.money import format_money
from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.ledger.models import ARBalance
from ratepayer.staff import approvals, audit, permissions, transitions
from ratepayer.staff.audit import AuditAction

from .. import queries
from ..errors import PaymentError
from ..models import Refund, SecurityDeposit, SecurityDepositEntry
from .common import money

REFUND_KIND = "payments.refund"


def request_refund(*, user, agreement: ServiceAgreement, amount, method: str, payee: str, payee_address: str,
                   reason: str) -> Refund:
    """Refund (part of) an agreement's credit balance. Within the user's
    refund limit it is issued at once; above it, it waits for approval."""
    permissions.require(user, "payment.manage", "request refunds")
    amount = money(amount, "Amount")
    if amount <= 0:
        raise PaymentError("Amount: enter the amount to refund (more than zero).")
    # the refund goes to the customer at the mailing address unless the clerk names someone else
    account = agreement.account
    payee = payee.strip() or account.customer.name
    payee_address = payee_address.strip() or account.mailing_address
    validate_payee(method, payee, payee_address)
    if not reason.strip():
        raise PaymentError("Reason: say why the refund is made (final bill credit, overpayment, ...).")
    with transaction.atomic():
        balance = ARBalance.objects.select_for_update().filter(agreement=agreement).values_list(
            "balance", flat=True).first()
        credit = -(balance or 0)
        pending = sum(r.amount for r in Refund.objects.filter(agreement=agreement, status=Refund.Status.PENDING))
        if amount > credit - pending:
            raise PaymentError(f"Amount: {format_money(amount)} is more than the credit balance available to refund "
                               f"({format_money(max(credit - pending, 0))}).")
        refund = Refund.objects.create(account_id=agreement.account_id, agreement=agreement, method=method,
                                       amount=amount, payee=payee.strip()[:120], payee_address=payee_address.strip(),
                                       reason=reason.strip(), status=Refund.Status.PENDING, requested_by=user)
        submit(refund, user, account_number=agreement.account.number)
    refund.refresh_from_db()
    return refund


def validate_payee(method: str, payee: str, payee_address: str) -> None:
    if method not in ("check", "ach"):
        raise PaymentError("Method: choose check or ACH credit.")
    if not payee.strip() or not payee_address.strip():
        raise PaymentError("Payee: enter the name and address the refund goes to.")


def submit(refund: Refund, user, *, account_number: str) -> None:
    """Issue a new refund at once within the maker's refund limit; above it,
    send it to the approvals inbox (the same path for every kind of refund)."""
    if approvals.needs_approval(user, "refund", refund.amount):
        request = approvals.request_approval(
            maker=user, kind=REFUND_KIND, action="refund", amount=refund.amount, subject=refund,
            account_id=refund.account_id, payload={"refund_id": refund.pk},
            summary=f"Refund {format_money(refund.amount)} by {refund.method} to {refund.payee} from account "
                    f"{account_number}: {refund.reason}"[:300])
        Refund.objects.filter(pk=refund.pk).update(approval_request_id=request.pk)
        refund.approval_request_id = request.pk
    else:
        _issue(refund, user)
    audit.record(AuditAction.REFUND_REQUESTED, user_id=user.pk, obj=refund, account_id=refund.account_id,
                 summary=f"Refund {format_money(refund.amount)} ({refund.get_status_display().lower()})")


def _transition(refund: Refund, new_status: str, fields: dict | None = None, **options) -> None:
    transitions.change_status(refund, new_status, refused=PaymentError, fields=fields, account_id=refund.account_id,
                              **options)


def _next_check_number() -> str:
    top = Refund.objects.filter(method="check").exclude(check_number="").aggregate(m=Max("check_number"))["m"]
    return str(int(top) + 1) if top else "500001"


def _issue(refund: Refund, user) -> None:
    if refund.security_deposit_id:
        _issue_deposit_refund(refund, user)
        return
    agreement = refund.agreement
    balance = ARBalance.objects.select_for_update().get(agreement=agreement).balance
    if refund.amount > -balance:
        raise PaymentError(f"The credit balance is now {format_money(max(-balance, 0))}; the refund of "
                           f"{format_money(refund.amount)} cannot be issued.")
    debit_gl, credit_gl = PostingRules().accounts("refund", agreement.service, agreement.customer_class)
    today = timezone.localdate()
    entry = post(event="refund", effective_date=today, description=f"Refund to {refund.payee}",
                 lines=[Line(debit_gl, debit=refund.amount, account_id=refund.account_id, agreement_id=agreement.pk,
                             memo=refund.reason[:200]),
                        Line(credit_gl, credit=refund.amount, account_id=refund.account_id, memo=refund.payee)],
                 source=refund, idempotency_key=f"refund:{refund.pk}", created_by=user)
    _transition(refund, Refund.Status.ISSUED, {"payable_entry": entry, "issued_on": today,
                                               "check_number": _next_check_number() if refund.method == "check" else ""})


def _issue_deposit_refund(refund: Refund, user) -> None:
    deposit = SecurityDeposit.objects.select_for_update().get(pk=refund.security_deposit_id)
    if refund.amount > deposit.held:
        raise PaymentError(f"The deposit now holds {format_money(deposit.held)}; the refund of "
                           f"{format_money(refund.amount)} cannot be issued.")
    debit_gl, credit_gl = PostingRules().accounts("security_deposit_refund")
    today = timezone.localdate()
    entry = post(event="security_deposit_refund", effective_date=today,
                 description=f"Security deposit refund to {refund.payee}",
                 lines=[Line(debit_gl, debit=refund.amount, account_id=refund.account_id, memo=refund.reason[:200]),
                        Line(credit_gl, credit=refund.amount, account_id=refund.account_id, memo=refund.payee)],
                 source=refund, idempotency_key=f"refund:{refund.pk}", created_by=user)
    SecurityDepositEntry.objects.create(deposit=deposit, kind=SecurityDepositEntry.Kind.REFUNDED,
                                        amount=refund.amount, on=today, refund=refund, journal_entry=entry,
                                        created_by=user)
    deposit.paid_out += refund.amount
    SecurityDeposit.objects.filter(pk=deposit.pk).update(
        paid_out=deposit.paid_out, status=SecurityDeposit.Status.RELEASED if deposit.held == 0 else deposit.status)
    _transition(refund, Refund.Status.ISSUED, {"payable_entry": entry, "issued_on": today,
                                               "check_number": _next_check_number() if refund.method == "check" else ""})


def _on_approved(request, approver) -> None:
    refund = Refund.objects.select_for_update(of=("self",)).select_related("agreement").get(
        pk=request.payload["refund_id"])
    _issue(refund, approver)


def _on_rejected(request, decider) -> None:
    refund = Refund.objects.select_for_update().get(pk=request.payload["refund_id"])
    _transition(refund, Refund.Status.REJECTED)
    if refund.security_deposit_id:
        # the money stays held; the deposit can be released again
        SecurityDeposit.objects.filter(pk=refund.security_deposit_id, status=SecurityDeposit.Status.RELEASING) \
            .update(status=SecurityDeposit.Status.HELD, released_on=None, release_reason="")


def register_approval_handlers() -> None:
    approvals.register(REFUND_KIND, _on_approved, _on_rejected)


def clear_refund(*, user, refund: Refund, cleared_on: date) -> Refund:
    """The check was cashed (or the ACH credit settled): Dr 232 / Cr 131."""
    if user is not None:
        permissions.require(user, "payment.manage", "clear refunds")
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        debit_gl, credit_gl = PostingRules().accounts("refund_paid")
        entry = post(event="refund_paid", effective_date=cleared_on,
                     description=f"Refund {refund.check_number or refund.pk} paid to {refund.payee}",
                     lines=[Line(debit_gl, debit=refund.amount, account_id=refund.account_id, memo=refund.payee),
                            Line(credit_gl, credit=refund.amount, memo=refund.payee)],
                     source=refund, idempotency_key=f"refund_paid:{refund.pk}", created_by=user)
        _transition(refund, Refund.Status.CLEARED, {"cleared_on": cleared_on, "cleared_entry": entry},
                    action=AuditAction.REFUND_CLEARED, user_id=getattr(user, "pk", None),
                    summary=f"Refund {format_money(refund.amount)} to {refund.payee} cleared on {cleared_on}"[:300])
    return refund


def move_uncashed_to_unclaimed(*, user, on: date) -> list[Refund]:
    """Refund checks uncashed past the dormancy period (one year) move from
    accounts payable to the unclaimed-property liability: Dr 232 / Cr 242."""
    if user is not None:
        permissions.require(user, "payment.manage", "move refunds to unclaimed property")
    moved = []
    debit_gl, credit_gl = PostingRules().accounts("refund_unclaimed")
    with transaction.atomic():
        for refund in queries.unclaimed_candidates(on).select_for_update().order_by("pk"):
            entry = post(event="refund_unclaimed", effective_date=on,
                         description=f"Uncashed refund check {refund.check_number} void: unclaimed property",
                         lines=[Line(debit_gl, debit=refund.amount, account_id=refund.account_id, memo=refund.payee),
                                Line(credit_gl, credit=refund.amount, account_id=refund.account_id,
                                     memo=refund.payee)],
                         source=refund, idempotency_key=f"refund_unclaimed:{refund.pk}", created_by=user)
            _transition(refund, Refund.Status.UNCLAIMED, {"unclaimed_on": on, "unclaimed_entry": entry},
                        action=AuditAction.REFUND_UNCLAIMED, user_id=getattr(user, "pk", None),
                        summary=f"Check {refund.check_number} {format_money(refund.amount)} dormant since "
                                f"{refund.issued_on}: unclaimed property")
            moved.append(refund)
    return moved
