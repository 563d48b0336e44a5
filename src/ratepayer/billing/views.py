"""Billing console pages: adjustments on an account, cycle calendar, bill runs
with live progress, the review queue, bills with their PDF, cancel/rebill,
e-bills sent, and the effective-dated billing policy. Views
check input, call actions and queries, and render; the rules live in the
actions (which refuse what a role may not do, whatever the page shows)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ratepayer.customers.models import Account, BillCycle
from ratepayer.customers.queries import service_balances
from ratepayer.kernel.money import format_money
from ratepayer.ledger.errors import LedgerError
from ratepayer.staff import limits, permissions
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.forms import add_domain_error
from ratepayer.staff.models import ApprovalRequest, AuditEvent
from ratepayer.staff.views import staff_page

from . import actions, documents, queries
from .errors import BillingError
from .forms import AdjustmentForm
from .models import Bill, BillDelivery, BillingPolicy, BillLine, BillRun

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@staff_page(capability="account.view", doing="see bills")
def calendar(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return render(request, "billing/calendar.html", {
        "year": year, "rows": queries.cycle_calendar(year), "months": MONTHS, "runs": queries.recent_runs(12),
        "can_run": permissions.has(request.user, "billing.run"), "cycles": BillCycle.objects.order_by("code"),
        "held": Bill.objects.filter(status=Bill.Status.HELD).count()})


@staff_page(capability="account.view", doing="see bills")
@require_POST
def start_run(request):
    code = request.POST.get("cycle", "")
    try:
        period_end = date.fromisoformat(request.POST.get("period_end", ""))
    except ValueError:
        messages.error(request, "Period end: enter the scheduled read date as YYYY-MM-DD. Nothing was started.")
        return redirect("billing:calendar")
    cycle = BillCycle.objects.filter(code=code).first()
    if cycle is None:
        messages.error(request, f"Cycle: there is no cycle {code!r}. Nothing was started.")
        return redirect("billing:calendar")
    try:
        run = actions.start_bill_run(user=request.user, cycle=cycle, period_end=period_end)
    except BillingError as exc:
        messages.error(request, f"{exc} Nothing was started.")
        return redirect("billing:calendar")
    return redirect("billing:run", run.pk)


@staff_page(capability="account.view", doing="see bills")
def runs(request):
    return render(request, "billing/runs.html", {"runs": queries.recent_runs(100)})


@staff_page(capability="account.view", doing="see bills")
def run_detail(request, run_id: int):
    run = get_object_or_404(BillRun.objects.select_related("cycle", "started_by"), pk=run_id)
    return render(request, "billing/run.html", {"run": run, "held": queries.held_bills(run.pk)[:50],
                                                "can_run": permissions.has(request.user, "billing.run")})


@staff_page(capability="account.view", doing="see bills")
def run_progress(request, run_id: int):
    run = get_object_or_404(BillRun.objects.select_related("cycle"), pk=run_id)
    response = render(request, "billing/_run_progress.html", {"run": run})
    if run.status == BillRun.Status.FINISHED:
        response["HX-Trigger"] = "run-finished"
    return response


@staff_page(capability="account.view", doing="see bills")
def print_file(request, run_id: int):
    run = get_object_or_404(BillRun.objects.select_related("cycle"), pk=run_id)
    response = HttpResponse(documents.print_file(run), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="print-{run.cycle.code}-{run.period_end}.txt"'
    return response


@staff_page(capability="account.view", doing="see bills")
@require_POST
def render_documents(request, run_id: int):
    run = get_object_or_404(BillRun, pk=run_id)
    try:
        actions.request_documents(user=request.user, run=run)
    except BillingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Bill PDFs and e-bills are being prepared in the background.")
    return redirect("billing:run", run.pk)


@staff_page(capability="account.view", doing="see bills")
def review(request):
    run_id = request.GET.get("run")
    bills = queries.held_bills(int(run_id) if run_id and run_id.isdigit() else None)
    page = Paginator(bills, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for bill in page.object_list:
        bill.reasons = queries.hold_summary(bill.hold_reasons)
        bill.held_days = (today - timezone.localdate(bill.created_at)).days if bill.created_at else None
    return render(request, "billing/review.html", {"page": page, "run_id": run_id,
                                                   "can_run": permissions.has(request.user, "billing.run")})


@staff_page(capability="account.view", doing="see bills")
@require_POST
def review_decide(request, bill_id: int):
    bill = get_object_or_404(Bill, pk=bill_id)
    decision, note = request.POST.get("decision"), request.POST.get("note", "")
    try:
        if decision == "release":
            actions.release_bill(user=request.user, bill=bill, note=note)
            messages.success(request, f"Bill {bill.pk} released and posted.")
        elif decision == "correct":
            new = actions.correct_held_bill(user=request.user, bill=bill, note=note)
            messages.success(request, f"Bill {bill.pk} re-billed as bill {new.pk} ({new.get_status_display().lower()}).")
        else:
            messages.error(request, "Choose release or re-bill.")
    except BillingError as exc:
        messages.error(request, f"Bill {bill.pk}: {exc} Nothing was changed.")
    return redirect(request.POST.get("next") or "billing:review")


@staff_page(capability="account.view", doing="see bills")
def bills(request):
    number = (request.GET.get("account") or "").strip()
    found = queries.bills_for_account(number) if number else Bill.objects.none()
    return render(request, "billing/bills.html", {"number": number, "bills": found[:60]})


@staff_page(capability="account.view", doing="see bills")
def bill_detail(request, bill_id: int):
    try:
        bill = queries.bill_detail(bill_id)
    except Bill.DoesNotExist:
        raise Http404("no such bill") from None
    segments = list(bill.segments.select_related("agreement__service_point__premise", "rate_version__schedule")
                    .order_by("service", "pk"))
    lines = {}
    for line in BillLine.objects.filter(segment__bill=bill).order_by("segment", "sequence"):
        lines.setdefault(line.segment_id, []).append(line)
    for s in segments:
        s.line_list = lines.get(s.pk, [])
    pending = ApprovalRequest.objects.filter(kind=actions.CANCEL_REBILL_KIND, subject_id=bill.pk,
                                             status=ApprovalRequest.Status.PENDING).first()
    corrected_by = Bill.objects.filter(corrects=bill).first()
    return render(request, "billing/bill.html", {
        "bill": bill, "segments": segments, "pending": pending, "corrected_by": corrected_by,
        "deliveries": bill.deliveries.all(), "can_run": permissions.has(request.user, "billing.run"),
        "entry_key": bill.idempotency_key})


@staff_page(capability="account.view", doing="see bills")
def bill_pdf(request, bill_id: int):
    bill = get_object_or_404(Bill.objects.select_related("account"), pk=bill_id)
    response = HttpResponse(documents.pdf_for(bill), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bill-{bill.account.number}-{bill.period_end}.pdf"'
    return response


@staff_page(capability="account.view", doing="see bills")
@require_POST
def cancel_rebill(request, bill_id: int):
    bill = get_object_or_404(Bill, pk=bill_id)
    try:
        result = actions.cancel_rebill(user=request.user, bill=bill, reason=request.POST.get("reason", ""))
    except BillingError as exc:
        messages.error(request, f"{exc} Nothing was changed.")
        return redirect("billing:bill", bill.pk)
    if isinstance(result, Bill):
        messages.success(request, f"Bill {bill.pk} cancelled; corrected bill {result.pk} issued.")
        return redirect("billing:bill", result.pk)
    messages.info(request, f"The cancel/rebill is above your limit and waits for approval (request #{result.pk}).")
    return redirect("billing:bill", bill.pk)


@staff_page(capability="account.view", doing="see bills")
def deliveries(request):
    page = Paginator(BillDelivery.objects.select_related("bill__account"), 50).get_page(request.GET.get("page"))
    return render(request, "billing/deliveries.html", {"page": page})


# --- billing policy ----------------------------------------------------------------

class PolicyForm(forms.Form):
    effective_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="In force from",
                                     help_text="tomorrow at the earliest; bills already made keep their policy")
    days_to_bill = forms.IntegerField(label="Days to bill", help_text="business days from the read date to the bill date")
    days_until_due = forms.IntegerField(label="Days until due",
                                        help_text="calendar days from the bill date (rolled to a business day)")
    high_bill_percent = forms.DecimalField(label="High-bill percent", max_digits=6, decimal_places=2,
                                           widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                                           help_text="hold a bill this % above the account's 12-month average")
    high_bill_minimum_history = forms.IntegerField(label="History for the high-bill test",
                                                   help_text="bills of history before the test applies")
    max_consecutive_estimates = forms.IntegerField(label="Most consecutive estimates",
                                                   help_text="hold a bill estimated more times in a row than this")
    regular_period_days = forms.IntegerField(label="Regular period (days)",
                                             help_text="first and final bills prorate per-bill charges by it")
    interval_register_tolerance_percent = forms.DecimalField(
        label="Interval/register tolerance %", max_digits=5, decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="hold a bill whose interval data and register reads differ by more than this %")
    winter_first_month = forms.IntegerField(label="Winter from (month)", min_value=1, max_value=12, required=False,
                                            help_text="winter-average sewer: first month of the winter (12 = December)")
    winter_last_month = forms.IntegerField(label="Winter through (month)", min_value=1, max_value=12, required=False,
                                           help_text="last month of the winter whose water use sewer is billed on")
    bill_message = forms.CharField(label="Bill message (English)", required=False, max_length=300,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    bill_message_es = forms.CharField(label="Bill message (Spanish)", required=False, max_length=300,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    bill_message_ru = forms.CharField(label="Bill message (Russian)", required=False, max_length=300,
                                      widget=forms.Textarea(attrs={"rows": 2}))


def _policy_rows(today: date) -> list[BillingPolicy]:
    """Every policy, newest first, marked scheduled / in force / superseded,
    with who set it (from the audit trail: one query)."""
    policies = list(BillingPolicy.objects.order_by("-effective_from"))
    set_by = {event.object_id: event for event in AuditEvent.objects.filter(
        action=AuditAction.BILLING_POLICY_SET, object_id__in=[str(p.pk) for p in policies]).select_related("user")}
    in_force_seen = False
    for policy in policies:
        if policy.effective_from > today:
            policy.state = "scheduled"
        elif not in_force_seen:
            policy.state, in_force_seen = "in force", True
        else:
            policy.state = "superseded"
        policy.set_event = set_by.get(str(policy.pk))
    return policies


@staff_page(capability="account.view", doing="see bills")
def policy(request):
    today = timezone.localdate()
    can_edit = permissions.has(request.user, actions.POLICY_CAPABILITY)
    rows = _policy_rows(today)
    current = next((p for p in rows if p.state == "in force"), rows[-1] if rows else None)
    status = 200
    if request.method == "POST":
        permissions.require(request.user, actions.POLICY_CAPABILITY, "change the billing policy")
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                values = {k: v for k, v in form.cleaned_data.items() if v is not None}  # blank winter: the default
                created = actions.set_billing_policy(user=request.user, **values, today=today)
            except BillingError as exc:
                form.add_error(None, f"{exc} Nothing was changed.")
            else:
                messages.success(request, f"Billing policy in force from {created.effective_from:%Y-%m-%d} added.")
                return redirect("billing:policy")
        status = 400
    else:
        initial = {name: getattr(current, name) for name in actions.POLICY_FIELDS} if current else {}
        form = PolicyForm(initial={**initial, "effective_from": today + timedelta(days=1)})
    return render(request, "billing/policy.html", {
        "rows": rows, "current": current, "form": form, "can_edit": can_edit, "today": today}, status=status)


# --- adjustments ---------------------------------------------------------------

@staff_page
def account_adjust(request, number):
    account = get_object_or_404(Account.objects.select_related("customer"), number=number)
    permissions.require(request.user, "adjustment.request", "make adjustments")
    if request.method == "POST":
        form = AdjustmentForm(request.POST, account=account)
        if form.is_valid():
            data = form.cleaned_data
            try:
                adjustment = actions.request_adjustment(
                    user=request.user, agreement=data["agreement"], direction=data["direction"],
                    amount=str(data["amount"]), reason_code=data["reason"].code, memo=data["memo"],
                    effective_date=data["effective_date"])
            except (BillingError, LedgerError) as exc:
                add_domain_error(form, exc)
            else:
                if adjustment.status == "posted":
                    messages.success(request, f"{adjustment.get_direction_display().split(' (')[0]} adjustment of "
                                              f"{format_money(adjustment.amount)} posted.")
                else:
                    messages.warning(request, f"{format_money(adjustment.amount)} is above your adjustment limit: "
                                              f"request #{adjustment.approval_request_id} waits for another "
                                              "person's approval. Nothing is posted until then.")
                return redirect("customers:account", number=account.number)
    elif request.method == "GET":
        form = AdjustmentForm(account=account, initial={"agreement": request.GET.get("agreement")})
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "billing/adjust.html", {
        "account": account, "form": form,
        "my_limit": limits.limit_for(request.user, "adjustment"),
        "services": service_balances(account),
    }, status=400 if request.method == "POST" else 200)
