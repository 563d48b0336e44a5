"""Read side of payments: policy in force, open charges, drawer totals,
undeposited receipts, reports. Written as a fixed number of queries per call."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.kernel.periods import BusinessCalendar
from ratepayer.ledger.models import ARBalance, JournalLine

from . import calculations
from .models import (
    Deposit,
    DrawerSession,
    Payment,
    PaymentPolicy,
    Refund,
    SuspenseItem,
)

ZERO = Decimal("0.00")


def policy_on(day: date | None = None) -> PaymentPolicy:
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
    """Open charges and the overpayment agreement for each account: two
    queries whatever the number of accounts (callers chunk)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rank = {service: i for i, service in enumerate(priority)}
    agreements: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    statuses: dict[int, str] = {}
    for agreement_id, account_id, service, status, account_status in (
            ServiceAgreement.objects.filter(account_id__in=ids)
            .values_list("pk", "account_id", "service", "status", "account__status")):
        agreements[account_id].append((agreement_id, service, status))
        statuses[account_id] = account_status
    for account_id, account_status in Account.objects.filter(pk__in=[a for a in ids if a not in statuses]).values_list(
            "pk", "status"):
        statuses[account_id] = account_status
    lines: dict[int, list[tuple[date, Decimal, Decimal]]] = defaultdict(list)
    for agreement_id, day, debit, credit in (
            JournalLine.objects.filter(account_id__in=ids, gl_account__is_receivable_control=True)
            .values_list("agreement_id", "entry__effective_date", "debit", "credit")):
        lines[agreement_id].append((day, debit, credit))
    result = {}
    for account_id in ids:
        mine = agreements.get(account_id, [])
        items: list[calculations.OpenItem] = []
        for agreement_id, service, _status in mine:
            items.extend(calculations.open_items(agreement_id, service, lines.get(agreement_id, ())))
        ranked = sorted(mine, key=lambda a: (a[2] != "active", rank.get(a[1], len(rank)), a[0]))
        result[account_id] = AccountApplicationContext(account_id, statuses.get(account_id, ""), items,
                                                       ranked[0][0] if ranked else None)
    return result


def account_balance(account_id: int) -> Decimal:
    return ARBalance.objects.filter(account_id=account_id).aggregate(t=Sum("balance"))["t"] or ZERO


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
    for row in Payment.objects.filter(batch_id=session.batch_id).values("tender").annotate(t=Sum("amount")):
        totals[row["tender"]] = row["t"] or ZERO
    return totals


def expected_in_drawer(session: DrawerSession) -> tuple[Decimal, Decimal, Decimal]:
    """(cash incl. float, checks and money orders, cards) the drawer should hold."""
    t = drawer_totals(session)
    return (session.opening_float + t["cash"], t["check"] + t["money_order"], t["card"])


def undeposited_sessions(on: date | None = None):
    """Drawer sessions not yet deposited, each marked ``overdue`` when its
    receipts are older than the policy allows (RCW 43.09.240: 24 hours)."""
    on = on or timezone.localdate()
    policy = policy_on(on)
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
            .annotate(count=Count("id"), total=Sum("amount")).order_by("batch__kind", "tender"))
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
                                                                                       t=Sum("amount"))
        result.append({"bucket": label, "count": agg["n"], "total": agg["t"] or ZERO})
    return result


def refund_register(start: date, end: date):
    return (Refund.objects.filter(requested_at__date__range=(start, end)).select_related("account", "requested_by")
            .order_by("requested_at", "pk"))


def unclaimed_candidates(on: date):
    policy = policy_on(on)
    return Refund.objects.filter(status=Refund.Status.ISSUED, method="check",
                                 issued_on__lte=on - timedelta(days=policy.refund_dormancy_days))
