"""Billing actions: adjustments, bill runs, held-bill review, cancel/rebill, policy.

Each endpoint calls the same action as the console page, so the capability
checks, approval limits and audit rows are the action's: an adjustment above
the user's limit answers 202 with the approval request it is waiting on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from ratepayer.billing import actions
from ratepayer.billing.errors import BillingError
from ratepayer.billing.models import Bill, BillCycle, BillRun
from ratepayer.customers.models import ServiceAgreement
from ratepayer.staff import permissions

from .errors import ApiError
from .pagination import limit_param, offset_param, page
from .schemas import examples, read, write

router = Router()


# --- adjustments -------------------------------------------------------------

class AdjustmentIn(Schema):
    model_config = examples({"agreement_id": 41, "direction": "credit", "amount": "25.00",
                             "reason": "GOODWILL", "memo": "Missed appointment, agreed with the customer",
                             "effective_date": "2026-12-03"})
    agreement_id: int = Field(description="a service agreement of this account")
    direction: str = Field(description="debit (the customer owes more) or credit")
    amount: str = Field(description="positive decimal, two places at most, e.g. \"25.00\"")
    reason: str = Field(description="an active adjustment reason code")
    memo: str = Field(description="why, for the next person who explains it to the customer")
    effective_date: date | None = Field(None, description="default today")


class AdjustmentOut(Schema):
    model_config = examples({"id": 812, "account": "10000016", "agreement_id": 41, "direction": "credit",
                             "amount": "25.00", "reason": "GOODWILL", "status": "posted",
                             "approval_request_id": None})
    id: int
    account: str
    agreement_id: int
    direction: str
    amount: Decimal
    reason: str
    status: str = Field(description="posted, or pending while it waits for approval")
    approval_request_id: int | None = Field(description="the approval request it waits on (status pending)")


@write(router, "/accounts/{number}/adjustments", response={201: AdjustmentOut, 202: AdjustmentOut},
       operation_id="create_adjustment", summary="Adjust a service agreement's balance (debit or credit)")
def create_adjustment(request, number: str, payload: AdjustmentIn):
    """Within your adjustment limit it posts at once (201); above it, it waits for another person's
    approval (202, ``status: pending``) and nothing is posted until then."""
    permissions.require(request.auth, "adjustment.request", "make adjustments")
    agreement = (ServiceAgreement.objects.select_related("account")
                 .filter(pk=payload.agreement_id, account__number=number.strip()).first())
    if agreement is None:
        raise ApiError(404, "not_found", f"Account {number!r} has no service agreement {payload.agreement_id}.")
    adjustment = actions.request_adjustment(
        user=request.auth, agreement=agreement, direction=payload.direction, amount=payload.amount,
        reason_code=payload.reason, memo=payload.memo, effective_date=payload.effective_date)
    out = AdjustmentOut(id=adjustment.pk, account=agreement.account.number, agreement_id=agreement.pk,
                        direction=adjustment.direction, amount=adjustment.amount, reason=adjustment.reason.code,
                        status=adjustment.status, approval_request_id=adjustment.approval_request_id)
    return Status((201 if adjustment.status == "posted" else 202), out)


# --- bill runs -----------------------------------------------------------------

class BillRunIn(Schema):
    model_config = examples({"cycle": "C07", "period_end": "2026-11-20"})
    cycle: str = Field(description="bill cycle code")
    period_end: date = Field(description="the cycle's scheduled read date")


class BillRunOut(Schema):
    model_config = examples({"id": 55, "cycle": "C07", "period_end": "2026-11-20", "bill_date": "2026-11-23",
                             "due_date": "2026-12-14", "status": "running", "accounts_due": 2950,
                             "chunks_total": 2, "chunks_done": 1, "bills_issued": 1490, "bills_held": 8,
                             "amount_issued": "181234.56"})
    id: int
    cycle: str
    period_end: date
    bill_date: date
    due_date: date
    status: str = Field(description="planned, running or finished")
    accounts_due: int
    chunks_total: int
    chunks_done: int
    bills_issued: int
    bills_held: int
    amount_issued: Decimal


class BillRunPage(Schema):
    model_config = examples({"offset": 0, "limit": 50, "next_offset": None, "items": [
        BillRunOut.model_config["json_schema_extra"]["examples"][0]]})
    offset: int
    limit: int
    next_offset: int | None
    items: list[BillRunOut]


def _run_out(run: BillRun) -> BillRunOut:
    return BillRunOut(id=run.pk, cycle=run.cycle.code, period_end=run.period_end, bill_date=run.bill_date,
                      due_date=run.due_date, status=run.status, accounts_due=run.accounts_due,
                      chunks_total=run.chunks_total, chunks_done=run.chunks_done, bills_issued=run.bills_issued,
                      bills_held=run.bills_held, amount_issued=run.amount_issued)


def _run(run_id: int) -> BillRun:
    run = BillRun.objects.select_related("cycle").filter(pk=run_id).first()
    if run is None:
        raise ApiError(404, "not_found", f"There is no bill run {run_id}.")
    return run


@write(router, "/bill-runs", response={202: BillRunOut}, operation_id="start_bill_run",
       summary="Plan a cycle's bill run and hand it to the workers")
def start_bill_run(request, payload: BillRunIn):
    """Idempotent on (cycle, period end) as in the console: starting a run that exists adds only accounts
    still due. Follow its progress with ``GET /bill-runs/{id}``."""
    permissions.require(request.auth, "billing.run", "start bill runs")
    cycle = BillCycle.objects.filter(code=payload.cycle.strip()).first()
    if cycle is None:
        raise ApiError(404, "not_found", f"There is no bill cycle {payload.cycle!r}. Nothing was started.")
    run = actions.start_bill_run(user=request.auth, cycle=cycle, period_end=payload.period_end)
    return Status(202, _run_out(BillRun.objects.select_related("cycle").get(pk=run.pk)))


@read(router, "/bill-runs", response={200: BillRunPage}, operation_id="list_bill_runs",
      summary="Bill runs, newest first")
def list_bill_runs(request, offset: int = offset_param(), limit: int = limit_param()):
    permissions.require(request.auth, "account.view", "see bill runs")
    rows = list(BillRun.objects.select_related("cycle").order_by("-period_end", "-id")[offset:offset + limit + 1])
    items, next_offset = page(rows, offset, limit)
    return BillRunPage(offset=offset, limit=limit, next_offset=next_offset, items=[_run_out(r) for r in items])


@read(router, "/bill-runs/{run_id}", response={200: BillRunOut}, operation_id="get_bill_run",
      summary="A bill run's status and progress")
def get_bill_run(request, run_id: int):
    permissions.require(request.auth, "account.view", "see bill runs")
    return _run_out(_run(run_id))


class Queued(Schema):
    model_config = examples({"queued": True, "message": "Bill PDFs and e-bills are being prepared."})
    queued: bool
    message: str


@write(router, "/bill-runs/{run_id}/documents", response={202: Queued}, operation_id="prepare_bill_documents",
       summary="Render the run's bill PDFs and send its e-bills (in the background)")
def prepare_bill_documents(request, run_id: int):
    permissions.require(request.auth, "billing.run", "prepare bill documents")
    actions.request_documents(user=request.auth, run=_run(run_id))
    return Status(202, Queued(queued=True, message="Bill PDFs and e-bills are being prepared in the background."))


# --- bills -------------------------------------------------------------------

class BillOut(Schema):
    model_config = examples({"id": 39161, "account": "10000016", "status": "issued", "period_end": "2026-11-20",
                             "bill_date": "2026-11-23", "due_date": "2026-12-14", "current_charges": "84.12",
                             "amount_due": "84.12", "corrects_id": None})
    id: int
    account: str
    status: str
    period_end: date
    bill_date: date
    due_date: date
    current_charges: Decimal
    amount_due: Decimal
    corrects_id: int | None


class ApprovalWait(Schema):
    model_config = examples({"approval_request_id": 301, "status": "pending",
                             "message": "Above your limit: request #301 waits for another person's approval."})
    approval_request_id: int
    status: str
    message: str


def _bill_out(bill: Bill) -> BillOut:
    return BillOut(id=bill.pk, account=bill.account.number, status=bill.status, period_end=bill.period_end,
                   bill_date=bill.bill_date, due_date=bill.due_date, current_charges=bill.current_charges,
                   amount_due=bill.amount_due, corrects_id=bill.corrects_id)


def _bill(bill_id: int) -> Bill:
    bill = Bill.objects.select_related("account").filter(pk=bill_id).first()
    if bill is None:
        raise ApiError(404, "not_found", f"There is no bill {bill_id}.")
    return bill


class ReviewIn(Schema):
    model_config = examples({"decision": "correct", "note": "Read corrected from 41872 to 41278"})
    decision: str = Field(description="release (issue as it stands) or correct (re-bill with today's reads/rates)")
    note: str = ""


@write(router, "/bills/{bill_id}/review", response={200: BillOut}, operation_id="decide_held_bill",
       summary="Release a held bill, or re-bill it after a correction")
def decide_held_bill(request, bill_id: int, payload: ReviewIn):
    """Answers the bill as it now is: the released bill, or the new bill (issued or held again)."""
    permissions.require(request.auth, "billing.run", "review held bills")
    bill = _bill(bill_id)
    if payload.decision == "release":
        done = actions.release_bill(user=request.auth, bill=bill, note=payload.note)
    elif payload.decision == "correct":
        done = actions.correct_held_bill(user=request.auth, bill=bill, note=payload.note)
    else:
        raise BillingError("Decision: choose release or correct.")
    return Status(200, _bill_out(Bill.objects.select_related("account").get(pk=done.pk)))


class CancelRebillIn(Schema):
    model_config = examples({"reason": "Meter multiplier was 1, should be 40"})
    reason: str


@write(router, "/bills/{bill_id}/cancel-rebill", response={201: BillOut, 202: ApprovalWait},
       operation_id="cancel_rebill", summary="Cancel an issued bill and issue the corrected one")
def cancel_rebill(request, bill_id: int, payload: CancelRebillIn):
    """201 with the corrected bill; above your adjustment limit, 202 with the approval request."""
    permissions.require(request.auth, "billing.run", "cancel and rebill bills")
    result = actions.cancel_rebill(user=request.auth, bill=_bill(bill_id), reason=payload.reason)
    if isinstance(result, Bill):
        return Status(201, _bill_out(Bill.objects.select_related("account").get(pk=result.pk)))
    return Status(202, ApprovalWait(
        approval_request_id=result.pk, status=result.status,
        message=f"Above your limit: request #{result.pk} waits for another person's approval."))


# --- policy --------------------------------------------------------------------

class PolicyIn(Schema):
    model_config = examples({"effective_from": "2027-01-01", "days_to_bill": 2, "days_until_due": 21,
                             "high_bill_percent": "100", "high_bill_minimum_history": 3,
                             "max_consecutive_estimates": 3, "regular_period_days": 30,
                             "bill_message": "Our office is closed on January 1."})
    effective_from: date
    days_to_bill: int
    days_until_due: int
    high_bill_percent: str
    high_bill_minimum_history: int
    max_consecutive_estimates: int
    regular_period_days: int
    winter_first_month: int = 12
    winter_last_month: int = 3
    bill_message: str = ""
    bill_message_es: str = ""
    bill_message_ru: str = ""


class PolicyOut(Schema):
    model_config = examples({"id": 4, "effective_from": "2027-01-01"})
    id: int
    effective_from: date


@write(router, "/billing-policies", response={201: PolicyOut}, operation_id="set_billing_policy",
       summary="Put a new billing policy in force from a future date")
def set_billing_policy(request, payload: PolicyIn):
    created = actions.set_billing_policy(user=request.auth, **payload.model_dump())
    return Status(201, PolicyOut(id=created.pk, effective_from=created.effective_from))



