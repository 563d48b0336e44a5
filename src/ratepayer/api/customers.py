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

from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel

from ratepayer.customers import actions as customer_actions
from ratepayer.customers.errors import CustomerError, PossibleDuplicate
from ratepayer.customers.fields import mask
from ratepayer.customers.models import (
    Account,
    BillCycle,
    Contact,
    Customer,
    MeterInstallation,
    Premise,
    ServiceAgreement,
    ServicePoint,
)
from ratepayer.customers.queries import accounts_for_search
from ratepayer.ledger.models import JournalLine
from ratepayer.rates.models import RateSchedule
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction

from .errors import ApiError, found
from .pagination import limit_param, offset_param
from .schemas import Problem, examples, write

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


def _agreement_out(a: ServiceAgreement, meters: dict | None = None) -> AgreementOut:
    """``meters``: service point id -> serial installed now (read here for one agreement)."""
    if meters is None:
        a = (ServiceAgreement.objects.select_related("service_point__premise", "rate_schedule", "bill_cycle")
             .get(pk=a.pk))
        meters = dict(MeterInstallation.objects.filter(service_point_id=a.service_point_id, removed_on__isnull=True)
                      .values_list("service_point_id", "meter__serial_number"))
    premise = a.service_point.premise
    return AgreementOut(
        id=a.pk, service=a.service, status=a.status, start_date=a.start_date, end_date=a.end_date,
        customer_class=a.customer_class, rate_schedule=a.rate_schedule.code,
        rate_schedule_name=a.rate_schedule.name, bill_cycle=a.bill_cycle.code, service_point_id=a.service_point_id,
        service_point_label=a.service_point.label,
        premise=PremiseOut(id=premise.pk, address=premise.address, parcel_number=premise.parcel_number),
        meter=meters.get(a.service_point_id) if a.status == ServiceAgreement.Status.ACTIVE else None,
        previous_agreement_id=a.previous_id)


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
    return [_agreement_out(a, meters) for a in agreements]


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


# --- actions -------------------------------------------------------------------
# Each calls the same customers.actions function as the console page, after the
# page's own capability check (so a refused user learns nothing about the account).

def _account_for(request, number: str, capability: str, doing: str) -> Account:
    permissions.require(_user(request), capability, doing)
    return found(Account.objects.select_related("customer"),
                 f"There is no account number {number.strip()!r}. Nothing was changed.", number=number.strip())


class AccountRef(Schema):
    model_config = examples({"number": "10000016", "customer_id": 7, "status": "active"})
    number: str
    customer_id: int
    status: str


def _ref(account: Account) -> AccountRef:
    account = Account.objects.get(pk=account.pk)
    return AccountRef(number=account.number, customer_id=account.customer_id, status=account.status)


class NewCustomerIn(Schema):
    model_config = examples({
        "kind": "person", "first_name": "Jane", "last_name": "Doe", "name": "", "tax_id": "123-45-6789",
        "date_of_birth": "1980-04-02", "phone": "(425) 555-0142", "email": "jane.doe@example.com",
        "mailing_line1": "1204 Pine St", "mailing_line2": "", "mailing_city": "Everett", "mailing_state": "WA",
        "mailing_zip": "98201", "language": "en", "bill_delivery": "paper", "opened_on": "2026-12-07",
        "confirm_not_duplicate": False})
    kind: str = Field("person", description="person or organization")
    first_name: str = Field("", max_length=80)
    last_name: str = Field("", max_length=80)
    name: str = Field("", max_length=200, description="organization name; for a person, first and last name")
    tax_id: str = Field("", max_length=11)
    date_of_birth: date | None = None
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    mailing_line1: str = Field(max_length=120)
    mailing_line2: str = Field("", max_length=120)
    mailing_city: str = Field(max_length=60)
    mailing_state: str = Field("WA", max_length=2)
    mailing_zip: str = Field(max_length=10)
    language: str = "en"
    bill_delivery: str = Field("paper", description="paper or email")
    opened_on: date
    confirm_not_duplicate: bool = Field(False, description="after a 400 possible_duplicate: you checked the matches "
                                                           "and this is a new customer (audited)")


@write(router, "/customers", response={201: AccountRef}, operation_id="open_customer_account",
       summary="Open a customer and their account (a possible duplicate is refused until confirmed)")
def open_customer_account(request, payload: NewCustomerIn):
    """A customer that looks like one on file answers 400 ``possible_duplicate`` with the matches in
    ``detail``; send again with ``confirm_not_duplicate: true`` if it is a new customer after all."""
    permissions.require(_user(request), "account.maintain", "open accounts")
    data = payload.model_dump()
    data["date_of_birth"] = data["date_of_birth"] or ""
    try:
        account = customer_actions.open_customer_account(user=_user(request), **data)
    except PossibleDuplicate as exc:
        raise ApiError(400, "possible_duplicate", str(exc)) from exc
    return Status(201, _ref(account))


class NoteIn(Schema):
    model_config = examples({"kind": "call", "text": "Customer called about the high bill; explained the leak."})
    kind: str = Field("note", description="note, call, …")
    text: str = Field(max_length=4000)


class NoteOut(Schema):
    model_config = examples({"id": 512, "account": "10000016", "kind": "call"})
    id: int
    account: str
    kind: str


@write(router, "/accounts/{number}/notes", response={201: NoteOut}, operation_id="add_account_note",
       summary="Add a note or log a call on an account")
def add_account_note(request, number: str, payload: NoteIn):
    account = _account_for(request, number, "account.note", "add notes")
    note = customer_actions.add_note(user=_user(request), account=account, text=payload.text, kind=payload.kind)
    return Status(201, NoteOut(id=note.pk, account=account.number, kind=note.kind))


class MailingAddressIn(Schema):
    model_config = examples({"mailing_line1": "88 Elm St", "mailing_line2": "Apt 4", "mailing_city": "Everett",
                             "mailing_state": "WA", "mailing_zip": "98203"})
    mailing_line1: str = Field(max_length=120)
    mailing_line2: str = Field("", max_length=120)
    mailing_city: str = Field(max_length=60)
    mailing_state: str = Field("WA", max_length=2)
    mailing_zip: str = Field(max_length=10)


@write(router, "/accounts/{number}/mailing-address", response={200: AccountRef},
       operation_id="change_mailing_address", summary="Change an account's mailing address (audited old and new)")
def change_mailing_address(request, number: str, payload: MailingAddressIn):
    account = _account_for(request, number, "account.maintain", "change account details")
    customer_actions.change_mailing_address(user=_user(request), account=account, **payload.model_dump())
    return Status(200, _ref(account))


class PreferencesIn(Schema):
    model_config = examples({"language": "es", "bill_delivery": "email"})
    language: str = Field(description="en, es or ru")
    bill_delivery: str = Field(description="paper or email (e-bills go to the primary contact)")


@write(router, "/accounts/{number}/bill-preferences", response={200: AccountRef},
       operation_id="change_bill_preferences", summary="Change the bill language and delivery")
def change_bill_preferences(request, number: str, payload: PreferencesIn):
    account = _account_for(request, number, "account.maintain", "change account details")
    customer_actions.change_bill_preferences(user=_user(request), account=account, **payload.model_dump())
    return Status(200, _ref(account))


class ContactIn(Schema):
    model_config = examples({"name": "John Doe", "role": "spouse", "phone": "(425) 555-0199",
                             "email": "john.doe@example.com", "prefers": "phone", "is_primary": False})
    name: str = Field("", max_length=200)
    role: str = Field("", max_length=60)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    prefers: str = Field("mail", description="mail, phone, email or text")
    is_primary: bool = False


class ContactRef(Schema):
    model_config = examples({"id": 33, "name": "John Doe", "is_primary": False})
    id: int
    name: str
    is_primary: bool


def _contact(account: Account, contact_id: int) -> Contact:
    return found(Contact, f"Account {account.number}'s customer has no contact {contact_id}. Nothing was changed.",
                 pk=contact_id, customer_id=account.customer_id)


@write(router, "/accounts/{number}/contacts", response={201: ContactRef}, operation_id="add_contact",
       summary="Add a contact to the account's customer")
def add_contact(request, number: str, payload: ContactIn):
    account = _account_for(request, number, "account.maintain", "change account details")
    contact = customer_actions.add_contact(user=_user(request), customer=account.customer, **payload.model_dump())
    return Status(201, ContactRef(id=contact.pk, name=contact.name, is_primary=contact.is_primary))


@write(router, "/accounts/{number}/contacts/{contact_id}", response={200: ContactRef}, operation_id="update_contact",
       summary="Change a contact")
def update_contact(request, number: str, contact_id: int, payload: ContactIn):
    account = _account_for(request, number, "account.maintain", "change account details")
    contact = customer_actions.update_contact(user=_user(request), contact=_contact(account, contact_id),
                                              **payload.model_dump())
    return Status(200, ContactRef(id=contact.pk, name=contact.name, is_primary=contact.is_primary))


class Removed(Schema):
    model_config = examples({"removed": True, "id": 33})
    removed: bool
    id: int


@write(router, "/accounts/{number}/contacts/{contact_id}/remove", response={200: Removed},
       operation_id="remove_contact", summary="Remove a contact")
def remove_contact(request, number: str, contact_id: int):
    account = _account_for(request, number, "account.maintain", "change account details")
    customer_actions.remove_contact(user=_user(request), contact=_contact(account, contact_id))
    return Status(200, Removed(removed=True, id=contact_id))


# --- premises and meters -------------------------------------------------------------

class PremiseIn(Schema):
    model_config = examples({"line1": "1310 Cedar Ln", "line2": "", "city": "Everett", "state": "WA",
                             "zip": "98201", "parcel_number": "00437500001310", "premise_type": "single_family",
                             "dwelling_units": 1, "services": ["electric", "water"]})
    line1: str = Field(max_length=120)
    line2: str = Field("", max_length=60)
    city: str = Field(max_length=60)
    state: str = Field("WA", max_length=2)
    zip: str = Field(max_length=10)
    parcel_number: str = ""
    premise_type: str = "single_family"
    dwelling_units: int = Field(1, ge=1, le=10_000)
    services: list[str] = Field(description="one service point per service: electric, water, sewer")


class PremiseRef(Schema):
    model_config = examples({"id": 9, "address": "1310 Cedar Ln, Everett WA 98201",
                             "service_points": [{"id": 31, "service": "electric"}, {"id": 32, "service": "water"}]})
    id: int
    address: str
    service_points: list[dict]


def _premise_out(premise: Premise) -> PremiseRef:
    points = [{"id": pk, "service": service} for pk, service in
              ServicePoint.objects.filter(premise=premise).order_by("service", "id").values_list("pk", "service")]
    return PremiseRef(id=premise.pk, address=premise.address, service_points=points)


@write(router, "/premises", response={201: PremiseRef}, operation_id="create_premise",
       summary="Create a premise with a service point per service (new construction)")
def create_premise(request, payload: PremiseIn):
    permissions.require(_user(request), "account.maintain", "create premises")
    if not payload.services:
        raise CustomerError("Service points: choose at least one service.")
    premise = customer_actions.create_premise(user=_user(request), **payload.model_dump())
    return Status(201, _premise_out(premise))


class MeterInstallIn(Schema):
    model_config = examples({"service_point_id": 31, "serial_number": "E2000777", "kind": "register", "unit": "kWh",
                             "dial_count": 5, "multiplier": "1", "size": "", "installed_on": "2026-12-07",
                             "first_read": "0"})
    service_point_id: int
    serial_number: str = Field(max_length=32)
    kind: str = "register"
    unit: str = Field(description="kWh, CCF, …")
    dial_count: int = Field(5, ge=1, le=9)
    multiplier: str = Field("1", max_length=12)
    size: str = Field("", description="water meters: 5/8, 3/4, 1, …")
    installed_on: date
    first_read: str = Field(max_length=20, description="the register when installed")


class InstallationOut(Schema):
    model_config = examples({"id": 120, "meter": "E2000777", "service_point_id": 31, "installed_on": "2026-12-07"})
    id: int
    meter: str
    service_point_id: int
    installed_on: date


@write(router, "/premises/{premise_id}/meters", response={201: InstallationOut}, operation_id="install_meter",
       summary="Install a new meter at a service point, with its first read")
def install_meter(request, premise_id: int, payload: MeterInstallIn):
    permissions.require(_user(request), "account.maintain", "install meters")
    premise = found(Premise, f"There is no premise {premise_id}. Nothing was changed.", pk=premise_id)
    point = found(ServicePoint, f"Premise {premise_id} has no service point {payload.service_point_id}. "
                                "Nothing was changed.", pk=payload.service_point_id, premise=premise)
    data = payload.model_dump(exclude={"service_point_id"})
    installation = customer_actions.install_new_meter(user=_user(request), service_point=point, **data)
    return Status(201, InstallationOut(id=installation.pk, meter=payload.serial_number.strip(),
                                       service_point_id=point.pk, installed_on=installation.installed_on))


# --- start, stop and move service; close the account ----------------------------------

class StartServiceIn(Schema):
    model_config = examples({"service_point_id": 31, "rate_schedule": "E-7", "customer_class": "residential",
                             "bill_cycle": "01", "start_date": "2026-12-07", "move_in_read": "41872"})
    service_point_id: int
    rate_schedule: str = Field(description="rate schedule code")
    customer_class: str
    bill_cycle: str = Field(description="bill cycle code")
    start_date: date
    move_in_read: str | None = Field(None, max_length=20, description="the register on the start date, if read")
    size_class: str = Field("", description="for a rate whose base charge depends on it (Schedule 7); empty if not")


@write(router, "/accounts/{number}/services/start", response={201: AgreementOut}, operation_id="start_service",
       summary="Start service at a vacant service point")
def start_service(request, number: str, payload: StartServiceIn):
    account = _account_for(request, number, "service.start_stop", "start, stop and transfer service")
    point = found(ServicePoint.objects.select_related("premise"),
                  f"There is no service point {payload.service_point_id}. Nothing was changed.",
                  pk=payload.service_point_id)
    schedule = found(RateSchedule, f"There is no rate schedule {payload.rate_schedule!r}. Nothing was changed.",
                     code=payload.rate_schedule.strip())
    cycle = found(BillCycle, f"There is no bill cycle {payload.bill_cycle!r}. Nothing was changed.",
                  code=payload.bill_cycle.strip())
    agreement = customer_actions.start_service(
        user=_user(request), account=account, service_point=point, rate_schedule=schedule,
        customer_class=payload.customer_class, bill_cycle=cycle, start_date=payload.start_date,
        move_in_read=payload.move_in_read or None, size_class=payload.size_class.strip())
    return Status(201, _agreement_out(agreement))


class StopServiceIn(Schema):
    model_config = examples({"agreement_id": 41, "end_date": "2026-12-31", "note": "Moving out of state"})
    agreement_id: int
    end_date: date = Field(description="the last day of service")
    note: str = Field("", max_length=200)


@write(router, "/accounts/{number}/services/stop", response={200: AgreementOut}, operation_id="stop_service",
       summary="Stop one service of the account")
def stop_service(request, number: str, payload: StopServiceIn):
    account = _account_for(request, number, "service.start_stop", "start, stop and transfer service")
    agreement = found(ServiceAgreement, f"Account {account.number} has no active service agreement "
                                        f"{payload.agreement_id}. Nothing was changed.",
                      pk=payload.agreement_id, account=account, status=ServiceAgreement.Status.ACTIVE)
    done = customer_actions.stop_service(user=_user(request), agreement=agreement, end_date=payload.end_date,
                                         note=payload.note)
    return Status(200, _agreement_out(done))


class TransferServiceIn(Schema):
    model_config = examples({"to_premise_id": 9, "move_date": "2027-01-01"})
    to_premise_id: int
    move_date: date = Field(description="service at the old address ends the day before")


@write(router, "/accounts/{number}/services/transfer", response={201: list[AgreementOut]},
       operation_id="transfer_service", summary="Move the account's services to another premise")
def transfer_service(request, number: str, payload: TransferServiceIn):
    account = _account_for(request, number, "service.start_stop", "start, stop and transfer service")
    premise = found(Premise, f"There is no premise {payload.to_premise_id}. Nothing was changed.",
                    pk=payload.to_premise_id)
    started = customer_actions.transfer_service(user=_user(request), account=account, to_premise=premise,
                                                move_date=payload.move_date)
    return Status(201, [_agreement_out(a) for a in started])


class CloseAccountIn(Schema):
    model_config = examples({"closed_on": "2026-12-31", "final_reads": {"41": "42110"},
                             "note": "Moved out of the service area"})
    closed_on: date = Field(description="the last day of service")
    final_reads: dict[int, str] = Field({}, description="agreement id → final read, for each metered service")
    note: str = Field("", max_length=200)


class ClosedOut(Schema):
    model_config = examples({"account": {"number": "10000016", "customer_id": 7, "status": "closed"},
                             "final_bill_id": 40211, "final_bill_status": "issued", "amount_due": "61.40"})
    account: AccountRef
    final_bill_id: int | None
    final_bill_status: str | None = Field(description="issued, or held for review")
    amount_due: Decimal | None


@write(router, "/accounts/{number}/close", response={200: ClosedOut}, operation_id="close_account",
       summary="Stop every service with its final read, close the account, issue the final bill")
def close_account(request, number: str, payload: CloseAccountIn):
    account = _account_for(request, number, "account.maintain", "close accounts")
    account, bill = customer_actions.close_account(user=_user(request), account=account, closed_on=payload.closed_on,
                                                   final_reads=payload.final_reads, note=payload.note)
    return Status(200, ClosedOut(account=_ref(account), final_bill_id=bill.pk if bill else None,
                                 final_bill_status=bill.status if bill else None,
                                 amount_due=bill.amount_due if bill else None))
