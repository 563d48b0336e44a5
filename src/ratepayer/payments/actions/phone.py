"""Pay-by-phone (IVR / card processor) daily settlement files.

The processor sends one CSV a day: one row per approved card transaction
(layout in docs/formats.md, "Pay-by-phone settlement CSV"; the column map is
configurable like the lockbox CSV). Only the processor reference, the card's
last four digits and brand are read — a value that looks like a card number
refuses the file.

The import is atomic and idempotent: the file's sha256 is unique, each
transaction's reference is unique (``phone:<transaction id>``), and any bad
row refuses the whole file with every problem named by line and field. Each
settlement date becomes a batch of card payments (a row whose purpose is
``deposit`` pays the account's required security deposit instead), money for
an account not found goes to suspense, and one card settlement deposit per
batch waits for the bank statement's card/ACH credit line, like a lockbox.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from ratepayer.bulk import gc_paused
from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.kernel.money import format_money
from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.staff import audit

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
from .core import CARD_BRANDS, CHUNK, PaymentSpec, SuspenseSpec, _require, post_payments, post_suspense
from .deposits import DepositReceiptSpec, post_deposit_receipts
from .files import _existing, _refuse_repeat

ZERO = Decimal("0.00")
_CARD_NUMBER = re.compile(r"\d[\d -]{10,}\d")
BRAND_ALIASES = {"visa": "Visa", "vi": "Visa", "mastercard": "Mastercard", "mc": "Mastercard",
                 "master card": "Mastercard", "american express": "American Express", "amex": "American Express",
                 "ax": "American Express", "discover": "Discover", "disc": "Discover", "ds": "Discover"}


@dataclass(frozen=True)
class PhoneCsvLayout:
    """Column mapping of the processor's settlement CSV: header names, or
    0-based indexes when ``has_header`` is False. ``purpose`` is optional
    (blank or ``payment``; ``deposit`` for a security deposit)."""

    settlement_date: str | int = "settlement_date"
    reference: str | int = "transaction_id"
    account: str | int = "account"
    amount: str | int = "amount"
    card_brand: str | int = "card_brand"
    last4: str | int = "last4"
    payer_name: str | int | None = "payer_name"
    purpose: str | int | None = "purpose"
    date_format: str = "%Y-%m-%d"
    has_header: bool = True
    delimiter: str = ","

    @classmethod
    def from_mapping(cls, mapping: dict | None) -> PhoneCsvLayout:
        """The layout from a JSON column map (unknown keys are refused); the
        default is settings.RATEPAYER_PHONE_CSV, then the documented layout."""
        mapping = mapping if mapping is not None else getattr(settings, "RATEPAYER_PHONE_CSV", {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise PaymentError(f"CSV column map: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**mapping)


@dataclass
class PhoneRow:
    line: int
    settlement_date: date
    reference: str
    account: str
    amount: Decimal
    card_brand: str
    last4: str
    payer_name: str
    purpose: str


def _looks_like_card_number(text: str) -> bool:
    """13 to 19 digits passing the Luhn check (a processor's numeric
    transaction id rarely does; a card number always does)."""
    for match in _CARD_NUMBER.finditer(text):
        digits = [int(c) for c in match.group(0) if c.isdigit()]
        if not 13 <= len(digits) <= 19:
            continue
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return True
    return False


def parse(content: bytes, layout: PhoneCsvLayout) -> tuple[list[PhoneRow], list[str]]:
    """Rows and problems (``line N: field: problem``); no database access."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"line 1: file: not UTF-8 text ({exc.reason} at byte {exc.start})"]
    reader = list(csv.reader(io.StringIO(text), delimiter=layout.delimiter))
    problems: list[str] = []
    columns: dict[str, int | None] = {}
    start = 0
    names = ("settlement_date", "reference", "account", "amount", "card_brand", "last4", "payer_name", "purpose")
    if layout.has_header:
        if not reader:
            return [], ["line 1: header: the file is empty"]
        header = [h.strip().lower() for h in reader[0]]
        start = 1
        for name in names:
            wanted = getattr(layout, name)
            if wanted is None:
                columns[name] = None
            elif isinstance(wanted, int):
                columns[name] = wanted
            elif wanted.strip().lower() in header:
                columns[name] = header.index(wanted.strip().lower())
            elif name in ("payer_name", "purpose"):
                columns[name] = None
            else:
                problems.append(f"line 1: header: no column {wanted!r} for {name.replace('_', ' ')}")
        if problems:
            return [], problems
    else:
        for name in names:
            wanted = getattr(layout, name)
            if wanted is not None and not isinstance(wanted, int):
                return [], [f"line 1: column map: {name} must be a column number when the file has no header"]
            columns[name] = wanted
    rows: list[PhoneRow] = []
    for number, raw in enumerate(reader[start:], start + 1):
        if not any(cell.strip() for cell in raw):
            continue

        def cell(name: str, raw=raw) -> str:
            index = columns.get(name)
            return raw[index].strip() if index is not None and index < len(raw) else ""

        row_problems = []
        for name in ("payer_name", "card_brand", "last4", "purpose", "reference"):
            if _looks_like_card_number(cell(name)):
                row_problems.append(f"line {number}: {name.replace('_', ' ')}: looks like a full card number; "
                                    "the processor must send only the last four digits")
        try:
            day = datetime.strptime(cell("settlement_date"), layout.date_format).date()
        except ValueError:
            day = None
            row_problems.append(f"line {number}: settlement date: {cell('settlement_date')!r} is not a date "
                                f"({layout.date_format})")
        reference = cell("reference")
        if not reference:
            row_problems.append(f"line {number}: transaction id: missing")
        elif len(reference) > 100:
            row_problems.append(f"line {number}: transaction id: longer than 100 characters")
        account = cell("account").replace("-", "").replace(" ", "")
        if not account.isdigit():
            row_problems.append(f"line {number}: account: {cell('account')!r} is not an account number")
        try:
            amount = Decimal(cell("amount").replace("$", "").replace(",", ""))
            if amount != amount.quantize(Decimal("0.01")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            amount = None
            row_problems.append(f"line {number}: amount: {cell('amount')!r} is not an amount in dollars and cents")
        if amount is not None and amount <= 0:
            row_problems.append(f"line {number}: amount: must be more than zero (refunds and voids are not "
                                "settlement rows)")
        brand = BRAND_ALIASES.get(cell("card_brand").lower(), "")
        if brand not in CARD_BRANDS:
            row_problems.append(f"line {number}: card brand: {cell('card_brand')!r} is not one of "
                                f"{', '.join(CARD_BRANDS)}")
        last4 = cell("last4")
        if not re.fullmatch(r"\d{4}", last4):
            row_problems.append(f"line {number}: last4: {last4!r} must be exactly the card's last four digits")
        purpose = cell("purpose").lower() or "payment"
        if purpose not in ("payment", "deposit"):
            row_problems.append(f"line {number}: purpose: {cell('purpose')!r} must be payment or deposit")
        if row_problems:
            problems += row_problems
            continue
        rows.append(PhoneRow(number, day, reference, account, amount.quantize(Decimal("0.01")), brand, last4,
                             cell("payer_name")[:120], purpose))
    return rows, problems


@gc_paused()
def import_phone_payments(*, user, content: bytes, name: str, layout: PhoneCsvLayout | None = None) -> ImportedFile:
    """Import a pay-by-phone settlement CSV (see module docstring)."""
    _require(user, "payment.manage", "import pay-by-phone files")
    sha = _refuse_repeat(content, name)
    rows, problems = parse(content, layout or PhoneCsvLayout.from_mapping(None))
    if not rows and not problems:
        problems.append("line 1: file: no transactions")
    seen_in_file: dict[str, int] = {}
    for row in rows:
        if row.reference in seen_in_file:
            problems.append(f"line {row.line}: transaction id: {row.reference} is also on line "
                            f"{seen_in_file[row.reference]}")
        seen_in_file.setdefault(row.reference, row.line)
    references = [f"phone:{r.reference}" for r in rows]
    done = _existing(Payment, references) | _existing(SuspenseItem, references) | \
        _existing(SecurityDepositEntry, references)
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
        imported = ImportedFile.objects.create(
            kind=ImportedFile.Kind.PHONE, name=name[:200], sha256=sha, imported_by=user, item_count=len(rows),
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
        audit.record("phone.imported", user_id=getattr(user, "pk", None), obj=imported,
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
