"""Files from the bank: lockbox and the BAI2 bank statement.

Every import is atomic and idempotent: the file's sha256 is unique (the same
file twice is refused with a message), each item's external reference is
unique (an item already imported from another file refuses the whole file),
and a file whose totals or records don't add up is refused whole with the line
and field named (the readers in ratepayer.formats check that). Nothing is
written unless everything is.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.db.bulk import gc_paused
from ratepayer.formats import bai2, lockbox
from ratepayer.kernel.money import format_money
from ratepayer.staff import audit
from ratepayer.staff.audit import AuditAction

from .. import queries
from ..errors import ImportRefused, PaymentError
from ..models import BankLine, Deposit, ImportedFile, Payment, PaymentBatch, ReturnedPayment, SuspenseItem
from .common import IN_CHUNK, existing_references, record_imported_file, refuse_repeat, require
from .core import (
    CHUNK,
    PaymentSpec,
    SuspenseSpec,
    post_payment_rows,
    post_suspense,
    self_deposit,
)

ZERO = Decimal("0.00")


# --------------------------------------------------------------------------- lockbox


@dataclass
class _Portion:
    line: int
    reference: str
    amount: Decimal
    account_number: str
    problem: str = ""
    scan_line: str = ""


def _split_check(item: lockbox.LockboxItem, reference: str) -> list[_Portion]:
    """How one check pays its stubs. A check with no stubs, or whose stub
    amounts exceed it, goes whole to suspense."""
    stubs = item.stubs
    if not stubs:
        return [_Portion(item.line, f"{reference}:1", item.amount, "", "no bill stub with the check")]
    amounts = [s.amount_applied for s in stubs]
    rest = item.amount - sum((a for a in amounts if a is not None), ZERO)
    if rest < 0:
        return [_Portion(item.line, f"{reference}:1", item.amount, stubs[0].account,
                         f"stub amounts exceed the check by {format_money(-rest)}", stubs[0].scan_line)]
    missing = [i for i, a in enumerate(amounts) if a is None]
    for i in missing[1:]:
        share = min(stubs[i].amount_due or ZERO, rest)
        amounts[i] = share
        rest -= share
    if missing:
        amounts[missing[0]] = rest
    elif rest:
        amounts[0] = (amounts[0] or ZERO) + rest
    portions = []
    for n, (stub, amount) in enumerate(zip(stubs, amounts, strict=True), 1):
        if not amount:
            continue
        problem = f"unreadable stub ({stub.error})" if stub.error else ""
        portions.append(_Portion(stub.line, f"{reference}:{n}", amount, stub.account, problem, stub.scan_line))
    return portions


@gc_paused()
def import_lockbox(*, user, content: bytes, name: str, csv_layout: lockbox.CsvLayout | None = None) -> ImportedFile:
    """Import a lockbox file (BAI lockbox fixed-width, or CSV with a column
    map). The customer is found from each stub's scan line (never the MICR
    line); one check may pay several stubs; what cannot be applied goes to
    suspense. Each lockbox and deposit date becomes a batch and a deposit
    that the bank statement's 115 line will match."""
    require(user, "payment.manage", "import lockbox files")
    sha = refuse_repeat(content, name)
    is_csv = csv_layout is not None or name.lower().endswith(".csv")
    parsed = (lockbox.parse_csv(content, layout=csv_layout, file_name=name) if is_csv
              else lockbox.parse_fixed(content, file_name=name))
    if not parsed.report.ok:
        raise ImportRefused(name, parsed.report.lines())
    problems: list[str] = []
    checks: list[tuple[lockbox.LockboxItem, str]] = []
    for item in parsed.items:
        if item.deposit_date is None:
            problems.append(f"line {item.line}: deposit date: missing")
            continue
        if item.amount <= 0:
            problems.append(f"line {item.line}: amount: a check must be more than zero")
        checks.append((item, f"lockbox:{item.lockbox}:{item.deposit_date:%Y%m%d}:{item.batch}:{item.item}"))
    portions = [(item, p) for item, ref in checks for p in _split_check(item, ref)]
    references = [p.reference for _, p in portions]
    seen = existing_references(Payment, references) | existing_references(SuspenseItem, references)
    problems += [f"line {p.line}: item: {p.reference.rsplit(':', 1)[0]} was already imported from another file"
                 for _, p in portions if p.reference in seen]
    if problems:
        raise ImportRefused(name, problems)
    numbers = sorted({p.account_number for _, p in portions if p.account_number and not p.problem})
    accounts: dict[str, tuple[int, str]] = {}
    serviced: set[int] = set()
    has_agreement = Exists(ServiceAgreement.objects.filter(account_id=OuterRef("pk")))
    for start in range(0, len(numbers), IN_CHUNK):
        for number, pk, status, has in (Account.objects.filter(number__among=numbers[start:start + IN_CHUNK])
                                        .values_list("number", "pk", "status", has_agreement)):
            accounts[number] = (pk, status)
            if has:
                serviced.add(pk)
    policy = queries.payment_policy_on(parsed.items[0].deposit_date if parsed.items else None)
    by_batch: dict[tuple[str, date], tuple[list[PaymentSpec], list[SuspenseSpec]]] = defaultdict(lambda: ([], []))
    for item, p in portions:
        pays, holds = by_batch[(item.lockbox, item.deposit_date)]
        fields = {"check_number": item.check_number[:20], "check_routing": item.routing[:9]}
        found = accounts.get(p.account_number)
        problem = p.problem
        if not problem and found is None:
            problem = f"account {p.account_number or '(blank)'} not found"
        elif not problem and found[0] not in serviced:
            problem = f"account {p.account_number} has no service agreement"
        elif not problem and found[1] == Account.Status.CLOSED and policy.closed_account_handling == "suspense":
            problem = f"account {p.account_number} is closed"
        if problem:
            holds.append(SuspenseSpec(p.amount, item.deposit_date, problem, p.reference,
                                      {"stub_account": p.account_number[:20], "scan_line": p.scan_line[:80],
                                       "check_number": item.check_number[:20]}))
        else:
            pays.append(PaymentSpec(found[0], p.amount, Payment.Tender.LOCKBOX, item.deposit_date, p.reference,
                                    fields))
    totals = parsed.lockbox_totals()
    with transaction.atomic():
        imported = record_imported_file(
            kind=ImportedFile.Kind.LOCKBOX, name=name, sha256=sha, imported_by=user,
            item_count=len(parsed.items), total=parsed.total,
            summary={"batches": len(parsed.batches), "checks": len(parsed.items),
                     "payments": sum(len(v[0]) for v in by_batch.values()),
                     "suspense": sum(len(v[1]) for v in by_batch.values()),
                     "suspense_total": str(sum((s.amount for v in by_batch.values() for s in v[1]), ZERO)),
                     "format": "csv" if is_csv else "bai-lockbox"})
        for (box, day), (pays, holds) in sorted(by_batch.items()):
            batch = PaymentBatch.objects.create(kind=PaymentBatch.Kind.LOCKBOX, business_date=day,
                                                source_file=imported, reference=f"lockbox {box} {day}")
            post_payment_rows(pays, batch=batch, user=user)
            post_suspense(holds, batch=batch, user=user)
            count = sum(1 for item, _ in checks if (item.lockbox, item.deposit_date) == (box, day))
            self_deposit(kind=Deposit.Kind.LOCKBOX, batch=batch, amount=totals[(box, day)], item_count=count,
                         user=user)
        audit.record(AuditAction.LOCKBOX_IMPORTED, user_id=getattr(user, "pk", None), obj=imported,
                     summary=f"{name}: {parsed.summary()}")
    return imported


# --------------------------------------------------------------------------- bank statement (BAI2)

DEPOSIT_KINDS_FOR = {
    "deposit": [Deposit.Kind.COUNTER],
    "lockbox_deposit": [Deposit.Kind.LOCKBOX],
    "ach_settlement": [Deposit.Kind.ACH, Deposit.Kind.CARD],
    "ach_credit": [Deposit.Kind.CARD, Deposit.Kind.ACH],
    "card_deposit": [Deposit.Kind.CARD],
}
MATCH_WINDOW_DAYS = 7
_RETURN_CODE = re.compile(r"\bR\d{2}\b")


def _yymmdd(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), "%y%m%d").date()
    except ValueError:
        return None


@gc_paused()
def import_bank_statement(*, user, content: bytes, name: str) -> ImportedFile:
    """Import a BAI2 statement and tie it out: deposits (301), lockbox
    credits (115), ACH settlements (165/166) and card settlements are matched
    to our deposits by kind, amount and date; returned items (555, ACH
    returns) go to the returned-payment queue; any other receipt is an
    exception on the reconciliation screen."""
    require(user, "payment.manage", "import bank statements")
    sha = refuse_repeat(content, name)
    parsed = bai2.parse(content, file_name=name)
    if not parsed.report.ok:
        raise ImportRefused(name, parsed.report.lines())
    rows: list[dict] = []
    problems: list[str] = []
    for group in parsed.groups:
        as_of = _yymmdd(group.as_of_date)
        if as_of is None:
            problems.append(f"line {group.line}: as-of date: {group.as_of_date!r} is not a YYMMDD date")
            continue
        for account in group.accounts:
            for tx in account.transactions:
                if tx.amount is None:
                    problems.append(f"line {tx.line}: amount: missing")
                    continue
                reference = tx.bank_reference.strip() or f"{sha[:16]}:{tx.line}"
                rows.append({"line": tx.line, "bank_account": account.number, "as_of": as_of,
                             "type_code": tx.type_code, "kind": tx.kind, "amount": tx.amount,
                             "bank_reference": reference, "customer_reference": tx.customer_reference.strip()[:120],
                             "text": tx.text.strip()[:300], "is_credit": tx.is_credit})
    seen = set()
    for start in range(0, len(rows), CHUNK):
        seen.update(BankLine.objects.filter(bank_reference__in=[r["bank_reference"] for r in rows[start:start + CHUNK]])
                    .values_list("bank_reference", flat=True))
    problems += [f"line {r['line']}: bank reference: {r['bank_reference']} was already imported from another "
                 "statement" for r in rows if r["bank_reference"] in seen]
    if problems:
        raise ImportRefused(name, problems)
    with transaction.atomic():
        imported = record_imported_file(kind=ImportedFile.Kind.BANK_STATEMENT, name=name, sha256=sha,
                                        imported_by=user, item_count=len(rows),
                                        total=sum((r["amount"] for r in rows if r["is_credit"]), ZERO))
        first = min((r["as_of"] for r in rows), default=None)
        candidates = list(Deposit.objects.filter(bank_line__isnull=True, business_date__gte=(
            first - timedelta(days=MATCH_WINDOW_DAYS)) if first else None).order_by("business_date", "pk")) \
            if first else []
        taken: set[int] = set()
        lines = []
        counts: dict[str, int] = defaultdict(int)
        for r in rows:
            kind, is_credit = r.pop("kind"), r.pop("is_credit")
            status, deposit = BankLine.Status.IGNORED, None
            if kind in DEPOSIT_KINDS_FOR:
                for wanted in DEPOSIT_KINDS_FOR[kind]:
                    deposit = next((d for d in candidates if d.pk not in taken and d.kind == wanted
                                    and d.amount == r["amount"]
                                    and r["as_of"] - timedelta(days=MATCH_WINDOW_DAYS) <= d.business_date
                                    <= r["as_of"]), None)
                    if deposit is not None:
                        break
                if deposit is not None:
                    taken.add(deposit.pk)
                    status = BankLine.Status.MATCHED
                else:
                    status = BankLine.Status.EXCEPTION
            elif kind in bai2.RETURNED_ITEM_KINDS or kind == "ach_return_settlement":
                status = BankLine.Status.RETURNED_ITEM
            elif is_credit:
                status = BankLine.Status.EXCEPTION
            counts[status] += 1
            lines.append(BankLine(file=imported, kind=kind, status=status, deposit=deposit, **r))
        BankLine.objects.bulk_create(lines, batch_size=CHUNK)
        returned = [line for line in lines if line.status == BankLine.Status.RETURNED_ITEM]
        ReturnedPayment.objects.bulk_create([
            ReturnedPayment(source="bank", external_reference=f"bank:{line.bank_reference}",
                            return_code=(_RETURN_CODE.search(line.text).group(0) if _RETURN_CODE.search(line.text)
                                         else ""), amount=line.amount, received_on=line.as_of, file=imported,
                            status=ReturnedPayment.Status.UNMATCHED,
                            note=f"{line.type_code} {line.text}"[:300]) for line in returned])
        ImportedFile.objects.filter(pk=imported.pk).update(summary=dict(counts))
        imported.summary = dict(counts)
        audit.record(AuditAction.BANK_IMPORTED, user_id=getattr(user, "pk", None), obj=imported,
                     summary=f"{name}: {parsed.summary()}; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return imported


def match_bank_line(*, user, line: BankLine, deposit: Deposit, note: str = "") -> BankLine:
    """Tie an exception line to a deposit by hand (amounts must agree)."""
    require(user, "payment.manage", "reconcile the bank")
    with transaction.atomic():
        line = BankLine.objects.select_for_update().get(pk=line.pk)
        if line.status != BankLine.Status.EXCEPTION:
            raise PaymentError("Only an exception line can be matched by hand.")
        if BankLine.objects.filter(deposit=deposit).exists():
            raise PaymentError(f"Deposit {deposit.slip_number} is already matched to a bank line.")
        if deposit.amount != line.amount:
            raise PaymentError(f"Deposit {deposit.slip_number} is {format_money(deposit.amount)}; the bank line is "
                               f"{format_money(line.amount)}.")
        BankLine.objects.filter(pk=line.pk).update(status=BankLine.Status.MATCHED, deposit=deposit,
                                                   resolved_note=note[:300])
        audit.record(AuditAction.BANK_MATCHED, user_id=getattr(user, "pk", None), obj=line,
                     summary=f"Bank line {line.bank_reference} matched to {deposit.slip_number} by hand")
    line.refresh_from_db()
    return line


def resolve_bank_exception(*, user, line: BankLine, note: str) -> BankLine:
    """Clear an exception that is not a receipt of ours (an interest credit,
    a transfer), with the reason."""
    require(user, "payment.manage", "reconcile the bank")
    if not note.strip():
        raise PaymentError("Note: say what the bank line is.")
    updated = BankLine.objects.filter(pk=line.pk, status=BankLine.Status.EXCEPTION).update(
        status=BankLine.Status.IGNORED, resolved_note=note.strip()[:300])
    if not updated:
        raise PaymentError("Only an exception line can be cleared.")
    audit.record(AuditAction.BANK_EXCEPTION_CLEARED, user_id=getattr(user, "pk", None), obj=line, summary=note[:300])
    line.refresh_from_db()
    return line
