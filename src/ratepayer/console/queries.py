"""Read models for console pages, each a fixed handful of queries.

The account page must render in the same number of queries whether the
account has ten journal lines or ten thousand: history is paged with
LIMIT/OFFSET (one row more than the page, so no COUNT), and everything a page
row needs is fetched for the page's rows in one query per table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from ratepayer.billing.models import Adjustment
from ratepayer.customers.models import (
    Account,
    AccountNote,
    Contact,
    MeterInstallation,
    Premise,
    SearchEntry,
    ServiceAgreement,
)
from ratepayer.customers.queries import search_account_ids
from ratepayer.customers.search import query_words
from ratepayer.ledger.models import ARBalance, JournalLine
from ratepayer.staff.models import ApprovalRequest, AuditEvent

ZERO = Decimal("0.00")
HISTORY_PAGE_SIZE = 25
NOTES_SHOWN = 10

# Journal events in the words a clerk uses with a customer.
EVENT_WORDS = {
    "bill_charge": "Bill",
    "bill_tax": "Tax on bill",
    "payment": "Payment",
    "late_fee": "Late fee",
    "service_fee": "Service fee",
    "returned_payment_fee": "Returned payment fee",
    "deposit_billed": "Deposit billed",
    "write_off": "Written off as uncollectible",
    "write_off_recovery": "Recovery of written-off balance",
    "refund": "Refund",
    "opening_balance": "Opening balance (conversion)",
    "adjustment_debit": "Debit adjustment",
    "adjustment_credit": "Credit adjustment",
}


@dataclass
class ServiceRow:
    agreement: ServiceAgreement
    balance: Decimal
    meter_serial: str = ""


@dataclass
class PremiseGroup:
    premise: Premise
    services: list[ServiceRow] = field(default_factory=list)


@dataclass
class HistoryRow:
    line_id: int
    effective_date: date
    posted_by: str
    description: str
    service: str
    charge: Decimal | None
    credit: Decimal | None
    balance_after: Decimal
    journal_entry_id: int
    is_reversal: bool = False


@dataclass
class HistoryPage:
    rows: list[HistoryRow]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass
class AccountPage:
    account: Account
    contacts: list[Contact]
    premises: list[PremiseGroup]
    ended_services: list[ServiceRow]
    balances_by_service: list[tuple[str, Decimal]]
    total_balance: Decimal
    history: HistoryPage
    notes: list[AccountNote]
    pending_requests: list[ApprovalRequest]


def _service_label(agreement: ServiceAgreement | None) -> str:
    return agreement.get_service_display() if agreement is not None else ""


def _describe(line: JournalLine, adjustment: Adjustment | None, approver_name: str) -> str:
    entry = line.entry
    words = EVENT_WORDS.get(entry.event)
    service = _service_label(line.agreement).lower()
    if entry.reverses_id is not None:
        return f"Reversal — {entry.description}"
    if entry.event == "bill_charge":
        return f"Bill for {entry.effective_date:%b %Y} — {service}" if service else f"Bill for {entry.effective_date:%b %Y}"
    if entry.event == "payment":
        detail = line.memo or entry.description
        return f"Payment — {detail}" if detail and detail.lower() != "payment" else "Payment"
    if adjustment is not None:
        text = f"{words} — {adjustment.reason.description}"
        if approver_name:
            text += f" (approved by {approver_name})"
        return text
    if words:
        detail = line.memo or ""
        return f"{words} — {detail}" if detail else words
    return entry.description


def _display_name(user) -> str:
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def account_history(account: Account, page: int = 1, page_size: int = HISTORY_PAGE_SIZE,
                    total_balance: Decimal | None = None) -> HistoryPage:
    """One page of the account's receivable lines, newest first, in plain words,
    each with the account balance after it. At most four queries."""
    page = max(1, page)
    ordered = (JournalLine.objects.filter(account=account, gl_account__is_receivable_control=True)
               .order_by("-entry__effective_date", "-entry_id", "-id"))
    lines = list(ordered.select_related("entry", "entry__created_by", "agreement")
                 [(page - 1) * page_size: page * page_size + 1])
    has_next = len(lines) > page_size
    lines = lines[:page_size]
    if total_balance is None:
        total_balance = ARBalance.objects.filter(account=account).aggregate(s=Sum("balance"))["s"] or ZERO
    balance = total_balance
    if page > 1:
        newer = ordered[: (page - 1) * page_size].values_list("debit", "credit")
        balance -= sum((d - c for d, c in newer), ZERO)

    entry_ids = {line.entry_id for line in lines if line.entry.event.startswith("adjustment_")}
    adjustments: dict[int, Adjustment] = {}
    approvers: dict[int, str] = {}
    if entry_ids:
        for adj in Adjustment.objects.filter(journal_entry_id__in=entry_ids).select_related("reason"):
            adjustments[adj.journal_entry_id] = adj
        request_ids = [a.approval_request_id for a in adjustments.values() if a.approval_request_id]
        if request_ids:
            for request in ApprovalRequest.objects.filter(pk__in=request_ids).select_related("decided_by"):
                approvers[request.pk] = _display_name(request.decided_by)

    rows = []
    for line in lines:
        adjustment = adjustments.get(line.entry_id)
        approver = approvers.get(adjustment.approval_request_id, "") if adjustment is not None else ""
        amount = line.debit - line.credit
        rows.append(HistoryRow(
            line_id=line.pk, effective_date=line.entry.effective_date, posted_by=_display_name(line.entry.created_by),
            description=_describe(line, adjustment, approver), service=_service_label(line.agreement),
            charge=amount if amount > 0 else None, credit=-amount if amount < 0 else None,
            balance_after=balance, journal_entry_id=line.entry_id, is_reversal=line.entry.reverses_id is not None))
        balance -= amount
    return HistoryPage(rows=rows, page=page, has_next=has_next)


def account_page(account: Account, *, history_page: int = 1) -> AccountPage:
    """Everything the account page shows, in a fixed number of queries."""
    contacts = list(Contact.objects.filter(customer_id=account.customer_id))
    agreements = list(ServiceAgreement.objects.filter(account=account)
                      .select_related("service_point__premise", "rate_schedule", "bill_cycle", "ar_balance")
                      .order_by("service_point__premise_id", "service", "-start_date"))
    point_ids = {a.service_point_id for a in agreements}
    meters: dict[int, str] = {}
    if point_ids:
        meters = dict(MeterInstallation.objects.filter(service_point_id__in=point_ids, removed_on__isnull=True)
                      .values_list("service_point_id", "meter__serial_number"))

    groups: dict[int, PremiseGroup] = {}
    ended: list[ServiceRow] = []
    by_service: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for agreement in agreements:
        ar = getattr(agreement, "ar_balance", None)
        balance = ar.balance if ar is not None else ZERO
        by_service[agreement.get_service_display()] += balance
        row = ServiceRow(agreement, balance, meters.get(agreement.service_point_id, ""))
        if agreement.status == ServiceAgreement.Status.ACTIVE:
            premise = agreement.service_point.premise
            groups.setdefault(premise.pk, PremiseGroup(premise)).services.append(row)
        else:
            ended.append(row)
    total = sum(by_service.values(), ZERO)

    notes = list(AccountNote.objects.filter(account=account).select_related("created_by")[:NOTES_SHOWN])
    pending = list(ApprovalRequest.objects.filter(account_id=account.pk, status=ApprovalRequest.Status.PENDING)
                   .select_related("maker").order_by("requested_at", "id"))
    return AccountPage(
        account=account, contacts=contacts, premises=list(groups.values()), ended_services=ended,
        balances_by_service=sorted(by_service.items()), total_balance=total,
        history=account_history(account, history_page, total_balance=total), notes=notes,
        pending_requests=pending)


def service_balances(account: Account) -> list[ServiceRow]:
    """Each of the account's agreements with its balance (one query)."""
    agreements = (ServiceAgreement.objects.filter(account=account)
                  .select_related("service_point__premise", "ar_balance").order_by("status", "service", "-start_date"))
    rows = []
    for agreement in agreements:
        ar = getattr(agreement, "ar_balance", None)
        rows.append(ServiceRow(agreement, ar.balance if ar is not None else ZERO))
    return rows


# --- search ------------------------------------------------------------------

# what matched, most telling first ("jane" matches the name before jane.doe@...)
MATCH_WORDS = {"number": "account number", "meter": "meter", "phone": "phone", "name": "name", "address": "address",
               "email": "e-mail"}


@dataclass
class SearchHit:
    account: Account
    service_address: str
    balance: Decimal
    matched: str


def search_hits(query: str, limit: int = 25) -> list[SearchHit]:
    """Accounts for the search box with their service address and balance:
    the customers.queries index scan plus three small queries."""
    ids = search_account_ids(query, limit)
    if not ids:
        return []
    accounts = {a.pk: a for a in Account.objects.filter(pk__in=ids).select_related("customer")}
    addresses: dict[int, str] = {}
    for account_id, premise_line1, premise_city, status in (
            ServiceAgreement.objects.filter(account_id__in=ids)
            .order_by("account_id", "status", "-start_date")
            .values_list("account_id", "service_point__premise__line1", "service_point__premise__city", "status")):
        # "active" sorts before "ended": an account's current address wins
        suffix = "" if status == ServiceAgreement.Status.ACTIVE else " (service ended)"
        addresses.setdefault(account_id, f"{premise_line1}, {premise_city}{suffix}")
    balances = dict(ARBalance.objects.filter(account_id__in=ids).values("account_id")
                    .annotate(total=Sum("balance")).values_list("account_id", "total"))
    words = query_words(query)
    kinds: dict[int, set[str]] = defaultdict(set)
    if words:
        first = words[0]
        for account_id, kind in (SearchEntry.objects.filter(account_id__in=ids, term__gte=first, term__lt=first + "{")
                                 .values_list("account_id", "kind")):
            kinds[account_id].add(kind)
    matched = {i: MATCH_WORDS[next(k for k in MATCH_WORDS if k in found)] for i, found in kinds.items()
               if any(k in MATCH_WORDS for k in found)}
    return [SearchHit(accounts[i], addresses.get(i, ""), balances.get(i) or ZERO, matched.get(i, ""))
            for i in ids if i in accounts]


# --- dashboard ---------------------------------------------------------------

def recently_opened_accounts(user, limit: int = 10) -> list[Account]:
    """Accounts this user opened most recently (from the audit trail)."""
    ids = list(AuditEvent.objects.filter(user=user, action="account.viewed", account_id__isnull=False)
               .order_by("-at", "-id").values_list("account_id", flat=True)[: limit * 5])
    ids = list(dict.fromkeys(ids))[:limit]
    accounts = {a.pk: a for a in Account.objects.filter(pk__in=ids).select_related("customer")}
    return [accounts[i] for i in ids if i in accounts]


def account_numbers(account_ids) -> dict[int, str]:
    ids = {i for i in account_ids if i}
    if not ids:
        return {}
    return dict(Account.objects.filter(pk__in=ids).values_list("pk", "number"))
