"""ACH autopay: enrollment, the daily NACHA debit file, settlement, returns and
notifications of change (DOMAIN §C.1).

``run_autopay(on=D)`` is the daily job (``ratepayer autopay run --date D``):
1. it posts the debits that settle on or before D (payments post on the
   settlement date) and the ACH deposit the statement's 165/166 line will match;
2. it writes one PPD file with the debits due after D up to the next business
   day (the effective entry date), plus prenotes for new enrollments.
Running it twice for a date sends nobody twice (unique enrollment × due date)
and posts nothing twice (unique trace number on each payment).

What is due comes from issued bills (due date, amount due); an account with
no bill yet (a converted balance) is drafted on its enrollment's draft day.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.apps import apps as django_apps
from django.conf import settings
from django.db import transaction
from django.db.models import Max, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from ratepayer.customers.fields import decrypt_many
from ratepayer.customers.models import Account
from ratepayer.db.bulk import gc_paused, insert_rows
from ratepayer.db.money import MoneySum
from ratepayer.formats import nacha
from ratepayer.kernel.checkdigits import is_valid_aba
from ratepayer.kernel.money import format_money
from ratepayer.kernel.periods import BusinessCalendar
from ratepayer.ledger.models import ARBalance
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from ..errors import ImportRefused, PaymentError
from ..models import (
    AUTOPAY_STOPPING_RETURN_CODES,
    AchEntry,
    AutopayChange,
    AutopayEnrollment,
    Deposit,
    ImportedFile,
    Payment,
    PaymentBatch,
    ReturnedPayment,
)
from . import represent  # re-presentment hook
from .common import record_imported_file, refuse_repeat, require
from .core import CHUNK, PaymentSpec, post_payment_rows, return_payment, self_deposit

ZERO = Decimal("0.00")
PRENOTE_WAIT_BUSINESS_DAYS = 3  # live entries start 3 banking days after the prenote settles


def originator() -> dict:
    """The utility's ACH origination settings (settings.RATEPAYER_ACH overrides)."""
    defaults = {"immediate_destination": "125000024", "immediate_origin": "1910000001",
                "destination_name": "ODFI BANK", "origin_name": "RATEPAYER UTILITY",
                "company_name": "RATEPAYER UTIL", "company_identification": "1910000001",
                "odfi": "12500002", "entry_description": "UTIL BILL"}
    return {**defaults, **getattr(settings, "RATEPAYER_ACH", {})}


def enroll_autopay(*, user, account: Account, holder_name: str, routing_number: str, bank_account_number: str,
                   account_type: str, draft_day: int, start_date: date, authorized_on: date, authorization: str,
                   prenote: bool = True) -> AutopayEnrollment:
    """Enroll an account in autopay. The routing number must pass the ABA
    check digit; the bank account number is stored encrypted and only its
    last four digits are ever shown. The customer's authorization (how,
    when) is recorded; with ``prenote`` a zero-dollar test entry goes first."""
    permissions.require(user, "account.maintain", "enroll accounts in autopay")
    routing = routing_number.strip()
    number = bank_account_number.strip().replace(" ", "").replace("-", "")
    if not is_valid_aba(routing):
        raise PaymentError(f"Routing number: {routing or '(blank)'} fails the ABA check digit; "
                           "copy the 9 digits from the bottom left of a check.")
    if not number.isdigit() or not 4 <= len(number) <= 17:
        raise PaymentError("Bank account number: 4 to 17 digits.")
    if account_type not in ("checking", "savings"):
        raise PaymentError("Account type: checking or savings.")
    if not 1 <= int(draft_day) <= 28:
        raise PaymentError("Draft day: a day of the month from 1 to 28.")
    if not holder_name.strip():
        raise PaymentError("Account holder: enter the name on the bank account.")
    if not authorization.strip():
        raise PaymentError("Authorization: record how the customer authorized the debits (signed form, recorded "
                           "call, web consent) — NACHA requires it for PPD.")
    if authorized_on > timezone.localdate():
        raise PaymentError("Authorized on: cannot be in the future.")
    with transaction.atomic():
        if AutopayEnrollment.objects.filter(account=account).exclude(status=AutopayEnrollment.Status.STOPPED).exists():
            raise PaymentError(f"Account {account.number} is already enrolled; stop that enrollment first.")
        enrollment = AutopayEnrollment.objects.create(
            account=account, holder_name=holder_name.strip()[:22], routing_number=routing,
            bank_account_number=number, bank_account_last4=number[-4:], account_type=account_type,
            draft_day=int(draft_day), start_date=start_date, authorized_on=authorized_on,
            authorization=authorization.strip()[:300],
            status=AutopayEnrollment.Status.PRENOTE if prenote else AutopayEnrollment.Status.ACTIVE,
            live_from=None if prenote else start_date, created_by=user)
        audit.record(AuditAction.AUTOPAY_ENROLLED, user_id=user.pk, obj=enrollment, account_id=account.pk,
                     summary=f"Autopay from {account_type} ••••{number[-4:]} (routing {routing}), day {draft_day}",
                     after={"authorization": authorization, "prenote": prenote})
    return enrollment


def stop_autopay(*, user, enrollment: AutopayEnrollment, reason: str, on: date | None = None) -> AutopayEnrollment:
    permissions.require(user, "account.maintain", "stop autopay")
    if not reason.strip():
        raise PaymentError("Reason: say why autopay stops.")
    updated = AutopayEnrollment.objects.filter(pk=enrollment.pk).exclude(status=AutopayEnrollment.Status.STOPPED) \
        .update(status=AutopayEnrollment.Status.STOPPED, stopped_on=on or timezone.localdate(), stopped_reason=reason)
    if not updated:
        raise PaymentError("This enrollment is already stopped.")
    audit.record(AuditAction.AUTOPAY_STOPPED, user_id=user.pk, obj=enrollment, account_id=enrollment.account_id, summary=reason)
    enrollment.refresh_from_db()
    return enrollment


def _due_dates(on: date, calendar: BusinessCalendar) -> tuple[date, list[date]]:
    effective = calendar.add_business_days(on, 1)
    days = [on + timedelta(days=n) for n in range(1, (effective - on).days + 1)]
    return effective, days


@gc_paused()
def settle(*, on: date, user=None) -> dict:
    """Post the debits that settle on or before ``on``; activate enrollments
    whose prenote has cleared the waiting period. A fixed number of queries
    per settlement day (plus the posting core's per 2,000 payments)."""
    settled = 0
    total = ZERO
    with transaction.atomic():
        due = list(AchEntry.objects.select_for_update().filter(status=AchEntry.Status.SENT, settlement_date__lte=on)
                   .order_by("pk").values_list("pk", "file_id", "settlement_date", "account_id", "amount",
                                               "trace_number", "is_prenote"))
        prenotes = [pk for pk, *_rest, is_prenote in due if is_prenote]
        for start in range(0, len(prenotes), CHUNK):
            AchEntry.objects.filter(pk__in=prenotes[start:start + CHUNK]).update(status=AchEntry.Status.SETTLED)
        AutopayEnrollment.objects.filter(status=AutopayEnrollment.Status.PRENOTE, live_from__lte=on).update(
            status=AutopayEnrollment.Status.ACTIVE)
        groups: dict[tuple[int, date], list[tuple]] = defaultdict(list)
        for _pk, file_id, day, account_id, amount, trace, is_prenote in due:
            if not is_prenote:
                groups[(file_id, day)].append((account_id, amount, trace))
        for (file_id, day), entries in sorted(groups.items()):
            batch = PaymentBatch.objects.create(kind=PaymentBatch.Kind.ACH, business_date=day,
                                                source_file_id=file_id, reference=f"ACH settlement {day}")
            post_payment_rows([PaymentSpec(account_id, amount, Payment.Tender.ACH, day, f"ach:{trace}")
                           for account_id, amount, trace in entries], batch=batch, user=user)
            # the rows locked above: every unsettled debit of this file settling that day
            AchEntry.objects.filter(file_id=file_id, settlement_date=day, status=AchEntry.Status.SENT,
                                    is_prenote=False).update(status=AchEntry.Status.SETTLED)
            amount = sum((a for _, a, _ in entries), ZERO)
            self_deposit(kind=Deposit.Kind.ACH, batch=batch, amount=amount, item_count=len(entries), user=user)
            settled += len(entries)
            total += amount
    return {"settled": settled, "settled_total": str(total)}


def _bill_model():
    """Billing's Bill, looked up through the app registry: billing and payments
    are one layer, and payments must work in a deployment without bill runs."""
    try:
        return django_apps.get_model("billing", "Bill")
    except LookupError:
        return None


def _bills_due(enrollments, due_days: list[date]) -> dict[int, tuple[date, Decimal]]:
    """account → (due date, amount due) of its issued bill due in ``due_days``."""
    bill = _bill_model()
    if bill is None:
        return {}
    rows = bill.objects.filter(status="issued", due_date__in=due_days,
                               account_id__in=enrollments.values("account_id")).order_by("due_date", "pk")
    return {account_id: (due, amount) for account_id, due, amount in
            rows.values_list("account_id", "due_date", "amount_due")}


def _accounts_with_bills(enrollments) -> set[int]:
    bill = _bill_model()
    if bill is None:
        return set()
    # order_by(): Bill's default ordering would make DISTINCT one row per bill, not per account
    return set(bill.objects.filter(status="issued", account_id__in=enrollments.values("account_id")).order_by()
               .values_list("account_id", flat=True).distinct())


class _EnrollmentRow(NamedTuple):
    pk: int
    account_id: int
    account_number: str
    routing_number: str
    bank_account_token: str  # still encrypted: decrypted only for the entries written
    holder_name: str
    account_type: str
    draft_day: int
    start_date: date


def _entry_rows(enrollments) -> list[_EnrollmentRow]:
    """What an ACH entry needs of each enrollment, in primary-key order."""
    return [_EnrollmentRow(*row) for row in enrollments.order_by("pk").values_list(
        "pk", "account_id", "account__number", "routing_number",
        Cast("bank_account_number", output_field=TextField()), "holder_name", "account_type", "draft_day",
        "start_date")]


@gc_paused()
def originate(*, on: date, user=None) -> ImportedFile | None:
    """Write the PPD debit file for the debits due after ``on`` up to the next
    business day (its effective entry date), with prenotes for new enrollments.

    An account with issued bills is debited for the bill due in that window
    (its amount due, never more than the balance); an account never billed
    here (converted balances) on its enrollment's draft day for its balance.

    A fixed number of queries whatever the number of enrollments: rows are
    read as tuples, bank account numbers decrypted only for the entries
    written, the entries inserted with ``insert_rows``."""
    calendar = BusinessCalendar()
    effective, due_days = _due_dates(on, calendar)
    by_day = {d.day: d for d in due_days}
    config = originator()
    with transaction.atomic():
        already = AchEntry.objects.filter(due_on__in=due_days, is_prenote=False).values("enrollment_id")
        candidates = AutopayEnrollment.objects.filter(
            status=AutopayEnrollment.Status.ACTIVE, start_date__lte=effective).exclude(pk__in=already)
        bills_due = _bills_due(candidates, due_days)
        billed_accounts = _accounts_with_bills(candidates)
        live = [e for e in _entry_rows(candidates.select_for_update(of=("self",)))
                if e.account_id in bills_due or (e.account_id not in billed_accounts and e.draft_day in by_day)]
        balances = dict(ARBalance.objects.filter(account_id__in=candidates.values("account_id"))
                        .values("account_id").annotate(total=MoneySum("balance")).values_list("account_id", "total"))
        debits = []
        for enrollment in live:
            # SQLite sums decimals as floats (94.9999999999999): back to cents
            balance = Decimal(balances.get(enrollment.account_id, ZERO)).quantize(Decimal("0.01"))
            if enrollment.account_id in bills_due:
                due_on, amount_due = bills_due[enrollment.account_id]
                amount = min(amount_due, balance)
            else:
                due_on, amount = by_day[enrollment.draft_day], balance
            if amount > 0:
                debits.append((enrollment, amount, due_on))
        new_prenotes = _entry_rows(AutopayEnrollment.objects.select_for_update(of=("self",)).filter(
            status=AutopayEnrollment.Status.PRENOTE, prenote_entry=""))
        # >>> re-presentment hook (payments/actions/represent.py): queued R01/R09 returns go out as RETRY PYMT
        retry = represent.retries_for_file(on=on, effective=effective, user=user)
        # <<<
        if not debits and not new_prenotes and not retry.entries:
            return None
        odfi = config["odfi"]
        top = AchEntry.objects.filter(trace_number__startswith=odfi).aggregate(m=Max("trace_number"))["m"]
        first_sequence = int(top[8:]) + 1 if top else 1
        sending = [(e, ZERO, True) for e in new_prenotes] + [(e, amount, False) for e, amount, _ in debits]
        numbers = decrypt_many([e.bank_account_token for e, _, _ in sending])
        outgoing = [nacha.OutgoingEntry(routing=e.routing_number, account=number, amount=amount,
                                        individual_id=e.account_number, name=e.holder_name,
                                        account_type=e.account_type, prenote=prenote)
                    for (e, amount, prenote), number in zip(sending, numbers, strict=True)]
        created = timezone.now()
        count_today = ImportedFile.objects.filter(kind=ImportedFile.Kind.ACH_ORIGINATION,
                                                  imported_at__date=created.date()).count()
        text = nacha.write_file(
            immediate_destination=config["immediate_destination"], immediate_origin=config["immediate_origin"],
            destination_name=config["destination_name"], origin_name=config["origin_name"],
            created=datetime(on.year, on.month, on.day, created.hour, created.minute),
            file_id_modifier="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[count_today % 36],
            first_trace_sequence=first_sequence,
            batches=[nacha.OutgoingBatch(company_name=config["company_name"],
                                         company_identification=config["company_identification"],
                                         entry_description=config["entry_description"], effective_date=effective,
                                         odfi=odfi, entries=outgoing)][:1 if outgoing else 0]
            + ([retry.batch(config, effective)] if retry.entries else []))  # re-presentment hook
        total = sum((a for _, a, _ in debits), ZERO) + retry.total  # re-presentment hook
        imported = ImportedFile.objects.create(
            kind=ImportedFile.Kind.ACH_ORIGINATION, name=f"autopay-{effective:%Y%m%d}-{first_sequence}.ach",
            sha256=hashlib.sha256(text.encode()).hexdigest(), imported_by=user,
            item_count=len(outgoing) + len(retry.entries), total=total, content=text,  # re-presentment hook
            summary={"debits": len(debits), "prenotes": len(new_prenotes), "effective_date": str(effective),
                     "retries": len(retry.entries)})
        traces = [f"{odfi}{first_sequence + i:07d}" for i in range(len(outgoing) + len(retry.entries))]
        represent.record_sent(retry, imported, traces[len(outgoing):], effective)  # re-presentment hook
        rows = [(imported.pk, e.pk, e.account_id, ZERO, trace, True, effective, effective, AchEntry.Status.SENT)
                for trace, e in zip(traces, new_prenotes, strict=False)]
        rows += [(imported.pk, e.pk, e.account_id, amount, trace, False, due_on, effective, AchEntry.Status.SENT)
                 for trace, (e, amount, due_on) in zip(traces[len(new_prenotes):len(outgoing)], debits, strict=True)]
        insert_rows(AchEntry, ["file_id", "enrollment_id", "account_id", "amount", "trace_number", "is_prenote",
                               "due_on", "settlement_date", "status"], rows, return_ids=False)
        if new_prenotes:
            live_from = calendar.add_business_days(effective, PRENOTE_WAIT_BUSINESS_DAYS)
            AutopayEnrollment.objects.bulk_update(
                [AutopayEnrollment(pk=e.pk, prenote_entry=trace, live_from=max(live_from, e.start_date))
                 for trace, e in zip(traces, new_prenotes, strict=False)], ["prenote_entry", "live_from"],
                batch_size=CHUNK)
        audit.record(AuditAction.AUTOPAY_FILE_CREATED, user_id=getattr(user, "pk", None), obj=imported,
                     summary=f"{imported.name}: {len(debits)} debits {format_money(total)}, "
                             f"{len(new_prenotes)} prenotes, effective {effective}")
    return imported


def run_autopay(*, on: date, user=None) -> dict:
    """The daily autopay job: settle, then originate (see module docstring)."""
    require(user, "payment.manage", "run autopay")
    result = settle(on=on, user=user)
    imported = originate(on=on, user=user)
    result.update({"file": imported.name if imported else None, "file_id": imported.pk if imported else None,
                   "debits": imported.summary["debits"] if imported else 0,
                   "prenotes": imported.summary["prenotes"] if imported else 0,
                   "total": str(imported.total) if imported else "0.00"})
    return result


# --------------------------------------------------------------------------- returns and NOCs


def _corrections(code: str, data: str) -> dict:
    """What a notification of change corrects (NACHA change codes)."""
    data = data.rstrip()
    types = {"22": "checking", "27": "checking", "32": "savings", "37": "savings"}

    def account_type(text: str) -> str:
        if text.strip() not in types:
            raise ValueError(f"{text.strip()!r} is not a checking or savings transaction code")
        return types[text.strip()]

    if code == "C01":
        return {"bank_account_number": data[:17].strip()}
    if code == "C02":
        return {"routing_number": data[:9]}
    if code == "C03":
        return {"routing_number": data[:9], "bank_account_number": data[12:29].strip()}
    if code == "C04":
        return {"holder_name": data[:22].strip()}
    if code == "C05":
        return {"account_type": account_type(data[:2])}
    if code == "C06":
        return {"bank_account_number": data[:17].strip(), "account_type": account_type(data[20:22])}
    if code == "C07":
        return {"routing_number": data[:9], "bank_account_number": data[9:26].strip(),
                "account_type": account_type(data[26:28])}
    return {}


@gc_paused()
def import_ach_returns(*, user, content: bytes, name: str) -> ImportedFile:
    """Import a NACHA return/NOC file. Returns are matched by the original
    entry trace number (never by amount or name): a settled debit's payment is
    reversed with the fee; a debit returned before settlement never posts;
    autopay stops for the codes that require it. NOCs correct the enrollment."""
    require(user, "payment.manage", "import ACH returns")
    sha = refuse_repeat(content, name)
    parsed = nacha.parse(content, allow_custom_return_codes=True)
    if not parsed.report.ok:
        raise ImportRefused(name, parsed.report.lines())
    received_on = timezone.localdate()
    if parsed.header is not None:
        try:
            received_on = datetime.strptime(parsed.header.file_creation_date, "%y%m%d").date()
        except ValueError:
            pass
    returns = [(e, e.return_addenda) for e in parsed.entries if e.return_addenda is not None]
    nocs = [(e, e.noc_addenda) for e in parsed.entries if e.noc_addenda is not None and e.return_addenda is None]
    traces = [a.original_trace for _, a in returns + nocs]
    originals = {e.trace_number: e for e in AchEntry.objects.filter(trace_number__in=traces)
                 .select_related("enrollment")}
    settled_payments = {p.external_reference: p for p in Payment.objects.filter(
        external_reference__in=[e.payment_reference for e in originals.values()])}
    problems = []
    done = set(ReturnedPayment.objects.filter(external_reference__in=[f"ach-return:{a.original_trace}"
                                                                      for _, a in returns])
               .values_list("external_reference", flat=True))
    problems += [f"line {a.line}: original entry trace number: {a.original_trace} was already returned in an "
                 "earlier file" for _, a in returns if f"ach-return:{a.original_trace}" in done]
    changes: list[tuple] = []
    for _entry, a in nocs:
        original = originals.get(a.original_trace)
        if original is None:
            problems.append(f"line {a.line}: original entry trace number: {a.original_trace} is not an entry we sent")
            continue
        try:
            changes.append((original.enrollment, a, _corrections(a.change_code, a.corrected_data)))
        except ValueError as exc:
            problems.append(f"line {a.line}: corrected data: {exc}")
    for _enrollment, a, correction in changes:
        routing = correction.get("routing_number")
        if routing is not None and not is_valid_aba(routing):
            problems.append(f"line {a.line}: corrected data: routing {routing} fails the ABA check digit")
    if problems:
        raise ImportRefused(name, problems)
    counts: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        imported = record_imported_file(kind=ImportedFile.Kind.ACH_RETURNS, name=name, sha256=sha,
                                        imported_by=user, item_count=len(returns) + len(nocs),
                                        total=sum((e.amount for e, _ in returns), ZERO))
        for entry, a in returns:
            code = a.return_reason_code
            reference = f"ach-return:{a.original_trace}"
            original = originals.get(a.original_trace)
            if original is None:
                ReturnedPayment.objects.create(source="ach", external_reference=reference, return_code=code,
                                               amount=entry.amount, received_on=received_on, file=imported,
                                               status=ReturnedPayment.Status.UNMATCHED,
                                               note=f"no entry of ours has trace {a.original_trace}")
                counts["unmatched"] += 1
                continue
            if original.is_prenote:
                AchEntry.objects.filter(pk=original.pk).update(status=AchEntry.Status.RETURNED)
                AutopayEnrollment.objects.filter(pk=original.enrollment_id).exclude(
                    status=AutopayEnrollment.Status.STOPPED).update(
                    status=AutopayEnrollment.Status.STOPPED, stopped_on=received_on,
                    stopped_reason=f"prenote returned {code}")
                ReturnedPayment.objects.create(source="ach", external_reference=reference, return_code=code,
                                               amount=ZERO, received_on=received_on, file=imported,
                                               status=ReturnedPayment.Status.PROCESSED, autopay_stopped=True,
                                               note="prenote returned: enrollment stopped")
                counts["prenotes"] += 1
                continue
            payment = settled_payments.get(original.payment_reference)
            if payment is not None and payment.status == Payment.Status.POSTED:
                # one returned-payment fee per item: a re-presented debit returned again was charged for already
                return_payment(user=user, payment=payment, reason="ACH return", return_code=code,
                               received_on=received_on, source="ach", external_reference=reference, file=imported,
                               charge_fee=original.retry_of_id is None)
            else:
                stopped = False
                if code in AUTOPAY_STOPPING_RETURN_CODES:
                    stopped = bool(AutopayEnrollment.objects.filter(pk=original.enrollment_id).exclude(
                        status=AutopayEnrollment.Status.STOPPED).update(
                        status=AutopayEnrollment.Status.STOPPED, stopped_on=received_on,
                        stopped_reason=f"ACH return {code}"))
                ReturnedPayment.objects.create(source="ach", external_reference=reference, return_code=code,
                                               amount=entry.amount, received_on=received_on, file=imported,
                                               status=ReturnedPayment.Status.PROCESSED, autopay_stopped=stopped,
                                               note="returned before settlement: no payment had posted")
            AchEntry.objects.filter(pk=original.pk).update(status=AchEntry.Status.RETURNED)
            counts["returns"] += 1
        for enrollment, a, correction in changes:
            before = {k: getattr(enrollment, k) for k in correction}
            for key, value in correction.items():
                setattr(enrollment, key, value)
            if "bank_account_number" in correction:
                enrollment.bank_account_last4 = correction["bank_account_number"][-4:]
            enrollment.save()
            masked = {k: (f"••••{v[-4:]}" if k == "bank_account_number" else v) for k, v in before.items()}
            AutopayChange.objects.create(enrollment=enrollment, file=imported, change_code=a.change_code,
                                         trace_number=a.original_trace, before=masked,
                                         after={k: (f"••••{v[-4:]}" if k == "bank_account_number" else v)
                                                for k, v in correction.items()})
            audit.record(AuditAction.AUTOPAY_CHANGED, user_id=getattr(user, "pk", None), obj=enrollment,
                         account_id=enrollment.account_id, summary=f"NOC {a.change_code} applied", before=masked)
            counts["nocs"] += 1
        ImportedFile.objects.filter(pk=imported.pk).update(summary=dict(counts))
        imported.summary = dict(counts)
    return imported
