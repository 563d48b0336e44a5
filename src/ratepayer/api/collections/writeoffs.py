"""Closed accounts that still owe: the worklist, deposit applied to the final bill,
balance transfer, collection agencies (assignments, referral files, remittances),
write-offs and liens — the same actions and checks as the console's pages.

A write-off above your ``write_off`` limit answers 202 with the approval request
it waits on; another person decides it through ``/approvals/{id}/decision``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from ratepayer.collections.actions import writeoffs as actions
from ratepayer.collections.models import AgencyAssignment, CollectionAgency, LienCertification
from ratepayer.collections.queries import writeoffs as queries
from ratepayer.customers.models import Account, Premise
from ratepayer.staff import permissions

from ..errors import ApiError
from ..schemas import examples, read, write

router = Router()


def _account(number: str) -> Account:
    account = Account.objects.select_related("customer").filter(number=number.strip()).first()
    if account is None:
        raise ApiError(404, "not_found", f"No account {number!r}.")
    return account


# --- reads ---------------------------------------------------------------------

class StepCount(Schema):
    step: str
    label: str
    count: int


class ClosedAccountRow(Schema):
    number: str
    customer: str
    closed_on: date | None
    owed: Decimal
    step: str = Field(description="final_bill, deposit, transfer, agency, at_agency, write_off or awaiting_approval")


class ClosedWorklist(Schema):
    model_config = examples({"total": "1523.40", "steps": [{"step": "agency", "label": "Assign to agency",
                                                            "count": 3}],
                             "items": [{"number": "10000016", "customer": "Jane Doe", "closed_on": "2025-01-31",
                                        "owed": "150.00", "step": "agency"}]})
    total: Decimal
    steps: list[StepCount]
    items: list[ClosedAccountRow]


@read(router, "/closed-accounts", response={200: ClosedWorklist}, operation_id="list_closed_accounts",
      summary="Closed accounts that still owe, with the step each is at and counts per step")
def list_closed_accounts(request, step: str | None = None):
    permissions.require(request.auth, "account.view", "see closed accounts")
    worklist = queries.closed_accounts(step if step in queries.STEP_LABELS else None)
    return ClosedWorklist(
        total=worklist.total, steps=[StepCount(step=c, label=label, count=n) for c, label, _h, n in worklist.steps],
        items=[ClosedAccountRow(number=r.number, customer=r.customer, closed_on=r.closed_on, owed=r.owed, step=r.step)
               for r in worklist.rows])


# --- deposit, transfer -----------------------------------------------------------

class DepositApplied(Schema):
    model_config = examples({"account": "10000016", "applied": "100.00", "refunded": "0.00",
                             "refund_status": None})
    account: str
    applied: Decimal
    refunded: Decimal
    refund_status: str | None = Field(description="issued, or pending while it waits for approval")


@write(router, "/accounts/{number}/final-bill/deposit", response={201: DepositApplied},
       operation_id="apply_deposit_to_final_bill", summary="Apply a closed account's security deposit to its balance")
def apply_deposit_to_final_bill(request, number: str):
    """Accrues interest to today, applies the deposit to what the account owes and refunds the rest."""
    permissions.require(request.auth, "payment.manage", "apply security deposits to final bills")
    release = actions.apply_deposit(user=request.auth, account=_account(number))
    refund = release.refund
    return Status(201, DepositApplied(account=number, applied=release.applied,
                                      refunded=refund.amount if refund else Decimal("0.00"),
                                      refund_status=refund.status if refund else None))


class TransferIn(Schema):
    model_config = examples({"to_account": "10000024", "reason": "Customer moved within the service area"})
    to_account: str = Field(description="the same customer's active account")
    reason: str


class TransferOut(Schema):
    model_config = examples({"id": 4, "from_account": "10000016", "to_account": "10000024", "amount": "150.00",
                             "journal_entry": 812})
    id: int
    from_account: str
    to_account: str
    amount: Decimal
    journal_entry: int


@write(router, "/accounts/{number}/balance-transfer", response={201: TransferOut},
       operation_id="transfer_closed_balance", summary="Move a closed account's balance to the customer's active account")
def transfer_closed_balance(request, number: str, payload: TransferIn):
    permissions.require(request.auth, "payment.manage", "transfer closed accounts' balances")
    source = _account(number)
    target = Account.objects.filter(number=payload.to_account.strip()).first()
    if target is None:
        raise ApiError(404, "not_found", f"No account {payload.to_account!r}.")
    t = actions.transfer_balance(user=request.auth, from_account=source, to_account=target, reason=payload.reason)
    return Status(201, TransferOut(id=t.pk, from_account=source.number, to_account=target.number, amount=t.amount,
                                   journal_entry=t.journal_entry_id))


# --- agencies ---------------------------------------------------------------------

class AgencyIn(Schema):
    model_config = examples({"code": "NWC", "name": "Northwest Credit Services", "fee_percent": "30.00",
                             "fee_percent_above": "35.00", "license_number": "CAG-1234", "contact": "(206) 555-0100"})
    code: str
    name: str
    fee_percent: str = Field(description="contingent fee, ≤ 50 (RCW 19.16.500)")
    fee_percent_above: str = Field("35.00", description="on collections above $100,000 per account, ≤ 35")
    license_number: str = ""
    contact: str = ""
    is_active: bool = True


class AgencyOut(Schema):
    model_config = examples({"code": "NWC", "name": "Northwest Credit Services", "fee_percent": "30.00",
                             "fee_percent_above": "35.00", "is_active": True})
    code: str
    name: str
    fee_percent: Decimal
    fee_percent_above: Decimal
    is_active: bool


@write(router, "/collection-agencies", response={201: AgencyOut}, operation_id="save_collection_agency",
       summary="Add or change a collection agency")
def save_collection_agency(request, payload: AgencyIn):
    permissions.require(request.auth, "approval_limit.edit", "set up collection agencies")
    a = actions.save_agency(user=request.auth, code=payload.code, name=payload.name, fee_percent=payload.fee_percent,
                            fee_percent_above=payload.fee_percent_above, license_number=payload.license_number,
                            contact=payload.contact, is_active=payload.is_active)
    return Status(201, AgencyOut(code=a.code, name=a.name, fee_percent=a.fee_percent,
                                 fee_percent_above=a.fee_percent_above, is_active=a.is_active))


class AssignIn(Schema):
    model_config = examples({"agency": "NWC", "advised_on": "2025-03-01", "assigned_on": "2025-04-01"})
    agency: str = Field(description="the agency's code")
    advised_on: date | None = Field(None, description="when the customer was told the debt may be assigned; "
                                                       "default: the agency-warning notice on record")
    assigned_on: date | None = Field(None, description="default today; ≥ 30 days after advised_on")


class AssignmentOut(Schema):
    model_config = examples({"id": 31, "account": "10000016", "agency": "NWC", "amount_assigned": "150.00",
                             "fee_limit": "100.00", "collected": "0.00", "status": "assigned",
                             "advised_on": "2025-03-01", "assigned_on": "2025-04-01"})
    id: int
    account: str
    agency: str
    amount_assigned: Decimal
    fee_limit: Decimal = Field(description="the most the agency may be paid on it (RCW 19.16.500)")
    collected: Decimal
    status: str
    advised_on: date
    assigned_on: date


def _assignment_out(a: AgencyAssignment) -> AssignmentOut:
    return AssignmentOut(id=a.pk, account=a.account.number, agency=a.agency.code, amount_assigned=a.amount_assigned,
                         fee_limit=a.fee_limit, collected=a.collected, status=a.status, advised_on=a.advised_on,
                         assigned_on=a.assigned_on)


def _agency(code: str) -> CollectionAgency:
    agency = CollectionAgency.objects.filter(code=code.strip().upper()).first()
    if agency is None:
        raise ApiError(404, "not_found", f"No collection agency {code!r}.")
    return agency


@write(router, "/accounts/{number}/agency-assignment", response={201: AssignmentOut},
       operation_id="assign_to_agency", summary="Assign a closed account's debt to a collection agency")
def assign_to_agency(request, number: str, payload: AssignIn):
    """Refused sooner than 30 days after the customer was advised (RCW 19.16.500)."""
    permissions.require(request.auth, "payment.manage", "assign debts to collection agencies")
    a = actions.assign_to_agency(user=request.auth, account=_account(number), agency=_agency(payload.agency),
                                 advised_on=payload.advised_on, on=payload.assigned_on)
    return Status(201, _assignment_out(a))


class AgencyFileOut(Schema):
    model_config = examples({"id": 7, "name": "referral-NWC-20250401-1.csv", "item_count": 1, "total": "150.00",
                             "sha256": "9f2c…", "content": "record_type,utility_reference,...\r\n"})
    id: int
    name: str
    item_count: int
    total: Decimal
    sha256: str
    content: str = Field(description="the CSV (layout: docs/user-guide/assign-to-a-collection-agency.md)")


@write(router, "/collection-agencies/{code}/files", response={201: AgencyFileOut}, operation_id="write_agency_file",
       summary="Write the referral file of the agency's assignments not yet sent")
def write_agency_file(request, code: str):
    permissions.require(request.auth, "payment.manage", "write collection agency files")
    f = actions.write_agency_file(user=request.auth, agency=_agency(code))
    return Status(201, AgencyFileOut(id=f.pk, name=f.name, item_count=f.item_count, total=f.total, sha256=f.sha256,
                                     content=f.content))


class RemittanceIn(Schema):
    model_config = examples({"reference": "NWC-2025-0412", "gross": "100.00", "received_on": "2025-05-01"})
    reference: str = Field(description="the agency's remittance reference; the same one twice is recorded once")
    gross: str = Field(description="what the agency collected, before its fee")
    received_on: date | None = None


class RemittanceOut(Schema):
    model_config = examples({"id": 3, "assignment": 31, "reference": "NWC-2025-0412", "gross": "100.00",
                             "fee": "30.00", "net": "70.00", "assignment_status": "assigned"})
    id: int
    assignment: int
    reference: str
    gross: Decimal
    fee: Decimal
    net: Decimal
    assignment_status: str


def _open_assignment(assignment_id: int) -> AgencyAssignment:
    a = AgencyAssignment.objects.select_related("account", "agency").filter(pk=assignment_id).first()
    if a is None:
        raise ApiError(404, "not_found", f"No agency assignment {assignment_id}.")
    return a


@write(router, "/agency-assignments/{assignment_id}/remittances", response={201: RemittanceOut},
       operation_id="record_agency_remittance", summary="Record what an agency collected, net of its fee")
def record_agency_remittance(request, assignment_id: int, payload: RemittanceIn):
    permissions.require(request.auth, "payment.manage", "record collection agency remittances")
    r = actions.record_remittance(user=request.auth, assignment=_open_assignment(assignment_id),
                                  reference=payload.reference, gross=payload.gross, received_on=payload.received_on)
    status = AgencyAssignment.objects.values_list("status", flat=True).get(pk=assignment_id)
    return Status(201, RemittanceOut(id=r.pk, assignment=assignment_id, reference=r.reference, gross=r.gross,
                                     fee=r.fee, net=r.net, assignment_status=status))


class CloseAssignmentIn(Schema):
    model_config = examples({"outcome": "returned", "reason": "no assets found"})
    outcome: str = Field(description="recalled or returned (uncollectible)")
    reason: str


@write(router, "/agency-assignments/{assignment_id}/close", response={200: AssignmentOut},
       operation_id="close_agency_assignment", summary="Recall an assignment, or record its return as uncollectible")
def close_agency_assignment(request, assignment_id: int, payload: CloseAssignmentIn):
    permissions.require(request.auth, "payment.manage", "recall collection agency assignments")
    a = actions.close_assignment(user=request.auth, assignment=_open_assignment(assignment_id),
                                 outcome=payload.outcome, reason=payload.reason)
    return _assignment_out(AgencyAssignment.objects.select_related("account", "agency").get(pk=a.pk))


# --- write-offs -----------------------------------------------------------------------

class WriteOffIn(Schema):
    model_config = examples({"reason": "agency_returned", "memo": "NWC returned it: no assets"})
    reason: str = Field(description="uncollectible, agency_returned, small_balance, bankruptcy, deceased or "
                                    "time_barred")
    memo: str = Field(description="what was tried")


class WriteOffOut(Schema):
    model_config = examples({"id": 12, "account": "10000016", "amount": "150.00", "status": "pending",
                             "approval_request_id": 88, "journal_entry": None})
    id: int
    account: str
    amount: Decimal
    status: str = Field(description="posted, or pending while it waits for approval")
    approval_request_id: int | None
    journal_entry: int | None


@write(router, "/accounts/{number}/write-offs", response={201: WriteOffOut, 202: WriteOffOut},
       operation_id="request_write_off", summary="Write off what a closed account owes (Dr 144 / Cr 142)")
def request_write_off(request, number: str, payload: WriteOffIn):
    """Within your write-off limit it posts at once (201); above it, it waits for another person's
    approval (202, ``status: pending``)."""
    permissions.require(request.auth, "adjustment.request", "request write-offs")
    w = actions.request_write_off(user=request.auth, account=_account(number), reason=payload.reason,
                                  memo=payload.memo)
    out = WriteOffOut(id=w.pk, account=number, amount=w.amount, status=w.status,
                      approval_request_id=w.approval_request_id, journal_entry=w.journal_entry_id)
    return Status(201 if w.status == "posted" else 202, out)


# --- liens --------------------------------------------------------------------------------

class LienIn(Schema):
    model_config = examples({"premise_id": 5, "delinquent_since": "2025-01-31", "prime_rate": "7.50",
                             "interest_rate": "11.50", "penalties": "18.00", "tenant_delinquency": False,
                             "auditor_reference": "202504010123"})
    premise_id: int
    delinquent_since: date
    prime_rate: str | None = Field(None, description="the district bank's prime rate, %/yr; default: the policy's")
    interest_rate: str | None = Field(None, description="%/yr, at most prime + 4 (RCW 57.08.081(3)); default: "
                                                        "the collection policy's lien interest")
    penalties: str = Field("0.00", description="included in the balance; at most 10 % of the charges")
    tenant_delinquency: bool = False
    auditor_reference: str = ""


class LienOut(Schema):
    model_config = examples({"id": 2, "account": "10000016", "parcel_number": "00437500001200", "charges": "182.00",
                             "penalties": "18.00", "interest": "3.78", "total": "203.78", "status": "certified"})
    id: int
    account: str
    parcel_number: str
    charges: Decimal
    penalties: Decimal
    interest: Decimal
    total: Decimal
    status: str


def _lien_out(lien: LienCertification) -> LienOut:
    return LienOut(id=lien.pk, account=lien.account.number, parcel_number=lien.parcel_number, charges=lien.charges,
                   penalties=lien.penalties, interest=lien.interest, total=lien.total, status=lien.status)


@write(router, "/accounts/{number}/liens", response={201: LienOut}, operation_id="certify_lien",
       summary="Certify delinquent water-sewer charges as a lien on the parcel")
def certify_lien(request, number: str, payload: LienIn):
    """Refused above prime + 4 %, with penalties above 10 %, or for a tenant whose registered landlord
    was not sent the copy of the notice (RCW 57.08.081(7))."""
    permissions.require(request.auth, "payment.manage", "certify liens")
    premise = Premise.objects.filter(pk=payload.premise_id).first()
    if premise is None:
        raise ApiError(404, "not_found", f"No premise {payload.premise_id}.")
    lien = actions.certify_lien(user=request.auth, account=_account(number), premise=premise,
                                delinquent_since=payload.delinquent_since, prime_rate=payload.prime_rate,
                                interest_rate=payload.interest_rate, penalties=payload.penalties,
                                tenant_delinquency=payload.tenant_delinquency,
                                auditor_reference=payload.auditor_reference)
    return Status(201, _lien_out(lien))


class ReleaseIn(Schema):
    model_config = examples({"reason": "paid at escrow"})
    reason: str


@write(router, "/liens/{lien_id}/release", response={200: LienOut}, operation_id="release_lien",
       summary="Release a certified lien")
def release_lien(request, lien_id: int, payload: ReleaseIn):
    permissions.require(request.auth, "payment.manage", "release liens")
    lien = LienCertification.objects.select_related("account").filter(pk=lien_id).first()
    if lien is None:
        raise ApiError(404, "not_found", f"No lien {lien_id}.")
    released = actions.release_lien(user=request.auth, lien=lien, reason=payload.reason)
    released.account = lien.account
    return _lien_out(released)
