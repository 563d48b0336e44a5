"""Read-side queries for customers and accounts: search, and the account
page's read model.

The account page must render in the same number of queries whether the
account has ten journal lines or ten thousand: history is paged with
LIMIT/OFFSET (one row more than the page, so no COUNT), and everything a page
row needs is fetched for the page's rows in one query per table.

The account page shows what the layers above customers hold about the account
(its receivable history, bills, autopay); these read functions are the one
place in customers that reads them, never the models or actions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import get_language_info

from ratepayer.billing.models import Adjustment, Bill
from ratepayer.db.money import MoneySum
from ratepayer.kernel.money import format_money
from ratepayer.ledger.models import ARBalance, JournalLine
from ratepayer.payments.models import AutopayEnrollment
from ratepayer.staff.models import ApprovalRequest, AuditEvent

from . import search
from .fields import tax_id_digest
from .models import (
    Account,
    AccountNote,
    Contact,
    Customer,
    MeterInstallation,
    Premise,
    SearchEntry,
    ServiceAgreement,
    ServicePoint,
    language_choices,
)

EXACT_KINDS = ("number", "meter", "phone", "email")


def _candidate_ids(words: list[str], limit: int) -> list[int]:
    """Account ids with a term starting with each word: the longest (most
    selective) word's terms, each kept if the account also has a term starting
    with every other word — one probe of the (account, term) index per
    candidate. The probe is a correlated sub-query on purpose: PostgreSQL
    estimates a prefix range at one row and, joining, scanned the second word's
    whole range once per candidate (docs/operator-guide/performance.md);
    ``OFFSET 0`` keeps it from turning the sub-query back into that join."""
    table = SearchEntry._meta.db_table
    ordered = sorted(words, key=len, reverse=True)
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    conditions, params = [], [ordered[0], ordered[0] + search.TERM_UPPER]
    for word in ordered[1:]:
        conditions.append(f"AND EXISTS (SELECT 1 FROM {table} s1 WHERE s1.account_id = s0.account_id "
                          f"AND s1.term >= %s AND s1.term < %s{fence})")
        params += [word, word + search.TERM_UPPER]
    sql = f"SELECT s0.account_id FROM {table} s0 WHERE s0.term >= %s AND s0.term < %s {' '.join(conditions)} LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [row[0] for row in cursor.fetchall()]


def search_account_ids(query: str, limit: int = 25) -> list[int]:
    """Accounts whose terms prefix-match every word of the query.

    A single word that is exactly an account number, meter, phone or e-mail
    answers first; otherwise every word must start some term of the account.
    One or two index-only queries whatever the size of the utility.
    """
    query_words = search.query_words(query)
    if not query_words:
        return []
    whole = search.exact_term(query)
    if whole:
        exact = list(SearchEntry.objects.filter(term=whole, kind__in=EXACT_KINDS)
                     .values_list("account_id", flat=True)[:limit])
        if exact:
            return list(dict.fromkeys(exact))
        if query_words != [whole]:  # one punctuated token: a partial e-mail or meter serial first
            ids = _candidate_ids([whole], limit * 8)
            if ids:
                return list(dict.fromkeys(ids))[:limit]
    ids = _candidate_ids(query_words, limit * 8)
    return list(dict.fromkeys(ids))[:limit]


def accounts_for_search(query: str, limit: int = 25) -> list[Account]:
    ids = search_account_ids(query, limit)
    if not ids:
        return []
    accounts = Account.objects.filter(pk__in=ids).select_related("customer")
    by_id = {a.pk: a for a in accounts}
    return [by_id[i] for i in ids if i in by_id]



# --- duplicate customers ----------------------------------------------------------

DUPLICATE_CANDIDATES = 200  # per word; a name shared by more accounts is not a useful warning anyway


@dataclass(frozen=True)
class DuplicateMatch:
    customer_id: int
    customer_name: str
    account_number: str  # "" for a customer without an account
    address: str
    reasons: tuple[str, ...]  # "name", "tax ID", "address"


def _accounts_with_all_terms(kind: str, terms: list[str]) -> set[int]:
    """Accounts with an exact ``kind`` term for each word (one index probe per word)."""
    found: set[int] | None = None
    for term in dict.fromkeys(terms):
        ids = set(SearchEntry.objects.filter(term=term[:120], kind=kind)
                  .values_list("account_id", flat=True)[:DUPLICATE_CANDIDATES])
        found = ids if found is None else found & ids
        if not found:
            return set()
    return found or set()


def possible_duplicates(*, name: str, tax_id: str = "", mailing_line1: str = "",
                        mailing_zip: str = "") -> list[DuplicateMatch]:
    """Customers on file that may be the one being opened: the same name
    (the same words in any order, accents and case aside), the same tax ID
    (by its keyed digest), or an account mailed to the same street address
    and ZIP code. A handful of index probes whatever the number of customers."""
    reasons: dict[int, list[str]] = defaultdict(list)  # customer id -> reasons
    name_words = sorted(set(search.words(name)))
    by_account: dict[int, Account] = {}
    if name_words:
        ids = _accounts_with_all_terms("name", name_words)
        for account in Account.objects.filter(pk__in=ids).select_related("customer"):
            if sorted(set(search.words(account.customer.name))) == name_words:
                by_account[account.pk] = account
                if "name" not in reasons[account.customer_id]:
                    reasons[account.customer_id].append("name")
    digest = tax_id_digest(tax_id)
    if digest:
        for customer_id in Customer.objects.filter(tax_id_digest=digest).values_list("pk", flat=True):
            reasons[customer_id].append("tax ID")
    street = search.words(mailing_line1)
    zip5 = search.digits(mailing_zip)[:5]
    if street and zip5:
        ids = _accounts_with_all_terms("address", street)
        for account in Account.objects.filter(pk__in=ids, mailing_zip__startswith=zip5).select_related("customer"):
            if search.words(account.mailing_line1) == street:
                by_account.setdefault(account.pk, account)
                if "address" not in reasons[account.customer_id]:
                    reasons[account.customer_id].append("address")
    if not reasons:
        return []
    # one account to show per customer: the one that matched, else their newest
    shown: dict[int, Account] = {}
    for account in by_account.values():
        shown.setdefault(account.customer_id, account)
    missing = set(reasons) - set(shown)
    if missing:
        for account in (Account.objects.filter(customer_id__in=missing).select_related("customer")
                        .order_by("customer_id", "-opened_on", "-id")):
            shown.setdefault(account.customer_id, account)
    names = dict(Customer.objects.filter(pk__in=missing - set(shown)).values_list("pk", "name")) \
        if missing - set(shown) else {}
    matches = []
    for customer_id, why in reasons.items():
        account = shown.get(customer_id)
        matches.append(DuplicateMatch(
            customer_id=customer_id, customer_name=account.customer.name if account else names.get(customer_id, ""),
            account_number=account.number if account else "", address=account.mailing_address if account else "",
            reasons=tuple(why)))
    return sorted(matches, key=lambda m: (-len(m.reasons), m.customer_name, m.account_number))

# --- the account page ---------------------------------------------------------

ZERO = Decimal("0.00")
HISTORY_PAGE_SIZE = 25
NOTES_SHOWN = 10
BILLS_SHOWN = 13
CHANGES_SHOWN = 15
BILL_SOURCE = "billing.bill"  # the source_type of a bill's journal entries and their reversals

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
    bills: list[Bill]
    autopay: AutopayStatus
    changes: list[ChangeRow]


@dataclass
class AutopayStatus:
    """What the clerk tells a caller about automatic payment."""

    enrolled: bool
    status: str = ""  # the enrollment's status in words
    bank: str = ""  # "Checking ••••6789", never the whole number
    routing_number: str = ""
    draft_day: int | None = None
    next_draft: date | None = None
    next_draft_note: str = ""
    stopped_on: date | None = None


@dataclass
class ChangeRow:
    """One audited change to the account or its customer: who, when, old → new."""

    at: datetime
    by: str
    what: str
    summary: str
    fields: list[tuple[str, str, str]]  # (field, old, new)


# The audit actions that are changes to the account's set-up, in a clerk's words.
CHANGE_WORDS = {
    "customer.created": "Customer created",
    "customer.updated": "Customer changed",
    "customer.duplicate_confirmed": "Possible duplicate confirmed as new",
    "account.opened": "Account opened",
    "account.updated": "Account changed",
    "account.closed": "Account closed",
    "contact.added": "Contact added",
    "contact.updated": "Contact changed",
    "contact.removed": "Contact removed",
    "service.started": "Service started",
    "service.stopped": "Service stopped",
    "service.transferred": "Service moved",
    "bill.final": "Final bill",
}


def _service_label(agreement: ServiceAgreement | None) -> str:
    return agreement.get_service_display() if agreement is not None else ""


@dataclass(frozen=True)
class BillRef:
    number: int
    bill_date: date
    period_start: date
    period_end: date


def _bill_words(bill: BillRef) -> str:
    """A bill as the customer knows it: by its date and period on their account
    (the page is the account's), never by its internal row id."""
    return f"bill of {bill.bill_date:%Y-%m-%d} ({bill.period_start:%b %-d} – {bill.period_end:%b %-d, %Y})"


def _describe(line: JournalLine, adjustment: Adjustment | None, approver_name: str,
              bill: BillRef | None = None) -> str:
    entry = line.entry
    words = EVENT_WORDS.get(entry.event)
    service = _service_label(line.agreement).lower()
    if bill is not None:
        # A bill's journal entry names the bill by its internal row and account
        # ids; the clerk reads the bill number and date the customer holds.
        if entry.reverses_id is not None:
            reason = entry.description.partition(": ")[2]
            text = f"Cancelled {_bill_words(bill)}"
            return f"{text} — {reason}" if reason else text
        text = f"Bill — {_bill_words(bill)}"
        return f"{text}, {service}" if service else text
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
    each with the account balance after it. At most five queries."""
    page = max(1, page)
    ordered = (JournalLine.objects.filter(account=account, gl_account__is_receivable_control=True)
               .order_by("-entry__effective_date", "-entry_id", "-id"))
    lines = list(ordered.select_related("entry", "entry__created_by", "agreement")
                 [(page - 1) * page_size: page * page_size + 1])
    has_next = len(lines) > page_size
    lines = lines[:page_size]
    if total_balance is None:
        total_balance = ARBalance.objects.filter(account=account).aggregate(s=MoneySum("balance"))["s"] or ZERO
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

    bill_ids = {line.entry.source_id for line in lines if line.entry.source_type == BILL_SOURCE}
    bills = {pk: BillRef(pk, *dates) for pk, *dates in Bill.objects.filter(pk__in=bill_ids).values_list(
        "pk", "bill_date", "period_start", "period_end")} if bill_ids else {}

    rows = []
    for line in lines:
        adjustment = adjustments.get(line.entry_id)
        approver = approvers.get(adjustment.approval_request_id, "") if adjustment is not None else ""
        amount = line.debit - line.credit
        rows.append(HistoryRow(
            line_id=line.pk, effective_date=line.entry.effective_date, posted_by=_display_name(line.entry.created_by),
            description=_describe(line, adjustment, approver,
                                  bills.get(line.entry.source_id) if line.entry.source_type == BILL_SOURCE else None), service=_service_label(line.agreement),
            charge=amount if amount > 0 else None, credit=-amount if amount < 0 else None,
            balance_after=balance, journal_entry_id=line.entry_id, is_reversal=line.entry.reverses_id is not None))
        balance -= amount
    return HistoryPage(rows=rows, page=page, has_next=has_next)


def account_page(account: Account, *, history_page: int = 1, today: date | None = None) -> AccountPage:
    """Everything the account page shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    contacts = list(Contact.objects.filter(customer_id=account.customer_id))
    # the meter installed now at each service point (at most one: a constraint) in the same query
    installed = (MeterInstallation.objects.filter(service_point_id=OuterRef("service_point_id"),
                                                  removed_on__isnull=True).values("meter__serial_number")[:1])
    agreements = list(ServiceAgreement.objects.filter(account=account)
                      .select_related("service_point__premise", "rate_schedule", "bill_cycle", "ar_balance")
                      .annotate(installed_meter=Subquery(installed))
                      .order_by("service_point__premise_id", "service", "-start_date"))
    meters = {a.service_point_id: a.installed_meter for a in agreements if a.installed_meter}

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
        pending_requests=pending, bills=account_bills(account), autopay=autopay_status(account, today=today),
        changes=account_changes(account, contacts))


def account_bills(account: Account, limit: int = BILLS_SHOWN) -> list[Bill]:
    """The account's latest bills, newest first, cancelled ones included (one query)."""
    return list(Bill.objects.filter(account=account).order_by("-bill_date", "-id")[:limit])


def _next_day_of_month(day: int, after: date) -> date:
    if after.day <= day:
        return after.replace(day=day)
    year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
    return date(year, month, day)


def autopay_status(account: Account, *, today: date) -> AutopayStatus:
    """Autopay as payments.actions.autopay.originate will draft it: the bill
    due next for a billed account, the enrollment's draft day otherwise
    (two queries)."""
    enrollment = (AutopayEnrollment.objects.filter(account=account).order_by("-id").first())
    if enrollment is None:
        return AutopayStatus(enrolled=False)
    status = AutopayStatus(
        enrolled=enrollment.status != AutopayEnrollment.Status.STOPPED, status=enrollment.get_status_display(),
        bank=f"{enrollment.get_account_type_display()} ••••{enrollment.bank_account_last4}",
        routing_number=enrollment.routing_number, draft_day=enrollment.draft_day, stopped_on=enrollment.stopped_on)
    if not status.enrolled:
        return status
    due = (Bill.objects.filter(account=account, status=Bill.Status.ISSUED, due_date__gte=today)
           .order_by("due_date", "id").values_list("bill_date", "due_date", "amount_due").first())
    if due is not None:
        status.next_draft = due[1]
        status.next_draft_note = f"the bill of {due[0]:%Y-%m-%d}, up to the amount due {format_money(due[2])}"
    elif account.bills.exists():
        status.next_draft_note = "on the due date of the next bill"
    else:
        status.next_draft = _next_day_of_month(enrollment.draft_day, max(today, enrollment.start_date))
        status.next_draft_note = "the balance, on the draft day"
    if enrollment.status == AutopayEnrollment.Status.PRENOTE:
        status.next_draft_note += " — once the bank accepts the prenote"
    return status


# Audited fields a clerk does not read: internal row ids (the row says which bill or contact).
HIDDEN_FIELDS = {"bill", "contact"}
MONEY_FIELDS = {"current_charges", "amount", "amount_due"}


def _plain(value, name: str = "") -> str:
    """An audited value in a clerk's words: no Python reprs, codes named, money as money."""
    if value is None or value == "" or value == []:
        return "—"
    if name in MONEY_FIELDS and not isinstance(value, bool):
        try:
            return format_money(Decimal(str(value)))
        except (ArithmeticError, ValueError):
            return str(value)
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if name == "language":
        # the clerk's own language ("Russian"), not the language's own name the picker shows ("Русский")
        try:
            return get_language_info(str(value))["name_translated"]
        except KeyError:
            return dict(language_choices()).get(value, str(value))
    if isinstance(value, dict):
        if "account" in value and "reasons" in value:  # a possible duplicate confirmed as new
            who = f"account {value['account']}" if value["account"] else f"customer {value.get('customer', '')}"
            return f"{who} (same {', '.join(value['reasons'])})"
        return ", ".join(f"{k.replace('_', ' ')} {_plain(v, k)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_plain(v, name) for v in value)
    return str(value)


def account_changes(account: Account, contacts: list[Contact], limit: int = CHANGES_SHOWN) -> list[ChangeRow]:
    """The audited changes to the account, its customer and their contacts,
    newest first, with each changed field's old and new value (one query)."""
    where = Q(account_id=account.pk) | Q(object_type="customers.customer", object_id=str(account.customer_id))
    if contacts:
        where |= Q(object_type="customers.contact", object_id__in=[str(c.pk) for c in contacts])
    events = (AuditEvent.objects.filter(where, action__in=CHANGE_WORDS).select_related("user")
              .order_by("-at", "-id")[:limit])
    rows = []
    for event in events:
        before = event.before if isinstance(event.before, dict) else {}
        after = event.after if isinstance(event.after, dict) else {}
        fields = [(name.replace("_", " "), _plain(before.get(name), name), _plain(after.get(name), name))
                  for name in dict.fromkeys([*before, *after])
                  if name not in HIDDEN_FIELDS and before.get(name) != after.get(name)]
        rows.append(ChangeRow(at=event.at, by=_display_name(event.user), what=CHANGE_WORDS[event.action],
                              summary=event.summary, fields=fields))
    return rows


def service_balances(account: Account) -> list[ServiceRow]:
    """Each of the account's agreements with its balance (one query)."""
    agreements = (ServiceAgreement.objects.filter(account=account)
                  .select_related("service_point__premise", "ar_balance").order_by("status", "service", "-start_date"))
    rows = []
    for agreement in agreements:
        ar = getattr(agreement, "ar_balance", None)
        rows.append(ServiceRow(agreement, ar.balance if ar is not None else ZERO))
    return rows


# --- starting service: where -------------------------------------------------------

def find_premises(street: str, limit: int = 15) -> list[Premise]:
    """Premises whose street address contains ``street`` (a clerk's "77 new"), by address."""
    street = " ".join(street.split())[:60]
    if not street:
        return []
    return list(Premise.objects.filter(line1__icontains=street).order_by("line1", "id")[:limit])


def served_premise_ids(account: Account) -> set[int]:
    """Every premise the account has (or had) service at."""
    return set(ServiceAgreement.objects.filter(account=account).values_list("service_point__premise_id", flat=True))


def vacant_service_points(premise_ids: Iterable[int]):
    """The service points of these premises that nobody is served at now: where service can start."""
    return (ServicePoint.objects.filter(premise_id__in=set(premise_ids))
            .exclude(agreements__status=ServiceAgreement.Status.ACTIVE).select_related("premise")
            .order_by("premise__line1", "service"))
