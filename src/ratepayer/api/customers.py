"""Customers and accounts: read endpoints and account search.

Every endpoint checks ``account.view`` like the console, and every endpoint
that returns one account's data records an ``account.viewed`` audit event
(customers.actions.record_account_view), so the audit trail shows who looked at
which account whether through the console or the API. Tax ID and date of birth
come unmasked only to roles with ``account.view_pii``, only on the single
customer/account endpoints (never in search results), and that reveal is
audited too (customers.actions.reveal_pii).

Each endpoint runs a fixed number of queries whatever the account's history.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import BaseModel

from ratepayer.customers import actions as customer_actions
from ratepayer.customers.fields import mask
from ratepayer.customers.models import Account, Contact, Customer, MeterInstallation, ServiceAgreement
from ratepayer.customers.queries import accounts_for_search
from ratepayer.ledger.models import JournalLine
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from .pagination import limit_param, offset_param
from .schemas import Problem, examples

router = Router()

ZERO = Decimal("0.00")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_SEARCH_RESULTS = 100


# --- schemas -----------------------------------------------------------------

class ContactOut(Schema):
    name: str
    role: str
    phone: str
    email: str
    is_primary: bool
    prefers: str


class CustomerOut(Schema):
    model_config = examples({
        "id": 7, "kind": "residential", "name": "Jane Doe", "first_name": "Jane", "last_name": "Doe",
        "language": "en", "tax_id": "•••-••-6789", "date_of_birth": "••••-••-••", "pii_masked": True,
        "contacts": [{"name": "Jane Doe", "role": "", "phone": "(425) 555-0142", "email": "jane.doe@example.com",
                      "is_primary": True, "prefers": "email"}], "accounts": ["10000016"]})
    id: int
    kind: str
    name: str
    first_name: str
    last_name: str
    language: str
    tax_id: str = Field(description="masked (last four digits) unless your role may see PII")
    date_of_birth: str = Field(description="YYYY-MM-DD; fully masked unless your role may see PII")
    pii_masked: bool
    contacts: list[ContactOut]
    accounts: list[str] = Field(description="numbers of the customer's accounts")


class MailingAddress(Schema):
    line1: str
    line2: str
    city: str
    state: str
    zip: str


class AccountOut(Schema):
    model_config = examples({
        "number": "10000016", "status": "active", "opened_on": "2024-01-02", "closed_on": None,
        "mailing_address": {"line1": "1204 Pine St", "line2": "", "city": "Everett", "state": "WA", "zip": "98201"},
        "is_key_account": False, "key_account_manager": None, "paperless": True,
        "customer": CustomerOut.model_config["json_schema_extra"]["examples"][0]})
    number: str
    status: str
    opened_on: date
    closed_on: date | None
    mailing_address: MailingAddress
    is_key_account: bool
    key_account_manager: str | None = Field(description="username of the key account manager")
    paperless: bool
    customer: CustomerOut


class PremiseOut(Schema):
    id: int
    address: str
    parcel_number: str


class AgreementOut(Schema):
    model_config = examples({
        "id": 41, "service": "electric", "status": "active", "start_date": "2024-01-02", "end_date": None,
        "customer_class": "residential", "rate_schedule": "E-7", "rate_schedule_name": "Residential",
        "bill_cycle": "01", "service_point_id": 12, "service_point_label": "electric",
        "premise": {"id": 9, "address": "1204 Pine St, Everett WA 98201", "parcel_number": "00437500001200"},
        "meter": "E1000123", "previous_agreement_id": None})
    id: int
    service: str
    status: str
    start_date: date
    end_date: date | None
    customer_class: str
    rate_schedule: str = Field(description="rate schedule code")
    rate_schedule_name: str
    bill_cycle: str
    service_point_id: int
    service_point_label: str
    premise: PremiseOut
    meter: str | None = Field(description="serial number of the meter installed now")
    previous_agreement_id: int | None = Field(description="the agreement this one continues after a transfer")


class AgreementBalance(Schema):
    agreement_id: int
    status: str
    balance: Decimal


class ServiceBalance(Schema):
    service: str
    balance: Decimal
    agreements: list[AgreementBalance]


class BalancesOut(Schema):
    model_config = examples({
        "account": "10000016", "total": "84.12", "services": [{"service": "electric", "balance": "84.12",
                                                              "agreements": [{"agreement_id": 41, "status": "active",
                                                                              "balance": "84.12"}]}]})
    account: str
    total: Decimal = Field(description="positive: the customer owes; negative: a credit balance")
    services: list[ServiceBalance]


# Plain pydantic models (not ninja.Schema) for the long lists: ninja's Schema
# wraps every value in an ORM-attribute getter, which costs more than the
# query for a 500-line page; these are built from plain dicts.
class TransactionOut(BaseModel):
    id: int = Field(description="journal line id")
    journal_entry_id: int
    effective_date: date
    posted_at: datetime
    event: str
    description: str
    memo: str
    service: str | None
    agreement_id: int | None
    debit: Decimal = Field(description="charge to the customer")
    credit: Decimal = Field(description="payment or credit to the customer")
    amount: Decimal = Field(description="debit minus credit")
    reverses_journal_entry_id: int | None


class TransactionPage(BaseModel):
    model_config = examples({
        "account": "10000016", "offset": 0, "limit": 50, "next_offset": None, "items": [{
            "id": 90211, "journal_entry_id": 40122, "effective_date": "2026-11-23",
            "posted_at": "2026-11-23T08:14:03Z", "event": "bill", "description": "Bill 39161", "memo": "",
            "service": "electric", "agreement_id": 41, "debit": "84.12", "credit": "0.00", "amount": "84.12",
            "reverses_journal_entry_id": None}]})
    account: str
    offset: int
    limit: int
    next_offset: int | None = Field(description="pass as offset for the next (older) page; null on the last page")
    items: list[TransactionOut]


class SearchHit(Schema):
    model_config = examples({
        "number": "10000016", "status": "active", "customer_id": 7, "customer_name": "Jane Doe",
        "mailing_address": "1204 Pine St, Everett WA 98201", "tax_id": "•••-••-6789"})
    number: str
    status: str
    customer_id: int
    customer_name: str
    mailing_address: str
    tax_id: str = Field(description="always masked in search results")


# --- helpers -----------------------------------------------------------------

def _user(request):
    return request.auth


def _viewed_account(request, number: str, *related: str) -> Account:
    """The account, after the capability check and the audit record of the view.

    The permission check comes first so that a refused user learns nothing,
    not even whether the number exists."""
    user = _user(request)
    permissions.require(user, "account.view", "look up accounts")
    account = Account.objects.select_related(*related).filter(number=number.strip()).first()
    if account is None:
        raise HttpError(404, f"There is no account number {number!r}.")
    customer_actions.record_account_view(user=user, account=account)
    return account


def _masked_date(value: str) -> str:
    # As the console shows it: no digit of a birth date is given away.
    return "••••-••-••" if value else ""


def _customer_out(user, customer: Customer, account_numbers: list[str]) -> CustomerOut:
    contacts = [ContactOut(name=c.name, role=c.role, phone=c.phone, email=c.email, is_primary=c.is_primary,
                           prefers=c.prefers) for c in Contact.objects.filter(customer=customer)]
    if permissions.has(user, "account.view_pii") and (customer.tax_id or customer.date_of_birth):
        revealed = customer_actions.reveal_pii(user=user, customer=customer)
        tax_id, date_of_birth, masked = revealed["tax_id"], revealed["date_of_birth"], False
    else:
        tax_id, date_of_birth, masked = mask(customer.tax_id), _masked_date(customer.date_of_birth), True
    return CustomerOut(
        id=customer.pk, kind=customer.kind, name=customer.name, first_name=customer.first_name,
        last_name=customer.last_name, language=customer.language, tax_id=tax_id or "",
        date_of_birth=date_of_birth or "", pii_masked=masked, contacts=contacts, accounts=account_numbers)


# --- endpoints ---------------------------------------------------------------
# /accounts/search is declared before /accounts/{number} so "search" is never
# taken for an account number.

@router.get("/accounts/search", response={200: list[SearchHit], 401: Problem, 403: Problem},
            summary="Find accounts by number, name, address, phone, e-mail or meter")
def search_accounts(request, q: str = Query(..., min_length=1, max_length=100,
                                            description="words that must all match (prefixes)"),
                    limit: int = Query(25, ge=1, le=MAX_SEARCH_RESULTS)):
    permissions.require(_user(request), "account.view", "look up accounts")
    return [SearchHit(number=a.number, status=a.status, customer_id=a.customer_id, customer_name=a.customer.name,
                      mailing_address=a.mailing_address, tax_id=mask(a.customer.tax_id))
            for a in accounts_for_search(q, limit)]


@router.get("/customers/{customer_id}", response={200: CustomerOut, 401: Problem, 403: Problem, 404: Problem},
            summary="A customer with contacts and account numbers")
def get_customer(request, customer_id: int):
    user = _user(request)
    permissions.require(user, "account.view", "look up customers")
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise HttpError(404, f"There is no customer {customer_id}.")
    numbers = list(Account.objects.filter(customer=customer).order_by("number").values_list("number", flat=True))
    audit.record(AuditAction.CUSTOMER_VIEWED, user_id=user.pk, obj=customer, summary=f"opened customer {customer.name}")
    return _customer_out(user, customer, numbers)


@router.get("/accounts/{number}", response={200: AccountOut, 401: Problem, 403: Problem, 404: Problem},
            summary="An account with its customer")
def get_account(request, number: str):
    account = _viewed_account(request, number, "customer", "key_account_manager")
    numbers = list(Account.objects.filter(customer_id=account.customer_id).order_by("number")
                   .values_list("number", flat=True))
    manager = account.key_account_manager
    return AccountOut(
        number=account.number, status=account.status, opened_on=account.opened_on, closed_on=account.closed_on,
        mailing_address=MailingAddress(line1=account.mailing_line1, line2=account.mailing_line2,
                                       city=account.mailing_city, state=account.mailing_state,
                                       zip=account.mailing_zip),
        is_key_account=account.is_key_account, key_account_manager=manager.get_username() if manager else None,
        paperless=account.paperless, customer=_customer_out(_user(request), account.customer, numbers))


@router.get("/accounts/{number}/agreements", response={200: list[AgreementOut], 401: Problem, 403: Problem, 404: Problem},
            summary="The account's service agreements, current and ended")
def list_agreements(request, number: str):
    account = _viewed_account(request, number)
    agreements = list(ServiceAgreement.objects.filter(account=account)
                      .select_related("service_point__premise", "rate_schedule", "bill_cycle")
                      .order_by("status", "service", "-start_date", "id"))
    point_ids = {a.service_point_id for a in agreements}
    meters = dict(MeterInstallation.objects.filter(service_point_id__in=point_ids, removed_on__isnull=True)
                  .values_list("service_point_id", "meter__serial_number")) if point_ids else {}
    result = []
    for a in agreements:
        premise = a.service_point.premise
        result.append(AgreementOut(
            id=a.pk, service=a.service, status=a.status, start_date=a.start_date, end_date=a.end_date,
            customer_class=a.customer_class, rate_schedule=a.rate_schedule.code,
            rate_schedule_name=a.rate_schedule.name, bill_cycle=a.bill_cycle.code, service_point_id=a.service_point_id,
            service_point_label=a.service_point.label,
            premise=PremiseOut(id=premise.pk, address=premise.address, parcel_number=premise.parcel_number),
            meter=meters.get(a.service_point_id) if a.status == ServiceAgreement.Status.ACTIVE else None,
            previous_agreement_id=a.previous_id))
    return result


@router.get("/accounts/{number}/balances", response={200: BalancesOut, 401: Problem, 403: Problem, 404: Problem},
            summary="Receivable balance by service (from the AR subledger)")
def get_balances(request, number: str):
    account = _viewed_account(request, number)
    by_service: dict[str, list[AgreementBalance]] = defaultdict(list)
    for agreement_id, service, status, balance in (
            ServiceAgreement.objects.filter(account=account).order_by("service", "status", "-start_date", "id")
            .values_list("pk", "service", "status", "ar_balance__balance")):
        by_service[service].append(AgreementBalance(agreement_id=agreement_id, status=status,
                                                    balance=balance if balance is not None else ZERO))
    # Summed here from the stored two-place amounts: an SQL SUM over a decimal
    # column comes back as a binary float on SQLite (34.1700000000000).
    services = [ServiceBalance(service=service, balance=sum((r.balance for r in rows), ZERO), agreements=rows)
                for service, rows in by_service.items()]
    total = sum((s.balance for s in services), ZERO)
    return BalancesOut(account=account.number, total=total, services=services)


@router.get("/accounts/{number}/transactions", response={200: TransactionPage, 401: Problem, 403: Problem, 404: Problem},
            summary="Journal lines on the receivable account, newest first")
def list_transactions(request, number: str, offset: int = offset_param(),
                      limit: int = limit_param(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)):
    account = _viewed_account(request, number)
    # One query: fetch one row beyond the page to know whether another page follows (no COUNT).
    rows = list(JournalLine.objects.filter(account=account, gl_account__is_receivable_control=True)
                .order_by("-entry__effective_date", "-entry_id", "-id")
                .values_list("id", "entry_id", "entry__effective_date", "entry__posted_at", "entry__event",
                             "entry__description", "memo", "agreement__service", "agreement_id", "debit", "credit",
                             "entry__reverses_id")[offset:offset + limit + 1])
    has_more = len(rows) > limit
    items = [TransactionOut(
        id=line_id, journal_entry_id=entry_id, effective_date=effective_date, posted_at=posted_at, event=event,
        description=description, memo=memo, service=service, agreement_id=agreement_id, debit=debit, credit=credit,
        amount=debit - credit, reverses_journal_entry_id=reverses_id)
        for (line_id, entry_id, effective_date, posted_at, event, description, memo, service, agreement_id, debit,
             credit, reverses_id) in rows[:limit]]
    return TransactionPage(account=account.number, offset=offset, limit=limit,
                           next_offset=offset + limit if has_more else None, items=items)
