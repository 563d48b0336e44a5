"""Read side of payments: policy in force, open charges, drawer totals,
undeposited receipts, reports. Written as a fixed number of queries per call."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Q
from django.utils import timezone

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.db.money import MoneySum
from ratepayer.kernel.periods import BusinessCalendar
from ratepayer.ledger import openitems
from ratepayer.ledger.models import ARBalance, JournalLine

from . import calculations
from .models import (
    REPRESENTABLE_RETURN_CODES,
    REPRESENTMENT_LIMIT,
    REPRESENTMENT_WINDOW_DAYS,
    AchEntry,
    Deposit,
    DrawerSession,
    Payment,
    PaymentPolicy,
    Refund,
    Representment,
    ReturnedPayment,
    SecurityDeposit,
    SecurityDepositEntry,
    SuspenseItem,
)

ZERO = Decimal("0.00")


def payment_policy_on(day: date | None = None) -> PaymentPolicy:
    """The policy in force on ``day`` (the data migration seeds one)."""
    day = day or timezone.localdate()
    policy = PaymentPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from", "-id").first()
    return policy or PaymentPolicy(effective_from=day)


@dataclass
class AccountApplicationContext:
    account_id: int
    status: str
    items: list[calculations.OpenItem]
    credit_agreement_id: int | None


def application_context(account_ids: Iterable[int], priority: list[str]) -> dict[int, AccountApplicationContext]:
    """Open charges and the overpayment agreement for each account: three
    queries whatever the number of accounts (callers chunk); open charges come
    from ``ledger.openitems``, which reads only what is past each account's
    watermark."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rank = {service: i for i, service in enumerate(priority)}
    agreements: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    statuses: dict[int, str] = {}
    for agreement_id, account_id, service, status, account_status in (
            ServiceAgreement.objects.filter(account_id__among=ids)
            .values_list("pk", "account_id", "service", "status", "account__status")):
        agreements[account_id].append((agreement_id, service, status))
        statuses[account_id] = account_status
    for account_id, account_status in Account.objects.filter(pk__in=[a for a in ids if a not in statuses]).values_list(
            "pk", "status"):
        statuses[account_id] = account_status
    # open items from the accounts' receivable watermarks (ledger.openitems): not whole histories
    opened = openitems.open_items(ids)
    service_of = {agreement_id: service for mine in agreements.values() for agreement_id, service, _ in mine}
    result = {}
    for account_id in ids:
        mine = agreements.get(account_id, [])
        items = [calculations.OpenItem(i.agreement_id, service_of.get(i.agreement_id, ""), i.charged_on, i.amount)
                 for i in opened.get(account_id, ())]
        ranked = sorted(mine, key=lambda a: (a[2] != "active", rank.get(a[1], len(rank)), a[0]))
        result[account_id] = AccountApplicationContext(account_id, statuses.get(account_id, ""), items,
                                                       ranked[0][0] if ranked else None)
    return result


def account_balance(account_id: int) -> Decimal:
    return ARBalance.objects.filter(account_id=account_id).aggregate(t=MoneySum("balance"))["t"] or ZERO


def find_account(text: str) -> Account | None:
    """An account from what the clerk typed or scanned: the account number, or
    a bill stub's scan line (the account is its first field)."""
    from ratepayer.formats import scanline
    from ratepayer.formats.errors import FormatError

    text = text.strip().replace(" ", "")
    if not text.isdigit():
        return None
    if len(text) == scanline.DEFAULT.length:
        try:
            text = str(scanline.parse(text)["account"]).lstrip("0")
        except FormatError:
            return None
    return Account.objects.select_related("customer").filter(number=text).first()


def drawer_totals(session: DrawerSession) -> dict[str, Decimal]:
    """Receipts in a drawer session by tender."""
    totals = {t: ZERO for t in Payment.Tender.values}
    for row in Payment.objects.filter(batch_id=session.batch_id).values("tender").annotate(t=MoneySum("amount")):
        totals[row["tender"]] = row["t"] or ZERO
    # security deposits taken at the counter are in the drawer too (held in 235, not paid on the bill)
    for row in SecurityDepositEntry.objects.filter(batch_id=session.batch_id, kind="receipt").values(
            "tender").annotate(t=MoneySum("amount")):
        totals[row["tender"]] += row["t"] or ZERO
    return totals


def expected_in_drawer(session: DrawerSession) -> tuple[Decimal, Decimal, Decimal]:
    """(cash incl. float, checks and money orders, cards) the drawer should hold."""
    t = drawer_totals(session)
    return (session.opening_float + t["cash"], t["check"] + t["money_order"], t["card"])


def undeposited_sessions(on: date | None = None):
    """Drawer sessions not yet deposited, each marked ``overdue`` when its
    receipts are older than the policy allows (RCW 43.09.240: 24 hours)."""
    on = on or timezone.localdate()
    policy = payment_policy_on(on)
    calendar = BusinessCalendar()
    sessions = list(DrawerSession.objects.exclude(status=DrawerSession.Status.DEPOSITED)
                    .select_related("clerk").order_by("business_date", "pk"))
    for session in sessions:
        due = calendar.add_business_days(session.business_date, policy.deposit_within_business_days)
        session.deposit_due = due
        session.overdue = on > due
    return sessions


def cash_receipts_journal(day: date) -> list[dict]:
    """Daily cash receipts journal: count and total per batch kind and tender."""
    rows = (Payment.objects.filter(received_on=day).values("batch__kind", "tender")
            .annotate(count=Count("id"), total=MoneySum("amount")).order_by("batch__kind", "tender"))
    labels = dict(Payment.Tender.choices)
    return [{"channel": r["batch__kind"], "tender": labels.get(r["tender"], r["tender"]), "count": r["count"],
             "total": r["total"] or ZERO} for r in rows]


def deposit_report(start: date, end: date):
    return (Deposit.objects.filter(business_date__range=(start, end)).select_related("bank_line", "created_by")
            .order_by("business_date", "pk"))


AGING_BUCKETS = [(0, 1, "0–1 days"), (2, 7, "2–7 days"), (8, 30, "8–30 days"), (31, None, "over 30 days")]


def suspense_aging(on: date | None = None) -> list[dict]:
    on = on or timezone.localdate()
    result = []
    for low, high, label in AGING_BUCKETS:
        q = Q(received_on__lte=on - timedelta(days=low))
        if high is not None:
            q &= Q(received_on__gte=on - timedelta(days=high))
        agg = SuspenseItem.objects.filter(q, status=SuspenseItem.Status.OPEN).aggregate(n=Count("id"),
                                                                                       t=MoneySum("amount"))
        result.append({"bucket": label, "count": agg["n"], "total": agg["t"] or ZERO})
    return result


def refund_register(start: date, end: date):
    return (Refund.objects.filter(requested_at__date__range=(start, end)).select_related("account", "requested_by")
            .order_by("requested_at", "pk"))


def unclaimed_candidates(on: date):
    policy = payment_policy_on(on)
    return Refund.objects.filter(status=Refund.Status.ISSUED, method="check",
                                 issued_on__lte=on - timedelta(days=policy.refund_dormancy_days))


# --------------------------------------------------------------------------- security deposits


def months_before(day: date, months: int) -> date:
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def late_payments(account_ids, since: date, until: date) -> dict[int, int]:
    """Late payments per account in a period: late fees charged and payments returned.
    ``account_ids`` may be a list or a subquery of ids."""
    counts: dict[int, int] = defaultdict(int)
    ids = account_ids
    for account_id, n in (JournalLine.objects.filter(account_id__in=ids, entry__event="late_fee",
                                                     entry__effective_date__range=(since, until), debit__gt=0)
                          .values_list("account_id").annotate(n=Count("entry_id", distinct=True))):
        counts[account_id] += n
    for account_id, n in (ReturnedPayment.objects.filter(payment__account_id__in=ids, status="processed",
                                                         received_on__range=(since, until))
                          .values_list("payment__account_id").annotate(n=Count("id"))):
        counts[account_id] += n
    return counts


def deposits_due_back(on: date) -> list[SecurityDeposit]:
    """Held deposits due back on ``on``, each with ``due_reason``: the
    good-payment period (policy) passed with at most the late payments policy
    allows, or every service on the account has ended (final bill)."""
    policy = payment_policy_on(on)
    since = months_before(on, policy.deposit_good_payment_months)
    held_rows = SecurityDeposit.objects.filter(status=SecurityDeposit.Status.HELD)
    held = list(held_rows.select_related("account__customer").order_by("pk"))
    if not held:
        return []
    held_accounts = held_rows.values("account_id")
    active = set(ServiceAgreement.objects.filter(account_id__in=held_accounts, status="active")
                 .values_list("account_id", flat=True).distinct())
    late = late_payments(held_accounts, since, on)
    due = []
    for d in held:
        if d.account_id not in active:
            d.due_reason = "final bill: service ended"
        elif d.fully_paid_on and d.fully_paid_on <= since and late.get(d.account_id, 0) <= \
                policy.deposit_late_payments_allowed:
            d.due_reason = f"{policy.deposit_good_payment_months} months of good payment"
        else:
            continue
        due.append(d)
    return due


def deposit_register(status: str = ""):
    rows = SecurityDeposit.objects.select_related("account__customer").order_by("status", "-required_on", "-pk")
    return rows.filter(status=status) if status else rows


def deposits_held_total() -> Decimal:
    """The deposit sub-ledger total; equals GL 235 (DOMAIN §B.3 item 6)."""
    agg = SecurityDeposit.objects.aggregate(r=MoneySum("received"), i=MoneySum("interest"), p=MoneySum("paid_out"))
    return (agg["r"] or ZERO) + (agg["i"] or ZERO) - (agg["p"] or ZERO)


# --------------------------------------------------------------------------- ACH re-presentment


def representable_returns(on: date):
    """R01/R09 returns of our debits that may still be sent again: fewer than
    two re-presentments so far, within 180 days of the first settlement, not
    already queued. Each row has ``original`` (first debit) and ``attempt``."""
    returns = list(ReturnedPayment.objects.filter(
        source="ach", return_code__in=REPRESENTABLE_RETURN_CODES, representment__isnull=True,
        external_reference__startswith="ach-return:").select_related("payment__account").order_by("received_on", "pk"))
    traces = [r.external_reference.split(":", 1)[1] for r in returns]
    entries = {e.trace_number: e for e in AchEntry.objects.filter(trace_number__in=traces, is_prenote=False)
               .select_related("retry_of", "account")}
    originals = {e.retry_of_id or e.pk for e in entries.values()}
    sent = dict(Representment.objects.filter(original_id__in=originals).exclude(status="cancelled")
                .values_list("original_id").annotate(n=Count("id")))
    result = []
    for r in returns:
        entry = entries.get(r.external_reference.split(":", 1)[1])
        if entry is None:
            continue
        original = entry.retry_of or entry
        attempts = sent.get(original.pk, 0)
        r.original, r.attempt, r.account = original, attempts + 1, entry.account
        r.deadline = original.settlement_date + timedelta(days=REPRESENTMENT_WINDOW_DAYS)
        r.final = attempts >= REPRESENTMENT_LIMIT
        r.expired = on > r.deadline
        result.append(r)
    return result


# --------------------------------------------------------------------------- unclaimed property


UNCLAIMED_REPORT_COLUMNS = ["owner_name", "owner_last_address", "amount", "date_of_last_contact", "property_type",
                            "property_type_description", "date_payable", "check_number", "account_number",
                            "moved_to_unclaimed_on"]


def unclaimed_report_period(year: int) -> tuple[date, date]:
    """The holder report filed in ``year`` covers property presumed abandoned
    in the twelve months ending June 30 of that year (DOMAIN §A.9)."""
    return date(year - 1, 7, 1), date(year, 6, 30)


def unclaimed_report(year: int) -> list[dict]:
    """Washington DOR holder report rows: every refund check voided to
    unclaimed property in the report period, with the owner's last contact
    (their last payment, or the refund's date when they never paid after)."""
    from .models import UNCLAIMED_PROPERTY_TYPES

    start, end = unclaimed_report_period(year)
    refunds = list(Refund.objects.filter(status=Refund.Status.UNCLAIMED, unclaimed_on__range=(start, end))
                   .select_related("account").order_by("payee", "pk"))
    last_paid = dict(Payment.objects.filter(account_id__in={r.account_id for r in refunds}, status="posted")
                     .values_list("account_id").annotate(last=Max("received_on")))
    rows = []
    for r in refunds:
        code, description = UNCLAIMED_PROPERTY_TYPES["deposit" if r.security_deposit_id else "refund"]
        contact = max(d for d in (last_paid.get(r.account_id), r.requested_at.date()) if d)
        rows.append({"owner_name": r.payee, "owner_last_address": r.payee_address, "amount": r.amount,
                     "date_of_last_contact": contact, "property_type": code,
                     "property_type_description": description, "date_payable": r.issued_on,
                     "check_number": r.check_number, "account_number": r.account.number,
                     "moved_to_unclaimed_on": r.unclaimed_on, "refund": r})
    return rows


def unclaimed_report_csv(year: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(UNCLAIMED_REPORT_COLUMNS)
    for row in unclaimed_report(year):
        writer.writerow([row[c].isoformat() if isinstance(row[c], date) else str(row[c])
                         for c in UNCLAIMED_REPORT_COLUMNS])
    return out.getvalue()
