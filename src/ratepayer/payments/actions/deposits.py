"""Customer security deposits: required, received, interest, released.

Postings (DOMAIN §B.2, rules from the payments data migration 0005):
- received (at the counter, or in a pay-by-phone file): Dr cash clearing
  (131.1) / Cr customer deposits (235) — money held, not a payment on the bill;
- interest (rate effective-dated, WAC 480-100-113 pattern): Dr 431 / Cr 235;
- released (after the good-payment period, or at the final bill): first
  Dr 235 / Cr 142 on each agreement that owes, then the rest refunded
  (Dr 235 / Cr 232) through the refund path, with approval above the maker's
  refund limit.

The deposit's ``received``, ``interest`` and ``paid_out`` are the sums of its
entries (``SecurityDepositEntry``), moved in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ratepayer.customers.models import Account
from ratepayer.db.money import MoneySum
from ratepayer.kernel.money import format_money
from ratepayer.ledger.actions import EntrySpec, Line, PostingRules, post, post_entries
from ratepayer.ledger.models import ARBalance
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from .. import calculations, queries
from ..errors import PaymentError
from ..models import (
    DepositInterestRate,
    DrawerSession,
    Payment,
    PaymentBatch,
    Refund,
    SecurityDeposit,
    SecurityDepositEntry,
)
from . import refunds
from .common import money, validate_tender
from .core import CHUNK

ZERO = Decimal("0.00")
OPEN_STATUSES = (SecurityDeposit.Status.REQUIRED, SecurityDeposit.Status.HELD)
# WAC 480-100-113 pattern: a deposit asked of a customer already in service is due
# no earlier than the sixth business day after the notice is mailed.
DEFAULT_DUE_DAYS = 10


def require_deposit(*, user, account: Account, amount, reason: str, required_on: date | None = None,
                    due_on: date | None = None) -> SecurityDeposit:
    """Record that the account owes a security deposit (the written reason is kept)."""
    permissions.require(user, "payment.manage", "require security deposits")
    amount = money(amount, "Amount")
    if amount <= 0:
        raise PaymentError("Amount: enter the deposit required (more than zero).")
    if not reason.strip():
        raise PaymentError("Reason: the customer must be told in writing why a deposit is required.")
    required_on = required_on or timezone.localdate()
    due_on = due_on or required_on + timedelta(days=DEFAULT_DUE_DAYS)
    if due_on < required_on:
        raise PaymentError("Due on: cannot be before the date the deposit is required.")
    with transaction.atomic():
        if SecurityDeposit.objects.filter(account=account).exclude(status=SecurityDeposit.Status.RELEASED).exists():
            raise PaymentError(f"Account {account.number} already has a security deposit; change that one.")
        deposit = SecurityDeposit.objects.create(account=account, amount_required=amount, reason=reason.strip()[:300],
                                                 required_on=required_on, due_on=due_on, created_by=user)
        audit.record(AuditAction.DEPOSIT_REQUIRED, user_id=user.pk, obj=deposit, account_id=account.pk,
                     summary=f"Security deposit {format_money(amount)} required, due {due_on}: {reason.strip()}")
    return deposit


@dataclass
class DepositReceiptSpec:
    """One deposit receipt from a file (pay-by-phone)."""

    deposit_id: int
    amount: Decimal
    tender: str
    received_on: date
    external_reference: str


def _check_receivable(deposit: SecurityDeposit, amount: Decimal) -> None:
    if deposit.status != SecurityDeposit.Status.REQUIRED:
        raise PaymentError(f"The security deposit of account {deposit.account.number} is "
                           f"{deposit.get_status_display().lower()}: nothing is owed on it.")
    if amount > deposit.outstanding:
        raise PaymentError(f"Amount: {format_money(amount)} is more than the deposit still owed "
                           f"({format_money(deposit.outstanding)}); take the rest as a payment on the bill.")


def receive_deposit(*, user, session: DrawerSession, deposit: SecurityDeposit, tender: str, amount,
                    tendered=None, check_number: str = "", check_routing: str = "", payer_name: str = "",
                    card_brand: str = "", card_last4: str = "", processor_reference: str = "",
                    token: str = "") -> SecurityDepositEntry:
    """Take (part of) a required deposit at the counter into the clerk's drawer:
    it counts in the drawer like a payment but is held in 235, not applied to
    the bill. Installments are allowed (WAC: half before service, the rest in
    two monthly amounts). Idempotent by the form token / processor reference."""
    permissions.require(user, "payment.take", "take security deposits")
    if session.clerk_id != user.pk or session.status != DrawerSession.Status.OPEN:
        raise PaymentError("Open your own cash drawer before taking deposits.")
    amount = money(amount, "Amount")
    if amount <= 0:
        raise PaymentError("Amount: enter the amount received (more than zero).")
    validate_tender(tender, amount, tendered=tendered, check_number=check_number, check_routing=check_routing,
                     payer_name=payer_name, card_brand=card_brand, card_last4=card_last4,
                     processor_reference=processor_reference)
    reference = (f"card:{processor_reference.strip()}" if tender == Payment.Tender.CARD
                 else f"deposit-counter:{token}" if token else None)
    with transaction.atomic():
        if reference and SecurityDepositEntry.objects.filter(external_reference=reference).exists():
            raise PaymentError("This deposit receipt was already recorded; it was not posted again.")
        locked = SecurityDeposit.objects.select_for_update().select_related("account").get(pk=deposit.pk)
        _check_receivable(locked, amount)
        entry = post_deposit_receipts([DepositReceiptSpec(locked.pk, amount, tender, session.business_date,
                                                          reference)], batch=session.batch, user=user)[0]
        audit.record(AuditAction.DEPOSIT_RECEIVED, user_id=user.pk, obj=locked, account_id=locked.account_id,
                     summary=f"Security deposit {Payment.Tender(tender).label.lower()} {format_money(amount)} "
                             f"received")
    deposit.refresh_from_db()
    return entry


def post_deposit_receipts(specs: Sequence[DepositReceiptSpec], *, batch: PaymentBatch,
                          user=None) -> list[SecurityDepositEntry]:
    """Post deposit receipts (Dr 131.1 / Cr 235) in one batch of statements;
    callers have checked each against what is still owed."""
    if not specs:
        return []
    with transaction.atomic():
        return _post_deposit_receipts(specs, batch, user)


def _post_deposit_receipts(specs: Sequence[DepositReceiptSpec], batch: PaymentBatch,
                           user) -> list[SecurityDepositEntry]:
    debit_gl, credit_gl = PostingRules().accounts("security_deposit_receipt")
    deposits = {d.pk: d for d in SecurityDeposit.objects.select_for_update().filter(
        pk__in=sorted({s.deposit_id for s in specs})).order_by("pk")}
    journal = post_entries([
        EntrySpec(event="security_deposit_receipt", effective_date=s.received_on,
                  description=f"Security deposit received ({Payment.Tender(s.tender).label.lower()})",
                  lines=[Line(debit_gl, debit=s.amount, account_id=deposits[s.deposit_id].account_id,
                              memo="security deposit"),
                         Line(credit_gl, credit=s.amount, account_id=deposits[s.deposit_id].account_id,
                              memo="security deposit")],
                  source_type="payments.securitydeposit", source_id=s.deposit_id,
                  idempotency_key=f"deposit_receipt:{s.external_reference}" if s.external_reference else None)
        for s in specs], created_by=user)
    entries = SecurityDepositEntry.objects.bulk_create([
        SecurityDepositEntry(deposit_id=s.deposit_id, kind=SecurityDepositEntry.Kind.RECEIPT, amount=s.amount,
                             on=s.received_on, tender=s.tender, batch=batch, external_reference=s.external_reference,
                             journal_entry=je, created_by=user)
        for s, je in zip(specs, journal, strict=True)])
    newly_held: dict[date, list[int]] = defaultdict(list)
    for s in specs:
        d = deposits[s.deposit_id]
        d.received += s.amount
        if d.received >= d.amount_required and d.status == SecurityDeposit.Status.REQUIRED:
            d.status, d.fully_paid_on = SecurityDeposit.Status.HELD, s.received_on
            newly_held[s.received_on].append(d.pk)
    received = (SecurityDepositEntry.objects.filter(deposit=OuterRef("pk"), kind=SecurityDepositEntry.Kind.RECEIPT)
                .values("deposit").annotate(total=MoneySum("amount")).values("total"))
    ids = sorted(deposits)
    for start in range(0, len(ids), CHUNK):
        SecurityDeposit.objects.filter(pk__in=ids[start:start + CHUNK]).update(
            received=Coalesce(Subquery(received), ZERO))
    for day, held in newly_held.items():
        for start in range(0, len(held), CHUNK):
            SecurityDeposit.objects.filter(pk__in=held[start:start + CHUNK]).update(
                status=SecurityDeposit.Status.HELD, fully_paid_on=day)
    return entries


# --------------------------------------------------------------------------- interest


def set_interest_rate(*, user, effective_from: date, annual_rate, source: str = "") -> DepositInterestRate:
    """Board/commission rate on deposits from a date (normally January 1)."""
    permissions.require(user, "approval_limit.edit", "set the deposit interest rate")
    try:
        rate = Decimal(str(annual_rate).strip().rstrip("%"))
    except ArithmeticError as exc:
        raise PaymentError(f"Rate: {annual_rate!r} is not a percentage") from exc
    if not Decimal(0) <= rate < 100 or rate != rate.quantize(Decimal("0.0001")):
        raise PaymentError("Rate: a percentage from 0 to 99.9999 (four decimals at most).")
    with transaction.atomic():
        if DepositInterestRate.objects.filter(effective_from=effective_from).exists():
            raise PaymentError(f"Effective from: a rate already starts on {effective_from}.")
        row = DepositInterestRate.objects.create(effective_from=effective_from, annual_rate=rate,
                                                 source=source.strip()[:200], created_by=user)
        audit.record(AuditAction.DEPOSIT_INTEREST_RATE, user_id=user.pk, obj=row,
                     summary=f"Deposit interest {rate}% from {effective_from} ({source.strip()})")
    return row


def _movements(deposit_ids: Sequence[int]) -> dict[int, list[tuple[date, Decimal]]]:
    """Principal movements per deposit: receipts +, applied and refunded −."""
    moves: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for deposit_id, kind, on, amount in SecurityDepositEntry.objects.filter(deposit_id__in=deposit_ids).exclude(
            kind=SecurityDepositEntry.Kind.INTEREST).values_list("deposit_id", "kind", "on", "amount"):
        moves[deposit_id].append((on, amount if kind == SecurityDepositEntry.Kind.RECEIPT else -amount))
    return moves


def _accrue(deposits: list[SecurityDeposit], on: date, user) -> list[tuple[SecurityDeposit, Decimal]]:
    rates = list(DepositInterestRate.objects.values_list("effective_from", "annual_rate"))
    moves = _movements([d.pk for d in deposits])
    due = []
    for d in deposits:
        owed = calculations.deposit_interest(moves.get(d.pk, []), rates, on) - d.interest
        if owed > 0:
            due.append((d, owed))
    if not due:
        return []
    debit_gl, credit_gl = PostingRules().accounts("security_deposit_interest")
    journal = post_entries([
        EntrySpec(event="security_deposit_interest", effective_date=on,
                  description=f"Interest on security deposit through {on}",
                  lines=[Line(debit_gl, debit=amount, account_id=d.account_id, memo="deposit interest"),
                         Line(credit_gl, credit=amount, account_id=d.account_id, memo="deposit interest")],
                  source_type="payments.securitydeposit", source_id=d.pk,
                  idempotency_key=f"deposit_interest:{d.pk}:{on}") for d, amount in due], created_by=user)
    SecurityDepositEntry.objects.bulk_create([
        SecurityDepositEntry(deposit=d, kind=SecurityDepositEntry.Kind.INTEREST, amount=amount, on=on,
                             journal_entry=je, created_by=user) for (d, amount), je in zip(due, journal, strict=True)])
    for d, amount in due:
        d.interest += amount
        d.interest_through = on
    accrued = (SecurityDepositEntry.objects.filter(deposit=OuterRef("pk"), kind=SecurityDepositEntry.Kind.INTEREST)
               .values("deposit").annotate(total=MoneySum("amount")).values("total"))
    ids = [d.pk for d, _ in due]
    for start in range(0, len(ids), CHUNK):
        # one set-based UPDATE per chunk: the cached sum is recomputed from the sub-ledger rows
        SecurityDeposit.objects.filter(pk__in=ids[start:start + CHUNK]).update(
            interest=Coalesce(Subquery(accrued), ZERO), interest_through=on)
    return due


def accrue_interest(*, on: date, user=None) -> dict:
    """Accrue interest on every deposit held up to ``on`` (idempotent: what
    was accrued before is subtracted; a second run the same day posts nothing)."""
    if user is not None:
        permissions.require(user, "payment.manage", "accrue deposit interest")
    with transaction.atomic():
        deposits = list(SecurityDeposit.objects.select_for_update().exclude(status=SecurityDeposit.Status.RELEASED)
                        .filter(received__gt=0).order_by("pk"))
        due = _accrue(deposits, on, user)
    return {"deposits": len(due), "interest": str(sum((a for _, a in due), ZERO)), "through": str(on)}


# --------------------------------------------------------------------------- release


@dataclass
class Release:
    deposit: SecurityDeposit
    applied: Decimal
    refund: Refund | None


def release_deposit(*, user, deposit: SecurityDeposit, reason: str, on: date | None = None, method: str = "check",
                    payee: str = "", payee_address: str = "") -> Release:
    """Release a held deposit: accrue interest to ``on``, apply it to what the
    account owes (oldest agreement balances first), and refund the rest by
    check or ACH credit — issued at once within the user's refund limit,
    otherwise after approval (the deposit waits in 'releasing')."""
    permissions.require(user, "payment.manage", "release security deposits")
    on = on or timezone.localdate()
    if not reason.strip():
        raise PaymentError("Reason: good payment record, final bill, ...")
    with transaction.atomic():
        deposit = SecurityDeposit.objects.select_for_update().select_related("account__customer").get(pk=deposit.pk)
        if deposit.status not in OPEN_STATUSES or deposit.received <= 0:
            raise PaymentError(f"This deposit is {deposit.get_status_display().lower()}: there is nothing to release.")
        account = deposit.account
        payee = payee.strip() or account.customer.name
        payee_address = payee_address.strip() or ", ".join(
            p for p in (account.mailing_line1, account.mailing_line2,
                        f"{account.mailing_city} {account.mailing_state} {account.mailing_zip}") if p)
        refunds.validate_payee(method, payee, payee_address)
        _accrue([deposit], on, user)
        applied = _apply_to_balance(deposit, on, user)
        remainder = deposit.held
        refund = None
        SecurityDeposit.objects.filter(pk=deposit.pk).update(
            status=SecurityDeposit.Status.RELEASING if remainder > 0 else SecurityDeposit.Status.RELEASED,
            released_on=on, release_reason=reason.strip()[:200])
        deposit.status = SecurityDeposit.Status.RELEASING
        if remainder > 0:
            refund = Refund.objects.create(account=account, security_deposit=deposit, method=method,
                                           amount=remainder, payee=payee[:120], payee_address=payee_address,
                                           reason=f"Security deposit refund: {reason.strip()}"[:300],
                                           status=Refund.Status.PENDING, requested_by=user)
            refunds.submit(refund, user, account_number=account.number)
            refund.refresh_from_db()
        audit.record(AuditAction.DEPOSIT_RELEASED, user_id=user.pk, obj=deposit, account_id=account.pk,
                     summary=f"Security deposit released ({reason.strip()}): {format_money(applied)} applied to the "
                             f"balance, {format_money(remainder)} refunded"
                             + (" (waits for approval)" if refund and refund.status == "pending" else ""))
    deposit.refresh_from_db()
    return Release(deposit, applied, refund)


def _apply_to_balance(deposit: SecurityDeposit, on: date, user) -> Decimal:
    owing = list(ARBalance.objects.select_for_update().filter(account_id=deposit.account_id, balance__gt=0)
                 .select_related("agreement").order_by("pk"))
    left = deposit.held
    lines = []
    for row in owing:
        take = min(left, row.balance)
        if take <= 0:
            break
        lines.append((row.agreement, take))
        left -= take
    applied = sum((a for _, a in lines), ZERO)
    if not applied:
        return ZERO
    rules = PostingRules()
    debit_gl, _ = rules.accounts("security_deposit_applied")
    entry = post(event="security_deposit_applied", effective_date=on,
                 description="Security deposit applied to the balance owing",
                 lines=[Line(debit_gl, debit=applied, account_id=deposit.account_id, memo="security deposit")]
                 + [Line(rules.accounts("security_deposit_applied", a.service, a.customer_class)[1], credit=amount,
                         account_id=deposit.account_id, agreement_id=a.pk, memo="security deposit applied")
                    for a, amount in lines],
                 source=deposit, idempotency_key=f"deposit_applied:{deposit.pk}:{deposit.paid_out}", created_by=user)
    SecurityDepositEntry.objects.create(deposit=deposit, kind=SecurityDepositEntry.Kind.APPLIED, amount=applied,
                                        on=on, journal_entry=entry, created_by=user)
    deposit.paid_out += applied
    SecurityDeposit.objects.filter(pk=deposit.pk).update(paid_out=deposit.paid_out)
    return applied


def review_deposits(*, on: date, user=None) -> list[SecurityDeposit]:
    """Deposits due back on ``on``: held for the good-payment period without
    more late payments than policy allows, or on an account whose service
    has all ended (final bill). The screen and ``ratepayer payments deposits
    review`` list them; ``--release`` releases each."""
    if user is not None:
        permissions.require(user, "payment.manage", "review security deposits")
    return queries.deposits_due_back(on)
