"""Payments: the counter (drawers, payments, receipts, transfers, deposits),
payment files (lockbox, ACH returns, BAI2 bank statements, pay-by-phone),
suspense, returned payments, bank reconciliation, autopay, refunds, security
deposits and ACH re-presentment.

Each endpoint calls the same action as the console page (payments.actions),
so the capability checks, approval limits and audit rows are the action's:
a refund above the user's refund limit answers 202 with the approval request
it waits on. The endpoint checks the page's capability first, so a refused
user learns nothing, not even whether the account or receipt exists.

Files are uploaded as ``multipart/form-data`` with the file in ``file``; a
refused file answers 400 ``file_refused`` with every problem in ``detail``
and imports nothing.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from django.utils import timezone
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.formats.lockbox import CsvLayout
from ratepayer.payments import actions
from ratepayer.payments.errors import PaymentError, PaymentNeedsApproval
from ratepayer.payments.models import (
    AutopayEnrollment,
    BankLine,
    Deposit,
    DrawerSession,
    ImportedFile,
    Payment,
    Refund,
    Representment,
    ReturnedPayment,
    SecurityDeposit,
    SuspenseItem,
)
from ratepayer.staff import permissions

from .errors import ApiError, found
from .pagination import limit_param, offset_param, page
from .schemas import curl_example, examples, read, write

router = Router()


def _account(number: str) -> Account:
    return found(Account, f"There is no account number {number.strip()!r}. Nothing was changed.",
                 number=number.strip())


def _counter_token(request) -> str:
    """The counter form's one-time token, for the API: the user's Idempotency-Key (keys are per user)."""
    return f"api:{request.auth.pk}:{request.headers.get('Idempotency-Key', '')[:200]}"


# --- the counter ---------------------------------------------------------------

class DrawerOpenIn(Schema):
    model_config = examples({"opening_float": "150.00"})
    opening_float: str = Field("0.00", description="cash in the drawer when it opens, e.g. \"150.00\"")


class DrawerOut(Schema):
    model_config = examples({"id": 88, "clerk": "specialist", "business_date": "2026-12-07", "status": "open",
                             "opening_float": "150.00", "variance": None, "approval_request_id": None})
    id: int
    clerk: str
    business_date: date
    status: str = Field(description="open, closed, or variance_pending while an over/short waits for approval")
    opening_float: Decimal
    variance: Decimal | None = Field(description="counted minus expected once closed")
    approval_request_id: int | None


def _drawer_out(session: DrawerSession) -> DrawerOut:
    session = DrawerSession.objects.select_related("clerk").get(pk=session.pk)
    return DrawerOut(id=session.pk, clerk=session.clerk.get_username(), business_date=session.business_date,
                     status=session.status, opening_float=session.opening_float, variance=session.variance,
                     approval_request_id=session.approval_request_id)


@write(router, "/drawers", response={201: DrawerOut}, operation_id="open_drawer",
       summary="Open your cash drawer for today")
def open_drawer(request, payload: DrawerOpenIn):
    permissions.require(request.auth, "payment.take", "take payments")
    return Status(201, _drawer_out(actions.open_drawer(user=request.auth, opening_float=payload.opening_float)))


class DrawerCloseIn(Schema):
    model_config = examples({"cash_count": {"100": 2, "20": 11, "5": 3, "1": 7, "0.25": 8},
                             "check_amounts": ["84.12", "40.00"]})
    cash_count: dict[str, int] = Field(description="pieces counted per denomination (\"100\" … \"0.01\")")
    check_amounts: list[str] = Field([], description="each check and money order in the drawer")
    reason: str = Field("", description="why the count is over or short (required unless it balances)")


@write(router, "/drawers/{drawer_id}/close", response={200: DrawerOut}, operation_id="close_drawer",
       summary="Count and close a drawer (over/short beyond policy waits for approval)")
def close_drawer(request, drawer_id: int, payload: DrawerCloseIn):
    permissions.require(request.auth, "payment.take", "close cash drawers")
    session = found(DrawerSession, f"There is no drawer {drawer_id}. Nothing was changed.", pk=drawer_id)
    if any(n < 0 for n in payload.cash_count.values()):
        raise PaymentError("Cash count: the number of pieces cannot be negative.")
    done = actions.close_drawer(user=request.auth, session=session, cash_count=payload.cash_count,
                                check_amounts=payload.check_amounts, reason=payload.reason)
    return Status(200, _drawer_out(done))


class TenderIn(Schema):
    """What is handed over at the counter (a payment or a security deposit)."""
    tender: str = Field(description="cash, check, card or money_order")
    amount: str = Field(description="amount paid, decimal with two places at most")
    tendered: str | None = Field(None, description="cash handed over (change is given back)")
    check_number: str = ""
    check_routing: str = ""
    payer_name: str = ""
    card_brand: str = ""
    card_last4: str = ""
    processor_reference: str = Field("", description="card processor's authorization reference")


def _open_drawer(request) -> DrawerSession:
    session = actions.open_session_for(request.auth)
    if session is None:
        raise ApiError(409, "drawer_not_open", "Open your cash drawer first (POST /drawers). Nothing was changed.")
    return session


class PaymentIn(TenderIn):
    model_config = examples({"account": "10000016", "tender": "check", "amount": "84.12",
                             "check_number": "1042", "check_routing": "125000024", "payer_name": "Jane Doe"},
                            {"account": "10000016", "tender": "cash", "amount": "50.00", "tendered": "60.00"})
    account: str = Field(description="account number")


class PaymentOut(Schema):
    model_config = examples({"id": 5521, "receipt_number": "R0005521", "account": "10000016", "tender": "check",
                             "amount": "84.12", "received_on": "2026-12-07", "status": "posted",
                             "change_given": "0.00"})
    id: int
    receipt_number: str
    account: str
    tender: str
    amount: Decimal
    received_on: date
    status: str
    change_given: Decimal | None


def _payment_out(payment: Payment) -> PaymentOut:
    payment = Payment.objects.select_related("account").get(pk=payment.pk)
    return PaymentOut(id=payment.pk, receipt_number=payment.receipt_number, account=payment.account.number,
                      tender=payment.tender, amount=payment.amount, received_on=payment.received_on,
                      status=payment.status, change_given=payment.change_given)


class PaymentWait(Schema):
    model_config = examples({"approval_request_id": 301, "status": "pending",
                             "message": "Needs approval: a cash payment of $15,000.00 is above your limit of "
                                        "$10,000.00 for cash at the counter. Request #301 waits for another "
                                        "person's approval; nothing is posted until then."})
    approval_request_id: int
    status: str
    message: str


@write(router, "/payments", response={201: PaymentOut, 202: PaymentWait}, operation_id="take_payment",
       summary="Take a counter payment (cash, check, card, money order) into your open drawer")
def take_payment(request, payload: PaymentIn):
    """The Idempotency-Key is also the payment's counter token: the same key never posts twice. Above your
    limit for the tender the payment is not posted: it waits for another person's approval (202), and posts
    into your drawer when approved."""
    permissions.require(request.auth, "payment.take", "take payments")
    account = _account(payload.account)
    session = _open_drawer(request)
    try:
        payment = actions.take_payment(user=request.auth, session=session, account=account,
                                       token=_counter_token(request), **payload.model_dump(exclude={"account"}))
    except PaymentNeedsApproval as waiting:
        return Status(202, PaymentWait(approval_request_id=waiting.request.pk, status="pending", message=str(waiting)))
    return Status(201, _payment_out(payment))


class ReceiptEmailIn(Schema):
    model_config = examples({"email": "jane.doe@example.com"})
    email: str


class Sent(Schema):
    model_config = examples({"done": True, "message": "Receipt R0005521 e-mailed."})
    done: bool
    message: str


def _payment(payment_id: int) -> Payment:
    return found(Payment, f"There is no receipt {payment_id}. Nothing was changed.", pk=payment_id)


@write(router, "/payments/{payment_id}/receipt-email", response={200: Sent}, operation_id="email_receipt",
       summary="E-mail a payment's receipt")
def email_receipt(request, payment_id: int, payload: ReceiptEmailIn):
    permissions.require(request.auth, "payment.take", "send receipts")
    payment = _payment(payment_id)
    actions.email_receipt(user=request.auth, payment=payment, to=payload.email.strip())
    return Status(200, Sent(done=True, message=f"Receipt {payment.receipt_number} e-mailed."))


class TransferIn(Schema):
    model_config = examples({"to_account": "10000024", "reason": "Paid on the neighbour's account by mistake"})
    to_account: str
    reason: str


@write(router, "/payments/{payment_id}/transfer", response={201: PaymentOut}, operation_id="transfer_payment",
       summary="Move a payment to another account (the original is reversed)")
def transfer_payment(request, payment_id: int, payload: TransferIn):
    """Answers the new payment on the other account."""
    permissions.require(request.auth, "payment.manage", "transfer payments")
    payment = _payment(payment_id)
    new = actions.transfer_payment(user=request.auth, payment=payment, to_account=_account(payload.to_account),
                                   reason=payload.reason)
    return Status(201, _payment_out(new))


class DepositIn(Schema):
    model_config = examples({"drawers": [88, 89]})
    drawers: list[int] = Field(description="closed drawers to take to the bank")


class DepositOut(Schema):
    model_config = examples({"id": 31, "slip_number": "D20261207-01", "kind": "counter",
                             "business_date": "2026-12-07", "amount": "2841.12", "item_count": 37})
    id: int
    slip_number: str
    kind: str
    business_date: date
    amount: Decimal
    item_count: int


@write(router, "/deposits", response={201: list[DepositOut]}, operation_id="prepare_deposit",
       summary="Prepare the bank deposit of closed drawers")
def prepare_deposit(request, payload: DepositIn):
    permissions.require(request.auth, "payment.take", "prepare deposits")
    sessions = list(DrawerSession.objects.filter(pk__in=payload.drawers))
    missing = sorted(set(payload.drawers) - {s.pk for s in sessions})
    if missing:
        raise ApiError(404, "not_found", f"There is no drawer {missing[0]}. Nothing was changed.")
    deposits = actions.prepare_deposit(user=request.auth, sessions=sessions)
    return Status(201, [DepositOut(id=d.pk, slip_number=d.slip_number, kind=d.kind, business_date=d.business_date,
                                   amount=d.amount, item_count=d.item_count) for d in deposits])


# --- payment files -------------------------------------------------------------

class FileOut(Schema):
    model_config = examples({"id": 204, "kind": "lockbox", "name": "LBX20261207.txt", "item_count": 412,
                             "total": "38112.40", "summary": {"payments": 409, "suspense": 3}})
    id: int
    kind: str
    name: str
    item_count: int
    total: Decimal
    summary: dict


def _file_out(imported: ImportedFile) -> FileOut:
    return FileOut(id=imported.pk, kind=imported.kind, name=imported.name, item_count=imported.item_count,
                   total=imported.total, summary=imported.summary or {})


def _content(upload: UploadedFile) -> tuple[bytes, str]:
    return upload.read(), upload.name or "upload"


@write(router, "/payment-files/lockbox", response={201: FileOut}, operation_id="import_lockbox_file",
       summary="Import a bank lockbox file (BAI lockbox or CSV)",
       openapi_extra=curl_example("/payment-files/lockbox", "-F file=@LBX20261207.txt"))
def import_lockbox_file(request, file: File[UploadedFile], csv_map: Form[str] = ""):
    """``csv_map``: for a CSV file, a JSON object naming its columns (as in the console)."""
    permissions.require(request.auth, "payment.manage", "import lockbox files")
    layout = None
    if csv_map.strip():
        try:
            layout = CsvLayout(**json.loads(csv_map))
        except (ValueError, TypeError) as exc:
            raise PaymentError(f"CSV column map: {exc}") from exc
    content, name = _content(file)
    return Status(201, _file_out(actions.import_lockbox(user=request.auth, content=content, name=name,
                                                        csv_layout=layout)))


@write(router, "/payment-files/ach-returns", response={201: FileOut}, operation_id="import_ach_returns_file",
       summary="Import the bank's ACH returns and notifications of change (NACHA)",
       openapi_extra=curl_example("/payment-files/ach-returns", "-F file=@returns-20261207.ach"))
def import_ach_returns_file(request, file: File[UploadedFile]):
    permissions.require(request.auth, "payment.manage", "import ACH returns")
    content, name = _content(file)
    return Status(201, _file_out(actions.import_ach_returns(user=request.auth, content=content, name=name)))


@write(router, "/payment-files/bank-statement", response={201: FileOut}, operation_id="import_bank_statement_file",
       summary="Import a BAI2 bank statement (matches deposits, lists exceptions)",
       openapi_extra=curl_example("/payment-files/bank-statement", "-F file=@statement-20261207.bai"))
def import_bank_statement_file(request, file: File[UploadedFile]):
    permissions.require(request.auth, "payment.manage", "import bank statements")
    content, name = _content(file)
    return Status(201, _file_out(actions.import_bank_statement(user=request.auth, content=content, name=name)))


@write(router, "/payment-files/phone", response={201: FileOut}, operation_id="import_phone_payments_file",
       summary="Import the card processor's pay-by-phone settlement file",
       openapi_extra=curl_example("/payment-files/phone", "-F file=@ivr-20261207.csv"))
def import_phone_payments_file(request, file: File[UploadedFile], csv_map: Form[str] = ""):
    """``csv_map``: a JSON object naming the file's columns, e.g. ``{"amount": "Amt"}``."""
    permissions.require(request.auth, "payment.manage", "import pay-by-phone files")
    mapping = None
    if csv_map.strip():
        try:
            mapping = json.loads(csv_map)
            if not isinstance(mapping, dict):
                raise ValueError("a JSON object is expected, e.g. {\"amount\": \"Amt\"}")
            layout = actions.PhoneCsvLayout.from_mapping(mapping)
        except (ValueError, TypeError) as exc:
            raise PaymentError(f"CSV column map: {exc}") from exc
    else:
        layout = actions.PhoneCsvLayout.from_mapping(None)
    content, name = _content(file)
    return Status(201, _file_out(actions.import_phone_payments(user=request.auth, content=content, name=name,
                                                               layout=layout)))


# --- suspense, returned payments, bank reconciliation ------------------------------

class SuspenseOut(Schema):
    model_config = examples({"id": 88, "amount": "112.40", "received_on": "2026-12-04",
                             "reason": "No account on the stub", "stub_account": "", "check_number": "20417",
                             "payer_name": "J. Alvarez", "file": "lockbox-20261204.txt", "status": "open"})
    id: int
    amount: Decimal
    received_on: date
    reason: str = Field(description="why the money could not be applied")
    stub_account: str
    check_number: str
    payer_name: str
    file: str = Field(description="the payment file it came in, empty if none")
    status: str = Field(description="open or applied")


class SuspensePage(Schema):
    model_config = examples({"offset": 0, "limit": 50, "next_offset": None,
                             "items": [SuspenseOut.model_config["json_schema_extra"]["examples"][0]]})
    offset: int
    limit: int
    next_offset: int | None
    items: list[SuspenseOut]


@read(router, "/suspense", response={200: SuspensePage}, operation_id="list_suspense",
      summary="Payments held in suspense, oldest first (open ones unless status=applied)")
def list_suspense(request, status: str = "open", offset: int = offset_param(), limit: int = limit_param()):
    permissions.require(request.auth, "payment.manage", "work suspense")
    if status not in SuspenseItem.Status.values:
        raise PaymentError(f"Status: choose {' or '.join(SuspenseItem.Status.values)}.")
    rows = list(SuspenseItem.objects.filter(status=status).select_related("batch__source_file")
                .order_by("received_on", "pk")[offset:offset + limit + 1])
    items, next_offset = page(rows, offset, limit)
    return SuspensePage(offset=offset, limit=limit, next_offset=next_offset, items=[
        SuspenseOut(id=i.pk, amount=i.amount, received_on=i.received_on, reason=i.reason,
                    stub_account=i.stub_account, check_number=i.check_number, payer_name=i.payer_name,
                    file=i.batch.source_file.name if i.batch.source_file_id else "", status=i.status)
        for i in items])


class SuspenseApplyIn(Schema):
    model_config = examples({"account": "10000016", "note": "Stub was torn; customer called with the number"})
    account: str
    note: str = ""


@write(router, "/suspense/{item_id}/apply", response={201: PaymentOut}, operation_id="apply_suspense",
       summary="Apply a payment held in suspense to an account")
def apply_suspense(request, item_id: int, payload: SuspenseApplyIn):
    permissions.require(request.auth, "payment.manage", "apply suspense items")
    item = found(SuspenseItem, f"There is no suspense item {item_id}. Nothing was changed.", pk=item_id)
    payment = actions.apply_suspense(user=request.auth, item=item, account=_account(payload.account),
                                     note=payload.note)
    return Status(201, _payment_out(payment))


class ReturnedOut(Schema):
    model_config = examples({"id": 19, "return_code": "R01", "amount": "84.12", "status": "resolved",
                             "payment_id": 5521})
    id: int
    return_code: str
    amount: Decimal
    status: str
    payment_id: int | None


class ReturnedRow(ReturnedOut):
    model_config = examples({"id": 19, "source": "ach", "return_code": "R01", "amount": "84.12",
                             "received_on": "2026-12-03", "status": "unmatched", "payment_id": None,
                             "account": None, "file": "returns-20261203.ach", "note": ""})
    source: str = Field(description="ach or bank")
    received_on: date
    account: str | None = Field(description="the account of the matched receipt")
    file: str
    note: str


class ReturnedPage(Schema):
    model_config = examples({"offset": 0, "limit": 50, "next_offset": None,
                             "items": [ReturnedRow.model_config["json_schema_extra"]["examples"][0]]})
    offset: int
    limit: int
    next_offset: int | None
    items: list[ReturnedRow]


@read(router, "/returned-payments", response={200: ReturnedPage}, operation_id="list_returned_payments",
      summary="Returned payments (ACH returns, bank returned items), those needing work first, newest first")
def list_returned_payments(request, status: str = "", offset: int = offset_param(), limit: int = limit_param()):
    permissions.require(request.auth, "payment.manage", "work returned payments")
    rows = ReturnedPayment.objects.select_related("payment__account", "file")
    if status:
        if status not in ReturnedPayment.Status.values:
            raise PaymentError(f"Status: choose one of {', '.join(ReturnedPayment.Status.values)}.")
        rows = rows.filter(status=status)
    found_rows = list(rows.order_by("status", "-received_on", "-pk")[offset:offset + limit + 1])
    items, next_offset = page(found_rows, offset, limit)
    return ReturnedPage(offset=offset, limit=limit, next_offset=next_offset, items=[
        ReturnedRow(id=r.pk, source=r.source, return_code=r.return_code, amount=r.amount, received_on=r.received_on,
                    status=r.status, payment_id=r.payment_id,
                    account=r.payment.account.number if r.payment_id else None,
                    file=r.file.name if r.file_id else "", note=r.note)
        for r in items])


class ResolveReturnIn(Schema):
    model_config = examples({"receipt": "R0005521"})
    receipt: str = Field(description="the receipt the returned item paid (R0005521 or 5521)")


@write(router, "/returned-payments/{returned_id}/resolve", response={200: ReturnedOut},
       operation_id="resolve_returned_payment", summary="Match a returned item to its receipt: reverse it, charge the fee")
def resolve_returned_payment(request, returned_id: int, payload: ResolveReturnIn):
    permissions.require(request.auth, "payment.manage", "process returned payments")
    returned = found(ReturnedPayment, f"There is no returned payment {returned_id}. Nothing was changed.",
                     pk=returned_id)
    number = payload.receipt.strip().upper().lstrip("R")
    payment = Payment.objects.filter(pk=int(number)).first() if number.isdigit() else None
    if payment is None:
        raise PaymentError(f"Receipt: {payload.receipt!r} is not a receipt number.")
    done = actions.resolve_returned_item(user=request.auth, returned=returned, payment=payment)
    return Status(200, ReturnedOut(id=done.pk, return_code=done.return_code, amount=done.amount, status=done.status,
                                   payment_id=done.payment_id))


class BankLineOut(Schema):
    model_config = examples({"id": 602, "bank_reference": "0000417", "amount": "2841.12", "status": "matched",
                             "deposit_id": 31})
    id: int
    bank_reference: str
    amount: Decimal
    status: str
    deposit_id: int | None


class MatchIn(Schema):
    model_config = examples({"deposit_id": 31, "note": "Bank keyed the slip number wrong"})
    deposit_id: int
    note: str = ""


class NoteIn(Schema):
    model_config = examples({"note": "Bank fee, booked by accounting"})
    note: str


def _line(line_id: int) -> BankLine:
    return found(BankLine, f"There is no bank statement line {line_id}. Nothing was changed.", pk=line_id)


def _line_out(line: BankLine) -> BankLineOut:
    line = BankLine.objects.get(pk=line.pk)
    return BankLineOut(id=line.pk, bank_reference=line.bank_reference, amount=line.amount, status=line.status,
                       deposit_id=line.deposit_id)


@write(router, "/bank-lines/{line_id}/match", response={200: BankLineOut}, operation_id="match_bank_line",
       summary="Match a bank statement line to a deposit by hand")
def match_bank_line(request, line_id: int, payload: MatchIn):
    permissions.require(request.auth, "payment.manage", "reconcile the bank")
    line = _line(line_id)
    deposit = found(Deposit, f"There is no deposit {payload.deposit_id}. Nothing was changed.", pk=payload.deposit_id)
    return Status(200, _line_out(actions.match_bank_line(user=request.auth, line=line, deposit=deposit,
                                                         note=payload.note)))


@write(router, "/bank-lines/{line_id}/resolve", response={200: BankLineOut}, operation_id="resolve_bank_exception",
       summary="Clear a bank statement exception with a note")
def resolve_bank_exception(request, line_id: int, payload: NoteIn):
    permissions.require(request.auth, "payment.manage", "reconcile the bank")
    line = _line(line_id)
    return Status(200, _line_out(actions.resolve_bank_exception(user=request.auth, line=line, note=payload.note)))


# --- autopay -------------------------------------------------------------------

class AutopayIn(Schema):
    model_config = examples({"account": "10000016", "holder_name": "Jane Doe", "routing_number": "125000024",
                             "bank_account_number": "000123456789", "account_type": "checking", "draft_day": 5,
                             "start_date": "2026-12-07", "authorized_on": "2026-12-07",
                             "authorization": "Signed form, scanned 2026-12-07", "prenote": True})
    account: str
    holder_name: str
    routing_number: str
    bank_account_number: str
    account_type: str = Field(description="checking or savings")
    draft_day: int = Field(description="day of the month the bill is drafted")
    start_date: date | None = Field(None, description="default today")
    authorized_on: date | None = Field(None, description="default today")
    authorization: str = Field(description="how the customer authorized the debits")
    prenote: bool = True


class AutopayOut(Schema):
    model_config = examples({"id": 73, "account": "10000016", "status": "prenote", "draft_day": 5,
                             "bank_account_last4": "6789", "stopped_on": None})
    id: int
    account: str
    status: str
    draft_day: int
    bank_account_last4: str
    stopped_on: date | None


def _autopay_out(enrollment: AutopayEnrollment) -> AutopayOut:
    enrollment = AutopayEnrollment.objects.select_related("account").get(pk=enrollment.pk)
    return AutopayOut(id=enrollment.pk, account=enrollment.account.number, status=enrollment.status,
                      draft_day=enrollment.draft_day, bank_account_last4=enrollment.bank_account_last4,
                      stopped_on=enrollment.stopped_on)


@write(router, "/autopay", response={201: AutopayOut}, operation_id="enroll_autopay",
       summary="Enroll an account in autopay (ACH debit of each bill)")
def enroll_autopay(request, payload: AutopayIn):
    permissions.require(request.auth, "payment.manage", "work autopay")
    today = timezone.localdate()
    enrollment = actions.enroll_autopay(
        user=request.auth, account=_account(payload.account), holder_name=payload.holder_name,
        routing_number=payload.routing_number, bank_account_number=payload.bank_account_number,
        account_type=payload.account_type, draft_day=payload.draft_day, start_date=payload.start_date or today,
        authorized_on=payload.authorized_on or today, authorization=payload.authorization, prenote=payload.prenote)
    return Status(201, _autopay_out(enrollment))


class StopAutopayIn(Schema):
    model_config = examples({"reason": "Customer asked by phone to pay by check"})
    reason: str


@write(router, "/autopay/{enrollment_id}/stop", response={200: AutopayOut}, operation_id="stop_autopay",
       summary="Stop an account's autopay")
def stop_autopay(request, enrollment_id: int, payload: StopAutopayIn):
    permissions.require(request.auth, "payment.manage", "work autopay")
    enrollment = found(AutopayEnrollment, f"There is no autopay enrollment {enrollment_id}. Nothing was changed.",
                       pk=enrollment_id)
    return Status(200, _autopay_out(actions.stop_autopay(user=request.auth, enrollment=enrollment,
                                                         reason=payload.reason)))


# --- refunds ---------------------------------------------------------------------

class RefundIn(Schema):
    model_config = examples({"account": "10000016", "agreement_id": None, "amount": "42.10", "method": "check",
                             "payee": "Jane Doe", "payee_address": "88 Elm St, Everett WA 98203",
                             "reason": "Credit balance after final bill"})
    account: str
    agreement_id: int | None = Field(None, description="default: the agreement with the largest credit")
    amount: str
    method: str = Field(description="check or ach")
    payee: str
    payee_address: str = ""
    reason: str


class RefundOut(Schema):
    model_config = examples({"id": 14, "account": "10000016", "amount": "42.10", "method": "check",
                             "status": "issued", "check_number": "700114", "approval_request_id": None})
    id: int
    account: str
    amount: Decimal
    method: str
    status: str = Field(description="issued, or pending while it waits for approval (202)")
    check_number: str
    approval_request_id: int | None


def _refund_out(refund: Refund) -> RefundOut:
    refund = Refund.objects.select_related("account").get(pk=refund.pk)
    return RefundOut(id=refund.pk, account=refund.account.number, amount=refund.amount, method=refund.method,
                     status=refund.status, check_number=refund.check_number,
                     approval_request_id=refund.approval_request_id)


@write(router, "/refunds", response={201: RefundOut, 202: RefundOut}, operation_id="request_refund",
       summary="Refund a credit balance (above your refund limit it waits for approval)")
def request_refund(request, payload: RefundIn):
    permissions.require(request.auth, "payment.manage", "request refunds")
    account = _account(payload.account)
    agreements = ServiceAgreement.objects.filter(account=account)
    if payload.agreement_id is not None:
        agreement = found(agreements, f"Account {account.number} has no service agreement {payload.agreement_id}. "
                                      "Nothing was changed.", pk=payload.agreement_id)
    else:
        agreement = agreements.filter(ar_balance__balance__lt=0).order_by("ar_balance__balance").first()
        if agreement is None:
            raise PaymentError(f"Account {account.number} has no credit balance to refund.")
    refund = actions.request_refund(user=request.auth, agreement=agreement, amount=payload.amount,
                                    method=payload.method, payee=payload.payee, payee_address=payload.payee_address,
                                    reason=payload.reason)
    return Status(202 if refund.status == "pending" else 201, _refund_out(refund))


class ClearedIn(Schema):
    model_config = examples({"cleared_on": "2026-12-07"})
    cleared_on: date | None = Field(None, description="default today")


@write(router, "/refunds/{refund_id}/cleared", response={200: RefundOut}, operation_id="clear_refund",
       summary="Mark a refund check as cashed")
def clear_refund(request, refund_id: int, payload: ClearedIn):
    permissions.require(request.auth, "payment.manage", "clear refunds")
    refund = found(Refund, f"There is no refund {refund_id}. Nothing was changed.", pk=refund_id)
    done = actions.clear_refund(user=request.auth, refund=refund, cleared_on=payload.cleared_on or timezone.localdate())
    return Status(200, _refund_out(done))


class Moved(Schema):
    model_config = examples({"count": 2, "refund_ids": [9, 11]})
    count: int
    refund_ids: list[int]


@write(router, "/refunds/unclaimed", response={200: Moved}, operation_id="move_refunds_to_unclaimed",
       summary="Void uncashed refund checks past the dormancy period into unclaimed property")
def move_refunds_to_unclaimed(request):
    permissions.require(request.auth, "payment.manage", "work unclaimed property")
    moved = actions.move_uncashed_to_unclaimed(user=request.auth, on=timezone.localdate())
    return Status(200, Moved(count=len(moved), refund_ids=[r.pk for r in moved]))


# --- security deposits -------------------------------------------------------------

class SecurityDepositOut(Schema):
    model_config = examples({"id": 12, "account": "10000016", "status": "required", "amount_required": "200.00",
                             "received": "0.00", "interest": "0.00", "paid_out": "0.00"})
    id: int
    account: str
    status: str
    amount_required: Decimal
    received: Decimal
    interest: Decimal
    paid_out: Decimal


def _deposit_out(deposit: SecurityDeposit) -> SecurityDepositOut:
    d = SecurityDeposit.objects.select_related("account").get(pk=deposit.pk)
    return SecurityDepositOut(id=d.pk, account=d.account.number, status=d.status, amount_required=d.amount_required,
                              received=d.received, interest=d.interest, paid_out=d.paid_out)


def _security_deposit(deposit_id: int) -> SecurityDeposit:
    return found(SecurityDeposit, f"There is no security deposit {deposit_id}. Nothing was changed.", pk=deposit_id)


class RequireDepositIn(Schema):
    model_config = examples({"account": "10000016", "amount": "200.00", "reason": "No credit history",
                             "due_on": "2026-12-28"})
    account: str
    amount: str
    reason: str
    due_on: date | None = None


@write(router, "/security-deposits", response={201: SecurityDepositOut}, operation_id="require_security_deposit",
       summary="Require a security deposit of an account")
def require_security_deposit(request, payload: RequireDepositIn):
    permissions.require(request.auth, "payment.manage", "require security deposits")
    deposit = actions.require_deposit(user=request.auth, account=_account(payload.account), amount=payload.amount,
                                      reason=payload.reason, due_on=payload.due_on)
    return Status(201, _deposit_out(deposit))


class ReceiveDepositIn(TenderIn):
    model_config = examples({"tender": "cash", "amount": "200.00", "tendered": "200.00"})


@write(router, "/security-deposits/{deposit_id}/receive", response={201: SecurityDepositOut},
       operation_id="receive_security_deposit", summary="Take a security deposit at the counter into your drawer")
def receive_security_deposit(request, deposit_id: int, payload: ReceiveDepositIn):
    permissions.require(request.auth, "payment.take", "take security deposits")
    deposit = _security_deposit(deposit_id)
    session = _open_drawer(request)
    actions.receive_deposit(user=request.auth, session=session, deposit=deposit,
                            token=_counter_token(request), **payload.model_dump())
    return Status(201, _deposit_out(deposit))


class ReleaseDepositIn(Schema):
    model_config = examples({"reason": "Twelve months of good payment", "method": "check"})
    reason: str
    method: str = Field("check", description="check or ach for what is left after the balance owing")


class ReleaseOut(Schema):
    model_config = examples({"deposit": SecurityDepositOut.model_config["json_schema_extra"]["examples"][0],
                             "applied": "35.00", "refund": None})
    deposit: SecurityDepositOut
    applied: Decimal = Field(description="applied to the balance owing")
    refund: RefundOut | None


@write(router, "/security-deposits/{deposit_id}/release", response={200: ReleaseOut},
       operation_id="release_security_deposit",
       summary="Release a deposit: apply it to the balance owing, refund the rest")
def release_security_deposit(request, deposit_id: int, payload: ReleaseDepositIn):
    permissions.require(request.auth, "payment.manage", "release security deposits")
    release = actions.release_deposit(user=request.auth, deposit=_security_deposit(deposit_id), reason=payload.reason,
                                      method=payload.method)
    return Status(200, ReleaseOut(deposit=_deposit_out(release.deposit), applied=release.applied,
                                  refund=_refund_out(release.refund) if release.refund else None))


class InterestRateIn(Schema):
    model_config = examples({"effective_from": "2027-01-01", "annual_rate": "0.0425",
                             "source": "Treasury bill rate, December"})
    effective_from: date | None = Field(None, description="default today")
    annual_rate: str = Field(description="a fraction: 0.0425 is 4.25 %")
    source: str = ""


class RateOut(Schema):
    model_config = examples({"id": 5, "effective_from": "2027-01-01", "annual_rate": "0.0425"})
    id: int
    effective_from: date
    annual_rate: Decimal


@write(router, "/deposit-interest-rates", response={201: RateOut}, operation_id="set_deposit_interest_rate",
       summary="Set the interest rate paid on security deposits")
def set_deposit_interest_rate(request, payload: InterestRateIn):
    permissions.require(request.auth, "approval_limit.edit", "set the deposit interest rate")
    row = actions.set_interest_rate(user=request.auth, effective_from=payload.effective_from or timezone.localdate(),
                                    annual_rate=payload.annual_rate, source=payload.source)
    return Status(201, RateOut(id=row.pk, effective_from=row.effective_from, annual_rate=row.annual_rate))


class AccrualOut(Schema):
    model_config = examples({"deposits": 118, "interest": "41.27"})
    deposits: int
    interest: Decimal


@write(router, "/security-deposits/accrue-interest", response={200: AccrualOut},
       operation_id="accrue_deposit_interest", summary="Accrue interest on every held deposit to today")
def accrue_deposit_interest(request):
    permissions.require(request.auth, "payment.manage", "accrue deposit interest")
    result = actions.accrue_interest(on=timezone.localdate(), user=request.auth)
    return Status(200, AccrualOut(deposits=result["deposits"], interest=Decimal(str(result["interest"]))))


# --- ACH re-presentment -------------------------------------------------------------

class RepresentmentOut(Schema):
    model_config = examples({"id": 8, "attempt": 1, "amount": "84.12", "status": "queued"})
    id: int
    attempt: int
    amount: Decimal
    status: str


def _representment_out(r: Representment) -> RepresentmentOut:
    r = Representment.objects.get(pk=r.pk)
    return RepresentmentOut(id=r.pk, attempt=r.attempt, amount=r.amount, status=r.status)


@write(router, "/returned-payments/{returned_id}/represent", response={201: RepresentmentOut},
       operation_id="queue_representment",
       summary="Send a returned ACH debit (R01/R09) again in the next file (RETRY PYMT)")
def queue_representment(request, returned_id: int):
    permissions.require(request.auth, "payment.manage", "re-present returned ACH debits")
    returned = found(ReturnedPayment, f"There is no returned payment {returned_id}. Nothing was changed.",
                     pk=returned_id)
    done = actions.queue_representment(user=request.auth, returned=returned, on=timezone.localdate())
    return Status(201, _representment_out(done))


class CancelIn(Schema):
    model_config = examples({"note": "Customer paid at the counter"})
    note: str = ""


@write(router, "/representments/{representment_id}/cancel", response={200: RepresentmentOut},
       operation_id="cancel_representment", summary="Cancel a queued re-presentment")
def cancel_representment(request, representment_id: int, payload: CancelIn):
    permissions.require(request.auth, "payment.manage", "re-present returned ACH debits")
    representment = found(Representment, f"There is no re-presentment {representment_id}. Nothing was changed.",
                          pk=representment_id)
    done = actions.cancel_representment(user=request.auth, representment=representment, note=payload.note)
    return Status(200, _representment_out(done))
