"""API of payment arrangements and long-term contracts: the console's wizard and contract
pages call the same actions (collections.actions.arrangements and .contracts), so the
capabilities, limits, the one-open rule, the statutes and the audit rows are theirs.
(The collections status, service orders and daily run are in core.py; closed
accounts, write-offs and liens in writeoffs.py.)"""

from __future__ import annotations

from datetime import date as _date
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from ratepayer.collections import amortization
from ratepayer.collections.actions import arrangements as _arrangements
from ratepayer.collections.actions import contracts as _contracts
from ratepayer.collections.errors import ContractError
from ratepayer.collections.models import LongTermContract, PaymentArrangement
from ratepayer.customers.models import Account, Premise
from ratepayer.staff import permissions

from ..errors import found
from ..schemas import examples, read, write

router = Router()


class InstallmentOut(Schema):
    sequence: int
    due_date: _date
    amount: Decimal
    paid_amount: Decimal = Decimal("0.00")


class ArrangementIn(Schema):
    model_config = examples({"kind": "ordinary", "past_due_amount": "300.00", "installments": 3,
                             "first_due": "2026-12-20", "made_on": "2026-12-07", "down_payment": "75.00"})
    kind: str = Field("ordinary", description="ordinary, winter (RCW 54.16.285(1)(e)) or heat (RCW 54.16.285(7))")
    past_due_amount: str = Field(description="what the installments cover, at most what the account owes")
    installments: int | None = Field(None, description="ordinary: the number of monthly installments")
    first_due: _date = Field(description="the first installment's due date")
    made_on: _date = Field(description="the day it is made: payments from this day count toward it")
    down_payment: str | None = Field(None, description="blank: the collection policy's share")
    monthly_income: str | None = Field(None, description="winter and heat plans: the household's monthly income")
    broken_after_days: int = Field(10, description="grace days after a due date before it is broken")
    allow_another: bool = Field(False, description="a supervisor allows it beside another open arrangement")
    note: str = ""


class ArrangementPlanOut(Schema):
    model_config = examples({"kind": "ordinary", "past_due_amount": "300.00", "down_payment": "75.00",
                             "required_ceiling": None, "pay_off_by": None, "note": "",
                             "installments": [{"sequence": 1, "due_date": "2026-12-20", "amount": "75.00",
                                               "paid_amount": "0.00"}]})
    kind: str
    past_due_amount: Decimal
    down_payment: Decimal
    required_ceiling: Decimal | None
    pay_off_by: _date | None
    installments: list[InstallmentOut]
    note: str


class ArrangementOut(Schema):
    model_config = examples({"id": 17, "account": "10000016", "kind": "ordinary", "status": "proposed",
                             "past_due_amount": "300.00", "down_payment": "75.00", "start_date": "2026-12-07",
                             "required_ceiling": None, "missed_due_date": None, "end_reason": "",
                             "installments": [{"sequence": 1, "due_date": "2026-12-20", "amount": "75.00",
                                               "paid_amount": "0.00"}]})
    id: int
    account: str
    kind: str
    status: str = Field(description="proposed (waiting for the down payment), active, kept, broken, cancelled")
    past_due_amount: Decimal
    down_payment: Decimal
    start_date: _date
    required_ceiling: Decimal | None
    missed_due_date: _date | None
    end_reason: str
    installments: list[InstallmentOut]


def _arrangement_out(a: PaymentArrangement) -> ArrangementOut:
    return ArrangementOut(id=a.pk, account=a.account.number, kind=a.kind, status=a.status,
                          past_due_amount=a.past_due_amount, down_payment=a.down_payment, start_date=a.start_date,
                          required_ceiling=a.required_ceiling, missed_due_date=a.missed_due_date,
                          end_reason=a.end_reason,
                          installments=[InstallmentOut(sequence=i.sequence, due_date=i.due_date, amount=i.amount,
                                                       paid_amount=i.paid_amount) for i in a.installments.all()])


def _account(number: str) -> Account:
    return found(Account.objects.select_related("customer"), f"There is no account {number!r}. Nothing was changed.",
                 number=number.strip())


@write(router, "/accounts/{number}/arrangements/preview", response={200: ArrangementPlanOut},
       operation_id="preview_arrangement", summary="The schedule an arrangement would have (saves nothing)")
def preview_arrangement(request, number: str, payload: ArrangementIn):
    """The wizard's "Show schedule": the same checks as saving, nothing is written."""
    permissions.require(request.auth, "arrangement.manage", "set up payment arrangements")
    plan = _arrangements.plan_arrangement(
        account=_account(number), kind=payload.kind, past_due_amount=payload.past_due_amount,
        installments=payload.installments, first_due=payload.first_due, made_on=payload.made_on,
        down_payment=payload.down_payment, monthly_income=payload.monthly_income)
    return Status(200, ArrangementPlanOut(
        kind=plan.kind, past_due_amount=plan.past_due_amount, down_payment=plan.down_payment,
        required_ceiling=plan.required_ceiling, pay_off_by=plan.pay_off_by, note=plan.note,
        installments=[InstallmentOut(sequence=i.sequence, due_date=i.due_date, amount=i.amount)
                      for i in plan.installments]))


@write(router, "/accounts/{number}/arrangements", response={201: ArrangementOut},
       operation_id="create_arrangement", summary="Set up a payment arrangement")
def create_arrangement(request, number: str, payload: ArrangementIn):
    """Refused (400 ``arrangement_refused``, naming the field) when it covers more than the account owes,
    has more installments than the policy allows, is above your arrangement limit, or the account already
    has an open arrangement and no supervisor allows another."""
    arrangement = _arrangements.create_arrangement(
        user=request.auth, account=_account(number), kind=payload.kind, past_due_amount=payload.past_due_amount,
        installments=payload.installments, first_due=payload.first_due, made_on=payload.made_on,
        down_payment=payload.down_payment, monthly_income=payload.monthly_income,
        broken_after_days=payload.broken_after_days, allow_another=payload.allow_another, note=payload.note)
    return Status(201, _arrangement_out(arrangement))


@read(router, "/accounts/{number}/arrangements", response={200: list[ArrangementOut]},
      operation_id="list_account_arrangements", summary="An account's payment arrangements, newest first")
def list_account_arrangements(request, number: str):
    permissions.require(request.auth, "account.view", "see payment arrangements")
    account = _account(number)
    return [_arrangement_out(a) for a in account.payment_arrangements.select_related("account")
            .prefetch_related("installments").order_by("-start_date", "-pk")]


@read(router, "/arrangements/{arrangement_id}", response={200: ArrangementOut}, operation_id="get_arrangement",
      summary="A payment arrangement with its installments")
def get_arrangement(request, arrangement_id: int):
    permissions.require(request.auth, "account.view", "see payment arrangements")
    return _arrangement_out(found(PaymentArrangement.objects.select_related("account"),
                                  f"There is no payment arrangement {arrangement_id}.", pk=arrangement_id))


class CancelIn(Schema):
    model_config = examples({"reason": "Customer paid the balance in full at the counter", "on": "2026-12-07"})
    reason: str
    on: _date | None = Field(None, description="default today")


@write(router, "/arrangements/{arrangement_id}/cancel", response={200: ArrangementOut},
       operation_id="cancel_arrangement", summary="Cancel a proposed or active payment arrangement")
def cancel_arrangement(request, arrangement_id: int, payload: CancelIn):
    permissions.require(request.auth, "arrangement.manage", "cancel payment arrangements")
    arrangement = found(PaymentArrangement, f"There is no payment arrangement {arrangement_id}. Nothing was changed.",
                        pk=arrangement_id)
    _arrangements.cancel_arrangement(user=request.auth, arrangement=arrangement,
                                     on=payload.on or timezone.localdate(), reason=payload.reason)
    return Status(200, _arrangement_out(PaymentArrangement.objects.select_related("account").get(pk=arrangement.pk)))


class ScheduleRowOut(Schema):
    number: int
    due_date: _date
    payment: Decimal
    principal: Decimal
    interest: Decimal
    balance_after: Decimal
    bill_id: int | None = None


class ScheduleQuery(Schema):
    principal: str
    annual_rate: str
    months: int
    start: _date
    kind: str = "past_due"


class ScheduleOut(Schema):
    model_config = examples({"level_payment": "336.11", "total_interest": "8.34", "installments": [
        {"number": 1, "due_date": "2027-01-15", "payment": "336.11", "principal": "331.94", "interest": "4.17",
         "balance_after": "668.06", "bill_id": None}]})
    level_payment: Decimal
    total_interest: Decimal
    installments: list[ScheduleRowOut]


@read(router, "/contracts/schedule", response={200: ScheduleOut}, operation_id="contract_schedule",
      summary="An amortization schedule (saves nothing; a term beyond the statute is refused)")
def contract_schedule(request, query: Query[ScheduleQuery]):
    permissions.require(request.auth, "account.view", "see long-term contracts")
    try:
        principal, rate = amortization.check_terms(principal=query.principal, annual_rate=query.annual_rate,
                                                   months=query.months, kind=query.kind)
    except (amortization.AmortizationError, ValueError) as exc:
        raise ContractError(str(exc), field=getattr(exc, "field", "")) from exc
    rows = amortization.schedule(principal, rate, query.months, query.start)
    return ScheduleOut(level_payment=rows[0].payment, total_interest=sum(r.interest for r in rows),
                       installments=[ScheduleRowOut(**{k: getattr(r, k) for k in ScheduleRowOut.model_fields
                                                       if k != "bill_id"}) for r in rows])


class ContractIn(Schema):
    model_config = examples({"kind": "sewer_connection", "premise_id": 812, "principal": "14850.00",
                             "annual_rate": "5.25", "term_months": 180, "start_date": "2027-01-15",
                             "made_on": "2026-12-07", "lien_reference": "202612070042",
                             "lien_recorded_on": "2026-12-07"})
    kind: str = Field(description="past_due, sewer_connection (≤ 180 months) or conservation_loan (≤ 240 months)")
    premise_id: int = Field(description="the property; the account must take service there")
    principal: str
    annual_rate: str = Field(description="percent per year, e.g. \"5.25\"")
    term_months: int
    start_date: _date = Field(description="the first installment's due date")
    made_on: _date
    lien_reference: str = Field("", description="county auditor's recording number (RCW 65.08.170)")
    lien_recorded_on: _date | None = None
    note: str = ""


class ContractOut(Schema):
    model_config = examples({"id": 4, "account": "10000016", "kind": "sewer_connection", "status": "active",
                             "premise_id": 812, "principal": "14850.00", "annual_rate": "5.2500",
                             "term_months": 180, "start_date": "2027-01-15", "monthly_payment": "119.38",
                             "lien_reference": "202612070042", "revision": 1})
    id: int
    account: str
    kind: str
    status: str
    premise_id: int
    principal: Decimal
    annual_rate: Decimal
    term_months: int
    start_date: _date
    monthly_payment: Decimal
    lien_reference: str
    revision: int


class ContractDetailOut(ContractOut):
    schedule: list[ScheduleRowOut]


def _contract_out(c: LongTermContract) -> ContractOut:
    return ContractOut(id=c.pk, account=c.account.number, kind=c.kind, status=c.status, premise_id=c.premise_id,
                       principal=c.principal, annual_rate=c.annual_rate, term_months=c.term_months,
                       start_date=c.start_date, monthly_payment=c.monthly_payment, lien_reference=c.lien_reference,
                       revision=c.revision)


def _contract(contract_id: int) -> LongTermContract:
    return found(LongTermContract.objects.select_related("account"),
                 f"There is no long-term contract {contract_id}. Nothing was changed.", pk=contract_id)


@write(router, "/accounts/{number}/contracts", response={201: ContractOut}, operation_id="create_contract",
       summary="Set up a long-term contract (books its receivable on GL 143)")
def create_contract(request, number: str, payload: ContractIn):
    """A term beyond the law is refused with the statute named (400 ``contract_refused``, field
    ``term_months``)."""
    permissions.require(request.auth, "contract.manage", "set up long-term contracts")
    account = _account(number)
    premise = found(Premise, f"There is no premise {payload.premise_id}. Nothing was changed.", pk=payload.premise_id)
    contract = _contracts.create_contract(
        user=request.auth, account=account, premise=premise, kind=payload.kind, principal=payload.principal,
        annual_rate=payload.annual_rate, term_months=payload.term_months, start_date=payload.start_date,
        made_on=payload.made_on, lien_reference=payload.lien_reference, lien_recorded_on=payload.lien_recorded_on,
        note=payload.note)
    return Status(201, _contract_out(contract))


@read(router, "/contracts/{contract_id}", response={200: ContractDetailOut}, operation_id="get_contract",
      summary="A long-term contract with its schedule as it stands")
def get_contract(request, contract_id: int):
    permissions.require(request.auth, "account.view", "see long-term contracts")
    contract = _contract(contract_id)
    rows = [ScheduleRowOut(number=r.number, due_date=r.due_date, payment=r.payment, principal=r.principal,
                           interest=r.interest, balance_after=r.balance_after,
                           bill_id=r.bill_id if r.bill_id and r.bill.status != "cancelled" else None)
            for r in _contracts.current_schedule(contract)]
    return ContractDetailOut(**_contract_out(contract).model_dump(), schedule=rows)


class QuoteOut(Schema):
    model_config = examples({"date": "2027-03-02", "principal_outstanding": "5764.08", "interest_accrued": "18.95",
                             "interest_since": "2027-02-10", "total": "5783.03"})
    date: _date
    principal_outstanding: Decimal
    interest_accrued: Decimal
    interest_since: _date
    total: Decimal


def _quote_out(quote) -> QuoteOut:
    return QuoteOut(date=quote.on, principal_outstanding=quote.principal_outstanding,
                    interest_accrued=quote.interest_accrued, interest_since=quote.interest_since, total=quote.total)


@read(router, "/contracts/{contract_id}/payoff-quote", response={200: QuoteOut}, operation_id="contract_payoff_quote",
      summary="What pays a contract off on a date")
def contract_payoff_quote(request, contract_id: int, on: _date):
    permissions.require(request.auth, "account.view", "see long-term contracts")
    return _quote_out(_contracts.payoff_quote(_contract(contract_id), on))


class PrepayIn(Schema):
    model_config = examples({"amount": "2000.00", "on": "2026-12-07"})
    amount: str
    on: _date | None = None


@write(router, "/contracts/{contract_id}/prepay", response={200: ContractOut}, operation_id="prepay_contract",
       summary="Prepay principal: billed now, the term is shortened at the same payment")
def prepay_contract(request, contract_id: int, payload: PrepayIn):
    permissions.require(request.auth, "contract.manage", "record contract prepayments")
    contract = _contracts.prepay(user=request.auth, contract=_contract(contract_id), amount=payload.amount,
                                 on=payload.on or timezone.localdate())
    return Status(200, _contract_out(LongTermContract.objects.select_related("account").get(pk=contract.pk)))


class DateIn(Schema):
    model_config = examples({"on": "2027-03-02"})
    on: _date | None = Field(None, description="default today")


@write(router, "/contracts/{contract_id}/payoff", response={200: QuoteOut}, operation_id="pay_off_contract",
       summary="Pay a contract off: bill the quote to the account and close the contract")
def pay_off_contract(request, contract_id: int, payload: DateIn):
    permissions.require(request.auth, "contract.manage", "pay off long-term contracts")
    return Status(200, _quote_out(_contracts.pay_off(user=request.auth, contract=_contract(contract_id),
                                                     on=payload.on or timezone.localdate())))


class TransferIn(Schema):
    model_config = examples({"to_account": "10000024", "on": "2026-12-07"})
    to_account: str = Field(description="the account that now takes service at the property")
    on: _date | None = None


@write(router, "/contracts/{contract_id}/transfer", response={200: ContractOut}, operation_id="transfer_contract",
       summary="The property changed hands: bill the contract to the new owner's account")
def transfer_contract(request, contract_id: int, payload: TransferIn):
    permissions.require(request.auth, "contract.manage", "transfer long-term contracts")
    contract = _contracts.transfer_contract(user=request.auth, contract=_contract(contract_id),
                                            to_account=_account(payload.to_account),
                                            on=payload.on or timezone.localdate())
    return Status(200, _contract_out(LongTermContract.objects.select_related("account").get(pk=contract.pk)))
