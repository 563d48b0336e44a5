"""Pay-by-phone (IVR / card processor) daily settlement files.

The processor sends one CSV a day: one row per approved card transaction
(layout in docs/formats.md, "Pay-by-phone settlement CSV", read by
``formats.phone_payments``; the column map is configurable like the lockbox
CSV). Only the processor reference, the card's last four digits and brand are
read — a value that looks like a card number refuses the file.

The import is atomic and idempotent: the file's sha256 is unique, each
transaction's reference is unique (``phone:<transaction id>``), and any bad
row refuses the whole file with every problem named by line and field. Each
settlement date becomes a batch of card payments (a row whose purpose is
``deposit`` pays the account's required security deposit instead), money for
an account not found goes to suspense, and one card settlement deposit per
batch waits for the bank statement's card/ACH credit line, like a lockbox.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.db.bulk import gc_paused
from ratepayer.formats import phone_payments
from ratepayer.kernel.money import format_money
from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.staff import audit
from ratepayer.staff.audit import AuditAction

from ..errors import ImportRefused, PaymentError
from ..models import (
    Deposit,
    ImportedFile,
    Payment,
    PaymentBatch,
    SecurityDeposit,
    SecurityDepositEntry,
    SuspenseItem,
)
from .common import existing_references, record_imported_file, refuse_repeat, require
from .core import CHUNK, PaymentSpec, SuspenseSpec, post_payments, post_suspense
from .deposits import DepositReceiptSpec, post_deposit_receipts

ZERO = Decimal("0.00")


class PhoneCsvLayout(phone_payments.PhoneCsvLayout):
    """The processor's column map (``formats.phone_payments.PhoneCsvLayout``); with
    no map given, the installation's ``settings.RATEPAYER_PHONE_CSV``."""

    @classmethod
    def from_mapping(cls, mapping: dict | None) -> PhoneCsvLayout:
        mapping = mapping if mapping is not None else getattr(settings, "RATEPAYER_PHONE_CSV", {})
        try:
            return super().from_mapping(mapping)
        except ValueError as exc:
            raise PaymentError(str(exc)) from None


@gc_paused()
def import_phone_payments(*, user, content: bytes, name: str, layout: PhoneCsvLayout | None = None) -> ImportedFile:
    """Import a pay-by-phone settlement CSV (see module docstring)."""
    require(user, "payment.manage", "import pay-by-phone files")
    sha = refuse_repeat(content, name)
    rows, problems = phone_payments.parse(content, layout or PhoneCsvLayout.from_mapping(None), name=name)
    if not rows and not problems:
        problems.append("line 1: file: no transactions")
    seen_in_file: dict[str, int] = {}
    for row in rows:
        if row.reference in seen_in_file:
            problems.append(f"line {row.line}: transaction id: {row.reference} is also on line "
                            f"{seen_in_file[row.reference]}")
        seen_in_file.setdefault(row.reference, row.line)
    references = [f"phone:{r.reference}" for r in rows]
    done = existing_references(Payment, references) | existing_references(SuspenseItem, references) | \
        existing_references(SecurityDepositEntry, references)
    problems += [f"line {r.line}: transaction id: {r.reference} was already imported from another file"
                 for r in rows if f"phone:{r.reference}" in done]
    numbers = sorted({r.account for r in rows})
    accounts: dict[str, int] = {}
    for start in range(0, len(numbers), CHUNK):
        accounts.update(Account.objects.filter(number__in=numbers[start:start + CHUNK]).values_list("number", "pk"))
    serviced = set(ServiceAgreement.objects.filter(account_id__in=accounts.values()).values_list(
        "account_id", flat=True).distinct())
    deposits = {d.account_id: d for d in SecurityDeposit.objects.filter(
        account_id__in=[accounts[r.account] for r in rows if r.purpose == "deposit" and r.account in accounts],
        status=SecurityDeposit.Status.REQUIRED)}
    owed = {account_id: d.outstanding for account_id, d in deposits.items()}
    for r in rows:
        if r.purpose != "deposit":
            continue
        deposit = deposits.get(accounts.get(r.account))
        if deposit is None:
            problems.append(f"line {r.line}: purpose: account {r.account} has no security deposit owing")
            continue
        if r.amount > owed[deposit.account_id]:
            problems.append(f"line {r.line}: amount: {format_money(r.amount)} is more than the deposit owing "
                            f"({format_money(owed[deposit.account_id])})")
        owed[deposit.account_id] -= r.amount
    if problems:
        raise ImportRefused(name, problems)
    by_day: dict[date, tuple[list, list, list]] = defaultdict(lambda: ([], [], []))
    for r in rows:
        pays, holds, deposit_receipts = by_day[r.settlement_date]
        reference = f"phone:{r.reference}"
        account_id = accounts.get(r.account)
        if r.purpose == "deposit":
            deposit_receipts.append(DepositReceiptSpec(deposits[account_id].pk, r.amount, Payment.Tender.CARD,
                                                       r.settlement_date, reference))
        elif account_id is None or account_id not in serviced:
            why = "not found" if account_id is None else "has no service agreement"
            holds.append(SuspenseSpec(r.amount, r.settlement_date, f"pay-by-phone: account {r.account} {why}",
                                      reference, {"stub_account": r.account[:20], "payer_name": r.payer_name}))
        else:
            pays.append(PaymentSpec(account_id, r.amount, Payment.Tender.CARD, r.settlement_date, reference,
                                    {"card_brand": r.card_brand, "card_last4": r.last4, "payer_name": r.payer_name}))
    total = sum((r.amount for r in rows), ZERO)
    with transaction.atomic():
        imported = record_imported_file(
            kind=ImportedFile.Kind.PHONE, name=name, sha256=sha, imported_by=user, item_count=len(rows),
            total=total, summary={"days": len(by_day), "payments": sum(len(v[0]) for v in by_day.values()),
                                  "suspense": sum(len(v[1]) for v in by_day.values()),
                                  "deposits": sum(len(v[2]) for v in by_day.values())})
        for day, (pays, holds, deposit_receipts) in sorted(by_day.items()):
            batch = PaymentBatch.objects.create(kind=PaymentBatch.Kind.PHONE, business_date=day, source_file=imported,
                                                reference=f"pay-by-phone {day}")
            post_payments(pays, batch=batch, user=user)
            post_suspense(holds, batch=batch, user=user)
            post_deposit_receipts(deposit_receipts, batch=batch, user=user)
            amount = sum((s.amount for group in (pays, holds, deposit_receipts) for s in group), ZERO)
            _card_settlement(batch, amount, len(pays) + len(holds) + len(deposit_receipts), user)
        audit.record(AuditAction.PHONE_IMPORTED, user_id=getattr(user, "pk", None), obj=imported,
                     summary=f"{name}: {len(rows)} card transactions {format_money(total)}")
    return imported


def _card_settlement(batch: PaymentBatch, amount: Decimal, item_count: int, user) -> Deposit:
    """The processor pays the day's total into the bank: a card settlement
    deposit the statement's card/ACH credit line matches (Dr 131 / Cr 131.1)."""
    debit_gl, credit_gl = PostingRules().accounts("deposit")
    slip = f"P{batch.business_date:%y%m%d}-{batch.pk}"
    entry = post(event="deposit", effective_date=batch.business_date, description=f"Pay-by-phone settlement {slip}",
                 lines=[Line(debit_gl, debit=amount, memo=slip), Line(credit_gl, credit=amount, memo=slip)],
                 source=batch, idempotency_key=f"deposit:{slip}", created_by=user)
    return Deposit.objects.create(kind=Deposit.Kind.CARD, business_date=batch.business_date, amount=amount,
                                  item_count=item_count, slip_number=slip, journal_entry=entry, created_by=user)
