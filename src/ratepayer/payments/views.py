"""Payments console pages. Views read the form, call an action, and render;
the rules (roles, limits, validation) live in the actions, so a refused action
changes nothing whatever the page showed."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.views.decorators.http import require_POST

from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.db.money import MoneySum
from ratepayer.formats.lockbox import CsvLayout
from ratepayer.kernel.money import format_money
from ratepayer.ledger.models import ARBalance
from ratepayer.staff import permissions
from ratepayer.staff.errors import ApprovalError
from ratepayer.staff.views import staff_page

from . import actions, calculations, queries
from .errors import ImportRefused, PaymentError, PaymentNeedsApproval
from .models import (
    REPRESENTMENT_LIMIT,
    AutopayEnrollment,
    BankLine,
    Deposit,
    DepositInterestRate,
    DrawerSession,
    ImportedFile,
    Payment,
    Refund,
    Representment,
    ReturnedPayment,
    SecurityDeposit,
    SecurityDepositEntry,
    SuspenseItem,
)

ZERO = Decimal("0.00")


def _date(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _account_panel(account: Account) -> dict:
    agreements = list(ServiceAgreement.objects.filter(account=account).select_related("service_point__premise")
                      .order_by("status", "service"))
    balances = actions.core.balances_by_agreement(account.pk)
    rows = [{"agreement": a, "balance": balances.get(a.pk, ZERO)} for a in agreements]
    return {"account": account, "rows": rows, "total": sum((r["balance"] for r in rows), ZERO),
            "autopay": AutopayEnrollment.objects.filter(account=account).exclude(status="stopped").first()}


# --------------------------------------------------------------------------- cashier


COUNTER_FIELDS = ("tender", "amount", "tendered", "check_number", "check_routing", "payer_name", "card_brand",
                  "card_last4", "processor_reference")


def _cashier_context(request, q: str) -> dict:
    session = actions.open_session_for(request.user)
    account = queries.find_account(q) if q else None
    context = {"session": session, "q": q, "account": account, "tenders": [
        ("cash", "Cash"), ("check", "Check"), ("card", "Card"), ("money_order", "Money order")],
        "brands": actions.common.CARD_BRANDS, "token": get_random_string(24), "posted": {"tender": "cash"}}
    if q and account is None:
        context["not_found"] = True
    if account is not None:
        context.update(_account_panel(account))
        from ratepayer.formats import scanline

        if len(q) == scanline.DEFAULT.length:
            context["stub_amount"] = scanline.parse(q)["amount_due"]
    if session is not None:
        context["totals"] = queries.drawer_totals(session)
        context["recent"] = list(Payment.objects.filter(batch=session.batch).select_related("account")
                                 .order_by("-pk")[:8])
    return context


@staff_page
def cashier(request):
    """Find the account (scan line or number), take the tender, print, next."""
    permissions.require(request.user, "payment.take", "take payments")
    return render(request, "payments/cashier.html", _cashier_context(request, request.GET.get("q", "").strip()))


@staff_page
@require_POST
def drawer_open(request):
    try:
        actions.open_drawer(user=request.user, opening_float=request.POST.get("opening_float", "0"))
        messages.success(request, "Drawer open. Scan a bill stub or type an account number.")
    except PaymentError as exc:
        messages.error(request, str(exc))
    return redirect("payments:cashier")


@staff_page
@require_POST
def take(request):
    session = actions.open_session_for(request.user)
    account = get_object_or_404(Account, number=request.POST.get("account", ""))
    if session is None:
        messages.error(request, "Open your cash drawer first.")
        return redirect("payments:cashier")
    p = request.POST
    try:
        payment = actions.take_payment(
            user=request.user, session=session, account=account, tender=p.get("tender", ""),
            amount=p.get("amount", ""), tendered=p.get("tendered") or None, check_number=p.get("check_number", ""),
            check_routing=p.get("check_routing", ""), payer_name=p.get("payer_name", ""),
            card_brand=p.get("card_brand", ""), card_last4=p.get("card_last4", ""),
            processor_reference=p.get("processor_reference", ""), token=p.get("token", ""))
    except PaymentError as exc:
        # the form comes back as the clerk filled it (tender, amount, check details), never reset to cash with
        # the balance: a check refused for its routing number must not be posted as cash on the next click
        (messages.warning if isinstance(exc, PaymentNeedsApproval) else messages.error)(request, str(exc))
        context = _cashier_context(request, account.number)
        context["posted"] = {name: p.get(name, "") for name in COUNTER_FIELDS}
        context["error"] = True
        context["needs_approval"] = isinstance(exc, PaymentNeedsApproval)
        if context["needs_approval"]:
            context["posted"] = {"tender": "cash"}
        return render(request, "payments/cashier.html", context, status=200 if context["needs_approval"] else 400)
    return redirect("payments:receipt", pk=payment.pk)


@staff_page
def receipt(request, pk):
    permissions.require(request.user, "payment.take", "see receipts")
    payment = get_object_or_404(Payment.objects.select_related("account__customer", "created_by", "batch"), pk=pk)
    if request.method == "POST":
        try:
            actions.email_receipt(user=request.user, payment=payment, to=request.POST.get("email", "").strip())
            messages.success(request, f"Receipt {payment.receipt_number} e-mailed.")
        except PaymentError as exc:
            messages.error(request, str(exc))
        return redirect("payments:receipt", pk=pk)
    contact = payment.account.customer.contacts.exclude(email="").order_by("-is_primary").first()
    return render(request, "payments/receipt.html", {
        "payment": payment, "applications": payment.applications.select_related("agreement"),
        "balance": queries.account_balance(payment.account_id), "email": contact.email if contact else "",
        "can_manage": permissions.has(request.user, "payment.manage")})


@staff_page
@require_POST
def transfer(request, pk):
    payment = get_object_or_404(Payment, pk=pk)
    to = Account.objects.filter(number=request.POST.get("to_account", "").strip()).first()
    if to is None:
        messages.error(request, f"To account: {request.POST.get('to_account', '')!r} is not an account number.")
        return redirect("payments:receipt", pk=pk)
    try:
        new = actions.transfer_payment(user=request.user, payment=payment, to_account=to,
                                       reason=request.POST.get("reason", ""))
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("payments:receipt", pk=pk)
    messages.success(request, f"Moved to account {to.number} as receipt {new.receipt_number}; "
                              f"{payment.receipt_number} is reversed.")
    return redirect("payments:receipt", pk=new.pk)


# --------------------------------------------------------------------------- drawers and deposits


@staff_page
def drawers(request):
    permissions.require(request.user, "payment.take", "balance cash drawers")
    session = actions.open_session_for(request.user)
    context = {"session": session, "denominations": calculations.CASH_DENOMINATIONS,
               "undeposited": queries.undeposited_sessions(),
               "deposits": Deposit.objects.select_related("bank_line").order_by("-business_date", "-pk")[:20]}
    if session is not None:
        context["expected"] = queries.expected_in_drawer(session)
        context["totals"] = queries.drawer_totals(session)
    return render(request, "payments/drawers.html", context)


@staff_page
@require_POST
def drawer_close(request, pk):
    session = get_object_or_404(DrawerSession, pk=pk)
    count = {d: request.POST.get(f"d_{d}", "0") or "0" for d in calculations.CASH_DENOMINATIONS}
    checks = [line.strip() for line in request.POST.get("checks", "").splitlines() if line.strip()]
    try:
        bad = [d for d, v in count.items() if not str(v).strip().isdigit()]
        if bad:
            raise PaymentError(f"Cash count: the number of {bad[0]} pieces must be a whole number.")
        session = actions.close_drawer(user=request.user, session=session, cash_count=count, check_amounts=checks,
                                       reason=request.POST.get("reason", ""))
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("payments:drawers")
    words = actions.core.over_short_words(session.variance)
    if session.status == "variance_pending":
        messages.warning(request, f"Drawer is {words}: beyond the policy amount, it waits for a supervisor's "
                                  "approval.")
    elif session.variance:
        messages.warning(request, f"Drawer closed {words}; the difference is posted to the over/short account.")
    else:
        messages.success(request, "Drawer closed and balanced.")
    return redirect("payments:drawers")


@staff_page
@require_POST
def deposit_create(request):
    ids = [int(i) for i in request.POST.getlist("session") if i.isdigit()]
    sessions = list(DrawerSession.objects.filter(pk__in=ids))
    try:
        deposits = actions.prepare_deposit(user=request.user, sessions=sessions)
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("payments:drawers")
    messages.success(request, "Deposit prepared: " + ", ".join(d.slip_number for d in deposits))
    return redirect("payments:deposit", pk=deposits[0].pk)


@staff_page
def deposit(request, pk):
    permissions.require(request.user, "payment.take", "see deposits")
    deposit = get_object_or_404(Deposit.objects.select_related("created_by"), pk=pk)
    sessions = list(deposit.sessions.select_related("clerk"))
    checks = Payment.objects.filter(batch__drawer_session__in=sessions, tender__in=["check", "money_order"]) \
        .select_related("account").order_by("pk")
    cash = {}
    for s in sessions:
        for d, n in s.count.get("cash", {}).items():
            cash[d] = cash.get(d, 0) + n
    cash_rows = [{"denomination": Decimal(d), "count": n, "total": Decimal(d) * n}
                 for d, n in sorted(cash.items(), key=lambda x: -Decimal(x[0]))]
    return render(request, "payments/deposit.html", {
        "deposit": deposit, "sessions": sessions, "checks": checks, "cash_rows": cash_rows,
        "float": sum((s.opening_float for s in sessions), ZERO)})


# --------------------------------------------------------------------------- files


@staff_page
def files(request):
    permissions.require(request.user, "payment.manage", "work payment files")
    return render(request, "payments/files.html", {
        "files": ImportedFile.objects.select_related("imported_by").order_by("-imported_at", "-pk")[:50]})


@staff_page
@require_POST
def file_upload(request, kind):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "File: choose a file to import.")
        return redirect("payments:files")
    content, name = upload.read(), upload.name
    try:
        if kind == "lockbox":
            layout = None
            if request.POST.get("csv_map", "").strip():
                try:
                    layout = CsvLayout(**json.loads(request.POST["csv_map"]))
                except (ValueError, TypeError) as exc:
                    raise PaymentError(f"CSV column map: {exc}") from exc
            imported = actions.import_lockbox(user=request.user, content=content, name=name, csv_layout=layout)
        elif kind == "ach_returns":
            imported = actions.import_ach_returns(user=request.user, content=content, name=name)
        elif kind == "bank":
            imported = actions.import_bank_statement(user=request.user, content=content, name=name)
        else:
            raise PaymentError(f"{kind!r} is not a kind of file we import.")
    except ImportRefused as refused:
        for problem in refused.problems[:20]:
            messages.error(request, f"{name}: {problem}")
        messages.error(request, f"{name}: refused, nothing was imported.")
        return redirect("payments:files")
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("payments:files")
    messages.success(request, f"{name} imported.")
    return redirect("payments:file", pk=imported.pk)


@staff_page
def file_detail(request, pk):
    permissions.require(request.user, "payment.manage", "work payment files")
    imported = get_object_or_404(ImportedFile, pk=pk)
    context = {"file": imported, "summary_words": [(str(k).replace("_", " ").capitalize(), v)
                                                    for k, v in (imported.summary or {}).items()]}
    if imported.kind in (ImportedFile.Kind.LOCKBOX, ImportedFile.Kind.PHONE):
        context["deposit_receipts"] = SecurityDepositEntry.objects.filter(batch__source_file=imported).select_related(
            "deposit__account").order_by("pk")
        context["payments"] = Payment.objects.filter(batch__source_file=imported).select_related("account") \
            .order_by("pk")[:500]
        context["suspense"] = SuspenseItem.objects.filter(batch__source_file=imported).order_by("pk")
        context["deposits"] = Deposit.objects.filter(journal_entry__source_type="payments.paymentbatch",
                                                     journal_entry__source_id__in=imported.batches.values("pk"))
        # the result in a clerk's terms: what the file held, what posted, what went to suspense
        context["result"] = {
            "posted": Payment.objects.filter(batch__source_file=imported).aggregate(
                n=Count("id"), total=MoneySum("amount")),
            "suspense": SuspenseItem.objects.filter(batch__source_file=imported).aggregate(
                n=Count("id"), total=MoneySum("amount")),
            "deposits": SecurityDepositEntry.objects.filter(batch__source_file=imported).aggregate(
                n=Count("id"), total=MoneySum("amount")),
        }
    elif imported.kind == ImportedFile.Kind.ACH_ORIGINATION:
        context["entries"] = imported.ach_entries.select_related("account").order_by("trace_number")[:500]
    elif imported.kind == ImportedFile.Kind.ACH_RETURNS:
        context["returns"] = imported.returns.select_related("payment__account").order_by("pk")
    else:
        context["lines"] = imported.bank_lines.select_related("deposit").order_by("line")
    return render(request, "payments/file.html", context)


@staff_page
def file_download(request, pk):
    permissions.require(request.user, "payment.manage", "download ACH files")
    imported = get_object_or_404(ImportedFile, pk=pk, kind=ImportedFile.Kind.ACH_ORIGINATION)
    response = HttpResponse(imported.content, content_type="text/plain")
    response["Content-Disposition"] = f'attachment; filename="{imported.name}"'
    return response


# --------------------------------------------------------------------------- suspense and returns


@staff_page
def suspense(request):
    permissions.require(request.user, "payment.manage", "work suspense")
    if request.method == "POST":
        item = get_object_or_404(SuspenseItem, pk=request.POST.get("item"))
        account = Account.objects.filter(number=request.POST.get("account", "").strip()).first()
        try:
            if account is None:
                raise PaymentError(f"Account: {request.POST.get('account', '')!r} is not an account number.")
            payment = actions.apply_suspense(user=request.user, item=item, account=account,
                                             note=request.POST.get("note", ""))
            messages.success(request, f"Applied to {account.number} as receipt {payment.receipt_number}.")
        except PaymentError as exc:
            messages.error(request, str(exc))
        return redirect("payments:suspense")
    items = SuspenseItem.objects.filter(status="open").select_related("batch__source_file").order_by("received_on",
                                                                                                      "pk")
    return render(request, "payments/suspense.html", {"items": items, "aging": queries.suspense_aging(),
                                                      "today": timezone.localdate()})


@staff_page
def returns(request):
    permissions.require(request.user, "payment.manage", "work returned payments")
    if request.method == "POST":
        returned = get_object_or_404(ReturnedPayment, pk=request.POST.get("returned"))
        number = request.POST.get("receipt", "").strip().upper().lstrip("R")
        payment = Payment.objects.filter(pk=int(number)).first() if number.isdigit() else None
        try:
            if payment is None:
                raise PaymentError(f"Receipt: {request.POST.get('receipt', '')!r} is not a receipt number.")
            actions.resolve_returned_item(user=request.user, returned=returned, payment=payment)
            messages.success(request, f"Receipt {payment.receipt_number} reversed and the fee charged.")
        except PaymentError as exc:
            messages.error(request, str(exc))
        return redirect("payments:returns")
    rows = ReturnedPayment.objects.select_related("payment__account", "file").order_by("status", "-received_on",
                                                                                        "-pk")[:200]
    return render(request, "payments/returns.html", {"rows": rows})


# --------------------------------------------------------------------------- bank reconciliation


@staff_page
def reconciliation(request):
    permissions.require(request.user, "payment.manage", "reconcile the bank")
    if request.method == "POST":
        line = get_object_or_404(BankLine, pk=request.POST.get("line"))
        try:
            if request.POST.get("deposit"):
                actions.match_bank_line(user=request.user, line=line,
                                        deposit=get_object_or_404(Deposit, pk=request.POST["deposit"]),
                                        note=request.POST.get("note", ""))
                messages.success(request, f"Bank line {line.bank_reference} matched.")
            else:
                actions.resolve_bank_exception(user=request.user, line=line, note=request.POST.get("note", ""))
                messages.success(request, f"Bank line {line.bank_reference} cleared.")
        except PaymentError as exc:
            messages.error(request, str(exc))
        return redirect("payments:reconciliation")
    today = timezone.localdate()
    late_before = today - timedelta(days=3)
    unmatched_all = Deposit.objects.filter(bank_line__isnull=True)
    exceptions_all = BankLine.objects.filter(status="exception")
    summary = {
        "matched": BankLine.objects.filter(status="matched").aggregate(n=Count("id"), total=MoneySum("amount")),
        "exceptions": exceptions_all.aggregate(n=Count("id"), total=MoneySum("amount")),
        "unmatched": unmatched_all.aggregate(n=Count("id"), total=MoneySum("amount")),
        "late": unmatched_all.filter(business_date__lt=late_before).aggregate(n=Count("id"), total=MoneySum("amount")),
    }
    exceptions = Paginator(exceptions_all.select_related("file").order_by("as_of", "pk"), 25).get_page(
        request.GET.get("lines"))
    unmatched = Paginator(unmatched_all.order_by("business_date", "pk"), 25).get_page(request.GET.get("deposits"))
    for d in unmatched.object_list:
        d.late = d.business_date < late_before
    # a bank line is matched to one of our deposits of the same amount (or marked not ours)
    amounts = {line.amount for line in exceptions.object_list}
    candidates: dict = defaultdict(list)
    for d in unmatched_all.filter(amount__in=amounts).order_by("business_date", "pk")[:500]:
        candidates[d.amount].append(d)
    for line in exceptions.object_list:
        line.candidates = candidates.get(line.amount, [])
    return render(request, "payments/reconciliation.html", {
        "exceptions": exceptions, "unmatched": unmatched, "summary": summary,
        "matched": BankLine.objects.filter(status="matched").select_related("deposit").order_by("-as_of", "-pk")[:20]})


# --------------------------------------------------------------------------- autopay


@staff_page
def autopay(request):
    permissions.require(request.user, "payment.manage", "work autopay")
    if request.method == "POST":
        p = request.POST
        account = Account.objects.filter(number=p.get("account", "").strip()).first()
        try:
            if account is None:
                raise PaymentError(f"Account: {p.get('account', '')!r} is not an account number.")
            actions.enroll_autopay(
                user=request.user, account=account, holder_name=p.get("holder_name", ""),
                routing_number=p.get("routing_number", ""), bank_account_number=p.get("bank_account_number", ""),
                account_type=p.get("account_type", ""), draft_day=int(p.get("draft_day") or 0),
                start_date=_date(p.get("start_date"), timezone.localdate()),
                authorized_on=_date(p.get("authorized_on"), timezone.localdate()),
                authorization=p.get("authorization", ""), prenote=bool(p.get("prenote")))
            messages.success(request, f"Account {account.number} enrolled in autopay.")
        except (PaymentError, ValueError) as exc:
            messages.error(request, str(exc))
        return redirect(reverse("payments:autopay") + (f"?q={account.number}" if account is not None else ""))
    # every enrollment, found by account number, customer or holder name, newest first, 50 a page
    q = request.GET.get("q", "").strip()
    enrollments = AutopayEnrollment.objects.select_related("account__customer").order_by("-pk")
    if q:
        enrollments = enrollments.filter(Q(account__number__startswith=q.replace("-", "")) |
                                         Q(account__customer__name__icontains=q) | Q(holder_name__icontains=q))
    return render(request, "payments/autopay.html", {
        "q": q, "enrollments": Paginator(enrollments, 50).get_page(request.GET.get("page")),
        "files": ImportedFile.objects.filter(kind=ImportedFile.Kind.ACH_ORIGINATION).order_by("-pk")[:20],
        "today": timezone.localdate()})


# --------------------------------------------------------------------------- refunds


@staff_page
def refunds(request):
    permissions.require(request.user, "payment.manage", "work refunds")
    if request.method == "POST":
        p = request.POST
        account = Account.objects.filter(number=p.get("account", "").strip()).first()
        try:
            if account is None:
                raise PaymentError(f"Account: {p.get('account', '')!r} is not an account number.")
            agreement = ServiceAgreement.objects.filter(account=account, pk=p.get("agreement") or 0).first() or \
                ServiceAgreement.objects.filter(account=account, ar_balance__balance__lt=0).order_by(
                    "ar_balance__balance").first()
            if agreement is None:
                raise PaymentError(f"Account {account.number} has no credit balance to refund.")
            refund = actions.request_refund(user=request.user, agreement=agreement, amount=p.get("amount", ""),
                                            method=p.get("method", ""), payee=p.get("payee", ""),
                                            payee_address=p.get("payee_address", ""), reason=p.get("reason", ""))
            if refund.status == "pending":
                messages.warning(request, "Above your refund limit: the refund waits for approval.")
            else:
                messages.success(request, f"Refund issued{f' as check {refund.check_number}' if refund.check_number else ''}.")
        except (PaymentError, ApprovalError) as exc:
            messages.error(request, str(exc))
        return redirect("payments:refunds")
    today = timezone.localdate()
    start = _date(request.GET.get("from"), today - timedelta(days=90))
    end = _date(request.GET.get("to"), today)
    chosen = (Account.objects.filter(number=request.GET.get("account", "").strip()).select_related("customer").first()
              if request.GET.get("account") else None)
    chosen_credit = None
    if chosen is not None:
        # the service with the largest credit, which the refund is taken from (as the POST below chooses)
        largest = (ARBalance.objects.filter(account=chosen, balance__lt=0).order_by("balance")
                   .values_list("balance", flat=True).first())
        chosen_credit = f"{-largest:.2f}" if largest is not None else None
    return render(request, "payments/refunds.html", {
        "chosen": chosen, "chosen_credit": chosen_credit,
        "register": queries.refund_register(start, end), "start": start, "end": end,
        "unclaimed_due": queries.unclaimed_candidates(today).count(),
        "credit_accounts": Account.objects.filter(ar_balances__balance__lt=0).annotate(
            credit=MoneySum("ar_balances__balance", filter=Q(ar_balances__balance__lt=0))).order_by("credit")[:20]})


@staff_page
@require_POST
def refund_cleared(request, pk):
    refund = get_object_or_404(Refund, pk=pk)
    try:
        actions.clear_refund(user=request.user, refund=refund, cleared_on=timezone.localdate())
        messages.success(request, f"Refund {refund.check_number or refund.pk} marked paid.")
    except PaymentError as exc:
        messages.error(request, str(exc))
    return redirect("payments:refunds")


@staff_page
@require_POST
def refunds_unclaimed(request):
    moved = actions.move_uncashed_to_unclaimed(user=request.user, on=timezone.localdate())
    messages.success(request, f"{len(moved)} uncashed refund check(s) moved to unclaimed property.")
    return redirect("payments:refunds")


# --------------------------------------------------------------------------- reports


@staff_page
def reports(request):
    permissions.require(request.user, "payment.take", "see cash reports")
    today = timezone.localdate()
    day = _date(request.GET.get("day"), today)
    start = _date(request.GET.get("from"), day - timedelta(days=6))
    end = _date(request.GET.get("to"), day)
    journal = queries.cash_receipts_journal(day)
    deposits = list(queries.deposit_report(start, end))
    return render(request, "payments/reports.html", {
        "day": day, "start": start, "end": end, "journal": journal,
        "journal_total": sum((r["total"] for r in journal), ZERO),
        "journal_count": sum(r["count"] for r in journal),
        "deposits": deposits, "deposit_total": sum((d.amount for d in deposits), ZERO),
        "aging": queries.suspense_aging(today)})


# --------------------------------------------------------------------------- security deposits


def _form_token() -> str:
    return get_random_string(24)


@staff_page
def security_deposits(request):
    """Deposit register: what is required, held and due back; take a deposit at
    the counter, require one, release one, set the interest rate."""
    permissions.require(request.user, "payment.take", "see security deposits")
    if request.method == "POST":
        p = request.POST
        op = p.get("op", "")
        try:
            if op == "require":
                account = Account.objects.filter(number=p.get("account", "").strip()).first()
                if account is None:
                    raise PaymentError(f"Account: {p.get('account', '')!r} is not an account number.")
                actions.require_deposit(user=request.user, account=account, amount=p.get("amount", ""),
                                        reason=p.get("reason", ""), due_on=_date(p.get("due_on"), None) or None)
                messages.success(request, f"Security deposit required of account {account.number}.")
            elif op == "receive":
                deposit = get_object_or_404(SecurityDeposit, pk=p.get("deposit") or 0)
                session = actions.open_session_for(request.user)
                if session is None:
                    raise PaymentError("Open your cash drawer (Cashier) before taking a deposit.")
                entry = actions.receive_deposit(
                    user=request.user, session=session, deposit=deposit, tender=p.get("tender", ""),
                    amount=p.get("amount", ""), tendered=p.get("tendered") or None,
                    check_number=p.get("check_number", ""), check_routing=p.get("check_routing", ""),
                    payer_name=p.get("payer_name", ""), card_brand=p.get("card_brand", ""),
                    card_last4=p.get("card_last4", ""), processor_reference=p.get("processor_reference", ""),
                    token=p.get("token", ""))
                messages.success(request, f"Deposit of {format_money(entry.amount)} received for account "
                                          f"{deposit.account.number}; it is held, not paid on the bill.")
            elif op == "release":
                deposit = get_object_or_404(SecurityDeposit, pk=p.get("deposit") or 0)
                release = actions.release_deposit(user=request.user, deposit=deposit, reason=p.get("reason", ""),
                                                  method=p.get("method", "check"))
                refund = release.refund
                text = f"Deposit released: {format_money(release.applied)} applied to the balance owing"
                if refund is not None and refund.status == "pending":
                    messages.warning(request, f"{text}; the refund of {format_money(refund.amount)} is above your "
                                              "refund limit and waits for approval.")
                else:
                    messages.success(request, text + (f", {format_money(refund.amount)} refunded"
                                                      f"{f' by check {refund.check_number}' if refund.check_number else ''}"
                                                      if refund else "") + ".")
            elif op == "rate":
                actions.set_interest_rate(user=request.user, effective_from=_date(p.get("effective_from"),
                                                                                  timezone.localdate()),
                                          annual_rate=p.get("annual_rate", ""), source=p.get("source", ""))
                messages.success(request, "Interest rate saved.")
            elif op == "accrue":
                result = actions.accrue_interest(on=timezone.localdate(), user=request.user)
                messages.success(request, f"Interest accrued on {result['deposits']} deposit(s): "
                                          f"{format_money(Decimal(result['interest']))}.")
            else:
                raise PaymentError("Choose what to do.")
        except (PaymentError, ApprovalError) as exc:
            messages.error(request, str(exc))
        return redirect(reverse("payments:security_deposits") + (f"?status={p.get('status')}"
                                                                  if p.get("status") else ""))
    today = timezone.localdate()
    status = request.GET.get("status", "")
    register = list(queries.deposit_register(status)[:300])
    can_manage = permissions.has(request.user, "payment.manage")
    return render(request, "payments/security_deposits.html", {
        "register": register, "status": status, "statuses": SecurityDeposit.Status.choices,
        "owing": SecurityDeposit.objects.filter(status=SecurityDeposit.Status.REQUIRED).select_related(
            "account__customer").order_by("account__number")[:500],
        "due_back": queries.deposits_due_back(today) if can_manage else [], "can_manage": can_manage,
        "can_set_rate": permissions.has(request.user, "approval_limit.edit"),
        "session": actions.open_session_for(request.user), "token": _form_token(),
        "card_brands": actions.common.CARD_BRANDS, "rates": DepositInterestRate.objects.all()[:10],
        "held_total": queries.deposits_held_total(), "today": today,
        "policy": queries.payment_policy_on(today)})


@staff_page
def account_deposit(request, number):
    """The account page's security deposit panel (loaded by htmx)."""
    permissions.require(request.user, "account.view", "look up accounts")
    account = get_object_or_404(Account, number=number)
    deposits = list(SecurityDeposit.objects.filter(account=account).order_by("-required_on", "-pk")[:3])
    entries = list(SecurityDepositEntry.objects.filter(deposit__in=deposits[:1]).order_by("on", "pk"))
    return render(request, "payments/_account_deposit.html", {"account": account, "deposits": deposits,
                                                              "entries": entries})


# --------------------------------------------------------------------------- ACH re-presentment


@staff_page
def represent(request):
    permissions.require(request.user, "payment.manage", "re-present returned ACH debits")
    today = timezone.localdate()
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("op") == "cancel":
                actions.cancel_representment(user=request.user,
                                             representment=get_object_or_404(Representment, pk=p.get("pk") or 0),
                                             note=p.get("note", ""))
                messages.success(request, "Re-presentment cancelled.")
            else:
                r = actions.queue_representment(user=request.user,
                                                returned=get_object_or_404(ReturnedPayment, pk=p.get("pk") or 0),
                                                on=today)
                messages.success(request, f"Queued: {format_money(r.amount)} goes out again (RETRY PYMT, attempt "
                                          f"{r.attempt} of {REPRESENTMENT_LIMIT}) in the next ACH file.")
        except PaymentError as exc:
            messages.error(request, str(exc))
        return redirect("payments:represent")
    return render(request, "payments/represent.html", {
        "eligible": queries.representable_returns(today), "limit": REPRESENTMENT_LIMIT, "today": today,
        "policy": queries.payment_policy_on(today),
        "queue": Representment.objects.select_related("original__account", "returned", "entry__file",
                                                      "queued_by").order_by("-queued_at", "-pk")[:200]})


# --------------------------------------------------------------------------- pay-by-phone


@staff_page
def phone(request):
    permissions.require(request.user, "payment.manage", "import pay-by-phone files")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "File: choose the processor's settlement file.")
            return redirect("payments:phone")
        content, name = upload.read(), upload.name
        try:
            mapping = None
            if request.POST.get("csv_map", "").strip():
                try:
                    mapping = json.loads(request.POST["csv_map"])
                    if not isinstance(mapping, dict):
                        raise ValueError("a JSON object is expected, e.g. {\"amount\": \"Amt\"}")
                except ValueError as exc:
                    raise PaymentError(f"CSV column map: {exc}") from exc
            imported = actions.import_phone_payments(user=request.user, content=content, name=name,
                                                     layout=actions.PhoneCsvLayout.from_mapping(mapping))
        except ImportRefused as refused:
            for problem in refused.problems[:20]:
                messages.error(request, f"{name}: {problem}")
            messages.error(request, f"{name}: refused, nothing was imported.")
            return redirect("payments:phone")
        except (PaymentError, TypeError) as exc:
            messages.error(request, str(exc))
            return redirect("payments:phone")
        messages.success(request, f"{name} imported: {imported.item_count} card payments, "
                                  f"{format_money(imported.total)}.")
        return redirect("payments:file", pk=imported.pk)
    return render(request, "payments/phone.html", {
        "files": ImportedFile.objects.filter(kind=ImportedFile.Kind.PHONE).select_related("imported_by")
        .order_by("-imported_at", "-pk")[:50],
        "layout": actions.PhoneCsvLayout.from_mapping(None)})


# --------------------------------------------------------------------------- unclaimed property


def _report_year(request) -> int:
    today = timezone.localdate()
    try:
        # default: the report whose period (July 1 – June 30) holds today
        return int(request.GET.get("year") or (today.year + 1 if today.month > 6 else today.year))
    except ValueError:
        return today.year


@staff_page
def unclaimed(request):
    permissions.require(request.user, "payment.manage", "work unclaimed property")
    today = timezone.localdate()
    if request.method == "POST":
        try:
            moved = actions.move_uncashed_to_unclaimed(user=request.user, on=today)
            messages.success(request, f"{len(moved)} uncashed refund check(s) voided and moved to unclaimed property.")
        except PaymentError as exc:
            messages.error(request, str(exc))
        return redirect("payments:unclaimed")
    year = _report_year(request)
    rows = queries.unclaimed_report(year)
    start, end = queries.unclaimed_report_period(year)
    return render(request, "payments/unclaimed.html", {
        "year": year, "rows": rows, "start": start, "end": end, "total": sum((r["amount"] for r in rows), ZERO),
        "candidates": queries.unclaimed_candidates(today).select_related("account").order_by("issued_on", "pk"),
        "policy": queries.payment_policy_on(today), "years": range(today.year + 1, today.year - 6, -1)})


@staff_page
def unclaimed_csv(request):
    permissions.require(request.user, "payment.manage", "export the unclaimed property report")
    year = _report_year(request)
    response = HttpResponse(queries.unclaimed_report_csv(year), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="unclaimed-property-{year}.csv"'
    return response
